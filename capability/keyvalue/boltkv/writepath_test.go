package boltkv

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/wasmhive/wasmhive/capability/keyvalue/internal/counter"
)

// BenchmarkWritePath compares ways of committing Increment: the group
// commit Store uses, one db.Update per call, and bolt's db.Batch (which
// waits up to MaxBatchDelay, 10ms by default, to gather callers), with 1
// and 32 goroutines incrementing one key.
//
//	go test ./capability/keyvalue/boltkv -run '^$' -bench WritePath
func BenchmarkWritePath(b *testing.B) {
	ctx := context.Background()
	for _, path := range []string{"group", "update", "batch"} {
		for _, workers := range []int{1, 32} {
			b.Run(fmt.Sprintf("%s/%d", path, workers), func(b *testing.B) {
				s, err := Open(filepath.Join(b.TempDir(), "kv.db"))
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				bk, err := s.Open(ctx, "bench")
				if err != nil {
					b.Fatal(err)
				}
				name := bk.(*Bucket).name
				fn := func(tx *bolt.Tx) error {
					bb := tx.Bucket(name)
					old, found := lookup(bb, []byte("n"))
					_, text, err := counter.Apply(old, found, 1)
					if err != nil {
						return err
					}
					return bb.Put([]byte("n"), text)
				}
				incr := map[string]func() error{
					"group":  func() error { _, err := bk.Increment(ctx, "n", 1); return err },
					"update": func() error { return s.db.Update(fn) },
					"batch":  func() error { return s.db.Batch(fn) },
				}[path]
				var next atomic.Int64
				var wg sync.WaitGroup
				b.ResetTimer()
				for w := 0; w < workers; w++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for next.Add(1) <= int64(b.N) {
							if err := incr(); err != nil {
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
}
