package messaging_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/wasmhive/wasmhive/capability/messaging"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

// BenchmarkPublish compares a guest's publish through the capability (one
// host call per message, from a loop inside the guest; the default PDK
// build and the wasmhive_bulk one) with the same publish made by Go code on
// the host, the baseline.
func BenchmarkPublish(b *testing.B) {
	e := newEnv(b)
	bulk := *e
	var err error
	if bulk.mod, err = e.rt.CompileFile(context.Background(), testguest.GoReactorTags(b, "capabilities/messaging", "wasmhive_bulk")); err != nil {
		b.Fatal(err)
	}
	body := "0123456789abcdef0123456789abcdef" // 32 bytes
	for _, c := range []struct {
		name string
		e    *env
	}{{"guest", e}, {"guest-bulk", &bulk}} {
		b.Run(c.name, func(b *testing.B) {
			g := c.e.instance(b, &messaging.Binding{Broker: e.broker(b), Subjects: []string{"bench.>"}})
			in, _ := json.Marshal(map[string]any{"subject": "bench.x", "body": body, "timeout_ms": b.N})
			b.ResetTimer()
			if _, err := g.call(context.Background(), "publish_many", in); err != nil {
				b.Fatal(err)
			}
		})
	}
	b.Run("go", func(b *testing.B) {
		br := e.broker(b)
		ctx := context.Background()
		msg := []byte(body)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := br.Publish(ctx, "bench.x", msg); err != nil {
				b.Fatal(err)
			}
		}
	})
}
