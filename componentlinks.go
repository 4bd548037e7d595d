package wasmhive

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component"
	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/internal/deadline"
	"github.com/wasmhive/wasmhive/internal/pool"
	"github.com/wasmhive/wasmhive/link"
	"github.com/wasmhive/wasmhive/wave"
)

// Links between Component Model components are typed: the importer's
// imported interface is served by the target's export of it (a
// semver-compatible version), function by function. The Host checks at
// load that both sides' function types match (link.Graph, with
// component.FuncMatches) and refuses a mismatch naming both; a call lifts
// the arguments from the importer and lowers them into an instance of the
// target from the link's pool, and the result back. Resource handles do
// not cross. A target on another host of a lattice gets the call as the
// export "INTERFACE#FUNCTION" with the arguments in WAVE (one item per
// parameter) and answers the result in WAVE.

// typedInterfaces returns a Component Model component's imported and
// exported interfaces, each a function type by name.
func (c *Component) typedInterfaces() (imports, exports map[string]map[string]*component.FuncType) {
	return link.TypedInterfaces(c.cm.Decoded())
}

// prepareComponentLinks gives a Component Model component with links its
// own linker: the Host's definitions, and for each link the imported
// interface's functions, carried to the target.
func (c *Component) prepareComponentLinks() error {
	if len(c.cfg.Links) == 0 {
		return nil
	}
	imports, _ := c.typedInterfaces()
	l := newComponentLinker()
	c.routes = map[string]*linkRoute{}
	for _, lk := range c.cfg.Links {
		if _, dup := c.routes[lk.Interface]; dup {
			return &LinkError{From: c.name, To: lk.Target, Interface: lk.Interface, Reason: "linked twice"}
		}
		name := link.TypedInterface(imports, lk.Interface)
		if name == "" {
			return &LinkError{From: c.name, To: lk.Target, Interface: lk.Interface, Reason: fmt.Sprintf("%s does not import %s", c.name, lk.Interface)}
		}
		r := &linkRoute{h: c.h, from: c.name, cfg: lk}
		c.routes[lk.Interface] = r
		hi := l.Instance(name)
		for fn, ft := range imports[name] {
			hi.Func(fn, func(ctx context.Context, _ *linker.Instance, args []canonical.Value) (canonical.Value, error) {
				return r.callTyped(ctx, name, fn, ft, args)
			})
		}
	}
	c.cml = l
	return nil
}

// callTyped carries one call of function fn of iface across the link.
// A failure traps the importer's call (a typed function has no error
// reply of the platform's to give), and counts as the link's failure.
func (r *linkRoute) callTyped(ctx context.Context, iface, fn string, ft *component.FuncType, args []canonical.Value) (canonical.Value, error) {
	r.calls.Add(1)
	v, err := r.h.callTypedAcross(ctx, r, iface, fn, ft, args)
	if err != nil {
		r.failed(err)
		return nil, fmt.Errorf("link %s -> %s (%s): %s: %w", r.from, r.cfg.Target, r.cfg.Interface, fn, err)
	}
	r.streak.Store(0)
	return v, nil
}

// callTypedAcross calls fn on the link's target, whatever version of it
// the Host has now, or on the host of the lattice that runs it.
func (h *Host) callTypedAcross(ctx context.Context, r *linkRoute, iface, fn string, ft *component.FuncType, args []canonical.Value) (canonical.Value, error) {
	t, err := h.Component(r.cfg.Target)
	if err == nil {
		return t.serveTypedLink(ctx, r, iface, fn, args)
	}
	if h.cfg.Remote == nil || !errors.Is(err, ErrUnknownComponent) {
		return nil, err
	}
	if r.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = deadline.With(ctx, time.Now().Add(r.cfg.Timeout))
		defer cancel()
	}
	in := make([][]byte, len(args))
	for i, a := range args {
		s, err := wave.Format(a, ft.Params[i].Type)
		if err != nil {
			return nil, fmt.Errorf("argument %s: %w", ft.Params[i].Name, err)
		}
		in[i] = []byte(s)
	}
	out, err := h.cfg.Remote.CallRemote(ctx, r.from, r.cfg.Target, link.ExportName(r.cfg.Interface, fn), link.Input(in))
	if err != nil || ft.Result == nil {
		return nil, err
	}
	v, err := wave.Parse(string(out), ft.Result)
	if err != nil {
		return nil, fmt.Errorf("the remote result: %w", err)
	}
	return v, nil
}

