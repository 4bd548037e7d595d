package interrupt

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// kernelModule describes a test module importing the six inlined kernel
// functions and exporting one function calling each.
type kernelModule struct {
	memory    []byte // the memory section's entries (count and limits); nil: none
	importMem bool   // import the memory instead
	grow      bool   // f_load64 also runs memory.grow
	producers string // a producers section's language, if any
	export    string // one more export name (of f_load8), if any
	badSig    bool   // import load_u64 as (i64) -> i32
}

func (k kernelModule) build() []byte {
	b := []byte("\x00asm\x01\x00\x00\x00")
	sec := func(id byte, p []byte) {
		b = append(b, id)
		b = appendU32(b, uint32(len(p)))
		b = append(b, p...)
	}
	// Types: 0 (i64)->i64, 1 (i64)->i32, 2 (i64,i64)->(), 3 (i64,i32)->().
	sec(secType, []byte{4, 0x60, 1, 0x7e, 1, 0x7e, 0x60, 1, 0x7e, 1, 0x7f, 0x60, 2, 0x7e, 0x7e, 0, 0x60, 2, 0x7e, 0x7f, 0})
	funcs := []struct {
		name string
		typ  byte
	}{{"load_u8", 1}, {"load_u64", 0}, {"store_u8", 3}, {"store_u64", 2}, {"input_load_u8", 1}, {"input_load_u64", 0}}
	imp := appendU32(nil, uint32(len(funcs)))
	if k.importMem {
		imp = appendU32(nil, uint32(len(funcs)+1))
	}
	for _, f := range funcs {
		imp = appendName(imp, extismEnv)
		imp = appendName(imp, f.name)
		typ := f.typ
		if k.badSig && f.name == "load_u64" {
			typ = 1
		}
		imp = append(imp, 0, typ)
	}
	if k.importMem {
		imp = appendName(imp, "env")
		imp = appendName(imp, "memory")
		imp = append(imp, 2, 0, 1)
	}
	sec(secImport, imp)
	fs := []byte{byte(len(funcs))}
	for _, f := range funcs {
		fs = append(fs, f.typ)
	}
	sec(secFunction, fs)
	if k.memory != nil {
		sec(secMemory, k.memory)
	}
	exp := appendU32(nil, uint32(len(funcs)))
	if k.export != "" {
		exp = appendU32(nil, uint32(len(funcs)+1))
		exp = appendName(exp, k.export)
		exp = append(exp, 0, byte(len(funcs)))
	}
	for i, f := range funcs {
		exp = appendName(exp, "f_"+f.name)
		exp = append(exp, 0, byte(len(funcs)+i))
	}
	sec(secExport, exp)
	code := []byte{byte(len(funcs))}
	for i, f := range funcs {
		body := []byte{0} // no locals
		if k.grow && f.name == "load_u64" {
			body = append(body, 0x41, 0, 0x40, 0, 0x1a) // i32.const 0; memory.grow; drop
		}
		body = append(body, 0x20, 0) // local.get 0
		if f.typ >= 2 {
			body = append(body, 0x20, 1)
		}
		body = append(body, 0x10, byte(i), 0x0b) // call the import; end
		code = append(code, byte(len(body)))
		code = append(code, body...)
	}
	sec(secCode, code)
	if k.producers != "" {
		p := appendName(nil, "producers")
		p = append(p, 1)
		p = appendName(p, "language")
		p = append(p, 1)
		p = appendName(p, k.producers)
		p = appendName(p, "1.0")
		sec(secCustom, p)
	}
	return b
}

// plainMemory is one memory of one page, no maximum.
var plainMemory = []byte{1, 0, 1}

