package canonical

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive/component"
)

// Go forms for the Typed tests.
type (
	bEntry struct {
		Name string
		Tags []string
		Note string `wit:"note"`
	}
	bInner struct {
		A uint8
		B string
	}
	bNested struct {
		A int32
		B bInner
		C float64
	}
	bPair struct {
		X int64
		Y string
	}
	bMixed struct {
		A *string
		B []OptionOf[int32]
		C rune
		D int // s32: through the dynamic form (another size)
	}
	bWide struct{ A, B, C, D, E, F, G, H, I string }
	bArgs struct {
		Pa string
		Pb []uint16
		Pc bool
	}
)

var (
	entryType = func() *component.ValueType {
		vt := record(prim(component.String), list(prim(component.String)), prim(component.String))
		vt.Fields[0].Name, vt.Fields[1].Name, vt.Fields[2].Name = "name", "tags", "note"
		return vt
	}()
	nestedType = record(prim(component.S32), record(prim(component.U8), prim(component.String)), prim(component.F64))
	mixedType  = record(option(prim(component.String)), list(option(prim(component.S32))), prim(component.Char), prim(component.S32))
	wideType   = func() *component.ValueType {
		var ts []*component.ValueType
		for range 9 {
			ts = append(ts, prim(component.String))
		}
		return record(ts...)
	}()
)

// typedCase checks, for each of values, that Typed[T, T] lowers (as the
// one parameter of a function of vt) and lifts (as its result) what
// ToValue + LowerArgs and LiftResult + FromValue do: the same core values,
// errors, and (when lowering succeeds) memory and realloc calls, for
// every string encoding. Lifting is
// also checked from memory with each byte of the value's area changed.
func typedCase[T any](t *testing.T, g *guest, vt *component.ValueType, values ...T) {
	t.Helper()
	ctx := context.Background()
	ft := fn(vt, vt)
	ty, err := NewTyped[T, T](ft)
	if err != nil {
		t.Fatalf("NewTyped %s: %v", vt, err)
	}
	for _, enc := range []component.StringEncoding{component.UTF8, component.UTF16, component.Latin1UTF16} {
		f, err := NewFunc(ft, g.opts(enc))
		if err != nil {
			t.Fatal(err)
		}
		for i, x := range values {
			where := fmt.Sprintf("%s, encoding %d, value %d (%#v)", vt, enc, i, x)
			// Lowering.
			g.reset(t)
			g.calls = 0
			flat, terr := ty.LowerArgs(ctx, f, NewInstance().BeginExport(), &x, nil)
			tmem, tcalls := g.read(t, 0, g.heap(t)), g.calls
			g.reset(t)
			g.calls = 0
			var dflat []uint64
			v, derr := ToValue(x, vt)
			if derr != nil {
				derr = at("argument pa", derr)
			} else {
				dflat, derr = f.LowerArgs(ctx, NewInstance().BeginExport(), []Value{v}, nil)
			}
			dmem, dcalls := g.read(t, 0, g.heap(t)), g.calls
			if a, b := outcome(flat, terr), outcome(dflat, derr); a != b {
				t.Errorf("%s: lower: typed %s, dynamic %s", where, a, b)
				continue
			}
			// On an error, the typed path may have lowered the parts
			// before the bad one (as LowerArgs does before a bad string);
			// the dynamic one converted everything first.
			if terr == nil && (string(tmem) != string(dmem) || tcalls != dcalls) {
				t.Errorf("%s: lower: typed wrote different memory or made %d reallocs (dynamic %d)", where, tcalls, dcalls)
			}
			if terr != nil {
				continue
			}
			// Lifting: the value lowered as an import's result (into
			// memory at a return area when it is not flat), then lifted
			// as the export's result, as is and with each byte of its
			// area changed.
			area := uint32(0)
			params := []uint64(nil)
			if f.spillResult {
				if area, err = g.realloc(ctx, 0, 0, 8, f.result.size); err != nil {
					t.Fatal(err)
				}
				params = []uint64{uint64(area)}
			}
			res, err := f.LowerResult(ctx, NewInstance().BeginImport(), v, params, nil)
			if err != nil {
				t.Fatalf("%s: LowerResult: %v", where, err)
			}
			if f.spillResult {
				res = []uint64{uint64(area)}
			}
			lift := func() (string, string) {
				var r T
				terr := ty.LiftResult(ctx, f, NewInstance().BeginExport(), res, &r)
				var r2 T
				lv, derr := f.LiftResult(ctx, NewInstance().BeginExport(), res)
				if derr == nil {
					if derr = FromValue(lv, vt, &r2); derr != nil {
						derr = at("result", derr)
					}
				}
				if terr != nil || derr != nil {
					return outcome(nil, terr), outcome(nil, derr)
				}
				if !deepSame(r, r2) {
					return outcome(r, nil), outcome(r2, nil)
				}
				return "", ""
			}
			if a, b := lift(); a != b {
				t.Errorf("%s: lift: typed %s, dynamic %s", where, a, b)
			} else {
				var r T
				err := ty.LiftResult(ctx, f, NewInstance().BeginExport(), res, &r)
				got, _ := ToValue(r, vt)
				if want := outcome(v, nil); err != nil || norm(outcome(got, nil)) != norm(want) {
					t.Errorf("%s: lift: got %s, %v, want %s", where, outcome(got, nil), err, want)
				}
			}
			if !f.spillResult {
				continue
			}
			orig := g.read(t, area, f.result.size)
			for k := range orig {
				for _, b := range []byte{orig[k] ^ 0x01, orig[k] ^ 0x80, 0xff} {
					m := append([]byte(nil), orig...)
					m[k] = b
					g.write(t, area, m)
					if a, b := lift(); a != b {
						t.Errorf("%s: lift with byte %d = 0x%x: typed %s, dynamic %s", where, k, m[k], a, b)
					}
				}
			}
			g.write(t, area, orig)
		}
	}
}

