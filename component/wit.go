package component

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/wasmhive/wasmhive/internal/wasmbin"
	"github.com/wasmhive/wasmhive/wit"
)

// WIT recovers the world of the component as WIT, as `wasm-tools component
// wit` does: a package root:component with a world root whose imports and
// exports are the component's, and the packages of the interfaces it
// imports and exports (their functions, types and resources; a type the
// binary aliases from another interface is a `use` of it). The main
// package is the last of the Resolve's packages.
func (c *Component) WIT() (*wit.Resolve, *wit.World, error) {
	if c == nil || c.Type == nil {
		return nil, nil, errors.New("component: no component type")
	}
	if c.IsWITPackage() {
		return nil, nil, errors.New("component: a WIT package, not a component with a world (see WITPackage)")
	}
	return worldOf(c.Type, wit.PackageName{Namespace: "root", Name: "component"}, "root", false)
}

// IsWITPackage reports whether the component is a WIT package encoded as
// a component (what `wasm-tools component wit --wasm` writes): it only
// exports component types, one per interface or world of the package.
func (c *Component) IsWITPackage() bool {
	if c == nil || c.Type == nil || len(c.Type.Imports) > 0 || len(c.Type.Exports) == 0 || len(c.Modules) > 0 || len(c.Components) > 0 {
		return false
	}
	for _, e := range c.Type.Exports {
		if _, ok := e.Desc.Type.(*ComponentType); !ok || e.Desc.Sort != SortType {
			return false
		}
	}
	return true
}

// WITPackage decodes a WIT package encoded as a component (see
// IsWITPackage): the package, with its interfaces and worlds, and the
// packages they use, as `wasm-tools component wit` prints it.
func (c *Component) WITPackage() (*wit.Resolve, *wit.Package, error) {
	if !c.IsWITPackage() {
		return nil, nil, errors.New("component: not a WIT package (it does not only export component types)")
	}
	d := newWITDecoder()
	for _, e := range c.Type.Exports {
		ct := e.Desc.Type.(*ComponentType)
		for _, im := range ct.Imports {
			if _, err := d.item(im, nil, true); err != nil {
				return nil, nil, fmt.Errorf("component: package item %q: import %q: %v", e.Name, im.Name, err)
			}
		}
		for _, ex := range ct.Exports {
			pn, name, ok := splitWorldName(ex.Name)
			if !ok {
				return nil, nil, fmt.Errorf("component: package item %q: %q is not ns:pkg/name", e.Name, ex.Name)
			}
			if d.main == nil {
				d.main = &wit.Package{Name: pn}
				d.byName[pn.String()] = d.main
			}
			switch t := ex.Desc.Type.(type) {
			case *InstanceType:
				if _, err := d.item(ex, nil, true); err != nil {
					return nil, nil, fmt.Errorf("component: interface %q: %v", ex.Name, err)
				}
			case *ComponentType:
				p := d.byName[pn.String()]
				if p == nil {
					return nil, nil, fmt.Errorf("component: world %q is not in package %s", ex.Name, d.main.Name)
				}
				w := &wit.World{Name: name, Package: p}
				if err := d.world(t, w); err != nil {
					return nil, nil, err
				}
				p.Worlds = append(p.Worlds, w)
			default:
				return nil, nil, fmt.Errorf("component: package item %q: a %s is not an interface or world", ex.Name, ex.Desc.Sort)
			}
		}
	}
	if d.main == nil {
		return nil, nil, errors.New("component: empty WIT package")
	}
	return d.order(true), d.main, nil
}

// DecodeWITPackage decodes a WIT package binary (see IsWITPackage) with
// the docs of its package-docs custom section: package, interface, world,
// type, field and function docs (not stability attributes).
func DecodeWITPackage(b []byte) (*wit.Resolve, *wit.Package, error) {
	c, err := Decode(b)
	if err != nil {
		return nil, nil, err
	}
	r, p, err := c.WITPackage()
	if err != nil {
		return nil, nil, err
	}
	for _, cs := range c.Custom {
		if cs.Name == "package-docs" && cs.Offset >= 0 && cs.Offset+cs.Size <= len(b) {
			if err := packageDocs(p, b[cs.Offset:cs.Offset+cs.Size]); err != nil {
				return nil, nil, fmt.Errorf("component: package-docs section: %v", err)
			}
		}
	}
	return r, p, nil
}

