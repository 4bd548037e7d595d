package wasmhive_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/wasmhive/wasmhive"
)

// BenchmarkCallSmall is the cost of one small call: 11 bytes copied in and
// out byte by byte through the Extism ABI (about 25 host calls) by a
// hand-written plugin, and with two bulk host calls.
func BenchmarkCallSmall(b *testing.B) {
	ctx := context.Background()
	input := []byte("hello world")
	p := load(b, kernel(b), wasmhive.PluginConfig{})
	for _, fn := range []string{"echo", "echo_offset", "bulk_echo"} {
		b.Run(fn, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Call(ctx, fn, input); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkBulk64KiB moves 64 KiB in and out through the bulk-copy imports.
func BenchmarkBulk64KiB(b *testing.B) {
	ctx := context.Background()
	input := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	p := load(b, kernel(b), wasmhive.PluginConfig{})
	b.SetBytes(int64(2 * len(input)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Call(ctx, "bulk_echo", input); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConcurrent calls one plugin from GOMAXPROCS goroutines: through
// one Plugin (calls serialised by its mutex) and through
// CompiledPlugin.Call (a pool of instances, calls in parallel).
func BenchmarkConcurrent(b *testing.B) {
	ctx := context.Background()
	input := []byte("hello world")
	wasm := sdkWasm(b, "count_vowels.wasm")
	b.Run("plugin-mutex", func(b *testing.B) {
		p := load(b, wasm, wasmhive.PluginConfig{})
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := p.Call(ctx, "count_vowels", input); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("compiled-pool", func(b *testing.B) {
		c, err := wasmhive.CompileFile(ctx, wasm, wasmhive.PluginConfig{})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close(ctx)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Call(ctx, "count_vowels", input); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
