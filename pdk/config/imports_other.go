//go:build !wasip1

package config

// Outside a WebAssembly guest the host imports do not exist: the package
// compiles (for tools, docs and vet) but its functions panic.

const notWasm = "pdk/config: only available in a WebAssembly guest (GOOS=wasip1 GOARCH=wasm)"

func hostGet(key uint64) uint64 { panic(notWasm) }
func hostGetAll() uint64        { panic(notWasm) }
