package canonical

import (
	"context"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/wasmhive/wasmhive/component"
)

// fuzzTypes are the types FuzzLift lifts.
var fuzzTypes = func() []*component.FuncType {
	s := prim(component.String)
	rt := &component.ResourceType{Name: "r"}
	many := make([]*component.ValueType, 17)
	for i := range many {
		many[i] = prim(component.U32)
	}
	many[16] = list(prim(component.Char))
	return []*component.FuncType{
		fn(nil, s),
		fn(nil, list(s)),
		fn(nil, record(s, s, list(s))),
		fn(nil, variant(nil, prim(component.F32), prim(component.U64), s, list(prim(component.U8)))),
		fn(nil, option(list(prim(component.Char))), result(prim(component.U64), s)),
		fn(nil, flags(20), enum(300), prim(component.Bool), prim(component.S8), prim(component.F64)),
		fn(nil, own(rt), borrow(rt), option(own(rt))),
		fn(nil, many...),
		fn(nil, list(variant(prim(component.U16), tuple(prim(component.U8), s), result(nil, prim(component.F32))))),
		fn(nil, fixedList(tuple(s, prim(component.U8)), 3)),
		fn(list(record(s, s, list(s)))),
		fn(result(list(tuple(prim(component.Char), option(s))), enum(3))),
	}
}()

// fuzzInput lays out a FuzzLift input: type, encoding, flat values, memory.
func fuzzInput(typ, enc byte, flat []uint64, mem []byte) []byte {
	b := []byte{typ, enc, byte(len(flat))}
	for _, v := range flat {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	return append(b, mem...)
}

func same(a, b Value) bool { return fmt.Sprintf("%#v", a) == fmt.Sprintf("%#v", b) }

// FuzzLift lifts random core values and memory by a set of types: it must
// never panic, and a value it lifts must lower and lift back the same.
func FuzzLift(f *testing.F) {
	f.Add(fuzzInput(0, 0, []uint64{0, 5}, []byte("hello")))
	f.Add(fuzzInput(0, 1, []uint64{2, 2}, []byte{0, 0, 'h', 0, 0x3d, 0xd8}))
	f.Add(fuzzInput(0, 2, []uint64{0, 1<<31 | 1}, []byte{'h', 0}))
	f.Add(fuzzInput(1, 0, []uint64{0, 2}, []byte{16, 0, 0, 0, 2, 0, 0, 0, 18, 0, 0, 0, 1, 0, 0, 0, 'h', 'i', 'x'}))
	f.Add(fuzzInput(2, 0, []uint64{0, 1, 1, 1, 0, 0}, []byte("ab")))
	f.Add(fuzzInput(3, 0, []uint64{1, 0x7fc00001, 0}, nil))
	f.Add(fuzzInput(3, 0, []uint64{4, 0, 3}, []byte{1, 2, 3}))
	f.Add(fuzzInput(4, 0, []uint64{1, 0, 1, 1, 0, 1}, []byte{'a', 0, 0, 0, 'b'}))
	f.Add(fuzzInput(5, 0, []uint64{0xfffff, 299, 2, 0x80, 0}, nil))
	f.Add(fuzzInput(6, 0, []uint64{1, 2, 1, 3}, nil))
	f.Add(fuzzInput(7, 0, []uint64{0}, make([]byte, 72)))
	f.Add(fuzzInput(8, 0, []uint64{0, 2}, []byte{1, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}))
	f.Add(fuzzInput(9, 2, []uint64{0, 1, 7, 0, 1, 8, 0, 1, 9}, []byte("a")))
	f.Add(fuzzInput(10, 0, []uint64{0}, []byte{8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}))
	f.Add(fuzzInput(11, 1, []uint64{0}, []byte{0, 0, 0, 0, 12, 0, 0, 0, 1, 0, 0, 0, 'x', 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0}))

	ctx := context.Background()
	g := openGuest(f)
	f.Cleanup(func() { g.rt.Close(ctx) })
	funcs := map[[2]byte]*Func{}
	res := resolver{}
	zero := make([]byte, 1<<16)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 3 {
			return
		}
		typ, enc := data[0]%byte(len(fuzzTypes)), component.StringEncoding(data[1]%3)
		n := int(data[2] % 20)
		data = data[3:]
		flat := make([]uint64, 0, n)
		for i := 0; i < n && len(data) >= 8; i++ {
			flat = append(flat, binary.LittleEndian.Uint64(data))
			data = data[8:]
		}
		if len(data) > 1<<14 {
			data = data[:1<<14]
		}
		// Each input runs on one zeroed 64 KiB page holding its data.
		if g.mem.Size() != 1<<16 {
			g.rt.Close(ctx)
			g = openGuest(t)
			clear(funcs)
		}
		g.reset(t)
		g.write(t, 0, zero)
		g.write(t, 0, data)
		key := [2]byte{typ, byte(enc)}
		fu := funcs[key]
		if fu == nil {
			opts := g.opts(enc)
			opts.Resource = res.resolve
			var err error
			if fu, err = NewFunc(fuzzTypes[typ], opts); err != nil {
				t.Fatal(err)
			}
			funcs[key] = fu
		}
		// A table with a few owned and borrowed handles.
		inst := NewInstance()
		rt := res[fuzzTypes[6].Params[0].Type.Resource]
		if rt == nil {
			rt, _ = res.resolve(fuzzTypes[6].Params[0].Type.Resource)
		}
		exp := inst.BeginExport()
		for rep := range uint32(3) {
			inst.ResourceNew(rt, rep)
		}
		inst.add(handle{rt: rt, rep: 9, scope: exp})

		var v Value
		var err error
		if fu.result != nil {
			v, err = fu.LiftResult(ctx, inst.BeginExport(), flat)
			if typ == 10 {
				// The same result lifted into Go values by a Typed must
				// give the same value, or the same error.
				checkTypedLift(t, ctx, fu, flat, v, err)
			}
		} else {
			var args []Value
			args, err = fu.LiftArgs(ctx, inst.BeginImport(), flat, nil)
			v = Tuple(args)
		}
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %v is a %T, not an *Error", err, err)
			}
			return
		}
		// Lower the value again (as an import's result or an export's
		// arguments) and lift it back.
		inst = NewInstance()
		if fu.result != nil {
			var ret []uint64
			if fu.spillResult {
				p, err := g.realloc(ctx, 0, 0, fu.result.align, fu.result.size)
				if err != nil {
					t.Fatal(err)
				}
				ret = []uint64{uint64(p)}
			}
			out, err := fu.LowerResult(ctx, inst.BeginImport(), v, ret, nil)
			if err != nil {
				t.Fatalf("lifted %#v, lowering it: %v", v, err)
			}
			if fu.spillResult {
				out = ret
			}
			w, err := fu.LiftResult(ctx, inst.BeginExport(), out)
			if err != nil || !same(v, w) {
				t.Fatalf("lifted %#v, lowered and lifted back %#v, %v", v, w, err)
			}
			return
		}
		out, err := fu.LowerArgs(ctx, inst.BeginExport(), v.(Tuple), nil)
		if err != nil {
			t.Fatalf("lifted %#v, lowering it: %v", v, err)
		}
		w, err := fu.LiftArgs(ctx, inst.BeginImport(), out, nil)
		if err != nil || !same(v, Tuple(w)) {
			t.Fatalf("lifted %#v, lowered and lifted back %#v, %v", v, w, err)
		}
	})
}

