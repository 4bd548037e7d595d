// Package deadline gives a context a deadline that costs no timer until
// something waits on it.
//
// context.WithDeadline arms a runtime timer and registers the child with its
// parent on every call: on a request path that is most of what the host adds
// per request beyond the guest itself. Most requests never wait on their
// context's Done channel: a guest's interruption check reads Err and
// Deadline, and a pool that has a free instance does not block. With
// returns a context that answers Deadline and Err from the clock and its
// parent, and makes the real timer context only on the first call of Done
// (or when a child context is derived from it), so that the calls that
// block still wake up at the deadline.
package deadline

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// With returns a copy of parent whose deadline is at or earlier, and a
// function that cancels it, as context.WithDeadline does. The context
// behaves as one made by context.WithDeadline: Done is closed at the
// deadline, when parent is done, or when cancel is called, and Err then
// says why; only the timer is made late, on the first call of Done.
func With(parent context.Context, at time.Time) (context.Context, context.CancelFunc) {
	if cur, ok := parent.Deadline(); ok && cur.Before(at) {
		at = cur
	}
	c := &ctx{parent: parent, at: at}
	return c, c.cancel
}

// ctx is the context With returns.
type ctx struct {
	parent context.Context
	at     time.Time

	mu       sync.Mutex
	real     atomic.Pointer[realCtx] // made by the first Done
	canceled atomic.Bool             // cancel ran
}

// realCtx is the timer context a ctx makes when something waits on it.
type realCtx struct {
	ctx    context.Context
	cancel context.CancelFunc
}

func (c *ctx) Deadline() (time.Time, bool) { return c.at, true }

func (c *ctx) Done() <-chan struct{} { return c.wake().ctx.Done() }

func (c *ctx) Err() error {
	if r := c.real.Load(); r != nil {
		return r.ctx.Err()
	}
	if c.canceled.Load() {
		return context.Canceled
	}
	if err := c.parent.Err(); err != nil {
		return err
	}
	if !time.Now().Before(c.at) {
		return context.DeadlineExceeded
	}
	return nil
}

func (c *ctx) Value(key any) any {
	if r := c.real.Load(); r != nil {
		return r.ctx.Value(key)
	}
	return c.parent.Value(key)
}

// AfterFunc lets context.WithCancel and context.AfterFunc on a child of c
// hook onto c without a goroutine of their own (context's afterFuncer).
func (c *ctx) AfterFunc(f func()) func() bool {
	return context.AfterFunc(c.wake().ctx, f)
}

func (c *ctx) String() string { return "deadline.With(" + c.at.String() + ")" }

// wake makes the timer context, once.
func (c *ctx) wake() *realCtx {
	if r := c.real.Load(); r != nil {
		return r
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if r := c.real.Load(); r != nil {
		return r
	}
	rc, cancel := context.WithDeadline(c.parent, c.at)
	r := &realCtx{ctx: rc, cancel: cancel}
	if c.canceled.Load() {
		cancel()
	}
	c.real.Store(r)
	return r
}

func (c *ctx) cancel() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.canceled.Swap(true) {
		return
	}
	if r := c.real.Load(); r != nil {
		r.cancel()
	}
}
