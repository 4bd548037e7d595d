package wasmhive

import (
	"context"

	"github.com/wasmhive/wasmhive/link"
)

// Remote serves the links whose target is not on the Host: components of
// the same app that run elsewhere, on other hosts of a lattice (package
// lattice implements it over NATS). Set it with HostConfig.Remote. A link
// call goes to the target on the Host when it is there (no network hop),
// else to Remote.
type Remote interface {
	// RemoteNode describes component name as the link checks need it (its
	// exports and their signatures, its own links), or reports false when
	// no other host runs a component of that name.
	RemoteNode(name string) (link.Node, bool)
	// CallRemote calls export of component target on a host that runs it,
	// for a link of component from, and returns its output. A failure
	// should match what the same failure matches locally (errors.Is and
	// errors.As: ErrSaturated, *engine.TimeoutError, *engine.LimitError,
	// *extism.PluginError for the target's own error).
	CallRemote(ctx context.Context, from, target, export string, input []byte) ([]byte, error)
}

// remoteNode describes a link target that runs elsewhere, when the Host
// has a Remote that knows it.
func (h *Host) remoteNode(name string) (link.Node, bool) {
	if h.cfg.Remote == nil {
		return link.Node{}, false
	}
	n, ok := h.cfg.Remote.RemoteNode(name)
	if !ok {
		return link.Node{}, false
	}
	n.Name = name
	n.Imports = nil // checked where it runs
	if n.Provided == nil {
		n.Provided = func(string) bool { return true }
	}
	return n, true
}
