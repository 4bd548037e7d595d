package pdkcompat

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The machine a benchmark runs on is often shared, and its load changes
// between one sub-benchmark and the next. BenchmarkPaired calls the same
// plugin on every host in turn within each iteration, so all hosts see the
// same load, and reports each host's time per call and the ratios
// (above 1: wasmhive is faster):
//
//	wasmhive-ns/op  extism-ns/op  extism/wasmhive
//	wasmhive+intr-ns/op  extism+intr-ns/op  extism+intr/wasmhive+intr
//
// "+intr" is the same host with interrupts on (see onWasmhiveIntr): each
// ratio compares the two hosts on the same wazero setting. The bulk-copy
// build runs only on wasmhive, so it is measured by BenchmarkEcho64K alone:
// interleaved with other plugins its 64 KiB buffers start cold in the cache.

type pairedHost struct {
	name string
	h    host
	d    time.Duration
}

func benchPaired(b *testing.B, hosts []*pairedHost, fn string, in []byte, check func([]byte) bool) {
	b.Helper()
	for _, p := range hosts {
		out, _, err := p.h.Call(fn, in)
		if err != nil {
			b.Fatalf("%s: %v", p.name, err)
		}
		if !check(out) {
			b.Fatalf("%s: %s: unexpected output %.60q", p.name, fn, out)
		}
	}
	n := 0
	for b.Loop() {
		for _, p := range hosts {
			t0 := time.Now()
			if _, _, err := p.h.Call(fn, in); err != nil {
				b.Fatal(err)
			}
			p.d += time.Since(t0)
		}
		n++
	}
	per := map[string]float64{}
	for _, p := range hosts {
		per[p.name] = float64(p.d.Nanoseconds()) / float64(n)
		b.ReportMetric(per[p.name], p.name+"-ns/op")
		if len(in) >= 1<<10 {
			b.ReportMetric(float64(len(in))*1e3/per[p.name], p.name+"-MB/s")
		}
	}
	for _, pair := range [][2]string{{"extism", "wasmhive"}, {"extism+intr", "wasmhive+intr"}} {
		if x, ok := per[pair[0]]; ok && per[pair[1]] > 0 {
			b.ReportMetric(x/per[pair[1]], pair[0]+"/"+pair[1])
		}
	}
	b.ReportMetric(0, "ns/op") // the per-host metrics above are the result
}

func pairedHosts(b *testing.B, wasm string) []*pairedHost {
	return []*pairedHost{
		{name: "wasmhive", h: open(b, onWasmhive, wasm, options{})},
		{name: "extism", h: open(b, onExtism, wasm, options{})},
		{name: "wasmhive+intr", h: open(b, onWasmhiveIntr, wasm, options{})},
		{name: "extism+intr", h: open(b, onExtismIntr, wasm, options{})},
	}
}

func BenchmarkPaired(b *testing.B) {
	countOK := func(out []byte) bool { return bytes.HasPrefix(out, []byte(`{"count":`)) }
	hello := []byte("hello world")
	b.Run("small/pdk-go", func(b *testing.B) {
		benchPaired(b, pairedHosts(b, plugin(b, "count_vowels")), "count_vowels", hello, countOK)
	})
	rust := extismPrebuilt(b, "count_vowels.wasm")
	for _, n := range []int{11, 1 << 10, 64 << 10} {
		in := []byte(strings.Repeat("hello world", n/11+1)[:n])
		b.Run("extism-rust-pdk/"+byteSize(n), func(b *testing.B) {
			benchPaired(b, pairedHosts(b, rust), "count_vowels", in, countOK)
		})
	}
	in := bytes.Repeat([]byte("0123456789abcdef"), 64<<10/16)
	same := func(out []byte) bool { return bytes.Equal(out, in) }
	b.Run("echo64K/pdk-go", func(b *testing.B) {
		benchPaired(b, pairedHosts(b, plugin(b, "echo")), "echo", in, same)
	})
	b.Run("echo64K/pdk-go-reuse", func(b *testing.B) {
		benchPaired(b, pairedHosts(b, plugin(b, "echo")), "echo_reuse", in, same)
	})
}

func byteSize(n int) string {
	switch {
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + "KiB"
	default:
		return strconv.Itoa(n) + "B"
	}
}
