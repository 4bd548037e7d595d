// Package appgraph describes a whole app's wiring without running it, as
// `wasmhive inspect app.yaml` prints it: each component with its imports
// grouped by interface and what satisfies each one (a host module, a
// granted capability's provider, a link to another component, a library,
// or nothing), its exports and which of them implement an interface; each
// link with the functions it carries and any problem link.Graph.Check
// finds; and the triggers (HTTP routes, messaging subscriptions).
//
// Nothing is started: no Host, no provider, no compilation. Modules are
// decoded with package inspect and checked with package link, as the Host
// checks them when the app loads.
//
// It is a package of its own, not part of package inspect, because package
// manifest imports inspect (to check modules' imports against grants) and
// this package needs manifest.
package appgraph

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/capability"
	"github.com/wasmhive/wasmhive/capability/config"
	"github.com/wasmhive/wasmhive/capability/httpclient"
	"github.com/wasmhive/wasmhive/capability/keyvalue"
	"github.com/wasmhive/wasmhive/capability/logging"
	"github.com/wasmhive/wasmhive/capability/messaging"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/inspect"
	"github.com/wasmhive/wasmhive/link"
	"github.com/wasmhive/wasmhive/manifest"
	httptrigger "github.com/wasmhive/wasmhive/trigger/http"
	"github.com/wasmhive/wasmhive/wasip1"
)

// SchemaVersion is the version of the Graph JSON schema
// (docs/inspect-json.md, "App graph"). Fields may be added without
// changing it.
const SchemaVersion = 1

// Kind is the value of Graph.Kind, which tells an app graph from a module
// report (whose kind is "module" or "component").
const Kind = "app"

// Kinds of what satisfies an imported interface (Satisfier.Kind).
const (
	ByHost        = "host"        // a host module of every Host: WASI, the Extism kernel...
	ByProvider    = "provider"    // a granted capability's provider
	ByLink        = "link"        // a link to another component
	ByLibrary     = "library"     // one of the component's libraries
	ByUnsatisfied = "unsatisfied" // nothing: the component cannot load
)

// Kinds of problems (Problem.Kind).
const (
	ProblemLink   = "link"   // a link is wrong: interface, signature, missing export
	ProblemImport = "import" // an import nothing satisfies
	ProblemCycle  = "cycle"  // links lead back to where they started
	ProblemModule = "module" // a module the Host cannot run at all
)

// Graph is an app's wiring. Its JSON encoding is the schema of `wasmhive
// inspect --json app.yaml`.
type Graph struct {
	SchemaVersion int    `json:"schema_version"`
	Kind          string `json:"kind"` // always "app"
	Name          string `json:"name"`
	File          string `json:"file"` // the manifest, as given
	// Sound is true when Check finds no problem: exactly when Problems is
	// empty.
	Sound         bool           `json:"sound"`
	Summary       string         `json:"summary"`
	Components    []Component    `json:"components"`    // by name
	Links         []Link         `json:"links"`         // by importer, then interface
	Routes        []Route        `json:"routes"`        // by path
	Subscriptions []Subscription `json:"subscriptions"` // by subject, then component
	Problems      []Problem      `json:"problems"`      // in link.Graph.Check's order
}

// Component is one component of the app.
type Component struct {
	Name string `json:"name"`
	// Module is the module's path relative to the manifest's directory
	// (absolute when it is not under it by a relative path).
	Module        string   `json:"module"`
	Kind          string   `json:"kind"` // "module" or "component" (Component Model)
	Pattern       string   `json:"pattern"`
	PatternReason string   `json:"pattern_reason"`
	Grants        []string `json:"grants"` // the granted capabilities, in capability.Names order
	// Providers are the providers behind the grants, in Grants' order
	// (Satisfier kind "provider").
	Providers []Satisfier `json:"providers"`
	Libraries []Library   `json:"libraries"`
	Imports   []Interface `json:"imports"` // by interface name
	Exports   []Export    `json:"exports"` // functions, by name
	// Problems are the messages of the problems that concern the component
	// itself (unsatisfied imports, a module it cannot run); a link's are on
	// the Link.
	Problems []string `json:"problems"`
}

// Library is one of a component's libraries.
type Library struct {
	Name   string `json:"name"`   // the import module it serves
	Module string `json:"module"` // as Component.Module
}

