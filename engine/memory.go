package engine

import (
	"reflect"
	"runtime"
	"sync"
	"unsafe"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// Linear memory. Every instance's memory comes from an allocator (a wazero
// MemoryAllocator handed to the engine through the instantiation context).
// Where the OS allows it (memory_mmap.go), a memory is a reserved range of
// virtual addresses as large as the instance may ever grow (its cap, or
// the module's declared maximum, or 4 GiB), made readable and writable a
// part at a time as the guest grows it: growing copies nothing and the
// base never moves, the host only spends physical memory on the pages the
// guest touches, and closing the instance gives the range back to the OS.
// wazero's compiled code checks every access against the memory's length,
// so the reservation needs no guard pages. Elsewhere (or when the
// reservation fails, e.g. under a small RLIMIT_AS) a memory is a Go slice
// that grows by copying, as wazero's own.
//
// Safety of giving memory back: a mapped range must never be unmapped
// while guest code or a host function could still touch it. Instance.Close
// is only called once no call is running (an Instance serves one call at a
// time, and callers close it after its calls), so a memory closed that way
// is unmapped, or recycled, at once. A memory closed any other way (the
// Runtime closing while calls run, a deadline closing the module) gives its
// pages back at once but keeps its addresses mapped (as zero pages) until
// wazero's memory object is unreachable, which is when nothing can reach
// the addresses any more.

// memKey finds an instance's allocator, so that Close can tell it that no
// call is running.
var memKey = NewKey[*allocator]("memory")

// memoryAllocator returns the allocator of one instantiation from cfg and
// attaches it to the instances made from cfg.
func (rt *Runtime) memoryAllocator(cfg *InstanceConfig) *allocator {
	a := &allocator{limit: cfg.MaxMemory / PageSize * PageSize}
	if cfg.RecycleMemory {
		a.pool = &rt.mem
	}
	memKey.Set(cfg, a)
	return a
}

// allocator is the wazero MemoryAllocator of one instantiation: it caps
// growth at limit (InstanceConfig.MaxMemory) and, with a pool, recycles
// memories (InstanceConfig.RecycleMemory).
type allocator struct {
	pool  *memoryPool   // nil: not recycled
	limit uint64        // 0: the module's own maximum
	mem   *mappedMemory // the memory Allocate made, when mapped
}

// Allocate implements experimental.MemoryAllocator. wazero calls it for the
// memory the module defines (not for an imported one), before Reallocate
// with the declared minimum.
func (a *allocator) Allocate(capBytes, maxBytes uint64) experimental.LinearMemory {
	if a.limit > 0 && a.limit < maxBytes {
		maxBytes = a.limit
	}
	if m := newMappedMemory(a.pool, maxBytes); m != nil {
		a.mem = m
		return m
	}
	return &sliceMemory{pool: a.pool, want: min(capBytes, maxBytes), max: maxBytes}
}

// watch ties the lifetime of a's mapped memory to wazero's memory object of
// mod, for memories closed while a call may still run in them.
func (a *allocator) watch(mod api.Module) {
	if a.mem == nil {
		return
	}
	mem := mod.Memory()
	if mem == nil {
		return
	}
	v := reflect.ValueOf(mem)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return
	}
	a.mem.mu.Lock()
	a.mem.watched = true
	a.mem.mu.Unlock()
	runtime.AddCleanup((*byte)(v.UnsafePointer()), (*mappedMemory).unreachable, a.mem)
}

// closing tells inst's memory that it is being closed by Instance.Close,
// so no call can be running in it.
func closingMemory(inst *Instance) {
	if a, ok := memKey.Of(inst); ok && a.mem != nil {
		a.mem.mu.Lock()
		a.mem.owner = true
		a.mem.mu.Unlock()
	}
}

