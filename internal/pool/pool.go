// Package pool keeps instances of one WebAssembly module ready to serve
// calls: a minimum of warm instances created ahead of time (off the request
// path), a maximum number of instances in use at once (the concurrency
// limit), an idle timeout, and a bounded queue of callers waiting for an
// instance.
//
// One instance serves one call at a time. An instance that trapped, timed
// out, exited or reached its memory limit is discarded, never reused. The
// Reuse policy keeps healthy instances warm between calls (the reactor
// pattern: state in guest memory persists from one call to the next on the
// same instance); the Fresh policy gives every call a new instance and throws
// it away afterwards (the command pattern, or handlers that must not share
// state).
//
// The lifecycle of each instance is the engine's: engine.Runtime.Instantiate
// runs _initialize once, engine.Instance.Call refuses a second _start, and
// engine.Instance.Broken tells an instance that must not be called again.
//
// Pool (made by New) holds *engine.Instance values, as the HTTP trigger
// uses it. Of (made by NewOf) is the same pool for any type that bundles an
// engine instance with state of its own: the root package's CompiledPlugin
// pools Extism plugin instances (main module, libraries, plugin variables)
// with it.
package pool

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/engine"
)

// Policy chooses between reusing warm instances and a fresh one per call.
type Policy int

const (
	// Reuse returns healthy instances to the pool after each call; state in
	// guest memory persists across the calls one instance serves.
	Reuse Policy = iota
	// Fresh gives every call a new instance and closes it afterwards.
	Fresh
)

func (p Policy) String() string {
	switch p {
	case Reuse:
		return "reuse"
	case Fresh:
		return "fresh"
	}
	return fmt.Sprintf("Policy(%d)", int(p))
}

// ParsePolicy parses "reuse" or "fresh".
func ParsePolicy(s string) (Policy, error) {
	switch s {
	case "reuse":
		return Reuse, nil
	case "fresh":
		return Fresh, nil
	}
	return 0, fmt.Errorf("unknown pool policy %q (want reuse or fresh)", s)
}

// Instance is what a pool holds: an *engine.Instance, or a type that
// bundles one with per-instance state of its own (the Extism kernel's
// variables, linked library instances...). Broken reports an instance that
// must not serve another call; Close releases it. If the type also has a
// Memory() api.Memory method, as *engine.Instance does, Config.MemoryLimit
// applies to it.
type Instance interface {
	comparable
	Broken() bool
	Close(ctx context.Context) error
}

// Factory creates one instance. It runs with a context that carries the
// caller's deadline when the instance is made on the call path, and a
// background context when it is made ahead of time.
type Factory = func(ctx context.Context) (*engine.Instance, error)

// Config configures a Pool of engine instances.
type Config = ConfigOf[*engine.Instance]

// Pool hands out engine instances.
type Pool = Of[*engine.Instance]

// New creates a pool of engine instances: NewOf for *engine.Instance.
func New(cfg Config) (*Pool, error) { return NewOf(cfg) }

// ConfigOf configures a pool of instances of type T. New is required; zero
// values of the other fields take the defaults documented on each field.
type ConfigOf[T Instance] struct {
	// New creates an instance (usually engine.Runtime.Instantiate).
	New func(ctx context.Context) (T, error)
	// Policy is Reuse (the default) or Fresh.
	Policy Policy
	// MinWarm is how many idle instances the pool keeps ready ahead of
	// calls; they are created in the background, never on a caller's path.
	// It must not exceed Max.
	MinWarm int
	// Max is the most instances in use at once: the concurrency limit.
	// Zero means 8.
	Max int
	// IdleTimeout closes instances idle for longer (keeping MinWarm). Zero
	// means never.
	IdleTimeout time.Duration
	// QueueSize is how many callers may wait for an instance when Max are in
	// use; a caller beyond it gets ErrSaturated at once. Zero means 4×Max;
	// negative means no queue.
	QueueSize int
	// QueueTimeout is how long a queued caller waits before ErrSaturated
	// (its context may end the wait sooner). Zero means 1 s; negative means
	// as long as the caller's context allows.
	QueueTimeout time.Duration
	// MemoryLimit discards, after a call, an instance whose linear memory
	// has reached this many bytes: growing further would fail, so the
	// instance is not trusted with another call. Zero means no check. It
	// applies to instances with a Memory() api.Memory method.
	MemoryLimit uint64
}

