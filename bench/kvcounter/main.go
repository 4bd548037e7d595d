// Command kvcounter benchmarks the kvcounter example app end to end against
// a native Go net/http handler doing the same increments on the same kind of
// store, all in one run on 127.0.0.1, with the keep-alive load generator of
// internal/benchload (N connections, a warm-up then a fixed measured time per
// case):
//
//	go run ./bench/kvcounter [-rounds 3] [-duration 1s] [-conns 32]
//
// Cases, each answering GET /PATH?amount=1 by incrementing the key
// counter:PATH of bucket "counter" and answering {"counter":N}:
//
//	native  nativeHandler (native.go): the guest's code compiled for the
//	        host, calling the bucket directly
//	go      examples/kvcounter/kvcounter.wasm (Go, pdk/http + pdk/keyvalue)
//	c       examples/kvcounter/c/kvcounter-c.wasm (C, pdk/c/wasmhive.h)
//	rust    examples/kvcounter/rust/kvcounter-rust.wasm (Rust, no crates)
//	cm-c    examples/kvcounter-component/c/kvcounter-c.wasm: a Component
//	        Model component (C, wasi:http + wasi:keyvalue)
//	cm-js   examples/kvcounter-component/js/kvcounter-js.wasm: the same in
//	        JavaScript (componentize-js, a fetch event handler)
//	go-noint  the Go guest on a Host with NoInterrupts, only when -cases
//	        names it: not a serving configuration (a looping guest could
//	        not be stopped), it shows what wazero's interruption checks cost
//
// The guests are served as `wasmhive up examples/kvcounter/app.yaml` serves
// them: a wasmhive.Host with the manifest's component configuration (its
// grants, limits and instances; -max-instances overrides the pool size), the
// HTTP trigger routing "/" to it, an http.Server on a listener. The access
// log is off (the native handler has none). Each contender has a store of
// its own, of one of two kinds:
//
//	bolt  the default provider: a bbolt file in a temporary directory
//	      (HostConfig.DataDir; boltkv.Open for native). Every write is
//	      fsynced (group commit), so this variant is bound by the disk.
//	mem   an in-memory store (memkv.go; HostConfig.KeyValue for the Host),
//	      so that the request path itself is what is compared.
//
// and two key patterns: "one" (every connection increments /hits: one key,
// contention) and "own" (connection i increments /conn/i). Every round runs
// every case of a variant back to back, alternating their order from round
// to round; the ratio to native is taken within each round. Every response
// is checked (200, a counter one more than the connection's previous one on
// its own key, increasing on the shared key) and at the end every counter
// is read back (?amount=0) and compared with the responses counted.
//
// With the mem store it then measures, in process, one request at a time
// through each contender's http.Handler (no network, no load generator):
// what a request costs beyond HTTP parsing. It ends with each guest's pool
// counters. bench/README.md explains the figures.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/capability/keyvalue"
	"github.com/wasmhive/wasmhive/capability/keyvalue/boltkv"
	"github.com/wasmhive/wasmhive/internal/benchload"
	"github.com/wasmhive/wasmhive/manifest"
	"github.com/wasmhive/wasmhive/trigger"
	httptrigger "github.com/wasmhive/wasmhive/trigger/http"
)

var (
	duration = flag.Duration("duration", time.Second, "measured time per case and round")
	rounds   = flag.Int("rounds", 3, "rounds; each round runs every case of every variant")
	warmup   = flag.Duration("warmup", 500*time.Millisecond, "warm-up time per case and round (not measured)")
	conns    = flag.Int("conns", 32, "concurrent keep-alive connections")
	maxInst  = flag.Int("max-instances", 0, "pool size of the guests (0: the manifest's instances.max)")
	stores   = flag.String("stores", "bolt,mem", "store variants to run (bolt, mem)")
	keyModes = flag.String("keys", "one,own", "key patterns to run (one: a key for all connections, own: a key per connection)")
	only     = flag.String("cases", "native,go,c,rust,cm-c,cm-js", "cases to run (native, go, c, rust, cm-c, cm-js, go-noint)")
	cpuprof  = flag.String("cpuprofile", "", "write a CPU profile to `FILE`")
)

func main() {
	flag.Parse()
	if *cpuprof != "" {
		f, err := os.Create(*cpuprof)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench/kvcounter:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "bench/kvcounter:", err)
		os.Exit(1)
	}
}

