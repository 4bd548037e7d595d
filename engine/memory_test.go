package engine_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

const mib = 1 << 20

// statm returns this process's virtual size and resident set, in bytes,
// from /proc/self/statm; ok is false where there is none.
func statm(t *testing.T) (vsize, rss uint64, ok bool) {
	t.Helper()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, 0, false
	}
	f := strings.Fields(string(b))
	size, err1 := strconv.ParseUint(f[0], 10, 64)
	res, err2 := strconv.ParseUint(f[1], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("/proc/self/statm: %q", b)
	}
	page := uint64(os.Getpagesize())
	return size * page, res * page, true
}

// needStatm skips on systems without /proc/self/statm (the memory is
// still exercised by the other tests there).
func needStatm(t *testing.T) {
	t.Helper()
	if _, _, ok := statm(t); !ok {
		t.Skip("no /proc/self/statm on " + runtime.GOOS)
	}
}

func rss(t *testing.T) uint64 { _, r, _ := statm(t); return r }

// settle collects garbage and gives the Go heap's free pages back to the
// OS, so that what earlier tests left does not leave the resident set
// while a test measures it.
func settle() { debug.FreeOSMemory() }

func call(t *testing.T, inst *engine.Instance, name string, params ...uint64) uint64 {
	t.Helper()
	res, err := inst.Call(context.Background(), name, params...)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(res) == 0 {
		return 0
	}
	return res[0]
}

// TestMemoryGrowthStopsAtCap: a guest that grows a page at a time until
// memory.grow fails gets exactly its cap (rounded down to whole pages),
// sees -1 past it, and exits normally; recycled or not.
func TestMemoryGrowthStopsAtCap(t *testing.T) {
	rt := newRuntime(t, engine.Config{NoCache: true})
	m := compileFile(t, rt, testguest.Path(t, "memgrow/memgrow.wasm"))
	for _, tc := range []struct {
		cap   uint64
		pages int
	}{
		{engine.PageSize, 1},
		{8 * mib, 128},
		{8*mib + 1000, 128},
		{8*mib + engine.PageSize, 129},
		{64 * mib, 1024},
	} {
		for _, recycle := range []bool{false, true} {
			for range 2 { // the second recycled run reuses the first's memory
				var out bytes.Buffer
				err := rt.RunCommand(context.Background(), m, engine.InstanceConfig{Stdout: &out, MaxMemory: tc.cap, RecycleMemory: recycle})
				want := fmt.Sprintf("pages %d grow -1\n", tc.pages)
				if err != nil || out.String() != want {
					t.Errorf("cap %d recycle %v: %v, printed %q, want %q", tc.cap, recycle, err, out.String(), want)
				}
			}
		}
	}
	// A declared maximum below the cap wins.
	mm := compileFile(t, rt, testguest.Path(t, "cmd/maxmem.wasm"))
	inst, err := rt.Instantiate(context.Background(), mm, engine.InstanceConfig{MaxMemory: 256 * mib})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close(context.Background())
	if got := int32(call(t, inst, "grow", 999)); got != 1 {
		t.Errorf("grow(999) = %d, want 1", got)
	}
	if got := int32(call(t, inst, "grow", 1)); got != -1 {
		t.Errorf("grow past the declared maximum = %d, want -1", got)
	}
	if got := int32(call(t, inst, "grow", 0)); got != 1000 {
		t.Errorf("grow(0) = %d, want 1000", got)
	}
}

// TestMemoryReturnedOnClose: an instance that made 256 MiB resident gives
// it back to the OS when it is closed: by Instance.Close, recycled or not,
// and by closing its Runtime without closing the instance.
func TestMemoryReturnedOnClose(t *testing.T) {
	needStatm(t)
	const n = 256 * mib
	ctx := context.Background()
	for _, tc := range []struct {
		name             string
		recycle, closeRT bool
	}{
		{"close", false, false},
		{"close-recycled", true, false},
		{"runtime-close", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt, err := engine.NewRuntime(ctx, engine.Config{NoCache: true})
			if err != nil {
				t.Fatal(err)
			}
			defer rt.Close(ctx)
			m := compileFile(t, rt, testguest.Path(t, "memgrow/touch.wasm"))
			settle()
			before := rss(t)
			inst, err := rt.Instantiate(ctx, m, engine.InstanceConfig{MaxMemory: n, RecycleMemory: tc.recycle})
			if err != nil {
				t.Fatal(err)
			}
			if old := int32(call(t, inst, "grow", n/engine.PageSize-1)); old != 1 {
				t.Fatalf("grow = %d", old)
			}
			call(t, inst, "touch")
			touched := rss(t)
			if touched < before+n*9/10 {
				t.Fatalf("resident %d MiB before, %d MiB after touching %d MiB: the memory did not become resident", before/mib, touched/mib, n/mib)
			}
			if tc.closeRT {
				err = rt.Close(ctx)
			} else {
				err = inst.Close(ctx)
			}
			if err != nil {
				t.Fatal(err)
			}
			if after := rss(t); after > before+n/16 {
				t.Errorf("resident %d MiB before, %d MiB touched, %d MiB after close: the memory was not given back", before/mib, touched/mib, after/mib)
			}
		})
	}
}

