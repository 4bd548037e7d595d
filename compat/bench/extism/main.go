// Command extism measures bulk data through unmodified Extism plugins on
// wasmhive, with its baselines in the same run: the same plugin on the
// Extism Go SDK, wasmhive with its kernel memory in Go (every kernel call
// a host call, as before the kernel module), and a raw wazero memory copy
// of the same payload. See README.md.
//
// Run from the repository root (go.work joins the compat module):
//
//	go run ./compat/bench/extism [-time 400ms] [-rounds 3] [-interrupts]
//
// The plugins are the ones the Extism project ships prebuilt with its Go
// SDK (wasm/ in the github.com/extism/go-sdk module that compat/go.mod
// requires; nothing third-party is committed here).
package main

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	sdk "github.com/extism/go-sdk"
	"github.com/tetratelabs/wazero"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/engine"
)

var (
	roundTime  = flag.Duration("time", 400*time.Millisecond, "length of one measuring round")
	rounds     = flag.Int("rounds", 3, "rounds per case; the fastest is reported")
	interrupts = flag.Bool("interrupts", false, "also measure with interruptible guests (wazero's CloseOnContextDone) on both hosts")
)

// A case is one plugin call: function with input and config, checked by check.
type testCase struct {
	name     string
	wasm     string
	function string
	input    []byte
	config   map[string]string
	payload  int // bytes counted for MB/s (0: none)
	check    func(out []byte) error
}

// A host runs one case; call makes one call.
type host struct {
	name string
	raw  bool // not a plugin host: its output is not checked
	open func(c testCase, interruptible bool) (call func() ([]byte, error), closeFn func(), err error)
}

func main() {
	flag.Parse()
	dir, err := sdkWasmDir()
	if err != nil {
		fail(err)
	}
	cv := filepath.Join(dir, "count_vowels.wasm")

	echo := filepath.Join(os.TempDir(), "wasmhive-bench-extism-echo.wasm")
	if err := os.WriteFile(echo, echoWasm, 0o644); err != nil {
		fail(err)
	}
	echoStatic := filepath.Join(os.TempDir(), "wasmhive-bench-extism-echo-static.wasm")
	if err := os.WriteFile(echoStatic, echoStaticWasm, 0o644); err != nil {
		fail(err)
	}
	var cases []testCase
	for _, size := range sizes() {
		text := bytes.Repeat([]byte("a quick brown fox "), size/18+1)[:size]
		letters := strings.Repeat("bcdfghjklmnpqrstvwxyz", size/21+1)[:size]
		cases = append(cases, testCase{name: "Rust PDK: echo " + kib(size) + " (config in, output out)", wasm: cv, function: "count_vowels",
			input: nil, config: map[string]string{"vowels": letters}, payload: size,
			check: func(out []byte) error {
				want := `{"count":0,"total":0,"vowels":"` + letters + `"}`
				if string(out) != want {
					return fmt.Errorf("output %.60q... (%d bytes), want the %s config back (%d bytes)", out, len(out), kib(size), len(want))
				}
				return nil
			}})
		cases = append(cases, testCase{name: "Rust PDK: read " + kib(size) + " input, count vowels", wasm: cv, function: "count_vowels",
			input: text, payload: size,
			check: prefix(fmt.Sprintf(`{"count":%d,`, vowels(text)))})
		for _, e := range []struct{ name, path string }{{"echo/echo_static.wat", echoStatic}, {"echo/echo.wat", echo}} {
			cases = append(cases, testCase{name: "ABI floor: echo " + kib(size) + " (" + e.name + ")", wasm: e.path, function: "echo",
				input: text, payload: size,
				check: func(out []byte) error {
					if !bytes.Equal(out, text) {
						return fmt.Errorf("output %.60q... (%d bytes), want the input back", out, len(out))
					}
					return nil
				}})
		}
	}
	cases = append(cases, testCase{name: "Rust PDK: small call, 16 bytes in", wasm: cv, function: "count_vowels",
		input: []byte("hello world, hi!"),
		check: prefix(`{"count":4,"total":4,`)})

	hosts := []host{
		{name: "wasmhive", open: openWasmhive},
		{name: hostPluginMem, open: openEngine(kernPlugin)},
		{name: hostKernel, open: openEngine(kernInstance)},
		{name: hostGo, open: openEngine(kernGo)},
		{name: hostSDK, open: openSDK},
	}

	fmt.Printf("go run ./compat/bench/extism: %s/%s, GOMAXPROCS %d, %s, round %v, best of %d\n",
		runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), runtime.Version(), *roundTime, *rounds)
	fmt.Printf("Rust PDK plugin: %s (built by Extism, shipped with its Go SDK)\n", cv)
	fmt.Printf("MB/s counts the payload once; \"vs\" columns are speed-ups of that row over the baseline\n\n")

	fmt.Printf("%s: write the payload into guest memory, call a no-op export, read it back, on plain wazero\n\n", rawName)
	hosts = append(hosts, host{name: rawName, raw: true, open: openRaw})

	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "case\thost\tinterrupts\twall/call\tCPU/call\tMB/s (CPU)\tvs Extism SDK\tvs kernel instance\tvs kernel in Go\t% of raw copy\t")
	modes := []bool{false}
	if *interrupts {
		modes = append(modes, true)
	}
	for _, c := range cases {
		if !strings.Contains(c.name, *caseFlag) {
			continue
		}
		for _, intr := range modes {
			res, err := measure(hosts, c, intr)
			if err != nil {
				fail(err)
			}
			for _, h := range hosts {
				r, ok := res[h.name]
				if !ok {
					fmt.Fprintf(w, "%s\t%s\t%v\tnot eligible\t\t\t\t\t\t\t\n", c.name, h.name, onOff(intr))
					continue
				}
				d := r.cpu
				rate, ofRaw := "", ""
				if c.payload > 0 {
					rate = mbps(c.payload, d)
					ofRaw = fmt.Sprintf("%.0f%%", 100*float64(res[rawName].cpu)/float64(d))
				}
				fmt.Fprintf(w, "%s\t%s\t%v\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", c.name, h.name, onOff(intr), dur(r.wall), dur(d), rate,
					ratio(res[hostSDK].cpu, d), ratio(res[hostKernel].cpu, d), ratio(res[hostGo].cpu, d), ofRaw)
			}
			fmt.Fprintln(w, "\t\t\t\t\t\t\t\t\t\t")
		}
	}
	w.Flush()
}

