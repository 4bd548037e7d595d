package wit

import (
	"strconv"
	"strings"
)

// Print renders every package of r as canonical WIT text: main is printed
// as the file's package (`package ns:name;` and its items) and the others
// as nested `package ns:name { ... }` blocks, so that the output parses and
// resolves back to the same packages. main may be nil (then the last
// package is the main one).
func Print(r *Resolve, main *Package) string {
	if main == nil && len(r.Packages) > 0 {
		main = r.Packages[len(r.Packages)-1]
	}
	var b strings.Builder
	if main != nil {
		b.WriteString(PrintPackage(main))
	}
	first := true
	for _, p := range r.Packages {
		if p == main {
			continue
		}
		if !first {
			b.WriteString("\n\n") // wit-component's spacing
		}
		first = false
		pr := &printer{pkg: p, b: &b}
		pr.docs(p.Docs, 0)
		b.WriteString("package " + pkgName(p.Name) + " {\n")
		pr.items(1)
		b.WriteString("}\n")
	}
	return b.String()
}

// PrintPackage renders one package as canonical WIT text.
func PrintPackage(p *Package) string {
	var b strings.Builder
	pr := &printer{pkg: p, b: &b}
	pr.docs(p.Docs, 0)
	b.WriteString("package " + pkgName(p.Name) + ";\n\n")
	pr.items(0)
	return b.String()
}

type printer struct {
	pkg *Package
	b   *strings.Builder
}

func pkgName(n PackageName) string {
	s := id(n.Namespace) + ":" + id(n.Name)
	if n.Version != "" {
		s += "@" + n.Version
	}
	return s
}

// id escapes keywords with %.
func id(s string) string {
	if keywords[s] {
		return "%" + s
	}
	return s
}

func (pr *printer) indent(n int) {
	for i := 0; i < n; i++ {
		pr.b.WriteString("  ")
	}
}

func (pr *printer) docs(d []string, ind int) {
	for _, l := range d {
		pr.indent(ind)
		if l == "" {
			pr.b.WriteString("///\n")
		} else {
			pr.b.WriteString("/// " + l + "\n")
		}
	}
}

func (pr *printer) stability(s Stability, ind int) {
	if s.Since != "" {
		pr.indent(ind)
		pr.b.WriteString("@since(version = " + s.Since + ")\n")
	}
	if s.Unstable != "" {
		pr.indent(ind)
		pr.b.WriteString("@unstable(feature = " + id(s.Unstable) + ")\n")
	}
	if s.Deprecated != "" {
		pr.indent(ind)
		pr.b.WriteString("@deprecated(version = " + s.Deprecated + ")\n")
	}
}

func (pr *printer) items(ind int) {
	// Like wit-component's printer: in the main package, a blank line
	// after each interface; none between worlds nor in nested packages.
	for _, i := range pr.pkg.Interfaces {
		pr.docs(i.Docs, ind)
		pr.stability(i.Stability, ind)
		pr.indent(ind)
		pr.b.WriteString("interface " + id(i.Name) + " {\n")
		pr.ifaceBody(i, ind+1)
		pr.indent(ind)
		pr.b.WriteString("}\n")
		if ind == 0 {
			pr.b.WriteString("\n")
		}
	}
	for _, w := range pr.pkg.Worlds {
		pr.docs(w.Docs, ind)
		pr.stability(w.Stability, ind)
		pr.indent(ind)
		pr.b.WriteString("world " + id(w.Name) + " {\n")
		pr.worldBody(w, ind+1)
		pr.indent(ind)
		pr.b.WriteString("}\n")
	}
}

// ifacePath is how an interface is named from the current package.
func (pr *printer) ifacePath(i *Interface) string {
	if i.Package == pr.pkg {
		return id(i.Name)
	}
	n := i.Package.Name
	s := id(n.Namespace) + ":" + id(n.Name) + "/" + id(i.Name)
	if n.Version != "" {
		s += "@" + n.Version
	}
	return s
}

// useTarget reports whether td is a `use`d type, and from where.
func useTarget(td *TypeDef) (*TypeDef, bool) {
	if td.Kind != KindAlias {
		return nil, false
	}
	t, ok := td.Alias.(*TypeDef)
	if !ok {
		return nil, false
	}
	if t.Interface == nil || (t.Interface == td.Interface && td.Interface != nil) {
		return nil, false
	}
	return t, true
}

