// Command link benchmarks a call across a component link (issue 9, item 6)
// against a host-function call with the same payload and a plain call
// inside one module, all in one run:
//
//	go run ./bench/link [-rounds 5] [-n 20000] [-sizes 1024,0,65536]
//
// The guests are bench/link/guest (C, built by guest/build.sh): caller.wasm
// exports run_link, run_host and run_plain, each taking u32 N then u32 S
// and making N calls with an S-byte payload:
//
//	link   N calls of the import bench:echo/api echo(payload), which a
//	       component link carries to callee.wasm, another component (its
//	       own instance and memory), whose export bench:echo/api#echo
//	       answers its input
//	host   the same N calls of extism:host/user echo, a Go host function of
//	       this program answering the same reply (status 0, then the
//	       payload): a host call instead of a link
//	plain  N calls of a function inside caller.wasm copying S bytes
//
// Everything is set up through the public Go API, as a Go program embedding
// wasmhive would: wasmhive.NewHost with the echo host function, the
// components "callee", "caller" (linked to callee) and "caller-t" (the same
// module, its link with a 30 s timeout), and one Host.Invoke of N calls per
// measurement. Each measurement is the Invoke's time over N (so the
// per-Invoke cost is spread over N calls), and its allocations over N.
//
// The configurations: wazero's interruption on (the HostConfig default,
// what `wasmhive up` runs: termination checks compiled into loops and a
// goroutine per call into wasm to watch the context) or off
// (HostConfig.NoInterrupts); the context of the Invoke with a deadline (as
// a request of the HTTP trigger has) or without; and the link's own timeout
// (a context.WithTimeout per linked call, as with a target's limits.timeout
// or a link's timeout:) or none. A round measures every kind of every
// configuration and size once, in an order reversed from round to round;
// the ratios are taken within each round. bench/README.md explains the
// figures.
package main

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/internal/benchload"
)

var (
	rounds  = flag.Int("rounds", 5, "rounds; each round measures every kind, configuration and size once")
	iters   = flag.Int("n", 20000, "calls per Invoke (for payloads over 4 KiB, n*4096/size, at least 500)")
	sizes   = flag.String("sizes", "1024,0,65536", "payload sizes in bytes, comma-separated (at most 65536); the first is the goal's")
	only    = flag.String("configs", "", "run only the configurations whose name contains this (e.g. 'interrupts on')")
	cpuprof = flag.String("cpuprofile", "", "write a CPU profile of the whole run to `FILE`")
)

// goal is issue 9's target for a linked call with a 1 KiB payload.
const goal = 2 * time.Microsecond

// linkTimeout is the link's timeout of caller-t.
const linkTimeout = 30 * time.Second

// The guests, relative to the repository root.
const (
	calleeWasm = "bench/link/guest/callee.wasm"
	callerWasm = "bench/link/guest/caller.wasm"
)

// iface is the interface caller.wasm imports and callee.wasm exports.
const iface = "bench:echo/api"

var kinds = []string{"link", "host", "plain"}

func main() {
	flag.Parse()
	if *cpuprof != "" {
		f, err := os.Create(*cpuprof)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench/link:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(os.Stdout); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "bench/link:", err)
		os.Exit(1)
	}
}

// config is one way of making the calls.
type config struct {
	interrupts  bool // wazero's interruption (HostConfig.NoInterrupts false)
	deadline    bool // the Invoke's context has a deadline
	linkTimeout bool // the link has a timeout of its own: caller-t
	host        *setup
}

func (c config) name() string {
	s := "interrupts " + onOff(c.interrupts) + ", "
	if c.deadline {
		s += "deadline"
	} else {
		s += "no deadline"
	}
	if c.linkTimeout {
		s += ", link timeout"
	}
	return s
}

