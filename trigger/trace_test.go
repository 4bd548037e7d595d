package trigger_test

import (
	"context"
	"testing"

	"github.com/wasmhive/wasmhive/trigger"
)

func TestTraceparent(t *testing.T) {
	for tp, ok := range map[string]bool{
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01":   true,
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00":   true,
		"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01":   false, // another version
		"00-00000000000000000000000000000000-00f067aa0ba902b7-01":   false, // zero trace id
		"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01":   false, // zero parent id
		"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01":   false, // upper case
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\n": false,
		"00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01":   false,
		"": false,
	} {
		if got := trigger.ValidTraceparent(tp); got != ok {
			t.Errorf("ValidTraceparent(%q) = %v, want %v", tp, got, ok)
		}
	}
	ctx := trigger.WithTraceparent(context.Background(), "x")
	if got := trigger.Traceparent(ctx); got != "x" {
		t.Errorf("Traceparent: %q", got)
	}
	if got := trigger.Traceparent(context.Background()); got != "" {
		t.Errorf("Traceparent of a bare context: %q", got)
	}
}
