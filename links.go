package wasmhive

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/capability"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/capwire"
	"github.com/wasmhive/wasmhive/internal/deadline"
	"github.com/wasmhive/wasmhive/internal/pool"
	"github.com/wasmhive/wasmhive/link"
)

// LinkError is a problem with a link or an import found when a component
// is added or replaced: one line naming both ends.
type LinkError = link.Error

// LinkCycleError is a set of links that lead back to where they started.
type LinkCycleError = link.CycleError

// componentKey finds the component an instance belongs to, for generic
// calls (wasmhive:host/invoke).
var componentKey = engine.NewKey[*Component]("component")

// linkRoute is one link of an importer: where its calls go, and how they
// went.
type linkRoute struct {
	h        *Host
	from     string
	cfg      Link
	calls    atomic.Uint64
	failures atomic.Uint64
	streak   atomic.Uint64 // failures in a row
	logged   atomic.Int64  // when a failure was last logged (unix nanoseconds)
	unlogged atomic.Uint64 // failures since then
	// last is the target's pool that served the last call, to skip the
	// lookup while the target stays the same version.
	last atomic.Pointer[servedBy]
}

// servedBy is a pool of target c's instances serving a link.
type servedBy struct {
	c *Component
	p *pool.Of[*instance]
}

// LinkStats is the counters of one link of a component.
type LinkStats struct {
	Interface string `json:"interface"`
	Target    string `json:"to"`
	Calls     uint64 `json:"calls"`
	Failures  uint64 `json:"failures"` // calls the target could not answer: traps, timeouts, limits, no instance
}

// Links returns the counters of the component's links, in configuration
// order.
func (c *Component) Links() []LinkStats {
	out := make([]LinkStats, 0, len(c.cfg.Links))
	for _, l := range c.cfg.Links {
		r := c.routes[l.Interface]
		out = append(out, LinkStats{Interface: l.Interface, Target: l.Target, Calls: r.calls.Load(), Failures: r.failures.Load()})
	}
	return out
}

// carry carries one call of export across the link and gives the reply's
// status and payload to answer (the payload is valid during answer only).
func (r *linkRoute) carry(ctx context.Context, export string, input []byte, answer func(status byte, payload []byte)) {
	r.calls.Add(1)
	answered := false
	err := r.h.callAcross(ctx, r, export, input, func(out []byte) {
		answered = true
		answer(capwire.StatusOK, out)
	})
	if err == nil {
		r.streak.Store(0)
		if !answered {
			answer(capwire.StatusOK, nil)
		}
		return
	}
	var pe *extism.PluginError
	if errors.As(err, &pe) && pe.Err == nil {
		// The target answered, with no value or an error of its own: that
		// is an answer, not a failure of the link.
		r.streak.Store(0)
		if pe.Message == "" && pe.Code == 1 {
			answer(capwire.StatusNone, nil)
			return
		}
		answer(capwire.StatusError, []byte(pe.Error()))
		return
	}
	r.failed(err)
	answer(capwire.StatusError, fmt.Appendf(nil, "link %s -> %s (%s): %v", r.from, r.cfg.Target, r.cfg.Interface, err))
}

// call is carry for a generic call: the reply block as bytes.
func (r *linkRoute) call(ctx context.Context, fn string, args [][]byte) []byte {
	var reply []byte
	r.carry(ctx, link.ExportName(r.cfg.Interface, fn), link.Input(args), func(status byte, payload []byte) {
		reply = append([]byte{status}, payload...)
	})
	return reply
}

// linkLogEvery spaces the log lines of a failing link.
const linkLogEvery = time.Second

// failed counts a failure and logs it, at most once per linkLogEvery.
func (r *linkRoute) failed(err error) {
	r.failures.Add(1)
	streak := r.streak.Add(1)
	n := r.unlogged.Add(1)
	now := time.Now().UnixNano()
	last := r.logged.Load()
	if now-last < int64(linkLogEvery) || !r.logged.CompareAndSwap(last, now) {
		return
	}
	r.unlogged.Add(-n)
	r.h.log.Warn("link failing", "from", r.from, "to", r.cfg.Target, "interface", r.cfg.Interface,
		"failures", n, "in_a_row", streak, "error", err.Error())
}

