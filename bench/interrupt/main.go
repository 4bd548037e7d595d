// Command interrupt measures what interruption costs and what it delivers,
// every case against its baseline in the same run:
//
//	go run ./bench/interrupt [-rounds 5] [-spins 200] [-wrk-duration 3s] [-no-http]
//
// Cases (each row: interruptible by default, i.e. the engine's rewritten
// modules; "off", HostConfig.NoInterrupts; "wazero", wazero's own
// WithCloseOnContextDone checks, which the engine uses with DebugInfo):
//
//	small call       the Extism Rust PDK's count_vowels on "Hello, World!"
//	                 (a small plugin call through wasmhive.Plugin)
//	count_vowels 64K the same on 64 KiB of text
//	tight loops      loops of a few instructions in features.wasm (the worst
//	                 case for per-iteration checks): $sum (1..10^7) and
//	                 countdown, a loop with parameters (multi-value; compilers
//	                 rarely emit them, and their check is not restarted)
//	recursion        fib 27, a recursion without loops (entry checks)
//	stop latency     a guest spinning in a loop without host calls, called
//	                 with a 5 ms deadline: how long after the deadline the
//	                 call returns (p50, p99, max over -spins calls); and a
//	                 guest without loops (one function calling a 64 KiB
//	                 leaf of straight-line code from 20000 sites, ~150 ms):
//	                 wazero's checks, at loop headers only, never stop it
//	GC stall         beside a guest spinning for ~300 ms (a loop that ends by
//	                 itself, so that "off" can be measured), a goroutine
//	                 allocating: the longest stop-the-world the Go runtime
//	                 took to stop (runtime/metrics
//	                 /sched/pauses/stopping/gc:seconds, max bucket), and the
//	                 longest gap between its 100 µs ticks
//	HTTP             GET / of the Go guest testdata/guests/http/hello behind
//	                 the HTTP trigger (as `wasmhive serve` serves it) against
//	                 a native Go handler, measured by wrk (a separate
//	                 process; skipped without wrk on PATH)
//
// The Extism plugin comes from the Extism Go SDK's wasm folder (the module
// compat/go.mod requires, downloaded by `go mod download` if needed); nothing
// third-party is committed. Timings are the median of -rounds rounds (each
// the mean of a batch; the modes take turns within each round), ratios are
// interruptible / off.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

var (
	rounds      = flag.Int("rounds", 9, "rounds per timing (the median is reported)")
	spins       = flag.Int("spins", 200, "calls of the stop-latency case")
	wrkDuration = flag.Duration("wrk-duration", 3*time.Second, "duration of each wrk run (the HTTP case)")
	noHTTP      = flag.Bool("no-http", false, "skip the HTTP case")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "interrupt:", err)
		os.Exit(1)
	}
}

type mode struct {
	name string
	hc   wasmhive.HostConfig
	ec   engine.Config
}

func modes(tmp string) []mode {
	return []mode{
		{"interruptible", wasmhive.HostConfig{CacheDir: filepath.Join(tmp, "on")}, engine.Config{CacheDir: filepath.Join(tmp, "on")}},
		{"off", wasmhive.HostConfig{CacheDir: filepath.Join(tmp, "off"), NoInterrupts: true}, engine.Config{CacheDir: filepath.Join(tmp, "off"), NoInterrupts: true}},
		{"wazero", wasmhive.HostConfig{CacheDir: filepath.Join(tmp, "wz"), DebugInfo: true}, engine.Config{CacheDir: filepath.Join(tmp, "wz"), DebugInfo: true}},
	}
}