// The guests, relative to the repository root.
var guests = map[string]string{
	"go":   "examples/kvcounter/kvcounter.wasm",
	"c":    "examples/kvcounter/c/kvcounter-c.wasm",
	"rust": "examples/kvcounter/rust/kvcounter-rust.wasm",
	// The Component Model twins (examples/kvcounter-component): wasi:http
	// and wasi:keyvalue, served with the same configuration.
	"cm-c":  "examples/kvcounter-component/c/kvcounter-c.wasm",
	"cm-js": "examples/kvcounter-component/js/kvcounter-js.wasm",
}

// server is one contender listening on 127.0.0.1.
type server struct {
	store, name string
	addr        string
	// totals counts the requests answered 200 per path, over every round:
	// what the counters must hold at the end.
	totals map[string]int64
	errors int
	stats  func() trigger.Stats // the guest's pool counters; nil for native
	h      http.Handler
	stop   func()
}

type result struct {
	reqs     int
	errors   int
	rps      float64
	p50, p99 time.Duration
	cpu      time.Duration // process CPU time (user+system) per request, load generator included
}

func run() error {
	ctx := context.Background()
	root, err := benchload.RepoRoot()
	if err != nil {
		return err
	}
	app, err := loadApp(root)
	if err != nil {
		return err
	}
	base := app.cfg
	if *maxInst > 0 {
		base.Instances.Max = *maxInst
	}
	tmp, err := os.MkdirTemp("", "wasmhive-bench-kvcounter")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	storeList, err := list(*stores, "bolt", "mem")
	if err != nil {
		return fmt.Errorf("-stores: %w", err)
	}
	keyList, err := list(*keyModes, "one", "own")
	if err != nil {
		return fmt.Errorf("-keys: %w", err)
	}
	caseList, err := list(*only, "native", "go", "c", "rust", "cm-c", "cm-js", "go-noint")
	if err != nil {
		return fmt.Errorf("-cases: %w", err)
	}
	if !slices.Contains(caseList, "native") {
		fmt.Fprintln(os.Stderr, "bench/kvcounter: without the native case there are no ratios")
	}

	var servers []*server
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	for _, st := range storeList {
		for _, name := range caseList {
			dir := filepath.Join(tmp, st+"-"+name)
			var h http.Handler
			var closeFn func()
			var stats func() trigger.Stats
			if name == "native" {
				var store keyvalue.Store
				if st == "bolt" {
					if err := os.MkdirAll(dir, 0o700); err != nil {
						return err
					}
					if store, err = boltkv.Open(filepath.Join(dir, "keyvalue.bolt")); err != nil {
						return err
					}
				} else {
					store = newMemStore()
				}
				bucket, err := store.Open(ctx, app.bucket)
				if err != nil {
					store.Close()
					return err
				}
				h, closeFn = nativeHandler(bucket), func() { store.Close() }
			} else {
				hc := wasmhive.HostConfig{App: app.name, DataDir: dir, CacheDir: filepath.Join(tmp, "cache"), Logger: quiet}
				var mem *memStore
				if st == "mem" {
					mem = newMemStore()
					hc.KeyValue = mem
				}
				if name == "go-noint" {
					hc.NoInterrupts = true
					hc.CacheDir = filepath.Join(tmp, "cache-noint") // different code, same cache key
				}
				cc := base
				cc.Module = filepath.Join(root, guests[trimNoInt(name)])
				host, trig, err := serveGuest(ctx, hc, app.component, cc, quiet)
				if err != nil {
					return fmt.Errorf("%s/%s: %w", st, name, err)
				}
				stats = trig.Stats
				h, closeFn = trig, func() {
					host.Close(ctx)
					if mem != nil {
						mem.Close()
					}
				}
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				closeFn()
				return err
			}
			// The settings of `wasmhive up` (package app), for every contender.
			srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
			go srv.Serve(ln)
			servers = append(servers, &server{store: st, name: name, addr: ln.Addr().String(), totals: map[string]int64{},
				stats: stats, h: h, stop: func() { srv.Close(); closeFn() }})
		}
	}
	for _, s := range servers {
		if n, err := readCounter(ctx, s.addr, "/check"); err != nil || n != 0 {
			return fmt.Errorf("%s/%s: GET /check?amount=0 = %d, %v; want a counter of 0", s.store, s.name, n, err)
		}
	}

	fmt.Printf("# kvcounter end to end: %s, GOMAXPROCS=%d, %d connections, %d rounds of %s per case (after %s warm-up); guests: %s's component %q (instances max %d, min %d; limits memory %s, timeout %s)\n\n",
		runtime.Version(), runtime.GOMAXPROCS(0), *conns, *rounds, *duration, *warmup,
		"examples/kvcounter/app.yaml", app.component, base.Instances.Max, base.Instances.Min, base.Limits.Memory, base.Limits.Timeout)

	// results[store/keys/case] is one result per round.
	results := map[string][]result{}
	for r := range *rounds {
		for _, st := range storeList {
			for _, km := range keyList {
				var group []*server
				for _, s := range servers {
					if s.store == st {
						group = append(group, s)
					}
				}
				if r%2 == 1 {
					slices.Reverse(group)
				}
				for _, s := range group {
					res, err := load(s, km)
					if err != nil {
						return fmt.Errorf("%s/%s/%s: %w", st, km, s.name, err)
					}
					k := st + "/" + km + "/" + s.name
					results[k] = append(results[k], res)
					runtime.GC()
				}
			}
		}
	}

	for _, s := range servers {
		if err := verify(ctx, s); err != nil {
			return err
		}
	}

	for _, st := range storeList {
		for _, km := range keyList {
			pattern := "every connection increments `/hits` (one key)"
			if km == "own" {
				pattern = "connection i increments `/conn/i` (a key each)"
			}
			fmt.Printf("## %s store, %s\n\n", st, pattern)
			fmt.Println("| case | req/s (median round) | req/s, all rounds | p50 | p99 | errors | **req/s vs native** (median; all rounds) | CPU per request | native CPU / case CPU |")
			fmt.Println("|---|---:|---|---:|---:|---:|---|---:|---:|")
			native := results[st+"/"+km+"/native"]
			for _, name := range caseList {
				rs := results[st+"/"+km+"/"+name]
				med := median(rs)
				var all []string
				for _, r := range rs {
					all = append(all, fmt.Sprintf("%.0f", r.rps))
				}
				ratio, cpuRatio := "-", "-"
				if len(native) == len(rs) && len(rs) > 0 {
					var ratios []float64
					for i := range rs {
						ratios = append(ratios, rs[i].rps/native[i].rps)
					}
					sorted := slices.Clone(ratios)
					slices.Sort(sorted)
					var each []string
					for _, x := range ratios {
						each = append(each, fmt.Sprintf("%.0f%%", 100*x))
					}
					ratio = fmt.Sprintf("**%.0f%%** (%s)", 100*sorted[len(sorted)/2], strings.Join(each, ", "))
					cpuRatio = fmt.Sprintf("%.0f%%", 100*float64(median(native).cpu)/float64(med.cpu))
				}
				fmt.Printf("| %s | %.0f | %s | %s | %s | %d | %s | %.1f µs | %s |\n", name, med.rps, strings.Join(all, ", "),
					fmtDur(med.p50), fmtDur(med.p99), med.errors, ratio, float64(med.cpu.Nanoseconds())/1e3, cpuRatio)
			}
			fmt.Println()
		}
	}
	if slices.Contains(storeList, "mem") {
		if err := inProcess(servers); err != nil {
			return err
		}
	}
	fmt.Println("Guest instances over the whole run (pool counters):")
	fmt.Println()
	for _, s := range servers {
		if s.stats != nil {
			c := s.stats()
			fmt.Printf("- %s/%s: %d calls, %d instances created, %d discarded, %d retired, %d failed, %d calls rejected (saturated)\n",
				s.store, s.name, c.Calls, c.Created, c.Discarded, c.Retired, c.Failed, c.Rejected)
		}
	}
	fmt.Println()
	fmt.Println("req/s vs native is each round's req/s over native's in the same round (rounds in order). The median-round columns are the round with the median req/s. CPU per request is this process's user+system time (servers and load generator) over the measured window divided by the requests.")
	return nil
}

