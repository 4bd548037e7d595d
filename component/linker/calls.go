package linker

import (
	"context"
	"errors"
	"fmt"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component"
	"github.com/wasmhive/wasmhive/engine"
)

// lifted is a core function lifted to a component function (canon lift).
type lifted struct {
	fr   *frame
	core origin
	opts component.CanonOptions
	cf   *canonical.Func  // compiled on first call, when the memory exists
	ci   *engine.Instance // the core function's instance, found on first call
	fn   *engine.Export   // the core function, found on first call
	// postInst and postFn are the post-return function, found on first call.
	postInst *engine.Instance
	postFn   *engine.Export
	flat     []uint64
	post     []uint64
}

// call calls the lifted function: lower args into the component, call the
// core function, lift its result, then post-return.
func (lf *lifted) call(ctx context.Context, f *Func, args []canonical.Value) (canonical.Value, error) {
	if err := lf.prepare(f); err != nil {
		return nil, err
	}
	c := lf.fr.table.BeginExport()
	flat, err := lf.cf.LowerArgs(ctx, c, args, lf.flat[:0])
	if err != nil {
		c.End()
		return nil, fmt.Errorf("%s: %w", f.name, err)
	}
	if err := lf.invoke(ctx, c, flat); err != nil {
		return nil, err
	}
	v, err := lf.cf.LiftResult(ctx, c, lf.post)
	if err := lf.finish(ctx, f, c, err); err != nil {
		return nil, err
	}
	return v, nil
}

// prepare compiles the function's canonical form and finds its core
// function, on its first call.
func (lf *lifted) prepare(f *Func) error {
	fr := lf.fr
	if lf.cf == nil {
		cf, err := fr.canonFunc(f.typ, lf.opts)
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		lf.cf = cf
	}
	if lf.ci == nil {
		ci := fr.core[lf.core.inst]
		if ci == nil {
			return fmt.Errorf("%s: core instance %d is not instantiated", f.name, lf.core.inst)
		}
		if lf.fn = ci.Export(lf.core.name); lf.fn == nil {
			return fmt.Errorf("%s: core instance %d exports no function %q", f.name, lf.core.inst, lf.core.name)
		}
		lf.ci = ci
	}
	return nil
}

// invoke calls the core function with the lowered arguments flat, of
// call c, and keeps its results in lf.post. On an error, c is ended.
func (lf *lifted) invoke(ctx context.Context, c *canonical.Call, flat []uint64) error {
	lf.flat = flat
	ci := lf.ci
	res, err := ci.CallExport(ctx, lf.fn, flat...)
	if err == nil && ci.Broken() {
		// The guest exited with status 0 (wasi:cli/exit) before returning:
		// the engine reports no error, and there is no result to lift.
		err = &engine.ExitError{Module: lf.fr.top.c.name, Code: 0}
	}
	if err != nil {
		c.End()
		return err
	}
	lf.post = append(lf.post[:0], res...)
	return nil
}

// finish ends call c, whose result was lifted with error err, and runs
// the post-return.
func (lf *lifted) finish(ctx context.Context, f *Func, c *canonical.Call, err error) error {
	fr := lf.fr
	if endErr := c.End(); err == nil {
		err = endErr
	}
	if err != nil {
		// The post-return never runs: the component is left mid-call.
		fr.top.poisoned = true
		return fmt.Errorf("%s: %w", f.name, err)
	}
	if lf.opts.PostReturn == nil {
		return nil
	}
	if lf.postInst == nil {
		o := fr.p.origins[0][*lf.opts.PostReturn]
		pi := fr.core[o.inst]
		if pi == nil {
			return fmt.Errorf("%s: core instance %d of its post-return is not instantiated", f.name, o.inst)
		}
		if lf.postFn = pi.Export(o.name); lf.postFn == nil {
			return fmt.Errorf("%s: core instance %d exports no post-return %q", f.name, o.inst, o.name)
		}
		lf.postInst = pi
	}
	// The result is lifted: the call is answered, and its post-return
	// (the component's cleanup) runs even when the caller has gone
	// away meanwhile (an HTTP client that took its whole response), so
	// that the instance stays usable. Its deadline still bounds it.
	pctx := ctx
	if dl, ok := ctx.Deadline(); ok && ctx.Err() == context.Canceled {
		var cancel context.CancelFunc
		pctx, cancel = context.WithDeadline(context.WithoutCancel(ctx), dl)
		defer cancel()
	}
	if _, err := lf.postInst.CallExport(pctx, lf.postFn, lf.post...); err != nil {
		fr.top.poisoned = true
		return err
	}
	return nil
}

