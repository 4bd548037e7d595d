package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

// TestInstantiateLinked: a main module's imports from "lib" resolve to the
// given library instance, and the same modules link any number of times in
// one runtime.
func TestInstantiateLinked(t *testing.T) {
	ctx := context.Background()
	rt := newRuntime(t, engine.Config{NoCache: true})
	lib := compileFile(t, rt, testguest.Path(t, "link/lib.wasm"))
	main := compileFile(t, rt, testguest.Path(t, "link/main.wasm"))
	for range 2 {
		l, err := rt.Instantiate(ctx, lib, engine.InstanceConfig{})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close(ctx)
		inst, err := rt.InstantiateLinked(ctx, main, engine.InstanceConfig{}, map[string]*engine.Instance{"lib": l})
		if err != nil {
			t.Fatal(err)
		}
		defer inst.Close(ctx)
		res, err := inst.Call(ctx, "run")
		if err != nil || len(res) != 1 || api.DecodeI32(res[0]) != 5 {
			t.Fatalf("run = %v, %v; want 5 (2+3 through lib.add)", res, err)
		}
	}
	// Without the library, the import has nowhere to resolve.
	var ue *engine.UnresolvedImportsError
	if _, err := rt.InstantiateLinked(ctx, main, engine.InstanceConfig{}, nil); !errors.As(err, &ue) || len(ue.Imports) != 1 || ue.Imports[0].Name != "add" {
		t.Fatalf("no library: err = %v, want lib.add unresolved", err)
	}
}

// TestInstantiateLinkedUnresolved: every import that neither the library
// nor a host provides is reported, each with why.
func TestInstantiateLinkedUnresolved(t *testing.T) {
	ctx := context.Background()
	rt := newRuntime(t, engine.Config{NoCache: true})
	lib := compileFile(t, rt, testguest.Path(t, "link/lib.wasm"))
	bad := compileFile(t, rt, testguest.Path(t, "link/unresolved.wasm"))
	l, err := rt.Instantiate(ctx, lib, engine.InstanceConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(ctx)
	_, err = rt.InstantiateLinked(ctx, bad, engine.InstanceConfig{}, map[string]*engine.Instance{"lib": l})
	var ue *engine.UnresolvedImportsError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want *UnresolvedImportsError", err)
	}
	got := map[string]string{}
	for _, imp := range ue.Imports {
		got[imp.Signature()] = imp.Available
	}
	want := map[string]string{
		"nowhere.f()":           "",
		"lib.missing()":         "library lib does not export it",
		"lib.neg(i64) -> (i64)": "library provides lib.neg(i32) -> (i32)",
	}
	if len(got) != len(want) {
		t.Fatalf("unresolved imports %v, want %v", got, want)
	}
	for sig, why := range want {
		if have, ok := got[sig]; !ok || have != why {
			t.Errorf("import %s: reported %t with %q, want %q", sig, ok, have, why)
		}
	}
}