func run() error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "wasmhive-bench-interrupt-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	fmt.Printf("# bench/interrupt (%s/%s, %d CPUs, GOMAXPROCS %d)\n\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0))
	fmt.Println("| case | interruptible | off (NoInterrupts) | wazero checks | interruptible/off | wazero/off |")
	fmt.Println("|---|---|---|---|---|---|")
	vowels, err := extismWasm(root, "count_vowels.wasm")
	if err != nil {
		return err
	}
	big := bytes.Repeat([]byte("The quick brown fox jumps over the lazy dog. "), 64<<10/45+1)[:64<<10]
	for _, c := range []struct {
		name  string
		input []byte
		batch int
	}{{"small call (count_vowels, 13 B)", []byte("Hello, World!"), 2000}, {"count_vowels 64 KiB", big, 20}} {
		var fs []func() (time.Duration, error)
		for _, m := range modes(tmp) {
			f, closeFn, err := pluginCall(vowels, m.hc, c.input, c.batch)
			if err != nil {
				return fmt.Errorf("%s, %s: %w", c.name, m.name, err)
			}
			defer closeFn()
			fs = append(fs, f)
		}
		ts, err := interleaved(fs)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		row(c.name, ts)
	}
	features := filepath.Join(root, "internal/interrupt/testdata/features.wasm")
	for _, c := range []struct {
		name, fn string
		params   []uint64
	}{
		{"tight loop (sum 1..10^7, via call_indirect)", "indirect", []uint64{3, 1, 10_000_000}},
		{"tight loop with loop parameters (countdown 10^7)", "countdown", []uint64{10_000_000}},
		{"recursion without loops (fib 27)", "fib", []uint64{27}},
	} {
		var fs []func() (time.Duration, error)
		for _, m := range modes(tmp) {
			f, closeFn, err := engineCall(features, m.ec, c.fn, c.params...)
			if err != nil {
				return fmt.Errorf("%s, %s: %w", c.name, m.name, err)
			}
			defer closeFn()
			fs = append(fs, f)
		}
		ts, err := interleaved(fs)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		row(c.name, ts)
	}
	fmt.Println()
	fmt.Println("| spinning guest, 5 ms deadline | p50 after the deadline | p99 | max |")
	fmt.Println("|---|---|---|---|")
	for _, m := range modes(tmp) {
		if m.ec.NoInterrupts {
			continue // never stops
		}
		lat, ran, err := stopLatency(m.ec, *spins, fromFile(features), "spin")
		if err != nil {
			return fmt.Errorf("stop latency, %s: %w", m.name, err)
		}
		latencyRow(m.name, lat, ran)
	}
	fmt.Println()
	fmt.Println("| straight-line guest (no loops: 20000 calls of a 64 KiB leaf, ~150 ms), 5 ms deadline | p50 after the deadline | p99 | max |")
	fmt.Println("|---|---|---|---|")
	for _, m := range modes(tmp) {
		if m.ec.NoInterrupts {
			continue
		}
		lat, ran, err := stopLatency(m.ec, *spins/10, straightLine, "f", 0)
		if err != nil {
			return fmt.Errorf("straight-line stop latency, %s: %w", m.name, err)
		}
		latencyRow(m.name, lat, ran)
	}
	fmt.Println()
	fmt.Println("| beside a spinning guest (~300 ms) | longest stop-the-world stopping time | longest tick gap (100 µs ticks) | spin took |")
	fmt.Println("|---|---|---|---|")
	for _, m := range modes(tmp) {
		stw, gap, took, err := gcStall(features, m.ec)
		if err != nil {
			return fmt.Errorf("GC stall, %s: %w", m.name, err)
		}
		fmt.Printf("| %s | %v | %v | %v |\n", m.name, stw.Round(time.Microsecond), gap.Round(time.Microsecond), took.Round(time.Millisecond))
	}
	if *noHTTP {
		return nil
	}
	fmt.Println()
	return httpCases(root, tmp)
}

func row(name string, ts []time.Duration) {
	fmt.Printf("| %s | %v | %v | %v | **%.2f** | %.2f |\n", name, round(ts[0]), round(ts[1]), round(ts[2]),
		float64(ts[0])/float64(ts[1]), float64(ts[2])/float64(ts[1]))
}

func round(d time.Duration) time.Duration {
	switch {
	case d > time.Millisecond:
		return d.Round(10 * time.Microsecond)
	case d > 10*time.Microsecond:
		return d.Round(100 * time.Nanosecond)
	}
	return d.Round(10 * time.Nanosecond)
}