// Interface is the functions a component imports from one import module,
// and what satisfies them.
type Interface struct {
	Name      string     `json:"interface"`
	Functions []Function `json:"functions"` // by name, each once
	By        Satisfier  `json:"satisfied_by"`
}

// Function is one imported function.
type Function struct {
	Name      string `json:"name"`
	Signature string `json:"signature"` // e.g. "(i64, i64) -> (i64)"
}

// Satisfier is what serves an imported interface.
type Satisfier struct {
	// Kind is host, provider, link, library or unsatisfied.
	Kind string `json:"kind"`
	// Name is, for host, what the module is ("wasi", "extism kernel",
	// "wasmhive:host/bulk", "wasmhive:host/invoke"); for provider, the
	// capability; for link, the target component; for library, its name;
	// empty when unsatisfied.
	Name string `json:"name,omitempty"`
	// Provider is, for provider, the provider type ("bolt", "nats",
	// "redis" for keyvalue; "nats" for messaging; "host" for the others).
	Provider string `json:"provider,omitempty"`
	// Detail says more, for people: the provider and its bucket, why an
	// import is unsatisfied. Wording may change.
	Detail string `json:"detail,omitempty"`
	// Interface is, in RoutesTo, the interface a link carries.
	Interface string `json:"interface,omitempty"`
	// RoutesTo is, for wasmhive:host/invoke (generic calls), where its
	// calls can go: the component's links, then its granted providers.
	RoutesTo []Satisfier `json:"routes_to,omitempty"`
}

// Export is one function a component exports.
type Export struct {
	Name      string `json:"name"`
	Signature string `json:"signature"`
	// Interface and Function are set when the export implements function
	// Function of interface Interface for links: "iface#fn", or the
	// trigger handlers handle_http and handle_message.
	Interface string `json:"interface,omitempty"`
	Function  string `json:"function,omitempty"`
	// UsedBy lists who calls the export: links, routes, subscriptions.
	UsedBy []Use `json:"used_by"`
}

// Use is one caller of an export.
type Use struct {
	Kind string `json:"kind"` // "link", "route" or "subscription"
	Name string `json:"name"` // the importer, the route's path, the subject
}

// Link is one link of the app.
type Link struct {
	From      string `json:"from"`
	To        string `json:"to"`
	Interface string `json:"interface"`
	// Functions are the functions the importer imports from the interface,
	// which the link carries.
	Functions []string `json:"functions"`
	// Timeout bounds each call across the link ("2s"); empty: the target's.
	Timeout   string     `json:"timeout,omitempty"`
	Instances *Instances `json:"instances,omitempty"` // set when any field is
	// Problems are the reasons of the problems Check finds with the link.
	Problems []string `json:"problems"`
}

// Instances is a link's pool of the target's instances; zero fields are
// the target's own.
type Instances struct {
	Min          int    `json:"min,omitempty"`
	Max          int    `json:"max,omitempty"`
	Fresh        bool   `json:"fresh,omitempty"`
	Queue        int    `json:"queue,omitempty"`
	QueueTimeout string `json:"queue_timeout,omitempty"`
	IdleTimeout  string `json:"idle_timeout,omitempty"`
}

// Route is one HTTP route.
type Route struct {
	Path       string `json:"path"`
	Component  string `json:"component"`
	Convention string `json:"convention"`       // auto, handler or wagi
	Export     string `json:"export,omitempty"` // empty for wagi
}

// Subscription is one messaging subscription.
type Subscription struct {
	Subject   string `json:"subject"`
	Component string `json:"component"`
	Queue     string `json:"queue,omitempty"`
	Export    string `json:"export"`
}

// Problem is one thing wrong with the wiring.
type Problem struct {
	Kind      string   `json:"kind"`    // link, import, cycle or module
	Message   string   `json:"message"` // one line naming both ends
	Component string   `json:"component,omitempty"`
	To        string   `json:"to,omitempty"`
	Interface string   `json:"interface,omitempty"`
	Cycle     []string `json:"cycle,omitempty"` // a cycle's components, the first repeated at the end
}

// Host modules every app's Host defines beside the capabilities, and what
// they are. extism:host/user is not among them: it holds host functions,
// which an app's Host (wasmhive up) has none of.
var hostModules = map[string]string{
	wasip1.ModuleName: "wasi",
	extism.EnvModule:  "extism kernel",
	extism.BulkModule: extism.BulkModule,
	link.InvokeModule: link.InvokeModule,
}

