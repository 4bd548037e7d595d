package wasmhive

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/pool"
)

// ErrClosed is returned by calls on a closed plugin.
var ErrClosed = errors.New("plugin is closed")

// CompiledPlugin is a compiled plugin (a main module and its libraries),
// ready to make any number of instances. It is safe for concurrent use.
type CompiledPlugin struct {
	rt     *engine.Runtime
	main   *engine.Module
	libs   []compiledLib
	o      options
	pool   *pool.Of[*instance] // serves Call; nil in the CompiledPlugin behind a Plugin made by Load
	closed atomic.Bool
}

type compiledLib struct {
	name string
	mod  *engine.Module
}

// instance is one instance of the plugin: the main module's, its libraries'
// and the Extism kernel state (variables, memory handles) that goes with
// them. Whoever holds it (a Plugin under its mutex, or a CompiledPlugin.Call
// that took it from the pool) has it alone.
type instance struct {
	st     *extism.State
	inst   *engine.Instance
	libs   []*engine.Instance
	closed bool
}

// Broken reports whether the main instance trapped, timed out, exited or was
// closed: the instance must not serve another call.
func (i *instance) Broken() bool { return i.inst.Broken() }

// Close releases the main instance, then its libraries.
func (i *instance) Close(ctx context.Context) error {
	if i.closed {
		return nil
	}
	i.closed = true
	ctx = context.WithoutCancel(ctx)
	err := i.inst.Close(ctx)
	for _, l := range i.libs {
		l.Close(ctx)
	}
	return err
}

// Plugin is one instance of a plugin. Its calls are serialised, so it is safe
// for concurrent use; variables and guest memory persist across calls.
type Plugin struct {
	c     *CompiledPlugin
	owner bool // Close closes c too (made by Load)

	mu     sync.Mutex
	in     *instance
	closed bool
}

// Load compiles wasm and makes one instance of it. Close the Plugin to
// release everything.
func Load(ctx context.Context, wasm []byte, opts ...Option) (*Plugin, error) {
	c, err := compile(ctx, wasm, opts)
	if err != nil {
		return nil, err
	}
	return c.owned(ctx)
}

// LoadFile is Load with the module read from path.
func LoadFile(ctx context.Context, path string, opts ...Option) (*Plugin, error) {
	wasm, opts, err := readPlugin(path, opts)
	if err != nil {
		return nil, err
	}
	return Load(ctx, wasm, opts...)
}

// owned makes the one instance of a CompiledPlugin made for Load; the
// instance proves the plugin instantiates.
func (c *CompiledPlugin) owned(ctx context.Context) (*Plugin, error) {
	p, err := c.Instance(ctx)
	if err != nil {
		c.Close(ctx)
		return nil, err
	}
	p.owner = true
	return p, nil
}

// readPlugin reads a plugin file and names the plugin after it (unless a
// later WithName says otherwise).
func readPlugin(path string, opts []Option) ([]byte, []Option, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
			if errors.Is(err, os.ErrNotExist) {
				err = errors.New("no such file")
			}
		}
		return nil, nil, &engine.LoadError{Module: path, Err: err}
	}
	return b, append([]Option{WithName(filepath.Base(path))}, opts...), nil
}

// CompileFile is Compile with the module read from path; the plugin is named
// after the file unless WithName says otherwise.
func CompileFile(ctx context.Context, path string, opts ...Option) (*CompiledPlugin, error) {
	wasm, opts, err := readPlugin(path, opts)
	if err != nil {
		return nil, err
	}
	return Compile(ctx, wasm, opts...)
}

