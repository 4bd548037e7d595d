package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/component"
	"github.com/wasmhive/wasmhive/internal/wasmbin"
)

// Pattern is how a module expects to be driven by its host.
type Pattern int

const (
	// PatternCommand is a program: exports _start, runs once.
	PatternCommand Pattern = iota + 1
	// PatternReactor exports _initialize (or functions and no _start): initialised
	// once, then its exports are called many times.
	PatternReactor
	// PatternLibrary imports extism:host/env: the host calls exports with data
	// marshalled through the Extism ABI.
	PatternLibrary
	// PatternComponent is a Component Model binary.
	PatternComponent
)

// ExtismEnvModule is the import module name of the Extism kernel ABI.
const ExtismEnvModule = "extism:host/env"

func (p Pattern) String() string {
	switch p {
	case PatternCommand:
		return "command"
	case PatternReactor:
		return "reactor"
	case PatternLibrary:
		return "library"
	case PatternComponent:
		return "component"
	}
	return "unknown"
}

// IsComponent reports whether b starts like a Component Model binary (the
// WebAssembly magic number, any version, layer 1).
func IsComponent(b []byte) bool { return wasmbin.IsComponent(b) }

// DetectPattern applies wasmhive's pattern rules to a core module, given
// the import module name of each of its function imports and the names of
// its function exports, and says why (e.g. "exports _start"): a function
// import from extism:host/env makes a library, an exported _start a
// command, anything else a reactor. Module.Pattern and package inspect both
// come from it.
func DetectPattern(funcImportModules, funcExports []string) (p Pattern, reason string) {
	switch {
	case slices.Contains(funcImportModules, ExtismEnvModule):
		return PatternLibrary, "imports " + ExtismEnvModule
	case slices.Contains(funcExports, "_start"):
		return PatternCommand, "exports _start"
	case slices.Contains(funcExports, "_initialize"):
		return PatternReactor, "exports _initialize"
	case len(funcExports) > 0:
		return PatternReactor, "exports functions and no _start"
	}
	return PatternReactor, "exports no _start (and no functions)"
}

// Module is a compiled core module, ready to instantiate any number of times.
type Module struct {
	name     string
	compiled wazero.CompiledModule
	pattern  Pattern
	minMem   uint32 // the largest declared minimum of its memories, in pages
	kernel   bool   // the Extism kernel's per-byte calls are inlined (kernel.go)
}

// Name returns the name given to Compile.
func (m *Module) Name() string { return m.name }

// Pattern returns the module's interaction pattern, detected from its imports
// and exports.
func (m *Module) Pattern() Pattern { return m.pattern }

// Compiled returns the wazero compiled module.
func (m *Module) Compiled() wazero.CompiledModule { return m.compiled }

// HasExport reports whether the module exports a function named name.
func (m *Module) HasExport(name string) bool {
	_, ok := m.compiled.ExportedFunctions()[name]
	return ok
}

// CompileFile reads and compiles the module at path; its name is the file's base name.
func (rt *Runtime) CompileFile(ctx context.Context, path string) (*Module, error) {
	name := filepath.Base(path)
	fi, err := os.Stat(path)
	if err != nil {
		return nil, &LoadError{Module: path, Err: cleanPathError(err)}
	}
	if fi.IsDir() {
		return nil, &LoadError{Module: path, Err: errors.New("is a directory, not a .wasm file")}
	}
	if rt.instrumented {
		if wasm, minPages, ok := rt.instrumentedByFile(path, fi); ok {
			// A warm start: the rewritten module, found by the file's
			// identity, without reading or hashing the file.
			return rt.compileChecked(ctx, name, wasm, minPages)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &LoadError{Module: path, Err: cleanPathError(err)}
	}
	return rt.compile(ctx, name, b, path, fi)
}

func cleanPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		if errors.Is(err, os.ErrNotExist) {
			return errors.New("no such file")
		}
		return pe.Err
	}
	return err
}

// Compile validates and compiles wasm. name is used in errors and as argv[0]
// by default. Components return ErrComponent; bytes that are not wasm match
// ErrNotWasm (both wrapped in a *LoadError).
func (rt *Runtime) Compile(ctx context.Context, name string, wasm []byte) (*Module, error) {
	return rt.compile(ctx, name, wasm, "", nil)
}

// compile is Compile of wasm, read from the file at path (fi its stat)
// when path is not empty.
func (rt *Runtime) compile(ctx context.Context, name string, wasm []byte, path string, fi os.FileInfo) (*Module, error) {
	if IsComponent(wasm) {
		// A malformed or invalid component gets its one-line decode error;
		// a valid one the refusal (running components comes later).
		if _, err := component.Decode(wasm); err != nil {
			return nil, &LoadError{Module: name, Err: err}
		}
		return nil, &LoadError{Module: name, Err: ErrComponent}
	}
	// The binary reader checks the header (magic number, length, version)
	// and the structure before wazero sees the bytes.
	var minPages uint32
	var err error
	if rt.instrumented {
		wasm, minPages, err = rt.instrument(ctx, wasm, path, fi)
	} else {
		wasm, minPages, err = precheck(wasm)
		if err == nil {
			wasm = rt.inlineKernel(wasm)
		}
	}
	if err != nil {
		return nil, &LoadError{Module: name, Err: err}
	}
	return rt.compileChecked(ctx, name, wasm, minPages)
}