// canonFunc compiles a function type with canonical options resolved in
// the frame: its memory, realloc and string encoding, and its resource
// types' run-time identities.
func (fr *frame) canonFunc(ft *component.FuncType, o component.CanonOptions) (*canonical.Func, error) {
	opts := canonical.Options{StringEncoding: o.StringEncoding, Resource: fr.top.runtimeResource}
	if o.Memory != nil {
		org := fr.p.origins[2][*o.Memory]
		ci := fr.core[org.inst]
		if ci == nil {
			return nil, fmt.Errorf("memory %d is not instantiated", *o.Memory)
		}
		opts.Memory = ci.Wazero().ExportedMemory(org.name)
		if opts.Memory == nil {
			return nil, fmt.Errorf("core instance %d exports no memory %q", org.inst, org.name)
		}
	}
	if o.Realloc != nil {
		fn, err := fr.coreFunc(*o.Realloc)
		if err != nil {
			return nil, err
		}
		stack := make([]uint64, 4)
		opts.Realloc = func(ctx context.Context, oldPtr, oldSize, align, newSize uint32) (uint32, error) {
			stack[0], stack[1], stack[2], stack[3] = uint64(oldPtr), uint64(oldSize), uint64(align), uint64(newSize)
			if err := fn.CallWithStack(ctx, stack); err != nil {
				return 0, err
			}
			return uint32(stack[0]), nil
		}
	}
	return canonical.NewFunc(ft, opts)
}

// coreFunc is the api.Function of core function idx.
func (fr *frame) coreFunc(idx uint32) (api.Function, error) {
	if fn, ok := fr.coreFuncs[int(idx)]; ok {
		return fn, nil
	}
	o := fr.p.origins[0][idx]
	var mod api.Module
	if o.inst == hostOrigin {
		mod = fr.host.Wazero()
	} else if ci := fr.core[o.inst]; ci != nil {
		mod = ci.Wazero()
	}
	if mod == nil {
		return nil, fmt.Errorf("core func %d: its instance is not instantiated", idx)
	}
	fn := mod.ExportedFunction(o.name)
	if fn == nil {
		return nil, fmt.Errorf("core func %d: no export %q", idx, o.name)
	}
	fr.coreFuncs[int(idx)] = fn
	return fn, nil
}

// lowered is the state of one canon lower in a frame.
type lowered struct {
	cf   *canonical.Func
	args []canonical.Value
	res  []uint64
}

