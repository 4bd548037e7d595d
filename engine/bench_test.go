package engine_test

// Benchmarks of the Command pattern, each against plain wazero in the same
// run (see bench/README.md for how to run them and today's figures).
//
//	go test ./engine -run '^$' -bench . -benchtime 2s
//
// Each Benchmark has one sub-benchmark per contender (benchstat-comparable
// across runs) and a "pair" sub-benchmark that alternates the two contenders
// within one loop, so that both see the same machine load, and reports
// wasmhive-ns/op, wazero-ns/op and their ratio (wasmhive/wazero).

import (
	"bytes"
	"context"
	"io"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

// runner runs one guest command per call with stdout discarded.
type runner struct {
	run   func(ctx context.Context, stdout io.Writer) error
	close func(ctx context.Context)
}

// runConfig is the engine configuration of `wasmhive run` without --timeout
// and without -v (cmd/wasmhive/run.go): no termination checks, no DWARF.
func runConfig() engine.Config {
	return engine.Config{NoInterrupts: true, DebugInfo: false}
}

// newWasmhiveRunner compiles wasm once with cfg (caches off) and runs it
// with engine.Runtime.RunCommand, as `wasmhive run` does.
func newWasmhiveRunner(b *testing.B, wasm []byte, cfg engine.Config) runner {
	b.Helper()
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, noCache(cfg))
	if err != nil {
		b.Fatal(err)
	}
	mod, err := rt.Compile(ctx, "guest.wasm", wasm)
	if err != nil {
		b.Fatal(err)
	}
	return runner{
		run: func(ctx context.Context, stdout io.Writer) error {
			return rt.RunCommand(ctx, mod, engine.InstanceConfig{Args: []string{"guest.wasm"}, Stdout: stdout})
		},
		close: func(ctx context.Context) { rt.Close(ctx) },
	}
}

// newWazeroRunner is the baseline: plain wazero with its own WASI, the
// module compiled once, then per run InstantiateModule (which runs _start)
// and Close. rc is wazero.NewRuntimeConfig() for the plain baseline.
func newWazeroRunner(b *testing.B, wasm []byte, rc wazero.RuntimeConfig) runner {
	b.Helper()
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, rc)
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	compiled, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		b.Fatal(err)
	}
	return runner{
		run: func(ctx context.Context, stdout io.Writer) error {
			cfg := wazero.NewModuleConfig().WithName("").WithArgs("guest.wasm").WithStdout(stdout)
			mod, err := rt.InstantiateModule(ctx, compiled, cfg)
			if err != nil {
				return err
			}
			return mod.Close(ctx)
		},
		close: func(ctx context.Context) { rt.Close(ctx) },
	}
}

// commandGuests are the guests BenchmarkRunCommand runs, with the line each prints.
func commandGuests(b *testing.B) []struct{ name, path, want string } {
	return []struct{ name, path, want string }{
		{"c-hello", testguest.Path(b, "bench/hello.wasm"), "hello from C\n"},
		{"go-hello", testguest.GoCommand(b, "bench/gohello"), "hello from Go\n"},
	}
}

// BenchmarkRunCommand measures instantiating and running a small command
// from an already compiled module: wasmhive's RunCommand against wazero's
// InstantiateModule + Close.
//
// Sub-benchmarks, per guest: wasmhive (configured as `wasmhive run` without
// --timeout: runConfig), wazero (plain wazero.NewRuntime, the baseline),
// wasmhive-interruptible (engine.Config{}, as `run --timeout`, `call`,
// `serve` and the Go API: deadlines and cancellation stop a guest) and
// wazero-interruptible (wazero with WithCloseOnContextDone(true), which makes
// it check for termination on every loop iteration); pair (wasmhive vs
// wazero, alternating; the figure to watch) and pair-interruptible
// (wasmhive-interruptible vs wazero-interruptible).
func BenchmarkRunCommand(b *testing.B) {
	ctx := context.Background()
	for _, g := range commandGuests(b) {
		wasm, err := os.ReadFile(g.path)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(g.name, func(b *testing.B) {
			wh := newWasmhiveRunner(b, wasm, runConfig())
			whi := newWasmhiveRunner(b, wasm, engine.Config{})
			wz := newWazeroRunner(b, wasm, wazero.NewRuntimeConfig())
			wzi := newWazeroRunner(b, wasm, wazero.NewRuntimeConfig().WithCloseOnContextDone(true))
			defer wh.close(ctx)
			defer whi.close(ctx)
			defer wz.close(ctx)
			defer wzi.close(ctx)
			// All must really run the guest: check what it prints once.
			for name, r := range map[string]runner{"wasmhive": wh, "wasmhive-interruptible": whi, "wazero": wz, "wazero-interruptible": wzi} {
				var out bytes.Buffer
				if err := r.run(ctx, &out); err != nil {
					b.Fatalf("%s: %v", name, err)
				}
				if out.String() != g.want {
					b.Fatalf("%s printed %q, want %q", name, out.String(), g.want)
				}
			}
			b.Run("wasmhive", func(b *testing.B) { runLoop(b, wh) })
			b.Run("wazero", func(b *testing.B) { runLoop(b, wz) })
			b.Run("wasmhive-interruptible", func(b *testing.B) { runLoop(b, whi) })
			b.Run("wazero-interruptible", func(b *testing.B) { runLoop(b, wzi) })
			b.Run("pair", func(b *testing.B) {
				pair(b, false, func() error { return wh.run(ctx, io.Discard) }, func() error { return wz.run(ctx, io.Discard) })
			})
			b.Run("pair-interruptible", func(b *testing.B) {
				pair(b, false, func() error { return whi.run(ctx, io.Discard) }, func() error { return wzi.run(ctx, io.Discard) })
			})
		})
	}
}

