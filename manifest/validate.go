package manifest

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/capability"
	"github.com/wasmhive/wasmhive/inspect"
	"github.com/wasmhive/wasmhive/link"
	httptrigger "github.com/wasmhive/wasmhive/trigger/http"
)

// validate checks what spans fields: required fields, references between
// triggers and components, duplicates, and that each module imports only
// capabilities its component is granted. Checks of one value are made
// where it is decoded.
func (d *decoder) validate(f *file, root *yaml.Node) {
	top := root.Line
	if f.version == nil {
		d.add(top, "version", "required: a manifest starts with \"version: %d\"", Version)
	}
	if f.name == nil {
		d.add(top, "name", "required: the app's name (lowercase letters, digits and '-')")
	}
	if len(f.app.Components) == 0 {
		line := top
		if f.componentsKey != nil {
			line = f.componentsKey.Line
		}
		d.add(line, "components", "an app needs at least one component (components: {NAME: {module: FILE.wasm}})")
	}
	known := make([]string, len(f.app.Components))
	for i, c := range f.app.Components {
		known[i] = c.Name
	}
	unknown := func(n *yaml.Node, field, name string) {
		if n != nil && !slices.Contains(known, name) {
			if len(known) == 0 {
				d.add(n.Line, field, "unknown component %q; there are none", name)
			} else {
				d.add(n.Line, field, "unknown component %q; known: %s", name, strings.Join(known, ", "))
			}
		}
	}

	paths := map[string]int{}
	for i, r := range f.routes {
		rt := f.app.HTTP.Routes[i]
		if r.path != nil {
			if first, dup := paths[rt.Path]; dup {
				d.add(r.path.Line, join(index("http.routes", i), "path"), "duplicate route %q (first at line %d)", rt.Path, first)
			} else {
				paths[rt.Path] = r.path.Line
			}
		}
		unknown(r.comp, join(index("http.routes", i), "component"), rt.Component)
	}

	subs := map[[3]string]int{}
	for i, s := range f.subs {
		sub := f.app.Messaging.Subscriptions[i]
		if sub.Subject != "" && sub.Component != "" {
			k := [3]string{sub.Subject, sub.Component, sub.Queue}
			if first, dup := subs[k]; dup {
				d.add(s.item.Line, index("messaging.subscriptions", i), "duplicate subscription of %s to %s (first at line %d)", sub.Component, sub.Subject, first)
			} else {
				subs[k] = s.item.Line
			}
		}
		unknown(s.comp, join(index("messaging.subscriptions", i), "component"), sub.Component)
	}

	if f.app.DataDir == "" && f.name != nil && checkName(f.app.Name, "") == "" {
		dir, err := wasmhive.DefaultDataDir(f.app.Name)
		if err != nil {
			d.add(f.name.Line, "data_dir", "%v", err)
		}
		f.app.DataDir = dir
	}

	for i, c := range f.components {
		for _, l := range c.links {
			if l.target == c.key.Value {
				d.add(l.node.Line, l.path, "a component cannot be linked to itself")
				continue
			}
			unknown(l.node, l.path, l.target)
		}
		d.checkImports(&f.app.Components[i], c)
	}
	d.checkLinkCycle(f)
	d.checkRoutes(f)
}

// checkLinkCycle reports links that lead back to where they started.
func (d *decoder) checkLinkCycle(f *file) {
	var g link.Graph
	for _, c := range f.app.Components {
		n := link.Node{Name: c.Name, Links: map[string]string{}}
		for _, l := range c.Config.Links {
			if l.Target != c.Name {
				n.Links[l.Interface] = l.Target
			}
		}
		g.Nodes = append(g.Nodes, n)
	}
	if _, err := g.Order(); err != nil {
		line := 0
		var ce *link.CycleError
		if errors.As(err, &ce) && len(ce.Path) > 0 {
			if c := f.component(ce.Path[0]); c != nil {
				line = c.key.Line
				for _, l := range c.links {
					if len(ce.Path) > 1 && l.target == ce.Path[1] {
						line = l.node.Line
					}
				}
			}
		}
		d.add(line, "components", "%v", err)
	}
}