// capabilityModules are the capability contracts' host modules, as the
// Host defines them (only their names and functions are used).
func capabilityModules() []engine.HostModule {
	var ms []engine.HostModule
	ms = append(ms, keyvalue.HostModules()...)
	ms = append(ms, httpclient.HostModules()...)
	ms = append(ms, messaging.HostModules()...)
	ms = append(ms, config.HostModules()...)
	ms = append(ms, logging.HostModules()...)
	return ms
}

// Known returns the interfaces whose functions the platform fixes: the
// trigger handlers and the capability contracts, with each function's
// number of parameters.
func Known() []link.Interface {
	known := append([]link.Interface(nil), link.Handlers...)
	for _, m := range capabilityModules() {
		hm, ok := m.(capability.HostModule)
		if !ok {
			continue
		}
		iface := link.Interface{Name: hm.Name}
		for _, f := range hm.Funcs {
			iface.Funcs = append(iface.Funcs, link.Func{Name: f.Name, Params: f.NArgs})
		}
		known = append(known, iface)
	}
	return known
}

// Build describes app's wiring. It reads each component's module and
// decodes it with package inspect; nothing is compiled or started. An
// error is a module that cannot be read or decoded (one line).
func Build(app *manifest.App) (*Graph, error) {
	known := Known()
	capMods := map[string]bool{}
	for _, k := range known[len(link.Handlers):] {
		capMods[k.Name] = true
	}
	g := &Graph{
		SchemaVersion: SchemaVersion, Kind: Kind, Name: app.Name, File: app.File,
		Components: []Component{}, Links: []Link{}, Routes: []Route{}, Subscriptions: []Subscription{}, Problems: []Problem{},
	}
	reports := map[string]*inspect.Report{}
	var nodes []link.Node
	byName := map[string]*Component{}
	comps := append([]manifest.Component(nil), app.Components...)
	sort.Slice(comps, func(i, j int) bool { return comps[i].Name < comps[j].Name })
	for _, mc := range comps {
		cfg := mc.Config
		r, ok := reports[cfg.Module]
		if !ok {
			b, err := os.ReadFile(cfg.Module)
			if err != nil {
				return nil, fmt.Errorf("component %s: %w", mc.Name, err)
			}
			if r, err = inspect.Inspect(b); err != nil {
				return nil, fmt.Errorf("component %s: %s: %w", mc.Name, relPath(app.Dir, cfg.Module), err)
			}
			reports[cfg.Module] = r
		}
		c := Component{Name: mc.Name, Module: relPath(app.Dir, cfg.Module), Kind: r.Kind, Pattern: r.Pattern,
			PatternReason: r.PatternReason, Grants: []string{}, Providers: []Satisfier{}, Libraries: []Library{}, Imports: []Interface{},
			Exports: []Export{}, Problems: []string{}}
		for _, name := range capability.Names {
			if cfg.Grants.Has(name) {
				c.Grants = append(c.Grants, name)
				typ, detail := provider(app, mc.Name, cfg.Grants, name)
				c.Providers = append(c.Providers, Satisfier{Kind: ByProvider, Name: name, Provider: typ, Detail: detail})
			}
		}
		libs := map[string]bool{}
		for _, l := range cfg.Libraries {
			c.Libraries = append(c.Libraries, Library{Name: l.Name, Module: relPath(app.Dir, l.Module)})
			libs[l.Name] = true
		}
		links := map[string]string{}
		for _, l := range cfg.Links {
			links[l.Interface] = l.Target
		}
		provided := func(mod string) bool {
			if name, ok := capability.Of(mod); ok {
				return cfg.Grants.Has(name) && capMods[mod]
			}
			_, host := hostModules[mod]
			return host || libs[mod]
		}
		n := link.Node{Name: mc.Name, Exports: map[string]link.Signature{}, Links: links, Provided: provided}
		for _, grp := range r.Imports {
			iface := Interface{Name: grp.Module, Functions: []Function{}}
			seen := map[string]bool{}
			for _, it := range grp.Items {
				if it.Kind != "func" || it.Type == nil || seen[it.Name] {
					continue
				}
				seen[it.Name] = true
				iface.Functions = append(iface.Functions, Function{Name: it.Name, Signature: it.Signature})
				n.Imports = append(n.Imports, link.Import{Module: grp.Module, Name: it.Name, Signature: sig(it.Type)})
			}
			if len(iface.Functions) == 0 {
				continue
			}
			sort.Slice(iface.Functions, func(i, j int) bool { return iface.Functions[i].Name < iface.Functions[j].Name })
			iface.By = satisfier(app, mc.Name, cfg, grp.Module, links, libs, capMods)
			if grp.Module == link.InvokeModule && iface.By.Kind == ByHost {
				for _, l := range cfg.Links {
					iface.By.RoutesTo = append(iface.By.RoutesTo, Satisfier{Kind: ByLink, Name: l.Target, Interface: l.Interface})
				}
				sort.SliceStable(iface.By.RoutesTo, func(i, j int) bool { return iface.By.RoutesTo[i].Interface < iface.By.RoutesTo[j].Interface })
				iface.By.RoutesTo = append(iface.By.RoutesTo, c.Providers...)
			}
			c.Imports = append(c.Imports, iface)
		}
		sort.Slice(c.Imports, func(i, j int) bool { return c.Imports[i].Name < c.Imports[j].Name })
		for _, e := range r.Exports {
			if e.Kind != "func" || e.Type == nil {
				continue
			}
			n.Exports[e.Name] = sig(e.Type)
			ex := Export{Name: e.Name, Signature: e.Signature, UsedBy: []Use{}}
			ex.Interface, ex.Function = implements(e.Name)
			c.Exports = append(c.Exports, ex)
		}
		sort.Slice(c.Exports, func(i, j int) bool { return c.Exports[i].Name < c.Exports[j].Name })
		if r.Kind == "component" {
			p := Problem{Kind: ProblemModule, Component: mc.Name,
				Message: fmt.Sprintf("component %s: %s is a Component Model binary, which wasmhive does not run (it runs core modules)", mc.Name, c.Module)}
			g.Problems = append(g.Problems, p)
			c.Problems = append(c.Problems, p.Message)
		}
		nodes = append(nodes, n)
		g.Components = append(g.Components, c)
		for _, l := range cfg.Links {
			gl := Link{From: mc.Name, To: l.Target, Interface: l.Interface, Functions: []string{}, Problems: []string{}}
			for _, im := range n.Imports {
				if im.Module == l.Interface {
					gl.Functions = append(gl.Functions, im.Name)
				}
			}
			sort.Strings(gl.Functions)
			if l.Timeout > 0 {
				gl.Timeout = l.Timeout.String()
			}
			if in := l.Instances; in != (wasmhive.Instances{}) {
				gl.Instances = &Instances{Min: in.Min, Max: in.Max, Fresh: in.Fresh, Queue: in.Queue,
					QueueTimeout: duration(in.QueueTimeout), IdleTimeout: duration(in.IdleTimeout)}
			}
			g.Links = append(g.Links, gl)
		}
	}
	for i := range g.Components {
		byName[g.Components[i].Name] = &g.Components[i]
	}
	sort.SliceStable(g.Links, func(i, j int) bool {
		a, b := g.Links[i], g.Links[j]
		if a.From != b.From {
			return a.From < b.From
		}
		return a.Interface < b.Interface
	})
	for _, l := range g.Links {
		if t := byName[l.To]; t != nil {
			for _, fn := range l.Functions {
				t.use(link.ExportName(l.Interface, fn), Use{Kind: "link", Name: l.From})
			}
		}
	}

	for _, rt := range app.HTTP.Routes {
		g.Routes = append(g.Routes, Route{Path: rt.Path, Component: rt.Component, Convention: rt.Convention.String(), Export: rt.Export})
		if c := byName[rt.Component]; c != nil {
			exp := rt.Export
			if rt.Convention == httptrigger.WAGI || (rt.Convention == httptrigger.Auto && !c.exports(exp)) {
				exp = "_start"
			}
			c.use(exp, Use{Kind: "route", Name: rt.Path})
		}
	}
	sort.SliceStable(g.Routes, func(i, j int) bool { return g.Routes[i].Path < g.Routes[j].Path })
	for _, s := range app.Messaging.Subscriptions {
		g.Subscriptions = append(g.Subscriptions, Subscription{Subject: s.Subject, Component: s.Component, Queue: s.Queue, Export: s.Export})
		if c := byName[s.Component]; c != nil {
			c.use(s.Export, Use{Kind: "subscription", Name: s.Subject})
		}
	}
	sort.SliceStable(g.Subscriptions, func(i, j int) bool {
		a, b := g.Subscriptions[i], g.Subscriptions[j]
		if a.Subject != b.Subject {
			return a.Subject < b.Subject
		}
		return a.Component < b.Component
	})

	for _, err := range (link.Graph{Nodes: nodes, Known: known}).Check() {
		g.addProblem(err, byName)
	}
	g.Sound = len(g.Problems) == 0
	g.Summary = g.summary()
	return g, nil
}