// uses prints the use statements for tds, grouping consecutive names from
// one interface with one stability.
func (pr *printer) uses(tds []*TypeDef, ind int) bool {
	type group struct {
		from  *Interface
		st    Stability
		names []string
	}
	var groups []*group
	for _, td := range tds {
		t, ok := useTarget(td)
		if !ok {
			continue
		}
		name := id(t.Name)
		if t.Name != td.Name {
			name += " as " + id(td.Name)
		}
		var g *group
		for _, x := range groups {
			if x.from == t.Interface && x.st == td.Stability {
				g = x
			}
		}
		if g == nil {
			g = &group{from: t.Interface, st: td.Stability}
			groups = append(groups, g)
		}
		g.names = append(g.names, name)
	}
	for _, g := range groups {
		pr.stability(g.st, ind)
		pr.indent(ind)
		pr.b.WriteString("use " + pr.ifacePath(g.from) + ".{" + strings.Join(g.names, ", ") + "};\n")
	}
	return len(groups) > 0
}

func (pr *printer) ifaceBody(i *Interface, ind int) {
	sep := pr.uses(i.TypeDefs, ind)
	byRes := map[*TypeDef][]*Function{}
	for _, f := range i.Functions {
		if f.Resource != nil {
			byRes[f.Resource] = append(byRes[f.Resource], f)
		}
	}
	for _, td := range i.TypeDefs {
		if _, ok := useTarget(td); ok {
			continue
		}
		if sep {
			pr.b.WriteString("\n")
		}
		sep = true
		pr.typeDef(td, byRes[td], ind)
	}
	for _, f := range i.Functions {
		if f.Resource != nil {
			continue
		}
		if sep {
			pr.b.WriteString("\n")
		}
		sep = true
		pr.docs(f.Docs, ind)
		pr.stability(f.Stability, ind)
		pr.indent(ind)
		pr.b.WriteString(id(f.ItemName()) + ": " + pr.funcType(f) + ";\n")
	}
}

func (pr *printer) typeDef(td *TypeDef, funcs []*Function, ind int) {
	pr.docs(td.Docs, ind)
	pr.stability(td.Stability, ind)
	pr.indent(ind)
	switch td.Kind {
	case KindAlias:
		pr.b.WriteString("type " + id(td.Name) + " = " + pr.typ(td.Alias) + ";\n")
	case KindResource:
		if len(funcs) == 0 {
			pr.b.WriteString("resource " + id(td.Name) + ";\n")
			return
		}
		pr.b.WriteString("resource " + id(td.Name) + " {\n")
		for _, f := range funcs {
			pr.docs(f.Docs, ind+1)
			pr.stability(f.Stability, ind+1)
			pr.indent(ind + 1)
			switch f.Kind {
			case FuncConstructor:
				pr.b.WriteString("constructor" + pr.params(f.Params))
				if td2, ok := f.Result.(*TypeDef); !ok || td2 != td {
					pr.b.WriteString(" -> " + pr.typ(f.Result))
				}
			case FuncStatic:
				pr.b.WriteString(id(f.ItemName()) + ": static " + pr.funcType(f))
			default:
				pr.b.WriteString(id(f.ItemName()) + ": " + pr.funcType(f))
			}
			pr.b.WriteString(";\n")
		}
		pr.indent(ind)
		pr.b.WriteString("}\n")
	default:
		kw := [...]string{"", "record", "variant", "enum", "flags"}[td.Kind]
		pr.b.WriteString(kw + " " + id(td.Name) + " {\n")
		for _, f := range td.Fields {
			pr.docs(f.Docs, ind+1)
			pr.indent(ind + 1)
			pr.b.WriteString(id(f.Name))
			if f.Type != nil {
				if td.Kind == KindRecord {
					pr.b.WriteString(": " + pr.typ(f.Type))
				} else {
					pr.b.WriteString("(" + pr.typ(f.Type) + ")")
				}
			}
			pr.b.WriteString(",\n")
		}
		pr.indent(ind)
		pr.b.WriteString("}\n")
	}
}

