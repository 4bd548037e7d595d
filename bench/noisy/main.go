// Command noisy is the noisy-neighbour benchmark: two components in one app
// served by a real `wasmhive up` process, one healthy, one faulty, and what
// the faulty one's misbehaviour costs the healthy one and the host:
//
//	go run ./bench/noisy [-rounds 3] [-duration 5s] [-conns 16] [-faulty-clients 4] [-healthy hello|kvcounter]
//
// It builds cmd/wasmhive from the working tree (CGO_ENABLED=0), writes the
// manifest bench/noisy/app.yaml into a temporary directory (module paths
// made absolute, the healthy component's module chosen by -healthy; limits
// this build's manifest decoder does not know yet dropped, with a note),
// and starts `wasmhive up` on it on a free port of 127.0.0.1 with a data
// directory of its own and no access log. Once the health check answers it
// requests each route once, alone, then runs, for each round, two phases of
// the same closed-loop load on the healthy route (internal/benchload:
// -conns keep-alive connections, a warm-up then -duration measured):
//
//	a  the healthy route alone
//	b  the same while -faulty-clients clients hammer the faulty routes
//	   (/faulty/trap, /faulty/loop, /faulty/grow, /faulty/flood of
//	   guest/main.go, each client cycling through -faulty from its own
//	   starting point, one request at a time)
//
// Rounds alternate the order of the phases. The healthy component is
//
//	hello      testdata/guests/http/handler_c.wasm (the manifest's): GET /
//	           answers "hello, world\n", the cheapest handler there is
//	kvcounter  examples/kvcounter/kvcounter.wasm: GET /conn/i?amount=1
//	           increments a key of the app's bolt store, the store
//	           /faulty/flood writes to
//
// It reports the healthy route's req/s, errors and latency in both phases,
// the ratio b/a, the faulty routes' statuses, the host process's peak
// resident set (VmHWM of /proc/PID/status, and VmRSS sampled through the
// run) against the bound sum(instances.max x limits.memory) + base, and one
// verdict per goal: b/a >= 75%, no error on the healthy route, peak RSS
// within the bound. It exits 1 on a missed goal only with -strict.
// bench/README.md explains the figures.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/internal/benchload"
)

var (
	duration      = flag.Duration("duration", 5*time.Second, "measured time of each phase")
	warmup        = flag.Duration("warmup", time.Second, "warm-up of each phase (not measured)")
	rounds        = flag.Int("rounds", 3, "rounds of the two phases (alternating their order; the ratio is their median)")
	conns         = flag.Int("conns", 16, "connections of the load on the healthy route")
	faultyClients = flag.Int("faulty-clients", 4, "clients hammering the faulty routes in phase b")
	faultyMax     = flag.Int("faulty-instances", 0, "instances.max of the faulty component instead of the manifest's (0: the manifest's)")
	faultyFlag    = flag.String("faulty", strings.Join(faultyRoutes, ","), "faulty routes the clients cycle through")
	healthyFlag   = flag.String("healthy", "hello", "the healthy component: hello (testdata/guests/http/handler_c.wasm, the manifest's) or kvcounter (examples/kvcounter/kvcounter.wasm)")
	manifestFlag  = flag.String("manifest", "", "the app manifest (default bench/noisy/app.yaml)")
	baseFlag      = flag.String("base", "", "the RSS bound's base, a size (default: up's idle VmRSS + 20MiB)")
	sampleEvery   = flag.Duration("sample", 50*time.Millisecond, "VmRSS sampling interval")
	strict        = flag.Bool("strict", false, "exit 1 when a goal is missed")
	keep          = flag.Bool("keep", false, "keep the temporary directory (up's log, the manifest run)")
	binFlag       = flag.String("wasmhive", "", "run this wasmhive binary instead of building cmd/wasmhive")
)

// faultyRoutes are the faulty component's misbehaviours (guest/main.go).
var faultyRoutes = []string{"trap", "loop", "grow", "flood"}

