package wasmhive

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync/atomic"
	"time"

	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/capability"
	"github.com/wasmhive/wasmhive/claims"
	"github.com/wasmhive/wasmhive/component"
	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/deadline"
	"github.com/wasmhive/wasmhive/internal/pool"
	"github.com/wasmhive/wasmhive/trigger"
)

// Component is one compiled module of a Host with its configuration, its
// grants bound to providers, and its pool of warm instances. It is safe
// for concurrent use.
type Component struct {
	h       *Host
	name    string
	cfg     ComponentConfig
	main    *engine.Module
	file    string            // the module's name: its file's base name, or the component's name
	cm      *linker.Component // a Component Model component (componentmodel.go); main is then nil
	cml     *linker.Linker    // a Component Model component's own linker, when it has links (componentlinks.go)
	libs    []compiledLib
	binders []func(*engine.InstanceConfig) // attach each granted capability's binding
	env     []string
	preopen []engine.Preopen
	conf    resolvedConfig      // Config and ConfigFrom's values, merged (secrets.go)
	kernel  bool                // instances need Extism kernel state
	pool    *pool.Of[*instance] // reactors and plugins; nil for commands
	runs    *pool.Of[*instance] // commands: bounds concurrent runs
	closed  atomic.Bool
	backoff crashBackoff // pauses new instances while calls keep breaking them
	limits  violations   // counts of limit violations (limits.go)
	// claims are the main module's verified claims, nil when it is unsigned (claims.go).
	claims *claims.Claims
	// routes are the component's links by interface, and linkMods the
	// host modules that carry its imports across them (links.go).
	routes   map[string]*linkRoute
	linkMods map[string]*engine.Instance
	// links are the pools of this component's instances serving other
	// components' links.
	links served
	// next is the version that replaced this one (swap.go): calls that
	// reach a replaced component go on to it.
	next atomic.Pointer[Component]
	// singleUse is set once a Component Model component's instance
	// answered a second wasi:http request with no response, as
	// componentize-js fetch-event handlers do: each request then gets an
	// instance of its own (componentmodel.go).
	singleUse atomic.Bool
}

type compiledLib struct {
	name string
	mod  *engine.Module
}

// PoolStats is the counters of a component's instances.
type PoolStats = pool.Stats

// ErrSaturated is matched by the error of a call that found every instance
// busy past its queue limits.
var ErrSaturated = pool.ErrSaturated

// GrantError reports a module importing a capability its component was not
// granted.
type GrantError struct {
	Component  string
	Capability string
	Import     string // e.g. "wasmhive:keyvalue/atomics.increment"
}

func (e *GrantError) Error() string {
	return fmt.Sprintf("component %s imports %s, but the %s capability is not granted (grant it with grants.%s in the app manifest, or --grant %s)",
		e.Component, e.Import, e.Capability, e.Capability, e.Capability)
}

