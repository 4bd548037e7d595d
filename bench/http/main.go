// Command http benchmarks `wasmhive serve` against a native Go handler, all
// in one run on 127.0.0.1, with the HTTP/1.1 keep-alive load generator of
// internal/benchload (bounded: a warm-up and a fixed duration per case):
//
//	go run ./bench/http [-duration 3s] [-conns 32]
//
// Cases, each answering GET / with "hello, world\n"; every case but native
// is served as `wasmhive serve` serves it: a wasmhive.Host with the module as
// its one component, routed at "/" by the HTTP trigger (trigger/http):
//
//	native          a Go net/http handler (the ceiling on this machine)
//	reactor         the handler convention: the Go guest testdata/guests/http/hello
//	                (package pdkhttp) on warm pooled instances, request and
//	                response in httpwire through the Extism ABI
//	reactor-noint   the same guest on a runtime without interruption checks
//	                (engine.Config.WithoutInterrupts): not a serving
//	                configuration (a looping guest could not be stopped), it
//	                shows what wazero's checks cost a Go guest
//	reactor-router  the test guest testdata/guests/http/handler (a router over
//	                ten paths, fmt, strconv...) serving its "/" route
//	reactor-c       the handler convention with the C guest handler_c.c (no
//	                language runtime: the host's share of the handler path)
//	wagi            the C command testdata/guests/http/wagi_hello.c, a fresh
//	                instance per request (CGI)
//
// It also measures, without HTTP: the pooled call overhead (take an
// instance, call a trivial export, give it back) against a direct call,
// one handler round trip through the ABI, instantiate + _start of the WAGI
// command, and the memory of one warm handler instance. The access log is
// off in every case (as the native handler has none).
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/benchload"
	"github.com/wasmhive/wasmhive/internal/httpwire"
	"github.com/wasmhive/wasmhive/internal/pool"
	httptrigger "github.com/wasmhive/wasmhive/trigger/http"
)

var (
	duration = flag.Duration("duration", time.Second, "measured time per case and round")
	rounds   = flag.Int("rounds", 3, "rounds; each round runs every case in turn (medians are reported)")
	warmup   = flag.Duration("warmup", 500*time.Millisecond, "warm-up time per case (not measured)")
	conns    = flag.Int("conns", 32, "concurrent keep-alive connections")
	maxInst  = flag.Int("max-instances", 0, "pool size of the reactor cases (0: 4 x GOMAXPROCS)")
	only     = flag.String("only", "", "run only this case (\"micro\": only the measurements without HTTP)")
	cpuprof  = flag.String("cpuprofile", "", "write a CPU profile to `FILE`")
)

var body = []byte("hello, world\n")

func main() {
	flag.Parse()
	if *cpuprof != "" {
		f, err := os.Create(*cpuprof)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench/http:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "bench/http:", err)
		os.Exit(1)
	}
}

