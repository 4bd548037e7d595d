package wasip2

import (
	"context"
	"errors"
	"testing"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/engine"
)

// table records what define registers, so that tests call the very host
// functions a Linker gets.
type table struct {
	funcs map[string]linker.HostFunc
	drops map[string]linker.DropFunc
}

func (t *table) fn(iface, name string, f linker.HostFunc) {
	t.funcs[iface+"#"+name] = f
}

func (t *table) resource(iface, name string, drop linker.DropFunc) {
	t.drops[iface+"#"+name] = drop
}

func newTable() *table {
	t := &table{funcs: map[string]linker.HostFunc{}, drops: map[string]linker.DropFunc{}}
	define(t)
	return t
}

// env is one instance with its State and the bound host functions.
type env struct {
	t    *testing.T
	tab  *table
	inst *linker.Instance
	s    *State
}

func newEnv(t *testing.T, cfg engine.InstanceConfig) *env {
	t.Helper()
	inst := new(linker.Instance)
	*inst.Config() = cfg
	s, err := NewState(inst.Config())
	if err != nil {
		t.Fatal(err)
	}
	stateKey.Set(inst.Config(), s)
	t.Cleanup(func() { s.Close() })
	return &env{t: t, tab: newTable(), inst: inst, s: s}
}

// callCtx calls function name ("wasi:io/streams#[method]output-stream.write",
// version added) and returns its result or error.
func (e *env) callCtx(ctx context.Context, name string, args ...canonical.Value) (canonical.Value, error) {
	e.t.Helper()
	iface, fn := splitName(name)
	f := e.tab.funcs[iface+"@"+Version+"#"+fn]
	if f == nil {
		e.t.Fatalf("%s is not defined", name)
	}
	return f(ctx, e.inst, args)
}

// call calls name and fails the test when it traps.
func (e *env) call(name string, args ...canonical.Value) canonical.Value {
	e.t.Helper()
	v, err := e.callCtx(context.Background(), name, args...)
	if err != nil {
		e.t.Fatalf("%s: %v", name, err)
	}
	return v
}

func (e *env) drop(name string, rep uint32) error {
	e.t.Helper()
	iface, res := splitName(name)
	d := e.tab.drops[iface+"@"+Version+"#"+res]
	if d == nil {
		e.t.Fatalf("resource %s is not defined", name)
	}
	return d(context.Background(), e.inst, rep)
}

func splitName(name string) (string, string) {
	for i := 0; i < len(name); i++ {
		if name[i] == '#' {
			return name[:i], name[i+1:]
		}
	}
	return name, ""
}

// ok unwraps a result's ok payload, failing on err.
func (e *env) ok(v canonical.Value) canonical.Value {
	e.t.Helper()
	r, isResult := v.(canonical.Result)
	if !isResult {
		e.t.Fatalf("not a result: %#v", v)
	}
	if r.Err {
		if c, isEnum := r.Value.(canonical.Enum); isEnum {
			e.t.Fatalf("error-code %s", ErrorCode(c))
		}
		e.t.Fatalf("error %#v", r.Value)
	}
	return r.Value
}

// code returns the error-code of an err result, failing on ok.
func (e *env) code(v canonical.Value) ErrorCode {
	e.t.Helper()
	r, isResult := v.(canonical.Result)
	if !isResult || !r.Err {
		e.t.Fatalf("want an error-code, got %#v", v)
	}
	c, isEnum := r.Value.(canonical.Enum)
	if !isEnum {
		e.t.Fatalf("error is %#v, not an error-code", r.Value)
	}
	return ErrorCode(c)
}

func (e *env) wantCode(want ErrorCode, v canonical.Value) {
	e.t.Helper()
	if got := e.code(v); got != want {
		e.t.Fatalf("error-code %s, want %s", got, want)
	}
}

func rep(v canonical.Value) uint32 {
	switch h := v.(type) {
	case canonical.Own:
		return h.Rep
	case canonical.Borrow:
		return h.Rep
	}
	panic("not a handle")
}

func isExit(err error, code uint32) bool {
	var ee *engine.ExitError
	return errors.As(err, &ee) && ee.Code == code
}
