package engine

import "github.com/wasmhive/wasmhive/wasmbin"

// precheck decodes a core module's structure with wasmbin before wazero
// sees it. wazero v1.12 preallocates from counts it reads (vector lengths,
// name lengths, data segment sizes, local counts) before checking them
// against the bytes that remain, so 13 hostile bytes can make it allocate
// gigabytes and bring the whole process down (found by FuzzCompile).
// wasmbin bounds every count by the input's size and function locals by
// wasmbin.MaxFunctionLocals, and reports a *wasmbin.FormatError with the
// byte offset of the problem.
func precheck(wasm []byte) error {
	_, err := wasmbin.ParseModule(wasm)
	return err
}
