package wasmhive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/capability"
	"github.com/wasmhive/wasmhive/capability/keyvalue"
	"github.com/wasmhive/wasmhive/capability/messaging"
	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/link"
	"github.com/wasmhive/wasmhive/trigger"
)

// HostConfig configures a Host. It is plain data: the zero value of every
// field means its documented default.
type HostConfig struct {
	// App names the application the Host runs; it picks the default data
	// directory. Empty means "default".
	App string `yaml:"app" json:"app,omitempty"`
	// DataDir is where embedded providers keep their data (the keyvalue
	// store, the messaging server's JetStream files). Empty means
	// DefaultDataDir(App).
	DataDir string `yaml:"data_dir" json:"data_dir,omitempty"`
	// CacheDir is the compilation cache directory; empty means
	// engine.DefaultCacheDir(). A cache that cannot be used is skipped with
	// one warning: it only makes starts faster.
	CacheDir string `yaml:"cache_dir" json:"cache_dir,omitempty"`
	// NoCache turns the on-disk compilation cache off.
	NoCache bool `yaml:"no_cache" json:"no_cache,omitempty"`
	// NoInterrupts compiles guests without interruption checks: a running
	// guest can then no longer be stopped by a timeout or cancellation,
	// only between host calls, and a guest spinning in wasm code holds up
	// the Go garbage collector; tight loops run a little faster.
	NoInterrupts bool `yaml:"no_interrupts" json:"no_interrupts,omitempty"`
	// DebugInfo reads modules' DWARF sections, so that trap stack traces
	// carry file:line, at the price of slower loading.
	DebugInfo bool `yaml:"debug_info" json:"debug_info,omitempty"`
	// Providers choose the implementation behind each capability.
	Providers Providers `yaml:"providers" json:"providers"`
	// Claims is the policy on modules' signed claims, checked when a
	// component is added.
	Claims ClaimsPolicy `yaml:"claims" json:"claims"`
	// KeyValue, when set, is the keyvalue provider instead of the one
	// Providers.KeyValue names: a Go program's own Store. The Host does not
	// close it.
	KeyValue keyvalue.Store `yaml:"-" json:"-"`
	// Messaging, when set, is the messaging provider instead of the one
	// Providers.Messaging names. The Host does not close it.
	Messaging messaging.Broker `yaml:"-" json:"-"`
	// Remote, when set, serves the links whose target is not on the Host
	// (components of the app that run on other hosts of a lattice).
	Remote Remote `yaml:"-" json:"-"`
	// Logger receives the Host's and the components' logs; nil means
	// slog.Default().
	Logger *slog.Logger `yaml:"-" json:"-"`
	// HostFunctions are Go functions every component of the Host may
	// import.
	HostFunctions []HostFunction `yaml:"-" json:"-"`
	// Stdout and Stderr receive what components write to WASI's standard
	// output and error, unless a call says otherwise; nil means the
	// Logger, a line at a time.
	Stdout, Stderr io.Writer `yaml:"-" json:"-"`
}

// ClaimsPolicy is what a Host asks of modules' signed claims (a wascap JWT
// embedded in the module). A module that carries claims always has them
// verified: its hash, signature and validity times.
type ClaimsPolicy struct {
	// Require refuses modules that carry no claims.
	Require bool `yaml:"require" json:"require,omitempty"`
	// TrustedIssuers are the account public keys (A...) whose signatures
	// are accepted; empty accepts any issuer whose signature verifies.
	TrustedIssuers []string `yaml:"trusted_issuers" json:"trusted_issuers,omitempty"`
}

