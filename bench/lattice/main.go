// Command lattice benchmarks an invocation across two hosts of a lattice
// (issue 10, item 7) against a local invocation and bare NATS
// request/reply of the same payload, all in one run:
//
//	go run ./bench/lattice [-rounds 5] [-d 1s] [-sizes 64,1024] [-c 1,16]
//
// Two lattice hosts, A (role=web) and B (role=worker), each with its own
// embedded nats-server, the two servers clustered over loopback routes
// (what `wasmhive host --cluster-listen --routes` makes). An app with one
// component, echo (testdata/guests/plugins/host/kernel.wasm, export bulk_echo:
// its output is its input), placed on B, is deployed; A runs nothing of it.
// Then, for each payload size and concurrency (calls in flight):
//
//	local   Host.Invoke of echo on a Host of this process (no NATS)
//	remote  A's Lattice.Invoke of echo: NATS request/reply from A's
//	        connection, through A's server and the route to B's server,
//	        to B's host, which runs echo on a warm instance and replies
//	bare    nats.go request/reply of the same payload from A's connection
//	        to a responder on B's connection that replies with the
//	        request's data: the same servers and path, no wasmhive (the
//	        floor)
//
// Each measurement runs for -d; a round measures every kind once in an
// order reversed from round to round; the figures are the median over
// rounds of µs per call (one call in flight) or calls/s (several), and the
// ratio remote/bare is taken within each round. The goal: remote within
// 1.5x of bare.
//
// With -kvcounter it measures instead the kvcounter app's req/s (GET /hits,
// -conns connections) served by real processes of a wasmhive binary it
// builds: (a) `wasmhive up examples/kvcounter/app.yaml` (bolt), (b) one
// `wasmhive host` with the app deployed (JetStream KV R1), (c) three
// `wasmhive host` processes clustered with --kv-replicas 3, the connections
// spread over their HTTP ports (kvcounter.go):
//
//	go run ./bench/lattice -kvcounter [-rounds 3] [-d 3s] [-conns 16]
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/internal/benchload"
	"github.com/wasmhive/wasmhive/lattice"
	"github.com/wasmhive/wasmhive/manifest"
)

var (
	rounds = flag.Int("rounds", 5, "rounds; each measures every kind, size and concurrency once")
	dur    = flag.Duration("d", time.Second, "how long each measurement runs")
	sizes  = flag.String("sizes", "64,1024", "payload sizes in bytes, comma-separated")
	concs  = flag.String("c", "1,16", "calls in flight, comma-separated (1: latency; more: throughput)")
)

// goal is issue 10's bound on remote / bare.
const goal = 1.5

// The echo plugin and its export: bulk_echo copies its input to its
// output with two bulk host calls (kernel.wasm's echo copies byte by byte,
// two host calls a byte, which would weigh more than the NATS hop).
const (
	echoWasm   = "testdata/guests/plugins/host/kernel.wasm"
	echoExport = "bulk_echo"
)

func main() {
	flag.Parse()
	f := run
	if *kvMode {
		f = runKVCounter
	}
	if err := f(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/lattice:", err)
		os.Exit(1)
	}
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q: want non-negative integers", s)
		}
		out = append(out, n)
	}
	return out, nil
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// call is one kind of call.
type call func(ctx context.Context, payload []byte) ([]byte, error)

