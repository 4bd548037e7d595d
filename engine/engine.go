// Package engine runs WebAssembly core modules on wazero: it compiles (with an
// on-disk compilation cache), checks imports, detects the interaction pattern
// (command, reactor, library), instantiates with WASI preview 1, enforces
// memory and time limits, and turns wazero's errors into typed errors.
//
// A Runtime is safe for concurrent use. Everything hangs off it: there is no
// package-level state.
package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"runtime/debug"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/wasmhive/wasmhive/internal/interrupt"
	"github.com/wasmhive/wasmhive/internal/version"
)

// PageSize is the size of one WebAssembly memory page.
const PageSize = 65536

// Config configures a Runtime. It is plain data: the zero value of every
// field means its documented default (see RATIONALE.md).
type Config struct {
	// CacheDir is the directory of the on-disk compilation cache; empty
	// means DefaultCacheDir().
	CacheDir string
	// NoCache turns the on-disk compilation cache off.
	NoCache bool
	// NoInterrupts compiles guests without interruption checks: a call can
	// then no longer be stopped by its context's deadline or cancellation
	// while the guest runs (only between host calls that honour the
	// context), and a guest spinning in wasm code holds up the Go garbage
	// collector's stop-the-world. By default guests are interruptible: every
	// module is rewritten (package internal/interrupt) to count down a
	// budget at loop headers and function entries and to call the host when
	// it runs out, about every 200 µs of guest time: a load, a decrement, a
	// store and a never-taken branch per loop iteration (1.0-1.35x on
	// loop-heavy guests, see bench/interrupt). The rewritten modules are
	// kept in the on-disk cache beside the compiled code. With DebugInfo,
	// whose source positions the rewrite would shift, wazero's own
	// termination checks are used instead (slower: a trampoline call at
	// every loop iteration and a goroutine per call; and they do not stop a
	// recursion without loops).
	NoInterrupts bool
	// DebugInfo reads modules' DWARF debug sections, so that trap stack
	// traces (TrapError.Stack) carry source positions ("0x2d58:
	// file.c:9:12") for modules built with debug info. The price is start-up
	// time: wazero keeps a source map of every compiled instruction and,
	// from the on-disk cache, reads it back entry by entry (a warm start of
	// a 21 MB C module takes ~3x longer with it). Without it stack traces
	// still name every function (from the name section). The on-disk cache
	// keeps the two apart (code compiled without the source map is stored
	// under a "nodwarf" subdirectory), so one never reuses the other's
	// entries.
	DebugInfo bool
	// MaxMemory is a ceiling on the linear memory of every instance of the
	// Runtime, in bytes (rounded down to whole 64 KiB pages): a module whose
	// minimum exceeds it fails to compile. Zero means WebAssembly's own 4
	// GiB. Per-instance caps below it are InstanceConfig.MaxMemory.
	MaxMemory uint64
	// CompilationWorkers is how many goroutines compile a module's
	// functions in parallel; 0 means one per CPU.
	CompilationWorkers int
	// HostModules are the host modules guests may import, beside
	// wasi_snapshot_preview1, which every Runtime defines. Per-instance
	// state is found with a Key.
	HostModules []HostModule
}

// HostModule is a set of host functions guests can import under one module
// name. It is how WASI, the Extism ABI and user host functions plug into the
// engine.
type HostModule interface {
	// ModuleName is the import module name, e.g. "wasi_snapshot_preview1".
	ModuleName() string
	// Define adds the module's functions to b. rt is the Runtime being built;
	// host functions use a Key to reach the calling instance's state.
	Define(rt *Runtime, b wazero.HostModuleBuilder)
}

