package wasmhive

import (
	"context"
	"path/filepath"
	"sync"

	"github.com/wasmhive/wasmhive/trigger"
)

// ErrClosed is matched by calls on a closed plugin, component or Host.
var ErrClosed = trigger.ErrClosed

// CompiledPlugin is a compiled plugin (a main module and its libraries),
// ready to make any number of instances: a Component of a Host of its own.
// It is safe for concurrent use.
type CompiledPlugin struct {
	h *Host
	c *Component
}

// Plugin is one instance of a plugin. Its calls are serialised, so it is safe
// for concurrent use; variables and guest memory persist across calls.
type Plugin struct {
	c     *Component
	owner *CompiledPlugin // Close closes it too (made by Load)

	mu     sync.Mutex
	in     *instance
	closed bool
}

// Load compiles wasm and makes one instance of it. Close the Plugin to
// release everything.
func Load(ctx context.Context, wasm []byte, opts ...Option) (*Plugin, error) {
	c, err := Compile(ctx, wasm, opts...)
	if err != nil {
		return nil, err
	}
	p, err := c.Instance(ctx)
	if err != nil {
		c.Close(ctx)
		return nil, err
	}
	p.owner = c
	return p, nil
}

// LoadFile is Load with the module read from path.
func LoadFile(ctx context.Context, path string, opts ...Option) (*Plugin, error) {
	wasm, opts, err := readPlugin(path, opts)
	if err != nil {
		return nil, err
	}
	return Load(ctx, wasm, opts...)
}

// readPlugin reads a plugin file and names the plugin after it (unless a
// later WithName says otherwise).
func readPlugin(path string, opts []Option) ([]byte, []Option, error) {
	b, err := readModule(path)
	if err != nil {
		return nil, nil, err
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
	o := options{name: "plugin"}
	for _, opt := range opts {
		opt(&o)
	}
	h, err := NewHost(ctx, o.hostConfig())
	if err != nil {
		return nil, err
	}
	c, err := h.AddComponent(ctx, o.name, o.componentConfig(wasm))
	if err != nil {
		h.Close(ctx)
		return nil, err
	}
	return &CompiledPlugin{h: h, c: c}, nil
}

// Name returns the plugin's name.
func (c *CompiledPlugin) Name() string { return c.c.name }

// FunctionExists reports whether the main module exports function.
func (c *CompiledPlugin) FunctionExists(function string) bool { return c.c.FunctionExists(function) }

// Component returns the plugin's component.
func (c *CompiledPlugin) Component() *Component { return c.c }

// Instance makes a new instance with its own variables and memory, apart
// from the instances CompiledPlugin.Call uses.
func (c *CompiledPlugin) Instance(ctx context.Context) (*Plugin, error) { return c.c.Instance(ctx) }

// Call calls the plugin's export function with input and returns its
// output. Calls on one Plugin run one at a time.
func (p *Plugin) Call(ctx context.Context, function string, input []byte) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.c.closed.Load() {
		return nil, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, contextError(p.c.name, function, err)
	}
	if p.in.Broken() {
		// The last call trapped, timed out or exited: start a new instance
		// that keeps the variables.
		vars := p.in.st.Vars()
		p.in.Close(ctx)
		in, err := p.c.newInstance(ctx, vars, nil)
		if err != nil {
			return nil, err
		}
		p.in = in
	}
	ctx, cancel := p.c.withTimeout(ctx)
	defer cancel()
	return p.c.call(ctx, p.in, function, input)
}

// Name returns the plugin's name.
func (p *Plugin) Name() string { return p.c.name }

// FunctionExists reports whether the plugin exports function.
func (p *Plugin) FunctionExists(function string) bool { return p.c.FunctionExists(function) }

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
	if p.owner != nil {
		return p.owner.Close(ctx)
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
	return c.c.Call(ctx, function, input)
}

// Stats returns the counters of the instances CompiledPlugin.Call uses: how
// many are busy and idle, how many calls wait, and how many instances were
// created and discarded.
func (c *CompiledPlugin) Stats() PoolStats { return c.c.Stats() }

// Close releases the compiled code and every instance made from it.
func (c *CompiledPlugin) Close(ctx context.Context) error { return c.h.Close(ctx) }