// serveTypedLink runs fn of interface iface (as the importer names it) on
// an instance from the
// link's pool of c's instances (after c is replaced, of its successor's).
func (c *Component) serveTypedLink(ctx context.Context, r *linkRoute, iface, fn string, args []canonical.Value) (canonical.Value, error) {
	for {
		if c.closed.Load() {
			if n := c.next.Load(); n != nil {
				c = n
				continue
			}
			return nil, ErrClosed
		}
		if c.cm == nil {
			return nil, fmt.Errorf("%s is a core module, not a Component Model component", c.name)
		}
		p, err := c.linkPool(r)
		if err != nil {
			return nil, err
		}
		timeout := r.cfg.Timeout
		if timeout <= 0 {
			timeout = c.cfg.Limits.Timeout
		}
		v, err := c.callOnCM(ctx, p, []string{iface, fn}, args, timeout)
		if rep, ok := err.(*replacedError); ok {
			c = rep.next
			continue
		}
		return v, err
	}
}

// callOnCM calls the function at path with args on an instance of the
// Component Model component from p, within timeout (0: none). When p was
// closed because the component was replaced, it returns a *replacedError.
func (c *Component) callOnCM(ctx context.Context, p *pool.Of[*instance], path []string, args []canonical.Value, timeout time.Duration) (canonical.Value, error) {
	fn := path[len(path)-1]
	if err := ctx.Err(); err != nil {
		return nil, contextError(c.name, fn, err)
	}
	if timeout > 0 {
		if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > timeout {
			var cancel context.CancelFunc
			ctx, cancel = deadline.With(ctx, time.Now().Add(timeout))
			defer cancel()
		}
	}
	in, err := p.Get(ctx)
	if err != nil {
		if n := c.next.Load(); n != nil && errors.Is(err, pool.ErrClosed) {
			return nil, &replacedError{next: n}
		}
		return nil, c.poolError(fn, err)
	}
	var v canonical.Value
	f, err := in.cm.Func(path...)
	if err == nil {
		v, err = f.Call(ctx, args...)
	}
	c.backoff.record(in.Broken())
	p.Release(in, err)
	return v, c.redactErr(c.observe(err))
}

// callPooled calls the function at path on a warm instance of the
// Component Model component (following replacements).
func (c *Component) callPooled(ctx context.Context, path []string, args []canonical.Value) (canonical.Value, error) {
	for {
		if c.closed.Load() {
			if n := c.next.Load(); n != nil {
				c = n
				continue
			}
			return nil, ErrClosed
		}
		if c.pool == nil {
			return nil, fmt.Errorf("component %s is a command: run it, its exports are not called on warm instances", c.name)
		}
		v, err := c.callOnCM(ctx, c.pool, path, args, c.cfg.Limits.Timeout)
		if rep, ok := err.(*replacedError); ok {
			c = rep.next
			continue
		}
		return v, err
	}
}

// callWAVE is a call of "INTERFACE#FUNCTION" (or a top-level function) of
// a Component Model component with its arguments in WAVE, a list item
// each (link.Input), answering the result in WAVE: how a typed link's
// call reaches a host of the lattice, and what `wasmhive call` sends a
// component.
func (c *Component) callWAVE(ctx context.Context, export string, input []byte) ([]byte, error) {
	path := []string{export}
	var ft *component.FuncType
	if iface, fn, ok := strings.Cut(export, "#"); ok {
		_, exports := c.typedInterfaces()
		if name := link.TypedInterface(exports, iface); name != "" {
			path, ft = []string{name, fn}, exports[name][fn]
		}
	} else {
		for _, f := range c.cm.Funcs() {
			if len(f.Path) == 1 && f.Path[0] == export {
				ft = f.Type
			}
		}
	}
	if ft == nil {
		return nil, fmt.Errorf("component %s exports no function %s", c.name, export)
	}
	var items [][]byte
	if len(ft.Params) == 1 {
		items = [][]byte{input}
	} else {
		var err error
		if items, err = link.Args(input); err != nil {
			return nil, fmt.Errorf("call of %s: %w", export, err)
		}
	}
	if len(items) != len(ft.Params) {
		return nil, fmt.Errorf("call of %s: %d arguments, the function takes %d", export, len(items), len(ft.Params))
	}
	args := make([]canonical.Value, len(items))
	for i, it := range items {
		v, err := wave.Parse(string(it), ft.Params[i].Type)
		if err != nil {
			return nil, fmt.Errorf("call of %s: argument %s: %w", export, ft.Params[i].Name, err)
		}
		args[i] = v
	}
	v, err := c.callPooled(ctx, path, args)
	if err != nil || ft.Result == nil {
		return nil, err
	}
	s, err := wave.Format(v, ft.Result)
	if err != nil {
		return nil, err
	}
	return []byte(s), nil
}
