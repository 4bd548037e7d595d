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
	if err := rt.checkImports(m, libs); err != nil {
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