// report inspects module m once; nil when it cannot be read (recorded).
func (d *decoder) report(m module) *inspect.Report {
	if r, ok := d.reports[m.path]; ok {
		return r
	}
	if d.reports == nil {
		d.reports = map[string]*inspect.Report{}
	}
	var r *inspect.Report
	if b, err := os.ReadFile(m.path); err != nil {
		d.add(m.line, m.file, "%v", err)
	} else if r, err = inspect.Inspect(b); err != nil {
		d.add(m.line, m.file, "not a valid WebAssembly binary: %v", err)
		r = nil
	}
	d.reports[m.path] = r
	return r
}

// exports returns the function exports of a component's module, or nil
// when they are unknown: the module did not load, or it is a Component
// Model binary (whose exports are WIT functions, checked at load).
func (d *decoder) exports(c component) (map[string]bool, string) {
	i := slices.IndexFunc(c.modules, func(m module) bool { return m.lib < 0 })
	if i < 0 || c.modules[i].path == "" {
		return nil, ""
	}
	r := d.report(c.modules[i])
	if r == nil || r.Kind == "component" {
		return nil, ""
	}
	ex := map[string]bool{}
	for _, e := range r.Exports {
		if e.Kind == "func" {
			ex[e.Name] = true
		}
	}
	return ex, r.Pattern
}

// msgExport is the export a subscription calls by default (msgtrigger's
// DefaultExport); a Component Model component answers it with its
// wasmcloud:messaging/handler.
const msgExport = DefaultMessageExport

// componentInterfaces returns the interfaces (names without version) a
// component's main binary exports when it is a Component Model component;
// false for a core module or a binary that did not load.
func (d *decoder) componentInterfaces(c component) (map[string]bool, bool) {
	i := slices.IndexFunc(c.modules, func(m module) bool { return m.lib < 0 })
	if i < 0 || c.modules[i].path == "" {
		return nil, false
	}
	r := d.report(c.modules[i])
	if r == nil || r.Kind != "component" || r.Component == nil {
		return nil, false
	}
	out := map[string]bool{}
	for _, e := range r.Component.Exports {
		name, _, _ := strings.Cut(e.Name, "@")
		out[name] = true
	}
	return out, true
}

// checkRoutes checks each route against its component's exports, as the
// HTTP trigger will: the handler convention needs the export (and a module
// that is not a command), WAGI needs _start, auto either.
func (d *decoder) checkRoutes(f *file) {
	for i, r := range f.routes {
		rt := f.app.HTTP.Routes[i]
		c := f.component(rt.Component)
		if r.comp == nil || c == nil {
			continue
		}
		field := index("http.routes", i)
		if ifaces, ok := d.componentInterfaces(*c); ok {
			switch {
			case rt.Convention != httptrigger.Auto && rt.Convention != httptrigger.WASIHTTP:
				d.add(rt.Line, field, "component %s is a Component Model component: the %s convention serves core modules; use convention: wasi-http (or leave it out)", rt.Component, rt.Convention)
			case !ifaces[httptrigger.IncomingHandler]:
				d.add(rt.Line, field, "component %s exports no %s, which the wasi-http convention calls", rt.Component, httptrigger.IncomingHandler)
			}
			continue
		}
		ex, pattern := d.exports(*c)
		if ex == nil {
			continue
		}
		switch rt.Convention {
		case httptrigger.Auto:
			if !ex[rt.Export] && !ex["_start"] {
				d.add(rt.Line, field, "component %s exports neither %s (handler convention) nor _start (wagi convention)", rt.Component, rt.Export)
			}
		case httptrigger.Handler:
			switch {
			case pattern == inspect.PatternCommand:
				d.add(rt.Line, field, "component %s is a command (it exports _start): the handler convention cannot call its exports; use convention: wagi", rt.Component)
			case !ex[rt.Export]:
				d.add(rt.Line, field, "component %s does not export %s, which the handler convention calls", rt.Component, rt.Export)
			}
		case httptrigger.WAGI:
			if !ex["_start"] {
				d.add(rt.Line, field, "component %s exports no _start, which the wagi convention runs (it is a %s module)", rt.Component, pattern)
			}
		}
	}
	for i, s := range f.subs {
		sub := f.app.Messaging.Subscriptions[i]
		c := f.component(sub.Component)
		if s.comp == nil || c == nil {
			continue
		}
		if ifaces, ok := d.componentInterfaces(*c); ok {
			if sub.Export != msgExport || !ifaces["wasmcloud:messaging/handler"] {
				d.add(sub.Line, index("messaging.subscriptions", i), "component %s is a Component Model component: a subscription calls its wasmcloud:messaging/handler export, which it lacks (or export names another function)", sub.Component)
			}
			continue
		}
		if ex, _ := d.exports(*c); ex != nil && !ex[sub.Export] {
			d.add(sub.Line, index("messaging.subscriptions", i), "component %s does not export %s, which each message calls", sub.Component, sub.Export)
		}
	}
}