// interleaved runs each of fs once per round, in turn, for -rounds rounds
// (a change in what else the machine runs hits every case alike) and
// returns the median of each.
func interleaved(fs []func() (time.Duration, error)) ([]time.Duration, error) {
	ds := make([][]time.Duration, len(fs))
	for range *rounds {
		for i, f := range fs {
			d, err := f()
			if err != nil {
				return nil, err
			}
			ds[i] = append(ds[i], d)
		}
	}
	out := make([]time.Duration, len(fs))
	for i, d := range ds {
		slices.Sort(d)
		out[i] = d[len(d)/2]
	}
	return out, nil
}

// pluginCall loads the plugin at path and returns a function timing one
// count_vowels call on it (the mean of a batch), and its closer.
func pluginCall(path string, hc wasmhive.HostConfig, input []byte, batch int) (func() (time.Duration, error), func(), error) {
	ctx := context.Background()
	p, err := wasmhive.LoadFile(ctx, path, wasmhive.PluginConfig{Host: hc})
	if err != nil {
		return nil, nil, err
	}
	for range batch / 4 {
		if _, err := p.Call(ctx, "count_vowels", input); err != nil {
			p.Close(ctx)
			return nil, nil, err
		}
	}
	return func() (time.Duration, error) {
		start := time.Now()
		for range batch {
			if _, err := p.Call(ctx, "count_vowels", input); err != nil {
				return 0, err
			}
		}
		return time.Since(start) / time.Duration(batch), nil
	}, func() { p.Close(ctx) }, nil
}

// engineCall returns a function timing one call of fn(param) on a warm
// instance, and its closer.
func engineCall(path string, cfg engine.Config, fn string, params ...uint64) (func() (time.Duration, error), func(), error) {
	ctx := context.Background()
	rt, inst, err := instance(path, cfg)
	if err != nil {
		return nil, nil, err
	}
	return func() (time.Duration, error) {
		start := time.Now()
		if _, err := inst.Call(ctx, fn, params...); err != nil {
			return 0, err
		}
		return time.Since(start), nil
	}, func() { rt.Close(ctx) }, nil
}

// envAdd is the host function features.wasm imports.
type envAdd struct{}

func (envAdd) ModuleName() string { return "env" }
func (envAdd) Define(_ *engine.Runtime, b wazero.HostModuleBuilder) {
	b.NewFunctionBuilder().WithFunc(func(a, b int32) int32 { return a + b }).Export("add")
}

func instance(path string, cfg engine.Config) (*engine.Runtime, *engine.Instance, error) {
	ctx := context.Background()
	cfg.HostModules = []engine.HostModule{envAdd{}}
	rt, err := engine.NewRuntime(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	m, err := rt.CompileFile(ctx, path)
	if err != nil {
		rt.Close(ctx)
		return nil, nil, err
	}
	inst, err := rt.Instantiate(ctx, m, engine.InstanceConfig{})
	if err != nil {
		rt.Close(ctx)
		return nil, nil, err
	}
	return rt, inst, nil
}

// stopLatency calls fn of the module load compiles n times with a 5 ms
// deadline and returns, sorted, how long after the deadline each call
// returned, and how many calls ran to their end instead of stopping.
func stopLatency(cfg engine.Config, n int, load func(context.Context, *engine.Runtime) (*engine.Module, error), fn string, params ...uint64) ([]time.Duration, int, error) {
	ctx := context.Background()
	cfg.HostModules = []engine.HostModule{envAdd{}}
	rt, err := engine.NewRuntime(ctx, cfg)
	if err != nil {
		return nil, 0, err
	}
	defer rt.Close(ctx)
	m, err := load(ctx, rt)
	if err != nil {
		return nil, 0, err
	}
	var lat []time.Duration
	ran := 0
	for range max(n, 1) {
		inst, err := rt.Instantiate(ctx, m, engine.InstanceConfig{})
		if err != nil {
			return nil, 0, err
		}
		deadline := time.Now().Add(5 * time.Millisecond)
		cctx, cancel := context.WithDeadline(ctx, deadline)
		_, err = inst.Call(cctx, fn, params...)
		lat = append(lat, time.Since(deadline))
		cancel()
		inst.Close(ctx)
		switch {
		case err == nil:
			ran++
		case !isTimeout(err):
			return nil, 0, fmt.Errorf("%s returned %v, want a timeout", fn, err)
		}
	}
	slices.Sort(lat)
	return lat, ran, nil
}

func latencyRow(name string, lat []time.Duration, ran int) {
	note := ""
	if ran > 0 {
		note = fmt.Sprintf(" (%d of %d calls not stopped: ran to their end)", ran, len(lat))
	}
	fmt.Printf("| %s%s | %v | %v | %v |\n", name, note, lat[len(lat)/2].Round(time.Microsecond),
		lat[len(lat)*99/100].Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond))
}

