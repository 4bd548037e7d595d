package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/engine"
)

const limitsDir = "../testdata/guests/limits/"

// testCounter is the counter of limitsHost's count.
var testCounter = engine.NewCallCounter("test")

// limitsHost is module limits_test of the limits guests: count(n) adds n
// to testCounter and returns the call's count, nop(n) returns n, limit()
// ends the call at a limit.
type limitsHost struct{}

func (limitsHost) ModuleName() string { return "limits_test" }

func (limitsHost) Define(_ *engine.Runtime, b wazero.HostModuleBuilder) {
	i64 := []api.ValueType{api.ValueTypeI64}
	b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, _ api.Module, stack []uint64) {
		stack[0] = testCounter.Add(ctx, stack[0])
	}), i64, i64).Export("count")
	b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(_ context.Context, _ api.Module, stack []uint64) {
	}), i64, i64).Export("nop")
	b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(context.Context, api.Module, []uint64) {
		panic(&engine.LimitError{Limit: "test_limit", Max: 3, Got: 4})
	}), nil, nil).Export("limit")
}

func limitsRuntime(t testing.TB) *engine.Runtime {
	t.Helper()
	rt, err := engine.NewRuntime(context.Background(), engine.Config{NoCache: true, HostModules: []engine.HostModule{limitsHost{}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(context.Background()) })
	return rt
}

func instantiateFile(t testing.TB, rt *engine.Runtime, path string, cfg engine.InstanceConfig) *engine.Instance {
	t.Helper()
	ctx := context.Background()
	m, err := rt.CompileFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := rt.Instantiate(ctx, m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close(ctx) })
	return inst
}

// TestHostLimitError: a host function's panic(*LimitError) is the call's
// error, with the module and the export filled in, one line, no stack; the
// instance is broken.
func TestHostLimitError(t *testing.T) {
	rt := limitsRuntime(t)
	inst := instantiateFile(t, rt, limitsDir+"counter.wasm", engine.InstanceConfig{})
	_, err := inst.Call(context.Background(), "limit")
	var le *engine.LimitError
	if !errors.As(err, &le) || !errors.Is(err, engine.ErrLimit) {
		t.Fatalf("got %v (%T), want a *LimitError", err, err)
	}
	if le.Module != "counter.wasm" || le.Function != "limit" || le.Limit != "test_limit" || le.Max != 3 || le.Got != 4 {
		t.Errorf("got %+v", le)
	}
	if want := "counter.wasm: limit: limit test_limit exceeded (4, the limit is 3)"; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	if !inst.Broken() {
		t.Error("the instance is still usable after a limit ended its call")
	}
}

// TestCallCounter: counts add up within a call and start again in the
// next one; outside a call there is nothing to add to.
func TestCallCounter(t *testing.T) {
	rt := limitsRuntime(t)
	inst := instantiateFile(t, rt, limitsDir+"counter.wasm", engine.InstanceConfig{})
	ctx := context.Background()
	for call := 0; call < 3; call++ {
		res, err := inst.Call(ctx, "twice", 2, 5)
		if err != nil {
			t.Fatal(err)
		}
		if res[0] != 7 {
			t.Fatalf("call %d: count %d after adding 2 and 5, want 7", call, res[0])
		}
	}
	if n := testCounter.Add(ctx, 5); n != 5 {
		t.Errorf("Add outside a call = %d, want 5", n)
	}
	// Another instance has its own counts.
	other := instantiateFile(t, rt, limitsDir+"counter.wasm", engine.InstanceConfig{})
	if res, err := other.Call(ctx, "twice", 1, 1); err != nil || res[0] != 2 {
		t.Fatalf("other instance: %v, %v", res, err)
	}
	// The count saturates.
	if res, err := inst.Call(ctx, "twice", 1<<63, 1<<63); err != nil || res[0] != 1<<64-1 {
		t.Fatalf("saturated count: %v, %v", res, err)
	}
}

