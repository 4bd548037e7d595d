package boltkv_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/wasmhive/wasmhive/capability/keyvalue/boltkv"
)

func ExampleOpen() {
	dir, err := os.MkdirTemp("", "boltkv-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	s, err := boltkv.Open(filepath.Join(dir, "kv.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	hits, err := s.Open(ctx, "counter")
	if err != nil {
		log.Fatal(err)
	}
	hits.Increment(ctx, "visits", 1)
	n, _ := hits.Increment(ctx, "visits", 1)
	v, _ := hits.Get(ctx, "visits")
	fmt.Println(n, string(v))

	// A second opener (another wasmhive process) is refused after a second.
	_, err = boltkv.Open(filepath.Join(dir, "kv.db"))
	fmt.Println(err != nil)
	// Output:
	// 2 2
	// true
}
