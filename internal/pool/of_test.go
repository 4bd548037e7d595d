package pool_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/pool"
)

// tagged is an engine instance with state of its own, as the root package's
// Extism plugin instances are (variables, libraries).
type tagged struct {
	inst  *engine.Instance
	calls int // host-side state: calls this instance served
}

func (t *tagged) Broken() bool                    { return t.inst.Broken() }
func (t *tagged) Close(ctx context.Context) error { return t.inst.Close(ctx) }

// TestOfKeepsPerInstanceState: a pool of a wrapper type hands back the same
// wrapper, host-side state and guest state together, and discards it as a
// whole when the engine instance breaks.
func TestOfKeepsPerInstanceState(t *testing.T) {
	rt, mod := reactor(t, engine.Config{})
	ctx := context.Background()
	p, err := pool.NewOf(pool.ConfigOf[*tagged]{Max: 1, New: func(ctx context.Context) (*tagged, error) {
		inst, err := rt.Instantiate(ctx, mod, engine.InstanceConfig{})
		if err != nil {
			return nil, err
		}
		return &tagged{inst: inst}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	next := func(tg *tagged) error {
		tg.calls++
		got, err := call(ctx, tg.inst, "next")
		if err == nil && got != int32(100+tg.calls) {
			t.Errorf("guest counter %d after %d host-counted calls: state of two instances mixed", got, tg.calls)
		}
		return err
	}
	for range 3 {
		if err := p.Do(ctx, next); err != nil {
			t.Fatal(err)
		}
	}
	err = p.Do(ctx, func(tg *tagged) error { _, err := call(ctx, tg.inst, "trap"); return err })
	var trap *engine.TrapError
	if !errors.As(err, &trap) {
		t.Fatalf("trap: err = %v", err)
	}
	var fresh *tagged
	if err := p.Do(ctx, func(tg *tagged) error { fresh = tg; return next(tg) }); err != nil {
		t.Fatal(err)
	}
	if fresh.calls != 1 {
		t.Fatalf("after a trap the pool served a wrapper with %d calls, want a new one", fresh.calls)
	}
	if s := p.Stats(); s.Created != 2 || s.Discarded != 1 || s.Calls != 5 {
		t.Fatalf("stats = %+v, want 2 created, 1 discarded, 5 calls", s)
	}
}

// TestNegativeQueueTimeoutWaitsForContext: with QueueTimeout < 0 a queued
// caller outlasts the default 1 s wait, gets the instance when it is put
// back, and otherwise leaves only when its context ends.
func TestNegativeQueueTimeoutWaitsForContext(t *testing.T) {
	p, _ := newPool(t, pool.Config{Max: 1, QueueTimeout: -1})
	ctx := context.Background()
	held, err := p.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		inst, err := p.Get(ctx)
		if err == nil {
			p.Put(inst)
		}
		got <- err
	}()
	eventually(t, "a queued caller", func() bool { return p.Stats().Waiting == 1 })
	select {
	case err := <-got:
		t.Fatalf("the queued caller gave up: %v", err)
	case <-time.After(1500 * time.Millisecond): // past the default QueueTimeout
	}
	p.Put(held)
	if err := <-got; err != nil {
		t.Fatalf("queued caller: %v", err)
	}

	held, err = p.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Put(held)
	cctx, cancel := context.WithCancel(ctx)
	go func() {
		_, err := p.Get(cctx)
		got <- err
	}()
	eventually(t, "a queued caller", func() bool { return p.Stats().Waiting == 1 })
	cancel()
	var sat *pool.SaturatedError
	if err := <-got; !errors.As(err, &sat) || !errors.Is(sat.Context, context.Canceled) {
		t.Fatalf("err = %v, want *SaturatedError carrying context.Canceled", err)
	}
}

// TestAdd: an instance made outside the pool serves the next call; one the
// pool has no room for, or a broken one, is closed.
func TestAdd(t *testing.T) {
	rt, mod := reactor(t, engine.Config{})
	ctx := context.Background()
	newInst := func() *engine.Instance {
		inst, err := rt.Instantiate(ctx, mod, engine.InstanceConfig{})
		if err != nil {
			t.Fatal(err)
		}
		return inst
	}
	p, _ := newPool(t, pool.Config{Max: 1})
	probe := newInst()
	if got, err := call(ctx, probe, "next"); err != nil || got != 101 {
		t.Fatalf("next on the probe = %d, %v", got, err)
	}
	p.Add(probe)
	if got := doCall(t, p, "next"); got != 102 {
		t.Fatalf("next = %d, want 102 from the added instance", got)
	}
	extra := newInst()
	p.Add(extra) // Max 1 already exists
	if !extra.Broken() {
		t.Fatal("an instance added past Max was kept")
	}
	broken := newInst()
	broken.Close(ctx)
	q, _ := newPool(t, pool.Config{Max: 1})
	q.Add(broken)
	if got := doCall(t, q, "next"); got != 101 {
		t.Fatalf("next = %d, want 101 from a new instance, not the broken one", got)
	}
	if s := p.Stats(); s.Created != 2 || s.Retired != 1 || s.Idle != 1 || s.Calls != 1 {
		t.Fatalf("stats = %+v, want 2 created (both added), 1 retired, 1 idle, 1 call", s)
	}
}