func fromFile(path string) func(context.Context, *engine.Runtime) (*engine.Module, error) {
	return func(ctx context.Context, rt *engine.Runtime) (*engine.Module, error) {
		return rt.CompileFile(ctx, path)
	}
}

// straightLine compiles a module without loops or recursion whose f calls
// a leaf of 64 KiB of straight-line code from 20000 call sites in a row.
func straightLine(ctx context.Context, rt *engine.Runtime) (*engine.Module, error) {
	wasm := testguest.Module(testguest.Calls(1, 20000), append([]byte{0x20, 0}, testguest.Adds(64<<10/3)...))
	return rt.Compile(ctx, "straight.wasm", wasm)
}

func isTimeout(err error) bool { return errors.Is(err, engine.ErrTimeout) }

var sink []byte

// gcStall runs countdown (about 300 ms of guest time) while this goroutine
// allocates, and returns the longest time a stop-the-world took to stop
// (from runtime/metrics), the longest gap between ticks, and how long the
// guest ran.
func gcStall(path string, cfg engine.Config) (stw, gap, took time.Duration, err error) {
	ctx := context.Background()
	rt, inst, err := instance(path, cfg)
	if err != nil {
		return 0, 0, 0, err
	}
	defer rt.Close(ctx)
	// Calibrate to ~300 ms.
	n := uint64(10_000_000)
	start := time.Now()
	if _, err := inst.Call(ctx, "countdown", n); err != nil {
		return 0, 0, 0, err
	}
	n = uint64(float64(n) * float64(300*time.Millisecond) / float64(max(time.Since(start), time.Millisecond)))
	runtime.GC()
	before := stopping()
	done := make(chan error, 1)
	start = time.Now()
	go func() {
		_, err := inst.Call(ctx, "countdown", n)
		done <- err
	}()
	last := time.Now()
	for {
		select {
		case err := <-done:
			took = time.Since(start)
			if err != nil {
				return 0, 0, 0, err
			}
			return stoppingMax(before, stopping()), gap, took, nil
		default:
		}
		for range 20 {
			sink = make([]byte, 64<<10)
		}
		now := time.Now()
		gap = max(gap, now.Sub(last))
		last = now
		time.Sleep(100 * time.Microsecond)
		last = time.Now()
	}
}

// stopping reads the histogram of stop-the-world stopping times.
func stopping() *metrics.Float64Histogram {
	s := []metrics.Sample{{Name: "/sched/pauses/stopping/gc:seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64Histogram {
		return nil
	}
	return s[0].Value.Float64Histogram()
}

// stoppingMax returns the upper bound of the highest bucket that counted
// more stops in after than in before.
func stoppingMax(before, after *metrics.Float64Histogram) time.Duration {
	if before == nil || after == nil {
		return 0
	}
	for i := len(after.Counts) - 1; i >= 0; i-- {
		if after.Counts[i] > before.Counts[i] {
			return time.Duration(after.Buckets[i+1] * float64(time.Second))
		}
	}
	return 0
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.Contains(b, []byte("module github.com/wasmhive/wasmhive\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("run it inside the wasmhive repository")
		}
		dir = parent
	}
}

// extismWasm returns the path of a plugin of the Extism Go SDK's wasm
// folder, the SDK being the one compat/go.mod requires.
func extismWasm(root, name string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", "github.com/extism/go-sdk")
	cmd.Dir = filepath.Join(root, "compat")
	out, err := cmd.Output()
	var mod struct{ Dir, Error string }
	json.Unmarshal(out, &mod)
	if mod.Dir == "" {
		return "", fmt.Errorf("locate github.com/extism/go-sdk from compat/go.mod: %v %s", err, mod.Error)
	}
	return filepath.Join(mod.Dir, "wasm", name), nil
}
