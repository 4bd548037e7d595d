package engine_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/interrupt"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

// spinWat is a module exporting "spin", a loop that never calls the host,
// "spin_calls", a loop of calls, and "fib", a recursion without loops.
const spinWat = "../internal/interrupt/testdata/features.wasm"

// envAdd is the host module features.wasm imports (env.add).
type envAdd struct{}

func (envAdd) ModuleName() string { return "env" }
func (envAdd) Define(_ *engine.Runtime, b wazero.HostModuleBuilder) {
	b.NewFunctionBuilder().WithFunc(func(a, b int32) int32 { return a + b }).Export("add")
}

// TestInterruptSpin: a guest spinning without host calls, in a loop or in
// a recursion, stops at its deadline (*TimeoutError) or when its context
// is canceled (*CanceledError), by default and with DebugInfo (wazero's
// own checks, loops only).
func TestInterruptSpin(t *testing.T) {
	for _, cfg := range []engine.Config{{NoCache: true}, {NoCache: true, DebugInfo: true}} {
		cfg.HostModules = []engine.HostModule{envAdd{}}
		rt := newRuntime(t, cfg)
		m := compileFile(t, rt, spinWat)
		for _, fn := range []string{"spin", "spin_calls", "fib"} {
			if fn == "fib" && cfg.DebugInfo {
				continue // wazero checks at loop headers only: a recursion without loops never stops
			}
			for _, cancel := range []bool{false, true} {
				inst, err := rt.Instantiate(context.Background(), m, engine.InstanceConfig{})
				if err != nil {
					t.Fatal(err)
				}
				ctx, stop := context.WithTimeout(context.Background(), 30*time.Millisecond)
				if cancel {
					ctx, stop = context.WithCancel(context.Background())
					time.AfterFunc(30*time.Millisecond, stop)
				}
				start := time.Now()
				var params []uint64
				if fn == "fib" {
					params = []uint64{1000}
				}
				_, err = inst.Call(ctx, fn, params...)
				took := time.Since(start)
				stop()
				want := engine.ErrTimeout
				if cancel {
					want = engine.ErrCanceled
				}
				if !errors.Is(err, want) || strings.Contains(err.Error(), "\n") {
					t.Errorf("debuginfo %v, %s, cancel %v: got %v after %v, want one line matching %v", cfg.DebugInfo, fn, cancel, err, took, want)
				}
				if !inst.Broken() {
					t.Errorf("%s: the instance is not broken after being stopped", fn)
				}
				if took > 20*time.Second {
					t.Errorf("%s: stopped after %v", fn, took) // a bound, not a timing assertion
				}
				inst.Close(context.Background())
			}
		}
	}
}

