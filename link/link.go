// Package link is the contract side of links between components
// (docs/links.md): how an interface's functions are named among a target's
// exports, how a call's parameters travel as the target's input and its
// answer as the importer's reply, and the checks an app's wiring must pass
// before anything runs (missing targets, interface and signature
// mismatches, unsatisfied imports, cycles). It knows no Host: the Host
// carries the calls, and tools such as `wasmhive inspect` check an app
// without running it.
package link

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/component"
	"github.com/wasmhive/wasmhive/internal/capwire"
)

// Interfaces of the platform's own triggers, which a target exports under
// the trigger's export name (so any handler can be linked to unchanged).
const (
	HTTPHandler    = "wasmhive:http/incoming-handler"
	MessageHandler = "wasmhive:messaging/handler"
	// InvokeModule is the generic call: call(interface, function, args).
	InvokeModule = "wasmhive:host/invoke"
)

// Func is one function of an interface as a core module imports it: its
// name and how many i64 handle parameters it takes (it returns one i64
// reply handle).
type Func struct {
	Name   string
	Params int
}

// Interface is a contract the platform knows: its functions, so that
// importers and targets can be checked against it. Interfaces that are not
// known (an app's own) are checked against the importer's imports alone.
type Interface struct {
	Name  string
	Funcs []Func
}

// Func returns the function called name.
func (i Interface) Func(name string) (Func, bool) {
	for _, f := range i.Funcs {
		if f.Name == name {
			return f, true
		}
	}
	return Func{}, false
}

// Handlers are the trigger interfaces.
var Handlers = []Interface{
	{Name: HTTPHandler, Funcs: []Func{{Name: "handle", Params: 1}}},
	{Name: MessageHandler, Funcs: []Func{{Name: "handle", Params: 1}}},
}

// ExportName is the export of a target that implements function fn of
// interface iface: "iface#fn", or the trigger's export for the trigger
// interfaces (handle_http, handle_message).
func ExportName(iface, fn string) string {
	switch {
	case iface == HTTPHandler && fn == "handle":
		return "handle_http"
	case iface == MessageHandler && fn == "handle":
		return "handle_message"
	}
	return iface + "#" + fn
}

// Input is the target's input for a call with args: the one argument's
// bytes unchanged, or for any other count a list of items.
func Input(args [][]byte) []byte {
	if len(args) == 1 {
		return args[0]
	}
	n := 4
	for _, a := range args {
		n += 4 + len(a)
	}
	b := make([]byte, 0, n)
	b = capwire.AppendU32(b, uint32(len(args)))
	for _, a := range args {
		b = capwire.AppendBytes(b, a)
	}
	return b
}

// Args splits the args of a generic call (always a list) into the
// parameters.
func Args(list []byte) ([][]byte, error) {
	if len(list) == 0 {
		return nil, nil
	}
	r := capwire.NewReader(list)
	args := r.List()
	if r.Err() != nil || r.Len() != 0 {
		return nil, errors.New("args is not a list of items (u32 count, then u32 length and bytes for each)")
	}
	return args, nil
}

// Error is a problem with a link or an import, one line naming both ends.
type Error struct {
	From      string // the importing component
	To        string // the target; empty for an unsatisfied import
	Interface string
	Reason    string
}

func (e *Error) Error() string {
	if e.To == "" {
		return fmt.Sprintf("component %s %s", e.From, e.Reason)
	}
	return fmt.Sprintf("link %s -> %s (%s): %s", e.From, e.To, e.Interface, e.Reason)
}

// CycleError is a set of links that lead back to where they started.
type CycleError struct {
	Path []string // components, the first repeated at the end
}

func (e *CycleError) Error() string { return "link cycle: " + strings.Join(e.Path, " -> ") }

// Signature is a core function type.
type Signature struct {
	Params, Results []api.ValueType
}

// Import is one function a component imports.
type Import struct {
	Module, Name string
	Signature
}

// Node is one component as the checks see it.
type Node struct {
	Name    string
	Imports []Import
	Exports map[string]Signature
	// Links maps an imported interface to its target component.
	Links map[string]string
	// Provided reports whether an import module is served to this component
	// without a link: a host module it may use (WASI, the Extism kernel, a
	// granted capability, a library, a host function).
	Provided func(module string) bool
	// Typed is set for a Component Model component: its links carry typed
	// values (lifted from the importer, lowered into the target), and
	// TypedImports and TypedExports describe its interfaces instead of
	// Imports and Exports.
	Typed bool
	// TypedImports and TypedExports are a Component Model component's
	// imported and exported interfaces, by name with version, each a
	// function type by function name.
	TypedImports, TypedExports map[string]map[string]*component.FuncType
}

