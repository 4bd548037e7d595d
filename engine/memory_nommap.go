//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package engine

import "errors"

// maxReservation is 0: without mmap every memory is a Go slice.
const maxReservation = 0

var errNoReservation = errors.New("no address reservation on this OS")

func reserve(uintptr) (*region, error) { return nil, errNoReservation }

func (r *region) commit(uintptr) error { return errNoReservation }

func (r *region) unmap() {}

func (r *region) discard(uintptr) {}
