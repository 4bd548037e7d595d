//go:build wasip1

package pdkhttp

import "unsafe"

// canonCache remembers the canonical form of the header names Set and Add
// were given, keyed by the name's string data: handlers mostly pass string
// constants, so the same pointer comes back on every request. A hit costs no
// loop, where CanonicalName costs one iteration per byte, and in a guest run
// by an interruptible host (wazero checks for interruption at every loop
// header) iterations are dear. Holding the string keeps its data alive, so
// an equal pointer and length mean equal contents (strings are immutable).
// A module is single-threaded, and the lookup makes no call at which another
// goroutine could run.
var canonCache [32]struct{ in, out string }

// canonical returns CanonicalName(name), from canonCache when it can.
func canonical(name string) string {
	p := unsafe.StringData(name)
	e := &canonCache[(uintptr(unsafe.Pointer(p))>>3^uintptr(len(name)))%uintptr(len(canonCache))]
	if unsafe.StringData(e.in) == p && len(e.in) == len(name) {
		return e.out
	}
	c := CanonicalName(name)
	e.in, e.out = name, c
	return c
}