// callAcross calls export of the link's target, whatever version of it the
// Host has now, handing the output to sink.
func (h *Host) callAcross(ctx context.Context, r *linkRoute, export string, input []byte, sink func([]byte)) error {
	t, err := h.Component(r.cfg.Target)
	if err != nil {
		if h.cfg.Remote == nil || !errors.Is(err, ErrUnknownComponent) {
			return err
		}
		// Not on this Host: where it runs, within the link's timeout (the
		// target's own limits apply there).
		if r.cfg.Timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = deadline.With(ctx, time.Now().Add(r.cfg.Timeout))
			defer cancel()
		}
		out, err := h.cfg.Remote.CallRemote(ctx, r.from, r.cfg.Target, export, input)
		if err == nil {
			sink(out)
		}
		return err
	}
	return t.serveLink(ctx, r, export, input, sink)
}

// served is a target's pools of instances that serve links, one per
// importer and interface.
type served struct {
	mu    sync.Mutex
	pools map[string]servedPool
}

type servedPool struct {
	cfg  Link
	pool *pool.Of[*instance]
}

// serveLink runs export for a call across r on an instance from r's pool of
// c's instances (after c is replaced, of its successor's), handing the
// output to sink before the instance goes back.
func (c *Component) serveLink(ctx context.Context, r *linkRoute, export string, input []byte, sink func([]byte)) error {
	for {
		if c.closed.Load() {
			if n := c.next.Load(); n != nil {
				c = n
				continue
			}
			return ErrClosed
		}
		var p *pool.Of[*instance]
		if last := r.last.Load(); last != nil && last.c == c {
			p = last.p
		} else {
			var err error
			if p, err = c.linkPool(r); err != nil {
				return err
			}
			r.last.Store(&servedBy{c: c, p: p})
		}
		timeout := r.cfg.Timeout
		if timeout <= 0 {
			timeout = c.cfg.Limits.Timeout
		}
		_, err := c.callOn(ctx, p, export, input, timeout, sink)
		if rep, ok := err.(*replacedError); ok {
			c = rep.next
			continue
		}
		return err
	}
}

// linkPool returns the pool serving r, made on first use (its first
// instance on the first call), or made anew when the link's configuration
// changed since.
func (c *Component) linkPool(r *linkRoute) (*pool.Of[*instance], error) {
	key := r.from + "\x00" + r.cfg.Interface
	c.links.mu.Lock()
	defer c.links.mu.Unlock()
	if c.links.pools == nil {
		c.links.pools = map[string]servedPool{}
	}
	if sp, ok := c.links.pools[key]; ok {
		if sp.cfg == r.cfg {
			return sp.pool, nil
		}
		sp.pool.Close(context.Background()) // instances in use close when released
	}
	in := c.cfg.Instances
	li := r.cfg.Instances
	if li.Max > 0 {
		in.Max = li.Max
	}
	if li.Min > 0 {
		in.Min = li.Min
	}
	if li.Queue != 0 {
		in.Queue = li.Queue
	}
	if li.QueueTimeout != 0 {
		in.QueueTimeout = li.QueueTimeout
	}
	if li.IdleTimeout != 0 {
		in.IdleTimeout = li.IdleTimeout
	}
	in.Fresh = in.Fresh || li.Fresh
	p, err := pool.NewOf(c.poolConfig(in))
	if err != nil {
		return nil, err
	}
	c.links.pools[key] = servedPool{cfg: r.cfg, pool: p}
	return p, nil
}

// linked reports whether the component links import module mod.
func (c *Component) linked(mod string) bool {
	for _, l := range c.cfg.Links {
		if l.Interface == mod {
			return true
		}
	}
	return false
}