// The goals of issue 8, item 6.
const (
	goalRatio = 0.75     // healthy req/s under faulty traffic over alone
	baseSlack = 20 << 20 // the default base: idle RSS plus this
)

func main() {
	flag.Parse()
	o, err := optionsFromFlags()
	if err == nil {
		var r *report
		r, err = run(context.Background(), o)
		if r != nil {
			r.print(os.Stdout)
			if err == nil && *strict && !r.allMet() {
				os.Exit(1)
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/noisy:", err)
		os.Exit(1)
	}
}

// options configure one run of the benchmark.
type options struct {
	root          string // the repository
	manifest      string
	healthy       string // a key of healthyKinds
	duration      time.Duration
	warmup        time.Duration
	rounds        int
	conns         int
	faultyClients int
	faultyMax     int // the faulty component's instances.max; 0 keeps the manifest's
	faulty        []string
	base          int64 // 0: idle RSS + baseSlack
	sample        time.Duration
	bin           string // a wasmhive binary; "" builds one
	keep          bool
	progress      io.Writer // a line per step; nil is silent
}

func optionsFromFlags() (options, error) {
	root, err := benchload.RepoRoot()
	if err != nil {
		return options{}, err
	}
	o := options{root: root, manifest: *manifestFlag, healthy: *healthyFlag, duration: *duration, warmup: *warmup,
		rounds: *rounds, conns: *conns, faultyClients: *faultyClients, faultyMax: *faultyMax, sample: *sampleEvery, keep: *keep, bin: *binFlag, progress: os.Stderr}
	for _, f := range strings.Split(*faultyFlag, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if !slices.Contains(faultyRoutes, f) {
			return o, fmt.Errorf("-faulty: unknown route %q (known: %s)", f, strings.Join(faultyRoutes, ", "))
		}
		o.faulty = append(o.faulty, f)
	}
	if *baseFlag != "" {
		s, err := wasmhive.ParseSize(*baseFlag)
		if err != nil {
			return o, fmt.Errorf("-base: %v", err)
		}
		o.base = int64(s)
	}
	if _, ok := healthyKinds[o.healthy]; !ok {
		return o, fmt.Errorf("-healthy: unknown %q (known: hello, kvcounter)", o.healthy)
	}
	switch {
	case o.duration <= 0:
		return o, errors.New("-duration: want more than 0")
	case o.warmup < 0:
		return o, errors.New("-warmup: want 0 or more")
	case o.rounds < 1:
		return o, errors.New("-rounds: want 1 or more")
	case o.conns < 1:
		return o, errors.New("-conns: want 1 or more")
	case o.faultyClients < 1 || len(o.faulty) == 0:
		return o, errors.New("-faulty-clients and -faulty: want at least one client and one route")
	case o.sample <= 0:
		return o, errors.New("-sample: want more than 0")
	case o.faultyMax < 0:
		return o, errors.New("-faulty-instances: want 0 or more")
	}
	return o, nil
}

// healthyKind is a healthy component the benchmark knows how to load.
type healthyKind struct {
	module  string // relative to the repository
	request func(addr string, conn int) []byte
	check   func(body []byte) error
}

var healthyKinds = map[string]healthyKind{
	// The C hello handler of bench/http, the manifest's: the cheapest
	// handler there is, so what the faulty traffic takes shows.
	"hello": {
		module: "testdata/guests/http/handler_c.wasm",
		request: func(addr string, _ int) []byte {
			return []byte("GET / HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: wasmhive-bench\r\n\r\n")
		},
		check: func(b []byte) error {
			if string(b) != "hello, world\n" {
				return fmt.Errorf("unexpected body %q", b)
			}
			return nil
		},
	},
	// examples/kvcounter (Go, pdk/http + pdk/keyvalue) on the app's bolt
	// store, which /faulty/flood writes to as well: connection i
	// increments its own key.
	"kvcounter": {
		module: "examples/kvcounter/kvcounter.wasm",
		request: func(addr string, i int) []byte {
			return []byte("GET /conn/" + strconv.Itoa(i) + "?amount=1 HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: wasmhive-bench\r\n\r\n")
		},
		check: func(b []byte) error {
			if !strings.HasPrefix(string(b), `{"counter":`) || !strings.HasSuffix(string(b), "}\n") {
				return fmt.Errorf("unexpected body %q", b)
			}
			return nil
		},
	},
}

// The manifest's component names.
const (
	healthyComponent = "healthy"
	faultyComponent  = "faulty"
	faultyPrefix     = "/faulty/"
)

// probe is one faulty request made alone.
type probe struct {
	route  string
	status int
	time   time.Duration
	rss    int64 // up's VmRSS right after
	body   string
}

// phaseResult is one phase of one round.
type phaseResult struct {
	res         benchload.Result
	status      map[int]int               // the healthy route's answers other than 200 by status (0: connection failed)
	upCores     float64                   // up's CPU time over the phase (warm-up included), in cores
	faulty      map[string]map[int]int    // faulty answers by route and status (0: no answer)
	faultyFirst map[string]map[int]string // the first body (or error) of each
	faultyN     int                       // faulty requests answered
}

// report is what a run measured.
type report struct {
	o         options
	prepared  *prepared
	probes    []probe
	alone     []phaseResult
	noisy     []phaseResult
	idleRSS   int64
	base      int64
	bound     int64
	hwm       int64 // VmHWM at the end
	rssMax    map[string]int64
	pools     map[string]poolStats
	logLevels map[string]int
	stopErr   error    // up's exit after SIGTERM
	load      []string // the machine's load averages (1 min) at the start and the end
}

// run runs the benchmark. A report comes back once up has started, with
// what was measured, even when a later step failed.
func run(ctx context.Context, o options) (*report, error) {
	kind := healthyKinds[o.healthy]
	tmp, err := os.MkdirTemp("", "wasmhive-bench-noisy")
	if err != nil {
		return nil, err
	}
	if o.keep {
		o.say("keeping %s", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	if o.manifest == "" {
		o.manifest = filepath.Join(o.root, "bench", "noisy", "app.yaml")
	}
	e := edits{healthy: healthyComponent, healthyModule: filepath.Join(o.root, kind.module)}
	if o.faultyMax > 0 {
		e.maxInstances = map[string]int{faultyComponent: o.faultyMax}
	}
	p, err := prepareManifest(o.manifest, tmp, e)
	if err != nil {
		return nil, err
	}
	for _, name := range []string{healthyComponent, faultyComponent} {
		if !slices.ContainsFunc(p.components, func(c component) bool { return c.name == name }) {
			return nil, fmt.Errorf("%s: no component %q", o.manifest, name)
		}
	}
	bin := o.bin
	if bin == "" {
		bin = filepath.Join(tmp, "wasmhive")
		o.say("building cmd/wasmhive")
		if err := buildWasmhive(ctx, o.root, bin); err != nil {
			return nil, err
		}
	}
	o.say("starting wasmhive up %s", p.path)
	up, err := startUp(ctx, bin, p.path, filepath.Join(tmp, "data"), filepath.Join(tmp, "up.log"))
	if err != nil {
		return nil, err
	}
	r := &report{o: o, prepared: p, load: []string{loadAverage()}}
	pid := up.cmd.Process.Pid
	defer func() {
		if up != nil {
			up.kill()
		}
	}()
	sampler := startSampler(pid, o.sample)
	defer sampler.close()

	// Idle: let the warm instances (instances.min) come up.
	time.Sleep(500 * time.Millisecond)
	if r.idleRSS, _, err = memory(pid); err != nil {
		return nil, err
	}
	r.base = o.base
	if r.base == 0 {
		r.base = r.idleRSS + baseSlack
	}
	r.bound = r.base
	for _, c := range p.components {
		r.bound += int64(c.instances) * int64(c.memory)
	}

	sampler.phase("probe")
	if err := r.runProbes(ctx, up.addr, pid, kind); err != nil {
		return r, err
	}
	for round := range o.rounds {
		order := []bool{false, true}
		if round%2 == 1 {
			slices.Reverse(order)
		}
		for _, noisy := range order {
			name := "a"
			if noisy {
				name = "b"
			}
			o.say("round %d, phase %s", round+1, name)
			sampler.phase(name)
			ph, err := r.runPhase(ctx, up.addr, pid, kind, noisy)
			if err != nil {
				return r, fmt.Errorf("round %d, phase %s: %w", round+1, name, err)
			}
			if noisy {
				r.noisy = append(r.noisy, ph)
			} else {
				r.alone = append(r.alone, ph)
			}
			sampler.phase("between")
			time.Sleep(500 * time.Millisecond) // let discarded instances be replaced
		}
	}
	if r.pools, err = health(ctx, up.addr); err != nil {
		return r, err
	}
	sampler.phase("end")
	_, r.hwm, err = memory(pid)
	if err != nil {
		return r, err
	}
	r.rssMax = map[string]int64{"a": sampler.highest("a"), "b": sampler.highest("b"), "probe": sampler.highest("probe"), "": sampler.highest("")}
	r.load = append(r.load, loadAverage())
	r.stopErr = up.stop(30 * time.Second)
	r.logLevels, _ = up.logs.snapshot()
	up = nil
	return r, nil
}

func (o options) say(format string, args ...any) {
	if o.progress != nil {
		fmt.Fprintf(o.progress, "bench/noisy: "+format+"\n", args...)
	}
}

// runProbes requests the healthy route, /faulty/ok and each faulty route
// once, one after the other (each faulty one after an unreported ok).
func (r *report) runProbes(ctx context.Context, addr string, pid int, kind healthyKind) error {
	one := func(route, path string) (probe, error) {
		start := time.Now()
		st, body, err := get(ctx, "http://"+addr+path)
		if err != nil {
			return probe{}, fmt.Errorf("probe %s: %w", path, err)
		}
		p := probe{route: route, status: st, time: time.Since(start), body: string(body)}
		p.rss, _, _ = memory(pid)
		return p, nil
	}
	req := string(kind.request(addr, 0))
	path := strings.Fields(req)[1]
	hp, err := one("healthy", path)
	if err != nil {
		return err
	}
	r.probes = append(r.probes, hp)
	for _, route := range append([]string{"ok"}, r.o.faulty...) {
		// An ok call first (not reported), so that each probe finds the
		// faulty component as a first fault would: the Host pauses new
		// instances of a component whose calls broke theirs 3 times in a
		// row (the crash-loop backoff of docs/security.md), and a call that
		// ends well resets that.
		if route != "ok" {
			if _, err := one("ok", faultyPrefix+"ok"); err != nil {
				return err
			}
		}
		p, err := one(route, faultyPrefix+route)
		if err != nil {
			return err
		}
		r.probes = append(r.probes, p)
	}
	return nil
}

// probeOK tells whether a probe answered what its route should: the
// healthy route a 200 with its body, a faulty one expectedStatus.
func (r *report) probeOK(p probe) bool {
	if p.route == "healthy" {
		return p.status == 200 && healthyKinds[r.o.healthy].check([]byte(p.body)) == nil
	}
	return expectedStatus(p.route, p.status, false)
}

// runPhase runs the load on the healthy route, with the faulty clients
// when noisy.
func (r *report) runPhase(ctx context.Context, addr string, pid int, kind healthyKind, noisy bool) (phaseResult, error) {
	ph := phaseResult{status: map[int]int{}}
	statuses := make([]map[int]int, r.o.conns)
	for i := range statuses {
		statuses[i] = map[int]int{}
	}
	cfg := benchload.Config{
		Addr: addr, Conns: r.o.conns, Warmup: r.o.warmup, Duration: r.o.duration,
		Request: func(i int) []byte { return kind.request(addr, i) },
		Check: func(i, status int, body []byte) error {
			if status != 200 {
				statuses[i][status]++
				return fmt.Errorf("status %d: %s", status, strings.TrimSpace(string(body)))
			}
			if err := kind.check(body); err != nil {
				statuses[i][-1]++
				return err
			}
			return nil
		},
	}
	var faulty *hammer
	if noisy {
		faulty = startHammer(addr, r.o.faulty, r.o.faultyClients)
	}
	cpu0, t0 := cpuOf(pid), time.Now()
	res, err := benchload.Run(cfg)
	ph.upCores = float64(cpuOf(pid)-cpu0) / float64(time.Since(t0))
	if faulty != nil {
		faulty.stop()
		ph.faulty, ph.faultyFirst, ph.faultyN = faulty.count, faulty.first, faulty.n
	}
	if err != nil {
		return ph, err
	}
	ph.res = res
	for _, m := range statuses {
		for s, n := range m {
			ph.status[s] += n
		}
	}
	// Connections that failed outright (no answer to count).
	counted := 0
	for _, n := range ph.status {
		counted += n
	}
	if res.Errors > counted {
		ph.status[0] += res.Errors - counted
	}
	return ph, nil
}

// hammer is the faulty clients of a phase.
type hammer struct {
	stopc chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	count map[string]map[int]int    // route -> status -> answers (0: no answer)
	first map[string]map[int]string // route -> status -> the first answer's body (or error)
	n     int
}

// startHammer starts clients that request the faulty routes in turn, each
// from its own starting point, one request at a time, until stop.
func startHammer(addr string, routes []string, clients int) *hammer {
	h := &hammer{stopc: make(chan struct{}), count: map[string]map[int]int{}, first: map[string]map[int]string{}}
	for _, r := range routes {
		h.count[r] = map[int]int{}
		h.first[r] = map[int]string{}
	}
	for i := range clients {
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			tr := &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true,
				DialContext: (&net.Dialer{Timeout: 10 * time.Second}).DialContext}
			defer tr.CloseIdleConnections()
			c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
			for k := i; ; k++ {
				select {
				case <-h.stopc:
					return
				default:
				}
				route := routes[k%len(routes)]
				st, text := 0, ""
				resp, err := c.Get("http://" + addr + faultyPrefix + route)
				if err == nil {
					b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
					io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
					resp.Body.Close()
					st, text = resp.StatusCode, strings.TrimSpace(string(b))
				} else {
					text = err.Error()
				}
				h.mu.Lock()
				h.count[route][st]++
				if _, ok := h.first[route][st]; !ok {
					h.first[route][st] = text
				}
				if st != 0 {
					h.n++
				}
				h.mu.Unlock()
				if err != nil {
					time.Sleep(10 * time.Millisecond) // do not spin on a refused dial
				}
			}
		}()
	}
	return h
}

// stop ends the clients after their requests in flight.
func (h *hammer) stop() {
	close(h.stopc)
	h.wg.Wait()
}

// expectedStatus tells whether status is what route should answer: alone
// (the probes), or under load, where every faulty route may also wait for
// one of its component's instances, all busy with its neighbours' faults,
// and get 503 (the queue is full, or its timeout passed) or 504 (the call's
// deadline passed while it waited).
//
//	ok     200
//	trap   500: the module failed
//	loop   504: stopped at its timeout
//	grow   an error status: the Go runtime's out-of-memory abort (500), or
//	       whatever a memory limit answers
//	flood  an error status: its timeout (504) until a keyvalue quota stops
//	       it; then the quota's status (the host's answer to a LimitError)
//	       or the guest's 429 when a keyvalue call fails instead
func expectedStatus(route string, status int, loaded bool) bool {
	if loaded && route != "ok" && (status == 503 || status == 504) {
		return true
	}
	switch route {
	case "ok":
		return status == 200
	case "trap":
		return status == 500
	case "loop":
		return status == 504
	case "grow", "flood":
		return status >= 400 && status <= 599 && status != 404 && status != 503
	}
	return false
}

// ratios returns b/a req/s of each round.
func (r *report) ratios() []float64 {
	var out []float64
	for i := range min(len(r.alone), len(r.noisy)) {
		out = append(out, r.noisy[i].res.RPS/r.alone[i].res.RPS)
	}
	return out
}

func medianOf(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// healthyErrors is the healthy route's errors over every phase of kind
// noisy (or alone).
func healthyErrors(phs []phaseResult) (n int, by map[int]int) {
	by = map[int]int{}
	for _, ph := range phs {
		n += ph.res.Errors
		for s, c := range ph.status {
			by[s] += c
		}
	}
	return n, by
}

// unexpected counts the faulty answers of phase b that expectedStatus
// refuses, by route.
func (r *report) unexpected() map[string]int {
	out := map[string]int{}
	for _, ph := range r.noisy {
		for route, m := range ph.faulty {
			for st, n := range m {
				if !expectedStatus(route, st, true) {
					out[route] += n
				}
			}
		}
	}
	return out
}

// goals are the verdicts, in order: the ratio, the healthy route's errors,
// the peak RSS.
func (r *report) goals() []verdict {
	var v []verdict
	ratio := medianOf(r.ratios())
	if len(r.noisy) > 0 {
		g := verdict{goal: fmt.Sprintf("healthy req/s with faulty traffic >= %.0f%% of alone", 100*goalRatio), met: ratio >= goalRatio}
		if g.met {
			g.detail = fmt.Sprintf("%.0f%%", 100*ratio)
		} else {
			g.detail = fmt.Sprintf("%.0f%%: missed by %.0f points", 100*ratio, 100*(goalRatio-ratio))
		}
		v = append(v, g)
		n, by := healthyErrors(r.noisy)
		reqs := 0
		for _, ph := range r.noisy {
			reqs += ph.res.Requests
		}
		g = verdict{goal: "no error on the healthy route with faulty traffic", met: n == 0}
		if g.met {
			g.detail = fmt.Sprintf("0 errors, %d answers of 200", reqs)
		} else {
			g.detail = fmt.Sprintf("missed: %d errors (%s) against %d answers of 200", n, statusList(by), reqs)
		}
		v = append(v, g)
	}
	if r.hwm > 0 {
		g := verdict{goal: "host peak RSS (VmHWM) within the bound", met: r.hwm <= r.bound}
		if g.met {
			g.detail = fmt.Sprintf("%s of %s", mib(r.hwm), mib(r.bound))
		} else {
			g.detail = fmt.Sprintf("%s of %s: missed by %s", mib(r.hwm), mib(r.bound), mib(r.hwm-r.bound))
		}
		v = append(v, g)
	}
	return v
}

type verdict struct {
	goal, detail string
	met          bool
}

func (r *report) allMet() bool {
	for _, v := range r.goals() {
		if !v.met {
			return false
		}
	}
	return true
}

// print writes the report as markdown.
func (r *report) print(w io.Writer) {
	o := r.o
	rel, err := filepath.Rel(o.root, o.manifest)
	if err != nil {
		rel = o.manifest
	}
	fmt.Fprintf(w, "# noisy neighbour through `wasmhive up`: %s, %d CPUs, GOMAXPROCS=%d; %s\n\n", runtime.Version(), runtime.NumCPU(), runtime.GOMAXPROCS(0), rel)
	fmt.Fprintf(w, "healthy component: %s, %d connections; faulty: %d clients cycling through %s; %d round(s) of %s per phase (after %s warm-up)\n\n",
		o.healthy, o.conns, o.faultyClients, strings.Join(o.faulty, ", "), o.rounds, o.duration, o.warmup)
	if len(r.load) > 0 {
		fmt.Fprintf(w, "- load average (1 min) at the start and the end: %s\n", strings.Join(r.load, ", "))
	}
	for _, c := range r.prepared.components {
		fmt.Fprintf(w, "- component %s: %s, instances max %d, memory %s\n", c.name, filepath.Base(c.module), c.instances, mib(int64(c.memory)))
	}
	if len(r.prepared.dropped) > 0 {
		fmt.Fprintf(w, "- not known to this build's manifest decoder, so dropped: %s\n", strings.Join(r.prepared.dropped, ", "))
	}
	fmt.Fprintln(w)

	if len(r.probes) > 0 {
		fmt.Fprintln(w, "Each route once, alone:")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| route | status | expected | time | up VmRSS after |")
		fmt.Fprintln(w, "|---|---:|---|---:|---:|")
		for _, p := range r.probes {
			ok := "yes"
			if !r.probeOK(p) {
				ok = "**no**: " + strings.TrimSpace(p.body)
			}
			name := p.route
			if p.route != "healthy" {
				name = faultyPrefix + p.route
			}
			fmt.Fprintf(w, "| %s | %d | %s | %s | %s |\n", name, p.status, ok, fmtDur(p.time), mib(p.rss))
		}
		fmt.Fprintln(w)
	}

	if len(r.alone)+len(r.noisy) > 0 {
		fmt.Fprintln(w, "The healthy route:")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| round | phase | req/s | errors | p50 | p99 | up CPU (cores) | faulty answers |")
		fmt.Fprintln(w, "|---:|---|---:|---:|---:|---:|---:|---:|")
		for i := range max(len(r.alone), len(r.noisy)) {
			if i < len(r.alone) {
				a := r.alone[i]
				fmt.Fprintf(w, "| %d | a: alone | %.0f | %s | %s | %s | %.2f | - |\n", i+1, a.res.RPS, errCell(a), fmtDur(a.res.P50), fmtDur(a.res.P99), a.upCores)
			}
			if i < len(r.noisy) {
				b := r.noisy[i]
				fmt.Fprintf(w, "| %d | b: with faulty traffic | %.0f | %s | %s | %s | %.2f | %d |\n", i+1, b.res.RPS, errCell(b), fmtDur(b.res.P50), fmtDur(b.res.P99), b.upCores, b.faultyN)
			}
		}
		fmt.Fprintln(w)
		if rs := r.ratios(); len(rs) > 0 {
			var each []string
			for _, x := range rs {
				each = append(each, fmt.Sprintf("%.0f%%", 100*x))
			}
			fmt.Fprintf(w, "b/a: **%.0f%%** (median; rounds %s)\n\n", 100*medianOf(rs), strings.Join(each, ", "))
		}
	}

	if len(r.noisy) > 0 {
		statuses := map[int]bool{}
		total := map[string]map[int]int{}
		for _, ph := range r.noisy {
			for route, m := range ph.faulty {
				if total[route] == nil {
					total[route] = map[int]int{}
				}
				for st, n := range m {
					total[route][st] += n
					statuses[st] = true
				}
			}
		}
		cols := make([]int, 0, len(statuses))
		for s := range statuses {
			cols = append(cols, s)
		}
		slices.Sort(cols)
		fmt.Fprintln(w, "The faulty routes in phase b (answers by status; 0: no answer):")
		fmt.Fprintln(w)
		fmt.Fprint(w, "| route |")
		for _, s := range cols {
			fmt.Fprintf(w, " %d |", s)
		}
		fmt.Fprintln(w, " unexpected |")
		fmt.Fprint(w, "|---|")
		for range cols {
			fmt.Fprint(w, "---:|")
		}
		fmt.Fprintln(w, "---:|")
		unexp := r.unexpected()
		for _, route := range o.faulty {
			fmt.Fprintf(w, "| %s%s |", faultyPrefix, route)
			for _, s := range cols {
				fmt.Fprintf(w, " %d |", total[route][s])
			}
			fmt.Fprintf(w, " %d |\n", unexp[route])
		}
		fmt.Fprintln(w)
		fmt.Fprintln(w, "The first answer of each (route, status) in phase b:")
		fmt.Fprintln(w)
		for _, route := range o.faulty {
			for _, s := range cols {
				for _, ph := range r.noisy {
					if text, ok := ph.faultyFirst[route][s]; ok {
						if len(text) > 160 {
							text = text[:160] + "..."
						}
						fmt.Fprintf(w, "- %s%s %d: %s\n", faultyPrefix, route, s, text)
						break
					}
				}
			}
		}
		fmt.Fprintln(w)
	}

	if r.hwm > 0 {
		fmt.Fprintf(w, "Host memory (the up process): peak VmHWM **%s**; VmRSS sampled every %s: idle %s, highest in the probes %s, in phase a %s, in phase b %s.\n",
			mib(r.hwm), o.sample, mib(r.idleRSS), mib(r.rssMax["probe"]), mib(r.rssMax["a"]), mib(r.rssMax["b"]))
		var parts []string
		for _, c := range r.prepared.components {
			parts = append(parts, fmt.Sprintf("%s %d x %s", c.name, c.instances, mib(int64(c.memory))))
		}
		baseHow := "idle VmRSS + 20 MiB"
		if o.base != 0 {
			baseHow = "-base"
		}
		fmt.Fprintf(w, "Bound: sum of instances.max x limits.memory (%s) + base %s (%s) = **%s**.\n\n", strings.Join(parts, ", "), mib(r.base), baseHow, mib(r.bound))
	}
	if len(r.pools) > 0 {
		fmt.Fprintln(w, "Pools at the end (up's health check):")
		fmt.Fprintln(w)
		for _, name := range []string{healthyComponent, faultyComponent} {
			s := r.pools[name]
			fmt.Fprintf(w, "- %s: %d calls, %d instances created, %d discarded, %d failed, %d calls rejected (saturated)\n", name, s.Calls, s.Created, s.Discarded, s.Failed, s.Rejected)
		}
		var lv []string
		for _, l := range []string{"DEBUG", "INFO", "WARN", "ERROR", "TEXT"} {
			if n := r.logLevels[l]; n > 0 {
				lv = append(lv, fmt.Sprintf("%d %s", n, l))
			}
		}
		fmt.Fprintf(w, "- up's log: %s; exit after SIGTERM: %s\n\n", strings.Join(lv, ", "), exitText(r.stopErr))
	}
	if v := r.goals(); len(v) > 0 {
		fmt.Fprintln(w, "Goals:")
		fmt.Fprintln(w)
		for _, g := range v {
			m := "met"
			if !g.met {
				m = "**missed**"
			}
			fmt.Fprintf(w, "- %s: %s (%s)\n", g.goal, m, g.detail)
		}
		fmt.Fprintln(w)
	}
}

// loadAverage returns the machine's 1-minute load average, or "?".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

func errCell(ph phaseResult) string {
	if ph.res.Errors == 0 {
		return "0"
	}
	return fmt.Sprintf("%d (%s)", ph.res.Errors, statusList(ph.status))
}

// statusList formats counts by status: "504: 3, 503: 1" (-1: a wrong
// body, 0: no answer).
func statusList(by map[int]int) string {
	keys := make([]int, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		name := strconv.Itoa(k)
		switch k {
		case -1:
			name = "wrong body"
		case 0:
			name = "no answer"
		}
		parts = append(parts, fmt.Sprintf("%s: %d", name, by[k]))
	}
	return strings.Join(parts, ", ")
}

func exitText(err error) string {
	if err == nil {
		return "status 0"
	}
	return err.Error()
}

func mib(n int64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }

func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d.Nanoseconds())/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.2f ms", float64(d.Nanoseconds())/1e6)
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}
