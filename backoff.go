package wasmhive

import (
	"fmt"
	"sync"
	"time"

	"github.com/wasmhive/wasmhive/internal/pool"
)

// Crash-loop backoff: a component whose calls keep breaking their instance
// (a trap, a timeout, a limit, an exit on every call) would otherwise make
// the Host instantiate it again for every call, which costs more CPU than
// the calls themselves and takes it from every other component. After
// backoffAfter calls in a row broke their instance, the component's pool
// makes no new instance for a while, doubling from backoffMin to backoffMax
// while the breaks go on; a call that finds no warm instance then fails at
// once with a *BackoffError (an HTTP 503). The first call that ends well
// resets it.
const (
	backoffAfter = 3
	backoffMin   = 10 * time.Millisecond
	backoffMax   = time.Second
)

// BackoffError is the error of a call that found no warm instance while
// its component's instance creation was paused because its calls kept
// breaking their instances. It matches ErrSaturated: try again later.
type BackoffError struct {
	Component string
	Streak    int           // calls in a row that broke their instance
	Wait      time.Duration // how long new instances stay paused from now
}

func (e *BackoffError) Error() string {
	return fmt.Sprintf("component %s: its last %d calls broke their instances; new instances paused for %s", e.Component, e.Streak, e.Wait.Round(time.Millisecond))
}

// Is makes errors.Is(err, ErrSaturated) true.
func (e *BackoffError) Is(target error) bool { return target == pool.ErrSaturated }

// crashBackoff tracks a component's streak of broken calls.
type crashBackoff struct {
	mu     sync.Mutex
	streak int
	until  time.Time
	now    func() time.Time // time.Now; a test's clock
}

// record notes how a call on a pooled instance ended.
func (b *crashBackoff) record(broken bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !broken {
		b.streak, b.until = 0, time.Time{}
		return
	}
	b.streak++
	if b.streak < backoffAfter {
		return
	}
	d := backoffMax
	if n := b.streak - backoffAfter; n < 7 {
		d = min(backoffMin<<n, backoffMax)
	}
	b.until = b.clock().Add(d)
}

// check returns a *BackoffError while new instances are paused.
func (b *crashBackoff) check(component string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.until.IsZero() {
		return nil
	}
	if wait := b.until.Sub(b.clock()); wait > 0 {
		return &BackoffError{Component: component, Streak: b.streak, Wait: wait}
	}
	return nil
}

func (b *crashBackoff) clock() time.Time {
	if b.now != nil {
		return b.now()
	}
	return time.Now()
}
