package extism_test

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/engine"
)

// pdkEcho is testdata/pdkecho.wat (built by testdata/build.sh): it moves
// bytes with the per-8-byte kernel calls, as the Rust PDK does.
//
//go:embed testdata/pdkecho.wasm
var pdkEcho []byte

// once skips the test in TestMain's second and third runs: it covers
// every kernel mode itself.
func once(t testing.TB) {
	if goKernel || pluginMem {
		t.Skip("covers every kernel mode in the first run")
	}
}

// kernelModes are the three places a State keeps its kernel.
var kernelModes = []string{"go", "instance", "plugin"}

// openPDKEcho instantiates wasm in kernel mode mode and returns a call.
func openPDKEcho(t testing.TB, wasm []byte, mode string, interrupts bool) func(fn string, in []byte) ([]byte, error) {
	t.Helper()
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, engine.Config{NoCache: true, NoInterrupts: !interrupts, HostModules: extism.HostModules()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	m, err := rt.Compile(ctx, "pdkecho.wasm", wasm)
	if err != nil {
		t.Fatal(err)
	}
	if !m.KernelInlined() {
		t.Fatalf("interrupts %v: the engine did not inline the kernel calls of pdkecho.wasm", interrupts)
	}
	st := extism.NewState(extism.StateConfig{})
	libs := map[string]*engine.Instance{}
	switch mode {
	case "instance":
		if k, err := extism.LinkKernel(ctx, rt, st, libs, m); err != nil || k == nil {
			t.Fatalf("LinkKernel = %v, %v", k, err)
		}
	case "plugin":
		if !extism.UsePluginMemory(st, m) {
			t.Fatal("UsePluginMemory refused pdkecho.wasm")
		}
	}
	var icfg engine.InstanceConfig
	st.Attach(&icfg)
	inst, err := rt.InstantiateLinked(ctx, m, icfg, libs)
	if err != nil {
		t.Fatal(err)
	}
	return func(fn string, in []byte) ([]byte, error) {
		out, err := extism.Call(ctx, inst, st, fn, in)
		if err == nil && mode == "plugin" && !st.PluginMemory() {
			t.Fatal("State.PluginMemory() is false after a call")
		}
		return out, err
	}
}

// TestPluginMemoryRoundTrip: random payloads of many sizes come back
// byte for byte through input_load_u64/u8, store_u64/u8 and load_u64/u8,
// with the kernel in Go, in a kernel instance and in the plugin's memory,
// with and without interrupts, on one instance (so that later calls reuse
// and regrow the kernel's regions).
func TestPluginMemoryRoundTrip(t *testing.T) {
	once(t)
	sizes := []int{0, 1, 7, 8, 9, 15, 16, 17, 100, 4095, 4096, 4097, 65535, 65536, 65536 + 3, 1<<20 + 5, 3, 65536 + 3}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, intr := range []bool{false, true} {
		for _, mode := range kernelModes {
			call := openPDKEcho(t, pdkEcho, mode, intr)
			for _, n := range sizes {
				in := make([]byte, n)
				for i := range in {
					in[i] = byte(rng.Uint32())
				}
				out, err := call("echo", in)
				if err != nil {
					t.Fatalf("%s, interrupts %v: echo of %d bytes: %v", mode, intr, n, err)
				}
				if !bytes.Equal(out, in) {
					t.Fatalf("%s, interrupts %v: echo of %d bytes gave %d bytes, not the input", mode, intr, n, len(out))
				}
			}
		}
	}
}

// TestPluginMemoryEdges: loads at and past the end of the input, of the
// null handle and of the plugin's own data below the kernel give the same
// in every kernel mode: past the input 0 (as Extism's kernel gives), a
// load straddling the end zeros past it, handle 0 an *AccessError.
func TestPluginMemoryEdges(t *testing.T) {
	once(t)
	in := []byte("abcdefghij")
	type result struct {
		out []byte
		err string
	}
	want := map[string]result{
		"tail_u64":   {out: []byte("hij\x00\x00\x00\x00\x00")},
		"past_u64":   {out: make([]byte, 8)},
		"past_u8":    {out: make([]byte, 8)},
		"null_load":  {err: "load_u64: kernel memory access out of bounds"},
		"null_store": {err: "store_u8: kernel memory access out of bounds"},
	}
	for _, mode := range kernelModes {
		for fn, w := range want {
			// A fresh instance each: one that failed is not usable again.
			out, err := openPDKEcho(t, pdkEcho, mode, true)(fn, in)
			var got result
			got.out = out
			if err != nil {
				got.err = err.Error()
				var ae *extism.AccessError
				if !errors.As(err, &ae) {
					t.Errorf("%s: %s: err = %v, want an *AccessError", mode, fn, err)
				}
			}
			if w.err != "" {
				if !bytes.Contains([]byte(got.err), []byte(w.err)) {
					t.Errorf("%s: %s = %q, %q; want an error containing %q", mode, fn, got.out, got.err, w.err)
				}
				continue
			}
			if got.err != "" || !bytes.Equal(got.out, w.out) {
				t.Errorf("%s: %s = %q, %v; want %q", mode, fn, got.out, got.err, w.out)
			}
		}
	}
	// Below every kernel block, a kernel load of a plugin address is out
	// of the kernel's bounds in the plugin's memory too.
	call := openPDKEcho(t, pdkEcho, "plugin", false)
	_, err := call("below_kernel", in)
	var ae *extism.AccessError
	if !errors.As(err, &ae) || ae.Handle != 16 || bytes.Contains([]byte(err.Error()), []byte("outside [8,")) {
		t.Errorf("plugin: below_kernel: err = %v, want an *AccessError naming the kernel's lower bound", err)
	}
}

// TestPluginMemoryRefused: UsePluginMemory leaves the State alone (the
// caller links the kernel as before) for a module the engine did not
// inline, and for a plugin with a library that imports the Extism ABI too.
func TestPluginMemoryRefused(t *testing.T) {
	once(t)
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, engine.Config{NoCache: true, HostModules: extism.HostModules()})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	inlined, err := rt.Compile(ctx, "pdkecho.wasm", pdkEcho)
	if err != nil {
		t.Fatal(err)
	}
	grows, err := rt.Compile(ctx, "grows.wasm", growingPlugin)
	if err != nil {
		t.Fatal(err)
	}
	if grows.KernelInlined() {
		t.Fatal("the engine inlined the kernel calls of a module that grows its own memory")
	}
	st := extism.NewState(extism.StateConfig{})
	if extism.UsePluginMemory(st, grows) {
		t.Error("UsePluginMemory accepted a module that was not inlined")
	}
	if extism.UsePluginMemory(st, inlined, inlined) {
		t.Error("UsePluginMemory accepted a plugin whose library imports the Extism ABI")
	}
	// The State still links a kernel instance and runs the module.
	libs := map[string]*engine.Instance{}
	k, err := extism.LinkKernel(ctx, rt, st, libs, grows)
	if err != nil || k == nil {
		t.Fatalf("LinkKernel after a refusal = %v, %v", k, err)
	}
	var icfg engine.InstanceConfig
	st.Attach(&icfg)
	inst, err := rt.InstantiateLinked(ctx, grows, icfg, libs)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := extism.Call(ctx, inst, st, "run", []byte("x")); err != nil || string(out) != "x" {
		t.Fatalf("run = %q, %v", out, err)
	}
	if st.PluginMemory() {
		t.Error("PluginMemory() after a refusal")
	}
}

