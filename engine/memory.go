package engine

import (
	"sync"

	"github.com/tetratelabs/wazero/experimental"
)

// memoryPool recycles the linear memories of short-lived instances
// (InstanceConfig.RecycleMemory: WAGI runs a fresh instance per request). Without it, every request allocates
// its module's whole initial memory (128 KiB for a small C program) and the
// garbage collector runs hundreds of times a second; with it, a request
// re-zeroes a recycled buffer instead. It is a wazero MemoryAllocator, handed
// to the engine through the instantiation context.
//
// Invariant: a pooled buffer is zero up to its capacity (Free zeroes the
// bytes the instance could have written), so an instance never sees another
// request's data.
type memoryPool struct {
	pools sync.Map // capacity (int) -> *sync.Pool of *[]byte with len 0
}

// maxPooledMemory is the largest buffer kept for reuse; larger ones go back
// to the garbage collector.
const maxPooledMemory = 16 << 20

// allocator is the wazero MemoryAllocator of one instance: it caps growth at
// limit (InstanceConfig.MaxMemory) and, with a pool, recycles buffers.
type allocator struct {
	pool  *memoryPool // nil: plain Go slices
	limit uint64      // 0: the module's own maximum
}

// Allocate implements experimental.MemoryAllocator.
func (a allocator) Allocate(capBytes, maxBytes uint64) experimental.LinearMemory {
	if a.limit > 0 && a.limit < maxBytes {
		maxBytes = a.limit
	}
	return &pooledMemory{pool: a.pool, want: min(capBytes, maxBytes), max: maxBytes}
}

func (p *memoryPool) get(capBytes int) []byte {
	if p == nil {
		return make([]byte, 0, capBytes)
	}
	if v, ok := p.pools.Load(capBytes); ok {
		if b, ok := v.(*sync.Pool).Get().(*[]byte); ok {
			return (*b)[:0]
		}
	}
	return make([]byte, 0, capBytes)
}

// put zeroes the used part of b and keeps it for reuse.
func (p *memoryPool) put(b []byte) {
	if p == nil || cap(b) > maxPooledMemory || cap(b) == 0 {
		return
	}
	clear(b)
	v, ok := p.pools.Load(cap(b))
	if !ok {
		v, _ = p.pools.LoadOrStore(cap(b), &sync.Pool{})
	}
	b = b[:0]
	v.(*sync.Pool).Put(&b)
}

// pooledMemory is one instance's linear memory.
type pooledMemory struct {
	pool      *memoryPool
	buf       []byte
	want, max uint64
}

// Reallocate implements experimental.LinearMemory: it returns a buffer of
// size bytes whose first len(previous) bytes are the previous contents and
// whose other bytes are zero, or nil past the maximum.
func (m *pooledMemory) Reallocate(size uint64) []byte {
	if size > m.max && m.buf != nil {
		// Growth past the cap fails (memory.grow returns -1). The first
		// call is the module's declared minimum, which instantiate has
		// already checked against the cap for every memory it can see.
		return nil
	}
	if m.buf == nil {
		m.buf = m.pool.get(int(max(size, m.want)))
	}
	if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size]
		return m.buf
	}
	grown := make([]byte, size, max(size, min(2*uint64(cap(m.buf)), m.max)))
	copy(grown, m.buf)
	m.pool.put(m.buf)
	m.buf = grown
	return grown
}

// Free implements experimental.LinearMemory: wazero calls it once, when the
// instance is closed and its code can no longer run.
func (m *pooledMemory) Free() {
	if m.buf != nil {
		m.pool.put(m.buf)
		m.buf = nil
	}
}

// minPages returns the largest declared minimum of m's memories, imported
// or defined, in pages.
func (m *Module) minPages() uint32 { return m.minMem }