func runLoop(b *testing.B, r runner) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := r.run(ctx, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// pair runs wasmhive and wazero alternately, b.N times each, and reports
// the median time of one op of each (wasmhive-ns/op, wazero-ns/op) and the
// ratio of the medians (wasmhive/wazero). Alternating, and swapping which
// goes first, exposes both to the same machine load; medians ignore the
// spikes of a shared machine. It also reports min-wasmhive/wazero, the
// ratio of the fastest op of each. With settle, a garbage collection runs
// (untimed) before each op, so that neither pays for collecting the other's
// garbage: right for ops that allocate hundreds of MB, like compiling.
func pair(b *testing.B, settle bool, wasmhive, wazero func() error) {
	var tWh, tWz []time.Duration
	timed := func(f func() error) time.Duration {
		if settle {
			b.StopTimer()
			runtime.GC()
			b.StartTimer()
		}
		start := time.Now()
		if err := f(); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	for b.Loop() {
		if len(tWh)%2 == 0 {
			tWh = append(tWh, timed(wasmhive))
			tWz = append(tWz, timed(wazero))
		} else {
			tWz = append(tWz, timed(wazero))
			tWh = append(tWh, timed(wasmhive))
		}
	}
	mWh, mWz := median(tWh), median(tWz)
	b.ReportMetric(float64(mWh.Nanoseconds()), "wasmhive-ns/op")
	b.ReportMetric(float64(mWz.Nanoseconds()), "wazero-ns/op")
	b.ReportMetric(float64(mWh)/float64(mWz), "wasmhive/wazero")
	// The ratio of the fastest ops: what each does when the machine leaves
	// it alone (noise only ever adds time).
	b.ReportMetric(float64(slices.Min(tWh))/float64(slices.Min(tWz)), "min-wasmhive/wazero")
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// BenchmarkColdCompile measures compiling the Go-built hello (about 2.6 MB)
// with every cache off: wazero's default (one compilation worker) against
// wasmhive configured as `wasmhive run` (runConfig: one worker per CPU, no
// termination checks, no DWARF source map). Each op creates a fresh runtime,
// so nothing compiled survives in memory between ops either.
func BenchmarkColdCompile(b *testing.B) {
	ctx := context.Background()
	wasm, err := os.ReadFile(testguest.GoCommand(b, "bench/gohello"))
	if err != nil {
		b.Fatal(err)
	}
	wasmhive := func() error {
		rt, err := engine.NewRuntime(ctx, noCache(runConfig()))
		if err != nil {
			return err
		}
		defer rt.Close(ctx)
		_, err = rt.Compile(ctx, "gohello.wasm", wasm)
		return err
	}
	wazeroDefault := func() error {
		rt := wazero.NewRuntime(ctx)
		defer rt.Close(ctx)
		_, err := rt.CompileModule(ctx, wasm)
		return err
	}
	loop := func(f func() error) func(*testing.B) {
		return func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				runtime.GC()
				b.StartTimer()
				if err := f(); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.Run("wasmhive", loop(wasmhive))
	b.Run("wazero", loop(wazeroDefault))
	b.Run("pair", func(b *testing.B) { pair(b, true, wasmhive, wazeroDefault) })
}

// noCache returns cfg with the on-disk compilation cache off.
func noCache(cfg engine.Config) engine.Config { cfg.NoCache = true; return cfg }
