package engine_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/engine"
)

// requests counts the calls' uses of fetch, the host function below.
var requests = engine.NewCallCounter("requests")

// fetchHost defines limits_test.count as a host function allowed 5 uses
// per call: past them it ends the call with a *LimitError.
type fetchHost struct{}

func (fetchHost) ModuleName() string { return "limits_test" }

func (fetchHost) Define(_ *engine.Runtime, b wazero.HostModuleBuilder) {
	i64 := []api.ValueType{api.ValueTypeI64}
	b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, _ api.Module, stack []uint64) {
		if n := requests.Add(ctx, stack[0]); n > 5 {
			panic(&engine.LimitError{Limit: "requests_per_call", Max: 5, Got: n})
		}
	}), i64, i64).Export("count")
	b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(context.Context, api.Module, []uint64) {}), i64, i64).Export("nop")
	b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(context.Context, api.Module, []uint64) {}), nil, nil).Export("limit")
}

// Hold each call to a limit of its own: the guest's twice(a, b) uses the
// host function for a, then b, requests; the count starts from zero in
// every call.
func ExampleCallCounter() {
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, engine.Config{NoCache: true, HostModules: []engine.HostModule{fetchHost{}}})
	if err != nil {
		log.Fatal(err)
	}
	defer rt.Close(ctx)
	m, err := rt.CompileFile(ctx, "../testdata/guests/limits/counter.wasm")
	if err != nil {
		log.Fatal(err)
	}
	inst, err := rt.Instantiate(ctx, m, engine.InstanceConfig{})
	if err != nil {
		log.Fatal(err)
	}
	defer inst.Close(ctx)

	for _, n := range [][2]uint64{{2, 3}, {4, 1}, {4, 2}} {
		_, err := inst.Call(ctx, "twice", n[0], n[1])
		fmt.Println(n, err, errors.Is(err, engine.ErrLimit))
	}
	fmt.Println("instance discarded:", inst.Broken())
	// Output:
	// [2 3] <nil> false
	// [4 1] <nil> false
	// [4 2] counter.wasm: twice: limit requests_per_call exceeded (6, the limit is 5) true
	// instance discarded: true
}