func TestInlineExtismRefuses(t *testing.T) {
	for _, c := range []struct {
		name string
		m    kernelModule
		want bool // inlined
	}{
		{"plain", kernelModule{memory: plainMemory}, true},
		{"grows, Rust", kernelModule{memory: plainMemory, grow: true, producers: "Rust"}, true},
		{"grows, not Rust", kernelModule{memory: plainMemory, grow: true, producers: "C99"}, false},
		{"grows, no producers", kernelModule{memory: plainMemory, grow: true}, false},
		{"no memory", kernelModule{}, false},
		{"imported memory", kernelModule{importMem: true}, false},
		{"memory with a maximum", kernelModule{memory: []byte{1, 1, 1, 2}}, false},
		{"shared memory", kernelModule{memory: []byte{1, 3, 1, 2}}, false},
		{"memory64", kernelModule{memory: []byte{1, 4, 1}}, false},
		{"two memories", kernelModule{memory: []byte{2, 0, 1, 0, 1}}, false},
		{"export clash", kernelModule{memory: plainMemory, export: KernelGlobalName(KernelLo)}, false},
	} {
		wasm := c.m.build()
		out, st, err := InlineExtism(wasm)
		if err != nil {
			t.Errorf("%s: InlineExtism: %v", c.name, err)
			continue
		}
		if got := st.Inlined > 0; got != c.want {
			t.Errorf("%s: inlined %d calls, want inlined %v", c.name, st.Inlined, c.want)
		}
		if !c.want && !bytes.Equal(out, wasm) {
			t.Errorf("%s: refused, but the module changed", c.name)
		}
		if got := HasKernelGlobals(out); got != c.want {
			t.Errorf("%s: HasKernelGlobals = %v, want %v", c.name, got, c.want)
		}
		// With checks, the same decision.
		rw, rst, err := RewriteStats(wasm)
		if err != nil {
			t.Errorf("%s: RewriteStats: %v", c.name, err)
			continue
		}
		if got := rst.Inlined > 0; got != c.want || HasKernelGlobals(rw) != c.want {
			t.Errorf("%s: Rewrite inlined %d calls, want inlined %v", c.name, rst.Inlined, c.want)
		}
	}
	// A kernel import with another signature is left alone; the others
	// are inlined.
	_, st, err := InlineExtism(kernelModule{memory: plainMemory, badSig: true}.build())
	if err != nil || st.Inlined != 5 {
		t.Errorf("load_u64 with another signature: inlined %d, %v; want the 5 others", st.Inlined, err)
	}
}

// TestInlineExtismRuns runs the rewritten module on wazero, with and
// without checks: with its globals at 0 every access calls the import,
// with them set the accesses inside the bounds read and write memory
// and the rest still call the import.
func TestInlineExtismRuns(t *testing.T) {
	wasm := kernelModule{memory: plainMemory}.build()
	for _, checks := range []bool{false, true} {
		var out []byte
		var err error
		if checks {
			out, err = Rewrite(wasm)
		} else {
			out, _, err = InlineExtism(wasm)
		}
		if err != nil {
			t.Fatal(err)
		}
		runInlined(t, out, checks)
	}
}

