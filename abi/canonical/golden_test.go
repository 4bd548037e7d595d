package canonical

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"reflect"
	"strconv"
	"testing"

	"github.com/tetratelabs/wazero/api"
	"github.com/wasmhive/wasmhive/component"
)

// testdata/golden.json.gz holds test vectors made by the Component Model's
// reference implementation, definitions.py, with testdata/refvectors.py
// (see there how to regenerate them). TestGolden replays them.

type goldenType struct {
	K   string        `json:"k"`
	T   *goldenType   `json:"t"`
	Ts  []*goldenType `json:"ts"`
	N   int           `json:"n"`
	OK  *goldenType   `json:"ok"`
	Err *goldenType   `json:"err"`
}

type golden struct {
	Layout []struct {
		Type  *goldenType `json:"type"`
		Size  uint32      `json:"size"`
		Align uint32      `json:"align"`
		Flat  []string    `json:"flat"`
	} `json:"layout"`
	Lower []struct {
		Enc      string            `json:"enc"`
		Types    []*goldenType     `json:"types"`
		Values   []json.RawMessage `json:"values"`
		Flat     []json.Number     `json:"flat"`
		Heap     uint32            `json:"heap"`
		Mem      string            `json:"mem"`
		Reallocs [][4]uint32       `json:"reallocs"`
	} `json:"lower"`
	Lift []struct {
		Enc    string            `json:"enc"`
		Types  []*goldenType     `json:"types"`
		Flat   []json.Number     `json:"flat"`
		Mem    [][2]any          `json:"mem"`
		Values []json.RawMessage `json:"values"` // null: a trap
	} `json:"lift"`
	Result []struct {
		Enc      string          `json:"enc"`
		Type     *goldenType     `json:"type"`
		Value    json.RawMessage `json:"value"`
		Retptr   *uint32         `json:"retptr"`
		Flat     []json.Number   `json:"flat"`
		Heap     uint32          `json:"heap"`
		Mem      string          `json:"mem"`
		Reallocs [][4]uint32     `json:"reallocs"`
		Lifted   json.RawMessage `json:"lifted"` // null: a trap
	} `json:"result"`
}

var goldenResource = &component.ResourceType{Name: "r"}

func (gt *goldenType) vt() *component.ValueType {
	if gt == nil {
		return nil
	}
	prims := map[string]component.Kind{"bool": component.Bool, "s8": component.S8, "u8": component.U8,
		"s16": component.S16, "u16": component.U16, "s32": component.S32, "u32": component.U32,
		"s64": component.S64, "u64": component.U64, "f32": component.F32, "f64": component.F64,
		"char": component.Char, "string": component.String}
	if k, ok := prims[gt.K]; ok {
		return prim(k)
	}
	var ts []*component.ValueType
	for _, t := range gt.Ts {
		ts = append(ts, t.vt())
	}
	switch gt.K {
	case "list":
		return list(gt.T.vt())
	case "fixed":
		return fixedList(gt.T.vt(), uint32(gt.N))
	case "record":
		return record(ts...)
	case "tuple":
		return tuple(ts...)
	case "variant":
		return variant(ts...)
	case "enum":
		return enum(gt.N)
	case "option":
		return option(gt.T.vt())
	case "result":
		return result(gt.OK.vt(), gt.Err.vt())
	case "flags":
		return flags(gt.N)
	case "own":
		return own(goldenResource)
	case "borrow":
		return borrow(goldenResource)
	}
	panic("unknown golden type " + gt.K)
}

// value converts a golden JSON value of type gt to its Go form.
func (gt *goldenType) value(raw json.RawMessage) (Value, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var j any
	if err := dec.Decode(&j); err != nil {
		return nil, err
	}
	return gt.fromJSON(j)
}