func (c config) caller() string {
	if c.linkTimeout {
		return "caller-t"
	}
	return "caller"
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// setup is one Host with the components, and the count of the echo host
// function's calls.
type setup struct {
	h            *wasmhive.Host
	noInterrupts bool
	hostCalls    *atomic.Uint64
}

// sample is one measurement, per call: wall time, this process's CPU time
// (user+system, all threads: the garbage collector's too), allocations and
// bytes allocated.
type sample struct {
	ns, cpu, allocs, bytes float64
}

// run runs the benchmark as the flags say and writes its report to w.
func run(w io.Writer) error {
	ctx := context.Background()
	root, err := benchload.RepoRoot()
	if err != nil {
		return err
	}
	sz, err := parseSizes(*sizes)
	if err != nil {
		return fmt.Errorf("-sizes: %w", err)
	}
	if *iters < 1 || *rounds < 1 {
		return errors.New("-n and -rounds must be at least 1")
	}
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	var configs []config
	var setups []*setup
	for _, intr := range []bool{true, false} {
		s, err := newSetup(ctx, root, !intr, quiet)
		if err != nil {
			return fmt.Errorf("interrupts %s: %w", onOff(intr), err)
		}
		defer s.h.Close(ctx)
		setups = append(setups, s)
		for _, dl := range []bool{true, false} {
			for _, lt := range []bool{false, true} {
				c := config{interrupts: intr, deadline: dl, linkTimeout: lt, host: s}
				if *only == "" || strings.Contains(c.name(), *only) {
					configs = append(configs, c)
				}
			}
		}
	}
	if len(configs) == 0 {
		return fmt.Errorf("-configs %q: no configuration matches", *only)
	}
	for _, c := range configs {
		if err := check(ctx, c); err != nil {
			return fmt.Errorf("%s: %w", c.name(), err)
		}
	}

	fmt.Fprintf(w, "# calls across a component link: %s, GOMAXPROCS=%d, %s/%s, %d rounds, N=%d calls per Invoke (scaled down over 4 KiB); load average %s\n\n",
		runtime.Version(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, *rounds, *iters, loadAvg())

	// samples[config][size][kind] is one sample per round.
	samples := make([][]map[string][]sample, len(configs))
	for i := range samples {
		samples[i] = make([]map[string][]sample, len(sz))
		for j := range sz {
			samples[i][j] = map[string][]sample{}
		}
	}
	start := time.Now()
	for r := range *rounds {
		ci := indices(len(configs), r)
		for _, i := range ci {
			c := configs[i]
			for _, j := range indices(len(sz), r) {
				order := slices.Clone(kinds)
				if r%2 == 1 {
					slices.Reverse(order)
				}
				for _, k := range order {
					s, err := measure(ctx, c, k, sz[j], calls(sz[j]))
					if err != nil {
						return fmt.Errorf("%s, %s, %d bytes: %w", c.name(), k, sz[j], err)
					}
					samples[i][j][k] = append(samples[i][j][k], s)
				}
			}
		}
	}
	elapsed := time.Since(start)

	fmt.Fprintln(w, "| configuration | payload | **link** (median; all rounds) | link CPU | host function | plain call | **link/host** | link/plain | link allocs, bytes per call |")
	fmt.Fprintln(w, "|---|---:|---|---:|---:|---:|---:|---:|---:|")
	var verdicts []verdict
	for j, size := range sz {
		for i, c := range configs {
			m := samples[i][j]
			link, host, plain := m["link"], m["host"], m["plain"]
			var lh, lp []float64
			for r := range link {
				lh = append(lh, link[r].ns/host[r].ns)
				lp = append(lp, link[r].ns/plain[r].ns)
			}
			var all []string
			for _, s := range link {
				all = append(all, fmtNs(s.ns))
			}
			ml := med(link, func(s sample) float64 { return s.ns })
			fmt.Fprintf(w, "| %s | %s | **%s** (%s) | %s | %s | %s | **%.1fx** | %.0fx | %.1f, %.0f B |\n",
				c.name(), fmtSize(size), fmtNs(ml), strings.Join(all, ", "),
				fmtNs(med(link, func(s sample) float64 { return s.cpu })),
				fmtNs(med(host, func(s sample) float64 { return s.ns })),
				fmtNs(med(plain, func(s sample) float64 { return s.ns })),
				medF(lh), medF(lp),
				med(link, func(s sample) float64 { return s.allocs }), med(link, func(s sample) float64 { return s.bytes }))
			if j == 0 {
				verdicts = append(verdicts, verdict{c.name(), ml})
			}
		}
		if j < len(sz)-1 {
			fmt.Fprintln(w, "| | | | | | | | | |")
		}
	}
	fmt.Fprintln(w)
	for _, s := range setups {
		fmt.Fprintf(w, "- interrupts %s: %s\n", onOff(!s.noInterrupts), s.stats())
	}
	fmt.Fprintf(w, "\nEach figure is one Invoke's time over its N calls: the call, the guest's loop around it and, for link and host, reading the reply's status and first byte and freeing it. Link CPU is this process's CPU time (every thread: the garbage collector's too) over the same N calls; allocations are the process's. Ratios are taken within each round, then the median. Measured in %s; load average at the end %s.\n\n",
		elapsed.Round(time.Second), loadAvg())

	fmt.Fprintln(w, verdictLine(verdicts, sz[0]))
	return nil
}

// verdict is the median time of a linked call in one configuration.
type verdict struct {
	name string
	ns   float64
}

// upConfig is the configuration `wasmhive up` serves an HTTP request in.
const upConfig = "interrupts on, deadline"

// verdictLine judges the linked calls of the first payload size against
// the goal: as `up` makes them, at best, and in which configurations.
func verdictLine(vs []verdict, size int) string {
	var met, missed []string
	best := vs[0]
	up := ""
	for _, v := range vs {
		s := fmt.Sprintf("%s (%s)", v.name, fmtNs(v.ns))
		if v.ns < float64(goal.Nanoseconds()) {
			met = append(met, s)
		} else {
			missed = append(missed, s)
		}
		if v.ns < best.ns {
			best = v
		}
		if v.name == upConfig {
			up = fmt.Sprintf("%s as `wasmhive up` makes it (%s), ", fmtNs(v.ns), upConfig)
		}
	}
	word := "MET in every configuration"
	switch {
	case len(met) == 0:
		word = "MISSED in every configuration"
	case len(missed) > 0:
		word = "met only with " + strings.Join(met, ", ")
	}
	return fmt.Sprintf("**Verdict: a linked call with a %s payload takes %sat best %s (%s): the goal of under %s is %s.**",
		fmtSize(size), up, fmtNs(best.ns), best.name, fmtNs(float64(goal.Nanoseconds())), word)
}

// newSetup makes a Host with the echo host function and the three
// components, through the public API only.
func newSetup(ctx context.Context, root string, noInterrupts bool, log *slog.Logger) (*setup, error) {
	var n atomic.Uint64
	echo := wasmhive.NewHostFunction("echo", func(_ context.Context, _ *wasmhive.CurrentPlugin, in []byte) ([]byte, error) {
		n.Add(1)
		// A reply block: status 0 (OK), then the payload.
		out := make([]byte, 1+len(in))
		copy(out[1:], in)
		return out, nil
	}).InModule("extism:host/user")
	h, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{
		NoCache:       true, // 4 KiB of guests; a cache would only add a variable
		NoInterrupts:  noInterrupts,
		Logger:        log,
		HostFunctions: []wasmhive.HostFunction{echo},
		Stdout:        io.Discard,
		Stderr:        io.Discard,
	})
	if err != nil {
		return nil, err
	}
	add := func(name string, cfg wasmhive.ComponentConfig) error {
		_, err := h.AddComponent(ctx, name, cfg)
		return err
	}
	if err := add("callee", wasmhive.ComponentConfig{Module: filepath.Join(root, calleeWasm)}); err != nil {
		h.Close(ctx)
		return nil, err
	}
	caller := filepath.Join(root, callerWasm)
	if err := add("caller", wasmhive.ComponentConfig{Module: caller,
		Links: []wasmhive.Link{{Interface: iface, Target: "callee"}}}); err != nil {
		h.Close(ctx)
		return nil, err
	}
	if err := add("caller-t", wasmhive.ComponentConfig{Module: caller,
		Links: []wasmhive.Link{{Interface: iface, Target: "callee", Timeout: linkTimeout}}}); err != nil {
		h.Close(ctx)
		return nil, err
	}
	return &setup{h: h, noInterrupts: noInterrupts, hostCalls: &n}, nil
}

// input is run_*'s input: u32 n, u32 size.
func input(n, size int) []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint32(b, uint32(n))
	binary.LittleEndian.PutUint32(b[4:], uint32(size))
	return b
}

