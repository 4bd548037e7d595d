//go:build wasmhive_bulk && wasip1

package pdk

import (
	"runtime"
	"unsafe"
)

// With -tags wasmhive_bulk, copies between this module's memory and the
// host's go through wasmhive's "wasmhive:host/bulk" imports: one host call
// per copy, whatever its size. Guest pointers travel as i64. See the package
// doc of github.com/wasmhive/wasmhive/abi/extism for the contract.

//go:wasmimport wasmhive:host/bulk read
func bulkRead(h, ptr, n uint64)

//go:wasmimport wasmhive:host/bulk write
func bulkWrite(h, ptr, n uint64)

//go:wasmimport wasmhive:host/bulk input_read
func bulkInputRead(ptr, n uint64) uint64

//go:wasmimport wasmhive:host/bulk output_write
func bulkOutputWrite(ptr, n uint64)

// addr returns the linear-memory address of b's first byte (0 when empty).
// The callers keep b alive across the host call; Go's heap does not move.
func addr(b []byte) uint64 {
	if len(b) == 0 {
		return 0
	}
	return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
}

// readInput fills dst with the call's input, starting at input byte 0.
func readInput(dst []byte) {
	n := bulkInputRead(addr(dst), uint64(len(dst)))
	runtime.KeepAlive(dst)
	if n != uint64(len(dst)) {
		panic("pdk: host returned a short input")
	}
}

// load fills dst from host memory starting at offset.
func load(offset uint64, dst []byte) {
	bulkRead(offset, addr(dst), uint64(len(dst)))
	runtime.KeepAlive(dst)
}

// store copies src into host memory starting at offset.
func store(offset uint64, src []byte) {
	bulkWrite(offset, addr(src), uint64(len(src)))
	runtime.KeepAlive(src)
}

// setOutput makes a copy of b the call's output, in one host call.
func setOutput(b []byte) {
	bulkOutputWrite(addr(b), uint64(len(b)))
	runtime.KeepAlive(b)
}

// Bulk reports whether this build copies data through wasmhive's bulk-copy
// imports (-tags wasmhive_bulk); such a plugin runs only on wasmhive.
const Bulk = true