func (gt *goldenType) fromJSON(j any) (Value, error) {
	num := func() (uint64, int64, error) {
		n, ok := j.(json.Number)
		if !ok {
			return 0, 0, fmt.Errorf("%s: %v is not a number", gt.K, j)
		}
		if u, err := strconv.ParseUint(string(n), 10, 64); err == nil {
			return u, int64(u), nil
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		return uint64(i), i, err
	}
	bits := func() (uint64, error) {
		s, _ := j.(string)
		return strconv.ParseUint(s, 16, 64)
	}
	elems := func() ([]Value, error) {
		a, _ := j.([]any)
		out := []Value{}
		for i, e := range a {
			t := gt.T
			if gt.K == "record" || gt.K == "tuple" {
				t = gt.Ts[i]
			}
			v, err := t.fromJSON(e)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	switch gt.K {
	case "bool":
		return j.(bool), nil
	case "s8", "s16", "s32", "s64":
		_, i, err := num()
		return map[string]Value{"s8": int8(i), "s16": int16(i), "s32": int32(i), "s64": i}[gt.K], err
	case "u8", "u16", "u32", "u64", "flags", "own", "borrow":
		u, _, err := num()
		return map[string]Value{"u8": uint8(u), "u16": uint16(u), "u32": uint32(u), "u64": u,
			"flags": Flags(u), "own": Own{Rep: uint32(u)}, "borrow": Borrow{Rep: uint32(u)}}[gt.K], err
	case "f32":
		b, err := bits()
		return math.Float32frombits(uint32(b)), err
	case "f64":
		b, err := bits()
		return math.Float64frombits(b), err
	case "char":
		u, _, err := num()
		return Char(u), err
	case "string":
		return j.(string), nil
	case "list", "fixed":
		vs, err := elems()
		if err == nil && gt.T.K == "u8" {
			return bytesOf(vs), nil
		}
		return List(vs), err
	case "record":
		vs, err := elems()
		return Record(vs), err
	case "tuple":
		vs, err := elems()
		return Tuple(vs), err
	}
	m, _ := j.(map[string]any)
	c, err := strconv.Atoi(string(m["case"].(json.Number)))
	if err != nil {
		return nil, err
	}
	var pt *goldenType
	switch gt.K {
	case "variant":
		pt = gt.Ts[c]
	case "option":
		if c == 1 {
			pt = gt.T
		}
	case "result":
		pt = gt.OK
		if c == 1 {
			pt = gt.Err
		}
	}
	var payload Value
	if pt != nil {
		if payload, err = pt.fromJSON(m["value"]); err != nil {
			return nil, err
		}
	}
	switch gt.K {
	case "variant":
		return Variant{Case: uint32(c), Value: payload}, nil
	case "enum":
		return Enum(c), nil
	case "option":
		return Option{Some: c == 1, Value: payload}, nil
	case "result":
		return Result{Err: c == 1, Value: payload}, nil
	}
	return nil, fmt.Errorf("unknown golden type %s", gt.K)
}

var goldenEncodings = map[string]component.StringEncoding{"utf8": component.UTF8, "utf16": component.UTF16, "latin1+utf16": component.Latin1UTF16}

func flatNames(fs []api.ValueType) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, api.ValueTypeName(f))
	}
	return out
}

// goldenInstance is the handle table every vector starts from: handles 1
// to 3 own reps 0 to 2, handle 4 borrows rep 9 for the export call ex.
func goldenInstance(rt *ResourceType) (*Instance, *Call) {
	inst := instanceWithOwns(rt)
	ex := inst.BeginExport()
	inst.add(handle{rt: rt, rep: 9, scope: ex})
	ex.borrows++
	return inst, ex
}

// instanceWithOwns is an instance whose handles 1 to 3 own reps 0 to 2.
func instanceWithOwns(rt *ResourceType) *Instance {
	inst := NewInstance()
	for rep := range uint32(3) {
		inst.ResourceNew(rt, rep)
	}
	return inst
}

