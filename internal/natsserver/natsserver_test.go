package natsserver_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wasmhive/wasmhive/internal/natsserver"
)

func start(t *testing.T, cfg natsserver.Config) *natsserver.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := natsserver.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return s
}

// roundTrip checks a request/reply between two connections.
func roundTrip(t *testing.T, a, b *nats.Conn) {
	t.Helper()
	sub, err := b.Subscribe("svc.echo", func(m *nats.Msg) { m.Respond(append([]byte("echo "), m.Data...)) })
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	m, err := a.Request("svc.echo", []byte("hi"), 5*time.Second)
	if err != nil || string(m.Data) != "echo hi" {
		t.Fatalf("request = %v, %v", m, err)
	}
}

func TestInProcess(t *testing.T) {
	s := start(t, natsserver.Config{})
	if u := s.ClientURL(); u != "" {
		t.Fatalf("ClientURL of an in-process server = %q, want empty", u)
	}
	if s.JetStream() {
		t.Fatal("JetStream on without a directory")
	}
	a, err := s.Connect("a")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := s.Connect("b")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	roundTrip(t, a, b)
}

func TestListen(t *testing.T) {
	s := start(t, natsserver.Config{Listen: "127.0.0.1:0"})
	u := s.ClientURL()
	if !strings.HasPrefix(u, "nats://127.0.0.1:") || strings.HasSuffix(u, ":0") || strings.HasSuffix(u, ":-1") {
		t.Fatalf("ClientURL = %q, want nats://127.0.0.1:<port>", u)
	}
	tcp, err := nats.Connect(u, nats.Timeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	in, err := s.Connect("in")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	roundTrip(t, tcp, in)
	roundTrip(t, in, tcp)
}

func TestPortTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = natsserver.Start(ctx, natsserver.Config{Listen: l.Addr().String()})
	if err == nil || !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(err.Error(), l.Addr().String()) {
		t.Fatalf("Start on a taken port: err = %v, want EADDRINUSE naming the address", err)
	}
}

func TestBadListen(t *testing.T) {
	for _, addr := range []string{"4222", "127.0.0.1:http", "127.0.0.1:70000"} {
		_, err := natsserver.Start(context.Background(), natsserver.Config{Listen: addr})
		if err == nil || !strings.Contains(err.Error(), "listen address") {
			t.Errorf("Listen %q: err = %v", addr, err)
		}
	}
}

func TestJetStream(t *testing.T) {
	dir := t.TempDir()
	s := start(t, natsserver.Config{Dir: dir})
	if !s.JetStream() {
		t.Fatal("JetStream off with a directory")
	}
	nc, err := s.Connect("js")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if e, err := kv.Get(ctx, "k"); err != nil || string(e.Value()) != "v" {
		t.Fatalf("get = %v, %v", e, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "jetstream")); err != nil {
		t.Fatalf("no store under the directory: %v", err)
	}
}

func TestJetStreamBadDir(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := natsserver.Start(ctx, natsserver.Config{Dir: filepath.Join(f, "sub")})
	if !errors.Is(err, natsserver.ErrNotReady) || !strings.Contains(err.Error(), "JetStream") {
		t.Fatalf("Start with a store under a file: err = %v", err)
	}
}

// TestQuiet checks that the server writes nothing to stdout or stderr, and
// that a logger given to it receives its notices at debug level.
func TestQuiet(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = w, w
	var logs bytes.Buffer
	func() {
		defer func() { os.Stdout, os.Stderr = stdout, stderr }()
		ctx := context.Background()
		s, err := natsserver.Start(ctx, natsserver.Config{Listen: "127.0.0.1:0"})
		if err != nil {
			t.Error(err)
			return
		}
		s.Shutdown(ctx)
		logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		s, err = natsserver.Start(ctx, natsserver.Config{Logger: logger})
		if err != nil {
			t.Error(err)
			return
		}
		s.Shutdown(ctx)
	}()
	w.Close()
	out, _ := io.ReadAll(r)
	if len(out) != 0 {
		t.Errorf("the server wrote to stdout/stderr:\n%s", out)
	}
	if !strings.Contains(logs.String(), "level=DEBUG") || !strings.Contains(logs.String(), "Server is ready") {
		t.Errorf("logger did not get the server's notices at debug level:\n%s", logs.String())
	}
}

