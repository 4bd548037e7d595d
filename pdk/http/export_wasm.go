//go:build wasip1

package pdkhttp

import (
	"runtime"
	"unsafe"

	"github.com/wasmhive/wasmhive/pdk"
)

// Handler modules run only on wasmhive (handle_http is its convention), so
// this package always moves the request and the response with wasmhive's
// bulk-copy imports, one host call each, whatever the pdk package's build
// tags (the plain pdk build keeps to the Extism ABI's 8-byte copies). See
// the package doc of github.com/wasmhive/wasmhive/abi/extism.

//go:wasmimport wasmhive:host/bulk input_read
func hostInputRead(ptr, n uint64) uint64

//go:wasmimport wasmhive:host/bulk output_write
func hostOutputWrite(ptr, n uint64)

//go:wasmimport extism:host/env input_length
func hostInputLength() uint64

// Requests are read into chunks of chunkSize bytes, one after the other, so
// that most requests cost no allocation. A request's strings alias its
// bytes and stay valid after the handler returns (Request's contract), so a
// chunk is never overwritten: when less than minFree bytes are left, the
// next request starts a new chunk, and the old one lives on as long as a
// string points into it.
const (
	chunkSize = 8 << 10
	minFree   = 1 << 10
)

// chunk is the current chunk, its bytes from used on free. The offset is
// kept apart from the slice so that the common path stores no pointer
// (each pointer store costs a write-barrier check, a jump in a Go guest).
var (
	chunk []byte
	used  int
)

// readRequest returns the call's input, in one host call when it fits in
// the current chunk.
func readRequest() []byte {
	if len(chunk)-used < minFree {
		newChunk() // a call: the compiler lays it off the straight path
	}
	free := chunk[used:]
	n := hostInputRead(uint64(uintptr(unsafe.Pointer(unsafe.SliceData(free)))), uint64(len(free)))
	if n == uint64(len(free)) {
		return readLarge(n)
	}
	used += int(n)
	return free[:n:n]
}

//go:noinline
func newChunk() {
	chunk, used = make([]byte, chunkSize), 0
}

// readLarge returns an input that filled the chunk's free space: the input
// again, in a buffer of its own when it is larger.
//
//go:noinline
func readLarge(n uint64) []byte {
	if total := hostInputLength(); total > n {
		b := make([]byte, total)
		if hostInputRead(addr(b), total) != total {
			panic("pdkhttp: host returned a short input")
		}
		runtime.KeepAlive(b)
		return b
	}
	free := chunk[used:]
	used = len(chunk)
	return free[:n:n]
}

// addr returns the linear-memory address of b's first byte (0 when empty).
func addr(b []byte) uint64 {
	if len(b) == 0 {
		return 0
	}
	return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
}

// handleHTTP is the export the HTTP trigger calls: the input is an encoded
// httpwire.Request, the output an encoded httpwire.Response.
//
//go:wasmexport handle_http
func handleHTTP() int32 {
	out, err := serve(handler, readRequest())
	if err != nil {
		return pdk.Return(err)
	}
	hostOutputWrite(addr(out), uint64(len(out)))
	runtime.KeepAlive(out)
	return 0
}
