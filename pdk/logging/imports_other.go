//go:build !wasip1

package logging

// Outside a WebAssembly guest the host import does not exist: the package
// compiles (for tools, docs and vet) but its functions panic.

func hostLog(level, context, message uint64) uint64 {
	panic("pdk/logging: only available in a WebAssembly guest (GOOS=wasip1 GOARCH=wasm)")
}
