package canonical

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive/component"
)

func named(fields ...any) *component.ValueType {
	vt := &component.ValueType{Kind: component.Record}
	for i := 0; i < len(fields); i += 2 {
		vt.Fields = append(vt.Fields, component.Field{Name: fields[i].(string), Type: fields[i+1].(*component.ValueType)})
	}
	return vt
}

func cases(cs ...any) *component.ValueType {
	vt := &component.ValueType{Kind: component.Variant}
	for i := 0; i < len(cs); i += 2 {
		t, _ := cs[i+1].(*component.ValueType)
		vt.Cases = append(vt.Cases, component.Case{Name: cs[i].(string), Type: t})
	}
	return vt
}

var (
	tString = prim(component.String)
	tEntry  = named("name", tString, "tags", list(tString), "note", tString)
	tStats  = named("count", prim(component.U32), "sum", prim(component.F64), "max", option(prim(component.F64)))
	tColor  = &component.ValueType{Kind: component.Enum, Labels: []string{"red", "green", "blue"}}
	tPerms  = &component.ValueType{Kind: component.Flags, Labels: []string{"read", "write", "exec"}}
	tShape  = cases("circle", prim(component.F64), "rect", named("w", prim(component.S32), "h", prim(component.S32)), "none", nil)
)

type entry struct {
	Name     string
	Tags     []string
	NoteText string `wit:"note"`
	Internal int    `wit:"-"`
	private  int
}

type stats struct {
	Count uint32
	Sum   float64
	Max   *float64
}

type rect struct{ W, H int32 }

type shape struct {
	Circle *float64
	Rect   *rect
	None   *struct{}
}

type badShape struct {
	Circle float64
	Rect   *rect
	None   *struct{}
}

type pair struct {
	A uint8
	B int64
}

func ptr[T any](v T) *T { return &v }

