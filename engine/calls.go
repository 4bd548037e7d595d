package engine

import (
	"context"
	"math"
	"sync/atomic"

	"github.com/tetratelabs/wazero/experimental"
)

// CallCounter counts something per call of an instance (the keys a call
// reads, the HTTP requests it makes), so that a host function can hold each
// call to a limit. Add adds to the count of the call the host function runs
// under; each new call starts from zero, at no cost when the call starts
// (a count remembers the call it belongs to). A host module makes its
// counter once, as a package variable, like a Key; host modules that
// share one counter share its counts.
type CallCounter struct {
	name string
	id   int // index into an instance's counts
}

// counterIDs numbers counters, as keyIDs numbers keys.
var counterIDs atomic.Int64

// NewCallCounter returns a new CallCounter; name is for debugging only.
func NewCallCounter(name string) *CallCounter {
	return &CallCounter{name: name, id: int(counterIDs.Add(1) - 1)}
}

// String returns the counter's name.
func (c *CallCounter) String() string { return c.name }

// callCount is one counter's count in one instance: n counted during the
// call numbered seq.
type callCount struct{ seq, n uint64 }

// Add adds n to the count of the call that ctx (a host function's own
// argument) belongs to and returns the new count. The call is the
// Instance.Call running the host function: the outermost call of that
// instance, also when the host function was called from a linked library's
// code, so a component's libraries count against its calls. Outside any
// Call (host functions run while instantiating) there is no call to count
// against, and Add returns n. The count saturates instead of wrapping.
func (c *CallCounter) Add(ctx context.Context, n uint64) uint64 {
	i, _ := ctx.Value(callingKey{}).(*Instance)
	if i == nil {
		return n
	}
	if c.id >= len(i.counts) {
		counts := make([]callCount, max(c.id+1, int(counterIDs.Load())))
		copy(counts, i.counts)
		i.counts = counts
	}
	cc := &i.counts[c.id]
	if cc.seq != i.seq {
		cc.seq, cc.n = i.seq, 0
	}
	if cc.n > math.MaxUint64-n {
		cc.n = math.MaxUint64
	} else {
		cc.n += n
	}
	return cc.n
}

// MemoryLimit is the name (as the manifest spells it) of the limit a
// *LimitError from a call that failed after its memory hit
// InstanceConfig.MaxMemory carries.
const MemoryLimit = "memory"

// growth records, for one instance, whether memory.grow was refused
// because of InstanceConfig.MaxMemory during the current call, so that a
// guest that traps or exits because it ran out of memory is reported as
// having hit its memory limit rather than with whatever its language
// runtime does next (an "unreachable" trap, exit status 2).
type growth struct {
	limit   uint64 // InstanceConfig.MaxMemory in whole pages
	refused uint64 // the size asked for by the last refused growth; 0: none in this call
}

// newGrowth returns the growth of an instance capped at maxMemory bytes, or
// nil without a cap (of at least a page).
func newGrowth(maxMemory uint64) *growth {
	if maxMemory < PageSize {
		return nil
	}
	return &growth{limit: maxMemory / PageSize * PageSize}
}

// watch wraps a, the instance's memory allocator, to record refusals; a nil
// g returns a as it is.
func (g *growth) watch(a experimental.MemoryAllocator) experimental.MemoryAllocator {
	if g == nil {
		return a
	}
	return experimental.MemoryAllocatorFunc(func(capBytes, maxBytes uint64) experimental.LinearMemory {
		return &watchedMemory{LinearMemory: a.Allocate(capBytes, maxBytes), g: g}
	})
}

// watchedMemory is a LinearMemory that tells its growth about refusals.
type watchedMemory struct {
	experimental.LinearMemory
	g *growth
}

// Reallocate implements experimental.LinearMemory.
func (m *watchedMemory) Reallocate(size uint64) []byte {
	b := m.LinearMemory.Reallocate(size)
	if b == nil && m.g.limit > 0 && size > m.g.limit {
		m.g.refused = size
	}
	return b
}

// memoryError returns the *LimitError of a call that failed (with err,
// already converted) after a growth was refused at the memory limit, or
// err. Timeouts, cancellations and other limits keep their own errors.
func (i *Instance) memoryError(function string, err error) error {
	if i.grow == nil || i.grow.refused == 0 || err == nil {
		return err
	}
	switch err.(type) {
	case *TrapError, *ExitError:
		return &LimitError{Module: i.module.name, Function: function, Limit: MemoryLimit, Max: i.grow.limit, Got: i.grow.refused}
	}
	return err
}