// TestMemoryRecycledIsZero: a recycled memory never shows the previous
// instance's bytes, whether the pool cleared it in place or gave its pages
// back to the OS (four 12 MiB memories are over the pool's resident
// budget), from many goroutines at once.
func TestMemoryRecycledIsZero(t *testing.T) {
	rt := newRuntime(t, engine.Config{NoCache: true})
	m := compileFile(t, rt, testguest.Path(t, "memgrow/touch.wasm"))
	ctx := context.Background()
	for _, pages := range []uint64{4, 12 * mib / engine.PageSize} {
		t.Run(fmt.Sprint(pages), func(t *testing.T) {
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			for range 4 {
				wg.Go(func() {
					for i := range 6 {
						inst, err := rt.Instantiate(ctx, m, engine.InstanceConfig{MaxMemory: 64 * mib, RecycleMemory: true})
						if err != nil {
							errs <- err
							return
						}
						res, err := inst.Call(ctx, "grow", pages)
						if err == nil && int32(res[0]) != 1 {
							err = fmt.Errorf("grow = %d", int32(res[0]))
						}
						if err == nil {
							res, err = inst.Call(ctx, "nonzero")
							if err == nil && res[0] != 0 {
								err = fmt.Errorf("run %d: %d words of a recycled memory are not zero", i, res[0])
							}
						}
						if err == nil {
							_, err = inst.Call(ctx, "fill", 0xAA)
						}
						inst.Close(ctx)
						if err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

// startedHost is the host module spin.wasm imports: started() closes a
// channel.
type startedHost struct{ started chan struct{} }

func (startedHost) ModuleName() string { return "env" }

func (h startedHost) Define(_ *engine.Runtime, b wazero.HostModuleBuilder) {
	b.NewFunctionBuilder().WithFunc(func(context.Context, api.Module) { close(h.started) }).Export("started")
}

// TestMemoryRuntimeCloseWhileRunning: closing the Runtime while a guest is
// running in its memory must not pull the memory from under it (that would
// crash the process): the pages go back to the OS at once, the guest stops,
// and the addresses are unmapped once nothing can reach them.
func TestMemoryRuntimeCloseWhileRunning(t *testing.T) {
	needStatm(t)
	runtime.GC()
	vBefore, _, _ := statm(t)
	spinAndClose(t)
	// The 4 GiB reservation (spin declares no maximum) goes once the
	// instance is garbage, which it is now that spinAndClose returned.
	var vAfter uint64
	for range 100 {
		runtime.GC()
		runtime.Gosched()
		if vAfter, _, _ = statm(t); vAfter < vBefore+2<<30 {
			return
		}
	}
	t.Errorf("virtual size %d MiB before, %d MiB after the instance became garbage: its reservation was never unmapped", vBefore/mib, vAfter/mib)
}

// spinAndClose runs spin.wasm (64 MiB resident) and closes its Runtime
// while it spins.
func spinAndClose(t *testing.T) {
	const n = 64 * mib
	ctx := context.Background()
	h := startedHost{started: make(chan struct{})}
	rt, err := engine.NewRuntime(ctx, engine.Config{NoCache: true, HostModules: []engine.HostModule{h}})
	if err != nil {
		t.Fatal(err)
	}
	m := compileFile(t, rt, testguest.Path(t, "memgrow/spin.wasm"))
	settle()
	before := rss(t)
	inst, err := rt.Instantiate(ctx, m, engine.InstanceConfig{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := inst.Call(ctx, "spin", n/engine.PageSize)
		done <- err
	}()
	<-h.started
	touched := rss(t)
	if err := rt.Close(ctx); err != nil {
		t.Fatal(err)
	}
	after := rss(t)
	<-done // the guest stopped (closing the module ends the call)
	if touched < before+n*9/10 || after > before+n/8 {
		t.Errorf("resident %d MiB before, %d MiB running, %d MiB after Runtime.Close", before/mib, touched/mib, after/mib)
	}
}
