// Package wasmhive embeds WebAssembly plugins in Go programs. It speaks the
// Extism plugin ABI, so plugins built with any official Extism PDK (Rust, Go,
// JS, C, AssemblyScript, Haskell...) or with wasmhive's own PDK run
// unmodified: the host calls a plugin's exports with bytes in and bytes out,
// and the plugin calls back into host functions.
//
// Load a plugin and call it:
//
//	p, err := wasmhive.LoadFile(ctx, "count_vowels.wasm", wasmhive.WithConfig(map[string]string{"k": "v"}))
//	...
//	defer p.Close(ctx)
//	out, err := p.Call(ctx, "count_vowels", []byte("hello world"))
//
// # Concurrency
//
// A Plugin owns one instance and serialises its calls with a mutex, so it is
// safe for concurrent use and its state (plugin variables, guest memory)
// persists from one call to the next, as on Extism hosts. To call a plugin
// from many goroutines in parallel, Compile it once and either take one
// Plugin per goroutine with CompiledPlugin.Instance, or call
// CompiledPlugin.Call, which runs each call on an idle instance from a pool
// of up to WithMaxInstances (default GOMAXPROCS) instances, waiting for one
// when all are busy. Pooled instances do not share variables;
// CompiledPlugin.Stats reports the pool's counters.
//
// # Interrupts
//
// As on the Extism Go SDK, a running guest is stopped by its context's
// deadline or cancellation only when the plugin is interruptible
// (WithTimeout or WithInterrupts): the checks that make it so cost time in
// every loop. Otherwise the context is checked when a call starts and in
// blocking host functions.
//
// # Errors
//
// A plugin function returning non-zero gives a *PluginError carrying the
// message the plugin set; a host function that stops a call gives an
// *extism.HostError (out-of-bounds kernel access, denied HTTP request, full
// variable store, a failing host function); a timeout, cancellation or trap
// gives the engine's *engine.TimeoutError, *engine.CanceledError or
// *engine.TrapError. After a trap or timeout the instance is replaced on
// the next call; variables survive.
package wasmhive

import (
	"io"
	"log/slog"
	"math"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/engine"
)

// PluginError reports a plugin function that returned non-zero; its Message
// is what the plugin set as its error.
type PluginError = extism.PluginError

// HostError reports a call stopped by a host function.
type HostError = extism.HostError

// ErrHostNotAllowed is matched (errors.Is) by the error of a call whose
// plugin requested a host outside WithAllowedHosts.
var ErrHostNotAllowed = extism.ErrHostNotAllowed

// ValueType is a WebAssembly value type, for raw host functions.
type ValueType = api.ValueType

// Value types of raw host function parameters and results.
const (
	I32 = api.ValueTypeI32
	I64 = api.ValueTypeI64
	F32 = api.ValueTypeF32
	F64 = api.ValueTypeF64
)

// Option configures a plugin.
type Option func(*options)

type library struct {
	name string
	wasm []byte
	path string
}

type options struct {
	name         string
	config       map[string]string
	allowedHosts []string
	preopens     []engine.Preopen
	maxMemory    uint64
	timeout      time.Duration
	hostFuncs    []HostFunction
	libs         []library
	logger       *slog.Logger
	maxVarBytes  int64
	vars         map[string][]byte
	maxHTTPBytes int64
	stdout       io.Writer
	stderr       io.Writer
	cache        bool
	cacheDir     string
	maxInstances int
	interrupts   bool
	noDebugInfo  bool
}

// WithName names the plugin in logs and errors (default: the file's base
// name, or "plugin").
func WithName(name string) Option { return func(o *options) { o.name = name } }

// WithConfig sets the key/values the plugin reads with config_get (merged
// with earlier WithConfig options).
func WithConfig(kv map[string]string) Option {
	return func(o *options) {
		if o.config == nil {
			o.config = map[string]string{}
		}
		for k, v := range kv {
			o.config[k] = v
		}
	}
}

// WithAllowedHosts lets the plugin make HTTP requests to hosts matching the
// globs ("api.example.com", "*.example.com", "127.0.0.1", "*"). Without it
// every request is denied.
func WithAllowedHosts(globs ...string) Option {
	return func(o *options) { o.allowedHosts = append(o.allowedHosts, globs...) }
}

// WithDir preopens hostDir read-write as guestDir for a plugin that imports
// WASI. No other host file is reachable.
func WithDir(hostDir, guestDir string) Option {
	return func(o *options) {
		o.preopens = append(o.preopens, engine.Preopen{HostPath: hostDir, GuestPath: guestDir})
	}
}

// WithReadOnlyDir preopens hostDir read-only as guestDir.
func WithReadOnlyDir(hostDir, guestDir string) Option {
	return func(o *options) {
		o.preopens = append(o.preopens, engine.Preopen{HostPath: hostDir, GuestPath: guestDir, ReadOnly: true})
	}
}

// WithMemoryLimit caps the plugin's linear memory (whole 64 KiB pages) and
// its kernel memory (where inputs, outputs and exchanged values live) at
// bytes each.
func WithMemoryLimit(bytes uint64) Option { return func(o *options) { o.maxMemory = bytes } }

// WithTimeout stops any call that runs longer than d with an
// *engine.TimeoutError (errors.Is(err, engine.ErrTimeout)). It implies
// WithInterrupts.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithHostFunctions registers host functions the plugin may import.
func WithHostFunctions(fns ...HostFunction) Option {
	return func(o *options) { o.hostFuncs = append(o.hostFuncs, fns...) }
}