func TestShutdownContext(t *testing.T) {
	s, err := natsserver.Start(context.Background(), natsserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	nc, err := s.Connect("c")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	for end := time.Now().Add(5 * time.Second); nc.IsConnected(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("a client is still connected 5s after Shutdown")
		}
	}
}

// TestCluster: three servers routed into one cluster carry a message from
// a client of the first to a client of the third, and share a JetStream
// KV bucket with three replicas.
func TestCluster(t *testing.T) {
	ctx := context.Background()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	seedAddr := l.Addr().String()
	l.Close()
	first := start(t, natsserver.Config{Name: "a", Listen: "127.0.0.1:0", Dir: t.TempDir(),
		Cluster: natsserver.Cluster{Listen: seedAddr}})
	seed := first.ClusterURL()
	if !strings.HasPrefix(seed, "nats://127.0.0.1:") {
		t.Fatalf("ClusterURL %q", seed)
	}
	var servers = []*natsserver.Server{first}
	for _, name := range []string{"b", "c"} {
		servers = append(servers, start(t, natsserver.Config{Name: name, Listen: "127.0.0.1:0", Dir: t.TempDir(),
			Cluster: natsserver.Cluster{Listen: "127.0.0.1:0", Routes: []string{seed}}}))
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, s := range servers {
		for s.NATS().NumRoutes() < 2 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if n := s.NATS().NumRoutes(); n < 2 {
			t.Fatalf("a server has %d routes, want 2", n)
		}
	}
	a, err := nats.Connect(servers[0].ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	c, err := nats.Connect(servers[2].ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// A subscription on the third server reaches the first over the
	// routes a moment after it is made: retry until it has.
	sub, err := c.Subscribe("svc.echo", func(m *nats.Msg) { m.Respond(append([]byte("echo "), m.Data...)) })
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	for {
		m, err := a.Request("svc.echo", []byte("hi"), time.Second)
		if err == nil && string(m.Data) == "echo hi" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("request across the cluster: %v, %v", m, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	js, err := jetstream.New(a)
	if err != nil {
		t.Fatal(err)
	}
	var kv jetstream.KeyValue
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		kv, err = js.CreateKeyValue(cctx, jetstream.KeyValueConfig{Bucket: "shared", Replicas: 3})
		cancel()
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond) // JetStream's meta leader is still being elected
	}
	if err != nil {
		t.Fatalf("an R3 bucket on the cluster: %v", err)
	}
	if _, err := kv.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	jc, _ := jetstream.New(c)
	kc, err := jc.KeyValue(ctx, "shared")
	if err != nil {
		t.Fatal(err)
	}
	if e, err := kc.Get(ctx, "k"); err != nil || string(e.Value()) != "v" {
		t.Fatalf("read on the third server: %v", err)
	}
}

func TestClusterBadRoute(t *testing.T) {
	_, err := natsserver.Start(context.Background(), natsserver.Config{Cluster: natsserver.Cluster{Listen: "127.0.0.1:0", Routes: []string{"http://x"}}})
	if err == nil || !strings.Contains(err.Error(), `route "http://x": want nats://HOST:PORT`) {
		t.Fatalf("bad route: %v", err)
	}
	_, err = natsserver.Start(context.Background(), natsserver.Config{Dir: t.TempDir(), Cluster: natsserver.Cluster{Listen: "127.0.0.1:0"}})
	if err == nil || !strings.Contains(err.Error(), "first member needs a fixed cluster port") {
		t.Fatalf("first member on port 0: %v", err)
	}
}