// packageDocs applies wit-component's package-docs metadata (version 1:
// a JSON object) to p.
func packageDocs(p *wit.Package, data []byte) error {
	if len(data) == 0 || data[0] != 1 {
		return errors.New("unsupported version")
	}
	type typeDocs struct {
		Docs  *string           `json:"docs"`
		Items map[string]string `json:"items"`
	}
	type ifaceDocs struct {
		Docs  *string                    `json:"docs"`
		Funcs map[string]json.RawMessage `json:"funcs"`
		Types map[string]typeDocs        `json:"types"`
	}
	type worldDocs struct {
		Docs                *string                    `json:"docs"`
		InterfaceImportDocs map[string]string          `json:"interface_import_docs"`
		InterfaceExportDocs map[string]string          `json:"interface_export_docs"`
		Interfaces          map[string]ifaceDocs       `json:"interfaces"` // inline interfaces
		FuncImports         map[string]json.RawMessage `json:"funcs"`
		FuncExports         map[string]json.RawMessage `json:"func_exports"`
		Types               map[string]typeDocs        `json:"types"`
	}
	var md struct {
		Docs       *string              `json:"docs"`
		Worlds     map[string]worldDocs `json:"worlds"`
		Interfaces map[string]ifaceDocs `json:"interfaces"`
	}
	if err := json.Unmarshal(data[1:], &md); err != nil {
		return err
	}
	lines := func(s *string) []string {
		if s == nil || *s == "" {
			return nil
		}
		return strings.Split(*s, "\n")
	}
	// A function's metadata is its docs, or an object with "docs".
	funcDocs := func(m json.RawMessage) []string {
		var s string
		if json.Unmarshal(m, &s) == nil {
			return lines(&s)
		}
		var o struct {
			Docs *string `json:"docs"`
		}
		if json.Unmarshal(m, &o) == nil {
			return lines(o.Docs)
		}
		return nil
	}
	applyType := func(td *wit.TypeDef, t typeDocs) {
		td.Docs = lines(t.Docs)
		for i := range td.Fields {
			if d, ok := t.Items[td.Fields[i].Name]; ok {
				td.Fields[i].Docs = lines(&d)
			}
		}
	}
	applyIface := func(i *wit.Interface, id ifaceDocs) {
		i.Docs = lines(id.Docs)
		for _, td := range i.TypeDefs {
			if t, ok := id.Types[td.Name]; ok {
				applyType(td, t)
			}
		}
		for _, f := range i.Functions {
			if m, ok := id.Funcs[f.Name]; ok {
				f.Docs = funcDocs(m)
			}
		}
	}
	p.Docs = lines(md.Docs)
	for _, i := range p.Interfaces {
		if id, ok := md.Interfaces[i.Name]; ok {
			applyIface(i, id)
		}
	}
	for _, w := range p.Worlds {
		wd, ok := md.Worlds[w.Name]
		if !ok {
			continue
		}
		w.Docs = lines(wd.Docs)
		for _, items := range []struct {
			its   []*wit.WorldItem
			iface map[string]string
			funcs map[string]json.RawMessage
		}{{w.Imports, wd.InterfaceImportDocs, wd.FuncImports}, {w.Exports, wd.InterfaceExportDocs, wd.FuncExports}} {
			for _, it := range items.its {
				switch {
				case it.Func != nil:
					if m, ok := items.funcs[it.Name]; ok {
						it.Docs = funcDocs(m)
						it.Func.Docs = it.Docs
					}
				case it.Type != nil:
					if t, ok := wd.Types[it.Name]; ok {
						applyType(it.Type, t)
					}
				case it.Interface != nil && it.Interface.Name == "":
					if id, ok := wd.Interfaces[it.Name]; ok {
						applyIface(it.Interface, id)
						it.Docs = it.Interface.Docs
					}
				case it.Interface != nil:
					if d, ok := items.iface[it.Key()]; ok {
						it.Docs = lines(&d)
					}
				}
			}
		}
	}
	return nil
}

