package wasmhive

import (
	"context"
	"errors"
	"fmt"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/pool"
	"github.com/wasmhive/wasmhive/trigger"
	"github.com/wasmhive/wasmhive/wasip2"
)

// A Component Model component (a binary of the Component Model, not a
// core module) runs on the Host through package component/linker with
// WASI 0.2 (package wasip2): run as a command through its wasi:cli/run
// export, or one exported function called with typed values. It gets the
// same sandbox as a module: environment, preopens, memory cap, timeout,
// compilation cache. Serving it (wasi:http), capability grants, links and
// libraries for components come later; until then they are refused with
// ErrComponentModel.

// ErrComponentModel is matched by the error of an operation that needs a
// core module and got a Component Model component.
var ErrComponentModel = errors.New("not supported for Component Model components yet")

// RunExport is the interface a Component Model command exports (its run
// function), at the oldest version it is matched with.
const RunExport = "wasi:cli/run@0.2.0"

// componentLinker is the Host's linker of Component Model imports: WASI 0.2.
func (h *Host) componentLinker() *linker.Linker {
	h.cmOnce.Do(func() {
		h.cml = linker.New()
		wasip2.Define(h.cml)
	})
	return h.cml
}

// loadComponentModel is load for a Component Model component.
func (c *Component) loadComponentModel(ctx context.Context, wasm []byte) error {
	cfg := c.cfg
	switch {
	case len(cfg.Libraries) > 0:
		return c.cmRefusal("libraries")
	case len(cfg.Links) > 0:
		return c.cmRefusal("links")
	case cfg.Grants != (Grants{}):
		return c.cmRefusal("capability grants (components reach WASI 0.2 only)")
	}
	if err := c.prepareSandbox(); err != nil {
		var ce *ConfigError
		var pe *PrivateDirError
		if errors.As(err, &ce) || errors.As(err, &pe) {
			return &engine.LoadError{Module: c.name, Err: err}
		}
		return fmt.Errorf("component %s: %w", c.name, err)
	}
	cm, err := linker.Compile(ctx, c.h.rt, c.file, wasm)
	if err != nil {
		return err
	}
	if err := c.h.componentLinker().Check(cm); err != nil {
		cm.Close(ctx)
		return err
	}
	c.cm = cm
	// Every run or call gets its own instance: the pool only bounds how
	// many run at once.
	rc := c.poolConfig(c.cfg.Instances)
	rc.Policy, rc.MinWarm, rc.IdleTimeout = pool.Fresh, 0, 0
	rc.New = func(context.Context) (*instance, error) {
		return nil, errors.New("component instances are made per run")
	}
	p, err := pool.NewOf(rc)
	if err != nil {
		cm.Close(ctx)
		return err
	}
	c.runs = p
	return nil
}

func (c *Component) cmRefusal(what string) error {
	return &engine.LoadError{Module: c.file, Err: fmt.Errorf("%s: %w", what, ErrComponentModel)}
}

// IsComponentModel reports whether the component is a Component Model
// component rather than a core module.
func (c *Component) IsComponentModel() bool { return c.cm != nil }

// Funcs lists a Component Model component's exported functions (nil for
// a core module).
func (c *Component) Funcs() []linker.ExportedFunc {
	if c.cm == nil {
		return nil
	}
	return c.cm.Funcs()
}

// withComponentInstance runs f on a fresh instance of the Component
// Model component, within the component's timeout and run limit.
func (c *Component) withComponentInstance(ctx context.Context, cio *trigger.CommandIO, what string, f func(context.Context, *linker.Instance) error) error {
	if c.closed.Load() {
		return ErrClosed
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	if cio != nil {
		defer c.redactStderr(cio)()
	}
	var li *linker.Instance
	in, err := c.runs.GetNew(ctx, func(ctx context.Context) (*instance, error) {
		var err error
		li, err = c.h.componentLinker().Instantiate(ctx, c.cm, c.instanceConfig(cio))
		if err != nil {
			return nil, err
		}
		return &instance{cm: li}, nil
	})
	if err != nil {
		return c.poolError(what, err)
	}
	err = f(ctx, li)
	c.runs.Release(in, err)
	return c.redactErr(c.observe(err))
}

// runComponentModel is Run for a Component Model component: it calls the
// wasi:cli/run export. A run that returns its error case exits with
// status 1, as in Wasmtime.
func (c *Component) runComponentModel(ctx context.Context, cio trigger.CommandIO) error {
	return c.withComponentInstance(ctx, &cio, "wasi:cli/run", func(ctx context.Context, li *linker.Instance) error {
		run, err := li.Func(RunExport, "run")
		if err != nil {
			return fmt.Errorf("component %s is not a command (it exports no %s run function): call one of its exports with --invoke", c.name, RunExport)
		}
		v, err := run.Call(ctx)
		var exit *engine.ExitError
		if errors.As(err, &exit) && exit.Code == 0 {
			return nil
		}
		if err != nil {
			return err
		}
		if r, ok := v.(canonical.Result); ok && r.Err {
			return &engine.ExitError{Module: c.file, Code: 1}
		}
		return nil
	})
}

// CallFunc calls the exported function at path (see linker.Instance.Func)
// of a Component Model component with args, on a fresh instance whose
// standard streams are cio's (nil: the component's defaults), and returns
// its result.
func (c *Component) CallFunc(ctx context.Context, cio *trigger.CommandIO, path []string, args ...canonical.Value) (canonical.Value, error) {
	if c.cm == nil {
		return nil, fmt.Errorf("component %s is a core module: call its exports with CallRaw or Call", c.name)
	}
	var res canonical.Value
	err := c.withComponentInstance(ctx, cio, path[len(path)-1], func(ctx context.Context, li *linker.Instance) error {
		f, err := li.Func(path...)
		if err != nil {
			return err
		}
		res, err = f.Call(ctx, args...)
		return err
	})
	return res, err
}