func runInlined(t *testing.T, wasm []byte, checks bool) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	calls := map[string]int{}
	hb := rt.NewHostModuleBuilder(extismEnv)
	host := func(name string, params, results []api.ValueType, ret uint64) {
		hb.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(_ context.Context, _ api.Module, st []uint64) {
			calls[name]++
			if len(results) > 0 {
				st[0] = ret
			}
		}), params, results).Export(name)
	}
	i32, i64 := api.ValueTypeI32, api.ValueTypeI64
	host("load_u8", []api.ValueType{i64}, []api.ValueType{i32}, 0xee)
	host("load_u64", []api.ValueType{i64}, []api.ValueType{i64}, 0xdead)
	host("store_u8", []api.ValueType{i64, i32}, nil, 0)
	host("store_u64", []api.ValueType{i64, i64}, nil, 0)
	host("input_load_u8", []api.ValueType{i64}, []api.ValueType{i32}, 0xef)
	host("input_load_u64", []api.ValueType{i64}, []api.ValueType{i64}, 0xbeef)
	if _, err := hb.Instantiate(ctx); err != nil {
		t.Fatal(err)
	}
	if checks {
		if _, err := rt.NewHostModuleBuilder(ImportModule).NewFunctionBuilder().
			WithGoFunction(api.GoFunc(func(_ context.Context, st []uint64) { st[0] = InitialBudget }), nil, []api.ValueType{i32}).
			Export(ImportName).Instantiate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	mod, err := rt.Instantiate(ctx, wasm)
	if err != nil {
		t.Fatalf("checks %v: %v", checks, err)
	}
	mem := mod.Memory()
	for i := range uint32(256) {
		mem.WriteByte(i, byte(i))
	}
	call := func(fn string, args ...uint64) uint64 {
		t.Helper()
		r, err := mod.ExportedFunction("f_"+fn).Call(ctx, args...)
		if err != nil {
			t.Fatalf("checks %v: %s: %v", checks, fn, err)
		}
		if len(r) > 0 {
			return r[0]
		}
		return 0
	}
	// Globals at 0: every access is the call.
	if v := call("load_u64", 16); v != 0xdead || calls["load_u64"] != 1 {
		t.Errorf("checks %v: globals at 0: load_u64 = %#x (%d calls), want the import's", checks, v, calls["load_u64"])
	}
	if v := call("input_load_u8", 0); v != 0xef || calls["input_load_u8"] != 1 {
		t.Errorf("checks %v: globals at 0: input_load_u8 = %#x, want the import's", checks, v)
	}
	// Kernel bounds [16, 128), input at 200, 20 bytes.
	set := func(g int, v uint64) { mod.ExportedGlobal(KernelGlobalName(g)).(api.MutableGlobal).Set(v) }
	set(KernelLo, 16)
	set(KernelSpan8, 112)
	set(KernelSpan64, 105)
	set(KernelInBase, 200)
	set(KernelInLim8, 20)
	set(KernelInLim64, 13)
	clear(calls)
	if v := call("load_u64", 16); v != 0x1716151413121110 {
		t.Errorf("checks %v: load_u64(16) = %#x", checks, v)
	}
	if v := call("load_u64", 120); v != 0x7f7e7d7c7b7a7978 {
		t.Errorf("checks %v: load_u64(120) = %#x", checks, v)
	}
	if v := call("load_u8", 127); v != 127 {
		t.Errorf("checks %v: load_u8(127) = %d", checks, v)
	}
	call("store_u64", 32, 0x0102030405060708)
	call("store_u8", 40, 0x99)
	if b, _ := mem.Read(32, 9); binary.LittleEndian.Uint64(b) != 0x0102030405060708 || b[8] != 0x99 {
		t.Errorf("checks %v: stores wrote %x", checks, b)
	}
	if v := call("input_load_u64", 12); v != binary.LittleEndian.Uint64([]byte{212, 213, 214, 215, 216, 217, 218, 219}) {
		t.Errorf("checks %v: input_load_u64(12) = %#x", checks, v)
	}
	if v := call("input_load_u8", 19); v != 219 {
		t.Errorf("checks %v: input_load_u8(19) = %d", checks, v)
	}
	if len(calls) != 0 {
		t.Errorf("checks %v: in bounds, imports called: %v", checks, calls)
	}
	// Outside the bounds: the call.
	for _, c := range []struct {
		fn   string
		args []uint64
	}{
		{"load_u64", []uint64{0}}, {"load_u64", []uint64{15}}, {"load_u64", []uint64{121}}, {"load_u8", []uint64{128}},
		{"store_u64", []uint64{121, 1}}, {"store_u8", []uint64{1 << 40, 1}},
		{"input_load_u64", []uint64{13}}, {"input_load_u8", []uint64{20}}, {"input_load_u64", []uint64{1 << 63}},
	} {
		before := calls[c.fn]
		call(c.fn, c.args...)
		if calls[c.fn] != before+1 {
			t.Errorf("checks %v: %s%v did not call the import", checks, c.fn, c.args)
		}
	}
}
