//go:build linux

package engine

import (
	"fmt"
	"testing"
	"unsafe"
)

// touch writes a byte in every 4 KiB page of [0, n) of r, as a guest that
// uses its memory would.
func touch(r *region, n uintptr) {
	b := unsafe.Slice((*byte)(r.base), n)
	for i := uintptr(0); i < n; i += 4096 {
		b[i] = 1
	}
}

// BenchmarkRecycleStrategy measures one request's memory cycle (get a
// memory, commit and touch n bytes, give it back) for each way of giving
// it back: unmap (a fresh reservation per request), discard
// (MADV_DONTNEED, the reservation reused), clear (zeroed in place, pages
// stay resident).
func BenchmarkRecycleStrategy(b *testing.B) {
	const reserved = 64 << 20
	for _, n := range []uintptr{128 << 10, 1 << 20, 4 << 20, 16 << 20} {
		b.Run(fmt.Sprintf("%dKiB/unmap", n>>10), func(b *testing.B) {
			for b.Loop() {
				r, err := reserve(reserved)
				if err != nil {
					b.Fatal(err)
				}
				if err := r.commit(n); err != nil {
					b.Fatal(err)
				}
				touch(r, n)
				r.unmap()
			}
		})
		b.Run(fmt.Sprintf("%dKiB/discard", n>>10), func(b *testing.B) {
			r, err := reserve(reserved)
			if err != nil {
				b.Fatal(err)
			}
			defer r.unmap()
			for b.Loop() {
				if n > r.committed {
					if err := r.commit(n); err != nil {
						b.Fatal(err)
					}
				}
				touch(r, n)
				r.discard(n)
			}
		})
		b.Run(fmt.Sprintf("%dKiB/clear", n>>10), func(b *testing.B) {
			r, err := reserve(reserved)
			if err != nil {
				b.Fatal(err)
			}
			defer r.unmap()
			for b.Loop() {
				if n > r.committed {
					if err := r.commit(n); err != nil {
						b.Fatal(err)
					}
				}
				touch(r, n)
				clear(unsafe.Slice((*byte)(r.base), n))
			}
		})
	}
}

// zero reports whether [0, n) of r is all zero.
func zero(r *region, n uintptr) bool {
	for _, c := range unsafe.Slice((*byte)(r.base), n) {
		if c != 0 {
			return false
		}
	}
	return true
}

func dirty(r *region, n uintptr) {
	b := unsafe.Slice((*byte)(r.base), n)
	for i := range b {
		b[i] = 0xAA
	}
}

// TestMappedMemory: growth keeps the base and the contents, stops at the
// reservation (nil: memory.grow returns -1), a smaller size is a shorter
// view, and nothing is handed out after Free.
func TestMappedMemory(t *testing.T) {
	m := newMappedMemory(nil, 4*PageSize)
	if m == nil {
		t.Fatal("no mapped memory on linux")
	}
	b1 := m.Reallocate(PageSize)
	if len(b1) != PageSize || cap(b1) != PageSize {
		t.Fatalf("len %d cap %d", len(b1), cap(b1))
	}
	b1[PageSize-1] = 7
	b3 := m.Reallocate(3 * PageSize)
	if len(b3) != 3*PageSize || &b3[0] != &b1[0] || b3[PageSize-1] != 7 || b3[3*PageSize-1] != 0 {
		t.Fatalf("growth moved or lost the memory")
	}
	if b := m.Reallocate(2 * PageSize); len(b) != 2*PageSize || &b[0] != &b1[0] {
		t.Fatalf("smaller size: len %d", len(b))
	}
	if m.Reallocate(5*PageSize) != nil {
		t.Fatal("growth past the reservation succeeded")
	}
	if b := m.Reallocate(4 * PageSize); len(b) != 4*PageSize {
		t.Fatal("growth to the reservation failed")
	}
	m.Free()
	m.Free()
	if m.Reallocate(PageSize) != nil {
		t.Fatal("memory handed out after Free")
	}
	if newMappedMemory(nil, 0) != nil || newMappedMemory(nil, maxReservation+PageSize) != nil {
		t.Fatal("reserved an empty or oversized memory")
	}
	// A zero minimum is an empty memory, not a failure.
	m = newMappedMemory(nil, PageSize)
	if b := m.Reallocate(0); b == nil || len(b) != 0 {
		t.Fatalf("Reallocate(0) = %v", b)
	}
	m.Free()
}

// TestMemoryPool: a recycled range is zero over what was used, whether
// cleared in place (within the resident budget) or given back to the OS;
// the pool keeps at most maxPooledRegions; close unmaps everything and
// later ranges are unmapped at once.
func TestMemoryPool(t *testing.T) {
	var p memoryPool
	const reserved = 64 << 20
	get := func() *region {
		r := p.take(reserved)
		if r == nil {
			var err error
			if r, err = reserve(reserved); err != nil {
				t.Fatal(err)
			}
		}
		return r
	}
	for _, used := range []uintptr{256 << 10, 40 << 20} {
		r := get()
		if err := r.commit(used); err != nil {
			t.Fatal(err)
		}
		dirty(r, used)
		p.put(r, used)
		inPlace := used <= maxPooledResident
		if (r.resident != 0) != inPlace || p.resident != r.resident {
			t.Errorf("used %d: resident %d, pool %d; want in place %v", used, r.resident, p.resident, inPlace)
		}
		if again := p.take(reserved); again != r {
			t.Fatalf("used %d: the pool did not give the range back", used)
		}
		if !zero(r, r.committed) {
			t.Fatalf("used %d: recycled range is not zero", used)
		}
		p.put(r, 0)
	}
	if p.count != 1 {
		t.Fatalf("count %d", p.count)
	}
	var rs []*region
	for range maxPooledRegions + 5 {
		// Small ranges: 69 of 64 MiB do not fit a 32-bit address space.
		r, err := reserve(1 << 20)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	for _, r := range rs {
		p.put(r, 0)
	}
	unmapped := 0
	for _, r := range rs {
		if r.base == nil {
			unmapped++
		}
	}
	if p.count != maxPooledRegions || unmapped != 6 {
		t.Errorf("pool holds %d, unmapped %d", p.count, unmapped)
	}
	p.close()
	if p.count != 0 || p.resident != 0 || p.take(reserved) != nil {
		t.Errorf("after close: count %d, resident %d", p.count, p.resident)
	}
	for _, r := range rs {
		if r.base != nil {
			t.Fatal("close left a range mapped")
		}
	}
	r, err := reserve(reserved)
	if err != nil {
		t.Fatal(err)
	}
	p.put(r, 0)
	if r.base != nil {
		t.Error("put after close kept the range")
	}
}