func prefix(p string) func([]byte) error {
	return func(out []byte) error {
		if !bytes.HasPrefix(out, []byte(p)) {
			return fmt.Errorf("output %.80q, want it to start with %q", out, p)
		}
		return nil
	}
}

// timing is one host's best round: wall and process CPU time per call.
type timing struct{ wall, cpu time.Duration }

// measure returns each host's fastest round (by CPU time per call, which
// on a shared machine counts the work done rather than the wait for a CPU;
// without a CPU clock, by wall time). A round runs every host in turn, so
// that on a shared machine the hosts see the same load.
func measure(hosts []host, c testCase, intr bool) (map[string]timing, error) {
	calls := make([]func() ([]byte, error), len(hosts))
	for i, h := range hosts {
		call, closeFn, err := h.open(c, intr)
		if errors.Is(err, errNotEligible) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s on %s: %w", c.name, h.name, err)
		}
		defer closeFn()
		out, err := call()
		if err == nil && !h.raw {
			err = c.check(out)
		}
		if err != nil {
			return nil, fmt.Errorf("%s on %s: %w", c.name, h.name, err)
		}
		calls[i] = call
	}
	best := map[string]timing{}
	for range *rounds {
		for i, h := range hosts {
			if calls[i] == nil {
				continue
			}
			n := 0
			cpu0 := cpuTime()
			start := time.Now()
			for time.Since(start) < *roundTime {
				for range 8 {
					if _, err := calls[i](); err != nil {
						return nil, fmt.Errorf("%s on %s: %w", c.name, h.name, err)
					}
				}
				n += 8
			}
			t := timing{wall: time.Since(start) / time.Duration(n), cpu: (cpuTime() - cpu0) / time.Duration(n)}
			if t.cpu == 0 {
				t.cpu = t.wall
			}
			if b, ok := best[h.name]; !ok || t.cpu < b.cpu {
				best[h.name] = t
			}
		}
	}
	return best, nil
}

