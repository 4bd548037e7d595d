package canonical

import (
	"context"
	"os"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/wasmhive/wasmhive/component"
)

// guest is an instance of testdata/guest.wasm (see guest.wat): a real
// wazero memory with a bump-allocating realloc written in wasm.
type guest struct {
	rt      wazero.Runtime
	mod     api.Module
	mem     api.Memory
	realloc Realloc
	upper   api.GoModuleFunc // the host import host.upper, set by a test
	calls   int              // realloc calls
}

func newGuest(tb testing.TB) *guest {
	tb.Helper()
	g := openGuest(tb)
	tb.Cleanup(func() { g.rt.Close(context.Background()) })
	return g
}

// openGuest is newGuest without closing the guest at the end of the test.
func openGuest(tb testing.TB) *guest {
	tb.Helper()
	ctx := context.Background()
	bin, err := os.ReadFile("testdata/guest.wasm")
	if err != nil {
		tb.Fatal(err)
	}
	g := &guest{rt: wazero.NewRuntime(ctx)}
	i32 := api.ValueTypeI32
	_, err = g.rt.NewHostModuleBuilder("host").NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, m api.Module, stack []uint64) {
			g.upper(ctx, m, stack)
		}), []api.ValueType{i32, i32, i32}, nil).Export("upper").Instantiate(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	if g.mod, err = g.rt.Instantiate(ctx, bin); err != nil {
		tb.Fatal(err)
	}
	g.mem = g.mod.Memory()
	realloc := ReallocFunc(g.mod.ExportedFunction("realloc"))
	g.realloc = func(ctx context.Context, old, oldSize, align, newSize uint32) (uint32, error) {
		g.calls++
		return realloc(ctx, old, oldSize, align, newSize)
	}
	return g
}

func (g *guest) opts(enc component.StringEncoding) Options {
	return Options{Memory: g.mem, Realloc: g.realloc, StringEncoding: enc}
}

func (g *guest) reset(tb testing.TB) {
	if _, err := g.mod.ExportedFunction("reset").Call(context.Background()); err != nil {
		tb.Fatal(err)
	}
}

func (g *guest) heap(tb testing.TB) uint32 {
	r, err := g.mod.ExportedFunction("heap").Call(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return uint32(r[0])
}

func (g *guest) write(tb testing.TB, ptr uint32, b []byte) {
	if !g.mem.Write(ptr, b) {
		tb.Fatalf("write %d bytes at 0x%x out of bounds", len(b), ptr)
	}
}

func (g *guest) read(tb testing.TB, ptr, n uint32) []byte {
	b, ok := g.mem.Read(ptr, n)
	if !ok {
		tb.Fatalf("read %d bytes at 0x%x out of bounds", n, ptr)
	}
	return append([]byte(nil), b...)
}

// Type constructors.

func prim(k component.Kind) *component.ValueType { return component.Prim(k) }

func record(ts ...*component.ValueType) *component.ValueType {
	vt := &component.ValueType{Kind: component.Record}
	for i, t := range ts {
		vt.Fields = append(vt.Fields, component.Field{Name: string(rune('a' + i)), Type: t})
	}
	return vt
}

func tuple(ts ...*component.ValueType) *component.ValueType {
	return &component.ValueType{Kind: component.Tuple, Types: ts}
}

func variant(ts ...*component.ValueType) *component.ValueType {
	vt := &component.ValueType{Kind: component.Variant}
	for i, t := range ts {
		vt.Cases = append(vt.Cases, component.Case{Name: string(rune('a' + i%26)), Type: t})
	}
	return vt
}

func list(t *component.ValueType) *component.ValueType {
	return &component.ValueType{Kind: component.List, Elem: t}
}

func fixedList(t *component.ValueType, n uint32) *component.ValueType {
	return &component.ValueType{Kind: component.FixedList, Elem: t, Len: n}
}

func option(t *component.ValueType) *component.ValueType {
	return &component.ValueType{Kind: component.Option, Elem: t}
}

func result(ok, err *component.ValueType) *component.ValueType {
	return &component.ValueType{Kind: component.Result, OK: ok, Err: err}
}

func labels(kind component.Kind, n int) *component.ValueType {
	vt := &component.ValueType{Kind: kind}
	for i := range n {
		vt.Labels = append(vt.Labels, "l"+string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	return vt
}

func enum(n int) *component.ValueType  { return labels(component.Enum, n) }
func flags(n int) *component.ValueType { return labels(component.Flags, n) }

func own(rt *component.ResourceType) *component.ValueType {
	return &component.ValueType{Kind: component.Own, Resource: rt}
}

func borrow(rt *component.ResourceType) *component.ValueType {
	return &component.ValueType{Kind: component.Borrow, Resource: rt}
}

func fn(result *component.ValueType, params ...*component.ValueType) *component.FuncType {
	ft := &component.FuncType{Result: result}
	for i, p := range params {
		ft.Params = append(ft.Params, component.Param{Name: "p" + string(rune('a'+i%26)), Type: p})
	}
	return ft
}

// resolver maps static resource types to runtime ones, creating them on
// first use.
type resolver map[*component.ResourceType]*ResourceType

func (r resolver) resolve(st *component.ResourceType) (*ResourceType, error) {
	st = st.Root()
	if rt, ok := r[st]; ok {
		return rt, nil
	}
	rt := &ResourceType{Name: st.Name}
	r[st] = rt
	return rt, nil
}
