package linker_test

import (
	"context"
	"testing"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/engine"
)

// TestNestedComponent instantiates nested.wasm: a nested component
// instantiated with an imported function, a lifted one and a type, outer
// aliases, an inline instance, resource built-ins and a start function.
// Its exports reach the core function through the nested instance.
func TestNestedComponent(t *testing.T) {
	ctx := context.Background()
	rt := newRuntime(t)
	c := compileFile(t, rt, "../../testdata/components/nested.wasm")
	l := linker.New()
	geo := l.Instance("wasmhive:test/geo@0.1.0")
	geo.Resource("r", nil)
	geo.Func("make", func(context.Context, *linker.Instance, []canonical.Value) (canonical.Value, error) {
		return canonical.Own{Rep: 1}, nil
	})
	geo.Func("get", func(_ context.Context, _ *linker.Instance, args []canonical.Value) (canonical.Value, error) {
		return canonical.Record{int32(args[0].(uint32)), int32(-1)}, nil
	})
	inst, err := l.Instantiate(ctx, c, engine.InstanceConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close(ctx)
	for _, path := range [][]string{{"twice"}, {"wasmhive:test/api@0.1.0", "twice"}} {
		f, err := inst.Func(path...)
		if err != nil {
			t.Fatal(err)
		}
		if v, err := f.Call(ctx, uint32(21)); err != nil || v != uint32(42) {
			t.Errorf("%v(21) = %v, %v", path, v, err)
		}
	}
	if _, err := inst.Func("inner"); err == nil {
		t.Error("a component export is not a function")
	}
}
