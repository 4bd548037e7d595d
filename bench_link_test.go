package wasmhive_test

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/abi/canonical"
)

// BenchmarkLinkCall is one call with a 1 KiB payload across a component
// link, to a host function, and to a function inside the module, each op
// one call made by the guest (bench/link/guest: one Invoke makes b.N of
// them), with wazero's interruption on (the default) and off; link-deadline
// is the link called under a context with a deadline (as an HTTP request's).
// bench/link measures more configurations; this is the one to profile:
//
//	go test -run '^$' -bench LinkCall -cpuprofile /tmp/link.prof .
func BenchmarkLinkCall(b *testing.B) {
	ctx := context.Background()
	for _, intr := range []string{"interrupts", "nointerrupts"} {
		echo := wasmhive.NewHostFunction("echo", func(_ context.Context, _ *wasmhive.CurrentPlugin, in []byte) ([]byte, error) {
			return append([]byte{0}, in...), nil
		})
		h, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{NoCache: true, NoInterrupts: intr == "nointerrupts",
			HostFunctions: []wasmhive.HostFunction{echo}})
		if err != nil {
			b.Fatal(err)
		}
		defer h.Close(ctx)
		if _, err := h.AddComponent(ctx, "callee", wasmhive.ComponentConfig{Module: "bench/link/guest/callee.wasm"}); err != nil {
			b.Fatal(err)
		}
		if _, err := h.AddComponent(ctx, "caller", wasmhive.ComponentConfig{Module: "bench/link/guest/caller.wasm",
			Links: []wasmhive.Link{{Interface: "bench:echo/api", Target: "callee"}}}); err != nil {
			b.Fatal(err)
		}
		for _, kind := range []string{"link", "link-deadline", "host", "plain"} {
			b.Run(intr+"/"+kind, func(b *testing.B) {
				ctx, export := ctx, "run_"+kind
				if kind == "link-deadline" {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, time.Hour)
					defer cancel()
					export = "run_link"
				}
				in := make([]byte, 8)
				binary.LittleEndian.PutUint32(in[4:], 1024)
				binary.LittleEndian.PutUint32(in, 100)
				if _, err := h.Invoke(ctx, "caller", export, in); err != nil { // warm the link's pool
					b.Fatal(err)
				}
				binary.LittleEndian.PutUint32(in, uint32(b.N))
				b.ReportAllocs()
				b.ResetTimer()
				out, err := h.Invoke(ctx, "caller", export, in)
				b.StopTimer()
				if err != nil || len(out) != 8 {
					b.Fatalf("%s: %x, %v", export, out, err)
				}
			})
		}
	}
}

// BenchmarkTypedLinkCall compares, in one run, a call across a typed link
// between Component Model components with a record payload (linkcaller's
// repeat: greet({name: 1 KiB string, tags: []}) across to linktarget,
// which answers a string of the same size) with a call across a module
// link carrying the same bytes (bench/link/guest: run_link with a 1 KiB
// payload, echoed). Each op is one call made by the guest; it reports
// both figures and their ratio (typed / module).
//
//	go test -run '^$' -bench TypedLinkCall -benchtime 20000x .
func BenchmarkTypedLinkCall(b *testing.B) {
	ctx := context.Background()
	echo := wasmhive.NewHostFunction("echo", func(_ context.Context, _ *wasmhive.CurrentPlugin, in []byte) ([]byte, error) {
		return append([]byte{0}, in...), nil
	})
	h, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{NoCache: true, HostFunctions: []wasmhive.HostFunction{echo}})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close(ctx)
	for _, c := range []struct {
		name, module string
		links        []wasmhive.Link
	}{
		{"callee", "bench/link/guest/callee.wasm", nil},
		{"caller", "bench/link/guest/caller.wasm", []wasmhive.Link{{Interface: "bench:echo/api", Target: "callee"}}},
		{"target", linkTarget, nil},
		{"typed", linkCaller, []wasmhive.Link{{Interface: "wasmhive:links/greet@0.1.0", Target: "target"}}},
	} {
		if _, err := h.AddComponent(ctx, c.name, wasmhive.ComponentConfig{Module: c.module, Links: c.links}); err != nil {
			b.Fatal(err)
		}
	}
	typed, _ := h.Component("typed")
	person := canonical.Record{strings.Repeat("x", 1024), canonical.List{}}
	module := func(n int) {
		in := make([]byte, 8)
		binary.LittleEndian.PutUint32(in, uint32(n))
		binary.LittleEndian.PutUint32(in[4:], 1024)
		if out, err := h.Invoke(ctx, "caller", "run_link", in); err != nil || len(out) != 8 {
			b.Fatalf("run_link: %x, %v", out, err)
		}
	}
	typedCalls := func(n int) {
		v, err := typed.CallFunc(ctx, nil, []string{"repeat"}, uint32(n), person)
		if err != nil || v != uint32(1024+3) {
			b.Fatalf("repeat: %#v, %v", v, err)
		}
	}
	module(100) // warm both links' pools
	typedCalls(100)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	typedCalls(b.N)
	typedNs := float64(time.Since(start).Nanoseconds()) / float64(b.N)
	b.StopTimer()
	start = time.Now()
	module(b.N)
	moduleNs := float64(time.Since(start).Nanoseconds()) / float64(b.N)
	b.ReportMetric(moduleNs, "module-ns/op")
	b.ReportMetric(typedNs/moduleNs, "typed/module")
}