// mappedMemory is one instance's linear memory in a reserved range of
// addresses. Its methods may be called from different goroutines (the
// guest's for Reallocate, the closer's for Free, the runtime's cleanup).
type mappedMemory struct {
	mu      sync.Mutex
	pool    *memoryPool // nil: unmapped when freed
	r       *region     // nil once freed
	orphan  *region     // freed while a call might run: unmapped by unreachable
	used    uintptr     // the largest length handed out
	owner   bool        // Instance.Close is closing it
	watched bool        // unreachable will run
}

// newMappedMemory reserves a memory that may grow to maxBytes, from pool
// when it has one, or returns nil when the OS cannot (the caller then
// falls back to a Go slice).
func newMappedMemory(pool *memoryPool, maxBytes uint64) *mappedMemory {
	if maxBytes == 0 || maxBytes > maxReservation {
		return nil
	}
	r := pool.take(uintptr(maxBytes))
	if r == nil {
		var err error
		if r, err = reserve(uintptr(maxBytes)); err != nil {
			return nil
		}
	}
	return &mappedMemory{pool: pool, r: r}
}

// Reallocate implements experimental.LinearMemory: it returns the memory's
// first size bytes (the same base every time), committing pages as
// needed, or nil when size is past the maximum or the OS refuses the pages
// (memory.grow then returns -1 to the guest).
func (m *mappedMemory) Reallocate(size uint64) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.r
	if r == nil || size > uint64(r.reserved) {
		return nil
	}
	n := uintptr(size)
	if n > r.committed {
		if err := r.commit(n); err != nil {
			return nil
		}
	}
	m.used = max(m.used, n)
	return unsafe.Slice((*byte)(r.base), n)
}

// Free implements experimental.LinearMemory: wazero calls it once, when
// the module is closed.
func (m *mappedMemory) Free() {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.r
	if r == nil {
		return
	}
	m.r = nil
	if m.owner || !m.watched {
		// No guest code can run in it: closed by Instance.Close, or
		// before instantiation finished.
		m.pool.put(r, m.used)
		return
	}
	// A call might still be running in it: give the pages back but keep
	// the addresses valid until nothing can reach them.
	r.discard(r.committed)
	m.orphan = r
}

// unreachable runs once wazero's memory object is garbage: no code can
// reach the range any more.
func (m *mappedMemory) unreachable() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range []*region{m.r, m.orphan} {
		if r != nil {
			r.unmap()
		}
	}
	m.r, m.orphan = nil, nil
}

// memoryPool recycles the linear memories of short-lived instances
// (InstanceConfig.RecycleMemory: WAGI runs a fresh instance per request).
// A mapped memory goes back to the pool zeroed: its used part cleared in
// place while the pool's resident pages stay within a budget, otherwise
// given back to the OS, which hands out zero pages when it is touched
// again. Either way the next instance reuses the reservation and its
// committed pages without a system call. The pool keeps at most
// maxPooledRegions ranges, and unmaps what does not fit.
//
// Invariant: a pooled range is zero over its committed part, so an
// instance never sees another request's data.
type memoryPool struct {
	mu       sync.Mutex
	free     map[uintptr][]*region // by reserved size
	count    int                   // ranges in free
	resident uintptr               // bytes the ranges in free keep resident
	closed   bool

	slices sync.Map // capacity (int) -> *sync.Pool of *[]byte with len 0 (the slice fallback)
}

const (
	// maxPooledRegions bounds the ranges a pool keeps (virtual space
	// only, beyond the resident budget).
	maxPooledRegions = 64
	// maxPooledResident bounds the zeroed pages a pool keeps resident:
	// clearing a used part in place is 20-70x faster than letting the OS
	// zero it page by page on the next touch (bench/README.md), but the
	// pages stay the host's.
	maxPooledResident = 32 << 20
	// maxPooledMemory is the largest slice kept for reuse by the slice
	// fallback; larger ones go back to the garbage collector.
	maxPooledMemory = 16 << 20
)

// take returns a pooled range of reserved bytes, or nil.
func (p *memoryPool) take(reserved uintptr) *region {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	rs := p.free[reserved]
	if len(rs) == 0 {
		return nil
	}
	r := rs[len(rs)-1]
	rs[len(rs)-1] = nil
	p.free[reserved] = rs[:len(rs)-1]
	p.count--
	p.resident -= r.resident
	return r
}

