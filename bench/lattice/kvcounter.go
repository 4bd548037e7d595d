package main

// The -kvcounter mode: the kvcounter app's req/s served by real wasmhive
// processes, one host against three (issue 10, item 7: "cross-host req/s of
// the kvcounter against one host").

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/wasmhive/wasmhive/internal/benchload"
)

var (
	kvMode   = flag.Bool("kvcounter", false, "instead, benchmark the kvcounter's req/s on wasmhive up, one wasmhive host and three clustered hosts (-rounds 3, -d 3s unless given)")
	kvConns  = flag.Int("conns", 16, "-kvcounter: concurrent keep-alive connections in all (spread over the three hosts in case c)")
	kvWarmup = flag.Duration("warmup", time.Second, "-kvcounter: warm-up time per case and round (not measured)")
)

// The kvcounter mode's defaults where they differ from the invocation
// benchmark's: -rounds 3, -d 3s.
const (
	kvRounds = 3
	kvDur    = 3 * time.Second
)

var (
	upRE   = regexp.MustCompile(`msg=up .*url=(http://127\.0\.0\.1:\d+)`)
	hostRE = regexp.MustCompile(`msg=host .*nats=(nats://127\.0\.0\.1:\d+)`)
)

// proc is one wasmhive process of the benchmark.
type proc struct {
	name string
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs bytes.Buffer
	done chan struct{} // closed when it exited
	url  string        // what its ready line named: the HTTP URL of up, the NATS URL of host
	web  string        // the HTTP address it serves the app on
}

// startProc runs bin with args and env and waits for a stderr line
// matching ready (its first group becomes p.url), for at most d. The
// process, when started, is returned even with an error, to be stopped.
func startProc(name, bin string, env []string, ready *regexp.Regexp, d time.Duration, args ...string) (*proc, error) {
	p, urlc, err := spawnAsync(name, bin, env, ready, args...)
	if err != nil {
		return nil, err
	}
	return p, p.wait(urlc, d)
}

// wait waits for the ready line spawnAsync's urlc passes on, for at most d.
func (p *proc) wait(urlc chan string, d time.Duration) error {
	select {
	case p.url = <-urlc:
		return nil
	case <-p.done:
		return fmt.Errorf("%s exited before it was ready:\n%s", p.name, p.log())
	case <-time.After(d):
		return fmt.Errorf("%s not ready within %s:\n%s", p.name, d, p.log())
	}
}

