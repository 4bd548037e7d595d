package pdkcompat

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
)

// Run all of them in one go (see README.md):
//
//	go test -run '^$' -bench . -benchtime 2s ./internal/pdkcompat

// benchHosts are the hosts every benchmark compares.
var benchHosts = []hostKind{onWasmhive, onExtism, onWasmhiveIntr, onExtismIntr}

// benchCall calls fn with in b.N times on h, checking the first result.
func benchCall(b *testing.B, h host, fn string, in []byte, check func([]byte) bool) {
	b.Helper()
	out, _, err := h.Call(fn, in)
	if err != nil {
		b.Fatal(err)
	}
	if !check(out) {
		b.Fatalf("%s: unexpected output %.60q", fn, out)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, n := cpuTime(), 0
	for b.Loop() {
		if _, _, err := h.Call(fn, in); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportCPU(b, cpuTime()-cpu0, n, len(in))
}

// reportCPU reports the process CPU time per call ("cpu-ns/op") and, for
// inputs of 1 KiB or more, the throughput it gives ("cpu-MB/s"): figures that
// hold on a loaded machine, where ns/op also counts waiting for a CPU. With
// GOMAXPROCS > 1 it includes the garbage collector's background work.
func reportCPU(b *testing.B, cpu time.Duration, n, size int) {
	if cpu <= 0 || n == 0 {
		return
	}
	per := float64(cpu.Nanoseconds()) / float64(n)
	b.ReportMetric(per, "cpu-ns/op")
	if size >= 1<<10 {
		b.ReportMetric(float64(size)*1e3/per, "cpu-MB/s")
	}
}

// BenchmarkSmallCall is the latency of one small call: count_vowels on
// "hello world", built with our PDK and with Extism's Rust PDK, on both hosts.
// Both plugins read config, read and write a variable, and output JSON.
func BenchmarkSmallCall(b *testing.B) {
	plugins := []struct{ name, path string }{
		{"pdk-go", plugin(b, "count_vowels")},
		{"extism-rust-pdk", extismPrebuilt(b, "count_vowels.wasm")},
	}
	in := []byte("hello world")
	for _, p := range plugins {
		for _, kind := range benchHosts {
			b.Run(string(kind)+"/"+p.name, func(b *testing.B) {
				h := open(b, kind, p.path, options{})
				benchCall(b, h, "count_vowels", in, func(out []byte) bool { return bytes.HasPrefix(out, []byte(`{"count":3,`)) })
			})
		}
	}
	// The bulk-copy build needs half the host calls (keys and values of any
	// length move in one call); it runs only on wasmhive.
	bulk := bulkPlugin(b, "count_vowels")
	for _, kind := range []hostKind{onWasmhive, onWasmhiveIntr} {
		b.Run(string(kind)+"/pdk-go-bulk", func(b *testing.B) {
			h := open(b, kind, bulk, options{})
			benchCall(b, h, "count_vowels", in, func(out []byte) bool { return bytes.HasPrefix(out, []byte(`{"count":3,`)) })
		})
	}
}

// BenchmarkNoop is the bare cost of a call through each host: an export
// that reads no input and sets no output.
func BenchmarkNoop(b *testing.B) {
	wasm := plugin(b, "echo")
	for _, kind := range benchHosts {
		b.Run(string(kind)+"/pdk-go", func(b *testing.B) {
			benchCall(b, open(b, kind, wasm, options{}), "noop", []byte("x"), func(out []byte) bool { return len(out) == 0 })
		})
	}
}

// BenchmarkEcho64K is throughput with 64 KiB in and 64 KiB out: echo built
// with our PDK. "pdk-go" is pdk.Output(pdk.Input()); "-reuse" reads into a
// buffer kept across calls (pdk.AppendInput), so the guest allocates
// nothing; "-bulk" is the -tags wasmhive_bulk build (wasmhive only). The
// MB/s figure counts the payload once (64 KiB per call), though each call
// moves it in and out.
func BenchmarkEcho64K(b *testing.B) {
	in := bytes.Repeat([]byte("0123456789abcdef"), 64<<10/16)
	std, bulk := plugin(b, "echo"), bulkPlugin(b, "echo")
	type run struct {
		kind     hostKind
		name, fn string
		wasm     string
	}
	var runs []run
	for _, kind := range benchHosts {
		runs = append(runs, run{kind, "pdk-go", "echo", std}, run{kind, "pdk-go-reuse", "echo_reuse", std})
	}
	runs = append(runs, run{onWasmhive, "pdk-go-bulk", "echo", bulk}, run{onWasmhive, "pdk-go-bulk-reuse", "echo_reuse", bulk})
	for _, r := range runs {
		b.Run(string(r.kind)+"/"+r.name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			benchCall(b, open(b, r.kind, r.wasm, options{}), r.fn, in, func(out []byte) bool { return bytes.Equal(out, in) })
		})
	}
}

// BenchmarkExtismPDKSizes runs the count_vowels plugin Extism built with its
// Rust PDK at several input sizes on both hosts: plugins built with Extism's
// PDKs must be at least as fast on wasmhive as on Extism's own SDK.
func BenchmarkExtismPDKSizes(b *testing.B) {
	wasm := extismPrebuilt(b, "count_vowels.wasm")
	for _, n := range []int{11, 1 << 10, 64 << 10} {
		in := []byte(strings.Repeat("hello world", n/11+1)[:n])
		for _, kind := range benchHosts {
			b.Run(fmt.Sprintf("%s/%dB", kind, n), func(b *testing.B) {
				b.SetBytes(int64(n))
				benchCall(b, open(b, kind, wasm, options{}), "count_vowels", in, func(out []byte) bool { return bytes.HasPrefix(out, []byte(`{"count":`)) })
			})
		}
	}
}

// baselineWasm is the smallest module a host can call with data: one page
// of exported memory and an export returning 0. In WAT:
//
//	(module (memory (export "memory") 1)
//	  (func (export "run") (result i32) i32.const 0))
var baselineWasm = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
	0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, // type: () -> i32
	0x03, 0x02, 0x01, 0x00, // function 0 has type 0
	0x05, 0x03, 0x01, 0x00, 0x01, // memory: min 1 page
	0x07, 0x10, 0x02, // exports:
	0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00, // "memory" = memory 0
	0x03, 'r', 'u', 'n', 0x00, 0x00, // "run" = func 0
	0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x00, 0x0b, // code: i32.const 0
}

// BenchmarkWazeroBaseline is the floor any host on wazero pays: copy 1 KiB
// into linear memory, call an export, copy 1 KiB out, with plain wazero.
func BenchmarkWazeroBaseline(b *testing.B) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	mod, err := rt.Instantiate(ctx, baselineWasm)
	if err != nil {
		b.Fatal(err)
	}
	mem, run := mod.Memory(), mod.ExportedFunction("run")
	in := bytes.Repeat([]byte{'x'}, 1<<10)
	out := make([]byte, len(in))
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	cpu0, n := cpuTime(), 0
	for b.Loop() {
		mem.Write(0, in)
		res, err := run.Call(ctx)
		if err != nil || res[0] != 0 {
			b.Fatal(res, err)
		}
		got, _ := mem.Read(0, uint32(len(out)))
		copy(out, got)
		n++
	}
	reportCPU(b, cpuTime()-cpu0, n, len(in))
}