// deepSame reports whether x and y are deeply equal, or print the same
// (NaN).
func deepSame(x, y any) bool {
	return reflect.DeepEqual(x, y) || fmt.Sprintf("%#v", x) == fmt.Sprintf("%#v", y)
}

// norm makes a nil and an empty list print the same.
func norm(s string) string { return strings.ReplaceAll(s, "(nil)", "{}") }

func TestTypedAgrees(t *testing.T) {
	g := newGuest(t)
	typedCase(t, g, prim(component.Bool), true, false)
	typedCase(t, g, prim(component.S8), int8(-128), int8(7))
	typedCase(t, g, prim(component.U8), uint8(255), 0)
	typedCase(t, g, prim(component.S16), int16(-2), math.MaxInt16)
	typedCase(t, g, prim(component.U16), uint16(65535))
	typedCase(t, g, prim(component.S32), int32(-1), math.MinInt32)
	typedCase(t, g, prim(component.U32), uint32(math.MaxUint32))
	typedCase(t, g, prim(component.S64), int64(math.MinInt64), -1)
	typedCase(t, g, prim(component.S64), int(-5), math.MaxInt)
	typedCase(t, g, prim(component.U64), uint64(math.MaxUint64))
	typedCase(t, g, prim(component.U64), uint(7))
	typedCase(t, g, prim(component.F32), float32(1.5), float32(math.Inf(-1)), float32(math.NaN()))
	typedCase(t, g, prim(component.F64), -0.0, math.NaN(), math.MaxFloat64)
	typedCase(t, g, prim(component.S32), int(-7), int(1)<<40) // through the dynamic form: the second fails
	typedCase(t, g, prim(component.Char), 'é', 0xd800)
	strs := []string{"", "ada", "héllo wörld", strings.Repeat("ÿ", 40), "日本語 🎉", strings.Repeat("a", 100), "bad \xff"}
	typedCase(t, g, prim(component.String), strs...)
	typedCase(t, g, list(prim(component.String)), nil, []string{}, strs[:6], []string{"x", "bad \xc3"})
	typedCase(t, g, list(prim(component.U8)), nil, []byte{}, []byte{1, 2, 255})
	typedCase(t, g, list(prim(component.S32)), []int32{-1, 2, math.MaxInt32})
	typedCase(t, g, list(list(prim(component.String))), [][]string{{"a"}, nil, {"b", "ç"}})
	typedCase(t, g, entryType,
		bEntry{Name: "ada", Tags: []string{"math"}, Note: "first"},
		bEntry{},
		bEntry{Name: strings.Repeat("n", 70), Tags: []string{"é", "", "t"}, Note: "ü"},
		bEntry{Name: "ok", Note: "bad \xff"})
	typedCase(t, g, list(entryType), []bEntry{{Name: "a", Tags: []string{"b"}}, {Note: "c"}})
	typedCase(t, g, nestedType, bNested{A: -3, B: bInner{A: 9, B: "yé"}, C: 2.5})
	typedCase(t, g, tuple(prim(component.S64), prim(component.String)), bPair{X: -1, Y: "pair"})
	s := "some"
	typedCase(t, g, mixedType,
		bMixed{A: &s, B: []OptionOf[int32]{SomeOf[int32](4), {}}, C: 'x', D: -9},
		bMixed{C: 0x110000},
		bMixed{D: 1 << 40})
	typedCase(t, g, wideType, bWide{A: "a", E: "é", I: "i"})
	typedCase[Value](t, g, entryType, Record{"d", List{"x"}, "y"}, Record{"d", "not a list", "y"})
}

