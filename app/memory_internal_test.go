package app

import (
	"bytes"
	"log/slog"
	"math"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/internal/sysmem"
)

// withMachine makes the machine have n bytes (or no known memory, with
// err) for one test.
func withMachine(t *testing.T, n uint64, err error) {
	saved := machineMemory
	t.Cleanup(func() { machineMemory = saved })
	machineMemory = func() (sysmem.Memory, error) { return sysmem.Memory{Bytes: n, Source: "test"}, err }
}

func TestCheckMemory(t *testing.T) {
	const gib = 1 << 30
	procs := runtime.GOMAXPROCS(0)
	for _, tc := range []struct {
		name    string
		machine uint64
		uses    []MemoryUse
		warn    bool
		parts   []string
	}{
		{"fits", 8 * gib, []MemoryUse{{"a", 16, 256 << 20}, {"http request bodies", 1, 256 << 20}}, false, nil},
		{"exactly", 4 * gib, []MemoryUse{{"a", 16, 256 << 20}}, false, nil},
		{"over", 4 * gib, []MemoryUse{{"a", 16, 256 << 20}, {"b", 1, 1}}, true,
			[]string{"may_use=4GiB", "machine=4GiB", "machine_from=test", `largest="a 16 x 256MiB, b 1 x 1B"`}},
		{"no cap is 4 GiB", 4 * gib, []MemoryUse{{"a", 2, 0}}, true, []string{"a 2 x 4GiB"}},
		{"no max is GOMAXPROCS", uint64(procs)*gib - 1, []MemoryUse{{"a", 0, gib}}, true, []string{"a " + strconv.Itoa(procs) + " x 1GiB"}},
		{"largest first, three of them", gib, []MemoryUse{{"s", 1, 1 << 20}, {"l", 4, gib}, {"m", 2, gib}, {"t", 1, 1}, {"u", 1, 1}}, true,
			[]string{`largest="l 4 x 1GiB, m 2 x 1GiB, s 1 x 1MiB, and 2 more"`}},
		{"saturates", gib, []MemoryUse{{"a", math.MaxInt, 4 << 30}, {"b", math.MaxInt, 4 << 30}}, true, []string{"may_use=16EiB"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			withMachine(t, tc.machine, nil)
			var buf bytes.Buffer
			warned := CheckMemory(slog.New(slog.NewTextHandler(&buf, nil)), tc.uses...)
			if warned != tc.warn || strings.Count(buf.String(), "\n") != map[bool]int{true: 1, false: 0}[tc.warn] {
				t.Fatalf("warned %v, log %q", warned, buf.String())
			}
			for _, p := range tc.parts {
				if !strings.Contains(buf.String(), p) {
					t.Errorf("no %q in %q", p, buf.String())
				}
			}
		})
	}
	withMachine(t, 0, sysmem.ErrUnknown)
	var buf bytes.Buffer
	if CheckMemory(slog.New(slog.NewTextHandler(&buf, nil)), MemoryUse{"a", 1 << 20, 4 << 30}) || buf.Len() > 0 {
		t.Errorf("warned without knowing the machine: %q", buf.String())
	}
}

func TestWithDefaultMemory(t *testing.T) {
	if got := WithDefaultMemory(wasmhive.ComponentConfig{}).Limits.Memory; got != DefaultMemory {
		t.Errorf("no cap: %v", got)
	}
	cc := wasmhive.ComponentConfig{Limits: wasmhive.Limits{Memory: 1 << 20}}
	if got := WithDefaultMemory(cc).Limits.Memory; got != 1<<20 {
		t.Errorf("own cap: %v", got)
	}
}

func TestApprox(t *testing.T) {
	for n, want := range map[uint64]string{0: "0B", 1023: "1023B", 1024: "1KiB", 1536: "1.5KiB", 256 << 40: "256TiB", 1000 * (256 << 20): "250GiB", ^uint64(0): "16EiB"} {
		if got := approx(n); got != want {
			t.Errorf("approx(%d) = %q, want %q", n, got, want)
		}
	}
}
