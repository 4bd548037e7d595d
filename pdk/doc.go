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
// reactor's _initialize export, which hosts call once before the first
// export. Go plugins import WASI, so Extism hosts must enable it (the Go
// SDK's PluginConfig.EnableWasi); wasmhive always provides it.
//
// # Performance
//
// The Extism ABI moves at most 8 bytes per host call, so copying a large
// input or output costs one host call per 8 bytes. Building with
// -tags wasmhive_bulk makes every copy (Input, Output, Memory, keys and
// values) one host call through wasmhive's "wasmhive:host/bulk" imports:
// 64 KiB in and out go over 30 times faster, and a small call needs about
// half the host calls. Such a plugin runs only on wasmhive; the default build
// runs on every Extism host. Bulk reports which build is in use.
//
// Allocating in a wasm guest is slow (Go's allocator and collector run as
// wasm), so for large inputs read into a buffer kept across calls with
// AppendInput rather than allocating a new one with Input.
//
// Outside GOOS=wasip1 the package compiles but its functions panic.
package pdk
