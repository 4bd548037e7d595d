package linker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component"
	"github.com/wasmhive/wasmhive/engine"
)

// Instance is one instantiated component. It serves one call at a time:
// callers that share an Instance between goroutines must serialise calls.
type Instance struct {
	cfg     engine.InstanceConfig
	c       *Component
	l       *Linker
	root    *frame
	frames  []*frame
	cores   []*engine.Instance
	closers []func()
	closed  bool
	// poisoned is set when a call could not complete (its result was not
	// lifted, or its post-return failed): the component is mid-call.
	poisoned bool
	// exportMap caches exports (an instance serves one call at a time).
	exportMap map[string]item

	// resources maps each resource type of the component's binary (by its
	// root, see component.ResourceType.Root) to its run-time identity.
	resources map[*component.ResourceType]*canonical.ResourceType
}

// Config is what the instance sees of the world: arguments, environment,
// standard streams, preopened directories and its memory cap, as for a
// core module. Host functions read it; hooks attach per-instance state to
// it with engine.Key.Set and host functions find it with engine.Key.In.
func (i *Instance) Config() *engine.InstanceConfig { return &i.cfg }

// Component is the compiled component this is an instance of.
func (i *Instance) Component() *Component { return i.c }

// Close releases the instance: its core instances, then what its hooks
// set up.
func (i *Instance) Close(ctx context.Context) error {
	if i.closed {
		return nil
	}
	i.closed = true
	var errs []error
	for k := len(i.cores) - 1; k >= 0; k-- {
		errs = append(errs, i.cores[k].Close(ctx))
	}
	for k := len(i.closers) - 1; k >= 0; k-- {
		i.closers[k]()
	}
	return errors.Join(errs...)
}

// Broken reports whether the instance may not be called again: it was
// closed, or one of its core instances trapped, timed out, exited or was
// canceled (a component is not reentered after a trap, as the
// specification says).
func (i *Instance) Broken() bool {
	if i.closed || i.poisoned {
		return true
	}
	for _, c := range i.cores {
		if c.Broken() {
			return true
		}
	}
	return false
}

// Func returns the exported function at path: a function exported by the
// component ("greet"), or one exported by an exported instance
// ("wasi:cli/run@0.2.12", "run"). An instance name matches a
// semver-compatible version, as imports do.
func (i *Instance) Func(path ...string) (*Func, error) {
	if len(path) == 0 || i.root == nil {
		return nil, &ExportError{Component: i.c.name, Path: path}
	}
	exports := i.exports()
	for k, name := range path {
		it, ok := exports[name]
		if !ok {
			it, ok = compatible(exports, name)
		}
		if !ok {
			return nil, &ExportError{Component: i.c.name, Path: path}
		}
		if k == len(path)-1 {
			if it.fn == nil {
				return nil, &ExportError{Component: i.c.name, Path: path, NotFunc: true}
			}
			return it.fn, nil
		}
		if it.inst == nil {
			return nil, &ExportError{Component: i.c.name, Path: path}
		}
		exports = it.inst.exports
	}
	return nil, &ExportError{Component: i.c.name, Path: path}
}

// exports are the root component's exports by name, found once.
func (i *Instance) exports() map[string]item {
	if i.exportMap != nil {
		return i.exportMap
	}
	out := map[string]item{}
	for _, e := range i.c.bin.Exports {
		it, err := i.root.get(e.Item)
		if err == nil {
			out[e.Name] = it
		}
	}
	i.exportMap = out
	return out
}

// compatible finds the export whose name matches name up to a
// semver-compatible version.
func compatible(exports map[string]item, name string) (item, bool) {
	var best string
	for n := range exports {
		if versionMatch(name, n) && (best == "" || newer(n, best)) {
			best = n
		}
	}
	if best == "" {
		return item{}, false
	}
	return exports[best], true
}

// ExportError is a function path the component does not export.
type ExportError struct {
	Component string
	Path      []string
	NotFunc   bool
}

func (e *ExportError) Error() string {
	p := strings.Join(e.Path, "#")
	if e.NotFunc {
		return fmt.Sprintf("%s: export %s is not a function", e.Component, p)
	}
	return fmt.Sprintf("%s exports no function %s", e.Component, p)
}

// Func is a component function: an export of an instance, called with Go
// values (see canonical.Value), or a host function.
type Func struct {
	typ    *component.FuncType
	name   string
	inst   *Instance
	host   HostFunc
	lifted *lifted
}

// Type is the function's component type.
func (f *Func) Type() *component.FuncType { return f.typ }

// Call calls the function with args, which must have the forms of its
// parameter types; it returns the result (nil for a function without
// one). A trap, exit, timeout or cancellation is the engine's typed error
// and leaves the instance unusable.
func (f *Func) Call(ctx context.Context, args ...canonical.Value) (canonical.Value, error) {
	if f.host != nil {
		// A host function may keep its arguments: it gets its own copy,
		// and the caller's (a variadic call's) need not be on the heap.
		return f.call(ctx, slices.Clone(args))
	}
	if err := f.check(args); err != nil {
		return nil, err
	}
	return f.lifted.call(ctx, f, args)
}

// call is Call with args the callee may keep.
func (f *Func) call(ctx context.Context, args []canonical.Value) (canonical.Value, error) {
	if err := f.check(args); err != nil {
		return nil, err
	}
	if f.host != nil {
		return f.host(ctx, f.inst, args)
	}
	return f.lifted.call(ctx, f, args)
}

// check reports why f cannot be called with args.
func (f *Func) check(args []canonical.Value) error {
	if f.inst.closed {
		return errClosed
	}
	if len(args) != len(f.typ.Params) {
		return fmt.Errorf("%s: takes %d arguments, got %d", f.name, len(f.typ.Params), len(args))
	}
	return nil
}