// ErrSaturated is returned when every instance is in use and the queue is
// full, or the caller waited QueueTimeout without getting one.
var ErrSaturated = errors.New("pool saturated: all instances busy")

// ErrClosed is returned by calls on a closed Pool.
var ErrClosed = errors.New("pool closed")

// SaturatedError is the error returned on saturation; errors.Is(err,
// ErrSaturated) matches it.
type SaturatedError struct {
	Max     int           // the concurrency limit
	Waited  time.Duration // how long the caller queued (zero: the queue was full)
	Queued  bool          // whether the caller waited in the queue
	Context error         // non-nil when the caller's context ended the wait
}

func (e *SaturatedError) Error() string {
	switch {
	case !e.Queued:
		return fmt.Sprintf("pool saturated: %d instance(s) busy and the wait queue is full", e.Max)
	case e.Context != nil:
		return fmt.Sprintf("pool saturated: %d instance(s) busy; gave up after waiting %s: %v", e.Max, e.Waited.Round(time.Millisecond), e.Context)
	}
	return fmt.Sprintf("pool saturated: %d instance(s) busy for the whole %s wait", e.Max, e.Waited.Round(time.Millisecond))
}

// Is makes errors.Is(err, ErrSaturated) true.
func (e *SaturatedError) Is(target error) bool { return target == ErrSaturated }

// Stats are the pool's counters. Active, Idle and Waiting are gauges;
// the others only grow.
type Stats struct {
	Active    int    // instances serving a call now
	Idle      int    // warm instances ready for a call
	Waiting   int    // callers queued for an instance
	Created   uint64 // instances created, ahead of time or on a call, or given with Add
	Discarded uint64 // instances thrown away because they trapped, timed out, exited or reached the memory limit
	Retired   uint64 // healthy instances closed: Fresh policy, idle timeout, excess
	Failed    uint64 // instance creations that failed
	Calls     uint64 // calls served (given an instance)
	Rejected  uint64 // calls refused with ErrSaturated
}

type idleInst[T Instance] struct {
	inst  T
	since time.Time
}

// Of hands out instances of type T of one module. It is safe for
// concurrent use.
type Of[T Instance] struct {
	cfg   ConfigOf[T]
	slots chan struct{} // one token per call in progress (capacity Max)

	mu      sync.Mutex
	idle    []idleInst[T]  // LIFO: the most recently used instance is warmest
	fresh   map[T]struct{} // made by GetNew: closed on Put
	total   int            // idle + active + being created
	active  int
	closed  bool
	warming bool

	waiting                                    atomic.Int64
	created, discarded, retired, failed, calls atomic.Uint64
	rejected                                   atomic.Uint64

	bg     context.Context
	stop   context.CancelFunc
	wg     sync.WaitGroup
	warmCh chan struct{}
}

// NewOf creates a pool and starts creating its MinWarm instances in the
// background. Close it to release every instance.
func NewOf[T Instance](cfg ConfigOf[T]) (*Of[T], error) {
	if cfg.New == nil {
		return nil, errors.New("pool: Config.New is required")
	}
	if cfg.Max == 0 {
		cfg.Max = 8
	}
	if cfg.Max < 0 {
		return nil, fmt.Errorf("pool: Max %d must be positive", cfg.Max)
	}
	if cfg.MinWarm < 0 || cfg.MinWarm > cfg.Max {
		return nil, fmt.Errorf("pool: MinWarm %d must be between 0 and Max (%d)", cfg.MinWarm, cfg.Max)
	}
	if cfg.Policy != Reuse && cfg.Policy != Fresh {
		return nil, fmt.Errorf("pool: unknown policy %d", int(cfg.Policy))
	}
	if cfg.QueueSize == 0 {
		cfg.QueueSize = 4 * cfg.Max
	}
	if cfg.QueueSize < 0 {
		cfg.QueueSize = 0
	}
	if cfg.QueueTimeout == 0 {
		cfg.QueueTimeout = time.Second
	}
	if cfg.IdleTimeout < 0 {
		cfg.IdleTimeout = 0
	}
	p := &Of[T]{cfg: cfg, slots: make(chan struct{}, cfg.Max), fresh: map[T]struct{}{}, warmCh: make(chan struct{}, 1)}
	p.bg, p.stop = context.WithCancel(context.Background())
	p.wg.Add(1)
	go p.maintain()
	p.kickWarm()
	return p, nil
}

