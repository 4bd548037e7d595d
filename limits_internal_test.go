package wasmhive

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestViolationLogging: the first violation of a limit is logged at once;
// a flood of them gives one line a second per limit, saying how many were
// left out, while every one is counted.
func TestViolationLogging(t *testing.T) {
	var buf bytes.Buffer
	c := &Component{h: &Host{log: slog.New(slog.NewTextHandler(&buf, nil))}, name: "flood"}
	clock := time.Unix(1000, 0)
	c.limits.now = func() time.Time { return clock }
	err := errors.New("flood: run: limit x exceeded")
	for range 100 {
		c.violated("keyvalue_keys_per_call", err, slog.LevelWarn)
		clock = clock.Add(time.Millisecond)
	}
	c.violated("timeout", err, slog.LevelInfo) // another limit is logged at once
	clock = clock.Add(time.Second)
	c.violated("keyvalue_keys_per_call", err, slog.LevelWarn)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{
		`level=WARN msg="limit exceeded" component=flood limit=keyvalue_keys_per_call error="flood: run: limit x exceeded" count=1`,
		`level=INFO msg="limit exceeded" component=flood limit=timeout error="flood: run: limit x exceeded" count=1`,
		`level=WARN msg="limit exceeded" component=flood limit=keyvalue_keys_per_call error="flood: run: limit x exceeded" count=101 not_logged=99`,
	}
	if len(lines) != len(want) {
		t.Fatalf("logged %d lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for i, l := range lines {
		if _, rest, _ := strings.Cut(l, " "); rest != want[i] { // drop time=...
			t.Errorf("line %d:\n got %s\nwant %s", i, rest, want[i])
		}
	}
	if v := c.Violations(); v["keyvalue_keys_per_call"] != 101 || v["timeout"] != 1 || len(v) != 2 {
		t.Errorf("Violations() = %v", v)
	}
}