func openWasmhive(c testCase, intr bool) (func() ([]byte, error), func(), error) {
	ctx := context.Background()
	cfg := wasmhive.PluginConfig{Host: wasmhive.HostConfig{NoInterrupts: !intr}}
	cfg.Component.Config = c.config
	p, err := wasmhive.LoadFile(ctx, c.wasm, cfg)
	if err != nil {
		return nil, nil, err
	}
	return func() ([]byte, error) { return p.Call(ctx, c.function, c.input) }, func() { p.Close(ctx) }, nil
}

// Host names of the engine-level rows.
const (
	hostPluginMem = "wasmhive, kernel in plugin memory (engine level)"
	hostKernel    = "wasmhive, kernel instance (engine level; the previous default)"
	hostGo        = "wasmhive, kernel memory in Go (engine level)"
	hostSDK       = "Extism Go SDK v1.7.1"
)

// Where openEngine keeps the kernel.
const (
	kernGo = iota
	kernInstance
	kernPlugin
)

var (
	sizesFlag = flag.String("sizes", "1,64,1024", "payload sizes in KiB, comma-separated")
	caseFlag  = flag.String("case", "", "run only the cases whose name contains this")
)

// sizes returns the payload sizes of the -sizes flag, in bytes.
func sizes() []int {
	var out []int
	for _, f := range strings.Split(*sizesFlag, ",") {
		var n int
		if _, err := fmt.Sscan(strings.TrimSpace(f), &n); err != nil || n <= 0 {
			fail(fmt.Errorf("-sizes: %q is not a size in KiB", f))
		}
		out = append(out, n<<10)
	}
	return out
}

// vowels counts what count_vowels counts: aeiouAEIOU.
func vowels(b []byte) int {
	n := 0
	for _, c := range b {
		if strings.IndexByte("aeiouAEIOU", c) >= 0 {
			n++
		}
	}
	return n
}

func kib(n int) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

// openEngine runs the plugin on wasmhive's engine and Extism ABI directly,
// with the kernel in the plugin's memory, in a kernel instance, or in Go.
// The module is the one the engine compiled, with the kernel calls inlined
// (engine.Module.KernelInlined) for count_vowels and echo.wat: with the
// kernel elsewhere, every inlined access takes its original call (the
// inline check costs a global load and a branch per call).
func openEngine(where int) func(testCase, bool) (func() ([]byte, error), func(), error) {
	return func(c testCase, intr bool) (func() ([]byte, error), func(), error) {
		ctx := context.Background()
		rt, err := engine.NewRuntime(ctx, engine.Config{NoInterrupts: !intr, HostModules: extism.HostModules()})
		if err != nil {
			return nil, nil, err
		}
		m, err := rt.CompileFile(ctx, c.wasm)
		if err != nil {
			rt.Close(ctx)
			return nil, nil, err
		}
		st := extism.NewState(extism.StateConfig{Config: c.config})
		libs := map[string]*engine.Instance{}
		if where == kernPlugin && !extism.UsePluginMemory(st, m) {
			rt.Close(ctx)
			return nil, nil, errNotEligible
		}
		if where == kernInstance {
			k, err := extism.LinkKernel(ctx, rt, st, libs, m)
			if err == nil && k == nil {
				err = fmt.Errorf("LinkKernel linked nothing")
			}
			if err != nil {
				rt.Close(ctx)
				return nil, nil, err
			}
		}
		var icfg engine.InstanceConfig
		st.Attach(&icfg)
		inst, err := rt.InstantiateLinked(ctx, m, icfg, libs)
		if err != nil {
			rt.Close(ctx)
			return nil, nil, err
		}
		return func() ([]byte, error) { return extism.Call(ctx, inst, st, c.function, c.input) }, func() { rt.Close(ctx) }, nil
	}
}