// Compile compiles a plugin and checks that it can be instantiated: every
// function it imports must be provided (by the Extism ABI, WASI, a library
// or a host function), else the error names each missing one. The instance
// made to check it is kept warm for the first Call.
func Compile(ctx context.Context, wasm []byte, opts ...Option) (*CompiledPlugin, error) {
	c, err := compile(ctx, wasm, opts)
	if err != nil {
		return nil, err
	}
	in, err := c.newInstance(ctx, c.o.vars)
	if err != nil {
		c.rt.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	maxInst := c.o.maxInstances
	if maxInst <= 0 {
		maxInst = runtime.GOMAXPROCS(0)
	}
	c.pool, err = pool.NewOf(pool.ConfigOf[*instance]{
		New: func(ctx context.Context) (*instance, error) { return c.newInstance(ctx, c.o.vars) },
		Max: maxInst,
		// A call waits for a busy instance as long as its context allows,
		// as on an Extism pool; nobody is turned away.
		QueueSize:    math.MaxInt,
		QueueTimeout: -1,
	})
	if err != nil {
		in.Close(ctx)
		c.rt.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	c.pool.Add(in)
	return c, nil
}

// compile makes the runtime and compiles the main module and libraries,
// without instantiating them.
func compile(ctx context.Context, wasm []byte, opts []Option) (*CompiledPlugin, error) {
	o := options{name: "plugin"}
	for _, opt := range opts {
		opt(&o)
	}
	hosts, err := hostModules(o.hostFuncs)
	if err != nil {
		return nil, err
	}
	ec := engine.NewConfig()
	if !o.cache {
		ec = ec.WithoutCache()
	} else {
		ec = ec.WithCacheDir(o.cacheDir)
	}
	if o.maxMemory > 0 {
		ec = ec.WithMaxMemory(o.maxMemory)
	}
	if o.noDebugInfo {
		ec = ec.WithDebugInfo(false)
	}
	if !o.interrupts && o.timeout <= 0 {
		ec = ec.WithoutInterrupts()
	}
	for _, h := range append(extism.HostModules(), hosts...) {
		ec = ec.WithHostModule(h)
	}
	rt, err := engine.NewRuntime(ctx, ec)
	if err != nil {
		return nil, err
	}
	c := &CompiledPlugin{rt: rt, o: o}
	for _, l := range o.libs {
		var m *engine.Module
		if l.path != "" {
			m, err = rt.CompileFile(ctx, l.path)
		} else {
			m, err = rt.Compile(ctx, l.name, l.wasm)
		}
		if err != nil {
			rt.Close(ctx)
			return nil, fmt.Errorf("library %s: %w", l.name, err)
		}
		c.libs = append(c.libs, compiledLib{name: l.name, mod: m})
	}
	if c.main, err = rt.Compile(ctx, o.name, wasm); err != nil {
		rt.Close(ctx)
		return nil, err
	}
	return c, nil
}

// Name returns the plugin's name.
func (c *CompiledPlugin) Name() string { return c.o.name }

// FunctionExists reports whether the main module exports function.
func (c *CompiledPlugin) FunctionExists(function string) bool { return c.main.HasExport(function) }

// Instance makes a new instance with its own variables and memory, apart
// from the instances CompiledPlugin.Call uses.
func (c *CompiledPlugin) Instance(ctx context.Context) (*Plugin, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	in, err := c.newInstance(ctx, c.o.vars)
	if err != nil {
		return nil, err
	}
	return &Plugin{c: c, in: in}, nil
}

// newInstance instantiates the libraries, in order, then the main module,
// with Extism state starting from vars.
func (c *CompiledPlugin) newInstance(ctx context.Context, vars map[string][]byte) (*instance, error) {
	st := extism.NewState(extism.StateConfig{
		Name:                 c.o.name,
		Config:               c.o.config,
		AllowedHosts:         c.o.allowedHosts,
		MaxHTTPResponseBytes: c.o.maxHTTPBytes,
		MaxVarBytes:          c.o.maxVarBytes,
		MaxKernelBytes:       c.o.maxMemory,
		Logger:               c.o.logger,
		Vars:                 vars,
	})
	icfg := engine.InstanceConfig{
		Args:     []string{c.o.name},
		Stdout:   c.o.stdout,
		Stderr:   c.o.stderr,
		Preopens: c.o.preopens,
	}
	st.Attach(&icfg)
	libs := map[string]*engine.Instance{}
	var opened []*engine.Instance
	fail := func(err error) (*instance, error) {
		for _, l := range opened {
			l.Close(context.WithoutCancel(ctx))
		}
		return nil, err
	}
	for _, l := range c.libs {
		li, err := c.rt.InstantiateLinked(ctx, l.mod, icfg, libs)
		if err != nil {
			return fail(fmt.Errorf("library %s: %w", l.name, err))
		}
		opened = append(opened, li)
		if err := extism.Init(ctx, li); err != nil {
			return fail(fmt.Errorf("library %s: initialise: %w", l.name, err))
		}
		libs[l.name] = li
	}
	inst, err := c.rt.InstantiateLinked(ctx, c.main, icfg, libs)
	if err != nil {
		return fail(err)
	}
	return &instance{st: st, inst: inst, libs: opened}, nil
}

// call runs function on in, which the caller holds alone.
func (c *CompiledPlugin) call(ctx context.Context, in *instance, function string, input []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, c.contextError(err, function)
	}
	if c.o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.o.timeout)
		defer cancel()
	}
	return extism.Call(ctx, in.inst, in.st, function, input)
}