// fuzzRecord is the Go form of fuzzTypes[10]'s record.
type fuzzRecord struct {
	A, B string
	C    []string
}

var fuzzTyped = func() *Typed[struct{}, []fuzzRecord] {
	t, err := NewTyped[struct{}, []fuzzRecord](fuzzTypes[10])
	if err != nil {
		panic(err)
	}
	return t
}()

// checkTypedLift lifts flat by fuzzTyped and compares it with v, err, the
// dynamic lifting.
func checkTypedLift(t *testing.T, ctx context.Context, fu *Func, flat []uint64, v Value, err error) {
	var got []fuzzRecord
	terr := fuzzTyped.LiftResult(ctx, fu, NewInstance().BeginExport(), flat, &got)
	if (err == nil) != (terr == nil) || err != nil && err.Error() != terr.Error() {
		t.Fatalf("typed lifting: %v, dynamic: %v", terr, err)
	}
	if err != nil {
		return
	}
	var want []fuzzRecord
	if err := FromValue(v, fuzzTypes[10].Result, &want); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", want) {
		t.Fatalf("typed lifting %#v, dynamic %#v", got, want)
	}
}

// FuzzRealloc lowers values through a realloc that returns the pointers
// the input lists (a misbehaving component): lowering must never panic.
func FuzzRealloc(f *testing.F) {
	f.Add([]byte{0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 2})
	f.Add([]byte{1, 2, 0xf0, 0xff, 0, 0, 0xfe, 0xff, 0, 0, 0, 0, 0, 0, 1, 0})
	f.Add([]byte{2, 1, 0x00, 0x10, 0, 0, 0x01, 0x10, 0, 0, 0xff, 0xff, 0xff, 0xff})
	ctx := context.Background()
	g := openGuest(f)
	f.Cleanup(func() { g.rt.Close(ctx) })
	values := []Value{
		"plain", "é€😀 mixed", "ÿÿÿ",
		List{"a", "bb", "é"},
		Record{"x", "€", List{"y"}},
		Variant{Case: 3, Value: "s"},
	}
	types := []int{0, 0, 0, 1, 2, 3}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		which, enc := int(data[0])%len(values), component.StringEncoding(data[1]%3)
		ptrs := data[2:]
		opts := Options{Memory: g.mem, StringEncoding: enc, Realloc: func(context.Context, uint32, uint32, uint32, uint32) (uint32, error) {
			if len(ptrs) < 4 {
				return 0, fmt.Errorf("no more pointers")
			}
			p := binary.LittleEndian.Uint32(ptrs)
			ptrs = ptrs[4:]
			return p, nil
		}}
		fu, err := NewFunc(fuzzTypes[types[which]], opts)
		if err != nil {
			t.Fatal(err)
		}
		_, err = fu.LowerArgs(ctx, NewInstance().BeginExport(), []Value{values[which]}, nil)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %v is a %T, not an *Error", err, err)
			}
		}
	})
}