type result struct {
	name     string
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
	guests := filepath.Join(root, "testdata", "guests", "http")
	tmp, err := os.MkdirTemp("", "wasmhive-bench-http")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	handler := filepath.Join(tmp, "handler.wasm")
	if err := buildGuest(root, handler, "hello"); err != nil {
		return err
	}
	router := filepath.Join(tmp, "handler-router.wasm")
	if err := buildGuest(root, router, "handler"); err != nil {
		return err
	}
	// The runtimes of the measurements without HTTP (micro): the engine and
	// the Extism kernel, built by hand, without a Host.
	ecfg := engine.Config{CacheDir: filepath.Join(tmp, "cache"), HostModules: extism.HostModules()}
	rt, err := engine.NewRuntime(ctx, ecfg)
	if err != nil {
		return err
	}
	defer rt.Close(ctx)
	// A cache of its own: the compiled code differs, and the engine's cache
	// directory does not tell the two apart.
	noInt := ecfg
	noInt.NoInterrupts, noInt.CacheDir = true, filepath.Join(tmp, "cache-noint")
	rtNoInt, err := engine.NewRuntime(ctx, noInt)
	if err != nil {
		return err
	}
	defer rtNoInt.Close(ctx)
	max := *maxInst
	if max == 0 {
		max = 4 * runtime.GOMAXPROCS(0)
	}
	fmt.Printf("# wasmhive serve benchmark: %s, GOMAXPROCS=%d, %d connections, %d rounds of %s per case (after %s warm-up), reactor pool max %d\n\n",
		runtime.Version(), runtime.GOMAXPROCS(0), *conns, *rounds, *duration, *warmup, max)

	type caseDef struct {
		name string
		h    func() (http.Handler, func(), error)
	}
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// Each trigger case serves its module the way `wasmhive serve` does: a
	// Host with one component, routed at "/" by the HTTP trigger.
	trig := func(path string, inst wasmhive.Instances, hc wasmhive.HostConfig) func() (http.Handler, func(), error) {
		return func() (http.Handler, func(), error) {
			hc.Logger = quiet
			h, err := wasmhive.NewHost(ctx, hc)
			if err != nil {
				return nil, nil, err
			}
			if _, err := h.AddComponent(ctx, "app", wasmhive.ComponentConfig{Module: path, Instances: inst}); err != nil {
				h.Close(ctx)
				return nil, nil, err
			}
			t, err := httptrigger.New(httptrigger.Config{Invoker: h,
				Routes: []httptrigger.Route{{Path: "/", Component: "app"}}, Logger: quiet})
			if err != nil {
				h.Close(ctx)
				return nil, nil, err
			}
			return t, func() { h.Close(ctx) }, nil
		}
	}
	hostCfg := wasmhive.HostConfig{CacheDir: filepath.Join(tmp, "cache")}
	// A cache of its own: the compiled code differs, and the engine's cache
	// directory does not tell the two apart.
	hostNoInt := wasmhive.HostConfig{CacheDir: filepath.Join(tmp, "cache-noint"), NoInterrupts: true}
	reactorPool := wasmhive.Instances{Max: max, Min: max, Queue: 4 * *conns, QueueTimeout: 10 * time.Second}
	cases := []caseDef{
		{"native", func() (http.Handler, func(), error) {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				w.Write(body)
			}), func() {}, nil
		}},
		{"reactor", trig(handler, reactorPool, hostCfg)},
		{"reactor-noint", trig(handler, reactorPool, hostNoInt)},
		{"reactor-router", trig(router, reactorPool, hostCfg)},
		{"reactor-c", trig(filepath.Join(guests, "handler_c.wasm"), reactorPool, hostCfg)},
		{"wagi", trig(filepath.Join(guests, "wagi_hello.wasm"), wasmhive.Instances{Max: *conns, Queue: 4 * *conns, QueueTimeout: 10 * time.Second}, hostCfg)},
	}
	// Start every server first, then run the cases in turn, round after
	// round: a change in what else the machine runs hits every case alike.
	type running struct {
		name   string
		addr   string
		rounds []result
		stop   func()
	}
	var servers []*running
	defer func() {
		for _, r := range servers {
			r.stop()
		}
	}()
	for _, c := range cases {
		if *only != "" && c.name != *only {
			continue
		}
		h, closeFn, err := c.h()
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: h}
		go srv.Serve(ln)
		servers = append(servers, &running{name: c.name, addr: ln.Addr().String(), stop: func() { srv.Close(); closeFn() }})
	}
	for range *rounds {
		for _, r := range servers {
			res, err := load(r.name, r.addr)
			if err != nil {
				return fmt.Errorf("%s: %w", r.name, err)
			}
			r.rounds = append(r.rounds, res)
			runtime.GC()
		}
	}
	var results []result
	for _, r := range servers {
		results = append(results, median(r.rounds))
	}
	var native float64
	var nativeCPU time.Duration
	if len(results) == 0 {
		return micro(ctx, rt, rtNoInt, guests, handler)
	}
	fmt.Println("| case | req/s | p50 | p99 | errors | req/s vs native | CPU per request | native CPU / case CPU |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		if r.name == "native" {
			native, nativeCPU = r.rps, r.cpu
		}
		ratio, cpuRatio := "-", "-"
		if native > 0 {
			ratio = fmt.Sprintf("%.0f%%", 100*r.rps/native)
			cpuRatio = fmt.Sprintf("%.0f%%", 100*float64(nativeCPU)/float64(r.cpu))
		}
		fmt.Printf("| %s | %.0f | %s | %s | %d | %s | %.1f µs | %s |\n", r.name, r.rps, fmtDur(r.p50), fmtDur(r.p99), r.errors, ratio, float64(r.cpu.Nanoseconds())/1e3, cpuRatio)
	}
	fmt.Println()
	fmt.Println("Each row is the round with the median req/s. CPU per request is this process's user+system time (server and load generator) over the measured window divided by the requests: it depends less than req/s on what else the machine runs.")
	fmt.Println()
	if *only == "" || *only == "micro" {
		return micro(ctx, rt, rtNoInt, guests, handler)
	}
	return nil
}