// contextError is the error of a call whose context ended before the guest
// ran: a timeout for a deadline, else a cancellation.
func (c *CompiledPlugin) contextError(err error, function string) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return &engine.TimeoutError{Module: c.o.name, Function: function}
	}
	return &engine.CanceledError{Module: c.o.name, Function: function}
}

// Call calls the plugin's export function with input and returns its
// output. Calls on one Plugin run one at a time.
func (p *Plugin) Call(ctx context.Context, function string, input []byte) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.c.closed.Load() {
		return nil, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, p.c.contextError(err, function)
	}
	if p.in.Broken() {
		// The last call trapped, timed out or exited: start a new instance
		// that keeps the variables.
		vars := p.in.st.Vars()
		p.in.Close(ctx)
		in, err := p.c.newInstance(ctx, vars)
		if err != nil {
			return nil, err
		}
		p.in = in
	}
	return p.c.call(ctx, p.in, function, input)
}

// Name returns the plugin's name.
func (p *Plugin) Name() string { return p.c.o.name }

// FunctionExists reports whether the plugin exports function.
func (p *Plugin) FunctionExists(function string) bool { return p.c.main.HasExport(function) }

// Var returns a copy of the plugin variable name and whether it is set.
func (p *Plugin) Var(name string) ([]byte, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.in.st.Var(name)
	return append([]byte(nil), v...), ok
}

// Close releases the instance (and, for a Plugin made by Load or LoadFile,
// the compiled code).
func (p *Plugin) Close(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.in.Close(ctx)
	p.mu.Unlock()
	if p.owner {
		return p.c.Close(ctx)
	}
	return nil
}

// Call runs one call on an instance from the CompiledPlugin's pool, so
// concurrent calls run in parallel on up to WithMaxInstances instances
// (default GOMAXPROCS); a call made while all are busy waits for one as long
// as its context allows. Healthy instances stay warm for later calls, each
// with its own variables and memory; one that trapped, timed out or exited
// is discarded. Use Instance for a plugin whose variables one caller relies
// on.
func (c *CompiledPlugin) Call(ctx context.Context, function string, input []byte) ([]byte, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, c.contextError(err, function)
	}
	in, err := c.pool.Get(ctx)
	if err != nil {
		var sat *pool.SaturatedError
		switch {
		case errors.Is(err, pool.ErrClosed):
			return nil, ErrClosed
		case errors.As(err, &sat) && sat.Context != nil:
			return nil, c.contextError(sat.Context, function)
		case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
			return nil, c.contextError(err, function)
		}
		return nil, err
	}
	out, err := c.call(ctx, in, function, input)
	c.pool.Release(in, err)
	return out, err
}

// Stats returns the counters of the instances CompiledPlugin.Call uses: how
// many are busy and idle, how many calls wait, and how many instances were
// created and discarded.
func (c *CompiledPlugin) Stats() pool.Stats {
	if c.pool == nil {
		return pool.Stats{}
	}
	return c.pool.Stats()
}

// Close releases the compiled code and every instance made from it.
func (c *CompiledPlugin) Close(ctx context.Context) error {
	if c.closed.Swap(true) {
		return nil
	}
	if c.pool != nil {
		c.pool.Close(ctx)
	}
	return c.rt.Close(context.WithoutCancel(ctx))
}