// calls is N for a payload of size bytes.
func calls(size int) int {
	n := *iters
	if size > 4096 {
		n = max(500, n*4096/size)
	}
	return n
}

// invoke runs kind with n calls of size bytes on c and checks its answer.
func invoke(ctx context.Context, c config, kind string, n, size int) error {
	if c.deadline {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Hour)
		defer cancel()
	}
	out, err := c.host.h.Invoke(ctx, c.caller(), "run_"+kind, input(n, size))
	if err != nil {
		return err
	}
	// The checksum is the sum of the answers' first bytes, which are the
	// payload's first byte (0): a wrong reply fails in the guest already.
	if len(out) != 8 || binary.LittleEndian.Uint64(out) != 0 {
		return fmt.Errorf("run_%s answered %x, want 8 zero bytes", kind, out)
	}
	return nil
}

// check proves, before anything is measured, that each kind does what it
// says: the callee echoes, run_link goes across the link (its counter
// moves by N, the host function's does not) and run_host to the host
// function.
func check(ctx context.Context, c config) error {
	h := c.host.h
	payload := make([]byte, 1024)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	out, err := h.Invoke(ctx, "callee", iface+"#echo", payload)
	if err != nil {
		return fmt.Errorf("callee: %w", err)
	}
	if string(out) != string(payload) {
		return fmt.Errorf("callee answered %d bytes, not its 1024-byte input", len(out))
	}
	const n = 100
	for _, k := range kinds {
		links, hosts := linkCalls(h, c.caller()), c.host.hostCalls.Load()
		if err := invoke(ctx, c, k, n, 1024); err != nil {
			return err
		}
		dl, dh := linkCalls(h, c.caller())-links, c.host.hostCalls.Load()-hosts
		want := map[string][2]uint64{"link": {n, 0}, "host": {0, n}, "plain": {0, 0}}[k]
		if dl != want[0] || dh != want[1] {
			return fmt.Errorf("run_%s made %d calls across the link and %d of the host function, want %d and %d", k, dl, dh, want[0], want[1])
		}
	}
	// Warm up: the link's pool of callee instances is made on first use.
	for _, k := range kinds {
		if err := invoke(ctx, c, k, *iters/10+1, 1024); err != nil {
			return err
		}
	}
	return nil
}

