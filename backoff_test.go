package wasmhive_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

// A component whose calls keep trapping gets its new instances paused
// (503-like ErrSaturated at once) instead of a new instantiation per call;
// a call that ends well resets it, and other components never notice.
func TestCrashLoopBackoff(t *testing.T) {
	ctx := context.Background()
	h, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{NoCache: true, DataDir: t.TempDir(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(ctx)
	mod := testguest.GoReactor(t, "plugins/errors")
	one := wasmhive.Instances{Max: 1}
	bad, err := h.AddComponent(ctx, "bad", wasmhive.ComponentConfig{Module: mod, Instances: one})
	if err != nil {
		t.Fatal(err)
	}
	good, err := h.AddComponent(ctx, "good", wasmhive.ComponentConfig{Module: mod, Instances: one})
	if err != nil {
		t.Fatal(err)
	}
	trap := func() error {
		_, err := bad.Call(ctx, "trap", []byte("boom"))
		return err
	}
	for i := 0; i < 3; i++ { // three calls in a row break their instance
		var te *engine.TrapError
		if err := trap(); !errors.As(err, &te) {
			t.Fatalf("call %d: %v, want a trap", i, err)
		}
	}
	err = trap()
	var be *wasmhive.BackoffError
	if !errors.As(err, &be) || !errors.Is(err, wasmhive.ErrSaturated) || be.Streak != 3 {
		t.Fatalf("4th call right after 3 traps: %v (%T), want a *BackoffError matching ErrSaturated", err, err)
	}
	created := bad.Stats().Created
	if _, err := good.Call(ctx, "fail", []byte("x")); err == nil || errors.Is(err, wasmhive.ErrSaturated) {
		t.Fatalf("the other component: %v, want its own plugin error", err)
	}
	time.Sleep(3 * be.Wait) // the pause passes
	var te *engine.TrapError
	if err := trap(); !errors.As(err, &te) {
		t.Fatalf("after the pause: %v, want the guest to run (and trap) again", err)
	}
	if bad.Stats().Created != created+1 {
		t.Fatalf("instances created %d -> %d, want one more", created, bad.Stats().Created)
	}
	// Now 4 in a row: paused again, for longer; a call that ends well (the
	// plugin's own error does not break the instance) resets the streak.
	var be2 *wasmhive.BackoffError
	if err := trap(); !errors.As(err, &be2) || be2.Wait <= be.Wait/2 {
		t.Fatalf("after a 4th break: %v, want a longer pause than %s", err, be.Wait)
	}
	time.Sleep(3 * be2.Wait)
	if _, err := bad.Call(ctx, "fail", []byte("fine")); err == nil || errors.Is(err, wasmhive.ErrSaturated) {
		t.Fatalf("a call that does not break: %v, want the plugin's error", err)
	}
	for i := 0; i < 2; i++ {
		if err := trap(); !errors.As(err, &te) {
			t.Fatalf("after the reset, break %d: %v, want a trap (no pause before 3 in a row)", i, err)
		}
	}
}