// ModuleWIT recovers the world of a core module from its
// `component-type:*` custom sections (as `wasm-tools component embed`
// writes them): the package that defines the world, and a package
// root:root with a world root that has the world's imports and exports, as
// `wasm-tools component wit` prints it. It returns (nil, nil, nil) when the
// module has no such section.
func ModuleWIT(module []byte) (*wit.Resolve, *wit.World, error) {
	m, err := wasmbin.ParseModule(module)
	if err != nil {
		return nil, nil, err
	}
	var found *ComponentType
	var worldName string
	for _, cs := range m.CustomSections {
		if !strings.HasPrefix(cs.Name, "component-type") {
			continue
		}
		if found != nil {
			return nil, nil, errors.New("component: more than one component-type section (merging them is not supported)")
		}
		ct, name, err := worldType(module[cs.Offset : cs.Offset+cs.Size])
		if err != nil {
			return nil, nil, fmt.Errorf("component: custom section %q: %v", cs.Name, err)
		}
		found, worldName = ct, name
	}
	if found == nil {
		return nil, nil, nil
	}
	// The world's own package first (in wasm-tools' order), then root:root.
	pn, wn, ok := splitWorldName(worldName)
	if !ok {
		return nil, nil, fmt.Errorf("component: component-type section: world name %q is not ns:pkg/world", worldName)
	}
	r, w, err := worldOf(found, pn, wn, true)
	if err != nil {
		return nil, nil, err
	}
	root := &wit.Package{Name: wit.PackageName{Namespace: "root", Name: "root"}}
	rw := &wit.World{Name: "root", Package: root, Imports: w.Imports, Exports: w.Exports}
	root.Worlds = []*wit.World{rw}
	r.Packages = append(r.Packages, root)
	return r, rw, nil
}

// worldType finds the world in the component type encoding of a
// component-type section: a component exporting a component type whose
// one export is the world's component type, named ns:pkg/world.
func worldType(b []byte) (*ComponentType, string, error) {
	c, err := Decode(b)
	if err != nil {
		return nil, "", err
	}
	for _, e := range c.Type.Exports {
		outer, ok := e.Desc.Type.(*ComponentType)
		if !ok || e.Desc.Sort != SortType {
			continue
		}
		for _, x := range outer.Exports {
			if ct, ok := x.Desc.Type.(*ComponentType); ok && x.Desc.Sort == SortComponent {
				return ct, x.Name, nil
			}
		}
	}
	return nil, "", errors.New("no world type in the component type encoding")
}

func splitWorldName(s string) (wit.PackageName, string, bool) {
	var pn wit.PackageName
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		pn.Version = s[i+1:]
		s = s[:i]
	}
	ns, rest, ok := strings.Cut(s, ":")
	if !ok {
		return pn, "", false
	}
	pkg, w, ok := strings.Cut(rest, "/")
	if !ok || ns == "" || pkg == "" || w == "" {
		return pn, "", false
	}
	pn.Namespace, pn.Name = ns, pkg
	return pn, w, true
}

// witDecoder builds a wit.Resolve from component types.
type witDecoder struct {
	pkgs   []*wit.Package
	byName map[string]*wit.Package
	ifaces map[string]*wit.Interface
	// types maps the types imports and exports introduce (*ValueType and
	// *ResourceType pointers) to their WIT definitions.
	types map[any]*wit.TypeDef
	main  *wit.Package
	nodes int // anonymous type parts converted, bounded by maxWITNodes
}

// maxWITNodes bounds the anonymous type parts one conversion expands.
const maxWITNodes = 1 << 20

// worldOf converts component type ct into world pn/world; mainFirst puts
// the world's package first among the packages (a package that defines
// the world), not last (a component's synthesized root package).
func worldOf(ct *ComponentType, pn wit.PackageName, world string, mainFirst bool) (*wit.Resolve, *wit.World, error) {
	d := newWITDecoder()
	d.main = &wit.Package{Name: pn}
	d.byName[pn.String()] = d.main
	w := &wit.World{Name: world, Package: d.main}
	if err := d.world(ct, w); err != nil {
		return nil, nil, err
	}
	d.main.Worlds = append(d.main.Worlds, w)
	return d.order(mainFirst), w, nil
}

func newWITDecoder() *witDecoder {
	return &witDecoder{byName: map[string]*wit.Package{}, ifaces: map[string]*wit.Interface{}, types: map[any]*wit.TypeDef{}}
}