// linkCalls is the calls counter of component's one link.
func linkCalls(h *wasmhive.Host, component string) uint64 {
	c, err := h.Component(component)
	if err != nil {
		return 0
	}
	var n uint64
	for _, l := range c.Links() {
		n += l.Calls
	}
	return n
}

// measure times one Invoke of kind with n calls, and counts its
// allocations.
func measure(ctx context.Context, c config, kind string, size, n int) (sample, error) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu := benchload.CPUTime()
	t := time.Now()
	err := invoke(ctx, c, kind, n, size)
	d := time.Since(t)
	cpu = benchload.CPUTime() - cpu
	runtime.ReadMemStats(&after)
	if err != nil {
		return sample{}, err
	}
	return sample{
		ns:     float64(d.Nanoseconds()) / float64(n),
		cpu:    float64(cpu.Nanoseconds()) / float64(n),
		allocs: float64(after.Mallocs-before.Mallocs) / float64(n),
		bytes:  float64(after.TotalAlloc-before.TotalAlloc) / float64(n),
	}, nil
}

// stats describes the links and the host function after the run: every
// call counted, and whether any failed.
func (s *setup) stats() string {
	var parts []string
	for _, name := range []string{"caller", "caller-t"} {
		c, err := s.h.Component(name)
		if err != nil {
			return err.Error()
		}
		for _, l := range c.Links() {
			parts = append(parts, fmt.Sprintf("%s -> %s: %d calls, %d failures", name, l.Target, l.Calls, l.Failures))
		}
	}
	parts = append(parts, fmt.Sprintf("host function: %d calls", s.hostCalls.Load()))
	return strings.Join(parts, "; ")
}

// indices is 0..n-1, reversed in odd rounds.
func indices(n, round int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	if round%2 == 1 {
		slices.Reverse(out)
	}
	return out
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 || n > 65536 {
			return nil, fmt.Errorf("%q: not a size from 0 to 65536", f)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("empty")
	}
	return out, nil
}

func med(ss []sample, f func(sample) float64) float64 {
	xs := make([]float64, len(ss))
	for i, s := range ss {
		xs[i] = f(s)
	}
	return medF(xs)
}

func medF(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[len(s)/2]
}

func fmtNs(ns float64) string {
	if ns < 1000 {
		return fmt.Sprintf("%.0f ns", ns)
	}
	return fmt.Sprintf("%.2f µs", ns/1e3)
}

func fmtSize(n int) string {
	if n >= 1024 && n%1024 == 0 {
		return fmt.Sprintf("%d KiB", n/1024)
	}
	return fmt.Sprintf("%d B", n)
}

// loadAvg is the machine's 1-minute load average, or "?".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "?"
}
