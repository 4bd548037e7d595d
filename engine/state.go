package engine

import (
	"context"
	"sync/atomic"

	"github.com/tetratelabs/wazero/api"
)

// Key names one kind of per-instance host state, of type T. The host module
// that owns the state makes its Key once, attaches a value to each instance
// with Set before instantiating, and finds it again from inside its host
// functions with Get. It is the engine's only mechanism for per-instance
// state: WASI, the Extism kernel and every capability use it.
type Key[T any] struct {
	name string
	id   int // index into an instance's state
}

// keyIDs numbers keys, so that an instance's state is a slice indexed by
// key rather than a map: a host function finds its state in a few
// nanoseconds. Keys are made once per host module (package variables), so
// the count stays small.
var keyIDs atomic.Int64

// NewKey returns a new Key; name is for debugging only (two keys with the
// same name are still different keys).
func NewKey[T any](name string) *Key[T] { return &Key[T]{name: name, id: int(keyIDs.Add(1) - 1)} }

// String returns the key's name.
func (k *Key[T]) String() string { return k.name }

// Set attaches v to every instance created from cfg. It copies cfg's state
// before changing it, so copies of cfg made earlier keep theirs.
func (k *Key[T]) Set(cfg *InstanceConfig, v T) {
	st := make([]any, max(len(cfg.state), k.id+1))
	copy(st, cfg.state)
	st[k.id] = v
	cfg.state = st
}

// Of returns the value attached to inst, and whether there is one.
func (k *Key[T]) Of(inst *Instance) (T, bool) {
	if inst != nil && k.id < len(inst.state) {
		if v, ok := inst.state[k.id].(T); ok {
			return v, true
		}
	}
	var zero T
	return zero, false
}

// In returns the value attached to cfg, and whether there is one: for
// state that travels with a configuration rather than a core instance
// (a component instance's, see package component/linker).
func (k *Key[T]) In(cfg *InstanceConfig) (T, bool) {
	if cfg != nil && k.id < len(cfg.state) {
		if v, ok := cfg.state[k.id].(T); ok {
			return v, true
		}
	}
	var zero T
	return zero, false
}

// Get returns the value attached to the instance a host function was called
// from; ctx and mod are the host function's own arguments.
func (k *Key[T]) Get(ctx context.Context, rt *Runtime, mod api.Module) (T, bool) {
	return k.Of(rt.Caller(ctx, mod))
}

// callingKey finds the Instance whose Call is running in a call's context.
type callingKey struct{}

// Caller returns the Instance a host function's caller belongs to (ctx and
// mod are the host function's arguments), or nil when mod was not
// instantiated by this Runtime. Inside Instance.Call it is one context
// lookup; otherwise (a library instance called by another instance, host
// calls made while instantiating) it falls back to the Runtime's index.
func (rt *Runtime) Caller(ctx context.Context, mod api.Module) *Instance {
	if i, ok := ctx.Value(callingKey{}).(*Instance); ok && i.mod == mod {
		return i
	}
	v, ok := rt.instances.Load(mod)
	if !ok {
		return nil
	}
	return v.(*Instance)
}
