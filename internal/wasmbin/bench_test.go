package wasmbin_test

import (
	"context"
	"os"
	"testing"

	"github.com/tetratelabs/wazero"

	"github.com/wasmhive/wasmhive/internal/testguest"
	"github.com/wasmhive/wasmhive/internal/wasmbin"
)

// BenchmarkParse measures wasmbin.ParseModule (which engine.Compile runs
// before wazero as a precheck) on a Go-built command (~2 MB) against the
// baseline of what follows it: wazero's CompileModule with the compiler (what
// engine.Compile does without a cache) and with the interpreter (decoding and
// validation with little code generation).
//
//	go test ./wasmbin -run '^$' -bench Parse -benchtime 5x
func BenchmarkParse(b *testing.B) {
	wasm, err := os.ReadFile(testguest.GoCommand(b, "inspect/gocmd"))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("wasmbin", func(b *testing.B) {
		b.SetBytes(int64(len(wasm)))
		for b.Loop() {
			if _, err := wasmbin.ParseModule(wasm); err != nil {
				b.Fatal(err)
			}
		}
	})
	ctx := context.Background()
	for _, c := range []struct {
		name string
		cfg  wazero.RuntimeConfig
	}{
		{"wazero-interpreter", wazero.NewRuntimeConfigInterpreter()},
		{"wazero-compiler", wazero.NewRuntimeConfigCompiler()},
	} {
		b.Run(c.name, func(b *testing.B) {
			rt := wazero.NewRuntimeWithConfig(ctx, c.cfg)
			defer rt.Close(ctx)
			b.SetBytes(int64(len(wasm)))
			for b.Loop() {
				cm, err := rt.CompileModule(ctx, wasm)
				if err != nil {
					b.Fatal(err)
				}
				cm.Close(ctx)
			}
		})
	}
}