// load compiles and checks a component and makes its first instance.
func (h *Host) load(ctx context.Context, name string, cfg ComponentConfig) (*Component, error) {
	c := &Component{h: h, name: name, cfg: cfg, file: name}
	wasm := cfg.Wasm
	modName := name
	if wasm == nil {
		if cfg.Module == "" {
			return nil, fmt.Errorf("component %s: no module (give module: a .wasm file)", name)
		}
		b, err := readModule(cfg.Module)
		if err != nil {
			return nil, err
		}
		wasm, modName = b, filepath.Base(cfg.Module)
		c.file = modName
	}
	if err := c.checkClaims(wasm); err != nil {
		return nil, &engine.LoadError{Module: modName, Err: err}
	}
	if component.IsComponent(wasm) {
		if err := c.loadComponentModel(ctx, wasm); err != nil {
			return nil, err
		}
		return c, nil
	}
	for _, l := range cfg.Libraries {
		lw := l.Wasm
		lname := l.Name
		if lw == nil {
			b, err := readModule(l.Module)
			if err != nil {
				return nil, fmt.Errorf("library %s: %w", l.Name, err)
			}
			lw = b
		}
		if err := c.checkLibraryClaims(l.Name, lw); err != nil {
			c.closeModules(ctx)
			return nil, &engine.LoadError{Module: lname, Err: err}
		}
		m, err := h.rt.Compile(ctx, lname, lw)
		if err != nil {
			c.closeModules(ctx)
			return nil, fmt.Errorf("library %s: %w", l.Name, err)
		}
		c.libs = append(c.libs, compiledLib{name: lname, mod: m})
	}
	m, err := h.rt.Compile(ctx, modName, wasm)
	if err != nil {
		c.closeModules(ctx)
		return nil, err
	}
	c.main = m
	if err := c.checkGrants(); err != nil {
		c.closeModules(ctx)
		return nil, &engine.LoadError{Module: modName, Err: err}
	}
	if err := c.prepare(ctx); err != nil {
		c.closeModules(ctx)
		var ce *ConfigError
		var pe *PrivateDirError
		if errors.As(err, &ce) || errors.As(err, &pe) {
			// The configuration is what is wrong, as with a bad module.
			return nil, &engine.LoadError{Module: name, Err: err}
		}
		return nil, fmt.Errorf("component %s: %w", name, err)
	}
	if err := c.startPools(ctx); err != nil {
		if c.runs != nil {
			c.runs.Close(ctx)
		}
		c.closeModules(ctx)
		return nil, err
	}
	return c, nil
}

// readModule reads a module file with a one-line error.
func readModule(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err == nil && fi.IsDir() {
		return nil, &engine.LoadError{Module: path, Err: errors.New("is a directory, not a .wasm file")}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
			if errors.Is(err, os.ErrNotExist) {
				err = errors.New("no such file")
			}
		}
		return nil, &engine.LoadError{Module: path, Err: err}
	}
	return b, nil
}

// checkGrants refuses a module (or library) importing a capability the
// component was not granted: deny by default, and no silent stubs.
func (c *Component) checkGrants() error {
	mods := []*engine.Module{c.main}
	for _, l := range c.libs {
		mods = append(mods, l.mod)
	}
	for _, m := range mods {
		for _, f := range m.Compiled().ImportedFunctions() {
			mod, fn, _ := f.Import()
			capName, ok := capability.Of(mod)
			if _, real := c.h.capFuncs[mod]; !ok || !real || c.cfg.Grants.Has(capName) || c.linked(mod) {
				continue
			}
			return &GrantError{Component: c.name, Capability: capName, Import: mod + "." + fn}
		}
	}
	return nil
}

// prepare turns the configuration into what every instance gets: the
// environment, preopens and capability bindings.
func (c *Component) prepare(ctx context.Context) error {
	if err := c.prepareSandbox(); err != nil {
		return err
	}
	c.kernel = c.main.Pattern() != engine.PatternCommand || importsAny(c.main, func(mod string) bool {
		_, isCap := capability.Of(mod)
		return isCap || mod == extism.EnvModule || c.linked(mod)
	})
	binders, err := c.h.prov.bind(ctx, c.name, c.bindConfig())
	if err != nil {
		return err
	}
	c.binders = binders
	return c.prepareLinks(ctx)
}

// prepareSandbox resolves the configuration into the environment and
// preopens every instance gets.
func (c *Component) prepareSandbox() error {
	if err := c.resolveConfig(); err != nil {
		return err
	}
	keys := make([]string, 0, len(c.cfg.Env))
	for k := range c.cfg.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		c.env = append(c.env, k+"="+c.cfg.Env[k])
	}
	for _, d := range c.cfg.Dirs {
		guest := d.Guest
		if guest == "" {
			guest = d.Host
		}
		c.preopen = append(c.preopen, engine.Preopen{HostPath: d.Host, GuestPath: guest, ReadOnly: d.ReadOnly})
	}
	return c.preparePrivateDir()
}

func importsAny(m *engine.Module, pred func(mod string) bool) bool {
	for _, f := range m.Compiled().ImportedFunctions() {
		if mod, _, _ := f.Import(); pred(mod) {
			return true
		}
	}
	return false
}

