package canonical

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero/api"
	"github.com/wasmhive/wasmhive/component"
)

var encodings = []component.StringEncoding{component.UTF8, component.UTF16, component.Latin1UTF16}

func TestLayout(t *testing.T) {
	i32, i64, f32, f64 := api.ValueTypeI32, api.ValueTypeI64, api.ValueTypeF32, api.ValueTypeF64
	rt := &component.ResourceType{Name: "r"}
	cases := []struct {
		vt          *component.ValueType
		size, align uint32
		flat        []api.ValueType
	}{
		{prim(component.Bool), 1, 1, []api.ValueType{i32}},
		{prim(component.U16), 2, 2, []api.ValueType{i32}},
		{prim(component.S64), 8, 8, []api.ValueType{i64}},
		{prim(component.F32), 4, 4, []api.ValueType{f32}},
		{prim(component.F64), 8, 8, []api.ValueType{f64}},
		{prim(component.Char), 4, 4, []api.ValueType{i32}},
		{prim(component.String), 8, 4, []api.ValueType{i32, i32}},
		{list(prim(component.U64)), 8, 4, []api.ValueType{i32, i32}},
		{record(prim(component.U8), prim(component.U32), prim(component.U8)), 12, 4, []api.ValueType{i32, i32, i32}},
		{record(prim(component.U8), prim(component.U16)), 4, 2, []api.ValueType{i32, i32}},
		{tuple(prim(component.U8), prim(component.F64)), 16, 8, []api.ValueType{i32, f64}},
		{enum(3), 1, 1, []api.ValueType{i32}},
		{enum(256), 1, 1, []api.ValueType{i32}},
		{enum(257), 2, 2, []api.ValueType{i32}},
		{enum(65537), 4, 4, []api.ValueType{i32}},
		{option(prim(component.U8)), 2, 1, []api.ValueType{i32, i32}},
		{option(prim(component.U64)), 16, 8, []api.ValueType{i32, i64}},
		{option(prim(component.String)), 12, 4, []api.ValueType{i32, i32, i32}},
		{result(nil, nil), 1, 1, []api.ValueType{i32}},
		{result(prim(component.F32), prim(component.U32)), 8, 4, []api.ValueType{i32, i32}},
		{result(prim(component.F32), prim(component.F32)), 8, 4, []api.ValueType{i32, f32}},
		{result(prim(component.F64), prim(component.U32)), 16, 8, []api.ValueType{i32, i64}},
		{result(prim(component.F32), prim(component.U64)), 16, 8, []api.ValueType{i32, i64}},
		{variant(nil, tuple(prim(component.U8), prim(component.F32)), prim(component.F64)), 16, 8, []api.ValueType{i32, i64, f32}},
		{flags(1), 1, 1, []api.ValueType{i32}},
		{flags(9), 2, 2, []api.ValueType{i32}},
		{flags(17), 4, 4, []api.ValueType{i32}},
		{flags(32), 4, 4, []api.ValueType{i32}},
		{own(rt), 4, 4, []api.ValueType{i32}},
		{borrow(rt), 4, 4, []api.ValueType{i32}},
		{fixedList(prim(component.U16), 3), 6, 2, []api.ValueType{i32, i32, i32}},
	}
	for _, c := range cases {
		l, err := LayoutOf(c.vt)
		if err != nil {
			t.Errorf("%s: %v", c.vt, err)
			continue
		}
		if l.Size != c.size || l.Align != c.align || !reflect.DeepEqual(l.Flat, c.flat) {
			t.Errorf("%s: size %d align %d flat %v, want %d %d %v", c.vt, l.Size, l.Align, l.Flat, c.size, c.align, c.flat)
		}
	}
	for _, vt := range []*component.ValueType{
		prim(component.ErrorContext), {Kind: component.Stream}, {Kind: component.Future, Elem: prim(component.U8)},
		flags(33), enum(0), record(),
	} {
		if _, err := LayoutOf(vt); err == nil {
			t.Errorf("%s: no error", vt)
		}
	}
}

