//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package engine

import (
	"errors"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// maxReservation is the largest memory reserved as a range of addresses:
// WebAssembly's 4 GiB on a 64-bit host; a 32-bit host has only 4 GiB of
// addresses in all, so larger memories fall back to Go slices there.
const maxReservation = 1<<30 + uint64(^uintptr(0)>>63)*(1<<32-1<<30)

var errPageSize = errors.New("host pages larger than WebAssembly pages")

// reserve maps n bytes of inaccessible addresses: no physical memory and
// (PROT_NONE, MAP_NORESERVE) no commit charge until committed.
func reserve(n uintptr) (*region, error) {
	if os.Getpagesize() > PageSize {
		// Commits are in WebAssembly pages; they must be whole host pages.
		return nil, errPageSize
	}
	p, err := unix.MmapPtr(-1, 0, nil, n, unix.PROT_NONE, unix.MAP_PRIVATE|unix.MAP_ANON|mapNoReserve)
	if err != nil {
		return nil, err
	}
	return &region{base: p, reserved: n}, nil
}

// commit makes [0, n) readable and writable; the new pages are zero and
// cost nothing until touched.
func (r *region) commit(n uintptr) error {
	b := unsafe.Slice((*byte)(unsafe.Add(r.base, r.committed)), n-r.committed)
	if err := unix.Mprotect(b, unix.PROT_READ|unix.PROT_WRITE); err != nil {
		return err
	}
	r.committed = n
	return nil
}

// unmap gives the whole range back to the OS.
func (r *region) unmap() {
	if r.base != nil {
		_ = unix.MunmapPtr(r.base, r.reserved)
		r.base = nil
	}
}