// TestTyped converts Go values to their dynamic form, checks that form
// round-trips through a guest's memory (the real lowering and lifting
// accept it), and converts it back.
func TestTyped(t *testing.T) {
	g := newGuest(t)
	type myInt int
	for _, tc := range []struct {
		name string
		vt   *component.ValueType
		in   any   // the Go value
		dyn  Value // its dynamic form
		back any   // what FromValue into a value of in's type gives, when not in
	}{
		{"bool", prim(component.Bool), true, true, nil},
		{"s8", prim(component.S8), int8(-5), int8(-5), nil},
		{"u8 from int", prim(component.U8), 200, uint8(200), nil},
		{"s32 from named int", prim(component.S32), myInt(-70000), int32(-70000), nil},
		{"u64 max", prim(component.U64), uint64(math.MaxUint64), uint64(math.MaxUint64), nil},
		{"s64 min", prim(component.S64), int64(math.MinInt64), int64(math.MinInt64), nil},
		{"f32", prim(component.F32), float32(1.5), float32(1.5), nil},
		{"f64 from float32", prim(component.F64), float32(0.25), float64(0.25), nil},
		{"char rune", prim(component.Char), 'é', Char('é'), nil},
		{"char Char", prim(component.Char), Char('😀'), Char('😀'), nil},
		{"string", tString, "héllo", "héllo", nil},
		{"bytes", list(prim(component.U8)), []byte{1, 2, 3}, []byte{1, 2, 3}, nil},
		{"byte array", list(prim(component.U8)), [3]byte{4, 5, 6}, []byte{4, 5, 6}, nil},
		{"nil bytes", list(prim(component.U8)), []byte(nil), []byte{}, []byte{}},
		{"strings", list(tString), []string{"a", "", "bc"}, List{"a", "", "bc"}, nil},
		{"u32s", list(prim(component.U32)), []uint32{7, 8}, List{uint32(7), uint32(8)}, nil},
		{"fixed s16", fixedList(prim(component.S16), 3), [3]int16{-1, 0, 1}, List{int16(-1), int16(0), int16(1)}, nil},
		{"fixed s16 slice", fixedList(prim(component.S16), 2), []int16{5, 6}, List{int16(5), int16(6)}, nil},
		{"record", tEntry, entry{Name: "n", Tags: []string{"x", "y"}, NoteText: "note"}, Record{"n", List{"x", "y"}, "note"}, nil},
		{"record pointer", tEntry, &entry{Name: "p", NoteText: "q"}, Record{"p", List{}, "q"}, &entry{Name: "p", Tags: []string{}, NoteText: "q"}},
		{"record option some", tStats, stats{Count: 2, Sum: 3, Max: ptr(2.5)}, Record{uint32(2), float64(3), Some(2.5)}, nil},
		{"record option none", tStats, stats{Count: 0}, Record{uint32(0), float64(0), None}, nil},
		{"dynamic record", tEntry, Record{"d", []string{"t"}, "u"}, Record{"d", List{"t"}, "u"}, Record{"d", List{"t"}, "u"}},
		{"tuple struct", tuple(prim(component.U8), prim(component.S64)), pair{255, -4}, Tuple{uint8(255), int64(-4)}, nil},
		{"tuple []any", tuple(prim(component.U8), tString), []any{1, "s"}, Tuple{uint8(1), "s"}, []any{uint8(1), "s"}},
		{"tuple array", tuple(prim(component.U16), prim(component.U16)), [2]int{1, 2}, Tuple{uint16(1), uint16(2)}, nil},
		{"option pointer none", option(prim(component.U32)), (*uint32)(nil), None, nil},
		{"option pointer some", option(prim(component.U32)), ptr(uint32(9)), Some(uint32(9)), nil},
		{"option of option", option(option(prim(component.U8))), ptr((*uint8)(nil)), Some(None), nil},
		{"OptionOf some", option(tString), SomeOf("x"), Some("x"), nil},
		{"OptionOf none", option(tString), OptionOf[string]{}, None, nil},
		{"dynamic option", option(prim(component.S16)), Some(3), Some(int16(3)), Some(int16(3))},
		{"ResultOf ok", result(prim(component.U32), tString), OKOf[uint32, string](42), OK(uint32(42)), nil},
		{"ResultOf err", result(prim(component.U32), tString), ErrOf[uint32]("bad"), Err("bad"), nil},
		{"ResultOf no payloads", result(nil, tString), ResultOf[struct{}, string]{}, OK(nil), nil},
		{"dynamic result", result(nil, list(prim(component.U8))), Err([]byte("e")), Err([]byte("e")), Err([]byte("e"))},
		{"enum label", tColor, "blue", Enum(2), nil},
		{"enum index", tColor, 1, Enum(1), nil},
		{"enum Enum", tColor, Enum(0), Enum(0), nil},
		{"flags mask", tPerms, uint8(5), Flags(5), nil},
		{"flags labels", tPerms, []string{"write", "read"}, Flags(3), []string{"read", "write"}},
		{"flags map", tPerms, map[string]bool{"exec": true, "read": false}, Flags(4), map[string]bool{"exec": true}},
		{"variant typed payload", tShape, Variant{Case: 1, Value: rect{3, -5}}, Variant{Case: 1, Value: Record{int32(3), int32(-5)}}, Variant{Case: 1, Value: Record{int32(3), int32(-5)}}},
		{"variant no payload", tShape, Variant{Case: 2}, Variant{Case: 2}, nil},
		{"variant struct", tShape, shape{Rect: &rect{3, -5}}, Variant{Case: 1, Value: Record{int32(3), int32(-5)}}, nil},
		{"variant struct f64", tShape, shape{Circle: ptr(2.0)}, Variant{Case: 0, Value: 2.0}, nil},
		{"variant struct no payload", tShape, shape{None: &struct{}{}}, Variant{Case: 2}, nil},
		{"list of records", list(tEntry), []entry{{Name: "a", Tags: []string{}}, {Name: "b", Tags: []string{"c"}}}, List{Record{"a", List{}, ""}, Record{"b", List{"c"}, ""}}, nil},
		{"list of any", list(prim(component.U32)), []any{1, uint8(2)}, List{uint32(1), uint32(2)}, []any{uint32(1), uint32(2)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dyn, err := ToValue(tc.in, tc.vt)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(dyn, tc.dyn) {
				t.Fatalf("ToValue(%#v) = %#v, want %#v", tc.in, dyn, tc.dyn)
			}
			roundTrip(t, g, component.UTF8, tc.vt, dyn)
			dst := reflect.New(reflect.TypeOf(tc.in))
			if err := FromValue(dyn, tc.vt, dst.Interface()); err != nil {
				t.Fatal(err)
			}
			want := tc.in
			if tc.back != nil {
				want = tc.back
			}
			if got := dst.Elem().Interface(); !reflect.DeepEqual(got, want) {
				t.Fatalf("FromValue(%#v) = %#v, want %#v", dyn, got, want)
			}
			// The cached plan gives the same answer.
			if again, err := ToValue(tc.in, tc.vt); err != nil || !reflect.DeepEqual(again, dyn) {
				t.Fatalf("second ToValue = %#v, %v", again, err)
			}
		})
	}
}