// Config returns the pool's configuration with defaults filled in.
func (p *Of[T]) Config() ConfigOf[T] { return p.cfg }

// Stats returns a snapshot of the counters.
func (p *Of[T]) Stats() Stats {
	p.mu.Lock()
	s := Stats{Active: p.active, Idle: len(p.idle)}
	p.mu.Unlock()
	s.Waiting = int(p.waiting.Load())
	s.Created = p.created.Load()
	s.Discarded = p.discarded.Load()
	s.Retired = p.retired.Load()
	s.Failed = p.failed.Load()
	s.Calls = p.calls.Load()
	s.Rejected = p.rejected.Load()
	return s
}

// acquire takes one of the Max call slots, queueing if allowed.
func (p *Of[T]) acquire(ctx context.Context) error {
	select {
	case p.slots <- struct{}{}:
		return nil
	default:
	}
	if n := p.waiting.Add(1); n > int64(p.cfg.QueueSize) {
		p.waiting.Add(-1)
		p.rejected.Add(1)
		return &SaturatedError{Max: p.cfg.Max}
	}
	defer p.waiting.Add(-1)
	start := time.Now()
	var timeout <-chan time.Time
	if p.cfg.QueueTimeout > 0 {
		t := time.NewTimer(p.cfg.QueueTimeout)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case p.slots <- struct{}{}:
		return nil
	case <-timeout:
		p.rejected.Add(1)
		return &SaturatedError{Max: p.cfg.Max, Queued: true, Waited: time.Since(start)}
	case <-ctx.Done():
		p.rejected.Add(1)
		return &SaturatedError{Max: p.cfg.Max, Queued: true, Waited: time.Since(start), Context: ctx.Err()}
	case <-p.bg.Done():
		return ErrClosed
	}
}

func (p *Of[T]) release() { <-p.slots }

// Get takes an instance for one call: a warm one when the policy is Reuse and
// one is idle, otherwise a new one made with Config.New. It waits in the
// queue when Max instances are in use. Every instance from Get must be given
// back with Put, exactly once.
func (p *Of[T]) Get(ctx context.Context) (T, error) {
	return p.get(ctx, nil)
}

// GetNew is Get with a fresh instance made by newInst (instead of
// Config.New), under the pool's limits and counters; Put closes it. It is
// how a command module, whose stdio and environment are fixed when it is
// instantiated, gets a per-call instance.
func (p *Of[T]) GetNew(ctx context.Context, newInst func(context.Context) (T, error)) (T, error) {
	if newInst == nil {
		var zero T
		return zero, errors.New("pool: GetNew needs a factory")
	}
	return p.get(ctx, newInst)
}

func (p *Of[T]) get(ctx context.Context, newInst func(context.Context) (T, error)) (T, error) {
	var zero T
	if err := p.acquire(ctx); err != nil {
		return zero, err
	}
	// A caller whose context ended while it queued would only break the
	// instance it got (the engine stops calls with a done context).
	if err := ctx.Err(); err != nil {
		p.release()
		return zero, err
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		p.release()
		return zero, ErrClosed
	}
	p.active++
	for newInst == nil && len(p.idle) > 0 {
		it := p.idle[len(p.idle)-1]
		p.idle[len(p.idle)-1] = idleInst[T]{}
		p.idle = p.idle[:len(p.idle)-1]
		if it.inst.Broken() {
			// It broke while idle (the engine closed it as a late
			// deadline of its last call landed): never hand it out.
			p.total--
			p.mu.Unlock()
			it.inst.Close(context.WithoutCancel(ctx))
			p.mu.Lock()
			continue
		}
		p.mu.Unlock()
		p.calls.Add(1)
		if p.cfg.Policy == Fresh {
			p.kickWarm()
		}
		return it.inst, nil
	}
	p.total++
	p.mu.Unlock()
	f := newInst
	if f == nil {
		f = p.cfg.New
	}
	inst, err := f(ctx)
	if err != nil {
		p.failed.Add(1)
		p.mu.Lock()
		p.active--
		p.total--
		p.mu.Unlock()
		p.release()
		return zero, err
	}
	p.created.Add(1)
	p.calls.Add(1)
	if newInst != nil {
		p.mu.Lock()
		p.fresh[inst] = struct{}{}
		p.mu.Unlock()
	}
	return inst, nil
}