// WithLibrary links a library module: the main module's imports from module
// name are served by an instance of wasm. Libraries are instantiated in the
// order given and may import from earlier ones.
func WithLibrary(name string, wasm []byte) Option {
	return func(o *options) { o.libs = append(o.libs, library{name: name, wasm: wasm}) }
}

// WithLibraryFile is WithLibrary with the module read from path.
func WithLibraryFile(name, path string) Option {
	return func(o *options) { o.libs = append(o.libs, library{name: name, path: path}) }
}

// WithLogger sends the plugin's log_* messages to l (trace is
// extism.LevelTrace, below slog.LevelDebug). The plugin sees the lowest level
// l is enabled for through get_log_level. Without it plugin logging is off.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithMaxVarBytes caps the plugin's variable store (default 1 MiB, as
// Extism); a negative n disables vars.
func WithMaxVarBytes(n int64) Option { return func(o *options) { o.maxVarBytes = n } }

// WithVars sets initial plugin variables (what var_get returns until the
// plugin changes them), merged with earlier WithVars options.
func WithVars(vars map[string][]byte) Option {
	return func(o *options) {
		if o.vars == nil {
			o.vars = map[string][]byte{}
		}
		for k, v := range vars {
			o.vars[k] = append([]byte(nil), v...)
		}
	}
}

// WithMaxHTTPResponseBytes caps an HTTP response body (default 50 MiB).
func WithMaxHTTPResponseBytes(n int64) Option { return func(o *options) { o.maxHTTPBytes = n } }

// WithStdout and WithStderr receive what a WASI plugin writes to its standard
// streams (discarded by default).
func WithStdout(w io.Writer) Option { return func(o *options) { o.stdout = w } }

// WithStderr: see WithStdout.
func WithStderr(w io.Writer) Option { return func(o *options) { o.stderr = w } }

// WithCompilationCache keeps compiled code in dir across processes (the
// default wasmhive cache directory when dir is ""). Off by default.
func WithCompilationCache(dir string) Option {
	return func(o *options) { o.cache, o.cacheDir = true, dir }
}

// WithInterrupts makes every call interruptible: its context's deadline or
// cancellation stops the guest even inside a loop that never calls the host.
// WithTimeout implies it. Interruptible guests run slower in tight loops
// (wazero leaves the guest at every loop iteration to check for a stop:
// about 10x for the Rust PDK's count_vowels on 64 KiB). Without it, as on
// the Extism Go SDK, a call's context is checked when the call starts and by
// host functions that block (http_request), but a guest that loops forever
// without calling the host is not stopped.
func WithInterrupts() Option { return func(o *options) { o.interrupts = true } }

// WithDebugInfo sets whether DWARF debug information is read at compile time
// so that trap stack traces carry file:line (on by default). Off makes
// loading modules built with debug information faster.
func WithDebugInfo(on bool) Option { return func(o *options) { o.noDebugInfo = !on } }

// WithMaxInstances caps how many instances CompiledPlugin.Call runs at
// once, which is also how many it keeps warm between calls (default
// GOMAXPROCS, as the Extism Rust SDK's pool defaults to the available
// parallelism). A call made while all are busy waits for one as long as its
// context allows, so a host function must not call the same CompiledPlugin
// back: with every instance busy it would wait on itself. Raise n for
// plugins that spend their calls waiting (on http_request or a slow host
// function) rather than computing.
func WithMaxInstances(n int) Option { return func(o *options) { o.maxInstances = n } }

// hostConfig is the private Host of a plugin made by Compile or Load.
func (o *options) hostConfig() HostConfig {
	log := o.logger
	if log == nil {
		log = slog.New(slog.DiscardHandler) // plugin logging is off unless WithLogger
	}
	return HostConfig{
		CacheDir:      o.cacheDir,
		NoCache:       !o.cache,
		NoInterrupts:  !o.interrupts && o.timeout <= 0,
		DebugInfo:     !o.noDebugInfo,
		Logger:        log,
		HostFunctions: o.hostFuncs,
		Stdout:        orDiscard(o.stdout),
		Stderr:        orDiscard(o.stderr),
	}
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// componentConfig is the plugin's configuration as a component.
func (o *options) componentConfig(wasm []byte) ComponentConfig {
	cc := ComponentConfig{
		Wasm:   wasm,
		Config: o.config,
		Vars:   o.vars,
		Limits: Limits{Memory: Size(o.maxMemory), Timeout: o.timeout, MaxVarBytes: Size(max(o.maxVarBytes, 0))},
		// A call waits for a busy instance as long as its context allows,
		// as on an Extism pool; nobody is turned away.
		Instances: Instances{Max: o.maxInstances, Queue: math.MaxInt32, QueueTimeout: -1},
	}
	if len(o.allowedHosts) > 0 || o.maxHTTPBytes > 0 {
		cc.Grants.HTTP = &HTTPGrant{AllowedHosts: o.allowedHosts, MaxResponseBytes: Size(max(o.maxHTTPBytes, 0))}
	}
	for _, p := range o.preopens {
		cc.Dirs = append(cc.Dirs, Dir{Host: p.HostPath, Guest: p.GuestPath, ReadOnly: p.ReadOnly})
	}
	for _, l := range o.libs {
		cc.Libraries = append(cc.Libraries, Library{Name: l.name, Module: l.path, Wasm: l.wasm})
	}
	return cc
}