// DefaultCacheDir returns the compilation cache directory of this build:
// os.UserCacheDir()/wasmhive/<version>[-wazero-<build>]-<os>-<arch>, e.g.
// ~/.cache/wasmhive/v0.3.0-linux-amd64.
//
// Staleness: the cached machine code is wazero's output alone, and wazero
// keys every entry by the module's SHA-256, the compile options that change
// code, the CPU's features, and (in a wazero-<version> subdirectory) its own
// version. A changed module, or a wasmhive built against another wazero
// release, therefore never reuses an entry, even for "dev" builds. The one
// case wazero cannot see is a wazero replaced by a local directory (a go.mod
// replace directive), whose code changes without a version: then the name
// also carries a hash of the wasmhive executable.
func DefaultCacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find cache directory: %w", err)
	}
	return filepath.Join(base, "wasmhive", cacheKey()), nil
}

// cacheKey names this build's cache directory.
func cacheKey() string {
	key := version.String()
	if w := wazeroBuild(); w != "" {
		key += "-wazero-" + w
	}
	return key + "-" + goruntime.GOOS + "-" + goruntime.GOARCH
}

// wazeroBuild identifies a wazero that is not the released version go.mod
// requires: the replacement's version and checksum, or for a local directory
// a hash of the running executable. It is "" in the usual case.
func wazeroBuild() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, dep := range bi.Deps {
		if dep.Path != "github.com/tetratelabs/wazero" || dep.Replace == nil {
			continue
		}
		r := dep.Replace
		if r.Version != "" {
			return shortHash(r.Path + "@" + r.Version + " " + r.Sum)
		}
		exe, err := os.Executable()
		if err != nil {
			return "local"
		}
		b, err := os.ReadFile(exe)
		if err != nil {
			return "local"
		}
		return "local-" + shortHash(string(b))
	}
	return ""
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}

// Runtime compiles and instantiates modules. Close it to release compiled
// code and instances.
type Runtime struct {
	cfg      Config
	wr       wazero.Runtime
	cache    wazero.CompilationCache
	maxPages uint32

	// Host modules are compiled and instantiated when the first module
	// that imports one is compiled: compiling a host module's Go function
	// trampolines is most of what a Runtime costs to make, and a guest
	// imports few of them (a command, only WASI).
	hostMu    sync.Mutex
	hostDecl  map[string]HostModule                        // declared, not yet defined
	hostNames map[string]map[string]api.FunctionDefinition // defined: host module -> function -> definition

	instrumented bool   // modules are rewritten with interruption checks (Config.instrumenting)
	intrDir      string // the cache of rewritten modules; empty without the on-disk cache

	instances sync.Map   // api.Module -> *Instance
	mem       memoryPool // recycled linear memories (InstanceConfig.RecycleMemory)
}

// NewRuntime creates a Runtime from cfg and defines its host modules
// (wasi_snapshot_preview1 always, then cfg's).
func NewRuntime(ctx context.Context, cfg Config) (*Runtime, error) {
	if cfg.CompilationWorkers <= 0 {
		cfg.CompilationWorkers = goruntime.NumCPU()
	}
	rc := wazero.NewRuntimeConfigCompiler().WithCloseOnContextDone(!cfg.NoInterrupts && !cfg.instrumenting()).WithCustomSections(true).
		WithDebugInfoEnabled(cfg.DebugInfo)
	if cfg.MaxMemory > 0 {
		pages := cfg.MaxMemory / PageSize
		if pages > 65536 {
			pages = 65536
		}
		rc = rc.WithMemoryLimitPages(uint32(pages))
	}
	rt := &Runtime{cfg: cfg, hostDecl: map[string]HostModule{}, hostNames: map[string]map[string]api.FunctionDefinition{},
		instrumented: cfg.instrumenting()}
	rt.maxPages = 65536
	if cfg.MaxMemory > 0 {
		rt.maxPages = uint32(min(cfg.MaxMemory/PageSize, 65536))
	}
	if !cfg.NoCache {
		dir := cfg.CacheDir
		if dir == "" {
			var err error
			if dir, err = DefaultCacheDir(); err != nil {
				return nil, err
			}
		}
		if rt.instrumented {
			rt.intrDir = filepath.Join(dir, fmt.Sprintf("interrupt-v%d", interrupt.Version))
		}
		dir = cacheSubdir(dir, cfg)
		cache, err := wazero.NewCompilationCacheWithDir(dir)
		if err != nil {
			return nil, fmt.Errorf("compilation cache %s: %w", dir, err)
		}
		rt.cache = cache
		rc = rc.WithCompilationCache(cache)
	}
	rt.wr = wazero.NewRuntimeWithConfig(ctx, rc)
	hosts := []HostModule{wasiHostModule{}}
	if rt.instrumented {
		hosts = append(hosts, interruptHost{})
	}
	hosts = append(hosts, cfg.HostModules...)
	for _, h := range hosts {
		name := h.ModuleName()
		if _, dup := rt.hostDecl[name]; dup {
			rt.Close(ctx)
			return nil, fmt.Errorf("host module %q defined twice", name)
		}
		rt.hostDecl[name] = h
	}
	return rt, nil
}