// world fills w with the imports and exports of ct.
func (d *witDecoder) world(ct *ComponentType, w *wit.World) error {
	for _, e := range ct.Imports {
		it, err := d.item(e, w, true)
		if err != nil {
			return fmt.Errorf("component: import %q: %v", e.Name, err)
		}
		w.Imports = append(w.Imports, it)
	}
	for _, e := range ct.Exports {
		it, err := d.item(e, w, false)
		if err != nil {
			return fmt.Errorf("component: export %q: %v", e.Name, err)
		}
		w.Exports = append(w.Exports, it)
	}
	return nil
}

// order lists the packages as wit-component does: in order of first
// appearance (the main package first when mainFirst, else last), each
// after the packages it uses types from.
func (d *witDecoder) order(mainFirst bool) *wit.Resolve {
	r := &wit.Resolve{}
	seen := map[*wit.Package]bool{}
	var visit func(p *wit.Package, depth int)
	visit = func(p *wit.Package, depth int) {
		if seen[p] || depth > 1000 {
			return
		}
		seen[p] = true
		for _, i := range p.Interfaces {
			for _, td := range i.TypeDefs {
				if t, ok := td.Alias.(*wit.TypeDef); ok && td.Kind == wit.KindAlias && t.Interface != nil && t.Interface.Package != nil && t.Interface.Package != p {
					visit(t.Interface.Package, depth+1)
				}
			}
		}
		r.Packages = append(r.Packages, p)
	}
	if mainFirst {
		visit(d.main, 0)
	}
	for _, p := range d.pkgs {
		visit(p, 0)
	}
	visit(d.main, 0)
	return r
}

