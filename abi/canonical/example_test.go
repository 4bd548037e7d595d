package canonical_test

import (
	"context"
	"fmt"
	"os"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component"
)

// The host calls a component's export func(s: string) -> string, whose
// core function (testdata/guest.wat's ret2) returns its result through memory.
func ExampleFunc_LowerArgs() {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	bin, _ := os.ReadFile("testdata/guest.wasm")
	rt.NewHostModuleBuilder("host").NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(func(context.Context, api.Module, []uint64) {}),
			[]api.ValueType{api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32}, nil).
		Export("upper").Instantiate(ctx)
	mod, err := rt.Instantiate(ctx, bin)
	if err != nil {
		fmt.Println(err)
		return
	}

	s := component.Prim(component.String)
	ft := &component.FuncType{Params: []component.Param{{Name: "s", Type: s}}, Result: s}
	f, err := canonical.NewFunc(ft, canonical.Options{
		Memory:  mod.Memory(),
		Realloc: canonical.ReallocFunc(mod.ExportedFunction("realloc")),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	params, results := f.CoreType(true)
	fmt.Println("core type:", len(params), "params,", len(results), "result")

	inst := canonical.NewInstance() // the component instance's handle table
	call := inst.BeginExport()
	flat, err := f.LowerArgs(ctx, call, []canonical.Value{"héllo"}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := mod.ExportedFunction("ret2").Call(ctx, flat...)
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := f.LiftResult(ctx, call, res)
	if err == nil {
		err = call.End()
	}
	fmt.Printf("%q %v\n", v, err)
	// Output:
	// core type: 2 params, 1 result
	// "héllo" <nil>
}
