//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package engine

import "golang.org/x/sys/unix"

const mapNoReserve = 0

// discard gives the physical pages of [0, n) back to the OS and leaves
// fresh zero pages there, readable and writable: a fixed mapping over a
// range replaces it atomically (MADV_DONTNEED does not promise zeroes
// outside Linux).
func (r *region) discard(n uintptr) {
	if n > 0 {
		_, _ = unix.MmapPtr(-1, 0, r.base, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON|unix.MAP_FIXED)
	}
	r.resident = 0
}