// startPools makes the pool of a reactor or plugin, proving with a first
// instance that it instantiates, or the run limiter of a command.
func (c *Component) startPools(ctx context.Context) error {
	pc := c.poolConfig(c.cfg.Instances)
	if c.main.HasExport("_start") {
		// Every run needs its own instance (its stdio and environment are
		// fixed at instantiation): the pool only bounds how many run at once.
		rc := pc
		rc.Policy, rc.MinWarm, rc.IdleTimeout = pool.Fresh, 0, 0
		rc.New = func(context.Context) (*instance, error) {
			return nil, errors.New("command instances are made per run")
		}
		p, err := pool.NewOf(rc)
		if err != nil {
			return err
		}
		c.runs = p
	}
	if c.main.Pattern() == engine.PatternCommand {
		// Check its imports now, so that a module that cannot run here is
		// refused at load rather than on every run. (Instantiating a probe
		// would cost a command run, which makes one instance, twice.)
		if len(c.libs) == 0 {
			return c.h.rt.CheckImports(c.main)
		}
		probe, err := c.newInstance(ctx, nil, &trigger.CommandIO{})
		if err != nil {
			return err
		}
		return probe.Close(ctx)
	}
	first, err := c.newInstance(ctx, nil, nil)
	if err != nil {
		return err
	}
	p, err := pool.NewOf(pc)
	if err != nil {
		first.Close(ctx)
		return err
	}
	p.Add(first)
	c.pool = p
	return nil
}

// poolConfig is the configuration of a pool of the component's instances
// sized by in.
func (c *Component) poolConfig(in Instances) pool.ConfigOf[*instance] {
	maxN := in.Max
	if maxN <= 0 {
		maxN = defaultMax()
	}
	pc := pool.ConfigOf[*instance]{
		New: func(ctx context.Context) (*instance, error) {
			if err := c.backoff.check(c.name); err != nil {
				return nil, err
			}
			if c.cm != nil {
				return c.newComponentInstance(ctx, nil)
			}
			return c.newInstance(ctx, nil, nil)
		},
		Max:          maxN,
		MinWarm:      min(in.Min, maxN),
		IdleTimeout:  in.IdleTimeout,
		QueueSize:    in.Queue,
		QueueTimeout: in.QueueTimeout,
	}
	if in.Fresh {
		pc.Policy = pool.Fresh
	}
	return pc
}

// instance is one instance of a component: the main module's, its
// libraries' and the Extism kernel state that goes with them. Whoever holds
// it has it alone.
type instance struct {
	st     *extism.State
	inst   *engine.Instance
	libs   []*engine.Instance
	cm     *linker.Instance // a Component Model component's instance, instead of inst
	closed bool
	// served counts the wasi:http requests a Component Model instance
	// answered; retire discards it when it goes back to its pool.
	served int
	retire bool
}

// Broken reports whether the main instance trapped, timed out, exited or
// was closed.
func (i *instance) Broken() bool {
	if i.cm != nil {
		return i.closed || i.retire || i.cm.Broken()
	}
	return i.inst.Broken()
}

// Close releases the main instance, then its libraries.
func (i *instance) Close(ctx context.Context) error {
	if i.closed {
		return nil
	}
	i.closed = true
	ctx = context.WithoutCancel(ctx)
	if i.cm != nil {
		return i.cm.Close(ctx)
	}
	err := i.inst.Close(ctx)
	for _, l := range i.libs {
		l.Close(ctx)
	}
	return err
}

// kernelBytes is the Extism kernel memory cap of an instance: the
// component's memory limit, if any.
func (c *Component) kernelBytes() uint64 { return uint64(c.cfg.Limits.Memory) }

