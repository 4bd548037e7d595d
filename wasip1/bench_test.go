package wasip1_test

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

// The two benchmarks run the same Go hello world (compiled once, outside the
// timer) per iteration: instantiate, run _start, close. The baseline uses
// wazero directly with its own WASI; ours goes through engine.RunCommand with
// package wasip1.

func BenchmarkHelloWazeroWASI(b *testing.B) {
	ctx := context.Background()
	bin, err := os.ReadFile(testguest.GoCommand(b, "wasi/gohello"))
	if err != nil {
		b.Fatal(err)
	}
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithCloseOnContextDone(true))
	defer r.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	cm, err := r.CompileModule(ctx, bin)
	if err != nil {
		b.Fatal(err)
	}
	var out bytes.Buffer
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		out.Reset()
		mod, err := r.InstantiateModule(ctx, cm, wazero.NewModuleConfig().WithName("").WithArgs("hello").
			WithStdout(&out).WithSysWalltime().WithSysNanotime().WithSysNanosleep())
		if err != nil {
			b.Fatal(err)
		}
		mod.Close(ctx)
		if out.String() != "hello, world\n" {
			b.Fatalf("output %q", out.String())
		}
	}
}

func BenchmarkHelloOurWASI(b *testing.B) {
	ctx := context.Background()
	rt := newRuntime(b)
	mod, err := rt.CompileFile(ctx, testguest.GoCommand(b, "wasi/gohello"))
	if err != nil {
		b.Fatal(err)
	}
	var out bytes.Buffer
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		out.Reset()
		if err := rt.RunCommand(ctx, mod, engine.InstanceConfig{Args: []string{"hello"}, Stdout: &out}); err != nil {
			b.Fatal(err)
		}
		if out.String() != "hello, world\n" {
			b.Fatalf("output %q", out.String())
		}
	}
}

// countWriter counts bytes written.
type countWriter struct{ n int }

func (w *countWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// The Write benchmarks measure the host functions: the C guest makes 20000
// fd_write calls of two iovecs each.
const spamLines = 20000

func BenchmarkWriteWazeroWASI(b *testing.B) {
	ctx := context.Background()
	bin, err := os.ReadFile(testguest.Path(b, "wasi/checks.wasm"))
	if err != nil {
		b.Fatal(err)
	}
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithCloseOnContextDone(true))
	defer r.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	cm, err := r.CompileModule(ctx, bin)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var out countWriter
		mod, err := r.InstantiateModule(ctx, cm, wazero.NewModuleConfig().WithName("").
			WithArgs("checks", "spam", "20000").WithStdout(&out))
		if err != nil {
			b.Fatal(err)
		}
		mod.Close(ctx)
		if out.n != 15*spamLines {
			b.Fatalf("wrote %d bytes", out.n)
		}
	}
}

func BenchmarkWriteOurWASI(b *testing.B) {
	ctx := context.Background()
	rt := newRuntime(b)
	mod, err := rt.CompileFile(ctx, testguest.Path(b, "wasi/checks.wasm"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var out countWriter
		if err := rt.RunCommand(ctx, mod, engine.InstanceConfig{Args: []string{"checks", "spam", "20000"}, Stdout: &out}); err != nil {
			b.Fatal(err)
		}
		if out.n != 15*spamLines {
			b.Fatalf("wrote %d bytes", out.n)
		}
	}
}
