package wasmhive

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/engine"
)

// ErrClosed is returned by calls on a closed plugin.
var ErrClosed = errors.New("plugin is closed")

// CompiledPlugin is a compiled plugin (a main module and its libraries),
// ready to make any number of instances. It is safe for concurrent use.
type CompiledPlugin struct {
	rt   *engine.Runtime
	main *engine.Module
	libs []compiledLib
	o    options

	mu     sync.Mutex
	idle   []*Plugin
	closed bool
}

type compiledLib struct {
	name string
	mod  *engine.Module
}

// Plugin is one instance of a plugin. Its calls are serialised, so it is safe
// for concurrent use; variables and guest memory persist across calls.
type Plugin struct {
	c     *CompiledPlugin
	owner bool // Close closes c too (made by Load)

	mu     sync.Mutex
	st     *extism.State
	inst   *engine.Instance
	libs   []*engine.Instance
	closed bool
}

// Load compiles wasm and makes one instance of it. Close the Plugin to
// release everything.
func Load(ctx context.Context, wasm []byte, opts ...Option) (*Plugin, error) {
	c, err := Compile(ctx, wasm, opts...)
	if err != nil {
		return nil, err
	}
	return c.owned(ctx)
}

// LoadFile is Load with the module read from path.
func LoadFile(ctx context.Context, path string, opts ...Option) (*Plugin, error) {
	c, err := CompileFile(ctx, path, opts...)
	if err != nil {
		return nil, err
	}
	return c.owned(ctx)
}

func (c *CompiledPlugin) owned(ctx context.Context) (*Plugin, error) {
	p, err := c.Instance(ctx)
	if err != nil {
		c.Close(ctx)
		return nil, err
	}
	p.owner = true
	return p, nil
}

// CompileFile is Compile with the module read from path; the plugin is named
// after the file unless WithName says otherwise.
func CompileFile(ctx context.Context, path string, opts ...Option) (*CompiledPlugin, error) {
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
	return Compile(ctx, b, append([]Option{WithName(filepath.Base(path))}, opts...)...)
}

// Compile compiles a plugin and checks that it can be instantiated: every
// function it imports must be provided (by the Extism ABI, WASI, a library
// or a host function), else the error names each missing one.
func Compile(ctx context.Context, wasm []byte, opts ...Option) (*CompiledPlugin, error) {
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
	// Instantiate once now, so missing imports fail at load; keep it warm.
	p, err := c.Instance(ctx)
	if err != nil {
		rt.Close(ctx)
		return nil, err
	}
	c.idle = append(c.idle, p)
	return c, nil
}

// Name returns the plugin's name.
func (c *CompiledPlugin) Name() string { return c.o.name }

// FunctionExists reports whether the main module exports function.
func (c *CompiledPlugin) FunctionExists(function string) bool { return c.main.HasExport(function) }

// Instance makes a new instance with its own variables and memory. The
// first call on a fresh CompiledPlugin may return the instance made by
// Compile.
func (c *CompiledPlugin) Instance(ctx context.Context) (*Plugin, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	if n := len(c.idle); n > 0 {
		p := c.idle[n-1]
		c.idle = c.idle[:n-1]
		c.mu.Unlock()
		return p, nil
	}
	c.mu.Unlock()
	p := &Plugin{c: c}
	if err := p.instantiate(ctx, c.newState(c.o.vars)); err != nil {
		return nil, err
	}
	return p, nil
}

func (c *CompiledPlugin) newState(vars map[string][]byte) *extism.State {
	return extism.NewState(extism.StateConfig{
		Name:                 c.o.name,
		Config:               c.o.config,
		AllowedHosts:         c.o.allowedHosts,
		MaxHTTPResponseBytes: c.o.maxHTTPBytes,
		MaxVarBytes:          c.o.maxVarBytes,
		MaxKernelBytes:       c.o.maxMemory,
		Logger:               c.o.logger,
		Vars:                 vars,
	})
}

// instantiate makes p's instance (and its libraries) with state st.
func (p *Plugin) instantiate(ctx context.Context, st *extism.State) error {
	c := p.c
	icfg := engine.InstanceConfig{
		Args:     []string{c.o.name},
		Stdout:   c.o.stdout,
		Stderr:   c.o.stderr,
		Preopens: c.o.preopens,
		Values:   st.Values(),
	}
	libs := map[string]*engine.Instance{}
	var opened []*engine.Instance
	fail := func(err error) error {
		for _, l := range opened {
			l.Close(context.WithoutCancel(ctx))
		}
		return err
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
	p.st, p.inst, p.libs = st, inst, opened
	return nil
}

func (p *Plugin) closeInstances(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	if p.inst != nil {
		p.inst.Close(ctx)
		p.inst = nil
	}
	for _, l := range p.libs {
		l.Close(ctx)
	}
	p.libs = nil
}

// Call calls the plugin's export function with input and returns its
// output. Calls on one Plugin run one at a time.
func (p *Plugin) Call(ctx context.Context, function string, input []byte) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.c.isClosed() {
		return nil, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, &engine.TimeoutError{Module: p.c.o.name, Function: function}
		}
		return nil, &engine.CanceledError{Module: p.c.o.name, Function: function}
	}
	if p.inst == nil || p.inst.Broken() {
		// The last call trapped, timed out or exited: start a new instance
		// that keeps the variables.
		vars := p.st.Vars()
		p.closeInstances(ctx)
		if err := p.instantiate(ctx, p.c.newState(vars)); err != nil {
			return nil, err
		}
	}
	if p.c.o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.c.o.timeout)
		defer cancel()
	}
	return extism.Call(ctx, p.inst, p.st, function, input)
}

// Name returns the plugin's name.
func (p *Plugin) Name() string { return p.c.o.name }

// FunctionExists reports whether the plugin exports function.
func (p *Plugin) FunctionExists(function string) bool { return p.c.main.HasExport(function) }

// Var returns a copy of the plugin variable name and whether it is set.
func (p *Plugin) Var(name string) ([]byte, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.st.Var(name)
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
	p.closeInstances(ctx)
	p.mu.Unlock()
	if p.owner {
		return p.c.Close(ctx)
	}
	return nil
}

// Call runs one call on an idle instance from the pool, creating an instance
// when none is idle, so concurrent calls run in parallel. Pooled instances
// keep their own variables; use Instance for a plugin whose variables one
// caller relies on.
func (c *CompiledPlugin) Call(ctx context.Context, function string, input []byte) ([]byte, error) {
	p, err := c.Instance(ctx)
	if err != nil {
		return nil, err
	}
	out, err := p.Call(ctx, function, input)
	c.release(ctx, p)
	return out, err
}

func (c *CompiledPlugin) release(ctx context.Context, p *Plugin) {
	size := c.o.poolSize
	if size <= 0 {
		size = runtime.GOMAXPROCS(0)
	}
	c.mu.Lock()
	if !c.closed && len(c.idle) < size && p.inst != nil && !p.inst.Broken() {
		c.idle = append(c.idle, p)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	p.Close(ctx)
}

func (c *CompiledPlugin) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// Close releases the compiled code and every instance made from it.
func (c *CompiledPlugin) Close(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	idle := c.idle
	c.idle = nil
	c.mu.Unlock()
	for _, p := range idle {
		p.Close(ctx)
	}
	return c.rt.Close(context.WithoutCancel(ctx))
}