// newInstance instantiates the libraries, in order, then the main module,
// with Extism state starting from vars. cio, when not nil, is a command
// run's world (fresh memory recycled from a pool).
func (c *Component) newInstance(ctx context.Context, vars map[string][]byte, cio *trigger.CommandIO) (*instance, error) {
	h := c.h
	icfg := c.instanceConfig(cio)
	var st *extism.State
	if c.kernel {
		if vars == nil {
			vars = c.cfg.Vars
		}
		sc := extism.StateConfig{
			Name:           c.name,
			Config:         c.conf.values,
			AllowedHosts:   c.allowedHosts(),
			MaxKernelBytes: c.kernelBytes(),
			MaxVarBytes:    int64(c.cfg.Limits.MaxVarBytes),
			Logger:         c.conf.log,
			Vars:           vars,
		}
		if g := c.cfg.Grants.HTTP; g != nil {
			sc.MaxHTTPResponseBytes = int64(g.MaxResponseBytes)
		}
		c.extismHTTP(&sc)
		st = extism.NewState(sc)
		st.Attach(&icfg)
	}
	for _, b := range c.binders {
		b(&icfg)
	}
	componentKey.Set(&icfg, c)
	libs := make(map[string]*engine.Instance, len(c.linkMods)+len(c.libs))
	for name, m := range c.linkMods {
		libs[name] = m
	}
	var opened []*engine.Instance
	fail := func(err error) (*instance, error) {
		for _, l := range opened {
			l.Close(context.WithoutCancel(ctx))
		}
		return nil, err
	}
	if st != nil {
		// Kernel memory in a kernel instance: a plugin's per-8-byte
		// loads and stores become wasm-to-wasm calls (abi/extism.LinkKernel).
		mods := []*engine.Module{c.main}
		for _, l := range c.libs {
			mods = append(mods, l.mod)
		}
		// Or, for a plugin compiled with those calls inlined, kernel
		// blocks in the plugin's own memory (abi/extism.UsePluginMemory).
		if !extism.UsePluginMemory(st, mods...) {
			k, err := extism.LinkKernel(ctx, h.rt, st, libs, mods...)
			if err != nil {
				return fail(err)
			}
			if k != nil {
				opened = append(opened, k)
			}
		}
	}
	for _, l := range c.libs {
		li, err := h.rt.InstantiateLinked(ctx, l.mod, icfg, libs)
		if err != nil {
			return fail(fmt.Errorf("library %s: %w", l.name, err))
		}
		opened = append(opened, li)
		if err := extism.Init(ctx, li); err != nil {
			return fail(fmt.Errorf("library %s: initialise: %w", l.name, err))
		}
		libs[l.name] = li
	}
	inst, err := h.rt.InstantiateLinked(ctx, c.main, icfg, libs)
	if err != nil {
		return fail(err)
	}
	return &instance{st: st, inst: inst, libs: opened}, nil
}

// instanceConfig is what an instance sees: the component's environment,
// preopens, memory cap and streams, with a command run's (cio, when not
// nil) arguments, environment and streams.
func (c *Component) instanceConfig(cio *trigger.CommandIO) engine.InstanceConfig {
	icfg := engine.InstanceConfig{
		Args:      []string{c.file},
		Env:       c.env,
		Stdout:    c.conf.stdout,
		Stderr:    c.conf.stderr,
		Preopens:  c.preopen,
		MaxMemory: uint64(c.cfg.Limits.Memory),
		Fuel:      c.cfg.Limits.Fuel,
	}
	if icfg.Stdout == nil {
		icfg.Stdout = &lineLogger{log: c.conf.log, stream: "stdout"}
	}
	if icfg.Stderr == nil {
		icfg.Stderr = &lineLogger{log: c.conf.log, stream: "stderr"}
	}
	if cio != nil {
		if cio.Args != nil {
			icfg.Args = cio.Args
		}
		if len(cio.Env) > 0 {
			icfg.Env = append(append([]string(nil), c.env...), cio.Env...)
		}
		icfg.Stdin = cio.Stdin
		if cio.Stdout != nil {
			icfg.Stdout = cio.Stdout
		}
		if cio.Stderr != nil {
			icfg.Stderr = cio.Stderr
		}
		icfg.RecycleMemory = true
	}
	return icfg
}

