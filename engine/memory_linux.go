package engine

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// mapNoReserve keeps a reservation out of the commit charge: the kernel
// accounts a page when it is made writable.
const mapNoReserve = unix.MAP_NORESERVE

// discard gives the physical pages of [0, n) back to the OS. The range
// stays mapped and readable and writable; on Linux, a private anonymous
// page read after MADV_DONTNEED is a fresh zero page.
func (r *region) discard(n uintptr) {
	if n > 0 {
		_ = unix.Madvise(unsafe.Slice((*byte)(r.base), n), unix.MADV_DONTNEED)
	}
	r.resident = 0
}
