package wasmhive

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// A guest that prints in a loop gets guestLogBurst records into the log,
// then the rate; what is dropped is counted on the next record kept.
func TestGuestLogIsRateLimited(t *testing.T) {
	var buf bytes.Buffer
	log := rateLimited(slog.New(slog.NewTextHandler(&buf, nil))).With("component", "noisy")
	const n = 5 * guestLogBurst
	for i := 0; i < n; i++ {
		log.Warn("component output", "line", i)
	}
	kept := strings.Count(buf.String(), "\n")
	if kept < guestLogBurst || kept > guestLogBurst+guestLogPerSecond {
		t.Fatalf("%d of %d records kept; want about %d", kept, n, guestLogBurst)
	}
	time.Sleep(50 * time.Millisecond) // refills a few tokens
	buf.Reset()
	log.Warn("component output", "line", "after")
	if !strings.Contains(buf.String(), "dropped_before=") || !strings.Contains(buf.String(), "component=noisy") {
		t.Fatalf("the record after the drops = %q; want dropped_before and the component", buf.String())
	}
}
