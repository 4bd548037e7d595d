package wit

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ResolveDir parses and resolves a WIT directory the way wit-bindgen and
// wasm-tools read one: the *.wit files of dir form the root package, and
// each entry of dir/deps (a .wit file, or a directory of .wit files) is a
// dependency. It returns the resolved set and the root package. dir may
// also be a single .wit file.
func ResolveDir(dir string) (*Resolve, *Package, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, nil, err
	}
	var groups [][]*File
	if !st.IsDir() {
		f, err := parseFile(dir)
		if err != nil {
			return nil, nil, err
		}
		groups = append(groups, []*File{f})
	} else {
		root, err := parseDir(dir)
		if err != nil {
			return nil, nil, err
		}
		groups = append(groups, root)
		deps := filepath.Join(dir, "deps")
		entries, err := os.ReadDir(deps)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, nil, err
		}
		for _, e := range entries {
			p := filepath.Join(deps, e.Name())
			if e.IsDir() {
				fs, err := parseDir(p)
				if err != nil {
					return nil, nil, err
				}
				groups = append(groups, fs)
			} else if strings.HasSuffix(e.Name(), ".wit") {
				f, err := parseFile(p)
				if err != nil {
					return nil, nil, err
				}
				groups = append(groups, []*File{f})
			}
		}
	}
	r, roots, err := resolveGroups(groups)
	if err != nil {
		return nil, nil, err
	}
	return r, roots[0], nil
}

func parseFile(path string) (*File, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, src)
}