// component returns the decoded component called name, or nil.
func (f *file) component(name string) *component {
	for i := range f.components {
		if f.components[i].key.Value == name {
			return &f.components[i]
		}
	}
	return nil
}

// checkImports reports the capabilities a component's modules import but
// it is not granted: the Host would refuse to load them.
func (d *decoder) checkImports(comp *Component, c component) {
	field, line, hint := "components."+comp.Name+".grants", c.key.Line, "grants: {%s: {}}"
	if c.grants != nil {
		line, hint = c.grants.Line, "%s: {} under grants"
	}
	for _, m := range c.modules {
		if m.path == "" {
			continue
		}
		r := d.report(m)
		if r == nil {
			continue
		}
		what := "module"
		if libs := comp.Config.Libraries; m.lib >= 0 && m.lib < len(libs) {
			what = fmt.Sprintf("library %q", libs[m.lib].Name)
		}
		var order []string
		missing := map[string][]string{}
		for _, g := range r.Imports {
			name, ok := capability.Of(g.Module)
			if !ok || comp.Config.Grants.Has(name) || linksInterface(comp.Config, g.Module) {
				continue
			}
			if missing[name] == nil {
				order = append(order, name)
			}
			missing[name] = append(missing[name], g.Module)
		}
		if r.Kind == "component" && r.Component != nil {
			// A Component Model component's capability interfaces, as the
			// Host checks them (wasi:http/outgoing-handler is denied per
			// request instead).
			what = "component"
			for _, im := range r.Component.Imports {
				name, ok := capability.OfInterface(im.Name)
				if !ok || name == capability.HTTP || comp.Config.Grants.Has(name) || linksInterface(comp.Config, im.Name) {
					continue
				}
				if missing[name] == nil {
					order = append(order, name)
				}
				missing[name] = append(missing[name], im.Name)
			}
		}
		for _, name := range order {
			d.add(line, field, "the %s imports %s, but %s is not granted; add "+hint, what, strings.Join(missing[name], " and "), name, name)
		}
	}
}

func linksInterface(cfg wasmhive.ComponentConfig, iface string) bool {
	for _, l := range cfg.Links {
		if l.Interface == iface {
			return true
		}
	}
	return false
}

// Summary counts what the app has, as `wasmhive validate` prints it: "2
// components, 1 route, 1 subscription".
func (a *App) Summary() string {
	return fmt.Sprintf("%s, %s, %s", plural(len(a.Components), "component"), plural(len(a.HTTP.Routes), "route"), plural(len(a.Messaging.Subscriptions), "subscription"))
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
