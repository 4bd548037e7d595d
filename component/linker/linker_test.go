package linker_test

import (
	"context"
	"errors"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/engine"
)

const typesIface = "wasmhive:test/types@0.1.0"

// testHost defines wasmhive:test/host for types.wasm: a log, a point, and
// a blob resource whose representations index blobs.
type testHost struct {
	logs    []string
	blobs   map[uint32][]byte
	next    uint32
	dropped []uint32
}

func (h *testHost) define(l *linker.Linker) {
	hi := l.Instance("wasmhive:test/host@0.1.0")
	hi.Func("log", func(_ context.Context, _ *linker.Instance, args []canonical.Value) (canonical.Value, error) {
		h.logs = append(h.logs, args[0].(string))
		return nil, nil
	})
	hi.Func("get-point", func(context.Context, *linker.Instance, []canonical.Value) (canonical.Value, error) {
		return canonical.Record{int32(-7), int32(9), "host"}, nil
	})
	hi.Resource("blob", func(_ context.Context, _ *linker.Instance, rep uint32) error {
		h.dropped = append(h.dropped, rep)
		delete(h.blobs, rep)
		return nil
	})
	hi.Func("[constructor]blob", func(_ context.Context, _ *linker.Instance, args []canonical.Value) (canonical.Value, error) {
		h.next++
		h.blobs[h.next] = append([]byte(nil), args[0].([]byte)...)
		return canonical.Own{Rep: h.next}, nil
	})
	hi.Func("[method]blob.size", func(_ context.Context, _ *linker.Instance, args []canonical.Value) (canonical.Value, error) {
		return uint64(len(h.blobs[args[0].(canonical.Borrow).Rep])), nil
	})
	hi.Func("check", func(_ context.Context, _ *linker.Instance, args []canonical.Value) (canonical.Value, error) {
		_, ok := h.blobs[args[0].(canonical.Borrow).Rep]
		return ok, nil
	})
}

func newRuntime(t testing.TB) *engine.Runtime {
	t.Helper()
	rt, err := engine.NewRuntime(context.Background(), engine.Config{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(context.Background()) })
	return rt
}

func compileFile(t testing.TB, rt *engine.Runtime, path string) *linker.Component {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := linker.Compile(context.Background(), rt, path, b)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func instantiateTypes(t testing.TB) (*linker.Instance, *testHost) {
	t.Helper()
	ctx := context.Background()
	rt := newRuntime(t)
	c := compileFile(t, rt, "../../testdata/components/types.wasm")
	l := linker.New()
	h := &testHost{blobs: map[uint32][]byte{}}
	h.define(l)
	inst, err := l.Instantiate(ctx, c, engine.InstanceConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close(ctx) })
	return inst, h
}

func call(t *testing.T, inst *linker.Instance, fn string, args ...canonical.Value) canonical.Value {
	t.Helper()
	f, err := inst.Func(typesIface, fn)
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.Call(context.Background(), args...)
	if err != nil {
		t.Fatalf("%s: %v", fn, err)
	}
	return v
}

func TestTypesComponent(t *testing.T) {
	inst, h := instantiateTypes(t)

	if got := call(t, inst, "area", canonical.Variant{Case: 0, Value: float64(2)}); math.Abs(got.(float64)-3.14159*4) > 1e-9 {
		t.Errorf("area(circle(2)) = %v", got)
	}
	if got := call(t, inst, "area", canonical.Variant{Case: 1, Value: canonical.Record{int32(3), int32(-5), "r"}}); got != float64(-15) {
		t.Errorf("area(rect(3, -5)) = %v", got)
	}
	if got := call(t, inst, "area", canonical.Variant{Case: 2}); got != float64(0) {
		t.Errorf("area(none) = %v", got)
	}

	got := call(t, inst, "describe", canonical.Record{int32(1), int32(-2), "héllo"}, canonical.Enum(2), canonical.Flags(5))
	if want := "héllo|1,-2|c2|f5|h-7,9,host|b6,1"; got != want {
		t.Errorf("describe = %q, want %q", got, want)
	}
	if !reflect.DeepEqual(h.logs, []string{"héllo"}) {
		t.Errorf("host log = %q", h.logs)
	}
	if len(h.blobs) != 0 || !reflect.DeepEqual(h.dropped, []uint32{1}) {
		t.Errorf("blob not dropped: blobs %v, dropped %v", h.blobs, h.dropped)
	}

	if got := call(t, inst, "split", "a,,bc,"); !reflect.DeepEqual(got, canonical.List{"a", "", "bc", ""}) {
		t.Errorf("split = %#v", got)
	}
	if got := call(t, inst, "maybe", canonical.Some(uint32(21))); got != canonical.OK(uint32(42)) {
		t.Errorf("maybe(some(21)) = %#v", got)
	}
	if got := call(t, inst, "maybe", canonical.None); got != canonical.Err("none") {
		t.Errorf("maybe(none) = %#v", got)
	}
	if got := call(t, inst, "pair", canonical.Tuple{uint8(255), int64(-4)}); !reflect.DeepEqual(got, canonical.Tuple{uint8(0), int64(-8)}) {
		t.Errorf("pair = %#v", got)
	}
}

func TestExportedResource(t *testing.T) {
	inst, _ := instantiateTypes(t)
	c := call(t, inst, "[constructor]counter", uint32(10))
	own, ok := c.(canonical.Own)
	if !ok {
		t.Fatalf("constructor returned %#v", c)
	}
	if got := call(t, inst, "[method]counter.incr", canonical.Borrow{Rep: own.Rep}, uint32(5)); got != uint32(15) {
		t.Errorf("incr = %v", got)
	}
	if got := call(t, inst, "[method]counter.value", canonical.Borrow{Rep: own.Rep}); got != uint32(15) {
		t.Errorf("value = %v", got)
	}
	if _, ok := call(t, inst, "[static]counter.make").(canonical.Own); !ok {
		t.Error("make returned no handle")
	}
}

func TestMissingImport(t *testing.T) {
	ctx := context.Background()
	rt := newRuntime(t)
	c := compileFile(t, rt, "../../testdata/components/types.wasm")
	_, err := linker.New().Instantiate(ctx, c, engine.InstanceConfig{})
	var ie *linker.ImportError
	if !errors.As(err, &ie) || ie.Import != "wasmhive:test/host@0.1.0" || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v", err)
	}
	l := linker.New()
	l.Instance("wasmhive:test/host@0.1.5").Func("log", nil) // compatible version, missing the rest
	_, err = l.Instantiate(ctx, c, engine.InstanceConfig{})
	if !errors.As(err, &ie) || ie.Name == "" {
		t.Fatalf("err = %v", err)
	}
	t.Log(err)
}

func TestUnknownExport(t *testing.T) {
	inst, _ := instantiateTypes(t)
	_, err := inst.Func(typesIface, "nope")
	var ee *linker.ExportError
	if !errors.As(err, &ee) {
		t.Fatalf("err = %v", err)
	}
	// A compatible version of the exported interface finds it.
	if _, err := inst.Func("wasmhive:test/types@0.1.9", "pair"); err != nil {
		t.Fatal(err)
	}
	if _, err := inst.Func("wasmhive:test/types@0.2.0", "pair"); err == nil {
		t.Fatal("0.2.0 matched 0.1.0")
	}
}
