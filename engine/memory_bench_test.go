package engine_test

// Benchmarks of linear memory (see bench/README.md, "Linear memory", for
// today's figures):
//
//	go test ./engine -run '^$' -bench 'MemoryGrow|MemoryRecycle' -benchtime 5x

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

// BenchmarkMemoryGrow measures a guest (memgrow.wasm) growing its memory a
// page at a time up to its cap ("grow"), and the same touching every page
// of it afterwards ("grow-touch", where the OS's page faults dominate):
// wasmhive's reserve-and-commit memory (as `wasmhive run --max-memory`)
// against wazero's default memory, a Go slice grown by copying (wazero
// with its memory limit at the cap). Sub-benchmarks per cap and kind:
// wasmhive, wazero, and pair (alternating, with a garbage collection
// before each op; reports both medians and wasmhive/wazero).
func BenchmarkMemoryGrow(b *testing.B) {
	ctx := context.Background()
	wasm, err := os.ReadFile(testguest.Path(b, "memgrow/memgrow.wasm"))
	if err != nil {
		b.Fatal(err)
	}
	for _, size := range []uint64{256 << 20, 1 << 30} {
		rt, err := engine.NewRuntime(ctx, noCache(runConfig()))
		if err != nil {
			b.Fatal(err)
		}
		defer rt.Close(ctx)
		mod, err := rt.Compile(ctx, "memgrow.wasm", wasm)
		if err != nil {
			b.Fatal(err)
		}
		wr := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithMemoryLimitPages(uint32(size/engine.PageSize)))
		defer wr.Close(ctx)
		wasi_snapshot_preview1.MustInstantiate(ctx, wr)
		compiled, err := wr.CompileModule(ctx, wasm)
		if err != nil {
			b.Fatal(err)
		}
		want := fmt.Sprintf("pages %d grow -1\n", size/engine.PageSize)
		for _, kind := range []string{"grow", "grow-touch"} {
			args := []string{"memgrow.wasm"}
			if kind == "grow" {
				args = append(args, "notouch")
			}
			wasmhive := func(out io.Writer) error {
				return rt.RunCommand(ctx, mod, engine.InstanceConfig{Args: args, Stdout: out, MaxMemory: size})
			}
			wazeroRun := func(out io.Writer) error {
				m, err := wr.InstantiateModule(ctx, compiled, wazero.NewModuleConfig().WithName("").WithArgs(args...).WithStdout(out))
				if err != nil {
					return err
				}
				return m.Close(ctx)
			}
			for name, run := range map[string]func(io.Writer) error{"wasmhive": wasmhive, "wazero": wazeroRun} {
				var out bytes.Buffer
				if err := run(&out); err != nil || out.String() != want {
					b.Fatalf("%s: %v, printed %q, want %q", name, err, out.String(), want)
				}
			}
			loop := func(run func(io.Writer) error) func(*testing.B) {
				return func(b *testing.B) {
					for b.Loop() {
						if err := run(io.Discard); err != nil {
							b.Fatal(err)
						}
					}
				}
			}
			b.Run(fmt.Sprintf("%dMiB/%s", size>>20, kind), func(b *testing.B) {
				b.Run("wasmhive", loop(wasmhive))
				b.Run("wazero", loop(wazeroRun))
				b.Run("pair", func(b *testing.B) {
					pair(b, true, func() error { return wasmhive(io.Discard) }, func() error { return wazeroRun(io.Discard) })
				})
			})
		}
	}
}

// BenchmarkMemoryRecycle measures WAGI-style requests: a fresh instance of
// memgrow.wasm per run, capped at 1 or 8 MiB (it grows to the cap and
// touches every page), with its memory recycled
// (InstanceConfig.RecycleMemory, as the HTTP trigger runs WAGI commands)
// and fresh (reserved and unmapped per run), from one goroutine per CPU.
func BenchmarkMemoryRecycle(b *testing.B) {
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, engine.Config{NoCache: true})
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close(ctx)
	mod := compileFileB(b, rt, testguest.Path(b, "memgrow/memgrow.wasm"))
	for _, size := range []uint64{1 << 20, 8 << 20} {
		want := fmt.Sprintf("pages %d grow -1\n", size/engine.PageSize)
		for _, recycle := range []bool{true, false} {
			name := fmt.Sprintf("%dMiB/%s", size>>20, map[bool]string{true: "recycled", false: "fresh"}[recycle])
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					var out bytes.Buffer
					for pb.Next() {
						out.Reset()
						err := rt.RunCommand(ctx, mod, engine.InstanceConfig{Stdout: &out, MaxMemory: size, RecycleMemory: recycle})
						if err != nil || out.String() != want {
							b.Fatalf("%v, printed %q", err, out.String())
						}
					}
				})
			})
		}
	}
}

func compileFileB(b *testing.B, rt *engine.Runtime, path string) *engine.Module {
	b.Helper()
	m, err := rt.CompileFile(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	return m
}
