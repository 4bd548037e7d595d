package linker

import (
	"context"

	"github.com/wasmhive/wasmhive/abi/canonical"
)

// HostFunc implements an imported component function in Go. args are the
// call's arguments, lifted from the calling component by the import's type
// (see canonical.Value for the Go form of each type); the returned value is
// lowered back into it (nil for a function without result). A non-nil
// error traps the caller: the component's current export call fails with
// it (an *engine.ExitError ends the call as an exit with that status).
type HostFunc func(ctx context.Context, inst *Instance, args []canonical.Value) (canonical.Value, error)

// DropFunc is a host resource's destructor: it runs when a component drops
// the last owned handle to the resource whose representation is rep.
type DropFunc func(ctx context.Context, inst *Instance, rep uint32) error

// HostInstance is the host's definition of one imported interface: its
// functions and resource types, by name.
type HostInstance struct {
	name      string
	l         *Linker // nil for a stand-in (an interface imported for its types)
	funcs     map[string]HostFunc
	resources map[string]DropFunc
}

// Func defines function name of the interface (for a resource method, its
// component-level name, e.g. "[method]output-stream.write").
func (h *HostInstance) Func(name string, f HostFunc) {
	h.funcs[name] = f
	h.changed()
}

// changed tells the Linker that its definitions changed.
func (h *HostInstance) changed() {
	if h.l != nil {
		h.l.gen.Add(1)
	}
}

// Resource defines resource type name of the interface, implemented by the
// host: its handles' representations are the host's to choose (they are
// what a HostFunc receives in canonical.Own and canonical.Borrow), and drop
// (nil: nothing to do) runs when a component drops an owned handle.
func (h *HostInstance) Resource(name string, drop DropFunc) {
	h.resources[name] = drop
	h.changed()
}