// TestTypedInto covers FromValue destinations that differ from a
// ToValue source: interfaces, pointers, labels for an enum.
func TestTypedInto(t *testing.T) {
	var a any
	if err := FromValue(Record{"n", List{"t"}, "x"}, tEntry, &a); err != nil || !reflect.DeepEqual(a, Record{"n", List{"t"}, "x"}) {
		t.Fatalf("into any: %#v, %v", a, err)
	}
	var p *entry
	if err := FromValue(Record{"n", List{}, "x"}, tEntry, &p); err != nil || p == nil || p.Name != "n" || p.NoteText != "x" {
		t.Fatalf("into pointer: %#v, %v", p, err)
	}
	var label string
	if err := FromValue(Enum(1), tColor, &label); err != nil || label != "green" {
		t.Fatalf("enum into string: %q, %v", label, err)
	}
	var o OptionOf[*string]
	if err := FromValue(Some("s"), option(tString), &o); err != nil || !o.Some || *o.Value != "s" {
		t.Fatalf("into OptionOf: %#v, %v", o, err)
	}
	var u uint16
	if err := FromValue(uint32(65535), prim(component.U32), &u); err != nil || u != 65535 {
		t.Fatalf("u32 into uint16: %d, %v", u, err)
	}
	var own Own
	if err := FromValue(Own{Rep: 7}, &component.ValueType{Kind: component.Own}, &own); err != nil || own.Rep != 7 {
		t.Fatalf("own: %#v, %v", own, err)
	}
	if v, err := ToValue(Borrow{Rep: 3}, &component.ValueType{Kind: component.Borrow}); err != nil || v != (Borrow{Rep: 3}) {
		t.Fatalf("borrow: %#v, %v", v, err)
	}
	if v, err := ToValue(nil, option(tString)); err != nil || v != None {
		t.Fatalf("nil option: %#v, %v", v, err)
	}
}

func TestTypedErrors(t *testing.T) {
	type badTags struct {
		Name, Note string
		Tags       int
	}
	type missing struct{ Name, Note string }
	type extra struct {
		Name, Note string
		Tags       []string
		Extra      bool
	}
	for _, tc := range []struct {
		vt   *component.ValueType
		in   any
		want string
	}{
		{tEntry, badTags{}, "to value record: field tags: want list<string>, got int"},
		{tEntry, missing{}, "has no field for WIT field tags (name a field Tags or tag it `wit:\"tags\"`)"},
		{tEntry, extra{}, "Go field canonical.extra.Extra (as extra) is not a field of WIT"},
		{tEntry, (*entry)(nil), "want record, got nil *canonical.entry"},
		{tEntry, Record{"a", List{}}, "want 3 values, got 2"},
		{tEntry, Record{"a", List{1}, "c"}, "field tags: element 0: want string, got int"},
		{prim(component.U8), 300, "to value u8: 300 is out of range for u8"},
		{prim(component.S8), uint64(math.MaxUint64), "18446744073709551615 is out of range for s8"},
		{prim(component.U32), -1, "-1 is out of range for u32"},
		{prim(component.Char), rune(0xd800), "0xd800 is not a Unicode scalar value"},
		{prim(component.String), 5, "to value string: want string, got int"},
		{prim(component.Bool), nil, "want bool, got nil"},
		{fixedList(prim(component.U8), 4), [3]byte{}, "got [3]uint8 (3 elements)"},
		{fixedList(prim(component.U32), 4), []uint32{1}, "want 4 elements, got 1"},
		{list(prim(component.U32)), []string{"x"}, "element: want u32, got string"},
		{list(tString), []any{"a", "b", 3}, "to value list<string>: element 2: want string, got int"},
		{tColor, "purple", `"purple" is not a label of enum { red, green, blue }`},
		{tColor, 3, "3 is not the index of a label"},
		{tPerms, []string{"read", "fly"}, `"fly" is not a label of flags { read, write, exec }`},
		{tPerms, 8, "8 sets bits beyond the 3 labels"},
		{tShape, Variant{Case: 3}, "case 3 of a variant of 3 cases"},
		{tShape, Variant{Case: 0, Value: "r"}, "case circle: want f64, got string"},
		{tShape, Variant{Case: 2, Value: 1}, "case none: got int for no payload"},
		{tShape, 1, "want variant"},
		{tShape, shape{}, "canonical.shape sets no case"},
		{tShape, shape{Circle: ptr(1.0), None: &struct{}{}}, "canonical.shape sets both cases circle and none"},
		{tShape, badShape{}, "Go field canonical.badShape.Circle for case circle is a float64, not a pointer"},
		{tShape, struct{ Circle, Rect *int }{}, "has no field for WIT case none"},
		{tShape, struct{ Circle, Rect, None, Square *int }{}, "(as square) is not a case of WIT"},
		{option(prim(component.U8)), ptr(256), "some: 256 is out of range for u8"},
		{option(prim(component.U8)), Option{Value: 1}, "none with a payload int"},
		{result(prim(component.U8), tString), ErrOf[uint8](7), "want string, got int"},
		{result(prim(component.U8), tString), Result{Err: true, Value: 7}, "err: want string, got int"},
		{tuple(prim(component.U8), tString), pair{}, "want string, got int64"},
		{tuple(prim(component.U8)), []any{1, 2}, "want 1 values, got 2"},
		{&component.ValueType{Kind: component.Own}, uint32(1), ", got uint32"},
	} {
		_, err := ToValue(tc.in, tc.vt)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ToValue(%#v, %s) = %v, want %q", tc.in, tc.vt, err, tc.want)
		}
	}

	for _, tc := range []struct {
		vt   *component.ValueType
		v    Value
		dst  any
		want string
	}{
		{prim(component.U32), uint32(300), new(uint8), "from value u32: u32 300 does not fit in uint8"},
		{prim(component.U32), uint32(1), new(string), "cannot hold u32 in string"},
		{prim(component.U32), "x", new(uint32), "got string, want an integer (u32)"},
		{prim(component.U32), uint32(1), uint32(0), "destination uint32 is not a non-nil pointer"},
		{tEntry, Record{"a"}, new(entry), "want canonical.Record of 3 fields"},
		{tEntry, Record{"a", List{1}, "c"}, new(entry), "field tags: element 0: got int, want string"},
		{tEntry, Record{"a", List{}, "c"}, new(stats), "has no field for WIT field name"},
		{tColor, Enum(5), new(string), "enum index 5 of enum { red, green, blue } (3 labels)"},
		{tPerms, Flags(1), new(bool), "cannot hold flags { read, write, exec } in bool"},
		{option(tString), "x", new(*string), "got string, want canonical.Option"},
		{list(prim(component.U8)), []byte{1, 2}, new([3]byte), "cannot hold 2 elements in [3]uint8"},
		{tShape, Variant{}, new(rect), "has no field for WIT case circle"},
		{tShape, Variant{}, new(int), "cannot hold variant"},
		{tShape, Variant{Case: 5}, new(shape), "case 5 of a variant of 3 cases"},
		{tShape, Variant{Case: 1, Value: "x"}, new(shape), "case rect: got string, want canonical.Record of 2 fields"},
		{result(nil, tString), OK(nil), new(Option), "cannot hold result<_, string> in canonical.Option"},
	} {
		err := FromValue(tc.v, tc.vt, tc.dst)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("FromValue(%#v, %s) = %v, want %q", tc.v, tc.vt, err, tc.want)
		}
	}
}