// addProblem records err, a problem Check found, on the graph and on the
// link or component it concerns.
func (g *Graph) addProblem(err error, byName map[string]*Component) {
	var le *link.Error
	var ce *link.CycleError
	switch {
	case errors.As(err, &le) && le.To != "":
		g.Problems = append(g.Problems, Problem{Kind: ProblemLink, Message: err.Error(), Component: le.From, To: le.To, Interface: le.Interface})
		for i := range g.Links {
			if l := &g.Links[i]; l.From == le.From && l.Interface == le.Interface {
				l.Problems = append(l.Problems, le.Reason)
			}
		}
	case errors.As(err, &le):
		g.Problems = append(g.Problems, Problem{Kind: ProblemImport, Message: err.Error(), Component: le.From, Interface: le.Interface})
		if c := byName[le.From]; c != nil {
			c.Problems = append(c.Problems, err.Error())
		}
	case errors.As(err, &ce):
		g.Problems = append(g.Problems, Problem{Kind: ProblemCycle, Message: err.Error(), Cycle: ce.Path})
		for k := 0; k+1 < len(ce.Path); k++ {
			for i := range g.Links {
				if l := &g.Links[i]; l.From == ce.Path[k] && l.To == ce.Path[k+1] {
					l.Problems = append(l.Problems, err.Error())
				}
			}
		}
	default:
		g.Problems = append(g.Problems, Problem{Kind: ProblemLink, Message: err.Error()})
	}
}

