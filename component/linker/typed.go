package linker

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component"
)

// Call calls f with arguments and a result in Go forms: each argument is
// converted to its parameter's type with canonical.ToValue (any Go form of
// the type, or its dynamic form), and the result into an R with
// canonical.FromValue (see canonical.ToValue for the mapping; R may be
// canonical.Value, or any, for the dynamic form). For a function without
// result, R's zero value is returned.
func Call[R any](ctx context.Context, f *Func, args ...any) (R, error) {
	var r R
	if len(args) != len(f.typ.Params) {
		return r, fmt.Errorf("%s: takes %d arguments, got %d", f.name, len(f.typ.Params), len(args))
	}
	vals := make([]canonical.Value, len(args))
	for i, a := range args {
		p := f.typ.Params[i]
		v, err := canonical.ToValue(a, p.Type)
		if err != nil {
			return r, fmt.Errorf("%s: argument %s: %w", f.name, p.Name, err)
		}
		vals[i] = v
	}
	v, err := f.Call(ctx, vals...)
	if err != nil || f.typ.Result == nil {
		return r, err
	}
	if err := canonical.FromValue(v, f.typ.Result, &r); err != nil {
		return r, fmt.Errorf("%s: result: %w", f.name, err)
	}
	return r, nil
}

// TypedFunc is an export bound to Go types, for calls without dynamic
// values in between: P holds its parameters and R its result, in the Go
// forms canonical.ToValue describes. P is the Go form of the parameter
// when the function has exactly one; otherwise a struct whose exported
// fields are the parameters, matched by name as a record's fields are
// (struct{} for none). Like the Func, it runs one call at a time.
type TypedFunc[P, R any] struct {
	f *Func
	t *canonical.Typed[P, R]
	// p and r hold a call's arguments and result while it moves them, so
	// that neither is allocated per call (a call's own P and R would be:
	// they are handed to code that may keep a pointer).
	p *P
	r *R
}

// Typed binds f to Go types P and R (see TypedFunc); it fails with a
// one-line error when they do not match f's type.
func Typed[P, R any](f *Func) (*TypedFunc[P, R], error) {
	if f == nil {
		return nil, errors.New("linker.Typed: no function (nil *Func)")
	}
	t, err := canonical.NewTyped[P, R](f.typ)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.name, err)
	}
	return &TypedFunc[P, R]{f: f, t: t, p: new(P), r: new(R)}, nil
}

// Call calls the function with the arguments in p and returns its result
// (R's zero value for a function without one). Errors are Func.Call's.
func (t *TypedFunc[P, R]) Call(ctx context.Context, p P) (R, error) {
	var r R
	f := t.f
	if f.inst.closed {
		return r, errClosed
	}
	var zp P
	if f.host != nil {
		*t.p = p
		args, err := t.t.Args(t.p)
		*t.p = zp
		if err != nil {
			return r, fmt.Errorf("%s: %w", f.name, err)
		}
		v, err := f.host(ctx, f.inst, args)
		if err != nil {
			return r, err
		}
		err = t.t.Result(v, t.r)
		r, *t.r = *t.r, r
		if err != nil {
			var zero R
			return zero, fmt.Errorf("%s: %w", f.name, err)
		}
		return r, nil
	}
	lf := f.lifted
	if err := lf.prepare(f); err != nil {
		return r, err
	}
	c := lf.fr.table.BeginExport()
	*t.p = p
	flat, err := t.t.LowerArgs(ctx, lf.cf, c, t.p, lf.flat[:0])
	*t.p = zp
	if err != nil {
		c.End()
		return r, fmt.Errorf("%s: %w", f.name, err)
	}
	if err := lf.invoke(ctx, c, flat); err != nil {
		return r, err
	}
	err = t.t.LiftResult(ctx, lf.cf, c, lf.post, t.r)
	r, *t.r = *t.r, r
	if err := lf.finish(ctx, f, c, err); err != nil {
		var zero R
		return zero, err
	}
	return r, nil
}

var (
	typeContext  = reflect.TypeFor[context.Context]()
	typeInstance = reflect.TypeFor[*Instance]()
	typeError    = reflect.TypeFor[error]()
)

