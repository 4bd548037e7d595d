package keyvalue_test

import (
	"context"
	"math"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/wasmhive/wasmhive/capability/keyvalue"
	"github.com/wasmhive/wasmhive/capability/keyvalue/boltkv"
	"github.com/wasmhive/wasmhive/capability/keyvalue/internal/kvservers"
	"github.com/wasmhive/wasmhive/capability/keyvalue/natskv"
	"github.com/wasmhive/wasmhive/capability/keyvalue/rediskv"
)

// providers opens bucket "bench" of each provider against its real backend,
// all in this process's run: bolt in a temporary file (fsync per commit),
// JetStream KV on an embedded nats-server (in-process connection, file
// storage) with its default sync interval and with sync_interval "always"
// (fsync per write, like bolt), Redis on a redis-server child (TCP on
// 127.0.0.1, no persistence).
func providers(b *testing.B) []struct {
	name   string
	bucket keyvalue.Bucket
} {
	ctx := context.Background()
	bs, err := boltkv.Open(filepath.Join(b.TempDir(), "kv.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { bs.Close() })
	ns, err := natskv.New(ctx, kvservers.Connect(b, kvservers.NATS(b, b.TempDir())))
	if err != nil {
		b.Fatal(err)
	}
	nss, err := natskv.New(ctx, kvservers.Connect(b, kvservers.NATSSyncAlways(b, b.TempDir())))
	if err != nil {
		b.Fatal(err)
	}
	rs, err := rediskv.New(ctx, kvservers.Redis(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rs.Close() })
	var out []struct {
		name   string
		bucket keyvalue.Bucket
	}
	for _, p := range []struct {
		name string
		s    keyvalue.Store
	}{{"bolt", bs}, {"nats", ns}, {"nats-sync", nss}, {"redis", rs}} {
		bk, err := p.s.Open(ctx, "bench")
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, struct {
			name   string
			bucket keyvalue.Bucket
		}{p.name, bk})
	}
	return out
}

// BenchmarkStore measures one operation of each provider, from Go.
//
//	go test ./capability/keyvalue -run '^$' -bench BenchmarkStore -benchtime 2s
func BenchmarkStore(b *testing.B) {
	ctx := context.Background()
	value := make([]byte, 100)
	for _, p := range providers(b) {
		if err := p.bucket.Set(ctx, "get", value); err != nil {
			b.Fatal(err)
		}
		b.Run(p.name+"/set", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if err := p.bucket.Set(ctx, "k"+strconv.Itoa(i%1000), value); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(p.name+"/get", func(b *testing.B) {
			for b.Loop() {
				if _, err := p.bucket.Get(ctx, "get"); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(p.name+"/increment", func(b *testing.B) {
			for b.Loop() {
				if _, err := p.bucket.Increment(ctx, "n", 1); err != nil {
					b.Fatal(err)
				}
			}
		})
		// 32 goroutines incrementing one key: contention and, for bolt,
		// fsyncs shared by the group commit.
		b.Run(p.name+"/increment-32", func(b *testing.B) {
			var next atomic.Int64
			var wg sync.WaitGroup
			for w := 0; w < 32; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						if _, err := p.bucket.Increment(ctx, "hot", 1); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}

// BenchmarkGuestABI measures what a keyvalue call through the guest ABI
// adds to a direct Go call of the same bolt Bucket: the guest runs N
// operations inside one call (N = b.N), so the per-call cost of entering
// the guest is spread over them, and each operation pays what a guest pays:
// allocating and filling its key block, the host function, reading and
// freeing the reply block.
//
//	go test ./capability/keyvalue -run '^$' -bench BenchmarkGuestABI
func BenchmarkGuestABI(b *testing.B) {
	ctx := context.Background()
	bk := boltBucket(b)
	if err := bk.Set(ctx, "bench", []byte("a value of some 30 bytes......")); err != nil {
		b.Fatal(err)
	}
	b.Run("direct/get", func(b *testing.B) {
		for b.Loop() {
			if _, err := bk.Get(ctx, "bench"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("direct/increment", func(b *testing.B) {
		for b.Loop() {
			if _, err := bk.Increment(ctx, "bench_n", 1); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The host function's own work (arguments to reply block), without the
	// guest and the engine.
	binding := &keyvalue.Binding{Bucket: bk}
	b.Run("host-func/get", func(b *testing.B) {
		args := [][]byte{[]byte("bench")}
		for b.Loop() {
			if r, _, _ := keyvalue.HostCall(ctx, binding, "get", args); r[0] != 0 {
				b.Fatalf("get: %q", r)
			}
		}
	})
	for _, build := range []struct {
		name string
		tags []string
	}{{"guest", nil}, {"guest-bulk", []string{"wasmhive_bulk"}}} {
		// One call runs b.N operations: no per-call limit of keys.
		p := guestTags(b, &keyvalue.Binding{Bucket: bk, MaxKeysPerCall: math.MaxInt}, build.tags...)
		if _, err := p.call("bench_get", []byte("1")); err != nil { // warm up the guest runtime
			b.Fatal(err)
		}
		for _, fn := range []string{"get", "increment", "block"} {
			export := map[string]string{"get": "bench_get", "increment": "bench_incr", "block": "bench_block"}[fn]
			b.Run(build.name+"/"+fn, func(b *testing.B) {
				b.ResetTimer()
				if _, err := p.call(export, []byte(strconv.Itoa(b.N))); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}