func (c *Component) exports(name string) bool {
	for _, e := range c.Exports {
		if e.Name == name {
			return true
		}
	}
	return false
}

// use records u as a caller of export name, when c exports it (a missing
// export is a problem reported elsewhere).
func (c *Component) use(name string, u Use) {
	for i := range c.Exports {
		if e := &c.Exports[i]; e.Name == name {
			for _, have := range e.UsedBy {
				if have == u {
					return
				}
			}
			e.UsedBy = append(e.UsedBy, u)
			return
		}
	}
}

// implements returns the interface and function an export implements for
// links, if any.
func implements(export string) (iface, fn string) {
	for _, h := range link.Handlers {
		for _, f := range h.Funcs {
			if link.ExportName(h.Name, f.Name) == export {
				return h.Name, f.Name
			}
		}
	}
	if i, f, ok := strings.Cut(export, "#"); ok && i != "" && f != "" {
		return i, f
	}
	return "", ""
}

// satisfier says what serves the component's imports of mod, in the order
// the Host looks: its link, a granted capability, a host module, a library.
func satisfier(app *manifest.App, comp string, cfg wasmhive.ComponentConfig, mod string, links map[string]string, libs, capMods map[string]bool) Satisfier {
	if to, ok := links[mod]; ok {
		return Satisfier{Kind: ByLink, Name: to}
	}
	if name, ok := capability.Of(mod); ok {
		switch {
		case !cfg.Grants.Has(name):
			return Satisfier{Kind: ByUnsatisfied, Detail: fmt.Sprintf("no link, and %s is not granted", name)}
		case !capMods[mod]:
			return Satisfier{Kind: ByUnsatisfied, Detail: fmt.Sprintf("no link, and the %s capability has no interface %s", name, mod)}
		}
		typ, detail := provider(app, comp, cfg.Grants, name)
		return Satisfier{Kind: ByProvider, Name: name, Provider: typ, Detail: detail}
	}
	if what, ok := hostModules[mod]; ok {
		return Satisfier{Kind: ByHost, Name: what}
	}
	if libs[mod] {
		return Satisfier{Kind: ByLibrary, Name: mod}
	}
	switch mod {
	case extism.UserModule:
		return Satisfier{Kind: ByUnsatisfied, Detail: "host functions: an app's Host defines none"}
	case wasip1.Preview0ModuleName:
		return Satisfier{Kind: ByUnsatisfied, Detail: "WASI preview 0: the Host implements preview 1 (wasi_snapshot_preview1)"}
	}
	return Satisfier{Kind: ByUnsatisfied, Detail: "no link, capability, library or host module"}
}

