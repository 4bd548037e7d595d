package canonical

import (
	"context"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive/component"
)

// TestLiftedValuesKept lifts many values whose strings and slices share
// the instance's chunks (small and large strings, records, lists,
// list<u8>), keeps them across garbage collections and later calls, and
// checks each is still what was lowered, through type assertions,
// reflection and formatting.
func TestLiftedValuesKept(t *testing.T) {
	g := newGuest(t)
	ctx := context.Background()
	s := prim(component.String)
	f, err := NewFunc(fn(nil, record(s, list(s), list(prim(component.U8)))), g.opts(component.UTF8))
	if err != nil {
		t.Fatal(err)
	}
	inst := NewInstance()
	want := func(i int) Value {
		long := strings.Repeat("x", 100+i%50)
		return Record{strings.Repeat("é", i%9), List{"a", long, "", strings.Repeat("b", i%70)}, []byte(long[:i%5])}
	}
	var kept []Value
	for i := range 2000 {
		if i%500 == 0 {
			g.reset(t)
		}
		c := inst.BeginExport()
		flat, err := f.LowerArgs(ctx, c, []Value{want(i)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ic := inst.BeginImport()
		out, err := f.LiftArgs(ctx, ic, flat, nil)
		if err != nil {
			t.Fatal(err)
		}
		ic.End()
		c.End()
		kept = append(kept, out[0])
		if i%300 == 0 {
			runtime.GC()
		}
	}
	runtime.GC()
	runtime.GC()
	for i, v := range kept {
		w := want(i)
		if !reflect.DeepEqual(v, w) || !same(v, w) {
			t.Fatalf("value %d is now %#v, want %#v", i, v, w)
		}
		r := v.(Record)
		if s, ok := r[1].(List)[1].(string); !ok || len(s) != 100+i%50 {
			t.Fatalf("value %d: long string %q", i, s)
		}
		if b := r[2].([]byte); len(b) != i%5 {
			t.Fatalf("value %d: bytes %q", i, b)
		}
	}
	// A lifted list or record is the caller's: appending to it reaches no
	// other value.
	r := kept[0].(Record)
	_ = append(r, "extra")
	l := r[1].(List)
	_ = append(l, "extra")
	if !reflect.DeepEqual(kept[1], want(1)) {
		t.Fatalf("appending to one value changed the next: %#v", kept[1])
	}
}
