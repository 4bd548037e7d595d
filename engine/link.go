package engine

import (
	"context"

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
	if err := rt.checkLinkedImports(m, libs); err != nil {
		return nil, err
	}
	lctx := experimental.WithImportResolver(ctx, func(name string) api.Module {
		if l := libs[name]; l != nil {
			return l.mod
		}
		return nil
	})
	return rt.instantiate(ctx, lctx, m, cfg)
}

// checkLinkedImports is checkImports with libs' exports resolving first.
func (rt *Runtime) checkLinkedImports(m *Module, libs map[string]*Instance) error {
	var missing []Import
	for _, f := range m.compiled.ImportedFunctions() {
		mod, name, _ := f.Import()
		l := libs[mod]
		if l == nil {
			continue
		}
		imp := Import{Module: mod, Name: name, Params: typeNames(f.ParamTypes()), Results: typeNames(f.ResultTypes())}
		have := l.mod.ExportedFunctionDefinitions()[name]
		if have == nil {
			imp.Available = "library " + mod + " does not export it"
			missing = append(missing, imp)
			continue
		}
		if !sameTypes(have.ParamTypes(), f.ParamTypes()) || !sameTypes(have.ResultTypes(), f.ResultTypes()) {
			got := Import{Module: mod, Name: name, Params: typeNames(have.ParamTypes()), Results: typeNames(have.ResultTypes())}
			imp.Available = "library provides " + got.Signature()
			missing = append(missing, imp)
		}
	}
	// Every other import must resolve as Instantiate resolves it.
	if err := rt.checkImports(m); err != nil {
		if ue, ok := err.(*UnresolvedImportsError); ok {
			for _, imp := range ue.Imports {
				if libs[imp.Module] == nil {
					missing = append(missing, imp)
				}
			}
		} else {
			return err
		}
	}
	if len(missing) > 0 {
		return &UnresolvedImportsError{Module: m.name, Imports: missing}
	}
	return nil
}