// trimNoInt maps a case to its guest ("go-noint" is the Go guest).
func trimNoInt(name string) string { return strings.TrimSuffix(name, "-noint") }

// kvApp is what the benchmark takes from examples/kvcounter/app.yaml.
type kvApp struct {
	name      string // the app's
	component string // the component routed at "/"
	cfg       wasmhive.ComponentConfig
	bucket    string // the component's keyvalue bucket
}

// loadApp reads the kvcounter manifest under root.
func loadApp(root string) (kvApp, error) {
	file := filepath.Join(root, "examples", "kvcounter", "app.yaml")
	m, err := manifest.Load(file)
	if err != nil {
		return kvApp{}, err
	}
	if len(m.HTTP.Routes) != 1 || m.HTTP.Routes[0].Path != "/" {
		return kvApp{}, fmt.Errorf("%s: expected one route, /", file)
	}
	comp, ok := m.Component(m.HTTP.Routes[0].Component)
	if !ok {
		return kvApp{}, fmt.Errorf("%s: no component %s", file, m.HTTP.Routes[0].Component)
	}
	a := kvApp{name: m.Name, component: comp.Name, cfg: comp.Config, bucket: comp.Name}
	if g := comp.Config.Grants.KeyValue; g == nil {
		return kvApp{}, fmt.Errorf("%s: component %s is not granted keyvalue", file, comp.Name)
	} else if g.Bucket != "" {
		a.bucket = g.Bucket
	}
	return a, nil
}

