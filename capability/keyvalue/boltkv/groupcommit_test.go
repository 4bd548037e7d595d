package boltkv

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/wasmhive/wasmhive/capability/keyvalue"
)

// holdWriter starts a write whose transaction blocks until release is
// called, so that the writes after it queue.
func holdWriter(t *testing.T, s *Store) (release func()) {
	t.Helper()
	started, block := make(chan struct{}), make(chan struct{})
	go s.write(context.Background(), func(*bolt.Tx) error {
		close(started)
		<-block
		return nil
	})
	<-started
	return func() { close(block) }
}

func waitPending(t *testing.T, s *Store, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		s.mu.Lock()
		got := len(s.pending)
		s.mu.Unlock()
		if got >= n {
			return
		}
	}
	t.Fatalf("%d writes never queued", n)
}

// TestCanceledQueuedWrite: a write whose context ends while it waits for
// the commit returns the context's error and is not applied; the writes
// queued with it are.
func TestCanceledQueuedWrite(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "kv.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, err := s.Open(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	release := holdWriter(t, s)
	cctx, cancel := context.WithCancel(ctx)
	canceled := make(chan error, 1)
	go func() { canceled <- b.Set(cctx, "canceled", []byte("v")) }()
	waitPending(t, s, 1)
	kept := make(chan error, 1)
	go func() { kept <- b.Set(ctx, "kept", []byte("v")) }()
	waitPending(t, s, 2)
	cancel()
	if err := <-canceled; !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled queued Set: %v", err)
	}
	release()
	if err := <-kept; err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "canceled"); !errors.Is(err, keyvalue.ErrNotFound) {
		t.Fatalf("the canceled write was applied: %v", err)
	}
	if v, err := b.Get(ctx, "kept"); err != nil || string(v) != "v" {
		t.Fatalf("the write queued beside it: %q, %v", v, err)
	}
}

// TestCloseWaitsForQueuedWrites: Close lets the writes it accepted commit
// before it closes the file.
func TestCloseWaitsForQueuedWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kv.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Open(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	release := holdWriter(t, s)
	done := make(chan error, 1)
	go func() { done <- b.Set(ctx, "k", []byte("v")) }()
	waitPending(t, s, 1)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	time.Sleep(20 * time.Millisecond)
	if err := b.Set(ctx, "late", []byte("v")); !errors.Is(err, keyvalue.ErrClosed) {
		t.Fatalf("Set after Close began: %v, want ErrClosed", err)
	}
	release()
	if err := <-done; err != nil {
		t.Fatalf("queued Set: %v", err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, _ = s.Open(ctx, "b")
	if v, err := b.Get(ctx, "k"); err != nil || string(v) != "v" {
		t.Fatalf("after reopen: %q, %v", v, err)
	}
}