// TestInterruptStraightLine: a guest without loops or recursion, one
// function calling a leaf of 64 KiB of straight-line code from 20000 call
// sites (seconds of work), stops at its deadline: the checks bound the
// code run between two of them, not only loops and calls.
func TestInterruptStraightLine(t *testing.T) {
	wasm := testguest.Module(testguest.Calls(1, 20000), append([]byte{0x20, 0}, testguest.Adds(64<<10/3)...))
	rt := newRuntime(t, engine.Config{NoCache: true})
	m, err := rt.Compile(context.Background(), "straight", wasm)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := rt.Instantiate(context.Background(), m, engine.InstanceConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	res, err := inst.Call(ctx, "f", 0)
	if !errors.Is(err, engine.ErrTimeout) {
		t.Fatalf("got %v, %v; want the deadline to stop it", res, err)
	}
}

// TestInterruptCalls: an instrumented instance computes what an
// uninstrumented one does, over many calls (the budget carries over).
func TestInterruptCalls(t *testing.T) {
	var got [2][]uint64
	for i, no := range []bool{false, true} {
		rt := newRuntime(t, engine.Config{NoCache: true, NoInterrupts: no, HostModules: []engine.HostModule{envAdd{}}})
		inst, err := rt.Instantiate(context.Background(), compileFile(t, rt, spinWat), engine.InstanceConfig{})
		if err != nil {
			t.Fatal(err)
		}
		for n := uint64(0); n < 25; n++ {
			for _, fn := range []string{"fib", "countdown"} {
				res, err := inst.Call(context.Background(), fn, n*1000%26+1)
				if err != nil {
					t.Fatal(err)
				}
				got[i] = append(got[i], res[0])
			}
		}
		res, err := inst.Call(context.Background(), "countdown", 50_000_000)
		if err != nil {
			t.Fatal(err)
		}
		got[i] = append(got[i], res[0])
	}
	if !slicesEqual(got[0], got[1]) {
		t.Errorf("instrumented %v, not instrumented %v", got[0], got[1])
	}
}

func slicesEqual(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestInterruptCache: the rewritten module is kept in the cache directory,
// keyed by the original's SHA-256, and a warm compile reads it back.
func TestInterruptCache(t *testing.T) {
	dir := t.TempDir()
	path := testguest.Path(t, "cmd/cmd.wasm")
	for range 2 {
		rt := newRuntime(t, engine.Config{CacheDir: dir})
		compileFile(t, rt, path)
		rt.Close(context.Background())
	}
	entries, _ := filepath.Glob(filepath.Join(dir, "interrupt-v*", "*.wasm"))
	if len(entries) != 1 {
		t.Fatalf("cache entries %v, want one", entries)
	}
	// A damaged entry is not used: it is rewritten again.
	if err := os.WriteFile(entries[0], []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	rt := newRuntime(t, engine.Config{CacheDir: dir})
	var out strings.Builder
	m := compileFile(t, rt, path)
	if err := rt.RunCommand(context.Background(), m, engine.InstanceConfig{Args: []string{"cmd", "args", "x"}, Stdout: &out}); err != nil {
		t.Fatal(err)
	}
	if out.String() != "argv[0]=cmd\nargv[1]=args\nargv[2]=x\n" {
		t.Errorf("output %q", out.String())
	}
	if b, _ := os.ReadFile(entries[0]); string(b) == "junk" {
		t.Error("the damaged entry was not replaced")
	}
}

// TestInterruptReserved: a module importing from wasmhive:interrupt itself
// is refused with one line.
func TestInterruptReserved(t *testing.T) {
	// (module (import "wasmhive:interrupt" "check" (func (result i32))))
	wasm := []byte("\x00asm\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x7f\x02\x1c\x01\x12wasmhive:interrupt\x05check\x00\x00")
	rt := newRuntime(t, engine.Config{NoCache: true})
	_, err := rt.Compile(context.Background(), "reserved.wasm", wasm)
	if err == nil || !strings.Contains(err.Error(), "reserved") || strings.Contains(err.Error(), "\n") {
		t.Errorf("got %v, want one line saying the module name is reserved", err)
	}
	if !errors.Is(err, interrupt.ErrReserved) {
		t.Errorf("%v does not match interrupt.ErrReserved", err)
	}
}

// BenchmarkGCStallBesideSpin measures, beside a guest spinning in a loop
// that never calls the host, the longest gap of a goroutine that allocates
// and ticks every 100 µs (the Go GC's stop-the-world waits for the spinning
// goroutine to reach a safe point): reported as max-gap-ms. Interruptible
// (the default) and wazero's CloseOnContextDone (with DebugInfo) both let
// the GC in; NoInterrupts would stall it for as long as the guest spins,
// and is not measured.
func BenchmarkGCStallBesideSpin(b *testing.B) {
	for _, c := range []struct {
		name string
		cfg  engine.Config
	}{{"interruptible", engine.Config{}}, {"wazero-checks", engine.Config{DebugInfo: true}}} {
		b.Run(c.name, func(b *testing.B) {
			c.cfg.NoCache = true
			c.cfg.HostModules = []engine.HostModule{envAdd{}}
			rt, err := engine.NewRuntime(context.Background(), c.cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer rt.Close(context.Background())
			m, err := rt.CompileFile(context.Background(), spinWat)
			if err != nil {
				b.Fatal(err)
			}
			var maxGap time.Duration
			for b.Loop() {
				maxGap = max(maxGap, gcGapBesideSpin(b, rt, m, 200*time.Millisecond))
			}
			b.ReportMetric(float64(maxGap.Microseconds())/1000, "max-gap-ms")
		})
	}
}

var sink []byte

// gcGapBesideSpin spins the guest for d while another goroutine allocates
// (forcing GCs) and returns its longest gap between two ticks.
func gcGapBesideSpin(b *testing.B, rt *engine.Runtime, m *engine.Module, d time.Duration) time.Duration {
	inst, err := rt.Instantiate(context.Background(), m, engine.InstanceConfig{})
	if err != nil {
		b.Fatal(err)
	}
	defer inst.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	done := make(chan struct{})
	go func() {
		inst.Call(ctx, "spin")
		close(done)
	}()
	runtime.Gosched()
	var maxGap time.Duration
	last := time.Now()
	for {
		select {
		case <-done:
			return maxGap
		default:
		}
		for range 100 {
			sink = make([]byte, 64<<10)
		}
		now := time.Now()
		maxGap = max(maxGap, now.Sub(last))
		last = now
		time.Sleep(100 * time.Microsecond)
	}
}

// TestInterruptCacheByFile: a warm CompileFile finds the rewritten module
// by the file's identity, and a file changed in place (same size, same
// modification time) is not mistaken for the one indexed.
func TestInterruptCacheByFile(t *testing.T) {
	dir := t.TempDir()
	orig, err := os.ReadFile(testguest.Path(t, "cmd/cmd.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cmd.wasm")
	if err := os.WriteFile(path, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2100 * time.Millisecond) // files changed in the last 2 s are not indexed
	run := func() string {
		rt := newRuntime(t, engine.Config{CacheDir: dir})
		var out strings.Builder
		if err := rt.RunCommand(context.Background(), compileFile(t, rt, path), engine.InstanceConfig{Args: []string{"cmd", "args"}, Stdout: &out}); err != nil {
			t.Fatal(err)
		}
		rt.Close(context.Background())
		return out.String()
	}
	if got := run(); got != "argv[0]=cmd\nargv[1]=args\n" {
		t.Fatalf("output %q", got)
	}
	if idx, _ := filepath.Glob(filepath.Join(dir, "interrupt-v*", "by-file", "*")); len(idx) != 1 {
		t.Fatalf("index entries %v, want one", idx)
	}
	if got := run(); got != "argv[0]=cmd\nargv[1]=args\n" {
		t.Fatalf("warm output %q", got)
	}
	fi, _ := os.Stat(path)
	changed := bytes.ReplaceAll(orig, []byte("argv["), []byte("ARGV["))
	if bytes.Equal(changed, orig) {
		t.Fatal("cmd.wasm has no argv[ string")
	}
	if err := os.WriteFile(path, changed, 0o600); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(path, fi.ModTime(), fi.ModTime())
	if got := run(); got != "ARGV[0]=cmd\nARGV[1]=args\n" {
		t.Errorf("after the change: output %q", got)
	}
}