// TestCoreTypeAgreesWithComponent checks Func.CoreType against
// component.FlattenFunc, which the decoder validates canon lift and lower with.
func TestCoreTypeAgreesWithComponent(t *testing.T) {
	rt := &component.ResourceType{Name: "r"}
	s := prim(component.String)
	many := make([]*component.ValueType, 17)
	for i := range many {
		many[i] = prim(component.U32)
	}
	fts := []*component.FuncType{
		fn(nil),
		fn(prim(component.U32), prim(component.U8), prim(component.F32)),
		fn(s, s),
		fn(record(s, s, list(s)), record(s, s, list(s))),
		fn(nil, many...),
		fn(nil, many[:16]...),
		fn(tuple(many...), many[:15]...),
		fn(result(prim(component.F32), prim(component.U64)), variant(nil, prim(component.F64), prim(component.F32))),
		fn(own(rt), borrow(rt), option(own(rt))),
		fn(flags(20), fixedList(s, 8)),
		fn(option(prim(component.U8)), fixedList(prim(component.U8), 17)),
	}
	for _, ft := range fts {
		f, err := NewFunc(ft, Options{Resource: resolver{}.resolve})
		if err != nil {
			t.Fatalf("%s: %v", ft, err)
		}
		for _, lift := range []bool{true, false} {
			want := component.FlattenFunc(ft, lift)
			params, results := f.CoreType(lift)
			conv := func(vs []api.ValueType) []byte {
				var out []byte
				for _, v := range vs {
					out = append(out, byte(v))
				}
				return out
			}
			var wp, wr []byte
			for _, p := range want.Params {
				wp = append(wp, p.Code)
			}
			for _, r := range want.Results {
				wr = append(wr, r.Code)
			}
			if !reflect.DeepEqual(conv(params), wp) || !reflect.DeepEqual(conv(results), wr) {
				t.Errorf("%s lift=%v: %v -> %v, component.FlattenFunc says %s", ft, lift, params, results, &want)
			}
		}
	}
}

