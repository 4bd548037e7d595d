package engine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/engine"
)

const fuelWasm = "testdata/fuel/fuel.wasm"

// fuelCall instantiates fuel.wasm with fuel and calls fn(n) once,
// returning the fuel the call used and its error.
func fuelCall(t *testing.T, rt *engine.Runtime, m *engine.Module, fuel uint64, fn string, n uint64) (uint64, error) {
	t.Helper()
	ctx := context.Background()
	inst, err := rt.Instantiate(ctx, m, engine.InstanceConfig{Fuel: fuel})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close(ctx)
	res, err := inst.Call(ctx, fn, n)
	if err == nil && res[0] != n {
		t.Fatalf("%s(%d) = %d", fn, n, res[0])
	}
	return inst.FuelConsumed(), err
}

// TestFuelIsDeterministic: a loop of n iterations uses one unit more than
// one of n-1, on every run, across the host's refills (1<<16 units each),
// and a call given exactly the fuel it uses succeeds while one unit less
// fails with the fuel limit.
func TestFuelIsDeterministic(t *testing.T) {
	rt := newRuntime(t, engine.Config{NoCache: true})
	m := compileFile(t, rt, fuelWasm)
	for _, n := range []uint64{0, 1, 1000, 1<<16 - 3, 1 << 16, 200_000} {
		a, err := fuelCall(t, rt, m, 1<<40, "count", n)
		if err != nil {
			t.Fatal(err)
		}
		b, err := fuelCall(t, rt, m, 1<<40, "count", n+1)
		if err != nil {
			t.Fatal(err)
		}
		if b != a+1 {
			t.Errorf("count(%d) used %d, count(%d) used %d: want one more per iteration", n, a, n+1, b)
		}
		if again, _ := fuelCall(t, rt, m, 1<<40, "count", n); again != a {
			t.Errorf("count(%d) used %d, then %d", n, a, again)
		}
		if used, err := fuelCall(t, rt, m, a, "count", n); err != nil || used != a {
			t.Errorf("count(%d) with exactly its %d units: used %d, %v", n, a, used, err)
		}
		if a == 1 {
			continue // 0 would mean unmetered
		}
		used, err := fuelCall(t, rt, m, a-1, "count", n)
		var lim *engine.LimitError
		if !errors.As(err, &lim) || lim.Limit != engine.FuelLimit || lim.Max != a-1 || !errors.Is(err, engine.ErrLimit) {
			t.Errorf("count(%d) with %d units, one short: got %v (used %d), want the fuel limit", n, a-1, err, used)
		}
	}
}

// TestFuelCountsCalls: a recursion without loops is metered by its calls.
func TestFuelCountsCalls(t *testing.T) {
	rt := newRuntime(t, engine.Config{NoCache: true})
	m := compileFile(t, rt, fuelWasm)
	a, err := fuelCall(t, rt, m, 1<<40, "rec", 100)
	if err != nil {
		t.Fatal(err)
	}
	b, err := fuelCall(t, rt, m, 1<<40, "rec", 101)
	if err != nil {
		t.Fatal(err)
	}
	if b != a+1 {
		t.Errorf("rec(100) used %d, rec(101) %d: want one unit per call", a, b)
	}
	if _, err := fuelCall(t, rt, m, 50, "rec", 100); !errors.Is(err, engine.ErrLimit) {
		t.Errorf("rec(100) with 50 units: %v, want the fuel limit", err)
	}
}

// TestFuelPerCall: every outermost call on an instance gets the full fuel
// again, and an instance that ran out is not called again.
func TestFuelPerCall(t *testing.T) {
	ctx := context.Background()
	rt := newRuntime(t, engine.Config{NoCache: true})
	m := compileFile(t, rt, fuelWasm)
	inst, err := rt.Instantiate(ctx, m, engine.InstanceConfig{Fuel: 5000})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close(ctx)
	for i := range 10 {
		if _, err := inst.Call(ctx, "count", 4000); err != nil {
			t.Fatalf("call %d of 4000 iterations with 5000 units each: %v", i, err)
		}
	}
	if _, err := inst.Call(ctx, "count", 6000); !errors.Is(err, engine.ErrLimit) {
		t.Fatalf("6000 iterations with 5000 units: %v", err)
	}
	if _, err := inst.Call(ctx, "count", 1); !errors.Is(err, engine.ErrBroken) {
		t.Fatalf("a call after running out: %v, want ErrBroken", err)
	}
}

// TestFuelKeepsDeadlines: a metered guest with fuel to spare still stops
// at its deadline.
func TestFuelKeepsDeadlines(t *testing.T) {
	rt := newRuntime(t, engine.Config{NoCache: true})
	m := compileFile(t, rt, fuelWasm)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	inst, err := rt.Instantiate(ctx, m, engine.InstanceConfig{Fuel: 1 << 62})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close(context.Background())
	if _, err := inst.Call(ctx, "count", 1<<31); !errors.Is(err, engine.ErrTimeout) {
		t.Fatalf("a long loop with a 50ms deadline: %v, want a timeout", err)
	}
}

// TestFuelNeedsChecks: fuel on a Runtime without interruption checks is
// refused at instantiation, not ignored.
func TestFuelNeedsChecks(t *testing.T) {
	rt := newRuntime(t, engine.Config{NoCache: true, NoInterrupts: true})
	m := compileFile(t, rt, fuelWasm)
	_, err := rt.Instantiate(context.Background(), m, engine.InstanceConfig{Fuel: 100})
	var le *engine.LoadError
	if !errors.As(err, &le) {
		t.Fatalf("got %v, want a *LoadError", err)
	}
}

// BenchmarkFuel: a loop of 10^6 iterations, metered (fuel) against the
// default interruptible instance and one without checks, in the same run:
// what metering adds to the interruption checks.
func BenchmarkFuel(b *testing.B) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		cfg  engine.Config
		fuel uint64
	}{
		{"off", engine.Config{NoCache: true, NoInterrupts: true}, 0},
		{"interruptible", engine.Config{NoCache: true}, 0},
		{"fuel", engine.Config{NoCache: true}, 1 << 40},
	} {
		b.Run(c.name, func(b *testing.B) {
			rt, err := engine.NewRuntime(ctx, c.cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer rt.Close(ctx)
			m, err := rt.CompileFile(ctx, fuelWasm)
			if err != nil {
				b.Fatal(err)
			}
			inst, err := rt.Instantiate(ctx, m, engine.InstanceConfig{Fuel: c.fuel})
			if err != nil {
				b.Fatal(err)
			}
			defer inst.Close(ctx)
			for b.Loop() {
				if _, err := inst.Call(ctx, "count", 1_000_000); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