// growingPlugin imports load_u64 and runs memory.grow (with no producers
// section naming Rust): (func (export "run") (result i32) memory.grow(1);
// output_set(input_offset(), input_length()); load_u64 is never called.
var growingPlugin = func() []byte {
	b := []byte("\x00asm\x01\x00\x00\x00")
	sec := func(id byte, p ...byte) { b = append(append(b, id, byte(len(p))), p...) }
	env := append([]byte{15}, "extism:host/env"...)
	name := func(s string) []byte { return append([]byte{byte(len(s))}, s...) }
	imp := []byte{4}
	for _, f := range []struct {
		name string
		typ  byte
	}{{"load_u64", 0}, {"input_offset", 1}, {"input_length", 1}, {"output_set", 2}} {
		imp = append(imp, env...)
		imp = append(imp, name(f.name)...)
		imp = append(imp, 0x00, f.typ)
	}
	sec(1, 4, 0x60, 1, 0x7e, 1, 0x7e, 0x60, 0, 1, 0x7e, 0x60, 2, 0x7e, 0x7e, 0, 0x60, 0, 1, 0x7f)
	sec(2, imp...)
	sec(3, 1, 3)
	sec(5, 1, 0, 1)
	sec(7, append(append([]byte{1}, name("run")...), 0x00, 4)...)
	body := []byte{0, 0x41, 1, 0x40, 0, 0x1a, 0x10, 1, 0x10, 2, 0x10, 3, 0x41, 0, 0x0b}
	sec(10, append([]byte{1, byte(len(body))}, body...)...)
	return b
}()

// BenchmarkPluginMemoryEcho measures pdkecho's echo (two copies through
// the per-8-byte calls) in each kernel mode.
func BenchmarkPluginMemoryEcho(b *testing.B) {
	once(b)
	for _, size := range []int{1 << 10, 64 << 10} {
		in := bytes.Repeat([]byte("x"), size)
		for _, mode := range kernelModes {
			b.Run(fmt.Sprintf("%s/%dKiB", mode, size>>10), func(b *testing.B) {
				call := openPDKEcho(b, pdkEcho, mode, true)
				b.SetBytes(int64(size))
				for b.Loop() {
					if _, err := call("echo", in); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