func TestGolden(t *testing.T) {
	file, err := os.Open("testdata/golden.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	zr, err := gzip.NewReader(file)
	if err != nil {
		t.Fatal(err)
	}
	var gv golden
	if err := json.NewDecoder(zr).Decode(&gv); err != nil {
		t.Fatal(err)
	}
	for i, c := range gv.Layout {
		l, err := LayoutOf(c.Type.vt())
		if err != nil {
			t.Fatalf("layout %d: %v", i, err)
		}
		want := c.Flat
		if len(want) > flatCap {
			want = want[:flatCap]
		}
		if l.Size != c.Size || l.Align != c.Align || !reflect.DeepEqual(flatNames(l.Flat), want) {
			t.Errorf("layout %d %s: size %d align %d flat %v; definitions.py: %d %d %v", i, c.Type.vt(), l.Size, l.Align, flatNames(l.Flat), c.Size, c.Align, want)
		}
	}

	ctx := context.Background()
	var g *guest
	var calls [][4]uint32
	fresh := func() {
		if g == nil || g.mem.Size() != 65536 {
			g = newGuest(t)
			inner := g.realloc
			g.realloc = func(ctx context.Context, old, oldSize, align, newSize uint32) (uint32, error) {
				calls = append(calls, [4]uint32{old, oldSize, align, newSize})
				return inner(ctx, old, oldSize, align, newSize)
			}
		}
		g.reset(t)
		g.write(t, 0, make([]byte, 65536))
		calls = nil
	}
	res := resolver{}
	funcOf := func(enc string, ts []*goldenType) *Func {
		ft := &component.FuncType{}
		for _, gt := range ts {
			ft.Params = append(ft.Params, component.Param{Name: "p", Type: gt.vt()})
		}
		opts := g.opts(goldenEncodings[enc])
		opts.Resource = res.resolve
		f, err := NewFunc(ft, opts)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	flatOf := func(ns []json.Number) []uint64 {
		var out []uint64
		for _, n := range ns {
			u, err := strconv.ParseUint(string(n), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, u)
		}
		return out
	}
	rt, _ := res.resolve(goldenResource)

	for i, c := range gv.Lower {
		fresh()
		f := funcOf(c.Enc, c.Types)
		var args []Value
		for j, gt := range c.Types {
			v, err := gt.value(c.Values[j])
			if err != nil {
				t.Fatal(err)
			}
			args = append(args, v)
		}
		_, ex := goldenInstance(rt)
		flat, err := f.LowerArgs(ctx, ex, args, nil)
		if err != nil {
			t.Errorf("lower %d (%s, %s): %v", i, f.Type(), c.Enc, err)
			continue
		}
		want := flatOf(c.Flat)
		if !reflect.DeepEqual(flat, want) {
			t.Errorf("lower %d (%s, %s) %#v: core values %#x; definitions.py: %#x", i, f.Type(), c.Enc, args, flat, want)
		}
		if h := g.heap(t); h != c.Heap {
			t.Errorf("lower %d (%s, %s): heap at %d; definitions.py: %d", i, f.Type(), c.Enc, h, c.Heap)
			continue
		}
		if got := hex.EncodeToString(g.read(t, 1024, c.Heap-1024)); got != c.Mem {
			t.Errorf("lower %d (%s, %s) %#v: memory\n%s\ndefinitions.py:\n%s", i, f.Type(), c.Enc, args, got, c.Mem)
		}
		if len(calls) != len(c.Reallocs) || (len(calls) > 0 && !reflect.DeepEqual(calls, c.Reallocs)) {
			t.Errorf("lower %d (%s, %s): realloc calls %v; definitions.py: %v", i, f.Type(), c.Enc, calls, c.Reallocs)
		}
	}

	traps, values := 0, 0
	for i, c := range gv.Lift {
		fresh()
		f := funcOf(c.Enc, c.Types)
		for _, chunk := range c.Mem {
			off, _ := chunk[0].(float64)
			b, err := hex.DecodeString(chunk[1].(string))
			if err != nil {
				t.Fatal(err)
			}
			g.write(t, uint32(off), b)
		}
		inst, _ := goldenInstance(rt)
		got, err := f.LiftArgs(ctx, inst.BeginImport(), flatOf(c.Flat), nil)
		if c.Values == nil {
			traps++
			if err == nil {
				t.Errorf("lift %d (%s, %s) of %v: got %#v; definitions.py traps", i, f.Type(), c.Enc, c.Flat, got)
			} else if _, ok := err.(*Error); !ok {
				t.Errorf("lift %d: error %v is not an *Error", i, err)
			}
			continue
		}
		values++
		if err != nil {
			t.Errorf("lift %d (%s, %s) of %v: %v; definitions.py lifts %s", i, f.Type(), c.Enc, c.Flat, err, c.Values)
			continue
		}
		for j, gt := range c.Types {
			want, err := gt.value(c.Values[j])
			if err != nil {
				t.Fatal(err)
			}
			if !same(got[j], want) {
				t.Errorf("lift %d (%s, %s) of %v: argument %d is %#v; definitions.py: %#v", i, f.Type(), c.Enc, c.Flat, j, got[j], want)
			}
		}
	}

	// Results: lowered as an import's result into a table of 3 owned
	// handles, lifted back as an export's result from a fresh one.
	resultTraps := 0
	for i, c := range gv.Result {
		fresh()
		ft := &component.FuncType{Result: c.Type.vt()}
		opts := g.opts(goldenEncodings[c.Enc])
		opts.Resource = res.resolve
		f, err := NewFunc(ft, opts)
		if err != nil {
			t.Fatal(err)
		}
		v, err := c.Type.value(c.Value)
		if err != nil {
			t.Fatal(err)
		}
		var params []uint64
		if c.Retptr != nil {
			p, err := g.realloc(ctx, 0, 0, f.result.align, f.result.size)
			if err != nil || p != *c.Retptr {
				t.Fatalf("result %d: return pointer %d, %v; definitions.py: %d", i, p, err, *c.Retptr)
			}
			params = []uint64{uint64(p)}
			calls = nil
		}
		inst, _ := goldenInstance(rt)
		inst.remove(4)
		flat, err := f.LowerResult(ctx, inst.BeginImport(), v, params, nil)
		if err != nil {
			t.Errorf("result %d (%s, %s): %v", i, ft, c.Enc, err)
			continue
		}
		if want := flatOf(c.Flat); !reflect.DeepEqual(flat, want) {
			t.Errorf("result %d (%s, %s) %#v: core values %#x; definitions.py: %#x", i, ft, c.Enc, v, flat, want)
		}
		if h := g.heap(t); h != c.Heap {
			t.Errorf("result %d (%s, %s): heap at %d; definitions.py: %d", i, ft, c.Enc, h, c.Heap)
			continue
		}
		if got := hex.EncodeToString(g.read(t, 1024, c.Heap-1024)); got != c.Mem {
			t.Errorf("result %d (%s, %s) %#v: memory\n%s\ndefinitions.py:\n%s", i, ft, c.Enc, v, got, c.Mem)
		}
		if len(calls) != len(c.Reallocs) || (len(calls) > 0 && !reflect.DeepEqual(calls, c.Reallocs)) {
			t.Errorf("result %d (%s, %s): realloc calls %v; definitions.py: %v", i, ft, c.Enc, calls, c.Reallocs)
		}
		if c.Retptr != nil {
			flat = params
		}
		lifted, err := f.LiftResult(ctx, instanceWithOwns(rt).BeginExport(), flat)
		if string(c.Lifted) == "null" {
			resultTraps++
			if err == nil {
				t.Errorf("result %d (%s, %s): lifted %#v; definitions.py traps", i, ft, c.Enc, lifted)
			}
			continue
		}
		want, err2 := c.Type.value(c.Lifted)
		if err2 != nil {
			t.Fatal(err2)
		}
		if err != nil || !same(lifted, want) {
			t.Errorf("result %d (%s, %s): lifted %#v, %v; definitions.py: %#v", i, ft, c.Enc, lifted, err, want)
		}
	}
	t.Logf("%d layouts, %d lowerings, %d liftings (%d traps), %d results (%d traps) agree with definitions.py",
		len(gv.Layout), len(gv.Lower), values+traps, traps, len(gv.Result), resultTraps)
}
