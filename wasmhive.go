// Package wasmhive is a WebAssembly application host on wazero: a Host runs
// components (commands, reactors and plugins) with capability grants,
// limits and pools of warm instances, and the same package embeds Extism
// plugins in Go programs. It speaks the Extism plugin ABI, so plugins built
// with any official Extism PDK (Rust, Go, JS, C, AssemblyScript,
// Haskell...) or with wasmhive's own PDK run unmodified: the host calls a
// plugin's exports with bytes in and bytes out, and the plugin calls back
// into host functions.
//
// Load a plugin and call it:
//
//	p, err := wasmhive.LoadFile(ctx, "count_vowels.wasm", wasmhive.PluginConfig{
//		Component: wasmhive.ComponentConfig{Config: map[string]string{"k": "v"}},
//	})
//	...
//	defer p.Close(ctx)
//	out, err := p.Call(ctx, "count_vowels", []byte("hello world"))
//
// Configuration is plain data (PluginConfig, HostConfig, ComponentConfig):
// the zero value of every field means the default its doc comment gives,
// the same whether a component comes from Go code, flags or an app
// manifest. A plugin is a component of a Host of its own, so a zero
// PluginConfig means exactly the zero HostConfig and ComponentConfig:
// compilation cache on (best-effort), guests interruptible, no DWARF, logs
// and WASI output to slog.Default(), no HTTP host allowed.
//
// # Concurrency
//
// A Plugin owns one instance and serialises its calls with a mutex, so it is
// safe for concurrent use and its state (plugin variables, guest memory)
// persists from one call to the next, as on Extism hosts. To call a plugin
// from many goroutines in parallel, Compile it once and either take one
// Plugin per goroutine with CompiledPlugin.Instance, or call
// CompiledPlugin.Call, which runs each call on an idle instance from a pool
// of up to Instances.Max (default GOMAXPROCS) instances. A call made while
// all are busy waits in a queue bounded by Instances.Queue and
// Instances.QueueTimeout, then fails with ErrSaturated. Pooled instances do
// not share variables; CompiledPlugin.Stats reports the pool's counters.
//
// # Interrupts
//
// Guests are interruptible by default: a call's context deadline or
// cancellation, or Limits.Timeout, stops the guest within about a
// millisecond, even inside a loop or a recursion that never calls the
// host, and a spinning guest does not hold up the Go garbage collector.
// The engine rewrites every module to count down a budget at loop headers
// and function entries and to call the host when it runs out; the
// rewritten module is cached with the compiled code. It costs little (the
// figures are in bench/interrupt), and HostConfig.NoInterrupts still
// compiles without it (as the Extism Go SDK does by default): the context
// is then checked only when a call starts and in blocking host functions
// (http_request), and a guest that loops forever without calling the host
// is not stopped.
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
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/abi/extism"
)

// PluginError reports a plugin function that returned non-zero; its Message
// is what the plugin set as its error.
type PluginError = extism.PluginError

// HostError reports a call stopped by a host function.
type HostError = extism.HostError

// ErrHostNotAllowed is matched (errors.Is) by the error of a call whose
// plugin requested a host outside its HTTPGrant.AllowedHosts.
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

// PluginConfig configures a plugin: its component and the private Host it
// runs on. It is plain data; the zero value means the zero HostConfig and
// ComponentConfig, whose fields document their defaults.
type PluginConfig struct {
	// Name names the plugin in logs and errors; empty means the file's
	// base name (LoadFile, CompileFile) or "plugin".
	Name string
	// Component is the plugin as a component: Config (what config_get
	// reads), Grants (Grants.HTTP.AllowedHosts for http_request), Limits
	// (memory, call timeout, variable store), Dirs, Libraries, Vars and
	// Instances (the pool CompiledPlugin.Call uses). Its Module and Wasm
	// stay empty: the module is Compile's or Load's argument.
	Component ComponentConfig
	// Host is the plugin's private Host: Logger, HostFunctions, Stdout and
	// Stderr, the compilation cache, NoInterrupts and DebugInfo.
	Host HostConfig
	// Linked are other components on the plugin's Host, added before it in
	// order, that Component.Links may name as targets (docs/links.md).
	Linked []NamedComponent
}

// NamedComponent is a component's name and configuration.
type NamedComponent struct {
	Name   string
	Config ComponentConfig
}
