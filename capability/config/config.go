// Package config is the config capability: a component reads its own
// configuration (the manifest's config, --config on the command line)
// through wasmhive:config/store, shaped after wasi:config's store
// (docs/capabilities.md).
package config

import (
	"context"
	"sort"

	"github.com/wasmhive/wasmhive/capability"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/capwire"
)

// Module is the import module of the store interface.
const Module = "wasmhive:config/store"

// Binding is the configuration one component's instances read.
type Binding struct {
	Values map[string]string
}

// bound is a Binding frozen at Attach, with get_all's reply made once.
type bound struct {
	values map[string]string
	keys   []string // sorted
	all    []byte
}

var bindingKey = engine.NewKey[*bound]("config")

// Attach makes b's values the configuration of the instances created from
// cfg (nil: no values). The values are copied: later changes to b do not
// show.
func Attach(cfg *engine.InstanceConfig, b *Binding) {
	if b == nil {
		b = &Binding{}
	}
	v := make(map[string]string, len(b.Values))
	keys := make([]string, 0, len(b.Values))
	for k, val := range b.Values {
		v[k] = val
		keys = append(keys, k)
	}
	sort.Strings(keys)
	all := capwire.AppendU32(capwire.OK(nil), uint32(len(keys)))
	for _, k := range keys {
		all = capwire.AppendString(all, k)
		all = capwire.AppendString(all, v[k])
	}
	bindingKey.Set(cfg, &bound{values: v, keys: keys, all: all})
}

// HostModules returns the config interfaces' host modules, for
// engine.Config.WithHostModule.
func HostModules() []engine.HostModule {
	return []engine.HostModule{capability.HostModule{Name: Module, Funcs: []capability.Function{
		{Name: "get", NArgs: 1, Func: get},
		{Name: "get_all", NArgs: 0, Func: getAll},
	}}}
}

var notBound = capwire.Error("config is not bound for this component (grant it with grants.config)")

func get(_ context.Context, inst *engine.Instance, args [][]byte) []byte {
	b, ok := bindingKey.Of(inst)
	if !ok {
		return notBound
	}
	v, ok := b.values[string(args[0])]
	if !ok {
		return capwire.None()
	}
	return capwire.OK([]byte(v))
}

func getAll(_ context.Context, inst *engine.Instance, _ [][]byte) []byte {
	b, ok := bindingKey.Of(inst)
	if !ok {
		return notBound
	}
	return b.all
}
