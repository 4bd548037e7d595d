package inspect_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/wasmhive/wasmhive/inspect"
	"github.com/wasmhive/wasmhive/internal/wasmbin"
)

// FuzzInspect builds, prints and encodes reports of arbitrary bytes: nothing
// may panic, and every error must be a *wasmbin.FormatError.
//
//	go test ./inspect -run '^$' -fuzz '^FuzzInspect$' -fuzztime 10s
func FuzzInspect(f *testing.F) {
	for _, name := range []string{"kinds.wasm", "memories.wasm", "tags.wasm", "library.wasm", "unstable.wasm"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "guests", "inspect", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(testComponent())
	f.Add(componentImporting("wasi:io/streams@0.2.0", "a:b/c"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := inspect.Inspect(b)
		if err != nil {
			var fe *wasmbin.FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T %v is not a *wasmbin.FormatError", err, err)
			}
			return
		}
		if r.Size != len(b) || r.SchemaVersion != inspect.SchemaVersion {
			t.Fatalf("size %d for %d bytes, schema %d", r.Size, len(b), r.SchemaVersion)
		}
		switch r.Pattern {
		case inspect.PatternCommand, inspect.PatternReactor, inspect.PatternLibrary, inspect.PatternComponent:
		default:
			t.Fatalf("unknown pattern %q", r.Pattern)
		}
		if err := r.WriteText(io.Discard); err != nil {
			t.Fatal(err)
		}
		if err := r.WriteJSON(io.Discard); err != nil {
			t.Fatal(err)
		}
	})
}
