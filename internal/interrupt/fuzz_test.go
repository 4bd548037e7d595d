package interrupt_test

import (
	"context"
	"testing"

	"github.com/tetratelabs/wazero"

	"github.com/wasmhive/wasmhive/internal/interrupt"
	"github.com/wasmhive/wasmhive/internal/wasmbin"
)

// FuzzRewrite: the rewriter never panics, and a module wazero validates is
// rewritten into one wazero validates (and wasmbin reads). Inputs go through wasmbin first, as the
// engine's precheck does: wazero v1.12 allocates from unchecked counts.
// The seed corpus (testdata/fuzz/FuzzRewrite) holds the small modules of
// the repository.
func FuzzRewrite(f *testing.F) {
	for _, p := range []string{"testdata/features.wasm"} {
		f.Add(readFile(f, p))
	}
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer rt.Close(ctx)
	f.Fuzz(func(t *testing.T, b []byte) {
		out, rerr := interrupt.Rewrite(b)
		if _, err := wasmbin.ParseModule(b); err != nil {
			return
		}
		cm, err := rt.CompileModule(ctx, b)
		if err != nil {
			return
		}
		cm.Close(ctx)
		if rerr != nil {
			t.Fatalf("wazero compiles the module, the rewriter fails: %v", rerr)
		}
		cm, err = rt.CompileModule(ctx, out)
		if err != nil {
			t.Fatalf("the rewritten module does not compile: %v", err)
		}
		cm.Close(ctx)
		if _, err := wasmbin.ParseModule(out); err != nil {
			t.Fatalf("the rewritten module does not parse: %v", err)
		}
	})
}
