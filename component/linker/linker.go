// Package linker instantiates Component Model components on the engine:
// it resolves a component's imports by name (Go host functions and
// resource types defined on a Linker, matching versions as Wasmtime does),
// instantiates its core modules and nested components in definition order,
// lifts and lowers values through the canonical ABI (package
// abi/canonical), and calls its exports with Go values.
package linker

import (
	"context"
	"sync"
	"sync/atomic"
)

// Linker holds the host's definitions of component imports. Define
// everything before the first Instantiate; a Linker is then safe for
// concurrent use.
type Linker struct {
	mu        sync.Mutex
	instances map[string]*HostInstance
	hooks     []Hook
	// found memoises lookup: imported interface name to definition.
	found map[string]*HostInstance
	// gen counts changes to the definitions, so that the import plans
	// components keep (see importPlan) are made again after one.
	gen atomic.Uint64
}

// Hook runs for each new component instance before any of its code runs,
// so that a host module can attach per-instance state (with an engine.Key
// on Instance.Config). The returned func, when not nil, runs when the
// instance closes.
type Hook func(ctx context.Context, inst *Instance) (close func(), err error)

// New returns an empty Linker.
func New() *Linker { return &Linker{instances: map[string]*HostInstance{}} }

// Instance returns the host's definition of the interface name (e.g.
// "wasi:cli/environment@0.2.12"), creating it on first use. An imported
// interface matches a definition of the same package and interface with a
// semver-compatible version (same major version; for 0.x the same minor
// version), as in Wasmtime.
func (l *Linker) Instance(name string) *HostInstance {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.instances[name]
	if h == nil {
		h = &HostInstance{name: name, l: l, funcs: map[string]HostFunc{}, resources: map[string]DropFunc{}}
		l.instances[name] = h
		l.found = nil
		l.gen.Add(1)
	}
	return h
}

// OnInstantiate adds a Hook that runs for every instance.
func (l *Linker) OnInstantiate(h Hook) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hooks = append(l.hooks, h)
}