func (c *Component) allowedHosts() []string {
	if c.cfg.Grants.HTTP == nil {
		return nil
	}
	return c.cfg.Grants.HTTP.AllowedHosts
}

// Name returns the component's name.
func (c *Component) Name() string { return c.name }

// Pattern returns the main module's interaction pattern.
func (c *Component) Pattern() engine.Pattern {
	if c.cm != nil {
		return engine.PatternComponent
	}
	return c.main.Pattern()
}

// Module returns the compiled main module.
func (c *Component) Module() *engine.Module { return c.main }

// Config returns the configuration the component was added with.
func (c *Component) Config() ComponentConfig { return c.cfg }

// FunctionExists reports whether the main module exports function.
func (c *Component) FunctionExists(function string) bool {
	return c.main != nil && c.main.HasExport(function)
}

// withTimeout applies the component's call timeout to ctx.
func (c *Component) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if d := c.cfg.Limits.Timeout; d > 0 {
		return deadline.With(ctx, time.Now().Add(d))
	}
	return ctx, func() {}
}

// Call runs one Extism call of function with input on a warm instance from
// the component's pool; concurrent calls run in parallel on up to
// Instances.Max instances. An instance that trapped, timed out or exited is
// discarded. A call that reaches a component replaced meanwhile runs on its
// new version.
func (c *Component) Call(ctx context.Context, function string, input []byte) ([]byte, error) {
	for {
		if c.closed.Load() {
			if n := c.next.Load(); n != nil {
				c = n
				continue
			}
			return nil, ErrClosed
		}
		if c.cm != nil {
			if function == messageExport {
				if iface := c.handlerInterface(); iface != "" {
					return c.handleMessage(ctx, iface, input)
				}
			}
			return c.callWAVE(ctx, function, input)
		}
		if c.pool == nil {
			return nil, fmt.Errorf("component %s is a command: run it (its _start), it has no exports to call", c.name)
		}
		out, err := c.callOn(ctx, c.pool, function, input, c.cfg.Limits.Timeout, nil)
		if r, ok := err.(*replacedError); ok {
			c = r.next
			continue
		}
		return out, err
	}
}

// replacedError is callOn's answer when its pool closed because the
// component was replaced: the caller runs the call again on next.
type replacedError struct{ next *Component }

func (e *replacedError) Error() string { return "component " + e.next.name + " was replaced" }

// callOn runs one call on an instance from p within timeout (0: none, and
// none is set when ctx's own deadline comes first). With sink, the output
// is borrowed and handed to sink before the instance goes back to p, and
// callOn returns no output. When p was closed because the component was
// replaced, it returns a *replacedError.
func (c *Component) callOn(ctx context.Context, p *pool.Of[*instance], function string, input []byte, timeout time.Duration,
	sink func([]byte)) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, contextError(c.name, function, err)
	}
	if err := c.checkRequest(function, input); err != nil {
		return nil, err // before taking an instance
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
		return nil, c.poolError(function, err)
	}
	out, err := c.call(ctx, in, function, input, sink != nil)
	if err == nil && sink != nil {
		sink(out)
		out = nil
	}
	c.backoff.record(in.Broken())
	p.Release(in, err)
	return out, err
}

// call runs function on in, which the caller holds alone; with borrow, the
// output is valid only until in's next call.
func (c *Component) call(ctx context.Context, in *instance, function string, input []byte, borrow bool) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, contextError(c.name, function, err)
	}
	out, err := c.callLimited(ctx, in, function, input, borrow)
	return out, c.redactErr(err)
}

// poolError maps a pool failure to the error a caller branches on.
func (c *Component) poolError(function string, err error) error {
	var sat *pool.SaturatedError
	switch {
	case errors.Is(err, pool.ErrClosed):
		return ErrClosed
	case errors.As(err, &sat) && sat.Context != nil:
		return contextError(c.name, function, sat.Context)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return contextError(c.name, function, err)
	}
	return err
}