// median returns the round with the median req/s (its latencies and CPU
// with it), errors summed over the rounds.
func median(rs []result) result {
	sorted := slices.Clone(rs)
	slices.SortFunc(sorted, func(a, b result) int { return int(a.rps - b.rps) })
	m := sorted[len(sorted)/2]
	m.errors = 0
	for _, r := range rs {
		m.errors += r.errors
	}
	return m
}

// load keeps *conns connections busy with GET / for warm-up + duration and
// measures the requests completed in the measured window. A connection ends
// at its first answer that is not a 200 with the expected body.
func load(name, addr string) (result, error) {
	req := []byte("GET / HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: wasmhive-bench\r\n\r\n")
	res, err := benchload.Run(benchload.Config{
		Addr: addr, Conns: *conns, Warmup: *warmup, Duration: *duration,
		Request:     func(int) []byte { return req },
		Check:       checkHello,
		StopOnError: true,
	})
	if err != nil {
		return result{}, err
	}
	if res.Errors > 0 {
		fmt.Fprintf(os.Stderr, "%s: %d connection error(s), first: %v\n", name, res.Errors, res.FirstErr)
	}
	return result{name: name, reqs: res.Requests, errors: res.Errors, rps: res.RPS,
		p50: res.P50, p99: res.P99, cpu: res.CPU}, nil
}

// checkHello accepts a 200 with the expected body.
func checkHello(_, status int, b []byte) error {
	if status != 200 {
		return fmt.Errorf("status %d: %q", status, b)
	}
	if !bytes.Equal(b, body) {
		return fmt.Errorf("unexpected body %q", b)
	}
	return nil
}

// micro measures the pieces of one request without HTTP.
func micro(ctx context.Context, rt, rtNoInt *engine.Runtime, guests, handler string) error {
	reactor, err := rt.CompileFile(ctx, filepath.Join(guests, "reactor.wasm"))
	if err != nil {
		return err
	}
	newReactor := func(ctx context.Context) (*engine.Instance, error) {
		return rt.Instantiate(ctx, reactor, engine.InstanceConfig{})
	}
	const n = 200_000
	direct, err := newReactor(ctx)
	if err != nil {
		return err
	}
	directNs := timeIt(n, func() error { _, err := direct.Call(ctx, "noop"); return err })
	direct.Close(ctx)
	p, err := pool.New(pool.Config{Max: 4, New: newReactor})
	if err != nil {
		return err
	}
	noop := func(inst *engine.Instance) error { _, err := inst.Call(ctx, "noop"); return err }
	pooledNs := timeIt(n, func() error { return p.Do(ctx, noop) })
	takeReturnNs := timeIt(n, func() error { return p.Do(ctx, func(*engine.Instance) error { return nil }) })
	p.Close(ctx)

	// One handler round trip through the ABI: encode, call, decode.
	wreq := httpwire.Request{Method: "GET", Path: "/", Header: []httpwire.Field{{Name: "Host", Value: "127.0.0.1"}, {Name: "User-Agent", Value: "wasmhive-bench"}}}
	in, _ := wreq.MarshalBinary()
	roundTrip := func(path string, rts ...*engine.Runtime) (*engine.Module, float64, error) {
		rt := rt
		if len(rts) > 0 {
			rt = rts[0]
		}
		mod, err := rt.CompileFile(ctx, path)
		if err != nil {
			return nil, 0, err
		}
		st := extism.NewState(extism.StateConfig{Name: "handler"})
		inst, err := rt.Instantiate(ctx, mod, attached(st))
		if err != nil {
			return nil, 0, err
		}
		defer inst.Close(ctx)
		var resp httpwire.Response
		ns := timeIt(n/4, func() error {
			out, err := extism.Call(ctx, inst, st, httptrigger.DefaultExport, in)
			if err != nil {
				return err
			}
			return resp.Decode(out)
		})
		return mod, ns, nil
	}
	hmod, roundTripNs, err := roundTrip(handler)
	if err != nil {
		return err
	}
	cmod, roundTripCNs, err := roundTrip(filepath.Join(guests, "handler_c.wasm"))
	if err != nil {
		return err
	}
	_, roundTripNoIntNs, err := roundTrip(handler, rtNoInt)
	if err != nil {
		return err
	}
	_, roundTripCNoIntNs, err := roundTrip(filepath.Join(guests, "handler_c.wasm"), rtNoInt)
	if err != nil {
		return err
	}

	// Instantiate + _start of the WAGI command.
	wmod, err := rt.CompileFile(ctx, filepath.Join(guests, "wagi_hello.wasm"))
	if err != nil {
		return err
	}
	wagiNs := timeIt(n/20, func() error {
		return rt.RunCommand(ctx, wmod, engine.InstanceConfig{Args: []string{"wagi_hello.wasm"}, Stdout: io.Discard})
	})

	goMem, err := instanceMemory(ctx, rt, hmod, in)
	if err != nil {
		return err
	}
	cMem, err := instanceMemory(ctx, rt, cmod, in)
	if err != nil {
		return err
	}

	fmt.Println("| measurement (no HTTP) | time |")
	fmt.Println("|---|---:|")
	fmt.Printf("| direct call of a trivial export (C reactor) | %.0f ns |\n", directNs)
	fmt.Printf("| pooled call: take instance, call, return | %.0f ns |\n", pooledNs)
	fmt.Printf("| pool take + return alone | %.0f ns |\n", takeReturnNs)
	fmt.Printf("| handler round trip (Extism ABI call with an httpwire request, decode the response), Go guest hello | %.0f ns |\n", roundTripNs)
	fmt.Printf("| handler round trip, C guest handler_c | %.0f ns |\n", roundTripCNs)
	fmt.Printf("| handler round trip without interruption checks, Go guest hello | %.0f ns |\n", roundTripNoIntNs)
	fmt.Printf("| handler round trip without interruption checks, C guest handler_c | %.0f ns |\n", roundTripCNoIntNs)
	fmt.Printf("| instantiate + _start of the C WAGI command | %.0f ns |\n", wagiNs)
	fmt.Println()
	fmt.Printf("memory of one warm handler instance (mean of %d, after one request each):\n", memInstances)
	fmt.Printf("- Go handler (testdata/guests/http/hello): %s\n", goMem)
	fmt.Printf("- C handler (handler_c.c): %s\n", cMem)
	return nil
}