// hostModule returns the functions of the host module name, defining it
// on first use; ok is false when the Runtime declares no such module.
func (rt *Runtime) hostModule(ctx context.Context, name string) (defs map[string]api.FunctionDefinition, ok bool, err error) {
	rt.hostMu.Lock()
	defer rt.hostMu.Unlock()
	if defs, ok := rt.hostNames[name]; ok {
		return defs, true, nil
	}
	h, ok := rt.hostDecl[name]
	if !ok {
		return nil, false, nil
	}
	b := rt.wr.NewHostModuleBuilder(name)
	h.Define(rt, b)
	cm, err := b.Compile(ctx)
	if err != nil {
		return nil, true, fmt.Errorf("host module %s: %w", name, err)
	}
	if _, err := rt.wr.InstantiateModule(ctx, cm, wazero.NewModuleConfig()); err != nil {
		cm.Close(ctx)
		return nil, true, fmt.Errorf("host module %s: %w", name, err)
	}
	defs = cm.ExportedFunctions()
	rt.hostNames[name] = defs
	return defs, true, nil
}

// defineImported defines the host modules m imports, so that they are
// there to check its imports against and to instantiate it with.
func (rt *Runtime) defineImported(ctx context.Context, m *Module) error {
	var last string
	for _, f := range m.compiled.ImportedFunctions() {
		mod, _, _ := f.Import()
		if mod == last {
			continue
		}
		last = mod
		if _, _, err := rt.hostModule(ctx, mod); err != nil {
			return &LoadError{Module: m.name, Err: err}
		}
	}
	return nil
}

// HostInstance returns the instance of the host module name, defining it if
// it was not yet, or nil when the Runtime declares no such module.
func (rt *Runtime) HostInstance(ctx context.Context, name string) (api.Module, error) {
	if _, ok, err := rt.hostModule(ctx, name); !ok || err != nil {
		return nil, err
	}
	return rt.wr.Module(name), nil
}

// cacheSubdir returns the directory of the on-disk cache for cfg's compile
// options under the cache directory dir. wazero's cache key covers the
// module, the termination checks and the CPU, but not whether DWARF was
// read: code compiled without the source map goes to its own subdirectory.
func cacheSubdir(dir string, cfg Config) string {
	if !cfg.DebugInfo {
		return filepath.Join(dir, "nodwarf")
	}
	return dir
}

// compileCtx returns ctx with the configured number of compilation workers.
func (rt *Runtime) compileCtx(ctx context.Context) context.Context {
	return experimental.WithCompilationWorkers(ctx, rt.cfg.CompilationWorkers)
}

// Close releases everything the Runtime holds, including its instances.
func (rt *Runtime) Close(ctx context.Context) error {
	err := rt.wr.Close(ctx)
	rt.mem.close()
	if rt.cache != nil {
		if cerr := rt.cache.Close(ctx); err == nil {
			err = cerr
		}
	}
	return err
}

// Wazero returns the underlying wazero runtime, for packages that define
// guest-to-guest linking or advanced host modules.
func (rt *Runtime) Wazero() wazero.Runtime { return rt.wr }