// errNotEligible: the host cannot run this plugin that way (the kernel in
// plugin memory for a module the engine did not inline, e.g. echo.wat,
// which grows its memory itself and treats all of it as its own).
var errNotEligible = errors.New("not eligible")

func openSDK(c testCase, intr bool) (func() ([]byte, error), func(), error) {
	ctx := context.Background()
	m := sdk.Manifest{Wasm: []sdk.Wasm{sdk.WasmFile{Path: c.wasm}}, Config: c.config}
	if intr {
		m.Timeout = 60_000 // ms: the SDK turns wazero's CloseOnContextDone on with a timeout
	}
	p, err := sdk.NewPlugin(ctx, m, sdk.PluginConfig{EnableWasi: true}, nil)
	if err != nil {
		return nil, nil, err
	}
	return func() ([]byte, error) {
		_, out, err := p.Call(c.function, c.input)
		return out, err
	}, func() { p.Close(ctx) }, nil
}

// echoWasm is echo/echo.wat, built by echo/build.sh.
//
//go:embed echo/echo.wasm
var echoWasm []byte

// echoStaticWasm is echo/echo_static.wat, built by echo/build.sh.
//
//go:embed echo/echo_static.wasm
var echoStaticWasm []byte

// noopWasm is one page of exported memory and an export "run" returning 0.
var noopWasm = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,
	0x03, 0x02, 0x01, 0x00,
	0x05, 0x03, 0x01, 0x00, 0x03, // memory: min 3 pages
	0x07, 0x10, 0x02,
	0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00,
	0x03, 'r', 'u', 'n', 0x00, 0x00,
	0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x00, 0x0b,
}

const rawName = "raw wazero memory copy"

// openRaw is the floor of any host on wazero: copy the payload (or the
// input) into guest memory, call an export, copy it out, with plain wazero.
func openRaw(c testCase, _ bool) (func() ([]byte, error), func(), error) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	mod, err := rt.Instantiate(ctx, noopWasm)
	if err != nil {
		rt.Close(ctx)
		return nil, nil, err
	}
	mem, run := mod.Memory(), mod.ExportedFunction("run")
	in := c.input
	if c.payload > 0 {
		in = bytes.Repeat([]byte{'x'}, c.payload)
	}
	size := uint32(len(in))
	if need := 2 * uint64(size); need > uint64(mem.Size()) {
		if _, ok := mem.Grow(uint32((need - uint64(mem.Size()) + 65535) / 65536)); !ok {
			rt.Close(ctx)
			return nil, nil, fmt.Errorf("raw copy: cannot grow memory to %d bytes", need)
		}
	}
	return func() ([]byte, error) {
		mem.Write(0, in)
		if _, err := run.Call(ctx); err != nil {
			return nil, err
		}
		b, _ := mem.Read(size, size)
		return bytes.Clone(b), nil
	}, func() { rt.Close(ctx) }, nil
}

// sdkWasmDir is the wasm/ folder of the Extism Go SDK module compat/go.mod requires.
func sdkWasmDir() (string, error) {
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/extism/go-sdk")
	out, err := cmd.Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		return "", fmt.Errorf("locate github.com/extism/go-sdk (run from the repository, where go.work includes compat): %v", err)
	}
	return filepath.Join(dir, "wasm"), nil
}

func dur(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%d ns", d.Nanoseconds())
	case d < time.Millisecond:
		return fmt.Sprintf("%.1f µs", float64(d.Nanoseconds())/1e3)
	}
	return fmt.Sprintf("%.2f ms", float64(d.Nanoseconds())/1e6)
}

func mbps(n int, d time.Duration) string {
	return fmt.Sprintf("%.0f MB/s", float64(n)/d.Seconds()/1e6)
}

func ratio(base, d time.Duration) string {
	if base == 0 || d == 0 {
		return ""
	}
	return fmt.Sprintf("%.2fx", float64(base)/float64(d))
}

func onOff(b bool) string { return map[bool]string{false: "off", true: "on"}[b] }

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench/extism:", err)
	os.Exit(1)
}