// contextError is the error of a call whose context ended before the guest
// ran: a timeout for a deadline, else a cancellation.
func contextError(name, function string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return &engine.TimeoutError{Module: name, Function: function}
	}
	return &engine.CanceledError{Module: name, Function: function}
}

// Run runs the component as a command: a fresh instance whose _start runs
// once with cio's arguments, environment and streams. It returns nil for
// exit status 0 and *engine.ExitError for another.
func (c *Component) Run(ctx context.Context, cio trigger.CommandIO) error {
	if c.closed.Load() {
		return ErrClosed
	}
	if c.cm != nil {
		return c.runComponentModel(ctx, cio)
	}
	if c.runs == nil {
		return fmt.Errorf("component %s is a %s, not a command (it exports no _start)", c.name, c.main.Pattern())
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	defer c.redactStderr(&cio)()
	in, err := c.runs.GetNew(ctx, func(ctx context.Context) (*instance, error) {
		return c.newInstance(ctx, nil, &cio)
	})
	if err != nil {
		return c.poolError("_start", err)
	}
	_, err = in.inst.Call(ctx, "_start")
	c.runs.Release(in, err)
	return c.redactErr(c.observe(err))
}

// CallRaw calls export with parameters and results encoded as wazero
// encodes them (api.EncodeI32 and friends), for exports that are not Extism
// functions (`wasmhive run --invoke`): on a warm instance of a reactor, or a
// fresh one of a command (its _start does not run).
func (c *Component) CallRaw(ctx context.Context, export string, params ...uint64) ([]uint64, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	if c.cm != nil {
		return nil, fmt.Errorf("component %s: core calls: %w (use CallFunc)", c.name, ErrComponentModel)
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	if c.pool == nil {
		in, err := c.newInstance(ctx, nil, &trigger.CommandIO{})
		if err != nil {
			return nil, err
		}
		defer in.Close(ctx)
		res, err := in.inst.Call(ctx, export, params...)
		return append([]uint64(nil), res...), c.redactErr(c.observe(err))
	}
	in, err := c.pool.Get(ctx)
	if err != nil {
		return nil, c.poolError(export, err)
	}
	res, err := in.inst.Call(ctx, export, params...)
	res = append([]uint64(nil), res...) // the instance's, until its next call
	c.backoff.record(in.Broken())
	c.pool.Release(in, err)
	return res, c.redactErr(c.observe(err))
}

// Instance makes a dedicated instance of the component, outside its pool,
// with its own variables and memory: see Plugin.
func (c *Component) Instance(ctx context.Context) (*Plugin, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	if c.cm != nil {
		return nil, fmt.Errorf("component %s: plugins: %w", c.name, ErrComponentModel)
	}
	in, err := c.newInstance(ctx, nil, nil)
	if err != nil {
		return nil, err
	}
	return &Plugin{c: c, in: in}, nil
}

// Stats returns the counters of the component's instances.
func (c *Component) Stats() PoolStats {
	switch {
	case c.pool != nil:
		return c.pool.Stats()
	case c.runs != nil:
		return c.runs.Stats()
	}
	return PoolStats{}
}

// close releases the component's instances and compiled code.
func (c *Component) close(ctx context.Context) {
	if c.closed.Swap(true) {
		return
	}
	if c.pool != nil {
		c.pool.Close(ctx)
	}
	if c.runs != nil {
		c.runs.Close(ctx)
	}
	c.closeServed(ctx)
	c.conf.flush()
	c.closeModules(ctx)
}

// closeServed closes the pools serving links to the component.
func (c *Component) closeServed(ctx context.Context) {
	c.links.mu.Lock()
	pools := c.links.pools
	c.links.pools = nil
	c.links.mu.Unlock()
	for _, sp := range pools {
		sp.pool.Close(ctx)
	}
}

func (c *Component) closeModules(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	if c.main != nil {
		c.main.Compiled().Close(ctx)
	}
	if c.cm != nil {
		c.cm.Close(ctx)
	}
	for _, l := range c.libs {
		l.mod.Compiled().Close(ctx)
	}
	for _, m := range c.linkMods {
		m.Close(ctx)
	}
}