// compileChecked compiles wasm, prechecked (and rewritten when
// instrumenting); minPages is its memory minimum.
func (rt *Runtime) compileChecked(ctx context.Context, name string, wasm []byte, minPages uint32) (*Module, error) {
	cm, err := rt.wr.CompileModule(rt.compileCtx(ctx), wasm)
	if err != nil {
		if lerr := rt.memoryLimitError(err); lerr != nil {
			return nil, &LoadError{Module: name, Err: lerr}
		}
		return nil, &LoadError{Module: name, Err: compileError(err)}
	}
	m := &Module{name: name, compiled: cm, pattern: detectPattern(cm), minMem: minPages, kernel: kernelInlined(wasm)}
	if err := rt.checkMemory(m); err != nil {
		cm.Close(ctx)
		return nil, err
	}
	if err := rt.defineImported(ctx, m); err != nil {
		cm.Close(ctx)
		return nil, err
	}
	return m, nil
}

// compileError trims wazero's wording into one line.
func compileError(err error) error {
	msg := strings.TrimSpace(err.Error())
	msg = strings.Join(strings.Fields(strings.ReplaceAll(msg, "\n", " ; ")), " ")
	return errors.New(strings.ReplaceAll(msg, " ; ", "; "))
}

// wazeroMinOverLimit is how wazero v1.12 words a memory whose minimum
// exceeds the runtime's page limit; it checks every memory at compile time,
// including memories that are not exported (which CompiledModule hides).
// Compiled on first use: a package-level regexp costs every CLI start ~0.1 ms.
var wazeroMinOverLimit = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`min (\d+) pages \([^)]*\) over limit of (\d+) pages`)
})

// memoryLimitError rewords wazero's memory-limit compile error, or returns
// nil for any other error.
func (rt *Runtime) memoryLimitError(err error) error {
	m := wazeroMinOverLimit().FindStringSubmatch(err.Error())
	if m == nil {
		return nil
	}
	minPages, _ := strconv.ParseUint(m[1], 10, 32)
	return memoryOverLimit(uint32(minPages), rt.maxPages)
}

func memoryOverLimit(minPages, maxPages uint32) error {
	return fmt.Errorf("its memory needs at least %s (%d pages), more than the memory limit of %s",
		FormatBytes(uint64(minPages)*PageSize), minPages, FormatBytes(uint64(maxPages)*PageSize))
}

func (rt *Runtime) checkMemory(m *Module) error {
	var mems []api.MemoryDefinition
	mems = append(mems, m.compiled.ImportedMemories()...)
	for _, md := range m.compiled.ExportedMemories() {
		mems = append(mems, md)
	}
	for _, md := range mems {
		if md.Min() > rt.maxPages {
			return &LoadError{Module: m.name, Err: memoryOverLimit(md.Min(), rt.maxPages)}
		}
	}
	return nil
}

func detectPattern(cm wazero.CompiledModule) Pattern {
	funcImports, funcExports := cm.ImportedFunctions(), cm.ExportedFunctions()
	imports := make([]string, 0, len(funcImports))
	for _, f := range funcImports {
		mod, _, _ := f.Import()
		imports = append(imports, mod)
	}
	exports := make([]string, 0, len(funcExports))
	for name := range funcExports {
		exports = append(exports, name)
	}
	p, _ := DetectPattern(imports, exports)
	return p
}

// checkImports reports every function import of m that nothing provides
// with the right signature: an import from module N resolves to libs[N]'s
// exports when libs has N (see InstantiateLinked), else to a host module or
// a named instance.
func (rt *Runtime) checkImports(m *Module, libs map[string]*Instance) error {
	var missing []Import
	// wazero builds the map of a module's exports on each call.
	var libDefs map[string]map[string]api.FunctionDefinition
	for _, f := range m.compiled.ImportedFunctions() {
		mod, name, _ := f.Import()
		imp := Import{Module: mod, Name: name, Params: typeNames(f.ParamTypes()), Results: typeNames(f.ResultTypes())}
		var have api.FunctionDefinition
		provider := "host"
		if l := libs[mod]; l != nil {
			provider = "library"
			defs, ok := libDefs[mod]
			if !ok {
				if libDefs == nil {
					libDefs = map[string]map[string]api.FunctionDefinition{}
				}
				defs = l.mod.ExportedFunctionDefinitions()
				libDefs[mod] = defs
			}
			have = defs[name]
			if have == nil {
				imp.Available = "library " + mod + " does not export it"
			}
		} else if host, ok := rt.definedHost(mod); ok {
			have = host[name]
		} else if linked := rt.wr.Module(mod); linked != nil {
			have = linked.ExportedFunctionDefinitions()[name]
		}
		if have == nil {
			missing = append(missing, imp)
			continue
		}
		if !slices.Equal(have.ParamTypes(), f.ParamTypes()) || !slices.Equal(have.ResultTypes(), f.ResultTypes()) {
			got := Import{Module: mod, Name: name, Params: typeNames(have.ParamTypes()), Results: typeNames(have.ResultTypes())}
			imp.Available = provider + " provides " + got.Signature()
			missing = append(missing, imp)
		}
	}
	if len(missing) > 0 {
		return &UnresolvedImportsError{Module: m.name, Imports: missing}
	}
	return nil
}

func typeNames(ts []api.ValueType) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = api.ValueTypeName(t)
	}
	return out
}

// FormatBytes formats n as a short human size, e.g. "64 MiB".
func FormatBytes(n uint64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// CheckImports reports, as an *UnresolvedImportsError, every function m
// imports that no host module or named instance provides with the right
// signature: what Instantiate would refuse, without instantiating.
func (rt *Runtime) CheckImports(m *Module) error { return rt.checkImports(m, nil) }