// Graph is an app's components and what the platform knows of interfaces.
type Graph struct {
	Nodes []Node
	// Known are the interfaces whose functions are fixed (the capability
	// contracts and Handlers); others are checked against imports alone.
	Known []Interface
}

// Check checks every link and import of g: each problem once, in a stable
// order. It returns nil when the wiring is sound.
func (g Graph) Check() []error {
	byName := map[string]*Node{}
	for i := range g.Nodes {
		byName[g.Nodes[i].Name] = &g.Nodes[i]
	}
	known := map[string]Interface{}
	for _, k := range g.Known {
		known[k.Name] = k
	}
	var errs []error
	for _, n := range g.Nodes {
		errs = append(errs, g.checkNode(n, byName, known)...)
	}
	if c := g.cycle(byName); c != nil {
		errs = append(errs, c)
	}
	return errs
}

func (g Graph) checkNode(n Node, byName map[string]*Node, known map[string]Interface) []error {
	var errs []error
	imported := map[string][]Import{}
	for _, im := range n.Imports {
		imported[im.Module] = append(imported[im.Module], im)
	}
	for _, iface := range sortedKeys(n.Links) {
		to := n.Links[iface]
		e := &Error{From: n.Name, To: to, Interface: iface}
		fail := func(format string, a ...any) {
			c := *e
			c.Reason = fmt.Sprintf(format, a...)
			errs = append(errs, &c)
		}
		if to == n.Name {
			fail("a component cannot be linked to itself")
			continue
		}
		target, ok := byName[to]
		if !ok {
			fail("no component %s", to)
			continue
		}
		if n.Typed || target.Typed {
			if r := checkTyped(n, target, iface); r != "" {
				fail("%s", r)
			}
			continue
		}
		ims := imported[iface]
		if len(ims) == 0 {
			fail("%s imports nothing from %s", n.Name, iface)
			continue
		}
		k, isKnown := known[iface]
		if !exportsAny(target, iface) {
			fail("%s exports no function of %s (a target exports %s)", to, iface, ExportName(iface, ims[0].Name))
			continue
		}
		var missing []string
		for _, im := range ims {
			if r := checkImportSig(im, k, isKnown); r != "" {
				fail("%s", r)
				continue
			}
			exp := ExportName(iface, im.Name)
			sig, ok := target.Exports[exp]
			switch {
			case !ok:
				missing = append(missing, exp)
			case len(sig.Params) != 0 || len(sig.Results) > 1 || (len(sig.Results) == 1 && sig.Results[0] != api.ValueTypeI32):
				fail("%s exports %s as %s; a link target's function takes no parameters and returns an i32 (an Extism function)", to, exp, sigString(sig))
			}
		}
		if len(missing) > 0 {
			fail("%s does not export %s", to, strings.Join(missing, ", "))
		}
	}
	// Imports nobody serves (a Component Model component's are the
	// Host's to check: its linker knows them).
	for _, mod := range sortedKeys(imported) {
		if _, linked := n.Links[mod]; linked || (n.Provided != nil && n.Provided(mod)) {
			continue
		}
		im := imported[mod][0]
		errs = append(errs, &Error{From: n.Name, Interface: mod,
			Reason: fmt.Sprintf("imports %s.%s, which no link or grant satisfies", mod, im.Name)})
	}
	return errs
}

// checkImportSig checks an import of a linked interface against the
// calling convention and, for a known interface, its functions.
func checkImportSig(im Import, k Interface, isKnown bool) string {
	allI64 := len(im.Results) == 1 && im.Results[0] == api.ValueTypeI64
	for _, p := range im.Params {
		allI64 = allI64 && p == api.ValueTypeI64
	}
	if !allI64 {
		return fmt.Sprintf("imports %s.%s as %s; a linked function takes i64 handles and returns an i64 reply handle", im.Module, im.Name, sigString(im.Signature))
	}
	if !isKnown {
		return ""
	}
	f, ok := k.Func(im.Name)
	if !ok {
		return fmt.Sprintf("imports %s.%s, which the interface does not have", im.Module, im.Name)
	}
	if f.Params != len(im.Params) {
		return fmt.Sprintf("imports %s.%s with %d parameters; the interface's has %d", im.Module, im.Name, len(im.Params), f.Params)
	}
	return ""
}

func exportsAny(n *Node, iface string) bool {
	for name := range n.Exports {
		if strings.HasPrefix(name, iface+"#") {
			return true
		}
	}
	for _, h := range Handlers {
		if h.Name == iface {
			_, ok := n.Exports[ExportName(iface, h.Funcs[0].Name)]
			return ok
		}
	}
	return false
}