// put zeroes the first used bytes of r and keeps it, or unmaps it.
func (p *memoryPool) put(r *region, used uintptr) {
	if p == nil {
		r.unmap()
		return
	}
	p.mu.Lock()
	if p.closed || p.count >= maxPooledRegions {
		p.mu.Unlock()
		r.unmap()
		return
	}
	// Reserve the slot and decide how to zero under the lock; zero
	// outside it.
	p.count++
	keep := max(r.resident, used)
	inPlace := p.resident+keep <= maxPooledResident
	if inPlace {
		p.resident += keep
	}
	p.mu.Unlock()
	if inPlace {
		clear(unsafe.Slice((*byte)(r.base), used))
		r.resident = keep
	} else {
		r.discard(r.committed)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		p.count--
		p.resident -= r.resident
		r.unmap()
		return
	}
	if p.free == nil {
		p.free = map[uintptr][]*region{}
	}
	p.free[r.reserved] = append(p.free[r.reserved], r)
}

// close unmaps the pooled ranges; later puts unmap at once.
func (p *memoryPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for size, rs := range p.free {
		for _, r := range rs {
			r.unmap()
		}
		delete(p.free, size)
	}
	p.count, p.resident = 0, 0
}

// region is a reserved range of addresses: [0, committed) readable and
// writable, the rest inaccessible.
type region struct {
	base      unsafe.Pointer
	reserved  uintptr
	committed uintptr
	resident  uintptr // in a pool: bytes that may be resident (all zero)
}

// sliceMemory is the fallback linear memory: a Go slice, grown by copying.
type sliceMemory struct {
	pool      *memoryPool
	buf       []byte
	want, max uint64
}

// Reallocate implements experimental.LinearMemory: it returns a buffer of
// size bytes whose first len(previous) bytes are the previous contents and
// whose other bytes are zero, or nil past the maximum.
func (m *sliceMemory) Reallocate(size uint64) []byte {
	if size > m.max && m.buf != nil {
		// Growth past the cap fails (memory.grow returns -1). The first
		// call is the module's declared minimum, which instantiate has
		// already checked against the cap for every memory it can see.
		return nil
	}
	if size > maxSlice {
		return nil
	}
	if m.buf == nil {
		m.buf = m.pool.getSlice(int(max(size, m.want)))
	}
	if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size]
		return m.buf
	}
	grown := make([]byte, size, max(size, min(2*uint64(cap(m.buf)), m.max)))
	copy(grown, m.buf)
	m.pool.putSlice(m.buf)
	m.buf = grown
	return grown
}

// Free implements experimental.LinearMemory.
func (m *sliceMemory) Free() {
	if m.buf != nil {
		m.pool.putSlice(m.buf)
		m.buf = nil
	}
}

// maxSlice is the largest slice the fallback makes (a 32-bit host cannot
// make a 4 GiB one).
const maxSlice = uint64(^uint(0) >> 1)

func (p *memoryPool) getSlice(capBytes int) []byte {
	if p == nil {
		return make([]byte, 0, capBytes)
	}
	if v, ok := p.slices.Load(capBytes); ok {
		if b, ok := v.(*sync.Pool).Get().(*[]byte); ok {
			return (*b)[:0]
		}
	}
	return make([]byte, 0, capBytes)
}

// putSlice zeroes the used part of b and keeps it for reuse.
func (p *memoryPool) putSlice(b []byte) {
	if p == nil || cap(b) > maxPooledMemory || cap(b) == 0 {
		return
	}
	clear(b)
	v, ok := p.slices.Load(cap(b))
	if !ok {
		v, _ = p.slices.LoadOrStore(cap(b), &sync.Pool{})
	}
	b = b[:0]
	v.(*sync.Pool).Put(&b)
}

// minPages returns the largest declared minimum of m's memories, imported
// or defined, in pages.
func (m *Module) minPages() uint32 { return m.minMem }
