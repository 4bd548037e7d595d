//go:build !wasip1

package httpclient

// Outside a WebAssembly guest the host import does not exist: the package
// compiles (for tools, docs and vet) but Do panics.

func hostRequest(req uint64) uint64 {
	panic("pdk/httpclient: only available in a WebAssembly guest (GOOS=wasip1 GOARCH=wasm)")
}