// Add gives the pool an instance made outside it, to wait idle for a call:
// typically one made to check, before serving, that the module
// instantiates, which would be a waste to throw away. It counts as created.
// A broken instance, or one the pool has no room for (Max instances exist,
// or the pool is closed), is closed instead.
func (p *Of[T]) Add(inst T) {
	var zero T
	if inst == zero {
		return
	}
	p.created.Add(1)
	p.mu.Lock()
	if inst.Broken() || p.closed || p.total >= p.cfg.Max {
		p.mu.Unlock()
		p.retired.Add(1)
		inst.Close(context.Background())
		return
	}
	p.total++
	p.idle = append(p.idle, idleInst[T]{inst: inst, since: p.now()})
	p.mu.Unlock()
}

// Put gives back an instance taken with Get. A broken instance (trapped,
// timed out, exited, closed) or one at the memory limit is discarded; with
// the Fresh policy every instance is closed; otherwise it waits idle for the
// next call.
func (p *Of[T]) Put(inst T) { p.put(inst, true) }

// Release is Put for a caller that knows how the call went: an instance left
// unusable by a call that succeeded (a command whose _start returned) counts
// as retired, not discarded. err is the call's error.
func (p *Of[T]) Release(inst T, err error) { p.put(inst, err != nil) }

func (p *Of[T]) put(inst T, failed bool) {
	var zero T
	if inst == zero {
		return
	}
	atLimit := p.atMemoryLimit(inst)
	broken := inst.Broken() || atLimit
	failed = failed || atLimit
	keep := p.cfg.Policy == Reuse
	p.mu.Lock()
	if len(p.fresh) > 0 {
		if _, ok := p.fresh[inst]; ok {
			delete(p.fresh, inst)
			keep = false
		}
	}
	p.active--
	if !broken && keep && !p.closed && p.total > p.cfg.Max && len(p.idle) > 0 {
		// A warm instance made while this one served a call put the pool
		// over Max: keep this one (it is the warmest, its state is in use)
		// and retire the oldest idle one.
		old := p.idle[0].inst
		p.idle = append(p.idle[:0], p.idle[1:]...)
		p.idle = append(p.idle, idleInst[T]{inst: inst, since: p.now()})
		p.total--
		p.mu.Unlock()
		p.release()
		p.retired.Add(1)
		old.Close(context.Background())
		return
	}
	// With no idle instance, an excess over Max is a warm instance still
	// being made: warm drops it when it is done, so this one stays.
	if broken || !keep || p.closed {
		p.total--
		p.mu.Unlock()
		p.release()
		if broken && failed {
			p.discarded.Add(1)
		} else {
			p.retired.Add(1)
		}
		inst.Close(context.Background())
		p.kickWarm()
		return
	}
	p.idle = append(p.idle, idleInst[T]{inst: inst, since: p.now()})
	p.mu.Unlock()
	p.release()
}

// now returns the time an instance became idle; without an idle timeout
// nobody reads it, and the clock is not free.
func (p *Of[T]) now() time.Time {
	if p.cfg.IdleTimeout == 0 {
		return time.Time{}
	}
	return time.Now()
}

// memoryHolder is an instance whose linear memory MemoryLimit checks.
type memoryHolder interface{ Memory() api.Memory }

