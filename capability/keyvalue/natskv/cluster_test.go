package natskv_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wasmhive/wasmhive/capability/keyvalue"
	"github.com/wasmhive/wasmhive/capability/keyvalue/internal/kvservers"
	"github.com/wasmhive/wasmhive/capability/keyvalue/kvtest"
	"github.com/wasmhive/wasmhive/capability/keyvalue/natskv"
	"github.com/wasmhive/wasmhive/internal/natsserver"
)

// cluster starts n embedded servers, a, b, c..., routed into one
// JetStream cluster on 127.0.0.1 (stores in t.TempDir()), and returns
// them once every one has routes to the others, with the time that
// happened.
func cluster(t *testing.T, n int) ([]*natsserver.Server, time.Time) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	seed := l.Addr().String() // the first member needs a fixed cluster port
	l.Close()
	var servers []*natsserver.Server
	for i, name := range []string{"a", "b", "c", "d", "e"}[:n] {
		c := natsserver.Cluster{Listen: seed}
		if i > 0 {
			c = natsserver.Cluster{Listen: "127.0.0.1:0", Routes: []string{"nats://" + seed}}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		s, err := natsserver.Start(ctx, natsserver.Config{Name: name, Listen: "127.0.0.1:0", Dir: t.TempDir(), Cluster: c})
		cancel()
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
		servers = append(servers, s)
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, s := range servers {
		for s.NATS().NumRoutes() < n-1 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if r := s.NATS().NumRoutes(); r < n-1 {
			t.Fatalf("server %s has %d routes, want %d", s.NATS().Name(), r, n-1)
		}
	}
	return servers, time.Now()
}

// dial connects to s over TCP (so that shutting s down cuts it), without
// reconnecting elsewhere.
func dial(t *testing.T, s *natsserver.Server) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(s.ClientURL(), nats.NoReconnect())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func newStore(t *testing.T, nc *nats.Conn, o natskv.Options) *natskv.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	s, err := natskv.New(ctx, nc, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func open(t *testing.T, s *natskv.Store, name string) keyvalue.Bucket {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	b, err := s.Open(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// streamInfo returns the stream behind bucket through nc.
func streamInfo(t *testing.T, nc *nats.Conn, bucket string) *jetstream.StreamInfo {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, "KV_"+bucket)
	if err != nil {
		t.Fatalf("stream of bucket %s: %v", bucket, err)
	}
	return st.CachedInfo()
}

// leadBy makes server name the leader of bucket's stream (a stepdown
// naming it preferred) and waits until it is.
func leadBy(t *testing.T, nc *nats.Conn, bucket, name string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		si := streamInfo(t, nc, bucket)
		if si.Cluster != nil && si.Cluster.Leader == name {
			return
		}
		if si.Cluster != nil && si.Cluster.Leader != "" {
			nc.Request("$JS.API.STREAM.LEADER.STEPDOWN.KV_"+bucket, []byte(`{"placement":{"preferred":"`+name+`"}}`), 2*time.Second)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("server %s did not become the leader of bucket %s", name, bucket)
}

func counterValue(v []byte, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(string(v), 10, 64)
}

// TestClusterR3SurvivesLoss: on a cluster of three, an R3 bucket keeps
// every increment acknowledged through the server that led it when that
// server shuts down mid-stream, and takes new increments through another
// server; an R1 bucket on the lost server is unreachable. With two of the
// three down, Open fails with a clear line once ReadyTimeout has passed.
func TestClusterR3SurvivesLoss(t *testing.T) {
	ctx := context.Background()
	servers, formed := cluster(t, 3)

	s0 := newStore(t, dial(t, servers[0]), natskv.Options{Replicas: 3})
	open(t, s0, "counts")
	t.Logf("R3 bucket open %s after the cluster formed (routes up)", time.Since(formed).Round(time.Millisecond))
	si := streamInfo(t, dial(t, servers[0]), "counts")
	if si.Config.Replicas != 3 || si.Cluster == nil || len(si.Cluster.Replicas) != 2 {
		t.Fatalf("bucket counts: %d replicas configured, cluster %+v; want 3 (a leader and 2 followers)", si.Config.Replicas, si.Cluster)
	}

	// The victim is the server of an R1 bucket; it is made the R3
	// bucket's leader too, so that its loss costs the R3 bucket its
	// leader.
	r1 := newStore(t, dial(t, servers[0]), natskv.Options{})
	single := open(t, r1, "single")
	if err := single.Set(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	victimName := streamInfo(t, dial(t, servers[0]), "single").Cluster.Leader
	var victim, reader *natsserver.Server
	var others []*natsserver.Server
	for _, s := range servers {
		if s.NATS().Name() == victimName {
			victim = s
		} else {
			others = append(others, s)
		}
	}
	if victim == nil {
		t.Fatalf("R1 bucket single is on %q, not one of the servers", victimName)
	}
	reader = others[0]
	leadBy(t, dial(t, servers[0]), "counts", victimName)
	t.Logf("victim %s (leads counts, holds single); reader %s", victimName, reader.NATS().Name())

	wb := open(t, newStore(t, dial(t, victim), natskv.Options{Replicas: 3}), "counts")
	rs := newStore(t, dial(t, reader), natskv.Options{Replicas: 3, ReadyTimeout: 2 * time.Second})
	rb := open(t, rs, "counts")
	rsingle := open(t, newStore(t, dial(t, reader), natskv.Options{}), "single")

	// A writer increments through the victim until it is gone.
	acked := make(chan int64, 1)
	go func() {
		var last int64
		for {
			c, cancel := context.WithTimeout(ctx, 2*time.Second)
			n, err := wb.Increment(c, "n", 1)
			cancel()
			if err != nil {
				acked <- last
				return
			}
			if n != last+1 {
				t.Errorf("increment %d answered %d", last+1, n)
			}
			last = n
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := counterValue(rb.Get(ctx, "n"))
		if err == nil && n >= 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("fewer than 200 increments in 10s (read %d, %v)", n, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	lost := time.Now()
	if err := victim.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	last := <-acked
	t.Logf("%d increments acknowledged through %s before it shut down (%s)", last, victimName, time.Since(lost).Round(time.Millisecond))

	// Every acknowledged increment is on the reader's server (at most the
	// one in flight more); reads may lag while a new leader is elected.
	deadline = time.Now().Add(15 * time.Second)
	var got int64
	for {
		c, cancel := context.WithTimeout(ctx, time.Second)
		n, err := counterValue(rb.Get(c, "n"))
		cancel()
		if err == nil && n >= last {
			got = n
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after losing %s: read %d, %v; %d were acknowledged", victimName, n, err, last)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got > last+1 {
		t.Fatalf("read %d after %d acknowledged by one sequential writer", got, last)
	}
	t.Logf("read %d on %s %s after the loss", got, reader.NATS().Name(), time.Since(lost).Round(time.Millisecond))

	// New increments succeed (the first once a new leader is elected).
	var first int64
	failed := 0
	for {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		n, err := rb.Increment(c, "n", 1)
		cancel()
		if err == nil {
			first = n
			break
		}
		if failed++; time.Since(lost) > 20*time.Second {
			t.Fatalf("no increment succeeded in 20s after losing %s: %v", victimName, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("first increment after the loss succeeded %s after it (%d failed attempts before)", time.Since(lost).Round(time.Millisecond), failed)
	// The writer's increment in flight at the loss may land after the
	// read above, and so may failed attempts here.
	if first < got+1 || first > last+2+int64(failed) {
		t.Fatalf("first increment after the loss answered %d; %d acknowledged, %d read, %d failed attempts", first, last, got, failed)
	}
	for i := int64(1); i <= 50; i++ {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		n, err := rb.Increment(c, "n", 1)
		cancel()
		if err != nil || n != first+i {
			t.Fatalf("increment %d after failover: %d, %v; want %d", i, n, err, first+i)
		}
	}

	// The R1 bucket lived on the victim only.
	c, cancel := context.WithTimeout(ctx, 2*time.Second)
	v, err := rsingle.Get(c, "k")
	cancel()
	if err == nil {
		t.Fatalf("R1 bucket read %q with its only server down", v)
	}
	t.Logf("R1 bucket with its server down: %v", err)

	// Two servers of three up: a new R3 bucket is made all the same (the
	// third catches up when it is back).
	tb := open(t, rs, "three")
	if err := tb.Set(ctx, "k", []byte("v")); err != nil {
		t.Fatalf("a new R3 bucket with 2 servers of 3 up: %v", err)
	}

	// Two of three down: no quorum, so a new bucket cannot be made.
	if err := others[1].Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = rs.Open(ctx, "late")
	took := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "natskv: keyvalue bucket late: JetStream cluster not ready after 2s: ") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("Open without quorum: %v", err)
	}
	if took > 4*time.Second {
		t.Fatalf("Open without quorum took %s with ReadyTimeout 2s", took)
	}
	t.Logf("Open without quorum, after %s: %v", took.Round(time.Millisecond), err)
	c, cancel = context.WithTimeout(ctx, 300*time.Millisecond)
	start = time.Now()
	_, err = rs.Open(c, "late")
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 1500*time.Millisecond {
		t.Fatalf("Open without quorum, ctx of 300ms: %v after %s", err, time.Since(start))
	}
}

// TestClusterReplicasOfExisting: a bucket made with fewer replicas is
// raised to a Store's, keeping its keys; one with more is left alone.
func TestClusterReplicasOfExisting(t *testing.T) {
	ctx := context.Background()
	servers, _ := cluster(t, 3)
	nc := dial(t, servers[1])
	b1 := open(t, newStore(t, nc, natskv.Options{}), "grow")
	if err := b1.Set(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if r := streamInfo(t, nc, "grow").Config.Replicas; r != 1 {
		t.Fatalf("bucket made by a Store of 1 replica has %d", r)
	}
	b3 := open(t, newStore(t, dial(t, servers[2]), natskv.Options{Replicas: 3}), "grow")
	if r := streamInfo(t, nc, "grow").Config.Replicas; r != 3 {
		t.Fatalf("bucket opened by a Store of 3 replicas has %d", r)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		si := streamInfo(t, nc, "grow")
		if si.Cluster != nil && len(si.Cluster.Replicas) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bucket raised to 3 replicas: cluster %+v after 10s", si.Cluster)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if v, err := b3.Get(ctx, "k"); err != nil || string(v) != "v" {
		t.Fatalf("key after raising replicas: %q, %v", v, err)
	}
	if n, err := b3.Increment(ctx, "n", 5); err != nil || n != 5 {
		t.Fatalf("increment after raising replicas: %d, %v", n, err)
	}
	open(t, newStore(t, dial(t, servers[0]), natskv.Options{Replicas: 1}), "grow")
	if r := streamInfo(t, nc, "grow").Config.Replicas; r != 3 {
		t.Fatalf("bucket of 3 replicas opened by a Store of 1 has %d", r)
	}
}

// TestConformanceR3: the conformance suite on R3 buckets of a cluster of
// three, through one server.
func TestConformanceR3(t *testing.T) {
	if testing.Short() {
		t.Skip("a cluster of three")
	}
	servers, _ := cluster(t, 3)
	nc := dial(t, servers[0])
	kvtest.Run(t, func(t *testing.T) keyvalue.Store { return newStore(t, nc, natskv.Options{Replicas: 3}) })
}

// TestReplicasStandalone: replicas over 1 need a cluster; a count
// JetStream does not allow is refused by New.
func TestReplicasStandalone(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nc := kvservers.Connect(t, kvservers.NATS(t, t.TempDir()))
	s, err := natskv.New(ctx, nc, natskv.Options{Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = s.Open(ctx, "b")
	if err == nil || !strings.Contains(err.Error(), "natskv: keyvalue bucket b: 3 replicas need a NATS cluster with JetStream; NATS server ") ||
		!strings.Contains(err.Error(), "is not clustered (") {
		t.Fatalf("R3 on a standalone server: %v", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatalf("R3 on a standalone server failed after %s: it is not worth retrying", time.Since(start))
	}
	t.Logf("R3 on a standalone server: %v", err)
	if s.Replicas() != 3 {
		t.Fatalf("Replicas() = %d", s.Replicas())
	}
	for _, n := range []int{-1, 6} {
		_, err := natskv.New(ctx, nc, natskv.Options{Replicas: n})
		if err == nil || err.Error() != "natskv: replicas "+strconv.Itoa(n)+": JetStream keeps 1 to 5" {
			t.Errorf("replicas %d: %v", n, err)
		}
	}
	if s, err := natskv.New(ctx, nc); err != nil || s.Replicas() != 1 {
		t.Errorf("New without Options: %v", err)
	}
}

// TestClusterTooSmall: an R3 bucket on a cluster of two fails once
// ReadyTimeout has passed, saying why.
func TestClusterTooSmall(t *testing.T) {
	servers, _ := cluster(t, 2)
	open(t, newStore(t, dial(t, servers[1]), natskv.Options{Replicas: 2}), "two")
	s := newStore(t, dial(t, servers[0]), natskv.Options{Replicas: 3, ReadyTimeout: 2 * time.Second})
	start := time.Now()
	_, err := s.Open(context.Background(), "three")
	if err == nil || !strings.Contains(err.Error(), "natskv: keyvalue bucket three: JetStream cluster not ready after 2s: ") ||
		!strings.Contains(err.Error(), "(3 replicas need 3 JetStream servers of the cluster up)") {
		t.Fatalf("R3 on a cluster of two: %v", err)
	}
	t.Logf("R3 on a cluster of two, after %s: %v", time.Since(start).Round(time.Millisecond), err)
	open(t, newStore(t, dial(t, servers[1]), natskv.Options{Replicas: 2}), "two")
}
