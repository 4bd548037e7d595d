package wasmhive

import (
	"context"
	"errors"
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
func Load(ctx context.Context, wasm []byte, cfg PluginConfig) (*Plugin, error) {
	c, err := Compile(ctx, wasm, cfg)
	if err != nil {
		return nil, err
	}
	return c.owned(ctx)
}

// LoadFile is Load with the module read from path; the plugin is named
// after the file unless cfg.Name says otherwise.
func LoadFile(ctx context.Context, path string, cfg PluginConfig) (*Plugin, error) {
	c, err := CompileFile(ctx, path, cfg)
	if err != nil {
		return nil, err
	}
	return c.owned(ctx)
}

// owned makes the one instance of a plugin made by Load, which closes c
// with it.
func (c *CompiledPlugin) owned(ctx context.Context) (*Plugin, error) {
	p, err := c.Instance(ctx)
	if err != nil {
		c.Close(ctx)
		return nil, err
	}
	p.owner = c
	return p, nil
}

// CompileFile is Compile with the module read from path; the plugin is named
// after the file unless cfg.Name says otherwise.
func CompileFile(ctx context.Context, path string, cfg PluginConfig) (*CompiledPlugin, error) {
	wasm, err := readModule(path)
	if err != nil {
		return nil, err
	}
	if cfg.Name == "" {
		cfg.Name = filepath.Base(path)
	}
	return Compile(ctx, wasm, cfg)
}

// Compile compiles a plugin and checks that it can be instantiated: every
// function it imports must be provided (by the Extism ABI, WASI, a library
// or a host function), else the error names each missing one. The instance
// made to check it is kept warm for the first Call. The plugin runs on a
// Host of its own, made from cfg.Host, as a component made from
// cfg.Component.
func Compile(ctx context.Context, wasm []byte, cfg PluginConfig) (*CompiledPlugin, error) {
	if cfg.Component.Module != "" || cfg.Component.Wasm != nil {
		return nil, errors.New("PluginConfig.Component.Module and Wasm must be empty: the module is Compile's or Load's argument")
	}
	if wasm == nil {
		wasm = []byte{}
	}
	if cfg.Name == "" {
		cfg.Name = "plugin"
	}
	cc := cfg.Component
	cc.Wasm = wasm
	h, err := NewHost(ctx, cfg.Host)
	if err != nil {
		return nil, err
	}
	for _, l := range cfg.Linked {
		if _, err := h.AddComponent(ctx, l.Name, l.Config); err != nil {
			h.Close(ctx)
			return nil, err
		}
	}
	c, err := h.AddComponent(ctx, cfg.Name, cc)
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
	return p.c.call(ctx, p.in, function, input, false)
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
// concurrent calls run in parallel on up to Instances.Max instances
// (default GOMAXPROCS). A call made while all are busy waits for one as
// Instances.Queue and QueueTimeout allow (default: up to 4 x Max calls wait,
// 1s each; a negative QueueTimeout waits as long as ctx allows), then fails
// with ErrSaturated; so a host function must not call the same
// CompiledPlugin back, or with every instance busy it waits on itself.
// Healthy instances stay warm for later calls, each with its own variables
// and memory; one that trapped, timed out or exited is discarded. Use
// Instance for a plugin whose variables one caller relies on.
func (c *CompiledPlugin) Call(ctx context.Context, function string, input []byte) ([]byte, error) {
	return c.c.Call(ctx, function, input)
}

// Stats returns the counters of the instances CompiledPlugin.Call uses: how
// many are busy and idle, how many calls wait, and how many instances were
// created and discarded.
func (c *CompiledPlugin) Stats() PoolStats { return c.c.Stats() }

// Close releases the compiled code and every instance made from it.
func (c *CompiledPlugin) Close(ctx context.Context) error { return c.h.Close(ctx) }