func (p *proc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// stop sends SIGTERM, and SIGKILL when the process is still running 15 s
// later; it waits until it exited.
func (p *proc) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// kvCase is one contender: the HTTP addresses serving the kvcounter, the
// connections spread over them.
type kvCase struct {
	name, what string
	addrs      []string
	totals     int64 // /hits answered 200, every round and phase
	errors     int
}

type kvResult struct {
	rps      float64
	perAddr  []float64
	p50, p99 time.Duration // the median of the addresses' p50, the largest p99
	errors   int
}

func runKVCounter() error {
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	nRounds, d := kvRounds, kvDur
	if set["rounds"] {
		nRounds = *rounds
	}
	if set["d"] {
		d = *dur
	}
	if nRounds < 1 || d <= 0 || *kvConns < 3 {
		return errors.New("-kvcounter wants -rounds ≥ 1, -d > 0 and -conns ≥ 3")
	}
	root, err := benchload.RepoRoot()
	if err != nil {
		return err
	}
	appFile := filepath.Join(root, "examples", "kvcounter", "app.yaml")
	if _, err := os.Stat(filepath.Join(root, "examples", "kvcounter", "kvcounter.wasm")); err != nil {
		return fmt.Errorf("the kvcounter guest is not built (examples/kvcounter/build.sh): %w", err)
	}
	tmp, err := os.MkdirTemp("", "wasmhive-bench-latticekv-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	bin := filepath.Join(tmp, "wasmhive")
	build := exec.Command("go", "build", "-o", bin, "./cmd/wasmhive")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/wasmhive: %v\n%s", err, out)
	}
	env := []string{"XDG_DATA_HOME=" + filepath.Join(tmp, "data"), "XDG_CACHE_HOME=" + filepath.Join(tmp, "cache")}

	var procs []*proc
	defer func() {
		var wg sync.WaitGroup
		for _, p := range procs {
			wg.Add(1)
			go func() { defer wg.Done(); p.stop() }()
		}
		wg.Wait()
	}()
	spawn := func(name string, ready *regexp.Regexp, web string, args ...string) (*proc, error) {
		p, err := startProc(name, bin, env, ready, 90*time.Second, args...)
		if p != nil {
			p.web = web
			procs = append(procs, p)
		}
		return p, err
	}
	deploy := func(natsURL string) error {
		var out []byte
		var err error
		// A fresh JetStream cluster may still be electing its leaders.
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
			c := exec.Command(bin, "deploy", appFile, "--nats", natsURL)
			c.Env = append(os.Environ(), env...)
			if out, err = c.CombinedOutput(); err == nil {
				return nil
			}
		}
		return fmt.Errorf("deploy to %s: %v: %s", natsURL, err, bytes.TrimSpace(out))
	}
	hostArgs := func(web, dir string) []string {
		return []string{"host", "--nats-listen", "127.0.0.1:0", "--listen", web, "--data-dir", dir,
			"--no-access-log", "--shutdown-timeout", "5s"}
	}

	// (a) wasmhive up: one process, the bolt store.
	web, err := freePort()
	if err != nil {
		return err
	}
	up, err := spawn("wasmhive up", upRE, web, "up", "--listen", web, "--data-dir", filepath.Join(tmp, "up"),
		"--no-access-log", "--shutdown-timeout", "5s", appFile)
	if err != nil {
		return err
	}
	// (b) one wasmhive host, its own embedded server, R1.
	if web, err = freePort(); err != nil {
		return err
	}
	solo, err := spawn("wasmhive host (alone)", hostRE, web, hostArgs(web, filepath.Join(tmp, "solo"))...)
	if err != nil {
		return err
	}
	if err := deploy(solo.url); err != nil {
		return err
	}
	// (c) three wasmhive hosts, their embedded servers clustered, R3.
	seed, err := freePort()
	if err != nil {
		return err
	}
	var trio []*proc
	var pending []chan string
	for i := range 3 {
		web, err := freePort()
		if err != nil {
			return err
		}
		args := append(hostArgs(web, filepath.Join(tmp, "trio", strconv.Itoa(i))), "--kv-replicas", "3")
		if i == 0 {
			args = append(args, "--cluster-listen", seed)
		} else {
			args = append(args, "--cluster-listen", "127.0.0.1:0", "--routes", "nats://"+seed)
		}
		// The first hosts of a JetStream cluster wait for each other: start
		// all three, then wait.
		p, urlc, err := spawnAsync(fmt.Sprintf("wasmhive host %d of 3", i+1), bin, env, hostRE, args...)
		if err != nil {
			return err
		}
		p.web = web
		procs = append(procs, p)
		trio, pending = append(trio, p), append(pending, urlc)
	}
	for i, p := range trio {
		if err := p.wait(pending[i], 90*time.Second); err != nil {
			return err
		}
	}
	if err := deploy(trio[0].url); err != nil {
		return err
	}

	cases := []*kvCase{
		{name: "a", what: "`wasmhive up` (bolt)", addrs: []string{up.web}},
		{name: "b", what: "1 `wasmhive host` (JetStream KV R1)", addrs: []string{solo.web}},
		{name: "c", what: "3 `wasmhive host`, clustered (JetStream KV R3)", addrs: []string{trio[0].web, trio[1].web, trio[2].web}},
	}
	for _, c := range cases {
		for _, a := range c.addrs {
			if err := waitCounter(a, 90*time.Second); err != nil {
				return fmt.Errorf("case %s: %w", c.name, err)
			}
		}
	}

	results := map[string][]kvResult{}
	for r := range nRounds {
		order := slices.Clone(cases)
		if r%2 == 1 {
			slices.Reverse(order)
		}
		for _, c := range order {
			res, err := kvLoad(c, *kvConns, *kvWarmup, d)
			if err != nil {
				return fmt.Errorf("case %s, round %d: %w", c.name, r+1, err)
			}
			results[c.name] = append(results[c.name], res)
		}
	}
	for _, c := range cases {
		for _, a := range c.addrs {
			got, err := readHits(a)
			if err != nil {
				return fmt.Errorf("case %s: read back /hits on %s: %w", c.name, a, err)
			}
			if got < c.totals || c.errors == 0 && got != c.totals {
				return fmt.Errorf("case %s: /hits is %d on %s after %d increments answered 200", c.name, got, a, c.totals)
			}
		}
	}

	fmt.Printf("# bench/lattice -kvcounter: %s, %d CPUs, %d connections, %d rounds of %s per case (after %s warm-up), GET /hits (one key)\n\n",
		runtime.Version(), runtime.NumCPU(), *kvConns, nRounds, d, *kvWarmup)
	fmt.Println("| case | serving | req/s (median) | req/s, all rounds | p50 | p99 | errors |")
	fmt.Println("|---|---|---:|---|---:|---:|---:|")
	for _, c := range cases {
		rs := results[c.name]
		var all []string
		rates := make([]float64, len(rs))
		nerr := 0
		for i, r := range rs {
			rates[i] = r.rps
			nerr += r.errors
			s := fmt.Sprintf("%.0f", r.rps)
			if len(r.perAddr) > 1 {
				var parts []string
				for _, x := range r.perAddr {
					parts = append(parts, fmt.Sprintf("%.0f", x))
				}
				s += " (" + strings.Join(parts, "+") + ")"
			}
			all = append(all, s)
		}
		m := medianResult(rs)
		fmt.Printf("| %s | %s | %.0f | %s | %s | %s | %d |\n", c.name, c.what, m.rps, strings.Join(all, ", "), fmtDur(m.p50), fmtDur(m.p99), nerr)
	}
	ratio := func(x, y string) string {
		var rs []float64
		for i := range results[x] {
			rs = append(rs, results[x][i].rps/results[y][i].rps)
		}
		var each []string
		for _, v := range rs {
			each = append(each, fmt.Sprintf("%.2fx", v))
		}
		return fmt.Sprintf("**%.2fx** (rounds: %s)", median(rs), strings.Join(each, ", "))
	}
	fmt.Printf("\n- (c)/(a), three clustered hosts against `wasmhive up`: %s\n", ratio("c", "a"))
	fmt.Printf("- (c)/(b), three clustered hosts against one host: %s\n", ratio("c", "b"))
	fmt.Println("\nRatios: median of the per-round ratios. In case c the connections are spread over the three hosts' HTTP ports and their req/s summed (per host in parentheses); p50 is the median of the hosts' p50s, p99 the largest of their p99s. Every process runs on this machine, load generator included.")
	return nil
}

