package lattice

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/component"
	"github.com/wasmhive/wasmhive/inspect"
	"github.com/wasmhive/wasmhive/link"
	"github.com/wasmhive/wasmhive/manifest"
)

// appView is what a host's parts serving one app (its triggers' invoker,
// its links' Remote, its invocation server) know of the deployment: the
// manifest of the revision it runs, swapped on a reload.
type appView struct {
	app  string
	self string // this host's id
	m    atomic.Pointer[manifest.App]

	mu    sync.Mutex
	nodes map[string]nodeOf // RemoteNode's, by component
}

type nodeOf struct {
	module string // the module path it was read from
	node   link.Node
}

func newAppView(app, self string, m *manifest.App) *appView {
	v := &appView{app: app, self: self, nodes: map[string]nodeOf{}}
	v.m.Store(m)
	return v
}

// remote is the wasmhive.Remote of a lattice host's app: a link whose
// target this host does not run calls it across the lattice, as a remote
// invocation whose caller is "<host id>/<importer>".
type remote struct {
	l *Lattice
	v *appView
}

// RemoteNode describes component name of the deployment from its module's
// file (every host has the deployment's modules): its exports'
// signatures and its links.
func (r *remote) RemoteNode(name string) (link.Node, bool) {
	c, ok := r.v.m.Load().Component(name)
	if !ok {
		return link.Node{}, false
	}
	r.v.mu.Lock()
	defer r.v.mu.Unlock()
	if n, ok := r.v.nodes[name]; ok && n.module == c.Config.Module {
		return withLinks(n.node, c), true
	}
	rep, err := inspect.File(c.Config.Module)
	if err == nil && rep.Kind == "component" {
		n, ok := typedNode(name, c.Config.Module)
		if !ok {
			return link.Node{}, false
		}
		r.v.nodes[name] = nodeOf{module: c.Config.Module, node: n}
		return withLinks(n, c), true
	}
	if err != nil || rep.Kind != "module" {
		return link.Node{}, false // the link checks report the target missing
	}
	n := link.Node{Name: name, Exports: map[string]link.Signature{}}
	for _, e := range rep.Exports {
		if e.Kind != "func" || e.Type == nil {
			continue
		}
		sig, ok := signature(e.Type)
		if ok {
			n.Exports[e.Name] = sig
		}
	}
	r.v.nodes[name] = nodeOf{module: c.Config.Module, node: n}
	return withLinks(n, c), true
}

func withLinks(n link.Node, c *manifest.Component) link.Node {
	n.Links = map[string]string{}
	for _, l := range c.Config.Links {
		n.Links[l.Interface] = l.Target
	}
	return n
}

// signature converts inspect's value type names; false for a type the
// link checks have no use for (references, v128 stay out of the ABI).
func signature(t *inspect.FuncType) (link.Signature, bool) {
	conv := func(names []string) ([]api.ValueType, bool) {
		out := make([]api.ValueType, 0, len(names))
		for _, n := range names {
			switch n {
			case "i32":
				out = append(out, api.ValueTypeI32)
			case "i64":
				out = append(out, api.ValueTypeI64)
			case "f32":
				out = append(out, api.ValueTypeF32)
			case "f64":
				out = append(out, api.ValueTypeF64)
			default:
				return nil, false
			}
		}
		return out, true
	}
	p, ok1 := conv(t.Params)
	res, ok2 := conv(t.Results)
	return link.Signature{Params: p, Results: res}, ok1 && ok2
}

// CallRemote calls export of target for a link of from, across the
// lattice.
func (r *remote) CallRemote(ctx context.Context, from, target, export string, input []byte) ([]byte, error) {
	return r.l.invokeRemote(ctx, r.v.self+"/"+from, r.v.app, target, export, input)
}

// allowed reports why an invocation of export of component by caller
// ("<host id>" for a trigger or a client, "<host id>/<component>" for a
// link) is refused, or "" when it is within the deployment: a caller
// naming a component must be one with a link to component whose
// interface the export serves.
func (v *appView) allowed(caller, component, export string) string {
	_, from, ok := strings.Cut(caller, "/")
	if !ok {
		return ""
	}
	m := v.m.Load()
	c, ok := m.Component(from)
	if !ok {
		return fmt.Sprintf("the caller %s is no component of app %s", from, v.app)
	}
	for _, l := range c.Config.Links {
		if l.Target == component && (strings.HasPrefix(export, l.Interface+"#") || export == link.ExportName(l.Interface, "handle")) {
			return ""
		}
	}
	return fmt.Sprintf("component %s of app %s has no link to %s that calls %s", from, v.app, component, export)
}

// typedNode describes a Component Model component run by other hosts for
// the link checks: its typed interfaces.
func typedNode(name, file string) (link.Node, bool) {
	b, err := os.ReadFile(file)
	if err != nil {
		return link.Node{}, false
	}
	c, err := component.Decode(b)
	if err != nil {
		return link.Node{}, false
	}
	n := link.Node{Name: name, Typed: true}
	n.TypedImports, n.TypedExports = link.TypedInterfaces(c)
	return n, true
}
