package inspect_test

import (
	"fmt"
	"os"

	"github.com/wasmhive/wasmhive/inspect"
)

// Describe an Extism-style plugin for people.
func ExampleFile() {
	r, err := inspect.File("../testdata/guests/inspect/library.wasm")
	if err != nil {
		fmt.Println(err)
		return
	}
	r.WriteText(os.Stdout)
	// Output:
	// file     ../testdata/guests/inspect/library.wasm
	// size     130 bytes
	// kind     core module
	// pattern  library (imports extism:host/env)
	// wasi     none
	//
	// imports (2)
	//   extism:host/env
	//     func  input_length  () -> (i64)
	//     func  output_set    (i64, i64)
	//
	// exports (2)
	//   memory  memory  memory 0
	//   func    greet   () -> (i32)
	//
	// memories (1)
	//   0  defined  1+ pages (64 KiB+)  exported as memory
}

// Decide how to run a module from its bytes.
func ExampleInspect() {
	b, err := os.ReadFile("../testdata/guests/inspect/unstable.wasm")
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := inspect.Inspect(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Pattern, r.PatternReason)
	fmt.Println("WASI", r.WASI)
	for _, g := range r.Imports {
		for _, it := range g.Items {
			fmt.Printf("needs %s.%s%s\n", g.Module, it.Name, it.Signature)
		}
	}
	// Output:
	// command exports _start
	// WASI preview0/unstable
	// needs wasi_unstable.fd_write(i32, i32, i32, i32) -> (i32)
}