// spawnAsync starts bin with args without waiting for it to be ready.
func spawnAsync(name, bin string, env []string, ready *regexp.Regexp, args ...string) (*proc, chan string, error) {
	p := &proc{name: name, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), env...)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := p.cmd.Start(); err != nil {
		return nil, nil, err
	}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			if p.logs.Len() < 1<<20 {
				p.logs.WriteString(line + "\n")
			}
			p.mu.Unlock()
			if m := ready.FindStringSubmatch(line); m != nil {
				select {
				case urlc <- m[1]:
				default:
				}
			}
		}
		p.cmd.Wait()
		close(p.done)
	}()
	return p, urlc, nil
}

// kvLoad keeps conns connections, spread over c's addresses, busy with GET
// /hits for warm-up + d, all addresses at once, and sums their req/s.
// Every answer must be a 200 whose counter exceeds the connection's
// previous one (one counter, whichever host answers).
func kvLoad(c *kvCase, conns int, warmup, d time.Duration) (kvResult, error) {
	n := len(c.addrs)
	type out struct {
		res  benchload.Result
		done int64
		err  error
	}
	outs := make([]out, n)
	var wg sync.WaitGroup
	for j, addr := range c.addrs {
		k := conns / n
		if j < conns%n {
			k++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			prev := make([]int64, k)
			for i := range prev {
				prev[i] = -1
			}
			done := make([]int64, k) // per connection: Check runs on each connection's goroutine
			req := []byte("GET /hits?amount=1 HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: wasmhive-bench\r\n\r\n")
			res, err := benchload.Run(benchload.Config{
				Addr: addr, Conns: k, Warmup: warmup, Duration: d,
				Request: func(int) []byte { return req },
				Check: func(i, status int, body []byte) error {
					if status != 200 {
						prev[i] = -1
						return fmt.Errorf("status %d: %s", status, bytes.TrimSpace(body))
					}
					v, err := benchload.ParseCounter(body)
					if err != nil {
						return &benchload.FatalError{Err: err}
					}
					if prev[i] >= 0 && v <= prev[i] {
						return &benchload.FatalError{Err: fmt.Errorf("%s, connection %d: counter %d after %d: a lost or repeated update", addr, i, v, prev[i])}
					}
					prev[i] = v
					done[i]++
					return nil
				},
			})
			var sum int64
			for _, x := range done {
				sum += x
			}
			outs[j] = out{res, sum, err}
		}()
	}
	wg.Wait()
	var r kvResult
	var p50s []float64
	for j, o := range outs {
		if o.err != nil {
			return kvResult{}, fmt.Errorf("%s: %w", c.addrs[j], o.err)
		}
		c.totals += o.done
		c.errors += o.res.Errors
		if o.res.Errors > 0 {
			fmt.Fprintf(os.Stderr, "case %s, %s: %d error(s), first: %v\n", c.name, c.addrs[j], o.res.Errors, o.res.FirstErr)
		}
		r.rps += o.res.RPS
		r.perAddr = append(r.perAddr, o.res.RPS)
		r.errors += o.res.Errors
		p50s = append(p50s, float64(o.res.P50))
		r.p99 = max(r.p99, o.res.P99)
	}
	r.p50 = time.Duration(median(p50s))
	return r, nil
}

// medianResult is the round with the median req/s.
func medianResult(rs []kvResult) kvResult {
	s := slices.Clone(rs)
	slices.SortFunc(s, func(a, b kvResult) int {
		switch {
		case a.rps < b.rps:
			return -1
		case a.rps > b.rps:
			return 1
		}
		return 0
	})
	return s[len(s)/2]
}

var kvClient = &http.Client{Timeout: 10 * time.Second}

// readHits reads /hits's counter on addr with ?amount=0 (no change).
func readHits(addr string) (int64, error) {
	return benchload.ReadCounter(context.Background(), kvClient, addr, "/hits")
}

// waitCounter waits until addr serves /hits, at 0 (a fresh store).
func waitCounter(addr string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		n, err := readHits(addr)
		if err == nil {
			if n != 0 {
				return fmt.Errorf("%s: /hits starts at %d, want 0", addr, n)
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not serving the kvcounter within %s: %w", addr, d, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func fmtDur(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%.0f µs", float64(d.Nanoseconds())/1e3)
	}
	return fmt.Sprintf("%.2f ms", float64(d.Nanoseconds())/1e6)
}