func (pr *printer) params(ps []Field) string {
	var parts []string
	for _, p := range ps {
		parts = append(parts, id(p.Name)+": "+pr.typ(p.Type))
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func (pr *printer) funcType(f *Function) string {
	ps := f.Params
	if f.Kind == FuncMethod && len(ps) > 0 {
		ps = ps[1:]
	}
	s := "func" + pr.params(ps)
	if f.Async {
		s = "async " + s
	}
	if f.Result != nil {
		s += " -> " + pr.typ(f.Result)
	}
	return s
}

func (pr *printer) typ(t Type) string {
	switch t := t.(type) {
	case Primitive:
		return t.String()
	case *TypeDef:
		return id(t.Name)
	case *List:
		if t.Len > 0 {
			return "list<" + pr.typ(t.Elem) + ", " + strconv.FormatUint(uint64(t.Len), 10) + ">"
		}
		return "list<" + pr.typ(t.Elem) + ">"
	case *Option:
		return "option<" + pr.typ(t.Elem) + ">"
	case *Result:
		switch {
		case t.OK == nil && t.Err == nil:
			return "result"
		case t.Err == nil:
			return "result<" + pr.typ(t.OK) + ">"
		case t.OK == nil:
			return "result<_, " + pr.typ(t.Err) + ">"
		}
		return "result<" + pr.typ(t.OK) + ", " + pr.typ(t.Err) + ">"
	case *Tuple:
		var parts []string
		for _, e := range t.Elems {
			parts = append(parts, pr.typ(e))
		}
		return "tuple<" + strings.Join(parts, ", ") + ">"
	case *Handle:
		if t.Borrow {
			return "borrow<" + id(t.Resource.Name) + ">"
		}
		return "own<" + id(t.Resource.Name) + ">"
	case *Future:
		if t.Elem == nil {
			return "future"
		}
		return "future<" + pr.typ(t.Elem) + ">"
	case *Stream:
		if t.Elem == nil {
			return "stream"
		}
		return "stream<" + pr.typ(t.Elem) + ">"
	case *Map:
		return "map<" + pr.typ(t.Key) + ", " + pr.typ(t.Value) + ">"
	}
	return "?"
}

func (pr *printer) worldBody(w *World, ind int) {
	// The layout of wit-component's printer: interface imports, then
	// types (with the resources' functions), then function imports, then a
	// blank line and the exports, functions first.
	any := false
	var tds []*TypeDef
	var funcs []*WorldItem
	for _, it := range w.Imports {
		switch {
		case it.Type != nil:
			tds = append(tds, it.Type)
		case it.Func != nil:
			if it.Func.Resource == nil {
				funcs = append(funcs, it)
			}
		default:
			pr.worldItem("import", it, ind)
			any = true
		}
	}
	if len(tds) > 0 {
		sep := pr.uses(tds, ind) || any
		for _, td := range tds {
			if _, ok := useTarget(td); ok {
				continue
			}
			if sep {
				pr.b.WriteString("\n")
			}
			sep = true
			var rf []*Function
			for _, it := range w.Imports {
				if it.Func != nil && it.Func.Resource == td {
					rf = append(rf, it.Func)
				}
			}
			pr.typeDef(td, rf, ind)
		}
		any = true
	}
	for _, it := range funcs {
		pr.worldItem("import", it, ind)
		any = true
	}
	if len(w.Exports) > 0 && any {
		pr.b.WriteString("\n")
	}
	for _, it := range w.Exports {
		if it.Func != nil {
			pr.worldItem("export", it, ind)
		}
	}
	for _, it := range w.Exports {
		if it.Func == nil {
			pr.worldItem("export", it, ind)
		}
	}
}

func (pr *printer) worldItem(kw string, it *WorldItem, ind int) {
	pr.docs(it.Docs, ind)
	pr.stability(it.Stability, ind)
	pr.indent(ind)
	kw += " "
	switch {
	case it.Func != nil:
		pr.b.WriteString(kw + id(it.Name) + ": " + pr.funcType(it.Func) + ";\n")
	case it.Name == "":
		pr.b.WriteString(kw + pr.ifacePath(it.Interface) + ";\n")
	case it.Interface.Name != "":
		pr.b.WriteString(kw + id(it.Name) + ": " + pr.ifacePath(it.Interface) + ";\n")
	default:
		pr.b.WriteString(kw + id(it.Name) + ": interface {\n")
		pr.ifaceBody(it.Interface, ind+1)
		pr.indent(ind)
		pr.b.WriteString("}\n")
	}
}
