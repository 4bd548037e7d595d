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

var chunk []byte // the free part of the current chunk (len 0)

// readRequest returns the call's input, in one host call when it fits in
// the current chunk.
func readRequest() []byte {
	if cap(chunk) < minFree {
		chunk = make([]byte, 0, chunkSize)
	}
	free := chunk[:cap(chunk)]
	n := hostInputRead(addr(free), uint64(len(free)))
	runtime.KeepAlive(free)
	if n == uint64(len(free)) {
		if total := hostInputLength(); total > n {
			// Larger than the chunk's free space: a buffer of its own.
			b := make([]byte, total)
			if hostInputRead(addr(b), total) != total {
				panic("pdkhttp: host returned a short input")
			}
			runtime.KeepAlive(b)
			return b
		}
	}
	chunk = free[n:n]
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
	out, err := Serve(handler, readRequest())
	if err != nil {
		return pdk.Return(err)
	}
	hostOutputWrite(addr(out), uint64(len(out)))
	runtime.KeepAlive(out)
	return 0
}
