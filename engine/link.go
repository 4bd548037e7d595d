package engine

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// InstantiateLinked is Instantiate for a module that imports functions from
// other guest instances: an import from module name N resolves to
// libs[N]'s exports first, then to host modules and named instances. The
// libraries stay private to this link (they may be anonymous instances), so
// the same set of modules can be instantiated any number of times in one
// Runtime. The caller owns the library instances and closes them after m's.
func (rt *Runtime) InstantiateLinked(ctx context.Context, m *Module, cfg InstanceConfig, libs map[string]*Instance) (*Instance, error) {
	if len(libs) == 0 {
		return rt.Instantiate(ctx, m, cfg)
	}
	if !cfg.LinkChecked {
		if err := rt.checkImports(m, libs); err != nil {
			return nil, err
		}
	}
	lctx := experimental.WithImportResolver(ctx, func(name string) api.Module {
		if l := libs[name]; l != nil {
			return l.mod
		}
		return nil
	})
	return rt.instantiate(ctx, lctx, m, cfg)
}

// InstantiateHost instantiates h as an anonymous host module: one that is
// not registered under its name in the Runtime, so it can serve the imports
// of chosen instances only (pass it in InstantiateLinked's libs under
// h.ModuleName()), beside a host module of the same name that serves the
// others. Close the returned Instance when no instance linked to it is
// left.
func (rt *Runtime) InstantiateHost(ctx context.Context, h HostModule) (*Instance, error) {
	m, err := rt.CompileHost(ctx, h)
	if err != nil {
		return nil, err
	}
	inst, err := rt.InstantiateCompiledHost(ctx, m)
	if err != nil {
		m.compiled.Close(ctx)
		return nil, err
	}
	inst.ownsModule = true
	return inst, nil
}

// CompileHost compiles h once, for InstantiateCompiledHost to instantiate
// any number of times as an anonymous host module. Its functions find
// their caller's state with a Key, as every host function does.
func (rt *Runtime) CompileHost(ctx context.Context, h HostModule) (*Module, error) {
	b := rt.wr.NewHostModuleBuilder(h.ModuleName())
	h.Define(rt, b)
	cm, err := b.Compile(ctx)
	if err != nil {
		return nil, fmt.Errorf("host module %s: %w", h.ModuleName(), err)
	}
	return &Module{name: h.ModuleName(), compiled: cm}, nil
}

// InstantiateCompiledHost instantiates a host module made by CompileHost,
// anonymously (see InstantiateHost).
func (rt *Runtime) InstantiateCompiledHost(ctx context.Context, m *Module) (*Instance, error) {
	// A ready random source stops wazero seeding a throwaway math/rand
	// source for the instance (host functions never read it).
	mod, err := rt.wr.InstantiateModule(ctx, m.compiled, wazero.NewModuleConfig().WithName("").WithRandSource(rand.Reader))
	if err != nil {
		return nil, fmt.Errorf("host module %s: %w", m.name, err)
	}
	return &Instance{rt: rt, mod: mod, module: m}, nil
}

// HasHostModule reports whether the Runtime defines the host module name.
func (rt *Runtime) HasHostModule(name string) bool {
	rt.hostMu.Lock()
	defer rt.hostMu.Unlock()
	_, ok := rt.hostDecl[name]
	return ok
}

// definedHost returns the functions of the host module name if it is
// defined (every host module a compiled module imports is).
func (rt *Runtime) definedHost(name string) (map[string]api.FunctionDefinition, bool) {
	rt.hostMu.Lock()
	defer rt.hostMu.Unlock()
	defs, ok := rt.hostNames[name]
	return defs, ok
}
