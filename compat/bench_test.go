package compat_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	sdk "github.com/extism/go-sdk"

	"github.com/wasmhive/wasmhive"
)

// BenchmarkCountVowels calls the Rust PDK's count_vowels on "hello world" on
// wasmhive and, in the same run, on the Extism Go SDK (the baseline).
func BenchmarkCountVowels(b *testing.B) {
	ctx := context.Background()
	input := []byte("hello world")
	wasm := sdkWasm(b, "count_vowels.wasm")
	b.Run("wasmhive", func(b *testing.B) {
		p := load(b, wasm, likeExtism)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.Call(ctx, "count_vowels", input); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("extism-go-sdk", func(b *testing.B) {
		m := sdk.Manifest{Wasm: []sdk.Wasm{sdk.WasmFile{Path: wasm}}}
		p, err := sdk.NewPlugin(ctx, m, sdk.PluginConfig{EnableWasi: true}, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close(ctx)
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := p.Call("count_vowels", input); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCountVowelsSizes: the Rust PDK's count_vowels at several input
// sizes, on wasmhive and on the Extism Go SDK in the same run.
func BenchmarkCountVowelsSizes(b *testing.B) {
	ctx := context.Background()
	wasm := sdkWasm(b, "count_vowels.wasm")
	for _, size := range []int{16, 1 << 10, 64 << 10} {
		input := bytes.Repeat([]byte("a quick brown fox "), size/18+1)[:size]
		for _, mode := range []string{"wasmhive", "wasmhive-interruptible"} {
			b.Run(fmt.Sprintf("%d/%s", size, mode), func(b *testing.B) {
				cfg := likeExtism
				if mode == "wasmhive-interruptible" {
					cfg = wasmhive.PluginConfig{} // the default
				}
				p := load(b, wasm, cfg)
				b.SetBytes(int64(size))
				for b.Loop() {
					if _, err := p.Call(ctx, "count_vowels", input); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		b.Run(fmt.Sprintf("%d/extism-go-sdk", size), func(b *testing.B) {
			p, err := sdk.NewPlugin(ctx, sdk.Manifest{Wasm: []sdk.Wasm{sdk.WasmFile{Path: wasm}}}, sdk.PluginConfig{EnableWasi: true}, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close(ctx)
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, _, err := p.Call("count_vowels", input); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