// cycle finds a cycle among the links, if any.
func (g Graph) cycle(byName map[string]*Node) error {
	const (
		unseen = iota
		active
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(name string) []string
	visit = func(name string) []string {
		switch state[name] {
		case active:
			for i, p := range path {
				if p == name {
					return append(append([]string(nil), path[i:]...), name)
				}
			}
		case done:
			return nil
		}
		n, ok := byName[name]
		if !ok {
			return nil
		}
		state[name] = active
		path = append(path, name)
		for _, iface := range sortedKeys(n.Links) {
			if to := n.Links[iface]; to != name {
				if c := visit(to); c != nil {
					return c
				}
			}
		}
		path = path[:len(path)-1]
		state[name] = done
		return nil
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if c := visit(n); c != nil {
			return &CycleError{Path: c}
		}
	}
	return nil
}

// Order returns the components of g with every link target before its
// importers, so that they can be started in that order; a cycle is an
// error.
func (g Graph) Order() ([]string, error) {
	byName := map[string]*Node{}
	for i := range g.Nodes {
		byName[g.Nodes[i].Name] = &g.Nodes[i]
	}
	if c := g.cycle(byName); c != nil {
		return nil, c
	}
	var out []string
	seen := map[string]bool{}
	var visit func(name string)
	visit = func(name string) {
		if seen[name] {
			return
		}
		seen[name] = true
		if n, ok := byName[name]; ok {
			for _, iface := range sortedKeys(n.Links) {
				visit(n.Links[iface])
			}
			out = append(out, name)
		}
	}
	for _, n := range g.Nodes {
		visit(n.Name)
	}
	return out, nil
}

func sigString(s Signature) string {
	str := func(ts []api.ValueType) string {
		parts := make([]string, len(ts))
		for i, t := range ts {
			parts[i] = api.ValueTypeName(t)
		}
		return "(" + strings.Join(parts, ", ") + ")"
	}
	return str(s.Params) + " -> " + str(s.Results)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkTyped checks a link between Component Model components: the
// importer imports iface, the target exports a semver-compatible version
// of it, with every function the importer imports, of a matching type.
// It returns the reason the link is refused, or "".
func checkTyped(n Node, target *Node, iface string) string {
	switch {
	case !n.Typed:
		return fmt.Sprintf("%s is a Component Model component and %s a core module: a link connects two core modules or two components", target.Name, n.Name)
	case !target.Typed:
		return fmt.Sprintf("%s is a core module and %s a Component Model component: a link connects two core modules or two components", target.Name, n.Name)
	}
	imported := TypedInterface(n.TypedImports, iface)
	if imported == "" {
		return fmt.Sprintf("%s does not import %s", n.Name, iface)
	}
	ims := n.TypedImports[imported]
	exported := TypedInterface(target.TypedExports, imported)
	if exported == "" {
		return fmt.Sprintf("%s does not export %s", target.Name, imported)
	}
	exps := target.TypedExports[exported]
	for _, fn := range sortedKeys(ims) {
		want := ims[fn]
		got, ok := exps[fn]
		if !ok {
			return fmt.Sprintf("%s's %s has no function %s", target.Name, exported, fn)
		}
		if err := component.FuncMatches(got, want); err != nil {
			return fmt.Sprintf("function %s: %s imports %s, %s exports %s: %v", fn, n.Name, want, target.Name, got, err)
		}
	}
	return ""
}

// TypedInterface returns the name among m's keys that iface names: iface
// itself, the one semver-compatible version of it, or, when iface has no
// version, the one interface of that name; "" when none (or several) do.
func TypedInterface[V any](m map[string]V, iface string) string {
	if _, ok := m[iface]; ok {
		return iface
	}
	found := ""
	for _, name := range sortedKeys(m) {
		base, _, _ := strings.Cut(name, "@")
		if (!strings.Contains(iface, "@") && base == iface) || component.SameInterface(name, iface) {
			if found != "" {
				return ""
			}
			found = name
		}
	}
	return found
}

// TypedInterfaces returns a Component Model component's imported and
// exported interfaces (by name with version), each a function type by
// function name: what a Typed Node holds.
func TypedInterfaces(c *component.Component) (imports, exports map[string]map[string]*component.FuncType) {
	collect := func(externs []component.Extern) map[string]map[string]*component.FuncType {
		out := map[string]map[string]*component.FuncType{}
		for _, e := range externs {
			it, ok := e.Desc.Type.(*component.InstanceType)
			if !ok {
				continue
			}
			fns := map[string]*component.FuncType{}
			for _, f := range it.Exports {
				if ft, ok := f.Desc.Type.(*component.FuncType); ok {
					fns[f.Name] = ft
				}
			}
			out[e.Name] = fns
		}
		return out
	}
	return collect(c.Type.Imports), collect(c.Type.Exports)
}
