package canonical

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/wasmhive/wasmhive/component"
)

func TestHandleTable(t *testing.T) {
	ctx := context.Background()
	inst := NewInstance()
	var dropped []uint32
	rt := &ResourceType{Name: "file", Impl: inst, Dtor: func(_ context.Context, rep uint32) error {
		dropped = append(dropped, rep)
		return nil
	}}
	other := &ResourceType{Name: "socket"}
	var idx []uint32
	for rep := uint32(100); rep < 104; rep++ {
		i, err := inst.ResourceNew(rt, rep)
		if err != nil {
			t.Fatal(err)
		}
		idx = append(idx, i)
	}
	if !reflect.DeepEqual(idx, []uint32{1, 2, 3, 4}) {
		t.Fatalf("indices %v: index 0 is reserved", idx)
	}
	if rep, err := inst.ResourceRep(rt, 3); err != nil || rep != 102 {
		t.Fatalf("rep %d, %v", rep, err)
	}
	wantErr(t, func() error { _, err := inst.ResourceRep(other, 3); return err }(), "resource.rep socket: handle 3 is a file, want socket")
	wantErr(t, func() error { _, err := inst.ResourceRep(rt, 0); return err }(), "resource.rep file: handle 0 is not in the table")
	wantErr(t, func() error { _, err := inst.ResourceRep(rt, 9); return err }(), "resource.rep file: handle 9 is not in the table")
	if err := inst.ResourceDrop(ctx, rt, 2); err != nil {
		t.Fatal(err)
	}
	if err := inst.ResourceDrop(ctx, rt, 4); err != nil {
		t.Fatal(err)
	}
	wantErr(t, inst.ResourceDrop(ctx, rt, 2), "resource.drop file: handle 2 is not in the table")
	if !reflect.DeepEqual(dropped, []uint32{101, 103}) {
		t.Fatalf("destructor ran for %v", dropped)
	}
	// The free list is last in, first out.
	for _, want := range []uint32{4, 2, 5} {
		if i, _ := inst.ResourceNew(rt, 7); i != want {
			t.Fatalf("new handle %d, want %d", i, want)
		}
	}
	boom := errors.New("boom")
	rt.Dtor = func(context.Context, uint32) error { return boom }
	err := inst.ResourceDrop(ctx, rt, 1)
	wantErr(t, err, "resource.drop file: destructor of rep 100: boom")
	if !errors.Is(err, boom) {
		t.Error("destructor error not wrapped")
	}
}