func (p *Of[T]) atMemoryLimit(inst T) bool {
	if p.cfg.MemoryLimit == 0 || inst.Broken() {
		return false
	}
	mh, ok := any(inst).(memoryHolder)
	if !ok {
		return false
	}
	mem := mh.Memory()
	return mem != nil && uint64(mem.Size())+engine.PageSize > p.cfg.MemoryLimit
}

// Do runs fn with an instance from Get and gives it back with Put. fn's
// error is returned; if the call broke the instance (a trap, timeout or
// exit), the instance is discarded.
func (p *Of[T]) Do(ctx context.Context, fn func(T) error) error {
	inst, err := p.Get(ctx)
	if err != nil {
		return err
	}
	err = fn(inst)
	p.Release(inst, err)
	return err
}

// Close stops background work, wakes queued callers with ErrClosed, and
// closes the idle instances. Instances in use are closed when they are Put.
func (p *Of[T]) Close(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	idle := p.idle
	p.idle = nil
	p.total -= len(idle)
	p.mu.Unlock()
	p.stop()
	p.wg.Wait()
	var err error
	for _, it := range idle {
		p.retired.Add(1)
		if cerr := it.inst.Close(ctx); cerr != nil && err == nil {
			err = cerr
		}
	}
	return err
}

// kickWarm asks the maintenance goroutine to top up the warm instances.
func (p *Of[T]) kickWarm() {
	if p.cfg.MinWarm == 0 {
		return
	}
	select {
	case p.warmCh <- struct{}{}:
	default:
	}
}

// maintain creates warm instances and closes idle ones past IdleTimeout.
func (p *Of[T]) maintain() {
	defer p.wg.Done()
	var tick <-chan time.Time
	if p.cfg.IdleTimeout > 0 {
		t := time.NewTicker(max(p.cfg.IdleTimeout/4, 10*time.Millisecond))
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-p.bg.Done():
			return
		case <-p.warmCh:
			p.warm()
		case now := <-tick:
			p.expire(now)
			p.warm()
		}
	}
}

// warm creates idle instances until MinWarm are idle (or Max exist).
func (p *Of[T]) warm() {
	for {
		p.mu.Lock()
		if p.closed || len(p.idle) >= p.cfg.MinWarm || p.total >= p.cfg.Max {
			p.mu.Unlock()
			return
		}
		p.total++
		p.mu.Unlock()
		inst, err := p.cfg.New(p.bg)
		p.mu.Lock()
		if err != nil || p.closed || p.total > p.cfg.Max {
			p.total--
			p.mu.Unlock()
			if err != nil {
				p.failed.Add(1)
				return // retried on the next kick or tick, never in a tight loop
			}
			p.created.Add(1)
			p.retired.Add(1)
			inst.Close(context.Background())
			return
		}
		p.created.Add(1)
		// Put warm instances under the most recently used ones: LIFO keeps
		// the busiest instance hot and lets surplus ones expire.
		p.idle = append([]idleInst[T]{{inst: inst, since: time.Now()}}, p.idle...)
		p.mu.Unlock()
	}
}

// expire closes instances idle longer than IdleTimeout, oldest first,
// keeping MinWarm idle.
func (p *Of[T]) expire(now time.Time) {
	var old []T
	p.mu.Lock()
	var expired []int
	for i, it := range p.idle {
		if now.Sub(it.since) > p.cfg.IdleTimeout {
			expired = append(expired, i)
		}
	}
	if n := len(p.idle) - p.cfg.MinWarm; len(expired) > n {
		sort.Slice(expired, func(a, b int) bool { return p.idle[expired[a]].since.Before(p.idle[expired[b]].since) })
		expired = expired[:max(n, 0)]
	}
	if len(expired) > 0 {
		drop := make(map[int]bool, len(expired))
		for _, i := range expired {
			drop[i] = true
			old = append(old, p.idle[i].inst)
		}
		kept := p.idle[:0]
		for i, it := range p.idle {
			if !drop[i] {
				kept = append(kept, it)
			}
		}
		clear(p.idle[len(kept):])
		p.idle = kept
		p.total -= len(old)
	}
	p.mu.Unlock()
	for _, inst := range old {
		p.retired.Add(1)
		inst.Close(context.Background())
	}
}