// prepareLinks makes, for each link, the host module that serves the
// component's imports of its interface by carrying them across: one
// anonymous module per link, shared by all the component's instances.
func (c *Component) prepareLinks(ctx context.Context) error {
	if len(c.cfg.Links) == 0 {
		return nil
	}
	c.routes = map[string]*linkRoute{}
	c.linkMods = map[string]*engine.Instance{}
	mods := []*engine.Module{c.main}
	for _, l := range c.libs {
		mods = append(mods, l.mod)
	}
	for _, l := range c.cfg.Links {
		if _, dup := c.routes[l.Interface]; dup {
			return &LinkError{From: c.name, To: l.Target, Interface: l.Interface, Reason: "linked twice"}
		}
		r := &linkRoute{h: c.h, from: c.name, cfg: l}
		c.routes[l.Interface] = r
		hm := linkModule{r: r}
		seen := map[string]bool{}
		for _, m := range mods {
			for _, f := range m.Compiled().ImportedFunctions() {
				mod, name, _ := f.Import()
				if mod != l.Interface || seen[name] {
					continue
				}
				seen[name] = true
				hm.funcs = append(hm.funcs, linkFunc{name: name, export: link.ExportName(l.Interface, name), params: len(f.ParamTypes())})
			}
		}
		if len(hm.funcs) == 0 {
			continue // reported by checkLinks
		}
		inst, err := c.h.rt.InstantiateHost(ctx, hm)
		if err != nil {
			return fmt.Errorf("link %s: %w", l.Interface, err)
		}
		c.linkMods[l.Interface] = inst
	}
	return nil
}

// linkModule is the host module that serves a component's imports of one
// interface by carrying them across its link, in the capability calling
// convention (docs/links.md): parameter blocks in, a reply block written
// straight into the caller's kernel memory.
type linkModule struct {
	r     *linkRoute
	funcs []linkFunc
}

type linkFunc struct {
	name, export string // the imported function, the target's export
	params       int
}

func (m linkModule) ModuleName() string { return m.r.cfg.Interface }

func (m linkModule) Define(rt *engine.Runtime, b wazero.HostModuleBuilder) {
	r := m.r
	for _, f := range m.funcs {
		params := make([]api.ValueType, f.params)
		for i := range params {
			params[i] = api.ValueTypeI64
		}
		b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
			st, ok := extism.InstanceState(rt.Caller(ctx, mod))
			if !ok {
				panic(fmt.Errorf("%s.%s: the calling instance has no Extism kernel state", r.cfg.Interface, f.name))
			}
			var buf [4][]byte
			args := buf[:0]
			for i := range f.params {
				h := stack[i]
				if h == 0 {
					args = append(args, nil)
					continue
				}
				v, ok := st.Bytes(h)
				if !ok {
					st.Fail(&extism.HandleError{Op: f.name, What: fmt.Sprintf("argument %d", i+1), Handle: h})
				}
				args = append(args, v)
			}
			r.carry(ctx, f.export, link.Input(args), func(status byte, payload []byte) {
				h := st.Alloc(uint64(1 + len(payload)))
				if h == 0 {
					st.Fail(fmt.Errorf("%s.%s: reply of %d bytes: %w", r.cfg.Interface, f.name, len(payload), extism.ErrKernelMemoryFull))
				}
				b, _ := st.Range(h, uint64(1+len(payload)))
				b[0] = status
				copy(b[1:], payload)
				stack[0] = h
			})
		}), params, []api.ValueType{api.ValueTypeI64}).WithName(f.name).Export(f.name)
	}
}

// node describes the component for the link checks.
func (c *Component) node() link.Node {
	n := link.Node{Name: c.name, Exports: map[string]link.Signature{}, Links: map[string]string{}, Provided: c.provided}
	for _, l := range c.cfg.Links {
		n.Links[l.Interface] = l.Target
	}
	if c.cm != nil {
		n.Typed = true
		n.TypedImports, n.TypedExports = c.typedInterfaces()
		return n
	}
	for _, f := range c.main.Compiled().ImportedFunctions() {
		mod, name, _ := f.Import()
		n.Imports = append(n.Imports, link.Import{Module: mod, Name: name,
			Signature: link.Signature{Params: f.ParamTypes(), Results: f.ResultTypes()}})
	}
	for name, f := range c.main.Compiled().ExportedFunctions() {
		n.Exports[name] = link.Signature{Params: f.ParamTypes(), Results: f.ResultTypes()}
	}
	return n
}

// provided reports whether import module mod reaches the component without
// a link: a granted capability, one of its libraries, or a host module.
func (c *Component) provided(mod string) bool {
	if capName, ok := capability.Of(mod); ok {
		_, real := c.h.capFuncs[mod] // wasmhive:http/incoming-handler is no capability's
		return real && c.cfg.Grants.Has(capName)
	}
	for _, l := range c.libs {
		if l.name == mod {
			return true
		}
	}
	return c.h.rt.HasHostModule(mod)
}