func TestResources(t *testing.T) {
	g := newGuest(t)
	ctx := context.Background()
	st := &component.ResourceType{Name: "file"}
	st2 := &component.ResourceType{Name: "dir"}
	res := resolver{}
	opts := g.opts(component.UTF8)
	opts.Resource = res.resolve
	inst := NewInstance()

	// The host passes a borrow into an export: a borrow handle in the
	// guest's table, scoped to the call.
	f, err := NewFunc(fn(nil, borrow(st), own(st)), opts)
	if err != nil {
		t.Fatal(err)
	}
	rt := res[st]
	c := inst.BeginExport()
	flat, err := f.LowerArgs(ctx, c, []Value{Borrow{Rep: 7}, Own{Rep: 8}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(flat, []uint64{1, 2}) {
		t.Fatalf("handles %v", flat)
	}
	if rep, _ := inst.ResourceRep(rt, 1); rep != 7 {
		t.Fatalf("borrow rep %d", rep)
	}
	// The guest passes the borrow on to an import: it is lent for the
	// import call and cannot be dropped meanwhile.
	imp, err := NewFunc(fn(nil, borrow(st)), opts)
	if err != nil {
		t.Fatal(err)
	}
	ic := inst.BeginImport()
	args, err := imp.LiftArgs(ctx, ic, []uint64{1}, nil)
	if err != nil || !reflect.DeepEqual(args, []Value{Borrow{Rep: 7}}) {
		t.Fatalf("lift borrow: %v, %v", args, err)
	}
	wantErr(t, inst.ResourceDrop(ctx, rt, 1), "resource.drop file: handle 1 is lent to 1 calls in progress")
	// Own 2 is lent by a borrow of it, so cannot move out either.
	if _, err := imp.LiftArgs(ctx, ic, []uint64{2}, nil); err != nil {
		t.Fatal(err)
	}
	ownf, err := NewFunc(fn(nil, own(st)), opts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ownf.LiftArgs(ctx, ic, []uint64{2}, nil)
	wantErr(t, err, "lift file: handle 2 is lent to 1 calls in progress")
	if err := ic.End(); err != nil {
		t.Fatal(err)
	}
	// A borrow cannot be lifted as own; the own can now move out.
	ic = inst.BeginImport()
	_, err = ownf.LiftArgs(ctx, ic, []uint64{1}, nil)
	wantErr(t, err, "lift file: handle 1 is borrowed, not owned")
	if args, err := ownf.LiftArgs(ctx, ic, []uint64{2}, nil); err != nil || !reflect.DeepEqual(args, []Value{Own{Rep: 8}}) {
		t.Fatalf("lift own: %v, %v", args, err)
	}
	_, err = ownf.LiftArgs(ctx, ic, []uint64{2}, nil)
	wantErr(t, err, "lift file: handle 2 is not in the table")
	// Wrong resource type.
	dirf, err := NewFunc(fn(nil, borrow(st2)), opts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = dirf.LiftArgs(ctx, ic, []uint64{1}, nil)
	wantErr(t, err, "lift borrow<dir>: handle 1 is a file, want dir")
	ic.End()

	// The export returns without dropping its borrow: a trap.
	wantErr(t, c.End(), "end call: 1 borrowed handles still remain at the end of the call")
	if n := inst.NumHandles(); n != 0 {
		t.Fatalf("%d handles remain after the trap", n)
	}
	// Dropping it in time ends the borrow.
	c = inst.BeginExport()
	if _, err := f.LowerArgs(ctx, c, []Value{Borrow{Rep: 7}, Own{Rep: 8}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := inst.ResourceDrop(ctx, rt, 1); err != nil {
		t.Fatal(err)
	}
	if err := c.End(); err != nil {
		t.Fatal(err)
	}

	// A borrow of a resource the callee implements is passed as its rep.
	rt2, _ := res.resolve(st2)
	rt2.Impl = inst
	bf, err := NewFunc(fn(nil, borrow(st2)), opts)
	if err != nil {
		t.Fatal(err)
	}
	c = inst.BeginExport()
	if flat, err := bf.LowerArgs(ctx, c, []Value{Borrow{Rep: 99}}, nil); err != nil || !reflect.DeepEqual(flat, []uint64{99}) {
		t.Fatalf("own-implementation borrow: %v, %v", flat, err)
	}
	if err := c.End(); err != nil {
		t.Fatal(err)
	}

	// Borrows are not allowed in results.
	rf, err := NewFunc(fn(borrow(st)), opts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = rf.LiftResult(ctx, inst.BeginExport(), []uint64{3})
	wantErr(t, err, "lift borrow<file>: a borrow cannot be returned from a call")
	_, err = rf.LowerResult(ctx, inst.BeginImport(), Borrow{Rep: 1}, nil, nil)
	wantErr(t, err, "lower borrow<file>: a borrow cannot be returned from a call")

	// Calls end innermost first.
	inst = NewInstance()
	a := inst.BeginExport()
	b := inst.BeginImport()
	wantErr(t, a.End(), "end call: the call is not the innermost call in progress of its instance")
	if b.End() != nil || a.End() != nil {
		t.Fatal("ending in order failed")
	}
}

func TestMaxListElements(t *testing.T) {
	g := newGuest(t)
	ctx := context.Background()
	// list<list<bool>>: 2 lists of 30 elements at 0x400 and 0x500.
	g.write(t, 0x100, []byte{0, 4, 0, 0, 30, 0, 0, 0, 0, 5, 0, 0, 30, 0, 0, 0})
	vt := list(list(prim(component.Bool)))
	for _, c := range []struct {
		max int
		err string
	}{
		{0, ""},
		{-1, ""},
		{62, ""},
		{61, "lift list<bool>: 30 elements exceed the host's limit of 61 list elements per call (Options.MaxListElements)"},
		{20, "lift list<bool>: 30 elements exceed the host's limit of 20 list elements per call (Options.MaxListElements)"},
		{1, "lift list<list<bool>>: 2 elements exceed the host's limit of 1 list elements per call (Options.MaxListElements)"},
	} {
		opts := g.opts(component.UTF8)
		opts.MaxListElements = c.max
		f, err := NewFunc(fn(nil, vt), opts)
		if err != nil {
			t.Fatal(err)
		}
		args, err := f.LiftArgs(ctx, NewInstance().BeginImport(), []uint64{0x100, 2}, nil)
		if c.err == "" {
			if err != nil || len(args[0].(List)) != 2 {
				t.Errorf("max %d: %v, %v", c.max, args, err)
			}
			continue
		}
		wantErr(t, err, c.err)
	}
	// list<u8> is not counted: it lifts as []byte.
	opts := g.opts(component.UTF8)
	opts.MaxListElements = 1
	f, _ := NewFunc(fn(nil, list(prim(component.U8))), opts)
	if _, err := f.LiftArgs(ctx, NewInstance().BeginImport(), []uint64{0, 1000}, nil); err != nil {
		t.Error(err)
	}
}
