package boltkv_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/capability/keyvalue"
	"github.com/wasmhive/wasmhive/capability/keyvalue/boltkv"
	"github.com/wasmhive/wasmhive/capability/keyvalue/internal/kvservers"
	"github.com/wasmhive/wasmhive/capability/keyvalue/kvtest"
)

func TestConformance(t *testing.T) {
	kvtest.Run(t, func(t *testing.T) keyvalue.Store {
		s, err := boltkv.Open(filepath.Join(t.TempDir(), "kv.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestMain(m *testing.M) {
	if path := os.Getenv(kvservers.ChildEnv); path != "" {
		durabilityChild(path)
		return
	}
	os.Exit(m.Run())
}

// durabilityChild increments "n" in bucket "d" of the bolt file at path
// until it is killed.
func durabilityChild(path string) {
	ctx := context.Background()
	s, err := boltkv.Open(path)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	b, err := s.Open(ctx, "d")
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	kvservers.ChildLoop(func() (int64, error) { return b.Increment(ctx, "n", 1) })
	os.Exit(1)
}

// TestDurabilityAfterKill: a child process increments a counter and is
// killed with SIGKILL; every increment it acknowledged is in the file. While
// it runs, the file is refused to a second opener with a clear error.
func TestDurabilityAfterKill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kv.db")
	c := kvservers.StartChild(t, path)
	c.WaitAcks(t, 300, 30*time.Second)

	start := time.Now()
	_, err := boltkv.Open(path)
	var inUse *boltkv.InUseError
	if !errors.As(err, &inUse) || !errors.Is(err, boltkv.ErrInUse) {
		t.Fatalf("Open of a file held by another process: %v, want an *InUseError", err)
	}
	want := "boltkv: data directory " + filepath.Dir(path) + " is in use by another wasmhive process (kv.db is locked)"
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if d := time.Since(start); d < boltkv.LockTimeout/2 || d > boltkv.LockTimeout+2*time.Second {
		t.Errorf("Open gave up after %v, want about %v", d, boltkv.LockTimeout)
	}

	acked, count := c.Kill(t)
	s, err := boltkv.Open(path)
	if err != nil {
		t.Fatalf("reopen after kill -9: %v", err)
	}
	defer s.Close()
	b, err := s.Open(context.Background(), "d")
	if err != nil {
		t.Fatal(err)
	}
	v, err := b.Get(context.Background(), "n")
	if err != nil {
		t.Fatal(err)
	}
	persisted, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("child acknowledged %d increments (highest %d); %d persisted", count, acked, persisted)
	if persisted < acked {
		t.Fatalf("lost acknowledged increments: %d persisted, %d acknowledged", persisted, acked)
	}
	if persisted > acked+kvservers.ChildWorkers {
		t.Fatalf("%d persisted, more than the %d acknowledged plus %d in flight", persisted, acked, kvservers.ChildWorkers)
	}
	if int64(count) > acked || acked-int64(count) > kvservers.ChildWorkers {
		t.Fatalf("%d distinct acknowledgements but the highest value is %d", count, acked)
	}
}