// checkLinks checks c's links, the links to c's name, and the cycles
// through it, as they would be with c on the Host under its name.
func (h *Host) checkLinks(c *Component) error {
	h.mu.RLock()
	involved := len(c.cfg.Links) > 0
	nodes := []link.Node{c.node()}
	for name, o := range h.components {
		if o == nil || name == c.name {
			continue
		}
		nodes = append(nodes, o.node())
		if o.linksTo(c.name) {
			involved = true
		}
	}
	// The targets that run elsewhere, and theirs, as Remote describes them.
	seen := map[string]bool{}
	for _, n := range nodes {
		seen[n.Name] = true
	}
	for i := 0; i < len(nodes); i++ {
		for _, target := range nodes[i].Links {
			if seen[target] {
				continue
			}
			seen[target] = true
			if o, ok := h.components[target]; ok && o != nil {
				continue
			}
			if n, ok := h.remoteNode(target); ok {
				nodes = append(nodes, n)
			}
		}
	}
	h.mu.RUnlock()
	if !involved {
		return nil
	}
	errs := link.Graph{Nodes: nodes, Known: h.known}.Check()
	var first error
	n := 0
	for _, err := range errs {
		var le *link.Error
		var ce *link.CycleError
		switch {
		case errors.As(err, &le) && (le.From == c.name || le.To == c.name):
		case errors.As(err, &ce) && containsString(ce.Path, c.name):
		default:
			continue
		}
		if first == nil {
			first = err
		}
		n++
	}
	if n > 1 {
		return fmt.Errorf("%w (and %d more problems with links)", first, n-1)
	}
	return first
}

func (c *Component) linksTo(name string) bool {
	for _, l := range c.cfg.Links {
		if l.Target == name {
			return true
		}
	}
	return false
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// knownInterfaces lists the interfaces whose functions the platform fixes:
// the capability contracts and the trigger interfaces.
func knownInterfaces(mods []engine.HostModule) ([]link.Interface, map[string]map[string]capability.Function) {
	known := append([]link.Interface(nil), link.Handlers...)
	funcs := map[string]map[string]capability.Function{}
	for _, m := range mods {
		hm, ok := m.(capability.HostModule)
		if !ok {
			continue
		}
		iface := link.Interface{Name: hm.Name}
		funcs[hm.Name] = map[string]capability.Function{}
		for _, f := range hm.Funcs {
			iface.Funcs = append(iface.Funcs, link.Func{Name: f.Name, Params: f.NArgs})
			funcs[hm.Name][f.Name] = f
		}
		known = append(known, iface)
	}
	return known, funcs
}

// invokeModule is wasmhive:host/invoke: a call whose interface and
// function are values, routed as the import would be.
type invokeModule struct{ h *Host }

func (invokeModule) ModuleName() string { return link.InvokeModule }

func (m invokeModule) Define(rt *engine.Runtime, b wazero.HostModuleBuilder) {
	capability.Define(rt, b, "call", 3, m.call)
}

func (m invokeModule) call(ctx context.Context, inst *engine.Instance, args [][]byte) []byte {
	c, ok := componentKey.Of(inst)
	if !ok {
		return capwire.Error("invoke: the calling instance belongs to no component")
	}
	iface, fn := string(args[0]), string(args[1])
	params, err := link.Args(args[2])
	if err != nil {
		return capwire.Error("invoke " + iface + "." + fn + ": " + err.Error())
	}
	if r := c.routes[iface]; r != nil {
		return r.call(ctx, fn, params)
	}
	capName, isCap := capability.Of(iface)
	switch {
	case isCap && c.cfg.Grants.Has(capName):
		f, ok := m.h.capFuncs[iface][fn]
		if !ok {
			return capwire.Error(fmt.Sprintf("invoke: %s has no function %s", iface, fn))
		}
		if len(params) != f.NArgs {
			return capwire.Error(fmt.Sprintf("invoke %s.%s: %d arguments, the function takes %d", iface, fn, len(params), f.NArgs))
		}
		return f.Func(ctx, inst, params)
	case isCap:
		return capwire.Error(fmt.Sprintf("invoke %s.%s: the %s capability is not granted to %s", iface, fn, capName, c.name))
	}
	return capwire.Error(fmt.Sprintf("invoke %s.%s: %s has no link for %s", iface, fn, c.name, iface))
}