// DefineFunc defines function name of h (as HostInstance.Func does) with
// fn, a Go function of the form
//
//	func(ctx context.Context, [inst *Instance,] params...) ([R,] [error])
//
// whose params and result are Go forms of the import's parameter and
// result types (see canonical.ToValue; a parameter of type any receives
// the dynamic value): the arguments a component passes are converted with
// canonical.FromValue, the result with canonical.ToValue. fn's shape is
// checked here. Its parameters and result are checked against the import's
// function type when a component first calls it: a mismatch traps the
// call with a one-line error, as a non-nil error from fn does.
func DefineFunc(h *HostInstance, name string, fn any) error {
	if fn == nil {
		return fmt.Errorf("%s#%s: no function", h.name, name)
	}
	rv := reflect.ValueOf(fn)
	ft := rv.Type()
	if rv.Kind() != reflect.Func || rv.IsNil() {
		return fmt.Errorf("%s#%s: %s is not a function", h.name, name, ft)
	}
	if ft.IsVariadic() || ft.NumIn() == 0 || ft.In(0) != typeContext {
		return fmt.Errorf("%s#%s: %s does not take a context.Context first", h.name, name, ft)
	}
	g := &goFunc{h: h, name: name, fn: rv, first: 1, errOut: -1}
	if ft.NumIn() > 1 && ft.In(1) == typeInstance {
		g.first, g.inst = 2, true
	}
	switch ft.NumOut() {
	case 0:
	case 1:
		if ft.Out(0) == typeError {
			g.errOut = 0
		} else {
			g.result = true
		}
	case 2:
		if ft.Out(1) != typeError {
			return fmt.Errorf("%s#%s: %s: a second result must be an error", h.name, name, ft)
		}
		g.result, g.errOut = true, 1
	default:
		return fmt.Errorf("%s#%s: %s has more than a result and an error", h.name, name, ft)
	}
	h.Func(name, g.call)
	return nil
}

// maxTypedComponents bounds the import types a goFunc remembers: past
// it, they are forgotten and found again.
const maxTypedComponents = 64

// goFunc is a Go function defined with DefineFunc.
type goFunc struct {
	h      *HostInstance
	name   string
	fn     reflect.Value
	first  int  // index of the first parameter that is a component argument
	inst   bool // fn takes the *Instance
	result bool // fn returns a value
	errOut int  // index of the error result, or -1

	mu    sync.Mutex
	types map[*Component]*component.FuncType // each calling component's import type
}

// funcType is the type component c imports the function as.
func (g *goFunc) funcType(inst *Instance) (*component.FuncType, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if ft, ok := g.types[inst.c]; ok {
		return ft, nil
	}
	var ft *component.FuncType
	for _, imp := range inst.c.bin.Imports {
		it, ok := imp.Desc.Type.(*component.InstanceType)
		if !ok || imp.Desc.Sort != component.SortInstance || inst.l.lookup(imp.Name) != g.h {
			continue
		}
		if e, ok := it.Export(g.name); ok && e.Desc.Sort == component.SortFunc {
			ft, _ = e.Desc.Type.(*component.FuncType)
			break
		}
	}
	if ft == nil {
		return nil, fmt.Errorf("%s#%s: %s does not import it", g.h.name, g.name, inst.c.name)
	}
	t := g.fn.Type()
	if n := t.NumIn() - g.first; n != len(ft.Params) {
		return nil, fmt.Errorf("%s#%s: the Go function takes %d arguments, the import %d", g.h.name, g.name, n, len(ft.Params))
	}
	if g.result != (ft.Result != nil) {
		if g.result {
			return nil, fmt.Errorf("%s#%s: the Go function returns a value, the import none", g.h.name, g.name)
		}
		return nil, fmt.Errorf("%s#%s: the Go function returns no value, the import returns %s", g.h.name, g.name, ft.Result)
	}
	if g.types == nil || len(g.types) >= maxTypedComponents {
		g.types = map[*Component]*component.FuncType{}
	}
	g.types[inst.c] = ft
	return ft, nil
}

// call is the HostFunc.
func (g *goFunc) call(ctx context.Context, inst *Instance, args []canonical.Value) (canonical.Value, error) {
	ft, err := g.funcType(inst)
	if err != nil {
		return nil, err
	}
	t := g.fn.Type()
	in := make([]reflect.Value, g.first+len(args))
	if ctx == nil {
		ctx = context.Background()
	}
	in[0] = reflect.ValueOf(&ctx).Elem()
	if g.inst {
		in[1] = reflect.ValueOf(inst)
	}
	for i, a := range args {
		p := reflect.New(t.In(g.first + i))
		if err := canonical.FromValue(a, ft.Params[i].Type, p.Interface()); err != nil {
			return nil, fmt.Errorf("%s#%s: argument %s: %w", g.h.name, g.name, ft.Params[i].Name, err)
		}
		in[g.first+i] = p.Elem()
	}
	out := g.fn.Call(in)
	if g.errOut >= 0 {
		if e := out[g.errOut].Interface(); e != nil {
			return nil, e.(error)
		}
	}
	if !g.result {
		return nil, nil
	}
	v, err := canonical.ToValue(out[0].Interface(), ft.Result)
	if err != nil {
		return nil, fmt.Errorf("%s#%s: result: %w", g.h.name, g.name, err)
	}
	return v, nil
}
