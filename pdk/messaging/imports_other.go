//go:build !wasip1

package messaging

// Outside a WebAssembly guest the host imports do not exist: the package
// compiles (for tools, docs and vet) but its functions panic.

const notWasm = "pdk/messaging: only available in a WebAssembly guest (GOOS=wasip1 GOARCH=wasm)"

func hostPublish(subject, body uint64) uint64          { panic(notWasm) }
func hostRequest(subject, body, timeout uint64) uint64 { panic(notWasm) }