// provider describes the provider behind capability name for comp.
func provider(app *manifest.App, comp string, gr wasmhive.Grants, name string) (typ, detail string) {
	switch name {
	case capability.KeyValue:
		bucket := comp
		if gr.KeyValue != nil && gr.KeyValue.Bucket != "" {
			bucket = gr.KeyValue.Bucket
		}
		kv := app.Providers.KeyValue
		switch kv.Type {
		case wasmhive.KeyValueNATS:
			where := "embedded NATS server"
			switch {
			case kv.URL != "":
				where = redact(kv.URL)
			case app.Providers.Messaging.URL != "":
				where = redact(app.Providers.Messaging.URL)
			}
			return kv.Type, "NATS JetStream KV on " + where + ", bucket " + bucket
		case wasmhive.KeyValueRedis:
			return kv.Type, "Redis " + redact(kv.URL) + ", bucket " + bucket
		}
		return wasmhive.KeyValueBolt, "bbolt, bucket " + bucket
	case capability.Messaging:
		d := "embedded NATS server"
		if u := app.Providers.Messaging.URL; u != "" {
			d = "NATS " + redact(u)
		}
		if gr.Messaging != nil && len(gr.Messaging.Subjects) > 0 {
			d += ", subjects " + strings.Join(gr.Messaging.Subjects, " ")
		}
		return "nats", d
	case capability.HTTP:
		d := "outgoing HTTP"
		if gr.HTTP != nil && len(gr.HTTP.AllowedHosts) > 0 {
			d += ", hosts " + strings.Join(gr.HTTP.AllowedHosts, " ")
		}
		return "host", d
	case capability.Config:
		return "host", "the manifest's config"
	case capability.Logging:
		return "host", "the host's log"
	}
	return "host", ""
}

// redact drops the user information (passwords, tokens) from a URL or a
// comma-separated list of them.
func redact(s string) string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if u, err := url.Parse(p); err == nil && u.User != nil {
			u.User = nil
			p = u.String()
		} else if err != nil && strings.Contains(p, "@") {
			p = p[strings.LastIndex(p, "@")+1:]
		}
		parts[i] = p
	}
	return strings.Join(parts, ",")
}

// relPath is p relative to dir, when it can be reached from it.
func relPath(dir, p string) string {
	if rel, err := filepath.Rel(dir, p); err == nil {
		return filepath.ToSlash(rel)
	}
	return p
}

func duration(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

// sig converts an inspect function type to the link checks' signature.
func sig(t *inspect.FuncType) link.Signature {
	return link.Signature{Params: valueTypes(t.Params), Results: valueTypes(t.Results)}
}

// valueTypes maps type names to wazero's value types; a type wazero has no
// constant for (v128, references of the GC proposals) maps to a value no
// link signature accepts.
func valueTypes(names []string) []api.ValueType {
	out := make([]api.ValueType, len(names))
	for i, n := range names {
		switch n {
		case "i32":
			out[i] = api.ValueTypeI32
		case "i64":
			out[i] = api.ValueTypeI64
		case "f32":
			out[i] = api.ValueTypeF32
		case "f64":
			out[i] = api.ValueTypeF64
		case "externref":
			out[i] = api.ValueTypeExternref
		case "funcref":
			out[i] = 0x70
		case "v128":
			out[i] = 0x7b
		default:
			out[i] = 0
		}
	}
	return out
}

// summary counts what the graph has and how it went.
func (g *Graph) summary() string {
	counts := fmt.Sprintf("%s, %s, %s, %s", plural(len(g.Components), "component"), plural(len(g.Links), "link"),
		plural(len(g.Routes), "route"), plural(len(g.Subscriptions), "subscription"))
	if g.Sound {
		return "wiring sound: " + counts
	}
	return fmt.Sprintf("%s: %s", plural(len(g.Problems), "problem"), counts)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