func TestKebab(t *testing.T) {
	for in, want := range map[string]string{
		"Name": "name", "MaxSize": "max-size", "HTTPServer": "http-server", "ID": "id",
		"UTF8Name": "utf8-name", "Field2": "field2", "X": "x", "userID": "user-id",
	} {
		if got := kebab(in); got != want {
			t.Errorf("kebab(%q) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkToValue converts a Go struct (record entry) with its cached plan.
func BenchmarkToValue(b *testing.B) {
	e := entry{Name: "content-type", Tags: []string{"gzip", "deflate", "br", "zstd"}, NoteText: "application/json"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ToValue(e, tEntry); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkToValuePlan computes the conversion plan of BenchmarkToValue
// each time: what the cache saves.
func BenchmarkToValuePlan(b *testing.B) {
	rt := reflect.TypeFor[entry]()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := planTo(rt, tEntry); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFromValue fills a Go struct from a dynamic record.
func BenchmarkFromValue(b *testing.B) {
	v := Record{"content-type", List{"gzip", "deflate", "br", "zstd"}, "application/json"}
	var e entry
	b.ReportAllocs()
	for b.Loop() {
		if err := FromValue(v, tEntry, &e); err != nil {
			b.Fatal(err)
		}
	}
}

// TestTypedConcurrent converts from many goroutines at once, plans being
// built and cached while others use them (run with -race).
func TestTypedConcurrent(t *testing.T) {
	vt := named("name", tString, "tags", list(tString), "note", tString) // a type no other test has planned
	done := make(chan error)
	for range 8 {
		go func() {
			for i := range 100 {
				in := entry{Name: "n", Tags: []string{"t"}, NoteText: string(rune('a' + i%26))}
				v, err := ToValue(in, vt)
				if err == nil {
					var out entry
					if err = FromValue(v, vt, &out); err == nil && !reflect.DeepEqual(out, in) {
						err = &Error{Op: "test", Msg: "round trip changed the value"}
					}
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