func run() error {
	szs, err := ints(*sizes)
	if err != nil {
		return fmt.Errorf("-sizes %w", err)
	}
	cs, err := ints(*concs)
	if err != nil {
		return fmt.Errorf("-c %w", err)
	}
	root, err := benchload.RepoRoot()
	if err != nil {
		return err
	}
	echo := filepath.Join(root, echoWasm)
	tmp, err := os.MkdirTemp("", "wasmhive-bench-lattice-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	quiet := slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// Two hosts, their embedded servers clustered.
	seed, err := freePort()
	if err != nil {
		return err
	}
	type joined struct {
		l   *lattice.Lattice
		err error
	}
	joins := make(chan joined, 2)
	for i, cfg := range []lattice.Config{
		{Name: "bench", Listen: "127.0.0.1:0", DataDir: filepath.Join(tmp, "a"), HostID: "host-a", Labels: map[string]string{"role": "web"},
			Cluster: lattice.Cluster{Listen: seed}},
		{Name: "bench", Listen: "127.0.0.1:0", DataDir: filepath.Join(tmp, "b"), HostID: "host-b", Labels: map[string]string{"role": "worker"},
			Cluster: lattice.Cluster{Listen: "127.0.0.1:0", Routes: []string{"nats://" + seed}}},
	} {
		go func() {
			jctx, jcancel := context.WithTimeout(ctx, 60*time.Second)
			defer jcancel()
			l, err := lattice.Join(jctx, cfg, quiet)
			if err != nil {
				err = fmt.Errorf("host %d: %w", i+1, err)
			}
			joins <- joined{l, err}
		}()
	}
	var a, b *lattice.Lattice
	for range 2 {
		j := <-joins
		if j.err != nil {
			return j.err
		}
		defer j.l.Close(context.Background())
		if j.l.HostID() == "host-a" {
			a = j.l
		} else {
			b = j.l
		}
	}
	var served sync.WaitGroup
	for _, l := range []*lattice.Lattice{a, b} {
		served.Add(1)
		go func() {
			defer served.Done()
			l.Serve(ctx, lattice.ServeConfig{Logger: quiet})
		}()
	}
	defer served.Wait()
	defer cancel()

	app := filepath.Join(tmp, "app.yaml")
	if err := os.WriteFile(app, fmt.Appendf(nil, `version: 1
name: bench
components:
  echo:
    module: %s
    instances: {max: 64}
    placement: {labels: {role: worker}}
`, echo), 0o644); err != nil {
		return err
	}
	m, err := manifest.Load(app)
	if err != nil {
		return err
	}
	// A fresh two-server JetStream may still be settling its leaders.
	for deadline := time.Now().Add(30 * time.Second); ; {
		dctx, dcancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := a.Deploy(dctx, m)
		dcancel()
		if err == nil {
			break
		} else if time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
	for deadline := time.Now().Add(60 * time.Second); ; {
		if _, err := a.Invoke(ctx, "bench", "echo", echoExport, []byte("x")); err == nil {
			break
		} else if time.Now().After(deadline) {
			return fmt.Errorf("echo not served by host B within 60s: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// The local Host, and the bare responder on B's connection.
	h, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{App: "bench-local", DataDir: filepath.Join(tmp, "local"), Logger: quiet})
	if err != nil {
		return err
	}
	defer h.Close(context.Background())
	if _, err := h.AddComponent(ctx, "echo", wasmhive.ComponentConfig{Module: echo, Instances: wasmhive.Instances{Max: 64}}); err != nil {
		return err
	}
	const bareSubject = "bench.bare.echo"
	sub, err := b.Conn().QueueSubscribe(bareSubject, "bench", func(m *nats.Msg) { m.Respond(m.Data) })
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	b.Conn().Flush()
	nc := a.Conn()

	kinds := []struct {
		name string
		f    call
	}{
		{"local", func(ctx context.Context, p []byte) ([]byte, error) { return h.Invoke(ctx, "echo", echoExport, p) }},
		{"remote", func(ctx context.Context, p []byte) ([]byte, error) {
			return a.Invoke(ctx, "bench", "echo", echoExport, p)
		}},
		{"bare", func(ctx context.Context, p []byte) ([]byte, error) {
			r, err := nc.RequestWithContext(ctx, bareSubject, p)
			if err != nil {
				return nil, err
			}
			return r.Data, nil
		}},
		{"bare+headers", func(ctx context.Context, p []byte) ([]byte, error) {
			d, _ := ctx.Deadline()
			h := nats.Header{lattice.HeaderInvocation: {"0123456789ab-1a2b"}, lattice.HeaderCaller: {"host-a"},
				lattice.HeaderExport: {echoExport}, lattice.HeaderDeadline: {strconv.FormatInt(d.UnixNano(), 10)}}
			r, err := nc.RequestMsgWithContext(ctx, &nats.Msg{Subject: bareSubject, Header: h, Data: p})
			if err != nil {
				return nil, err
			}
			return r.Data, nil
		}},
	}
	type key struct {
		kind       string
		size, conc int
	}
	results := map[key][]float64{} // calls/s per round
	ratios := map[key][]float64{}  // remote/bare time per call, per round
	for round := range *rounds {
		order := slices.Clone(kinds)
		if round%2 == 1 {
			slices.Reverse(order)
		}
		for _, size := range szs {
			payload := bytes.Repeat([]byte{'x'}, size)
			for _, c := range cs {
				got := map[string]float64{}
				for _, k := range order {
					rate, err := measure(k.f, payload, c, *dur)
					if err != nil {
						return fmt.Errorf("%s, %d B, %d in flight: %w", k.name, size, c, err)
					}
					got[k.name] = rate
					results[key{k.name, size, c}] = append(results[key{k.name, size, c}], rate)
				}
				ratios[key{"", size, c}] = append(ratios[key{"", size, c}], got["bare"]/got["remote"])
			}
		}
	}

	fmt.Printf("bench/lattice: %d rounds of %s per measurement, 2 hosts (embedded nats-servers clustered on loopback), GOMAXPROCS %d\n\n",
		*rounds, *dur, runtime.GOMAXPROCS(0))
	fmt.Println("| payload | in flight | local | remote | bare NATS req/reply | bare + the remote call's headers | remote / bare | goal ≤ 1.5x |")
	fmt.Println("|---:|---:|---:|---:|---:|---:|---:|:---:|")
	for _, size := range szs {
		for _, c := range cs {
			cell := func(kind string) string {
				r := median(results[key{kind, size, c}])
				if c == 1 {
					return fmt.Sprintf("%.1f µs", 1e6/r)
				}
				return fmt.Sprintf("%.0f calls/s", r)
			}
			ratio := median(ratios[key{"", size, c}])
			ok := "yes"
			if ratio > goal {
				ok = "no"
			}
			fmt.Printf("| %d B | %d | %s | %s | %s | %s | %.2fx | %s |\n", size, c, cell("local"), cell("remote"), cell("bare"), cell("bare+headers"), ratio, ok)
		}
	}
	fmt.Println("\nlocal: Host.Invoke in-process; remote: Lattice.Invoke from host A to echo on host B; bare: nats.go request/reply A -> B.")
	fmt.Println("One call in flight: µs per call (median of rounds); more: calls/s. remote / bare: the ratio of times per call, median of the per-round ratios.")
	return nil
}

// measure runs f with c calls in flight for d and returns calls/s,
// checking every answer.
func measure(f call, payload []byte, c int, d time.Duration) (float64, error) {
	ctx := context.Background()
	// Warm up.
	for range 50 {
		if _, err := f(ctx, payload); err != nil {
			return 0, err
		}
	}
	var (
		n     atomic.Int64
		stop  atomic.Bool
		wg    sync.WaitGroup
		first atomic.Pointer[error]
	)
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				cctx, cancel := context.WithTimeout(ctx, 10*time.Second) // a deadline, as a trigger's call has
				out, err := f(cctx, payload)
				cancel()
				if err == nil && !bytes.Equal(out, payload) {
					err = fmt.Errorf("answer of %d bytes, not the %d-byte payload", len(out), len(payload))
				}
				if err != nil {
					first.CompareAndSwap(nil, &err)
					stop.Store(true)
					return
				}
				n.Add(1)
			}
		}()
	}
	time.Sleep(d)
	stop.Store(true)
	wg.Wait()
	if e := first.Load(); e != nil {
		return 0, *e
	}
	return float64(n.Load()) / time.Since(start).Seconds(), nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}
