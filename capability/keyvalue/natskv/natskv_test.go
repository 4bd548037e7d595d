package natskv_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wasmhive/wasmhive/capability/keyvalue"
	"github.com/wasmhive/wasmhive/capability/keyvalue/internal/kvservers"
	"github.com/wasmhive/wasmhive/capability/keyvalue/kvtest"
	"github.com/wasmhive/wasmhive/capability/keyvalue/natskv"
)

func TestConformance(t *testing.T) {
	srv := kvservers.NATS(t, t.TempDir())
	nc := kvservers.Connect(t, srv)
	kvtest.Run(t, func(t *testing.T) keyvalue.Store {
		s, err := natskv.New(context.Background(), nc)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestInterop: keys other NATS clients see are natskv's escaped keys, dotted
// keys keep their NATS spelling, and keys that are no encoding of a key are
// ignored.
func TestInterop(t *testing.T) {
	ctx := context.Background()
	srv := kvservers.NATS(t, t.TempDir())
	nc := kvservers.Connect(t, srv)
	s, err := natskv.New(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Open(ctx, "interop")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"orders.eu.42", "user:42"} {
		if err := b.Set(ctx, k, []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := js.KeyValue(ctx, "interop")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := raw.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keys, []string{"orders.eu.42", "user=3A42"}) {
		t.Fatalf("JetStream keys = %q", keys)
	}
	if _, err := raw.Put(ctx, "x=y", []byte("foreign")); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Put(ctx, "plain.foreign", []byte("seen")); err != nil {
		t.Fatal(err)
	}
	got, _, err := b.ListKeys(ctx, "", "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"orders.eu.42", "plain.foreign", "user:42"}) {
		t.Fatalf("ListKeys = %q", got)
	}
	if v, err := b.Get(ctx, "plain.foreign"); err != nil || string(v) != "seen" {
		t.Fatalf("Get(plain.foreign) = %q, %v", v, err)
	}
}

func TestNoJetStream(t *testing.T) {
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	defer srv.Shutdown()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	nc := kvservers.Connect(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = natskv.New(ctx, nc)
	if err == nil || !strings.Contains(err.Error(), "JetStream is not enabled") {
		t.Fatalf("New without JetStream: %v", err)
	}
}

func TestMain(m *testing.M) {
	if dir := os.Getenv(kvservers.ChildEnv); dir != "" {
		durabilityChild(dir)
		return
	}
	os.Exit(m.Run())
}

// durabilityChild runs an embedded JetStream server storing in dir and
// increments "n" in bucket "d" until it is killed.
func durabilityChild(dir string) {
	ctx := context.Background()
	die := func(err error) {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	srv, err := kvservers.StartNATS(dir)
	if err != nil {
		die(err)
	}
	nc, err := nats.Connect("", nats.InProcessServer(srv))
	if err != nil {
		die(err)
	}
	s, err := natskv.New(ctx, nc)
	if err != nil {
		die(err)
	}
	b, err := s.Open(ctx, "d")
	if err != nil {
		die(err)
	}
	kvservers.ChildLoop(func() (int64, error) { return b.Increment(ctx, "n", 1) })
	os.Exit(1)
}

// TestDurabilityAfterKill: a child process running an embedded JetStream
// server increments a counter and is killed with SIGKILL; a new server on
// the same store directory has every increment the child acknowledged.
func TestDurabilityAfterKill(t *testing.T) {
	dir := t.TempDir()
	c := kvservers.StartChild(t, dir)
	c.WaitAcks(t, 300, 30*time.Second)
	acked, count := c.Kill(t)

	srv := kvservers.NATS(t, dir)
	nc := kvservers.Connect(t, srv)
	ctx := context.Background()
	s, err := natskv.New(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Open(ctx, "d")
	if err != nil {
		t.Fatal(err)
	}
	v, err := b.Get(ctx, "n")
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