// item converts one import or export of the world.
func (d *witDecoder) item(e Extern, w *wit.World, imp bool) (*wit.WorldItem, error) {
	p, _ := parseExternName(e.Name, imp)
	switch e.Desc.Sort {
	case SortInstance:
		it, ok := e.Desc.Type.(*InstanceType)
		if !ok {
			return nil, errors.New("not an instance type")
		}
		if p.Kind == NameInterface {
			iface, err := d.namedInterface(e.Name)
			if err != nil {
				return nil, err
			}
			if err := d.fill(iface, it); err != nil {
				return nil, err
			}
			return &wit.WorldItem{Interface: iface}, nil
		}
		iface := &wit.Interface{}
		if err := d.fill(iface, it); err != nil {
			return nil, err
		}
		return &wit.WorldItem{Name: e.Name, Interface: iface}, nil
	case SortFunc:
		ft, ok := e.Desc.Type.(*FuncType)
		if !ok {
			return nil, errors.New("not a function type")
		}
		if w == nil {
			return nil, errors.New("a function outside a world or interface")
		}
		f, err := d.function(e.Name, p, ft, func(name string) *wit.TypeDef {
			for _, x := range w.Imports {
				if x.Type != nil && x.Type.Name == name {
					return x.Type
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		return &wit.WorldItem{Name: e.Name, Func: f}, nil
	case SortType:
		if !imp || w == nil {
			return nil, errors.New("a type export is not representable in a WIT world")
		}
		td, err := d.typeExport(e.Name, e.Desc.Type)
		if err != nil {
			return nil, err
		}
		td.World = w
		return &wit.WorldItem{Name: e.Name, Type: td}, nil
	}
	return nil, fmt.Errorf("a %s is not representable in WIT", e.Desc.Sort)
}

func parseExternName(name string, imp bool) (ParsedName, error) {
	var p ParsedName
	if strings.ContainsAny(name, ":/") && !strings.Contains(name, "=") {
		p.Kind = NameInterface
		return p, nil
	}
	switch {
	case strings.HasPrefix(name, "[constructor]"):
		p.Kind, p.Resource = NameConstructor, strings.TrimPrefix(name, "[constructor]")
	case strings.HasPrefix(name, "[method]"):
		p.Kind = NameMethod
		p.Resource, p.Label, _ = strings.Cut(strings.TrimPrefix(name, "[method]"), ".")
	case strings.HasPrefix(name, "[static]"):
		p.Kind = NameStatic
		p.Resource, p.Label, _ = strings.Cut(strings.TrimPrefix(name, "[static]"), ".")
	case strings.HasPrefix(name, "[async method]"):
		p.Kind = NameAsyncMethod
		p.Resource, p.Label, _ = strings.Cut(strings.TrimPrefix(name, "[async method]"), ".")
	case strings.HasPrefix(name, "[async static]"):
		p.Kind = NameAsyncStatic
		p.Resource, p.Label, _ = strings.Cut(strings.TrimPrefix(name, "[async static]"), ".")
	case strings.HasPrefix(name, "[async]"):
		p.Kind, p.Label = NameAsync, strings.TrimPrefix(name, "[async]")
	default:
		p.Kind, p.Label = NamePlain, name
	}
	return p, nil
}

// namedInterface finds or creates the interface ns:pkg/name@version.
func (d *witDecoder) namedInterface(full string) (*wit.Interface, error) {
	if i, ok := d.ifaces[full]; ok {
		return i, nil
	}
	pn, name, ok := splitWorldName(full)
	if !ok {
		return nil, fmt.Errorf("%q is not an interface name", full)
	}
	p := d.byName[pn.String()]
	if p == nil {
		p = &wit.Package{Name: pn}
		d.byName[pn.String()] = p
		d.pkgs = append(d.pkgs, p)
	}
	i := &wit.Interface{Name: name, Package: p}
	p.Interfaces = append(p.Interfaces, i)
	d.ifaces[full] = i
	return i, nil
}

// fill adds the exports of instance type it to iface (an interface both
// imported and exported gets the union).
func (d *witDecoder) fill(iface *wit.Interface, it *InstanceType) error {
	local := func(name string) *wit.TypeDef {
		for _, td := range iface.TypeDefs {
			if td.Name == name {
				return td
			}
		}
		return nil
	}
	for _, e := range it.Exports {
		switch e.Desc.Sort {
		case SortType:
			if td := local(e.Name); td != nil {
				d.types[e.Desc.Type] = td
				continue
			}
			td, err := d.typeExport(e.Name, e.Desc.Type)
			if err != nil {
				return fmt.Errorf("type %q: %v", e.Name, err)
			}
			td.Interface = iface
			iface.TypeDefs = append(iface.TypeDefs, td)
		case SortFunc:
			dup := false
			for _, f := range iface.Functions {
				dup = dup || f.Name == e.Name
			}
			if dup {
				continue
			}
			ft, ok := e.Desc.Type.(*FuncType)
			if !ok {
				return fmt.Errorf("function %q: not a function type", e.Name)
			}
			p, _ := parseExternName(e.Name, false)
			f, err := d.function(e.Name, p, ft, local)
			if err != nil {
				return fmt.Errorf("function %q: %v", e.Name, err)
			}
			iface.Functions = append(iface.Functions, f)
		default:
			return fmt.Errorf("export %q: a %s in an interface is not representable in WIT", e.Name, e.Desc.Sort)
		}
	}
	return nil
}

// typeExport defines the type an import or export introduces.
func (d *witDecoder) typeExport(name string, t any) (*wit.TypeDef, error) {
	td := &wit.TypeDef{Name: name}
	switch t := t.(type) {
	case *ResourceType:
		if t.eq != nil {
			if prev := d.resource(t.eq); prev != nil {
				td.Kind, td.Alias = wit.KindAlias, prev
				break
			}
		}
		td.Kind = wit.KindResource
	case *ValueType:
		if t.eq != nil {
			if prev := d.types[t.eq]; prev != nil {
				td.Kind, td.Alias = wit.KindAlias, prev
				break
			}
		}
		switch t.Kind {
		case Record:
			td.Kind = wit.KindRecord
			for _, f := range t.Fields {
				ft, err := d.valType(f.Type, 0)
				if err != nil {
					return nil, err
				}
				td.Fields = append(td.Fields, wit.Field{Name: f.Name, Type: ft})
			}
		case Variant:
			td.Kind = wit.KindVariant
			for _, c := range t.Cases {
				var ct wit.Type
				if c.Type != nil {
					var err error
					if ct, err = d.valType(c.Type, 0); err != nil {
						return nil, err
					}
				}
				td.Fields = append(td.Fields, wit.Field{Name: c.Name, Type: ct})
			}
		case Enum, Flags:
			td.Kind = wit.KindEnum
			if t.Kind == Flags {
				td.Kind = wit.KindFlags
			}
			for _, l := range t.Labels {
				td.Fields = append(td.Fields, wit.Field{Name: l})
			}
		case Own:
			r := d.resource(t.Resource)
			if r == nil {
				return nil, errors.New("own of an unknown resource")
			}
			td.Kind, td.Alias = wit.KindAlias, &wit.Handle{Resource: r}
		default:
			a, err := d.valType(t, 0)
			if err != nil {
				return nil, err
			}
			td.Kind, td.Alias = wit.KindAlias, a
		}
	default:
		return nil, fmt.Errorf("a %T type is not representable in WIT", t)
	}
	d.types[t] = td
	return td, nil
}

// resource finds the WIT definition of a resource: the name rt was
// introduced under, or what it is an alias of.
func (d *witDecoder) resource(rt *ResourceType) *wit.TypeDef {
	for n := 0; rt != nil && n < 1000; n++ {
		if td := d.types[rt]; td != nil {
			return td
		}
		if rt.eq != nil {
			rt = rt.eq
		} else {
			rt = rt.Of
		}
	}
	return nil
}

// valType converts a value type as used in a function or type definition.
func (d *witDecoder) valType(vt *ValueType, depth int) (wit.Type, error) {
	if depth > 100 {
		return nil, errors.New("type nesting too deep")
	}
	// Shared parts can make a small binary describe an astronomically
	// large type: bound the work (and so the WIT text).
	if d.nodes++; d.nodes > maxWITNodes {
		return nil, fmt.Errorf("types too large (more than %d parts)", maxWITNodes)
	}
	if vt == nil {
		return nil, nil
	}
	if td := d.types[vt]; td != nil {
		return td, nil
	}
	if vt.Kind.Primitive() {
		return wit.Primitive(vt.Kind), nil
	}
	sub := func(t *ValueType) (wit.Type, error) { return d.valType(t, depth+1) }
	switch vt.Kind {
	case List, FixedList:
		e, err := sub(vt.Elem)
		if err != nil {
			return nil, err
		}
		l := &wit.List{Elem: e}
		if vt.Kind == FixedList {
			l.Len = vt.Len
		}
		return l, nil
	case Option:
		e, err := sub(vt.Elem)
		if err != nil {
			return nil, err
		}
		return &wit.Option{Elem: e}, nil
	case Result:
		ok, err := sub(vt.OK)
		if err != nil {
			return nil, err
		}
		er, err := sub(vt.Err)
		if err != nil {
			return nil, err
		}
		return &wit.Result{OK: ok, Err: er}, nil
	case Tuple:
		t := &wit.Tuple{}
		for _, x := range vt.Types {
			e, err := sub(x)
			if err != nil {
				return nil, err
			}
			t.Elems = append(t.Elems, e)
		}
		return t, nil
	case Stream, Future:
		e, err := sub(vt.Elem)
		if err != nil {
			return nil, err
		}
		if vt.Kind == Stream {
			return &wit.Stream{Elem: e}, nil
		}
		return &wit.Future{Elem: e}, nil
	case Own, Borrow:
		r := d.resource(vt.Resource)
		if r == nil {
			return nil, errors.New("a handle of an unknown resource")
		}
		if vt.Kind == Borrow {
			return &wit.Handle{Resource: r, Borrow: true}, nil
		}
		return r, nil
	}
	return nil, fmt.Errorf("an anonymous %s is not representable in WIT", vt.Kind)
}

// function converts a function import or export; res finds a resource
// type by name in the function's scope.
func (d *witDecoder) function(name string, p ParsedName, ft *FuncType, res func(string) *wit.TypeDef) (*wit.Function, error) {
	f := &wit.Function{Name: name, Async: ft.Async}
	switch p.Kind {
	case NameConstructor:
		f.Kind = wit.FuncConstructor
	case NameMethod, NameAsyncMethod:
		f.Kind = wit.FuncMethod
	case NameStatic, NameAsyncStatic:
		f.Kind = wit.FuncStatic
	}
	if p.Kind == NameAsync || p.Kind == NameAsyncMethod || p.Kind == NameAsyncStatic {
		f.Async = true
	}
	if f.Kind != wit.FuncFreestanding {
		if f.Resource = res(p.Resource); f.Resource == nil {
			return nil, fmt.Errorf("no resource %q", p.Resource)
		}
	}
	for _, pa := range ft.Params {
		t, err := d.valType(pa.Type, 0)
		if err != nil {
			return nil, err
		}
		f.Params = append(f.Params, wit.Field{Name: pa.Name, Type: t})
	}
	if ft.Result != nil {
		t, err := d.valType(ft.Result, 0)
		if err != nil {
			return nil, err
		}
		f.Result = t
	}
	return f, nil
}