// TestCallCounterLibrary: a linked library's host calls count against the
// call of the instance that called into it.
func TestCallCounterLibrary(t *testing.T) {
	rt := limitsRuntime(t)
	ctx := context.Background()
	libm, err := rt.CompileFile(ctx, limitsDir+"lib.wasm")
	if err != nil {
		t.Fatal(err)
	}
	lib, err := rt.Instantiate(ctx, libm, engine.InstanceConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close(ctx)
	m, err := rt.CompileFile(ctx, limitsDir+"libuser.wasm")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := rt.InstantiateLinked(ctx, m, engine.InstanceConfig{}, map[string]*engine.Instance{"lib": lib})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close(ctx)
	for call := 0; call < 3; call++ {
		if res, err := inst.Call(ctx, "both", 3, 4); err != nil || res[0] != 7 {
			t.Fatalf("call %d: %v, %v, want a count of 7", call, res, err)
		}
	}
}

// TestMemoryLimitError: a guest that traps or exits because memory.grow
// failed at the instance's cap gets a *LimitError naming the memory limit;
// one that handles the failure does not, and a later unrelated trap is a
// trap.
func TestMemoryLimitError(t *testing.T) {
	rt := newRuntime(t, engine.Config{NoCache: true})
	ctx := context.Background()
	const limit = 4 * engine.PageSize
	for _, fn := range []string{"grow_or_trap", "grow_or_exit"} {
		t.Run(fn, func(t *testing.T) {
			inst := instantiateFile(t, rt, limitsDir+"memtrap.wasm", engine.InstanceConfig{MaxMemory: limit + 100})
			if _, err := inst.Call(ctx, fn, 3); err != nil {
				t.Fatalf("growing to the cap: %v", err)
			}
			_, err := inst.Call(ctx, fn, 1)
			var le *engine.LimitError
			if !errors.As(err, &le) || le.Limit != engine.MemoryLimit || le.Max != limit || le.Got != limit+engine.PageSize ||
				le.Module != "memtrap.wasm" || le.Function != fn {
				t.Fatalf("got %v (%T %+v), want a memory *LimitError", err, err, le)
			}
			if want := "memtrap.wasm: " + fn + ": limit memory exceeded (327680, the limit is 262144)"; err.Error() != want {
				t.Errorf("message %q, want %q", err, want)
			}
			if !inst.Broken() {
				t.Error("instance still usable")
			}
		})
	}
	t.Run("handled", func(t *testing.T) {
		inst := instantiateFile(t, rt, limitsDir+"memtrap.wasm", engine.InstanceConfig{MaxMemory: limit})
		res, err := inst.Call(ctx, "grow", 10)
		if err != nil || int32(res[0]) != -1 {
			t.Fatalf("grow past the cap: %v, %v; want -1", res, err)
		}
		_, err = inst.Call(ctx, "trap")
		var trap *engine.TrapError
		if !errors.As(err, &trap) || trap.Reason != "unreachable" {
			t.Fatalf("a trap after an earlier call's refused growth: got %v (%T), want the trap", err, err)
		}
	})
	t.Run("no cap", func(t *testing.T) {
		inst := instantiateFile(t, rt, limitsDir+"memtrap.wasm", engine.InstanceConfig{})
		_, err := inst.Call(ctx, "grow_or_trap", 1000)
		var trap *engine.TrapError
		if !errors.As(err, &trap) || strings.Contains(err.Error(), "limit") {
			t.Fatalf("past the module's own maximum: got %v (%T), want a trap", err, err)
		}
	})
}

// BenchmarkCallCounter measures a host function that adds to a
// CallCounter against the same host function without it, both called in a
// loop by the guest (one Call of b.N host calls).
//
//	go test ./engine -run '^$' -bench BenchmarkCallCounter
func BenchmarkCallCounter(b *testing.B) {
	rt := limitsRuntime(b)
	inst := instantiateFile(b, rt, limitsDir+"counter.wasm", engine.InstanceConfig{})
	for _, fn := range []string{"nop_loop", "count_loop"} {
		b.Run(fn, func(b *testing.B) {
			res, err := inst.Call(context.Background(), fn, uint64(b.N))
			if err != nil || (fn == "count_loop" && res[0] != uint64(b.N)) {
				b.Fatalf("%v, %v", res, err)
			}
		})
	}
}

// TestCallContexts: each call runs under its own context, also when the
// instance reuses what it derived from the previous call's: after calls
// under one context, a call under a canceled one is canceled.
func TestCallContexts(t *testing.T) {
	rt := limitsRuntime(t)
	inst := instantiateFile(t, rt, limitsDir+"counter.wasm", engine.InstanceConfig{})
	ctx := context.Background()
	for call := 0; call < 2; call++ {
		if res, err := inst.Call(ctx, "twice", 2, 5); err != nil || res[0] != 7 {
			t.Fatalf("call %d: %v, %v", call, res, err)
		}
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_, err := inst.Call(canceled, "twice", 2, 5)
	var ce *engine.CanceledError
	if !errors.As(err, &ce) {
		t.Fatalf("call under a canceled context: %v (%T), want a *CanceledError", err, err)
	}
}

// TestCallExport: an export found once is called as Call calls it by
// name; an export of another instance, or none, is refused.
func TestCallExport(t *testing.T) {
	rt := limitsRuntime(t)
	inst := instantiateFile(t, rt, limitsDir+"counter.wasm", engine.InstanceConfig{})
	other := instantiateFile(t, rt, limitsDir+"counter.wasm", engine.InstanceConfig{})
	ctx := context.Background()
	e := inst.Export("twice")
	if e == nil {
		t.Fatal("no export twice")
	}
	for call := 0; call < 2; call++ {
		if res, err := inst.CallExport(ctx, e, 2, 5); err != nil || len(res) != 1 || res[0] != 7 {
			t.Fatalf("call %d: %v, %v", call, res, err)
		}
	}
	if inst.Export("nope") != nil {
		t.Error("Export of a name the module does not export")
	}
	if _, err := other.CallExport(ctx, e, 2, 5); err == nil {
		t.Error("CallExport of another instance's export")
	}
	if _, err := inst.CallExport(ctx, nil); err == nil {
		t.Error("CallExport of nil")
	}
	if _, err := inst.CallExport(ctx, inst.Export("limit")); !errors.Is(err, engine.ErrLimit) {
		t.Fatalf("limit: %v", err)
	}
	if _, err := inst.CallExport(ctx, e, 1, 1); !errors.Is(err, engine.ErrBroken) {
		t.Errorf("a broken instance's export: %v, want ErrBroken", err)
	}
}