// DefaultDataDir returns the data directory of app:
// $XDG_DATA_HOME/wasmhive/apps/<app>, or ~/.local/share/wasmhive/apps/<app>.
func DefaultDataDir(app string) (string, error) {
	if app == "" {
		app = "default"
	}
	base := os.Getenv("XDG_DATA_HOME")
	if base == "" || !filepath.IsAbs(base) {
		home, err := os.UserHomeDir()
		if err != nil || home == "" {
			return "", errors.New("no data directory: set XDG_DATA_HOME or HOME, or give a data directory")
		}
		base = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(base, "wasmhive", "apps", app), nil
}

// Host runs components. It owns one engine runtime shared by all of them,
// the compiled components by name, their instance pools, grants and limits,
// and the capability providers. Every verb of the CLI and the Go API go
// through a Host; triggers reach it through trigger.Invoker. It is safe for
// concurrent use. Close it to release everything.
type Host struct {
	cfg HostConfig
	log *slog.Logger
	rt  *engine.Runtime

	mu         sync.RWMutex
	components map[string]*Component
	closed     bool
	// wiring serialises the changes that links are checked against:
	// adding, replacing and removing components (swap.go).
	wiring sync.Mutex
	// drains are the replaced components still finishing their calls.
	drains sync.WaitGroup

	prov *providers
	// known are the interfaces whose functions the platform fixes, and
	// capFuncs the capability functions by interface and name (links.go).
	known    []link.Interface
	capFuncs map[string]map[string]capability.Function

	// cml links Component Model components to WASI 0.2, made on first use
	// (componentmodel.go).
	cmOnce sync.Once
	cml    *linker.Linker
}

// ErrUnknownComponent is matched by errors naming a component the Host does
// not have.
var ErrUnknownComponent = errors.New("no such component")

// ErrHostClosed is returned by calls on a closed Host; it matches ErrClosed.
var ErrHostClosed = fmt.Errorf("host is %w", ErrClosed)

// NewHost creates a Host: its engine runtime with the WASI, Extism and
// capability host modules and cfg's host functions. Providers are opened
// when the first component granted their capability is added.
func NewHost(ctx context.Context, cfg HostConfig) (*Host, error) {
	h := &Host{cfg: cfg, log: cfg.Logger, components: map[string]*Component{}}
	if h.log == nil {
		h.log = slog.Default()
	}
	user, err := hostModules(cfg.HostFunctions)
	if err != nil {
		return nil, err
	}
	caps := capabilityModules()
	h.known, h.capFuncs = knownInterfaces(caps)
	mods := append(extism.HostModules(), caps...)
	mods = append(mods, invokeModule{h: h})
	ec := engine.Config{
		DebugInfo:    cfg.DebugInfo,
		NoInterrupts: cfg.NoInterrupts,
		HostModules:  append(mods, user...),
	}
	rt, err := newRuntime(ctx, ec, cfg, h.log)
	if err != nil {
		return nil, err
	}
	h.rt = rt
	h.prov = &providers{h: h}
	return h, nil
}

// newRuntime makes the engine runtime with the compilation cache when one
// can be used: without one (no cache directory, as under some service
// managers, or one that cannot be written) it warns once and goes on.
func newRuntime(ctx context.Context, ec engine.Config, cfg HostConfig, log *slog.Logger) (*engine.Runtime, error) {
	ec.NoCache, ec.CacheDir = cfg.NoCache, cfg.CacheDir
	rt, err := engine.NewRuntime(ctx, ec)
	if err == nil || cfg.NoCache {
		return rt, err
	}
	log.Warn("compilation cache unavailable; compiling without it", "error", err.Error())
	ec.NoCache = true
	return engine.NewRuntime(ctx, ec)
}

// Runtime returns the Host's engine runtime.
func (h *Host) Runtime() *engine.Runtime { return h.rt }

// Logger returns the Host's logger.
func (h *Host) Logger() *slog.Logger { return h.log }

// DataDir returns the directory where the Host's embedded providers keep
// data.
func (h *Host) DataDir() (string, error) {
	if h.cfg.DataDir != "" {
		return h.cfg.DataDir, nil
	}
	return DefaultDataDir(h.cfg.App)
}

// Component returns the component name.
func (h *Host) Component(name string) (*Component, error) {
	h.mu.RLock()
	c, ok := h.components[name]
	closed := h.closed
	h.mu.RUnlock()
	if closed {
		return nil, ErrHostClosed
	}
	if !ok || c == nil { // nil: reserved while it loads
		return nil, fmt.Errorf("%w %q", ErrUnknownComponent, name)
	}
	return c, nil
}

// Components returns the names of the Host's components, sorted.
func (h *Host) Components() []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	names := make([]string, 0, len(h.components))
	for n, c := range h.components {
		if c != nil {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// AddComponent compiles cfg's module as component name, checks its imports
// against its grants and the Host's host modules, opens the providers of
// its grants, and (for reactors and plugins) makes its first warm instance,
// so that a component that cannot run is refused here rather than on its
// first call.
func (h *Host) AddComponent(ctx context.Context, name string, cfg ComponentConfig) (*Component, error) {
	if name == "" {
		return nil, errors.New("a component needs a name")
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrHostClosed
	}
	if _, dup := h.components[name]; dup {
		h.mu.Unlock()
		return nil, fmt.Errorf("component %q added twice", name)
	}
	h.components[name] = nil // reserved while it loads
	h.mu.Unlock()
	c, err := h.load(ctx, name, cfg)
	if err == nil {
		h.wiring.Lock()
		defer h.wiring.Unlock()
		if err = h.checkLinks(c); err != nil {
			c.close(ctx)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if err != nil || h.closed {
		delete(h.components, name)
		if err == nil {
			c.close(ctx)
			err = ErrHostClosed
		}
		return nil, err
	}
	h.components[name] = c
	return c, nil
}

// Invoke calls export of component with payload as its input, through the
// Extism ABI, on a warm instance from the component's pool (trigger.Invoker).
func (h *Host) Invoke(ctx context.Context, component, export string, payload []byte) ([]byte, error) {
	c, err := h.Component(component)
	if err != nil {
		return nil, err
	}
	return c.Call(ctx, export, payload)
}

// Run runs component as a command: a fresh instance, _start once
// (trigger.Invoker). A non-zero exit status is an *engine.ExitError.
func (h *Host) Run(ctx context.Context, component string, cio trigger.CommandIO) error {
	c, err := h.Component(component)
	if err != nil {
		return err
	}
	return c.Run(ctx, cio)
}

// Describe tells a trigger what component is (trigger.Invoker).
func (h *Host) Describe(component string) (trigger.Info, error) {
	c, err := h.Component(component)
	if err != nil {
		return trigger.Info{}, err
	}
	// The counters follow the component across replacements (swap.go).
	current := func() *Component {
		if n, err := h.Component(component); err == nil {
			return n
		}
		return c
	}
	if c.cm != nil {
		info := c.describeComponentModel()
		info.Stats = func() PoolStats { return current().Stats() }
		info.Violations = func() map[string]uint64 { return current().Violations() }
		info.Violated = func(err error) { current().observe(err) }
		return info, nil
	}
	exports := map[string]bool{}
	for n := range c.main.Compiled().ExportedFunctions() {
		exports[n] = true
	}
	return trigger.Info{Name: c.name, Pattern: c.main.Pattern().String(), Exports: exports,
		Stats:           func() PoolStats { return current().Stats() },
		MaxRequestBytes: int64(c.cfg.Limits.RequestBytes), MaxResponseBytes: int64(c.cfg.Limits.ResponseBytes),
		Violations: func() map[string]uint64 { return current().Violations() },
		Violated:   func(err error) { current().observe(err) }}, nil
}

// Close closes every component, then the providers and the runtime.
func (h *Host) Close(ctx context.Context) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	comps := h.components
	h.components = map[string]*Component{}
	h.mu.Unlock()
	ctx = context.WithoutCancel(ctx)
	for _, c := range comps {
		if c != nil {
			c.close(ctx)
		}
	}
	h.drains.Wait() // replaced components stop waiting for their calls
	err := h.prov.close()
	if rerr := h.rt.Close(ctx); err == nil {
		err = rerr
	}
	return err
}

// defaultMax is a pool's size when Instances.Max is 0.
func defaultMax() int { return runtime.GOMAXPROCS(0) }

// lineLogger writes what a component prints, a line at a time, to a logger.
type lineLogger struct {
	log    *slog.Logger
	stream string
	mu     sync.Mutex
	buf    []byte
}

func (l *lineLogger) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, b...)
	for {
		i := strings.IndexByte(string(l.buf), '\n')
		if i < 0 {
			break
		}
		l.log.Warn("component output", "stream", l.stream, "line", string(l.buf[:i]))
		l.buf = l.buf[i+1:]
	}
	if len(l.buf) > 8<<10 {
		l.log.Warn("component output", "stream", l.stream, "line", string(l.buf)+" [truncated]")
		l.buf = l.buf[:0]
	}
	return len(b), nil
}
