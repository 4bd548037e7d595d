package linker_test

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/engine"
)

// Go forms of calc.wit's records.
type stats struct {
	Count uint32
	Sum   float64
	Max   *float64
}

type entry struct {
	Name string
	Tags []string
	Note string `wit:"note"`
}

func instantiateCalc(t testing.TB) *linker.Instance {
	t.Helper()
	ctx := context.Background()
	c := compileFile(t, newRuntime(t), "../../testdata/components/calc.wasm")
	inst, err := linker.New().Instantiate(ctx, c, engine.InstanceConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close(ctx) })
	return inst
}

func export(t testing.TB, inst *linker.Instance, path ...string) *linker.Func {
	t.Helper()
	f, err := inst.Func(path...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestTypedCall(t *testing.T) {
	ctx := context.Background()
	inst := instantiateCalc(t)

	if got, err := linker.Call[int](ctx, export(t, inst, "add"), 40, 2); err != nil || got != 42 {
		t.Errorf("add = %d, %v", got, err)
	}
	if got, err := linker.Call[string](ctx, export(t, inst, "greet"), "typed"); err != nil || got != "hello, typed!" {
		t.Errorf("greet = %q, %v", got, err)
	}

	summarize := export(t, inst, "summarize")
	s, err := linker.Call[stats](ctx, summarize, []float64{1.5, 4, -2})
	if err != nil || s.Count != 3 || s.Sum != 3.5 || s.Max == nil || *s.Max != 4 {
		t.Errorf("summarize = %+v, %v", s, err)
	}
	s, err = linker.Call[stats](ctx, summarize, []float64(nil))
	if err != nil || s.Count != 0 || s.Max != nil {
		t.Errorf("summarize(nil) = %+v, %v", s, err)
	}

	parse := export(t, inst, "parse-u32")
	type parsed = canonical.ResultOf[uint32, string]
	if got, err := linker.Call[parsed](ctx, parse, "4294967295"); err != nil || got != canonical.OKOf[uint32, string](4294967295) {
		t.Errorf("parse-u32 = %+v, %v", got, err)
	}
	if got, err := linker.Call[parsed](ctx, parse, "12x"); err != nil || got != canonical.ErrOf[uint32]("not a digit: x") {
		t.Errorf("parse-u32(12x) = %+v, %v", got, err)
	}
	// The dynamic form, for a tool.
	if got, err := linker.Call[canonical.Value](ctx, parse, ""); err != nil || got != canonical.Err("empty") {
		t.Errorf("parse-u32() = %#v, %v", got, err)
	}

	in := entry{Name: "n", Tags: []string{"a", "béta", ""}, Note: "note"}
	got, err := linker.Call[entry](ctx, export(t, inst, "echo"), in)
	if err != nil || !reflect.DeepEqual(got, in) {
		t.Errorf("echo = %+v, %v", got, err)
	}
	// A pointer result, and a dynamic argument.
	p, err := linker.Call[*entry](ctx, export(t, inst, "echo"), canonical.Record{"d", []string{"t"}, ""})
	if err != nil || p == nil || p.Name != "d" || !reflect.DeepEqual(p.Tags, []string{"t"}) {
		t.Errorf("echo(dynamic) = %+v, %v", p, err)
	}
	if v, err := linker.Call[any](ctx, export(t, inst, "add"), 1, 2); err != nil || v != int32(3) {
		t.Errorf("add into any: %#v, %v", v, err)
	}
}

func TestTypedCallErrors(t *testing.T) {
	ctx := context.Background()
	inst := instantiateCalc(t)
	type noNote struct {
		Name string
		Tags []string
	}
	for _, tc := range []struct {
		call func() error
		want string
	}{
		{func() error { _, err := linker.Call[int](ctx, export(t, inst, "add"), 1); return err }, "takes 2 arguments, got 1"},
		{func() error { _, err := linker.Call[int](ctx, export(t, inst, "add"), 1, "2"); return err }, "argument b: to value s32: want s32, got string"},
		{func() error { _, err := linker.Call[int](ctx, export(t, inst, "add"), 1, int64(1)<<40); return err }, "argument b: to value s32: 1099511627776 is out of range for s32"},
		{func() error { _, err := linker.Call[int8](ctx, export(t, inst, "add"), 100, 100); return err }, "result: from value s32: s32 200 does not fit in int8"},
		{func() error { _, err := linker.Call[string](ctx, export(t, inst, "add"), 1, 2); return err }, "result: from value s32: cannot hold s32 in string"},
		{func() error { _, err := linker.Call[entry](ctx, export(t, inst, "echo"), noNote{}); return err }, "argument e: to value record: linker_test.noNote has no field for WIT field note"},
		{func() error {
			_, err := linker.Call[stats](ctx, export(t, inst, "summarize"), []string{"x"})
			return err
		}, "argument xs: to value list<f64>: element: want f64, got string"},
	} {
		err := tc.call()
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
}

// point is the Go form of wasmhive:test/types's point.
type point struct {
	X, Y  int32
	Label string
}

// TestDefineFunc implements types.wasm's host imports as typed Go functions.
func TestDefineFunc(t *testing.T) {
	ctx := context.Background()
	rt := newRuntime(t)
	c := compileFile(t, rt, "../../testdata/components/types.wasm")
	l := linker.New()
	hi := l.Instance("wasmhive:test/host@0.1.0")
	var logs []string
	blobs := map[uint32][]byte{}
	var dropped []uint32
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(linker.DefineFunc(hi, "log", func(_ context.Context, msg string) { logs = append(logs, msg) }))
	must(linker.DefineFunc(hi, "get-point", func(context.Context) (point, error) { return point{-7, 9, "host"}, nil }))
	hi.Resource("blob", func(_ context.Context, _ *linker.Instance, rep uint32) error {
		dropped = append(dropped, rep)
		delete(blobs, rep)
		return nil
	})
	must(linker.DefineFunc(hi, "[constructor]blob", func(_ context.Context, inst *linker.Instance, data []byte) canonical.Own {
		if inst == nil {
			panic("no instance")
		}
		blobs[1] = data
		return canonical.Own{Rep: 1}
	}))
	must(linker.DefineFunc(hi, "[method]blob.size", func(_ context.Context, b canonical.Borrow) uint64 { return uint64(len(blobs[b.Rep])) }))
	must(linker.DefineFunc(hi, "check", func(_ context.Context, b canonical.Borrow) (bool, error) {
		_, ok := blobs[b.Rep]
		return ok, nil
	}))
	inst, err := l.Instantiate(ctx, c, engine.InstanceConfig{})
	must(err)
	defer inst.Close(ctx)

	describe := export(t, inst, typesIface, "describe")
	got, err := linker.Call[string](ctx, describe, point{1, -2, "héllo"}, "blue", []string{"read", "exec"})
	if want := "héllo|1,-2|c2|f5|h-7,9,host|b6,1"; err != nil || got != want {
		t.Errorf("describe = %q, %v; want %q", got, err, want)
	}
	if !reflect.DeepEqual(logs, []string{"héllo"}) || !reflect.DeepEqual(dropped, []uint32{1}) {
		t.Errorf("logs %q, dropped %v", logs, dropped)
	}

	// types.wasm's other exports, typed.
	split, err := linker.Call[[]string](ctx, export(t, inst, typesIface, "split"), "a,,b")
	if err != nil || !reflect.DeepEqual(split, []string{"a", "", "b"}) {
		t.Errorf("split = %q, %v", split, err)
	}
	maybe, err := linker.Call[canonical.ResultOf[uint32, string]](ctx, export(t, inst, typesIface, "maybe"), (*uint32)(nil))
	if err != nil || maybe != canonical.ErrOf[uint32]("none") {
		t.Errorf("maybe(none) = %+v, %v", maybe, err)
	}
	type pair struct {
		A uint8
		B int64
	}
	pr, err := linker.Call[pair](ctx, export(t, inst, typesIface, "pair"), pair{255, -4})
	if err != nil || pr != (pair{0, -8}) {
		t.Errorf("pair = %+v, %v", pr, err)
	}
	area, err := linker.Call[float64](ctx, export(t, inst, typesIface, "area"), canonical.Variant{Case: 1, Value: point{3, -5, "r"}})
	if err != nil || area != -15 {
		t.Errorf("area = %v, %v", area, err)
	}
	// variant shape { circle(f64), rect(point), none }, as a struct.
	type shape struct {
		Circle *float64
		Rect   *point
		None   *struct{}
	}
	r := 2.0
	area, err = linker.Call[float64](ctx, export(t, inst, typesIface, "area"), shape{Circle: &r})
	if err != nil || math.Abs(area-3.14159*4) > 1e-9 {
		t.Errorf("area(circle) = %v, %v", area, err)
	}
}

// TestDefineFuncErrors: a Go function of the wrong shape is refused when
// defined; one of the wrong types traps the call with a one-line error.
func TestDefineFuncErrors(t *testing.T) {
	hi := linker.New().Instance("x:y/z@0.1.0")
	for _, tc := range []struct {
		fn   any
		want string
	}{
		{"str", "x:y/z@0.1.0#f: string is not a function"},
		{nil, "x:y/z@0.1.0#f: no function"},
		{(func(context.Context))(nil), "is not a function"},
		{func(int) {}, "does not take a context.Context first"},
		{func(context.Context, ...int) {}, "does not take a context.Context first"},
		{func(context.Context) (int, int) { return 0, 0 }, "a second result must be an error"},
		{func(context.Context) (int, int, error) { return 0, 0, nil }, "has more than a result and an error"},
	} {
		if err := linker.DefineFunc(hi, "f", tc.fn); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("DefineFunc(%T) = %v, want %q", tc.fn, err, tc.want)
		}
	}

	ctx := context.Background()
	c := compileFile(t, newRuntime(t), "../../testdata/components/types.wasm")
	for name, tc := range map[string]struct {
		log, point any
		want       string
	}{
		"argument type":  {func(context.Context, int) {}, nil, "wasmhive:test/host@0.1.0#log: argument msg: from value string: cannot hold string in int"},
		"argument count": {func(context.Context, string, string) {}, nil, "wasmhive:test/host@0.1.0#log: the Go function takes 2 arguments, the import 1"},
		"extra result":   {func(context.Context, string) int { return 0 }, nil, "the Go function returns a value, the import none"},
		"result type":    {func(context.Context, string) {}, func(context.Context) string { return "" }, "wasmhive:test/host@0.1.0#get-point: result: to value record { x: s32, y: s32, label: string }: want record { x: s32, y: s32, label: string }, got string"},
		"host error":     {func(context.Context, string) error { return errors.New("log is full") }, nil, "log is full"},
	} {
		t.Run(name, func(t *testing.T) {
			l := linker.New()
			(&testHost{blobs: map[uint32][]byte{}}).define(l)
			hi := l.Instance("wasmhive:test/host@0.1.0")
			if err := linker.DefineFunc(hi, "log", tc.log); err != nil {
				t.Fatal(err)
			}
			if tc.point != nil {
				if err := linker.DefineFunc(hi, "get-point", tc.point); err != nil {
					t.Fatal(err)
				}
			}
			inst, err := l.Instantiate(ctx, c, engine.InstanceConfig{})
			if err != nil {
				t.Fatal(err)
			}
			defer inst.Close(ctx)
			_, err = linker.Call[string](ctx, export(t, inst, typesIface, "describe"), point{}, 0, 0)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// BenchmarkTypedCall calls echo with a Go struct (Call, and a TypedFunc),
// against the same call with the dynamic value.
func BenchmarkTypedCall(b *testing.B) {
	ctx := context.Background()
	inst := instantiateCalc(b)
	echo := export(b, inst, "echo")
	e := entry{Name: "content-type", Tags: []string{"gzip", "deflate", "br", "zstd"}, Note: "application/json"}
	b.Run("typed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := linker.Call[entry](ctx, echo, e); err != nil {
				b.Fatal(err)
			}
		}
	})
	tf, err := linker.Typed[entry, entry](echo)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("TypedFunc", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tf.Call(ctx, e); err != nil {
				b.Fatal(err)
			}
		}
	})
	d := canonical.Record{e.Name, canonical.List{"gzip", "deflate", "br", "zstd"}, e.Note}
	b.Run("dynamic", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := echo.Call(ctx, d); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestTypedFunc calls calc's exports through TypedFuncs: Go values in and
// out without dynamic values, as Call gives them.
func TestTypedFunc(t *testing.T) {
	ctx := context.Background()
	inst := instantiateCalc(t)

	add, err := linker.Typed[struct{ A, B int32 }, int32](export(t, inst, "add"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := add.Call(ctx, struct{ A, B int32 }{40, 2}); err != nil || got != 42 {
		t.Errorf("add = %d, %v", got, err)
	}
	echo, err := linker.Typed[entry, entry](export(t, inst, "echo"))
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []entry{
		{Name: "n", Tags: []string{"a", "béta", ""}, Note: "note"},
		{Name: strings.Repeat("ü", 100), Tags: []string{}, Note: ""},
	} {
		got, err := echo.Call(ctx, in)
		want, werr := linker.Call[entry](ctx, export(t, inst, "echo"), in)
		if err != nil || werr != nil || !reflect.DeepEqual(got, in) || !reflect.DeepEqual(got, want) {
			t.Errorf("echo = %+v, %v; Call gives %+v, %v", got, err, want, werr)
		}
	}
	summarize, err := linker.Typed[[]float64, stats](export(t, inst, "summarize"))
	if err != nil {
		t.Fatal(err)
	}
	if s, err := summarize.Call(ctx, []float64{1.5, 4, -2}); err != nil || s.Count != 3 || s.Sum != 3.5 || s.Max == nil || *s.Max != 4 {
		t.Errorf("summarize = %+v, %v", s, err)
	}
	parse, err := linker.Typed[string, canonical.ResultOf[uint32, string]](export(t, inst, "parse-u32"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := parse.Call(ctx, "12x"); err != nil || got != canonical.ErrOf[uint32]("not a digit: x") {
		t.Errorf("parse-u32(12x) = %+v, %v", got, err)
	}
	spin, err := linker.Typed[struct{}, struct{}](export(t, inst, "spin"))
	if err != nil {
		t.Fatal(err)
	}
	tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := spin.Call(tctx, struct{}{}); !errors.Is(err, engine.ErrTimeout) {
		t.Errorf("spin with a deadline: %v, want ErrTimeout", err)
	}
	if _, err := echo.Call(ctx, entry{}); err == nil {
		t.Error("a call after a timeout: no error")
	}
}

// TestTypedFuncErrors: types that do not match fail at Typed, values
// that do not convert or lower fail the call, with one line each.
func TestTypedFuncErrors(t *testing.T) {
	ctx := context.Background()
	inst := instantiateCalc(t)
	for _, tc := range []struct {
		err  func() error
		want string
	}{
		{func() error { _, err := linker.Typed[int32, int32](export(t, inst, "add")); return err }, "add: bind: func(a: s32, b: s32) -> s32 takes 2 parameters: want a struct"},
		{func() error { _, err := linker.Typed[int32, int32](nil); return err }, "no function (nil *Func)"},
		{func() error { _, err := linker.Typed[struct{ A, C int32 }, int32](export(t, inst, "add")); return err }, "has no field for WIT parameter b"},
		{func() error { _, err := linker.Typed[struct{ A, B int32 }, string](export(t, inst, "add")); return err }, "result: cannot hold s32 in string"},
		{func() error { _, err := linker.Typed[[]string, stats](export(t, inst, "summarize")); return err }, "argument xs: element: want f64, got string"},
		{func() error {
			f, err := linker.Typed[struct{ A, B int }, int8](export(t, inst, "add"))
			if err != nil {
				return err
			}
			_, err = f.Call(ctx, struct{ A, B int }{1, 1 << 40})
			return err
		}, "add: argument b: to value s32: 1099511627776 is out of range for s32"},
		{func() error {
			f, err := linker.Typed[struct{ A, B int32 }, int8](export(t, inst, "add"))
			if err != nil {
				return err
			}
			_, err = f.Call(ctx, struct{ A, B int32 }{100, 100})
			return err
		}, "add: result: from value s32: s32 200 does not fit in int8"},
		{func() error {
			f, err := linker.Typed[string, string](export(t, inst, "greet"))
			if err != nil {
				return err
			}
			_, err = f.Call(ctx, "bad \xff")
			return err
		}, "greet: lower string: the Go string is not valid UTF-8"},
	} {
		err := tc.err()
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
}

// TestTypedFuncHost: an export that is the host's own function (the
// component re-exports its import) is called with the arguments in
// their dynamic forms.
func TestTypedFuncHost(t *testing.T) {
	ctx := context.Background()
	c := compileFile(t, newRuntime(t), "../../testdata/components/reexport.wasm")
	l := linker.New()
	h := l.Instance("wasmhive:test/host@0.1.0")
	if err := linker.DefineFunc(h, "add", func(_ context.Context, a, b int32) int32 { return a + b }); err != nil {
		t.Fatal(err)
	}
	if err := linker.DefineFunc(h, "greet", func(_ context.Context, name string) (string, error) {
		if name == "" {
			return "", errors.New("no name")
		}
		return "hi " + name, nil
	}); err != nil {
		t.Fatal(err)
	}
	inst, err := l.Instantiate(ctx, c, engine.InstanceConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close(ctx)
	add, err := linker.Typed[struct{ A, B int32 }, int64](export(t, inst, "add"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := add.Call(ctx, struct{ A, B int32 }{40, 2}); err != nil || got != 42 {
		t.Errorf("add = %d, %v", got, err)
	}
	greet, err := linker.Typed[string, string](export(t, inst, "greet"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := greet.Call(ctx, "ada"); err != nil || got != "hi ada" {
		t.Errorf("greet = %q, %v", got, err)
	}
	if _, err := greet.Call(ctx, ""); err == nil || err.Error() != "no name" {
		t.Errorf("greet(\"\") = %v, want the host's error", err)
	}
	inst.Close(ctx)
	if _, err := greet.Call(ctx, "ada"); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("after Close: %v", err)
	}
}
