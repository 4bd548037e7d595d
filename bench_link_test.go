package wasmhive_test

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive"
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