const memInstances = 64

// instanceMemory reports the mean memory of a warm handler instance of mod:
// its linear memory, the Go heap it takes (linear memory included), and
// the growth of the process's resident set.
func instanceMemory(ctx context.Context, rt *engine.Runtime, mod *engine.Module, req []byte) (string, error) {
	runtime.GC()
	debug.FreeOSMemory()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rssBefore := rss()
	var insts []*engine.Instance
	defer func() {
		for _, inst := range insts {
			inst.Close(ctx)
		}
	}()
	var linear uint64
	for range memInstances {
		st := extism.NewState(extism.StateConfig{Name: mod.Name()})
		inst, err := rt.Instantiate(ctx, mod, attached(st))
		if err != nil {
			return "", err
		}
		insts = append(insts, inst)
		if _, err := extism.Call(ctx, inst, st, httptrigger.DefaultExport, req); err != nil {
			return "", err
		}
		linear += uint64(inst.Memory().Size())
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / memInstances
	rssPer := (rss() - rssBefore) / memInstances
	return fmt.Sprintf("%s linear memory, %s Go heap (linear memory included), RSS +%s",
		fmtBytes(linear/memInstances), fmtBytes(uint64(max(heap, 0))), fmtBytes(uint64(max(rssPer, 0)))), nil
}

// timeIt runs fn n times and returns the mean in ns.
func timeIt(n int, fn func() error) float64 {
	for range n / 10 { // warm up
		if err := fn(); err != nil {
			panic(err)
		}
	}
	start := time.Now()
	for range n {
		if err := fn(); err != nil {
			panic(err)
		}
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	var size, res int64
	fmt.Sscan(string(b), &size, &res)
	return res * int64(os.Getpagesize())
}

func fmtDur(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%.0f µs", float64(d.Nanoseconds())/1e3)
	}
	return fmt.Sprintf("%.2f ms", float64(d.Nanoseconds())/1e6)
}

func fmtBytes(n uint64) string {
	switch {
	case n >= 10<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 10<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// buildGuest builds the Go guest testdata/guests/http/<name> as a reactor.
func buildGuest(root, out, name string, extra ...string) error {
	args := append([]string{"build", "-buildmode=c-shared", "-o", out}, extra...)
	args = append(args, "./testdata/guests/http/"+name)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build guest %s: %v\n%s", name, err, b)
	}
	return nil
}

func attached(st *extism.State) engine.InstanceConfig {
	var cfg engine.InstanceConfig
	st.Attach(&cfg)
	return cfg
}