// inProcess measures one request at a time through each mem-store
// contender's handler, in this goroutine (no network, no load generator,
// no concurrency): what the request costs beyond HTTP parsing, which none
// of them does here. Rounds alternate the order of the cases.
func inProcess(servers []*server) error {
	var mem []*server
	for _, s := range servers {
		if s.store == "mem" {
			mem = append(mem, s)
		}
	}
	per := map[string][]float64{}
	for r := range *rounds {
		order := slices.Clone(mem)
		if r%2 == 1 {
			slices.Reverse(order)
		}
		for _, s := range order {
			ns, err := timeServe(s.h, *duration/4)
			if err != nil {
				return fmt.Errorf("in process, %s: %w", s.name, err)
			}
			per[s.name] = append(per[s.name], ns)
		}
	}
	fmt.Println("## In process, mem store: one request at a time through ServeHTTP (no network)")
	fmt.Println()
	fmt.Println("| case | time per request (median) | all rounds | more than native |")
	fmt.Println("|---|---:|---|---:|")
	med := func(xs []float64) float64 {
		s := slices.Clone(xs)
		slices.Sort(s)
		return s[len(s)/2]
	}
	native, hasNative := per["native"]
	for _, s := range mem {
		xs := per[s.name]
		var all []string
		for _, x := range xs {
			all = append(all, fmtNs(x))
		}
		extra := "-"
		if hasNative {
			extra = fmtNs(med(xs) - med(native))
		}
		fmt.Printf("| %s | %s | %s | %s |\n", s.name, fmtNs(med(xs)), strings.Join(all, ", "), extra)
	}
	fmt.Println()
	return nil
}

// timeServe serves GET /in-process?amount=1 with h for about d after a
// warm-up and returns the mean time per request in ns.
func timeServe(h http.Handler, d time.Duration) (float64, error) {
	r, err := http.NewRequest("GET", "http://127.0.0.1/in-process?amount=1", nil)
	if err != nil {
		return 0, err
	}
	r.RequestURI = r.URL.RequestURI()
	w := &recorder{h: http.Header{}}
	serve := func() error {
		clear(w.h)
		w.status, w.body = 0, w.body[:0]
		h.ServeHTTP(w, r)
		if w.status != 200 && w.status != 0 {
			return fmt.Errorf("status %d: %s", w.status, w.body)
		}
		_, err := benchload.ParseCounter(w.body)
		return err
	}
	for range 1000 {
		if err := serve(); err != nil {
			return 0, err
		}
	}
	n := 0
	start := time.Now()
	for time.Since(start) < d {
		for range 100 {
			if err := serve(); err != nil {
				return 0, err
			}
		}
		n += 100
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n), nil
}

// recorder is a reusable http.ResponseWriter keeping the status and body.
type recorder struct {
	h      http.Header
	status int
	body   []byte
}

func (w *recorder) Header() http.Header { return w.h }
func (w *recorder) WriteHeader(s int)   { w.status = s }
func (w *recorder) Write(b []byte) (int, error) {
	w.body = append(w.body, b...)
	return len(b), nil
}

func fmtNs(ns float64) string {
	if ns < 1000 && ns > -1000 {
		return fmt.Sprintf("%.0f ns", ns)
	}
	return fmt.Sprintf("%.1f µs", ns/1e3)
}

// serveGuest makes a Host with the component and an HTTP trigger routing
// every path to it.
func serveGuest(ctx context.Context, hc wasmhive.HostConfig, name string, cc wasmhive.ComponentConfig, log *slog.Logger) (*wasmhive.Host, *httptrigger.Trigger, error) {
	host, err := wasmhive.NewHost(ctx, hc)
	if err != nil {
		return nil, nil, err
	}
	if _, err := host.AddComponent(ctx, name, cc); err != nil {
		host.Close(ctx)
		return nil, nil, err
	}
	trig, err := httptrigger.New(httptrigger.Config{Invoker: host,
		Routes: []httptrigger.Route{{Path: "/", Component: name}}, Logger: log})
	if err != nil {
		host.Close(ctx)
		return nil, nil, err
	}
	return host, trig, nil
}

