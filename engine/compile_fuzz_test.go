package engine_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/wasmhive/wasmhive/engine"
)

// FuzzCompile feeds arbitrary bytes to Runtime.Compile: it must never panic,
// and every error must be a *engine.LoadError.
//
//	go test ./engine -run '^$' -fuzz '^FuzzCompile$' -fuzztime 10s
func FuzzCompile(f *testing.F) {
	for _, name := range []string{"kinds.wasm", "library.wasm", "unstable.wasm", "memories.wasm", "tags.wasm"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "guests", "inspect", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	for _, c := range hostileCounts {
		f.Add([]byte(c.wasm))
	}
	f.Add([]byte("\x00asm\x0d\x00\x01\x00"))
	f.Add([]byte("\x00asm\x01\x00"))
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, engine.Config{NoCache: true, CompilationWorkers: 1, MaxMemory: 64 << 20})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { rt.Close(ctx) })
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := rt.Compile(ctx, "fuzz.wasm", b)
		if err != nil {
			var le *engine.LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %T %v is not a *engine.LoadError", err, err)
			}
			return
		}
		_ = m.Pattern().String()
		m.Compiled().Close(ctx)
	})
}

// hostileCounts are tiny modules whose counts or sizes, taken at face value,
// make wazero v1.12 allocate gigabytes before it notices the input is short.
var hostileCounts = []struct{ name, wasm string }{
	// Found by FuzzCompile: 241 million globals in a 5-byte section.
	{"globals", "\x00asm\x01\x00\x00\x00\x06\x05\x91\x91\x91\x73\x7f"},
	{"import name", "\x00asm\x01\x00\x00\x00\x02\x06\x01\xff\xff\xff\xff\x0f"},
	{"data segment", "\x00asm\x01\x00\x00\x00\x0b\x07\x01\x01\xff\xff\xff\xff\x0f"},
	{"element vector", "\x00asm\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00" +
		"\x04\x04\x01\x70\x00\x01\x09\x09\x01\x00\x41\x00\x0b\xff\xff\xff\x0f"},
	{"locals", "\x00asm\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00" +
		"\x0a\x0a\x01\x08\x01\xff\xff\xff\xff\x0f\x7f\x0b"},
	{"function names", "\x00asm\x01\x00\x00\x00\x00\x0d\x04name\x01\x06\xff\xff\xff\xff\x0f\x00"},
}

// TestCompileHostileCounts checks that each hostile module is refused with a
// *LoadError without allocating more than a few MiB.
func TestCompileHostileCounts(t *testing.T) {
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, engine.Config{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	for _, c := range hostileCounts {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := rt.Compile(ctx, c.name+".wasm", []byte(c.wasm))
			runtime.ReadMemStats(&after)
			var le *engine.LoadError
			if !errors.As(err, &le) {
				t.Fatalf("Compile = %v, want a *LoadError", err)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
				t.Errorf("Compile allocated %d MiB for a %d-byte module (%v)", grew>>20, len(c.wasm), err)
			}
			t.Log(err)
		})
	}
}