// hostCall runs one of the frame's own core functions: a lowered
// component function, or a resource built-in.
func (fr *frame) hostCall(ctx context.Context, hf *hostFunc, stack []uint64) error {
	cn := hf.canon
	bc := fr.p.c
	switch cn.Kind {
	case component.CanonLower:
		target := fr.funcs[cn.Func]
		lw := fr.lowers[hf.index]
		if lw == nil {
			cf, err := fr.canonFunc(bc.Spaces.Funcs[cn.Func], cn.Options)
			if err != nil {
				return fmt.Errorf("%s: %w", target.name, err)
			}
			lw = &lowered{cf: cf}
			fr.lowers[hf.index] = lw
		}
		nparams := len(hf.typ.Params)
		c := fr.table.BeginImport()
		args, err := lw.cf.LiftArgs(ctx, c, stack[:nparams], lw.args[:0])
		if err != nil {
			c.End()
			return fmt.Errorf("%s: %w", target.name, err)
		}
		v, err := target.call(ctx, args)
		clear(args)
		if err != nil {
			c.End()
			return err
		}
		res, err := lw.cf.LowerResult(ctx, c, v, stack[:nparams], lw.res[:0])
		if endErr := c.End(); err == nil {
			err = endErr
		}
		if err != nil {
			return fmt.Errorf("%s: %w", target.name, err)
		}
		copy(stack, res)
		lw.res = res
		return nil
	case component.CanonResourceNew, component.CanonResourceDrop, component.CanonResourceRep:
		st, _ := bc.Spaces.Types[cn.Type].(*component.ResourceType)
		rt, err := fr.top.runtimeResource(st)
		if err != nil {
			return err
		}
		h := uint32(stack[0])
		switch cn.Kind {
		case component.CanonResourceNew:
			i, err := fr.table.ResourceNew(rt, h)
			stack[0] = uint64(i)
			return err
		case component.CanonResourceRep:
			rep, err := fr.table.ResourceRep(rt, h)
			stack[0] = uint64(rep)
			return err
		default:
			return fr.table.ResourceDrop(ctx, rt, h)
		}
	}
	return fmt.Errorf("canon %d is not supported", cn.Kind)
}

// hostPanic is what a host function panics with to end the guest's call
// with err: an exit, a timeout or cancellation as wazero's exit error
// (which the engine turns into its typed errors), anything else as it is.
func hostPanic(err error) any {
	var exit *engine.ExitError
	switch {
	case errors.As(err, &exit):
		return sys.NewExitError(exit.Code)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, engine.ErrTimeout):
		return sys.NewExitError(sys.ExitCodeDeadlineExceeded)
	case errors.Is(err, context.Canceled), errors.Is(err, engine.ErrCanceled):
		return sys.NewExitError(sys.ExitCodeContextCanceled)
	}
	return err
}

// bind records rt's run-time identity.
func (inst *Instance) bind(rt *component.ResourceType, r *canonical.ResourceType) {
	inst.resources[rt.Root()] = r
}

// resource returns rt's run-time identity, or nil.
func (inst *Instance) resource(rt *component.ResourceType) *canonical.ResourceType {
	return inst.resources[rt.Root()]
}

// runtimeResource is canonical.Options.Resource.
func (inst *Instance) runtimeResource(rt *component.ResourceType) (*canonical.ResourceType, error) {
	if rt == nil {
		return nil, errors.New("not a resource type")
	}
	if r := inst.resource(rt); r != nil {
		return r, nil
	}
	name := rt.Name
	if name == "" {
		name = "resource"
	}
	return nil, fmt.Errorf("resource type %s is not bound to an implementation", name)
}

// hostResource is the run-time identity, in this instance, of resource
// type name that host instance h defines.
func (inst *Instance) hostResource(h *HostInstance, name string, drop DropFunc) *canonical.ResourceType {
	r := &canonical.ResourceType{Name: name}
	if drop != nil {
		r.Dtor = func(ctx context.Context, rep uint32) error { return drop(ctx, inst, rep) }
	}
	return r
}

// definedResource is the run-time identity of a resource type the frame's
// component defines.
func (fr *frame) definedResource(rt *component.ResourceType) *canonical.ResourceType {
	r := &canonical.ResourceType{Name: rt.Name, Impl: fr.table}
	if rt.Dtor != nil {
		idx := *rt.Dtor
		r.Dtor = func(ctx context.Context, rep uint32) error {
			fn, err := fr.coreFunc(idx)
			if err != nil {
				return err
			}
			return fn.CallWithStack(ctx, []uint64{uint64(rep)})
		}
	}
	return r
}
