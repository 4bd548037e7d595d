package linker_test

import (
	"context"
	"testing"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/wasip2"
)

// BenchmarkInstantiate instantiates the C command component with WASI
// 0.2 and closes it; BenchmarkCallEcho calls calc's echo with a small
// entry. The cross-host comparisons are in compat/bench/component.
func BenchmarkInstantiate(b *testing.B) {
	ctx := context.Background()
	rt := newRuntime(b)
	c := compileFile(b, rt, "../../testdata/components/cmd.wasm")
	l := linker.New()
	wasip2.Define(l)
	b.ReportAllocs()
	for b.Loop() {
		inst, err := l.Instantiate(ctx, c, engine.InstanceConfig{})
		if err != nil {
			b.Fatal(err)
		}
		inst.Close(ctx)
	}
}

func BenchmarkCallEcho(b *testing.B) {
	ctx := context.Background()
	rt := newRuntime(b)
	c := compileFile(b, rt, "../../testdata/components/calc.wasm")
	inst, err := linker.New().Instantiate(ctx, c, engine.InstanceConfig{})
	if err != nil {
		b.Fatal(err)
	}
	defer inst.Close(ctx)
	f, err := inst.Func("echo")
	if err != nil {
		b.Fatal(err)
	}
	var entry canonical.Value = canonical.Record{"ada", canonical.List{"math"}, "first"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Call(ctx, entry); err != nil {
			b.Fatal(err)
		}
	}
}
