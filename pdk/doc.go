// Package pdk is the Go plugin development kit for wasmhive: the guest side
// of the Extism-compatible library ABI.
//
// A plugin is a Go package built as a WASI reactor:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o plugin.wasm .
//
// Each export is a function without parameters returning int32 (0 for
// success), marked with //go:wasmexport:
//
//	//go:wasmexport greet
//	func greet() int32 {
//		name := pdk.InputString()
//		if name == "" {
//			return pdk.Return(errors.New("no name"))
//		}
//		pdk.OutputString("Hello, " + name + "!")
//		return 0
//	}
//
//	func main() {}
//
// The package talks to the host only through the "extism:host/env" imports
// that every Extism host provides (input, output, error, memory blocks,
// config, vars, logging, HTTP), so a plugin built with it runs unchanged on
// wasmhive and on Extism's own SDKs. The Go runtime is started by the
// reactor's _initialize export, which hosts call once before the first export.
//
// Building with -tags wasmhive_bulk makes Input, Output and Memory copies use
// wasmhive's bulk-copy imports (one host call per copy instead of one per 8
// bytes). Such a plugin runs only on wasmhive; the default build runs
// everywhere.
//
// Outside GOOS=wasip1 the package compiles but its functions panic.
package pdk