// TestTypedParams binds a function of several parameters (one struct of
// them, matched by name) and a spilled parameter list.
func TestTypedParams(t *testing.T) {
	g := newGuest(t)
	ctx := context.Background()
	ft := fn(nil, prim(component.String), list(prim(component.U16)), prim(component.Bool))
	ty, err := NewTyped[bArgs, struct{}](ft)
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewFunc(ft, g.opts(component.UTF8))
	if err != nil {
		t.Fatal(err)
	}
	a := bArgs{Pa: "héllo", Pb: []uint16{1, 65535}, Pc: true}
	g.reset(t)
	flat, err := ty.LowerArgs(ctx, f, NewInstance().BeginExport(), &a, nil)
	tmem := g.read(t, 0, g.heap(t))
	g.reset(t)
	want, werr := f.LowerArgs(ctx, NewInstance().BeginExport(), []Value{"héllo", List{uint16(1), uint16(65535)}, true}, nil)
	if outcome(flat, err) != outcome(want, werr) || string(tmem) != string(g.read(t, 0, g.heap(t))) {
		t.Fatalf("typed %s, dynamic %s", outcome(flat, err), outcome(want, werr))
	}
	if vs, err := ty.Args(&a); err != nil || outcome(vs, nil) != outcome([]Value{"héllo", List{uint16(1), uint16(65535)}, true}, nil) {
		t.Errorf("Args = %#v, %v", vs, err)
	}
	if err := ty.LiftResult(ctx, f, NewInstance().BeginExport(), nil, &struct{}{}); err != nil {
		t.Errorf("LiftResult without a result: %v", err)
	}

	// 18 flat values: the parameters go through memory.
	wt := fn(nil, wideType)
	wty, err := NewTyped[bWide, struct{}](wt)
	if err != nil {
		t.Fatal(err)
	}
	wf, err := NewFunc(wt, g.opts(component.UTF8))
	if err != nil {
		t.Fatal(err)
	}
	w := bWide{A: "a", B: "bb", I: "é"}
	g.reset(t)
	flat, err = wty.LowerArgs(ctx, wf, NewInstance().BeginExport(), &w, nil)
	tmem = g.read(t, 0, g.heap(t))
	g.reset(t)
	want, werr = wf.LowerArgs(ctx, NewInstance().BeginExport(), []Value{Record{"a", "bb", "", "", "", "", "", "", "é"}}, nil)
	if !wf.spillParams || outcome(flat, err) != outcome(want, werr) || string(tmem) != string(g.read(t, 0, g.heap(t))) {
		t.Fatalf("spilled: typed %s, dynamic %s", outcome(flat, err), outcome(want, werr))
	}
	// A Func of another type is refused.
	if _, err := wty.LowerArgs(ctx, f, NewInstance().BeginExport(), &w, nil); err == nil || !strings.Contains(err.Error(), "not of the type bound") {
		t.Errorf("another function's Func: %v", err)
	}
}

// TestTypedBindErrors: types that do not match get ToValue's and
// FromValue's one-line errors, at NewTyped.
func TestTypedBindErrors(t *testing.T) {
	for _, tc := range []struct {
		err  func() error
		want string
	}{
		{func() error {
			_, err := NewTyped[int32, int32](fn(prim(component.String), prim(component.String)))
			return err
		}, "bind string: argument pa: want string, got int32"},
		{func() error {
			_, err := NewTyped[string, int32](fn(prim(component.String), prim(component.String)))
			return err
		}, "bind string: result: cannot hold string in int32"},
		{func() error { _, err := NewTyped[bPair, bPair](fn(nil, entryType)); return err }, "has no field for WIT field name"},
		{func() error {
			_, err := NewTyped[string, struct{}](fn(nil, prim(component.String), prim(component.U8)))
			return err
		}, "takes 2 parameters: want a struct with a field for each, got string"},
		{func() error {
			_, err := NewTyped[bPair, struct{}](fn(nil, prim(component.String), prim(component.U8)))
			return err
		}, "has no field for WIT parameter pa"},
		{func() error { _, err := NewTyped[[]bPair, struct{}](fn(nil, list(entryType))); return err }, "element: "},
	} {
		err := tc.err()
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
}