func parseDir(dir string) ([]*File, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.wit"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var files []*File
	for _, n := range names {
		f, err := parseFile(n)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// ResolveFiles resolves parsed files that together form one package (and
// any nested package blocks they hold). It returns the resolved set and the
// files' own package (nil if the files only hold nested packages).
func ResolveFiles(files ...*File) (*Resolve, *Package, error) {
	r, roots, err := resolveGroups([][]*File{files})
	if err != nil {
		return nil, nil, err
	}
	return r, roots[0], nil
}

// ResolveSource parses and resolves one WIT text.
func ResolveSource(name string, src []byte) (*Resolve, *Package, error) {
	f, err := Parse(name, src)
	if err != nil {
		return nil, nil, err
	}
	return ResolveFiles(f)
}

// pkgSrc is the source of one package: its items, grouped by file (a file
// is the scope of top-level uses).
type pkgSrc struct {
	name   PackageName
	pos    Pos
	docs   []string
	scopes []*fileScope
	deps   []*pkgSrc
	done   *Package
	state  int
}

type fileScope struct {
	file  string
	items []TopItem
	uses  map[string]*Interface
}

type resolver struct {
	pkgs  []*pkgSrc
	out   *Resolve
	iface map[*InterfaceDecl]*Interface
}

func resolveGroups(groups [][]*File) (*Resolve, []*Package, error) {
	rv := &resolver{out: &Resolve{}}
	var roots []*pkgSrc
	// The order packages are resolved in (dependencies first, in the order
	// references are met) is the order of Resolve.Packages. Visiting the
	// first group last, and nested packages before their file's own,
	// matches wit-parser and keeps Print's output a fixed point.
	var visit [][]*pkgSrc
	for _, files := range groups {
		var order []*pkgSrc
		var root *pkgSrc
		var hasItems bool
		for _, f := range files {
			if len(f.Items) > 0 {
				hasItems = true
			}
		}
		for _, f := range files {
			if f.Package != nil {
				if root == nil {
					root = &pkgSrc{name: f.Package.Name, pos: f.Package.Pos, docs: f.Package.Docs}
				} else if root.name != f.Package.Name {
					return nil, nil, errorf(f.Package.Pos, "package %s does not match package %s declared at %s", f.Package.Name, root.name, root.pos)
				} else if len(root.docs) == 0 {
					root.docs = f.Package.Docs
				}
			}
		}
		if root == nil && hasItems {
			for _, f := range files {
				if len(f.Items) > 0 {
					return nil, nil, &Error{Pos: Pos{File: f.Name, Line: 1, Col: 1}, Msg: "no package declaration (add `package namespace:name;`)"}
				}
			}
		}
		if root != nil {
			for _, f := range files {
				root.scopes = append(root.scopes, &fileScope{file: f.Name, items: f.Items})
			}
			if err := rv.add(root); err != nil {
				return nil, nil, err
			}
		}
		roots = append(roots, root)
		for _, f := range files {
			for _, n := range f.Nested {
				ps := &pkgSrc{name: n.Name, pos: n.Pos, docs: n.Docs, scopes: []*fileScope{{file: f.Name, items: n.Items}}}
				if err := rv.add(ps); err != nil {
					return nil, nil, err
				}
				order = append(order, ps)
			}
		}
		if root != nil {
			order = append(order, root)
		}
		visit = append(visit, order)
	}
	// wit-parser visits packages sorted by name and version, the root
	// package last.
	var others []*pkgSrc
	for _, order := range visit[1:] {
		others = append(others, order...)
	}
	rootOrder := visit[0]
	if n := len(rootOrder); n > 0 && rootOrder[n-1] == roots[0] {
		others = append(others, rootOrder[:n-1]...)
		rootOrder = rootOrder[n-1:]
	} else {
		others = append(others, rootOrder...)
		rootOrder = nil
	}
	sort.SliceStable(others, func(i, j int) bool { return pkgLess(others[i].name, others[j].name) })
	visit = [][]*pkgSrc{others, rootOrder}
	for _, ps := range rv.pkgs {
		if err := rv.linkDeps(ps); err != nil {
			return nil, nil, err
		}
	}
	for _, order := range visit {
		for _, ps := range order {
			if err := rv.resolvePkg(ps, nil); err != nil {
				return nil, nil, err
			}
		}
	}
	out := make([]*Package, len(roots))
	for i, r := range roots {
		if r != nil {
			out[i] = r.done
		}
	}
	return rv.out, out, nil
}

func (rv *resolver) add(ps *pkgSrc) error {
	for _, o := range rv.pkgs {
		if o.name == ps.name {
			return errorf(ps.pos, "package %s is defined twice (also at %s)", ps.name, o.pos)
		}
	}
	rv.pkgs = append(rv.pkgs, ps)
	return nil
}

// lookupPkg finds a package by name; a reference without a version matches
// the only package of that name.
func (rv *resolver) lookupPkg(n PackageName, pos Pos) (*pkgSrc, error) {
	var found []*pkgSrc
	for _, ps := range rv.pkgs {
		if ps.name.Namespace == n.Namespace && ps.name.Name == n.Name {
			if ps.name.Version == n.Version {
				return ps, nil
			}
			found = append(found, ps)
		}
	}
	if n.Version == "" && len(found) == 1 {
		return found[0], nil
	}
	if n.Version == "" && len(found) > 1 {
		return nil, errorf(pos, "package %s is ambiguous: several versions are present, add @version", n)
	}
	if len(found) > 0 {
		var vs []string
		for _, f := range found {
			vs = append(vs, f.name.String())
		}
		return nil, errorf(pos, "package %s not found (present: %s)", n, strings.Join(vs, ", "))
	}
	return nil, errorf(pos, "package %s not found (put it in deps/)", n)
}

func (rv *resolver) linkDeps(ps *pkgSrc) error {
	seen := map[*pkgSrc]bool{}
	visit := func(up *UsePath) error {
		if up == nil || up.Pkg == nil {
			return nil
		}
		d, err := rv.lookupPkg(*up.Pkg, up.Pos)
		if err != nil {
			return err
		}
		if d != ps && !seen[d] {
			seen[d] = true
			ps.deps = append(ps.deps, d)
		}
		return nil
	}
	visitIface := func(items []InterfaceItem) error {
		for _, it := range items {
			if u, ok := it.(*UseDecl); ok {
				if err := visit(&u.Path); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, sc := range ps.scopes {
		for _, it := range sc.items {
			switch it := it.(type) {
			case *TopUse:
				if err := visit(&it.Path); err != nil {
					return err
				}
			case *InterfaceDecl:
				if err := visitIface(it.Items); err != nil {
					return err
				}
			case *WorldDecl:
				for _, wi := range it.Items {
					switch wi := wi.(type) {
					case *UseDecl:
						if err := visit(&wi.Path); err != nil {
							return err
						}
					case *IncludeDecl:
						if err := visit(&wi.Path); err != nil {
							return err
						}
					case *ExternDecl:
						if err := visit(wi.Path); err != nil {
							return err
						}
						if err := visitIface(wi.Inline); err != nil {
							return err
						}
					}
				}
			}
		}
	}
	return nil
}

func (rv *resolver) resolvePkg(ps *pkgSrc, stack []*pkgSrc) error {
	switch ps.state {
	case 2:
		return nil
	case 1:
		var names []string
		for _, s := range append(stack, ps) {
			names = append(names, s.name.String())
		}
		return errorf(ps.pos, "package dependency cycle: %s", strings.Join(names, " -> "))
	}
	ps.state = 1
	for _, d := range ps.deps {
		if err := rv.resolvePkg(d, append(stack, ps)); err != nil {
			return err
		}
	}
	pr := &pkgResolver{rv: rv, src: ps, pkg: &Package{Name: ps.name, Docs: ps.docs}}
	if err := pr.run(); err != nil {
		return err
	}
	ps.state = 2
	ps.done = pr.pkg
	rv.out.Packages = append(rv.out.Packages, pr.pkg)
	return nil
}

type ifaceSrc struct {
	decl  *InterfaceDecl
	scope *fileScope
	state int
	done  *Interface
}

type worldSrc struct {
	decl  *WorldDecl
	scope *fileScope
	state int
	done  *World
}

type pkgResolver struct {
	rv     *resolver
	src    *pkgSrc
	pkg    *Package
	ifaces map[string]*ifaceSrc
	worlds map[string]*worldSrc
	gated  *Pos
	future *Gate // a @since newer than the package's version
}

func (pr *pkgResolver) run() error {
	pr.ifaces = map[string]*ifaceSrc{}
	pr.worlds = map[string]*worldSrc{}
	var ifOrder []*ifaceSrc
	var wOrder []*worldSrc
	names := map[string]Pos{}
	for _, sc := range pr.src.scopes {
		for _, it := range sc.items {
			switch it := it.(type) {
			case *InterfaceDecl:
				if p, ok := names[fold(it.Name)]; ok {
					return errorf(it.Pos, "duplicate item named `%s` in package %s (first at %s)", it.Name, pr.pkg.Name, p)
				}
				names[fold(it.Name)] = it.Pos
				s := &ifaceSrc{decl: it, scope: sc}
				pr.ifaces[it.Name] = s
				ifOrder = append(ifOrder, s)
				pr.noteGate(it.Gate)
			case *WorldDecl:
				if p, ok := names[fold(it.Name)]; ok {
					return errorf(it.Pos, "duplicate item named `%s` in package %s (first at %s)", it.Name, pr.pkg.Name, p)
				}
				names[fold(it.Name)] = it.Pos
				s := &worldSrc{decl: it, scope: sc}
				pr.worlds[it.Name] = s
				wOrder = append(wOrder, s)
				pr.noteGate(it.Gate)
			}
		}
	}
	// Top-level uses: per-file aliases of interfaces.
	for _, sc := range pr.src.scopes {
		sc.uses = map[string]*Interface{}
		for _, it := range sc.items {
			u, ok := it.(*TopUse)
			if !ok {
				continue
			}
			name := u.As
			if name == "" {
				name = u.Path.Name
			}
			if u.Path.Pkg == nil {
				if _, ok := pr.ifaces[u.Path.Name]; !ok {
					return errorf(u.Path.Pos, "interface `%s` not found in package %s", u.Path.Name, pr.pkg.Name)
				}
				if u.As == "" {
					continue
				}
			}
			if _, dup := sc.uses[name]; dup {
				return errorf(u.Pos, "duplicate name `%s` in this file's uses", name)
			}
			if _, dup := pr.ifaces[name]; dup && (u.Path.Pkg != nil || name != u.Path.Name) {
				return errorf(u.Pos, "name `%s` of this use is already an interface of package %s", name, pr.pkg.Name)
			}
			if u.Path.Pkg == nil {
				sc.uses[name] = nil // resolved lazily through lookupIface
				continue
			}
			i, err := pr.foreign(&u.Path)
			if err != nil {
				return err
			}
			sc.uses[name] = i
		}
	}
	for _, s := range ifOrder {
		if _, err := pr.iface(s, nil); err != nil {
			return err
		}
	}
	for _, s := range wOrder {
		if _, err := pr.world(s, nil); err != nil {
			return err
		}
	}
	pr.sortItems(ifOrder, wOrder)
	if pr.future != nil {
		return errorf(pr.future.Pos, "@since(version = %s) is newer than the package's version %s", pr.future.Since, pr.pkg.Name)
	}
	if pr.gated != nil && pr.pkg.Name.Version == "" {
		return errorf(*pr.gated, "package %s uses feature gates but has no version (write %s@x.y.z)", pr.pkg.Name, pr.pkg.Name)
	}
	return nil
}

func (pr *pkgResolver) noteGate(g Gate) {
	if g.Since != "" && pr.gated == nil {
		p := g.Pos
		pr.gated = &p
	}
	if g.Since != "" && pr.pkg.Name.Version != "" && semverLess(pr.pkg.Name.Version, g.Since) && pr.future == nil {
		pr.future = &g
	}
}

func stab(g Gate) Stability {
	return Stability{Since: g.Since, Unstable: g.Unstable, Deprecated: g.Deprecated}
}

// foreign resolves ns:pkg/iface@v in an already resolved package.
func (pr *pkgResolver) foreign(up *UsePath) (*Interface, error) {
	ps, err := pr.rv.lookupPkg(*up.Pkg, up.Pos)
	if err != nil {
		return nil, err
	}
	if ps == pr.src {
		s, ok := pr.ifaces[up.Name]
		if !ok {
			return nil, errorf(up.Pos, "interface `%s` not found in package %s", up.Name, ps.name)
		}
		return pr.iface(s, nil)
	}
	if ps.done == nil {
		return nil, errorf(up.Pos, "package %s is not resolved yet (dependency cycle?)", ps.name)
	}
	for _, i := range ps.done.Interfaces {
		if i.Name == up.Name {
			return i, nil
		}
	}
	return nil, errorf(up.Pos, "interface `%s` not found in package %s", up.Name, ps.name)
}

// lookupIface resolves a use path seen in scope sc; stack detects cycles.
func (pr *pkgResolver) lookupIface(up *UsePath, sc *fileScope, stack []string) (*Interface, error) {
	if up.Pkg != nil {
		return pr.foreign(up)
	}
	if i, ok := sc.uses[up.Name]; ok && i != nil {
		return i, nil
	}
	name := up.Name
	for _, it := range sc.items {
		if u, ok := it.(*TopUse); ok && u.As == up.Name && u.Path.Pkg == nil {
			name = u.Path.Name
		}
	}
	s, ok := pr.ifaces[name]
	if !ok {
		if _, isWorld := pr.worlds[name]; isWorld {
			return nil, errorf(up.Pos, "`%s` is a world, not an interface", name)
		}
		return nil, errorf(up.Pos, "interface `%s` not found in package %s", up.Name, pr.pkg.Name)
	}
	return pr.iface(s, stack)
}

func (pr *pkgResolver) iface(s *ifaceSrc, stack []string) (*Interface, error) {
	switch s.state {
	case 2:
		return s.done, nil
	case 1:
		return nil, errorf(s.decl.Pos, "interface cycle: %s -> %s", strings.Join(stack, " -> "), s.decl.Name)
	}
	s.state = 1
	i := &Interface{Name: s.decl.Name, Package: pr.pkg, Docs: s.decl.Docs, Stability: stab(s.decl.Gate)}
	if err := pr.ifaceBody(i, s.decl.Items, s.scope, append(stack, s.decl.Name)); err != nil {
		return nil, err
	}
	s.state = 2
	s.done = i
	pr.pkg.Interfaces = append(pr.pkg.Interfaces, i)
	return i, nil
}

// typeScope resolves names to types within an interface or a world.
type typeScope struct {
	names map[string]*TypeDef
	pos   map[string]Pos
	// also function names (interfaces share one namespace)
	funcs map[string]Pos
}

func newTypeScope() *typeScope {
	return &typeScope{names: map[string]*TypeDef{}, pos: map[string]Pos{}, funcs: map[string]Pos{}}
}

func (ts *typeScope) define(name string, pos Pos, td *TypeDef) error {
	if p, ok := ts.pos[fold(name)]; ok {
		return errorf(pos, "duplicate name `%s` (first at %s)", name, p)
	}
	if p, ok := ts.funcs[fold(name)]; ok {
		return errorf(pos, "duplicate name `%s` (first at %s)", name, p)
	}
	ts.names[name] = td
	ts.pos[fold(name)] = pos
	return nil
}

// useTypes handles a `use` statement: one alias TypeDef per name.
func (pr *pkgResolver) useTypes(u *UseDecl, sc *fileScope, stack []string, ts *typeScope, ownerI *Interface, ownerW *World) ([]*TypeDef, *Interface, error) {
	from, err := pr.lookupIface(&u.Path, sc, stack)
	if err != nil {
		return nil, nil, err
	}
	if ownerI != nil && from == ownerI {
		return nil, nil, errorf(u.Path.Pos, "interface `%s` cannot use itself", from.Name)
	}
	var out []*TypeDef
	for _, n := range u.Names {
		var target *TypeDef
		for _, t := range from.TypeDefs {
			if t.Name == n.Name {
				target = t
			}
		}
		if target == nil {
			return nil, nil, errorf(n.Pos, "type `%s` not defined in interface %s", n.Name, from.ID())
		}
		name := n.Name
		if n.As != "" {
			name = n.As
		}
		td := &TypeDef{Name: name, Interface: ownerI, World: ownerW, Kind: KindAlias, Alias: target, Stability: stab(u.Gate), pos: n.Pos}
		if err := ts.define(name, n.Pos, td); err != nil {
			return nil, nil, err
		}
		out = append(out, td)
	}
	return out, from, nil
}

func (pr *pkgResolver) ifaceBody(i *Interface, items []InterfaceItem, sc *fileScope, stack []string) error {
	ts := newTypeScope()
	type pending struct {
		decl *TypeDecl
		td   *TypeDef
	}
	var todo []pending
	// Pass 1: names.
	for _, it := range items {
		switch it := it.(type) {
		case *UseDecl:
			pr.noteGate(it.Gate)
			tds, _, err := pr.useTypes(it, sc, stack, ts, i, nil)
			if err != nil {
				return err
			}
			i.TypeDefs = append(i.TypeDefs, tds...)
		case *TypeDecl:
			pr.noteGate(it.Gate)
			td := &TypeDef{Name: it.Name, Interface: i, Kind: TypeDefKind(it.Kind), Docs: it.Docs, Stability: stab(it.Gate), pos: it.Pos}
			if err := ts.define(it.Name, it.Pos, td); err != nil {
				return err
			}
			i.TypeDefs = append(i.TypeDefs, td)
			todo = append(todo, pending{it, td})
		case *FuncDecl:
			pr.noteGate(it.Gate)
			if p, ok := ts.pos[fold(it.Name)]; ok {
				return errorf(it.Pos, "duplicate name `%s` (first at %s)", it.Name, p)
			}
			if p, ok := ts.funcs[fold(it.Name)]; ok {
				return errorf(it.Pos, "duplicate name `%s` (first at %s)", it.Name, p)
			}
			ts.funcs[fold(it.Name)] = it.Pos
		}
	}
	// Pass 2: bodies.
	for _, p := range todo {
		if err := pr.typeBody(p.decl, p.td, ts); err != nil {
			return err
		}
	}
	if err := checkCycles(i.TypeDefs); err != nil {
		return err
	}
	sortTypes(i.TypeDefs)
	// Pass 3: functions, in item order (resource functions where the
	// resource is defined).
	for _, it := range items {
		switch it := it.(type) {
		case *TypeDecl:
			if it.Kind == DeclResource {
				fs, err := pr.resourceFuncs(it, ts.names[it.Name], ts)
				if err != nil {
					return err
				}
				i.Functions = append(i.Functions, fs...)
			}
		case *FuncDecl:
			f, err := pr.function(it, ts, nil)
			if err != nil {
				return err
			}
			i.Functions = append(i.Functions, f)
		}
	}
	return nil
}

func (pr *pkgResolver) typeBody(d *TypeDecl, td *TypeDef, ts *typeScope) error {
	var err error
	switch d.Kind {
	case DeclAlias:
		td.Alias, err = pr.typ(d.Alias, ts)
		if r, ok := td.Alias.(*TypeDef); ok && err == nil && d.Alias.Kind == ExprOwn {
			// `type t = own<r>` stays a handle type, as in wit-parser
			// (elsewhere own<r> is just r).
			td.Alias = &Handle{Resource: r}
		}
		return err
	case DeclResource:
		return nil
	}
	if len(d.Fields) == 0 {
		return errorf(d.Pos, "%s `%s` must have at least one %s", declWord(d.Kind), d.Name, map[bool]string{true: "field", false: "case"}[d.Kind == DeclRecord])
	}
	if d.Kind == DeclFlags && len(d.Fields) > 32 {
		return errorf(d.Fields[32].Pos, "flags `%s` has more than 32 flags", d.Name)
	}
	seen := map[string]Pos{}
	for _, f := range d.Fields {
		if p, ok := seen[fold(f.Name)]; ok {
			return errorf(f.Pos, "duplicate %s `%s` in `%s` (first at %s)", map[bool]string{true: "field", false: "case"}[d.Kind == DeclRecord], f.Name, d.Name, p)
		}
		seen[fold(f.Name)] = f.Pos
		fl := Field{Name: f.Name, Docs: f.Docs}
		if f.Type != nil {
			if fl.Type, err = pr.typ(f.Type, ts); err != nil {
				return err
			}
		}
		td.Fields = append(td.Fields, fl)
	}
	return nil
}

func declWord(k TypeDeclKind) string {
	return [...]string{"type", "record", "variant", "enum", "flags", "resource"}[k]
}

// typ resolves a type expression.
func (pr *pkgResolver) typ(e *TypeExpr, ts *typeScope) (Type, error) {
	sub := func(x *TypeExpr) (Type, error) {
		if x == nil {
			return nil, nil
		}
		return pr.typ(x, ts)
	}
	switch e.Kind {
	case ExprPrim:
		return e.Prim, nil
	case ExprNamed, ExprBorrow, ExprOwn:
		td, ok := ts.names[e.Name]
		if !ok {
			return nil, errorf(e.Pos, "unknown type `%s`", e.Name)
		}
		if e.Kind == ExprNamed {
			return td, nil
		}
		if t := td.Target(); t.Kind != KindResource {
			return nil, errorf(e.Pos, "`%s` is not a resource: borrow<> and own<> take a resource", e.Name)
		}
		if e.Kind == ExprOwn {
			return td, nil
		}
		return &Handle{Resource: td, Borrow: true}, nil
	case ExprList:
		el, err := sub(e.Elems[0])
		return &List{Elem: el, Len: e.Len}, err
	case ExprOption:
		el, err := sub(e.Elems[0])
		return &Option{Elem: el}, err
	case ExprResult:
		ok, err := sub(e.Elems[0])
		if err != nil {
			return nil, err
		}
		er, err := sub(e.Elems[1])
		return &Result{OK: ok, Err: er}, err
	case ExprTuple:
		t := &Tuple{}
		for _, x := range e.Elems {
			el, err := sub(x)
			if err != nil {
				return nil, err
			}
			t.Elems = append(t.Elems, el)
		}
		return t, nil
	case ExprFuture, ExprStream:
		var el Type
		if len(e.Elems) > 0 {
			var err error
			if el, err = sub(e.Elems[0]); err != nil {
				return nil, err
			}
		}
		if e.Kind == ExprFuture {
			return &Future{Elem: el}, nil
		}
		return &Stream{Elem: el}, nil
	case ExprMap:
		k, err := sub(e.Elems[0])
		if err != nil {
			return nil, err
		}
		if p, ok := k.(Primitive); !ok || p == F32 || p == F64 || p == ErrorContext {
			return nil, errorf(e.Elems[0].Pos, "invalid map key type: map keys must be bool, u8, u16, u32, u64, s8, s16, s32, s64, char or string")
		}
		v, err := sub(e.Elems[1])
		return &Map{Key: k, Value: v}, err
	}
	return nil, errorf(e.Pos, "unsupported type")
}

// checkCycles rejects types that contain themselves (through records,
// variants, aliases, lists...). Handles do not count: resources are opaque.
func checkCycles(tds []*TypeDef) error {
	state := map[*TypeDef]int{}
	var visitT func(t Type, path []string) error
	var visit func(td *TypeDef, path []string) error
	visit = func(td *TypeDef, path []string) error {
		switch state[td] {
		case 2:
			return nil
		case 1:
			return errorf(td.pos, "type `%s` refers to itself: %s -> %s", td.Name, strings.Join(path, " -> "), td.Name)
		}
		state[td] = 1
		path = append(path, td.Name)
		if td.Kind == KindAlias {
			if err := visitT(td.Alias, path); err != nil {
				return err
			}
		}
		for _, f := range td.Fields {
			if f.Type != nil {
				if err := visitT(f.Type, path); err != nil {
					return err
				}
			}
		}
		state[td] = 2
		return nil
	}
	visitT = func(t Type, path []string) error {
		switch t := t.(type) {
		case *TypeDef:
			return visit(t, path)
		case *List:
			return visitT(t.Elem, path)
		case *Option:
			return visitT(t.Elem, path)
		case *Result:
			if t.OK != nil {
				if err := visitT(t.OK, path); err != nil {
					return err
				}
			}
			if t.Err != nil {
				return visitT(t.Err, path)
			}
		case *Tuple:
			for _, e := range t.Elems {
				if err := visitT(e, path); err != nil {
					return err
				}
			}
		case *Map:
			if err := visitT(t.Key, path); err != nil {
				return err
			}
			return visitT(t.Value, path)
		}
		// Handles, futures and streams are indirections.
		return nil
	}
	for _, td := range tds {
		if err := visit(td, nil); err != nil {
			return err
		}
	}
	return nil
}

func (pr *pkgResolver) function(d *FuncDecl, ts *typeScope, res *TypeDef) (*Function, error) {
	f := &Function{Kind: d.Kind, Async: d.Async, Docs: d.Docs, Stability: stab(d.Gate), Resource: res}
	prefix := ""
	if d.Async {
		prefix = "async "
	}
	switch d.Kind {
	case FuncFreestanding:
		f.Name = d.Name
		if d.Async {
			f.Name = "[async]" + d.Name
		}
	case FuncMethod:
		f.Name = "[" + prefix + "method]" + res.Name + "." + d.Name
		f.Params = append(f.Params, Field{Name: "self", Type: &Handle{Resource: res, Borrow: true}})
	case FuncStatic:
		f.Name = "[" + prefix + "static]" + res.Name + "." + d.Name
	case FuncConstructor:
		f.Name = "[constructor]" + res.Name
	}
	seen := map[string]Pos{}
	for _, p := range d.Params {
		if q, ok := seen[fold(p.Name)]; ok {
			return nil, errorf(p.Pos, "duplicate parameter `%s` (first at %s)", p.Name, q)
		}
		if p.Name == "self" && d.Kind == FuncMethod {
			return nil, errorf(p.Pos, "a method's `self` parameter is implicit")
		}
		seen[fold(p.Name)] = p.Pos
		t, err := pr.typ(p.Type, ts)
		if err != nil {
			return nil, err
		}
		f.Params = append(f.Params, Field{Name: p.Name, Type: t})
	}
	if d.Result != nil {
		t, err := pr.typ(d.Result, ts)
		if err != nil {
			return nil, err
		}
		f.Result = t
	}
	if f.Result != nil && d.Kind != FuncConstructor && hasBorrow(f.Result, map[*TypeDef]bool{}) {
		return nil, errorf(d.Result.Pos, "function `%s` returns a type that contains a borrow<>, which is not allowed", d.Name)
	}
	if d.Kind == FuncConstructor {
		if f.Result == nil {
			f.Result = res
		} else if r, ok := f.Result.(*Result); !ok || r.OK == nil || !sameResource(r.OK, res) {
			return nil, errorf(d.Result.Pos, "a constructor of `%s` returns `%s` or `result<%s, E>`", res.Name, res.Name, res.Name)
		}
	}
	return f, nil
}

func sameResource(t Type, res *TypeDef) bool {
	td, ok := t.(*TypeDef)
	return ok && td.Target() == res.Target()
}

func (pr *pkgResolver) resourceFuncs(d *TypeDecl, res *TypeDef, ts *typeScope) ([]*Function, error) {
	var out []*Function
	seen := map[string]Pos{}
	for _, m := range d.Methods {
		key := fold(m.Name)
		if m.Kind == FuncConstructor {
			key = "constructor"
		}
		if p, ok := seen[key]; ok {
			if key == "constructor" {
				return nil, errorf(m.Pos, "resource `%s` has more than one constructor (first at %s)", d.Name, p)
			}
			return nil, errorf(m.Pos, "duplicate function `%s` in resource `%s` (first at %s)", m.Name, d.Name, p)
		}
		seen[key] = m.Pos
		pr.noteGate(m.Gate)
		f, err := pr.function(m, ts, res)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func (pr *pkgResolver) world(s *worldSrc, stack []string) (*World, error) {
	switch s.state {
	case 2:
		return s.done, nil
	case 1:
		return nil, errorf(s.decl.Pos, "world include cycle: %s -> %s", strings.Join(stack, " -> "), s.decl.Name)
	}
	s.state = 1
	d := s.decl
	w := &World{Name: d.Name, Package: pr.pkg, Docs: d.Docs, Stability: stab(d.Gate)}
	wb := &worldBuilder{w: w, keys: map[string]Pos{}, ekeys: map[string]Pos{}}
	ts := newTypeScope()
	type pending struct {
		decl *TypeDecl
		td   *TypeDef
	}
	var todo []pending
	type used struct {
		tds  []*TypeDef
		from *Interface
	}
	uses := map[*UseDecl]used{}
	// World-level type names first (functions may use them).
	for _, it := range d.Items {
		switch it := it.(type) {
		case *UseDecl:
			pr.noteGate(it.Gate)
			tds, from, err := pr.useTypes(it, s.scope, nil, ts, nil, w)
			if err != nil {
				return nil, err
			}
			uses[it] = used{tds, from}
		case *TypeDecl:
			pr.noteGate(it.Gate)
			td := &TypeDef{Name: it.Name, World: w, Kind: TypeDefKind(it.Kind), Docs: it.Docs, Stability: stab(it.Gate), pos: it.Pos}
			if err := ts.define(it.Name, it.Pos, td); err != nil {
				return nil, err
			}
			todo = append(todo, pending{it, td})
		}
	}
	for _, p := range todo {
		if err := pr.typeBody(p.decl, p.td, ts); err != nil {
			return nil, err
		}
	}
	var tds []*TypeDef
	for _, p := range todo {
		tds = append(tds, p.td)
	}
	if err := checkCycles(tds); err != nil {
		return nil, err
	}
	// Then every item in source order.
	for _, it := range d.Items {
		switch it := it.(type) {
		case *UseDecl:
			u := uses[it]
			for _, td := range u.tds {
				if err := wb.add(false, &WorldItem{Name: td.Name, Type: td, Stability: td.Stability}, it.Pos); err != nil {
					return nil, err
				}
			}
		case *TypeDecl:
			var td *TypeDef
			for _, p := range todo {
				if p.decl == it {
					td = p.td
				}
			}
			if err := wb.add(false, &WorldItem{Name: td.Name, Type: td, Stability: td.Stability, Docs: td.Docs}, it.Pos); err != nil {
				return nil, err
			}
			if it.Kind != DeclResource {
				continue
			}
			// A world-level resource's functions are imports of the world.
			fs, err := pr.resourceFuncs(it, td, ts)
			if err != nil {
				return nil, err
			}
			for _, f := range fs {
				if err := wb.add(false, &WorldItem{Name: f.Name, Func: f, Stability: f.Stability}, it.Pos); err != nil {
					return nil, err
				}
			}
		case *ExternDecl:
			pr.noteItemGate(it.Gate) // (flattened includes carry foreign gates)
			item := &WorldItem{Name: it.Name, Stability: stab(it.Gate), Docs: it.Docs}
			switch {
			case it.Func != nil:
				f, err := pr.function(it.Func, ts, nil)
				if err != nil {
					return nil, err
				}
				item.Func = f
			case it.IsInline:
				i := &Interface{Stability: item.Stability}
				if err := pr.ifaceBody(i, it.Inline, s.scope, nil); err != nil {
					return nil, err
				}
				item.Interface = i
			default:
				i, err := pr.lookupIface(it.Path, s.scope, nil)
				if err != nil {
					return nil, err
				}
				item.Interface = i
			}
			if err := wb.add(it.Export, item, it.Pos); err != nil {
				return nil, err
			}
		}
	}
	for _, it := range d.Items {
		inc, ok := it.(*IncludeDecl)
		if !ok {
			continue
		}
		pr.noteGate(inc.Gate)
		var other *World
		if inc.Path.Pkg != nil {
			ps, err := pr.rv.lookupPkg(*inc.Path.Pkg, inc.Path.Pos)
			if err != nil {
				return nil, err
			}
			if ps == pr.src {
				ws, ok := pr.worlds[inc.Path.Name]
				if !ok {
					return nil, errorf(inc.Path.Pos, "world `%s` not found in package %s", inc.Path.Name, ps.name)
				}
				if other, err = pr.world(ws, append(stack, d.Name)); err != nil {
					return nil, err
				}
			} else {
				for _, ow := range ps.done.Worlds {
					if ow.Name == inc.Path.Name {
						other = ow
					}
				}
				if other == nil {
					return nil, errorf(inc.Path.Pos, "world `%s` not found in package %s", inc.Path.Name, ps.name)
				}
			}
		} else {
			ws, ok := pr.worlds[inc.Path.Name]
			if !ok {
				return nil, errorf(inc.Path.Pos, "world `%s` not found in package %s", inc.Path.Name, pr.pkg.Name)
			}
			var err error
			if other, err = pr.world(ws, append(stack, d.Name)); err != nil {
				return nil, err
			}
		}
		rename := map[string]string{}
		used := map[string]bool{}
		for _, n := range inc.Names {
			rename[n.Name] = n.As
		}
		// The included world's types become this world's (renamed as
		// asked), and its functions refer to the copies.
		cl := &cloner{m: map[*TypeDef]*TypeDef{}}
		for _, oi := range other.Imports {
			if oi.Type != nil {
				nt := *oi.Type
				nt.World = w
				if to, ok := rename[oi.Name]; ok {
					nt.Name = to
				}
				cl.m[oi.Type] = &nt
			}
		}
		for _, nt := range cl.m {
			if _, isUse := useTarget(nt); !isUse && nt.Alias != nil {
				nt.Alias = cl.typ(nt.Alias)
			}
			fields := make([]Field, len(nt.Fields))
			for k, f := range nt.Fields {
				fields[k] = f
				if f.Type != nil {
					fields[k].Type = cl.typ(f.Type)
				}
			}
			nt.Fields = fields
		}
		for _, pass := range []bool{false, true} {
			items := other.Imports
			if pass {
				items = other.Exports
			}
			for _, oi := range items {
				ni := *oi
				if other.Package != w.Package {
					// @since versions belong to the other package.
					ni.Stability = Stability{Unstable: oi.Stability.Unstable}
				}
				if oi.Type != nil {
					ni.Type = cl.m[oi.Type]
				}
				if oi.Func != nil {
					ni.Func = cl.fn(oi.Func)
					if oi.Func.Resource != nil {
						ni.Name = ni.Func.Name
					}
				}
				if oi.Name != "" {
					if to, ok := rename[oi.Name]; ok {
						ni.Name = to
						used[oi.Name] = true
					}
				}
				if err := wb.addIncluded(pass, &ni, inc.Pos, other.Name); err != nil {
					return nil, err
				}
			}
		}
		for _, n := range inc.Names {
			if !used[n.Name] {
				return nil, errorf(n.Pos, "`%s` is not a plain-named import or export of world %s", n.Name, other.Name)
			}
		}
	}
	wb.elaborate()
	s.state = 2
	s.done = w
	pr.pkg.Worlds = append(pr.pkg.Worlds, w)
	return w, nil
}

type worldBuilder struct {
	w     *World
	keys  map[string]Pos
	ekeys map[string]Pos
}

// add adds an item written in the world (or a world-level type).
func (wb *worldBuilder) add(export bool, it *WorldItem, pos Pos) error {
	keys, what := wb.keys, "import"
	if export {
		keys, what = wb.ekeys, "export"
	}
	k := fold(it.Key())
	if p, ok := keys[k]; ok {
		if it.Name == "" && it.Interface != nil {
			return errorf(pos, "interface %s is %sed twice in world %s (first at %s)", it.Key(), what, wb.w.Name, p)
		}
		return errorf(pos, "duplicate %s `%s` in world %s (first at %s)", what, it.Key(), wb.w.Name, p)
	}
	keys[k] = pos
	if export {
		wb.w.Exports = append(wb.w.Exports, it)
	} else {
		wb.w.Imports = append(wb.w.Imports, it)
	}
	return nil
}

// addIncluded adds an item of an included world. Interfaces are
// de-duplicated (an ungated one takes the included item's gate, as in
// wit-parser); plain names must not clash.
func (wb *worldBuilder) addIncluded(export bool, it *WorldItem, pos Pos, from string) error {
	keys, list := wb.keys, wb.w.Imports
	if export {
		keys, list = wb.ekeys, wb.w.Exports
	}
	k := fold(it.Key())
	if _, ok := keys[k]; ok {
		if it.Name != "" {
			return errorf(pos, "include of world %s: name `%s` conflicts with an item already in world %s (rename it with `with { %s as ... }`)", from, it.Key(), wb.w.Name, it.Key())
		}
		for _, x := range list {
			if x.Name == "" && x.Interface == it.Interface && x.Stability == (Stability{}) {
				x.Stability = it.Stability
			}
		}
		return nil
	}
	return wb.add(export, it, pos)
}

// elaborate imports what the world's items depend on, as wit-parser does
// after includes: before each imported interface, the interfaces its types
// come from (with the importing item's gate); before a world-level `use`,
// the used interface; and for exported interfaces, their dependencies that
// are not exported.
func (wb *worldBuilder) elaborate() {
	// An interface imported further down moves up before its first
	// dependent; one without a gate takes the dependent's.
	existing := map[*Interface]*WorldItem{}
	for _, it := range wb.w.Imports {
		if it.Name == "" && it.Interface != nil {
			existing[it.Interface] = it
		}
	}
	done := map[*Interface]bool{}
	var out []*WorldItem
	var place func(i *Interface, st Stability)
	ensure := func(i *Interface, st Stability) {
		for _, d := range ifaceDeps(i) {
			place(d, st)
		}
	}
	place = func(d *Interface, st Stability) {
		if done[d] {
			return
		}
		done[d] = true
		ensure(d, st)
		it := existing[d]
		if it == nil {
			it = &WorldItem{Interface: d, Stability: st}
		} else if it.Stability == (Stability{}) {
			it.Stability = st
		}
		out = append(out, it)
	}
	// Interfaces first, then types, then functions.
	for _, it := range wb.w.Imports {
		switch {
		case it.Name == "" && it.Interface != nil:
			place(it.Interface, it.Stability)
		case it.Interface != nil:
			ensure(it.Interface, it.Stability)
			out = append(out, it)
		}
	}
	for _, it := range wb.w.Imports {
		if it.Type != nil {
			if t, ok := useTarget(it.Type); ok {
				place(t.Interface, it.Stability)
			}
			out = append(out, it)
		}
	}
	for _, it := range wb.w.Imports {
		if it.Func != nil {
			out = append(out, it)
		}
	}
	exported := map[*Interface]bool{}
	for _, e := range wb.w.Exports {
		if e.Name == "" && e.Interface != nil {
			exported[e.Interface] = true
		}
	}
	seen := map[*Interface]bool{}
	var visit func(i *Interface)
	visit = func(i *Interface) {
		if seen[i] {
			return
		}
		seen[i] = true
		for _, d := range ifaceDeps(i) {
			if exported[d] {
				visit(d)
			} else {
				place(d, Stability{})
			}
		}
	}
	for _, e := range wb.w.Exports {
		if e.Interface != nil {
			visit(e.Interface)
		}
	}
	wb.w.Imports = out
	for _, it := range out {
		wb.keys[fold(it.Key())] = Pos{}
	}
}

// ifaceDeps lists the interfaces whose types i uses, in first-use order.
func ifaceDeps(i *Interface) []*Interface {
	var out []*Interface
	seen := map[*Interface]bool{}
	for _, td := range i.TypeDefs {
		if td.Kind != KindAlias {
			continue
		}
		t, ok := td.Alias.(*TypeDef)
		if !ok || t.Interface == nil || t.Interface == i || seen[t.Interface] {
			continue
		}
		seen[t.Interface] = true
		out = append(out, t.Interface)
	}
	return out
}

// fold is the key for WIT's case-insensitive name uniqueness.
func fold(s string) string { return strings.ToLower(s) }

// hasBorrow reports whether t contains a borrowed handle.
func hasBorrow(t Type, seen map[*TypeDef]bool) bool {
	switch t := t.(type) {
	case *Handle:
		return t.Borrow
	case *TypeDef:
		if seen[t] {
			return false
		}
		seen[t] = true
		if t.Kind == KindAlias && t.Alias != nil {
			return hasBorrow(t.Alias, seen)
		}
		for _, f := range t.Fields {
			if f.Type != nil && hasBorrow(f.Type, seen) {
				return true
			}
		}
	case *List:
		return hasBorrow(t.Elem, seen)
	case *Option:
		return hasBorrow(t.Elem, seen)
	case *Result:
		return t.OK != nil && hasBorrow(t.OK, seen) || t.Err != nil && hasBorrow(t.Err, seen)
	case *Tuple:
		for _, e := range t.Elems {
			if hasBorrow(e, seen) {
				return true
			}
		}
	case *Map:
		return hasBorrow(t.Value, seen)
	}
	return false
}

// semverLess compares two valid semantic versions (build metadata ignored).
func semverLess(a, b string) bool {
	pa, pb := semverParts(a), semverParts(b)
	for i := 0; i < 3; i++ {
		if pa.n[i] != pb.n[i] {
			return pa.n[i] < pb.n[i]
		}
	}
	switch {
	case pa.pre == pb.pre:
		return false
	case pa.pre == "":
		return false
	case pb.pre == "":
		return true
	}
	as, bs := strings.Split(pa.pre, "."), strings.Split(pb.pre, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		if as[i] == bs[i] {
			continue
		}
		an, aNum := atoiOK(as[i])
		bn, bNum := atoiOK(bs[i])
		switch {
		case aNum && bNum:
			return an < bn
		case aNum:
			return true
		case bNum:
			return false
		}
		return as[i] < bs[i]
	}
	return len(as) < len(bs)
}

type semver struct {
	n   [3]uint64
	pre string
}

func semverParts(v string) semver {
	var out semver
	v, _, _ = strings.Cut(v, "+")
	core, pre, _ := strings.Cut(v, "-")
	out.pre = pre
	for i, p := range strings.SplitN(core, ".", 3) {
		out.n[i], _ = atoiOK(p)
	}
	return out
}

func atoiOK(s string) (uint64, bool) {
	if !numericID(s, false) {
		return 0, false
	}
	var n uint64
	for _, c := range s {
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// noteItemGate skips the package-version checks for a world item's gate: a
// world that includes another package's world is printed with that
// package's gates on the flattened items.
func (pr *pkgResolver) noteItemGate(Gate) {}

// toposort orders n items so that each comes after its dependencies,
// taking among the ready ones the earliest in source order (as wit-parser
// does, so that both print the same order). deps[i] lists the items i
// depends on. It returns nil if there is a cycle.
func toposort(n int, deps [][]int) []int {
	remaining := make([]int, n)
	rev := make([][]int, n)
	for i, ds := range deps {
		seen := map[int]bool{}
		for _, d := range ds {
			if d == i || seen[d] {
				continue
			}
			seen[d] = true
			remaining[i]++
			rev[d] = append(rev[d], i)
		}
	}
	var ready []int // kept sorted
	push := func(i int) {
		k := sort.SearchInts(ready, i)
		ready = append(ready, 0)
		copy(ready[k+1:], ready[k:])
		ready[k] = i
	}
	for i := 0; i < n; i++ {
		if remaining[i] == 0 {
			push(i)
		}
	}
	var order []int
	for len(ready) > 0 {
		i := ready[0]
		ready = ready[1:]
		order = append(order, i)
		for _, j := range rev[i] {
			remaining[j]--
			if remaining[j] == 0 {
				push(j)
			}
		}
	}
	if len(order) != n {
		return nil
	}
	return order
}

// typeRefs lists the named types t refers to directly.
func typeRefs(t Type, out []*TypeDef) []*TypeDef {
	switch t := t.(type) {
	case *TypeDef:
		out = append(out, t)
	case *Handle:
		out = append(out, t.Resource)
	case *List:
		out = typeRefs(t.Elem, out)
	case *Option:
		out = typeRefs(t.Elem, out)
	case *Result:
		if t.OK != nil {
			out = typeRefs(t.OK, out)
		}
		if t.Err != nil {
			out = typeRefs(t.Err, out)
		}
	case *Tuple:
		for _, e := range t.Elems {
			out = typeRefs(e, out)
		}
	case *Future:
		if t.Elem != nil {
			out = typeRefs(t.Elem, out)
		}
	case *Stream:
		if t.Elem != nil {
			out = typeRefs(t.Elem, out)
		}
	case *Map:
		out = typeRefs(t.Value, typeRefs(t.Key, out))
	}
	return out
}

// sortTypes puts tds in dependency order (after checkCycles).
func sortTypes(tds []*TypeDef) {
	idx := map[*TypeDef]int{}
	for i, td := range tds {
		idx[td] = i
	}
	deps := make([][]int, len(tds))
	for i, td := range tds {
		var refs []*TypeDef
		if _, isUse := useTarget(td); td.Kind == KindAlias && !isUse {
			refs = typeRefs(td.Alias, nil)
		}
		for _, f := range td.Fields {
			if f.Type != nil {
				refs = typeRefs(f.Type, refs)
			}
		}
		for _, r := range refs {
			if j, ok := idx[r]; ok {
				deps[i] = append(deps[i], j)
			}
		}
	}
	order := toposort(len(tds), deps)
	if order == nil {
		return
	}
	sorted := make([]*TypeDef, len(tds))
	for k, i := range order {
		sorted[k] = tds[i]
	}
	copy(tds, sorted)
}

// sortItems orders the package's interfaces and worlds as wit-parser does:
// dependencies first, otherwise source order.
func (pr *pkgResolver) sortItems(ifOrder []*ifaceSrc, wOrder []*worldSrc) {
	idx := map[*Interface]int{}
	for i, s := range ifOrder {
		idx[s.done] = i
	}
	deps := make([][]int, len(ifOrder))
	for i, s := range ifOrder {
		for _, d := range ifaceDeps(s.done) {
			if j, ok := idx[d]; ok {
				deps[i] = append(deps[i], j)
			}
		}
	}
	if order := toposort(len(ifOrder), deps); order != nil {
		pr.pkg.Interfaces = pr.pkg.Interfaces[:0]
		for _, i := range order {
			pr.pkg.Interfaces = append(pr.pkg.Interfaces, ifOrder[i].done)
		}
	}
	widx := map[string]int{}
	for i, s := range wOrder {
		widx[s.decl.Name] = i
	}
	wdeps := make([][]int, len(wOrder))
	for i, s := range wOrder {
		for _, it := range s.decl.Items {
			if inc, ok := it.(*IncludeDecl); ok && (inc.Path.Pkg == nil || *inc.Path.Pkg == pr.pkg.Name) {
				if j, ok := widx[inc.Path.Name]; ok {
					wdeps[i] = append(wdeps[i], j)
				}
			}
		}
	}
	if order := toposort(len(wOrder), wdeps); order != nil {
		pr.pkg.Worlds = pr.pkg.Worlds[:0]
		for _, i := range order {
			pr.pkg.Worlds = append(pr.pkg.Worlds, wOrder[i].done)
		}
	}
}

func pkgLess(a, b PackageName) bool {
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	if a.Version == "" || b.Version == "" {
		return a.Version == "" && b.Version != ""
	}
	return semverLess(a.Version, b.Version)
}

// cloner copies types and functions, replacing the named types in m.
type cloner struct{ m map[*TypeDef]*TypeDef }

func (c *cloner) typ(t Type) Type {
	opt := func(t Type) Type {
		if t == nil {
			return nil
		}
		return c.typ(t)
	}
	switch t := t.(type) {
	case *TypeDef:
		if n, ok := c.m[t]; ok {
			return n
		}
	case *Handle:
		return &Handle{Resource: c.typ(t.Resource).(*TypeDef), Borrow: t.Borrow}
	case *List:
		return &List{Elem: c.typ(t.Elem), Len: t.Len}
	case *Option:
		return &Option{Elem: c.typ(t.Elem)}
	case *Result:
		return &Result{OK: opt(t.OK), Err: opt(t.Err)}
	case *Tuple:
		n := &Tuple{}
		for _, e := range t.Elems {
			n.Elems = append(n.Elems, c.typ(e))
		}
		return n
	case *Future:
		return &Future{Elem: opt(t.Elem)}
	case *Stream:
		return &Stream{Elem: opt(t.Elem)}
	case *Map:
		return &Map{Key: c.typ(t.Key), Value: c.typ(t.Value)}
	}
	return t
}

func (c *cloner) fn(f *Function) *Function {
	n := *f
	n.Params = make([]Field, len(f.Params))
	for i, p := range f.Params {
		n.Params[i] = Field{Name: p.Name, Docs: p.Docs, Type: c.typ(p.Type)}
	}
	if f.Result != nil {
		n.Result = c.typ(f.Result)
	}
	if f.Resource != nil {
		if r, ok := c.m[f.Resource]; ok {
			n.Resource = r
			if i := strings.IndexByte(f.Name, ']'); i >= 0 {
				rest := strings.TrimPrefix(f.Name[i+1:], f.Resource.Name)
				n.Name = f.Name[:i+1] + r.Name + rest
			}
		}
	}
	return &n
}