// list splits a comma-separated flag and checks each item is known.
func list(s string, known ...string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !slices.Contains(known, f) {
			return nil, fmt.Errorf("unknown %q (known: %s)", f, strings.Join(known, ", "))
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("empty")
	}
	// Keep the known order, so that tables read the same in every run.
	slices.SortFunc(out, func(a, b string) int { return slices.Index(known, a) - slices.Index(known, b) })
	return out, nil
}

// median returns the round with the median req/s, errors summed over the
// rounds.
func median(rs []result) result {
	if len(rs) == 0 {
		return result{}
	}
	sorted := slices.Clone(rs)
	slices.SortFunc(sorted, func(a, b result) int {
		switch {
		case a.rps < b.rps:
			return -1
		case a.rps > b.rps:
			return 1
		}
		return 0
	})
	m := sorted[len(sorted)/2]
	m.errors = 0
	for _, r := range rs {
		m.errors += r.errors
	}
	return m
}

// path is the request path of connection i in key pattern km.
func path(km string, i int) string {
	if km == "one" {
		return "/hits"
	}
	return "/conn/" + strconv.Itoa(i)
}

// load keeps *conns connections busy with GET path?amount=1 for warm-up +
// duration and measures the requests completed in the measured window. A
// response that is not a 200 is counted as an error (the connection goes
// on); a counter that breaks the order a connection must see fails the run.
func load(s *server, km string) (result, error) {
	done := make([]int64, *conns) // requests answered 200, every phase
	prev := make([]int64, *conns)
	for i := range prev {
		prev[i] = -1
	}
	res, err := benchload.Run(benchload.Config{
		Addr: s.addr, Conns: *conns, Warmup: *warmup, Duration: *duration,
		Request: func(i int) []byte {
			return []byte("GET " + path(km, i) + "?amount=1 HTTP/1.1\r\nHost: " + s.addr + "\r\nUser-Agent: wasmhive-bench\r\n\r\n")
		},
		Check: func(i, status int, body []byte) error {
			if status != 200 {
				prev[i] = -1 // a timeout may have counted: start the order over
				return fmt.Errorf("status %d: %s", status, bytes.TrimSpace(body))
			}
			n, err := benchload.ParseCounter(body)
			if err != nil {
				return &benchload.FatalError{Err: err}
			}
			if prev[i] >= 0 && (n <= prev[i] || km == "own" && n != prev[i]+1) {
				return &benchload.FatalError{Err: fmt.Errorf("connection %d (%s): counter %d after %d: a lost or duplicated update", i, path(km, i), n, prev[i])}
			}
			prev[i] = n
			done[i]++
			return nil
		},
	})
	if err != nil {
		return result{}, err
	}
	nerr := res.Errors
	for i := range done {
		s.totals[path(km, i)] += done[i]
	}
	s.errors += nerr
	if nerr > 0 {
		fmt.Fprintf(os.Stderr, "%s/%s/%s: %d error(s), first: %v\n", s.store, km, s.name, nerr, res.FirstErr)
	}
	return result{reqs: res.Requests, errors: nerr, rps: res.RPS, p50: res.P50, p99: res.P99, cpu: res.CPU}, nil
}

var client = &http.Client{Timeout: 10 * time.Second}

// readCounter reads path's counter with ?amount=0, which changes nothing.
func readCounter(ctx context.Context, addr, path string) (int64, error) {
	return benchload.ReadCounter(ctx, client, addr, path)
}

// verify checks that every counter of s holds the requests answered 200 on
// its path. With errors (a request may have been cut after its increment)
// it only checks that no counter holds fewer.
func verify(ctx context.Context, s *server) error {
	for p, want := range s.totals {
		got, err := readCounter(ctx, s.addr, p)
		if err != nil {
			return fmt.Errorf("%s/%s: read back %s: %w", s.store, s.name, p, err)
		}
		if got < want || s.errors == 0 && got != want {
			return fmt.Errorf("%s/%s: counter of %s is %d after %d increments answered 200", s.store, s.name, p, got, want)
		}
	}
	return nil
}

func fmtDur(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%.0f µs", float64(d.Nanoseconds())/1e3)
	}
	return fmt.Sprintf("%.2f ms", float64(d.Nanoseconds())/1e6)
}
