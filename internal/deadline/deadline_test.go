package deadline

import (
	"context"
	"errors"
	"testing"
	"time"
)

type key struct{}

func TestErrFromTheClock(t *testing.T) {
	ctx, cancel := With(context.Background(), time.Now().Add(20*time.Millisecond))
	defer cancel()
	if err := ctx.Err(); err != nil {
		t.Fatalf("before the deadline: Err = %v", err)
	}
	time.Sleep(30 * time.Millisecond)
	if err := ctx.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("after the deadline: Err = %v, want DeadlineExceeded", err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(time.Second):
		t.Fatal("Done made after the deadline is not closed")
	}
}

func TestDoneClosesAtTheDeadline(t *testing.T) {
	start := time.Now()
	ctx, cancel := With(context.Background(), start.Add(20*time.Millisecond))
	defer cancel()
	select {
	case <-ctx.Done():
		if time.Since(start) < 20*time.Millisecond {
			t.Fatal("Done closed before the deadline")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed at the deadline")
	}
	if err := ctx.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Err = %v, want DeadlineExceeded", err)
	}
}

func TestParentCancel(t *testing.T) {
	parent, pcancel := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
	ctx, cancel := With(parent, time.Now().Add(time.Hour))
	defer cancel()
	if got := ctx.Value(key{}); got != "v" {
		t.Fatalf("Value = %v, want the parent's", got)
	}
	pcancel()
	if err := ctx.Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Err = %v after the parent's cancel, want Canceled", err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(time.Second):
		t.Fatal("Done not closed after the parent's cancel")
	}
}

func TestParentCancelAfterDone(t *testing.T) {
	parent, pcancel := context.WithCancel(context.Background())
	ctx, cancel := With(parent, time.Now().Add(time.Hour))
	defer cancel()
	done := ctx.Done() // the timer context exists before the cancel
	pcancel()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("Done not closed after the parent's cancel")
	}
	if got := ctx.Value(key{}); got != nil {
		t.Fatalf("Value = %v, want nil", got)
	}
}

func TestCancel(t *testing.T) {
	for _, waitFirst := range []bool{false, true} {
		ctx, cancel := With(context.Background(), time.Now().Add(time.Hour))
		if waitFirst {
			_ = ctx.Done()
		}
		cancel()
		cancel() // idempotent
		if err := ctx.Err(); !errors.Is(err, context.Canceled) {
			t.Fatalf("waitFirst=%v: Err = %v, want Canceled", waitFirst, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
			t.Fatalf("waitFirst=%v: Done not closed after cancel", waitFirst)
		}
	}
}

func TestEarlierParentDeadline(t *testing.T) {
	at := time.Now().Add(time.Minute)
	parent, pcancel := context.WithDeadline(context.Background(), at)
	defer pcancel()
	ctx, cancel := With(parent, at.Add(time.Hour))
	defer cancel()
	if got, ok := ctx.Deadline(); !ok || !got.Equal(at) {
		t.Fatalf("Deadline = %v, %v; want the parent's %v", got, ok, at)
	}
}

func TestChildContexts(t *testing.T) {
	ctx, cancel := With(context.Background(), time.Now().Add(20*time.Millisecond))
	defer cancel()
	child, ccancel := context.WithCancel(ctx)
	defer ccancel()
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() { close(fired) })
	defer stop()
	select {
	case <-child.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a child of the context not canceled at its deadline")
	}
	if err := child.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("child Err = %v, want DeadlineExceeded", err)
	}
	select {
	case <-fired:
	case <-time.After(5 * time.Second):
		t.Fatal("context.AfterFunc did not run at the deadline")
	}
}

func TestNoTimerUntilDone(t *testing.T) {
	c, cancel := With(context.Background(), time.Now().Add(time.Hour))
	defer cancel()
	_ = c.Err()
	_, _ = c.Deadline()
	if c.(*ctx).real.Load() != nil {
		t.Fatal("Err and Deadline made the timer context")
	}
	_ = c.Done()
	if c.(*ctx).real.Load() == nil {
		t.Fatal("Done did not make the timer context")
	}
}

func BenchmarkWith(b *testing.B) {
	parent, pcancel := context.WithCancel(context.Background())
	defer pcancel()
	at := time.Now().Add(time.Minute)
	b.Run("deadline.With", func(b *testing.B) {
		for b.Loop() {
			ctx, cancel := With(parent, at)
			_ = ctx.Err()
			cancel()
		}
	})
	b.Run("context.WithDeadline", func(b *testing.B) {
		for b.Loop() {
			ctx, cancel := context.WithDeadline(parent, at)
			_ = ctx.Err()
			cancel()
		}
	})
}