// roundTrip moves v of type vt host -> guest -> host both ways: lowered as
// an export's argument then lifted as an import's argument from the same
// core values, and lowered as an import's result then lifted as an
// export's result.
func roundTrip(t *testing.T, g *guest, enc component.StringEncoding, vt *component.ValueType, v Value) {
	t.Helper()
	ctx := context.Background()
	opts := g.opts(enc)
	opts.Resource = resolver{}.resolve
	f, err := NewFunc(fn(vt, vt), opts)
	if err != nil {
		t.Fatalf("%s: %v", vt, err)
	}
	inst := NewInstance()
	ex := inst.BeginExport()
	flat, err := f.LowerArgs(ctx, ex, []Value{v}, nil)
	if err != nil {
		t.Fatalf("%s: lower %#v: %v", vt, v, err)
	}
	params := flat
	retptr := uint32(0)
	if f.spillResult {
		retptr, err = g.realloc(ctx, 0, 0, f.result.align, f.result.size)
		if err != nil {
			t.Fatal(err)
		}
		params = append(params, uint64(retptr))
	}
	im := inst.BeginImport()
	args, err := f.LiftArgs(ctx, im, params, nil)
	if err != nil {
		t.Fatalf("%s: lift %#v (core %v): %v", vt, v, flat, err)
	}
	if !reflect.DeepEqual(args, []Value{v}) {
		t.Fatalf("%s: lowered as argument %#v, lifted %#v", vt, v, args[0])
	}
	results, err := f.LowerResult(ctx, im, args[0], params, nil)
	if err != nil {
		t.Fatalf("%s: lower result %#v: %v", vt, v, err)
	}
	if f.spillResult {
		if len(results) != 0 {
			t.Fatalf("%s: %d flat results for a result through memory", vt, len(results))
		}
		results = []uint64{uint64(retptr)}
	}
	if err := im.End(); err != nil {
		t.Fatal(err)
	}
	// Borrows lowered into the export call are dropped by the guest
	// before it returns.
	for i := range inst.handles {
		if h := inst.handles[i]; h.used && !h.own {
			if err := inst.ResourceDrop(ctx, h.rt, uint32(i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := f.LiftResult(ctx, ex, results)
	if err != nil {
		t.Fatalf("%s: lift result %#v: %v", vt, v, err)
	}
	if !reflect.DeepEqual(got, v) {
		t.Fatalf("%s: lowered as result %#v, lifted %#v", vt, v, got)
	}
	if err := ex.End(); err != nil {
		t.Fatal(err)
	}
	if n := inst.NumHandles(); n != 0 {
		t.Fatalf("%s: %d handles left in the table", vt, n)
	}
}

func TestRoundTrip(t *testing.T) {
	g := newGuest(t)
	rt := &component.ResourceType{Name: "file"}
	s := prim(component.String)
	cases := []struct {
		vt *component.ValueType
		vs []Value
	}{
		{prim(component.Bool), []Value{true, false}},
		{prim(component.S8), []Value{int8(-128), int8(127), int8(-1)}},
		{prim(component.U8), []Value{uint8(0), uint8(255)}},
		{prim(component.S16), []Value{int16(-32768), int16(1)}},
		{prim(component.U16), []Value{uint16(65535)}},
		{prim(component.S32), []Value{int32(math.MinInt32), int32(-1), int32(7)}},
		{prim(component.U32), []Value{uint32(math.MaxUint32)}},
		{prim(component.S64), []Value{int64(math.MinInt64), int64(-1)}},
		{prim(component.U64), []Value{uint64(math.MaxUint64)}},
		{prim(component.F32), []Value{float32(1.5), float32(math.Inf(-1)), float32(math.SmallestNonzeroFloat32)}},
		{prim(component.F64), []Value{math.Pi, math.Inf(1), -0.0}},
		{prim(component.Char), []Value{Char('a'), Char(0x10ffff), Char(0xd7ff), Char(0xe000), Char('é'), Char('😀')}},
		{s, []Value{"", "hello", "héllo wörld", "日本語", "emoji 😀 and ÿ", strings.Repeat("x", 70000)}},
		{list(prim(component.U8)), []Value{[]byte{}, []byte{1, 2, 3}}},
		{list(prim(component.U32)), []Value{List{}, List{uint32(1), uint32(2)}}},
		{list(s), []Value{List{"a", "", "ÿ😀"}}},
		{list(list(prim(component.U16))), []Value{List{List{uint16(1)}, List{}, List{uint16(2), uint16(3)}}}},
		{record(prim(component.U8), s, prim(component.U64)), []Value{Record{uint8(1), "two", uint64(3)}}},
		{tuple(prim(component.F32), prim(component.Char)), []Value{Tuple{float32(2.5), Char('z')}}},
		{variant(nil, prim(component.F32), prim(component.U64), s), []Value{
			Variant{Case: 0}, Variant{Case: 1, Value: float32(-3)}, Variant{Case: 2, Value: uint64(1 << 60)}, Variant{Case: 3, Value: "v"},
		}},
		{variant(prim(component.F64), prim(component.F32)), []Value{Variant{Case: 1, Value: float32(0.25)}, Variant{Case: 0, Value: 1e300}}},
		{enum(3), []Value{Enum(0), Enum(2)}},
		{enum(300), []Value{Enum(299)}},
		{option(s), []Value{None, Some("x")}},
		{option(option(prim(component.U8))), []Value{Some(None), Some(Some(uint8(9))), None}},
		{result(nil, nil), []Value{OK(nil), Err(nil)}},
		{result(prim(component.U32), s), []Value{OK(uint32(5)), Err("bad")}},
		{result(nil, prim(component.F64)), []Value{OK(nil), Err(2.0)}},
		{flags(3), []Value{Flags(0), Flags(5)}},
		{flags(12), []Value{Flags(0xfff)}},
		{flags(32), []Value{Flags(0xffffffff)}},
		{own(rt), []Value{Own{Rep: 42}}},
		{borrow(rt), nil}, // not allowed in results: see TestResources
		{fixedList(prim(component.U8), 4), []Value{[]byte{1, 2, 3, 4}}},
		{fixedList(s, 2), []Value{List{"a", "b"}}},
		{record(s, s, list(s)), []Value{Record{"name", "value", List{"x", "y", "z"}}}},
		{tuple(prim(component.U32), prim(component.U32), prim(component.U32), prim(component.U32), prim(component.U32),
			prim(component.U32), prim(component.U32), prim(component.U32), prim(component.U32), prim(component.U32),
			prim(component.U32), prim(component.U32), prim(component.U32), prim(component.U32), prim(component.U32),
			prim(component.U32), prim(component.U8)), []Value{Tuple{uint32(1), uint32(2), uint32(3), uint32(4), uint32(5),
			uint32(6), uint32(7), uint32(8), uint32(9), uint32(10), uint32(11), uint32(12), uint32(13), uint32(14),
			uint32(15), uint32(16), uint8(17)}}},
	}
	for _, enc := range encodings {
		for _, c := range cases {
			for _, v := range c.vs {
				roundTrip(t, g, enc, c.vt, v)
			}
		}
	}
}

func TestNaN(t *testing.T) {
	g := newGuest(t)
	ctx := context.Background()
	f, err := NewFunc(fn(nil, prim(component.F32), prim(component.F64), variant(prim(component.F32), prim(component.U64))), g.opts(component.UTF8))
	if err != nil {
		t.Fatal(err)
	}
	inst := NewInstance()
	// Lifting canonicalizes NaNs, also in joined variant slots.
	args, err := f.LiftArgs(ctx, inst.BeginImport(), []uint64{0x7fa00001, 0xfff0000000000001, 0, 0xffffffff_ffc00001}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b := math.Float32bits(args[0].(float32)); b != canonicalNaN32 {
		t.Errorf("f32 NaN lifted as %#x", b)
	}
	if b := math.Float64bits(args[1].(float64)); b != canonicalNaN64 {
		t.Errorf("f64 NaN lifted as %#x", b)
	}
	if b := math.Float32bits(args[2].(Variant).Value.(float32)); b != canonicalNaN32 {
		t.Errorf("f32 NaN in i64 slot lifted as %#x", b)
	}
	// Lowering uses the deterministic profile: the canonical NaN.
	flat, err := f.LowerArgs(ctx, inst.BeginExport(), []Value{
		math.Float32frombits(0xffc00123), math.Float64frombits(0x7ff0000000000042), Variant{Case: 0, Value: float32(math.NaN())},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint64{canonicalNaN32, canonicalNaN64, 0, canonicalNaN32}; !reflect.DeepEqual(flat, want) {
		t.Errorf("lowered %#x, want %#x", flat, want)
	}
}

// TestFlatLift checks lifting of out-of-range core values: integers wrap,
// bools are any non-zero, joined slots are wrapped to 32 bits.
func TestFlatLift(t *testing.T) {
	ctx := context.Background()
	f, err := NewFunc(fn(nil, prim(component.U8), prim(component.S8), prim(component.U16), prim(component.S16),
		prim(component.Bool), flags(3), variant(prim(component.U32), prim(component.U64))), Options{})
	if err != nil {
		t.Fatal(err)
	}
	args, err := f.LiftArgs(ctx, NewInstance().BeginImport(), []uint64{0x1ff, 0xff80, 0x12345, 0x18000, 2, 0xff, 0, 0xdeadbeef_00000007}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Value{uint8(0xff), int8(-128), uint16(0x2345), int16(-32768), true, Flags(7), Variant{Case: 0, Value: uint32(7)}}
	if !reflect.DeepEqual(args, want) {
		t.Errorf("lifted %#v, want %#v", args, want)
	}
}

func TestStringEncodings(t *testing.T) {
	g := newGuest(t)
	ctx := context.Background()
	s := prim(component.String)
	lower := func(enc component.StringEncoding, v string) (ptr, units uint32, calls int) {
		t.Helper()
		f, err := NewFunc(fn(nil, s), g.opts(enc))
		if err != nil {
			t.Fatal(err)
		}
		g.calls = 0
		flat, err := f.LowerArgs(ctx, NewInstance().BeginExport(), []Value{v}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return uint32(flat[0]), uint32(flat[1]), g.calls
	}
	// UTF-16: code units, little-endian, with a surrogate pair; realloc shrinks from 2*len.
	ptr, n, calls := lower(component.UTF16, "a😀")
	if n != 3 || calls != 2 {
		t.Errorf("utf16: %d code units, %d realloc calls; want 3, 2", n, calls)
	}
	if got := g.read(t, ptr, 6); !reflect.DeepEqual(got, []byte{'a', 0, 0x3d, 0xd8, 0x00, 0xde}) {
		t.Errorf("utf16 bytes % x", got)
	}
	if ptr%2 != 0 {
		t.Errorf("utf16 pointer 0x%x not aligned", ptr)
	}
	// latin1+utf16: Latin-1 when every character fits, shrinking from len(s).
	ptr, n, calls = lower(component.Latin1UTF16, "héllo")
	if n != 5 || calls != 2 {
		t.Errorf("latin1: tagged %#x, %d realloc calls; want 5, 2", n, calls)
	}
	if got := g.read(t, ptr, 5); string(got) != "h\xe9llo" {
		t.Errorf("latin1 bytes % x", got)
	}
	ptr, n, calls = lower(component.Latin1UTF16, "abc")
	if n != 3 || calls != 1 {
		t.Errorf("latin1 ascii: tagged %#x, %d realloc calls; want 3, 1", n, calls)
	}
	// else UTF-16 with the tag bit.
	ptr, n, calls = lower(component.Latin1UTF16, "é€x")
	if n != 3|utf16Tag || calls != 3 {
		t.Errorf("latin1+utf16: tagged %#x, %d realloc calls; want %#x, 3", n, calls, 3|utf16Tag)
	}
	if got := g.read(t, ptr, 6); !reflect.DeepEqual(got, []byte{0xe9, 0, 0xac, 0x20, 'x', 0}) {
		t.Errorf("latin1+utf16 bytes % x", got)
	}
	// UTF-8: a copy.
	ptr, n, calls = lower(component.UTF8, "日本")
	if n != 6 || calls != 1 || string(g.read(t, ptr, 6)) != "日本" {
		t.Errorf("utf8: %d bytes, %d calls", n, calls)
	}
}

func liftString(t *testing.T, g *guest, enc component.StringEncoding, ptr, units uint32) (Value, error) {
	t.Helper()
	f, err := NewFunc(fn(nil, prim(component.String)), g.opts(enc))
	if err != nil {
		t.Fatal(err)
	}
	args, err := f.LiftArgs(context.Background(), NewInstance().BeginImport(), []uint64{uint64(ptr), uint64(units)}, nil)
	if err != nil {
		return nil, err
	}
	return args[0], nil
}

func wantErr(t *testing.T, err error, msg string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want *Error %q", err, msg)
	}
	if err.Error() != msg {
		t.Fatalf("got error %q, want %q", err, msg)
	}
}

func TestLiftErrors(t *testing.T) {
	g := newGuest(t)
	ctx := context.Background()
	g.write(t, 0x100, []byte{0xff, 0xfe, 'a', 0})
	g.write(t, 0x200, []byte{0x00, 0xd8, 'a', 0}) // lone high surrogate
	g.write(t, 0x210, []byte{0x00, 0xdc})         // lone low surrogate
	g.write(t, 0x220, []byte{0xed, 0xa0, 0x80})   // UTF-8 encoded surrogate

	_, err := liftString(t, g, component.UTF8, 0xfff0, 32)
	wantErr(t, err, "lift string: pointer 0xfff0 + 32 out of bounds of memory (64 KiB)")
	_, err = liftString(t, g, component.UTF8, 0x100, 2)
	wantErr(t, err, "lift string: 2 bytes at 0x100 are not valid UTF-8")
	_, err = liftString(t, g, component.UTF8, 0x220, 3)
	wantErr(t, err, "lift string: 3 bytes at 0x220 are not valid UTF-8")
	_, err = liftString(t, g, component.UTF16, 0x101, 1)
	wantErr(t, err, "lift string: pointer 0x101 is not aligned to 2")
	_, err = liftString(t, g, component.UTF16, 0x200, 2)
	wantErr(t, err, "lift string: 4 bytes at 0x200 are not valid UTF-16 (unpaired surrogate)")
	_, err = liftString(t, g, component.UTF16, 0x210, 1)
	wantErr(t, err, "lift string: 2 bytes at 0x210 are not valid UTF-16 (unpaired surrogate)")
	_, err = liftString(t, g, component.UTF16, 0x200, 1)
	wantErr(t, err, "lift string: 2 bytes at 0x200 are not valid UTF-16 (unpaired surrogate)")
	_, err = liftString(t, g, component.Latin1UTF16, 0x100, 1<<28)
	wantErr(t, err, "lift string: 268435456 bytes exceed the string size limit (268435455 bytes)")
	_, err = liftString(t, g, component.UTF16, 0x100, 1<<27)
	wantErr(t, err, "lift string: 268435456 bytes exceed the string size limit (268435455 bytes)")
	_, err = liftString(t, g, component.Latin1UTF16, 0x201, utf16Tag|1)
	wantErr(t, err, "lift string: pointer 0x201 is not aligned to 2")
	_, err = liftString(t, g, component.Latin1UTF16, 0x201, 1) // Latin-1 needs alignment 2 too
	wantErr(t, err, "lift string: pointer 0x201 is not aligned to 2")
	if v, err := liftString(t, g, component.Latin1UTF16, 0x100, 3); err != nil || v != "ÿþa" {
		t.Errorf("latin1: %q, %v", v, err)
	}
	if v, err := liftString(t, g, component.Latin1UTF16, 0x100, utf16Tag|2); err != nil || v != "\ufeffa" {
		t.Errorf("latin1+utf16 tagged: %q, %v", v, err)
	}

	lift := func(vt *component.ValueType, flat ...uint64) error {
		t.Helper()
		f, err := NewFunc(fn(nil, vt), g.opts(component.UTF8))
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.LiftArgs(ctx, NewInstance().BeginImport(), flat, nil)
		return err
	}
	wantErr(t, lift(prim(component.Char), 0xd800), "lift char: 0xd800 is not a Unicode scalar value")
	wantErr(t, lift(prim(component.Char), 0x110000), "lift char: 0x110000 is not a Unicode scalar value")
	wantErr(t, lift(option(prim(component.U8)), 2, 0), "lift option<u8>: case 2 out of range (2 cases)")
	wantErr(t, lift(enum(3), 3), "lift enum { laa, lba, lca }: case 3 out of range (3 cases)")
	wantErr(t, lift(list(prim(component.U32)), 0x102, 1), "lift list<u32>: pointer 0x102 is not aligned to 4")
	wantErr(t, lift(list(prim(component.U64)), 0x100, 1<<25), "lift list<u64>: 33554432 elements of 8 bytes exceed the list size limit (268435455 bytes)")
	wantErr(t, lift(list(prim(component.U8)), 0xffff, 2), "lift list<u8>: pointer 0xffff + 2 out of bounds of memory (64 KiB)")
	// Bad values in memory: a char and a discriminant of a list's elements.
	g.write(t, 0x300, []byte{0, 0xd8, 0, 0, 5, 0, 0, 0})
	wantErr(t, lift(list(prim(component.Char)), 0x300, 1), "lift char: 0xd800 is not a Unicode scalar value")
	wantErr(t, lift(list(result(prim(component.U8), nil)), 0x304, 1), "lift result<u8>: case 5 out of range (2 cases)")
	wantErr(t, lift(prim(component.U32)), "lift arguments: got 0 core parameters, want 1")

	// Spilled arguments: the pointer is checked against the whole tuple.
	many := make([]*component.ValueType, 17)
	for i := range many {
		many[i] = prim(component.U32)
	}
	f, err := NewFunc(fn(nil, many...), g.opts(component.UTF8))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.LiftArgs(ctx, NewInstance().BeginImport(), []uint64{0xffc0}, nil)
	wantErr(t, err, "lift arguments: pointer 0xffc0 + 68 out of bounds of memory (64 KiB)")
	_, err = f.LiftArgs(ctx, NewInstance().BeginImport(), []uint64{2}, nil)
	wantErr(t, err, "lift arguments: pointer 0x2 is not aligned to 4")
	// A result through memory, from a bad pointer.
	f, err = NewFunc(fn(prim(component.String)), g.opts(component.UTF8))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.LiftResult(ctx, NewInstance().BeginExport(), []uint64{0x10000})
	wantErr(t, err, "lift string: pointer 0x10000 + 8 out of bounds of memory (64 KiB)")
}

func TestLowerErrors(t *testing.T) {
	g := newGuest(t)
	ctx := context.Background()
	lower := func(vt *component.ValueType, v Value) error {
		t.Helper()
		opts := g.opts(component.UTF8)
		opts.Resource = resolver{}.resolve
		f, err := NewFunc(fn(nil, vt), opts)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.LowerArgs(ctx, NewInstance().BeginExport(), []Value{v}, nil)
		return err
	}
	wantErr(t, lower(prim(component.U32), 5), "lower u32: got int, want uint32")
	wantErr(t, lower(prim(component.U32), nil), "lower u32: got nil, want uint32")
	wantErr(t, lower(prim(component.String), []byte("x")), "lower string: got []uint8, want string")
	wantErr(t, lower(prim(component.String), "\xff"), "lower string: the Go string is not valid UTF-8")
	wantErr(t, lower(prim(component.Char), Char(0xdfff)), "lower char: 0xdfff is not a Unicode scalar value")
	wantErr(t, lower(prim(component.Char), 'a'), "lower char: got int32, want canonical.Char")
	wantErr(t, lower(record(prim(component.U8)), Record{}), "lower record { a: u8 }: got 0 values, want 1")
	wantErr(t, lower(record(prim(component.U8)), Tuple{uint8(1)}), "lower record { a: u8 }: got canonical.Tuple, want canonical.Record")
	wantErr(t, lower(list(prim(component.U16)), []byte{}), "lower list<u16>: got []uint8, want canonical.List")
	wantErr(t, lower(list(prim(component.U16)), List{uint16(1), int16(2)}), "lower u16: got int16, want uint16")
	wantErr(t, lower(option(prim(component.U8)), Variant{}), "lower option<u8>: got canonical.Variant, want canonical.Option")
	wantErr(t, lower(variant(nil, prim(component.U8)), Variant{Case: 2}), "lower variant { a, b(u8) }: case 2 out of range (2 cases)")
	wantErr(t, lower(variant(nil, prim(component.U8)), Variant{Case: 0, Value: uint8(1)}), "lower variant { a, b(u8) }: case 0 has no payload, got uint8")
	wantErr(t, lower(enum(2), Enum(2)), "lower enum { laa, lba }: case 2 out of range (2 cases)")
	wantErr(t, lower(flags(2), Flags(4)), "lower flags { laa, lba }: flags 0x4 set bits beyond the 2 labels")
	wantErr(t, lower(fixedList(prim(component.U8), 2), []byte{1}), "lower list<u8, 2>: got 1 elements, want 2")

	// realloc failures and bad realloc results.
	bad := func(ptr uint32, err error) Options {
		return Options{Memory: g.mem, Realloc: func(context.Context, uint32, uint32, uint32, uint32) (uint32, error) { return ptr, err }}
	}
	f, err := NewFunc(fn(nil, prim(component.String)), bad(0xfffe, nil))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.LowerArgs(ctx, NewInstance().BeginExport(), []Value{"abc"}, nil)
	wantErr(t, err, "lower string: realloc returned pointer 0xfffe + 3 out of bounds of memory (64 KiB)")
	f, _ = NewFunc(fn(nil, list(prim(component.U32))), bad(2, nil))
	_, err = f.LowerArgs(ctx, NewInstance().BeginExport(), []Value{List{uint32(1)}}, nil)
	wantErr(t, err, "lower list<u32>: realloc returned pointer 0x2 is not aligned to 4")
	boom := errors.New("boom")
	f, _ = NewFunc(fn(nil, prim(component.String)), bad(0, boom))
	_, err = f.LowerArgs(ctx, NewInstance().BeginExport(), []Value{"abc"}, nil)
	wantErr(t, err, "lower string: realloc: boom")
	if !errors.Is(err, boom) {
		t.Error("realloc error not wrapped")
	}
	f, _ = NewFunc(fn(nil, prim(component.String)), Options{Memory: g.mem})
	_, err = f.LowerArgs(ctx, NewInstance().BeginExport(), []Value{"abc"}, nil)
	wantErr(t, err, "lower string: the function has no realloc option")
	f, _ = NewFunc(fn(nil, prim(component.String)), Options{})
	_, err = f.LiftArgs(ctx, NewInstance().BeginImport(), []uint64{0, 0}, nil)
	wantErr(t, err, "lift string: the function has no memory option")
	_, err = f.LowerArgs(ctx, NewInstance().BeginExport(), []Value{"a", "b"}, nil)
	wantErr(t, err, "lower arguments: got 2 arguments, func(pa: string) takes 1")
	// The return pointer of a lowered import's result is checked.
	f, _ = NewFunc(fn(prim(component.String)), g.opts(component.UTF8))
	_, err = f.LowerResult(ctx, NewInstance().BeginImport(), "x", []uint64{0x3}, nil)
	wantErr(t, err, "lower string: pointer 0x3 is not aligned to 4")

	// Async types and functions are refused.
	for _, vt := range []*component.ValueType{{Kind: component.Stream}, {Kind: component.Future}, prim(component.ErrorContext)} {
		if _, err := NewFunc(fn(nil, vt), Options{}); err == nil || !strings.Contains(err.Error(), "only the synchronous canonical ABI") {
			t.Errorf("%s: %v", vt, err)
		}
	}
	if _, err := NewFunc(&component.FuncType{Async: true}, Options{}); err == nil {
		t.Error("async function accepted")
	}
	if _, err := NewFunc(fn(nil, own(&component.ResourceType{})), Options{}); err == nil {
		t.Error("own without resolver accepted")
	}
}

func TestSpilled(t *testing.T) {
	g := newGuest(t)
	ctx := context.Background()
	var ps []*component.ValueType
	var args []Value
	for i := range 9 {
		ps = append(ps, prim(component.String))
		args = append(args, strings.Repeat("s", i))
	}
	f, err := NewFunc(fn(nil, ps...), g.opts(component.UTF8))
	if err != nil {
		t.Fatal(err)
	}
	flat, err := f.LowerArgs(ctx, NewInstance().BeginExport(), args, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(flat) != 1 {
		t.Fatalf("18 flat params passed as %d core values", len(flat))
	}
	// The tuple of arguments is in memory: 9 (ptr, len) pairs.
	mem := g.read(t, uint32(flat[0]), 72)
	for i := range 9 {
		if n := uint32(mem[8*i+4]); n != uint32(i) {
			t.Errorf("argument %d has length %d", i, n)
		}
	}
	got, err := f.LiftArgs(ctx, NewInstance().BeginImport(), flat, nil)
	if err != nil || !reflect.DeepEqual(got, args) {
		t.Fatalf("lifted %q, %v", got, err)
	}
}

// TestGuestCalls runs real guest code: an export whose result comes back
// through memory, and a guest that calls a host import with a string and
// a return pointer (the host lowers its result with the guest's realloc,
// reentering the guest).
func TestGuestCalls(t *testing.T) {
	g := newGuest(t)
	ctx := context.Background()
	s := prim(component.String)

	// ret2(a, b) returns a pointer to (a, b): a string result through memory.
	f, err := NewFunc(fn(s, s), g.opts(component.UTF8))
	if err != nil {
		t.Fatal(err)
	}
	inst := NewInstance()
	c := inst.BeginExport()
	flat, err := f.LowerArgs(ctx, c, []Value{"round trip"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := g.mod.ExportedFunction("ret2").Call(ctx, flat...)
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.LiftResult(ctx, c, res)
	if err != nil || v != "round trip" {
		t.Fatalf("ret2: %q, %v", v, err)
	}
	if err := c.End(); err != nil {
		t.Fatal(err)
	}

	// run() calls host.upper("hello") -> string through return pointer 32.
	up, err := NewFunc(fn(s, s), g.opts(component.UTF8))
	if err != nil {
		t.Fatal(err)
	}
	var hostErr error
	g.upper = func(ctx context.Context, m api.Module, stack []uint64) {
		c := inst.BeginImport()
		args, err := up.LiftArgs(ctx, c, stack[:3], nil)
		if err == nil {
			_, err = up.LowerResult(ctx, c, strings.ToUpper(args[0].(string))+" wörld", stack[:3], nil)
		}
		if err2 := c.End(); err == nil {
			err = err2
		}
		hostErr = err
	}
	c = inst.BeginExport()
	res, err = g.mod.ExportedFunction("run").Call(ctx)
	if err != nil || hostErr != nil {
		t.Fatal(err, hostErr)
	}
	v, err = up.LiftResult(ctx, c, res)
	if err != nil || v != "HELLO wörld" {
		t.Fatalf("run: %q, %v", v, err)
	}
	if err := c.End(); err != nil {
		t.Fatal(err)
	}
}
