package wit

import (
	"strconv"
)

var keywords = map[string]bool{
	"as": true, "async": true, "bool": true, "borrow": true, "char": true, "constructor": true,
	"enum": true, "export": true, "f32": true, "f64": true, "flags": true, "from": true,
	"func": true, "future": true, "import": true, "include": true, "interface": true,
	"list": true, "map": true, "option": true, "own": true, "package": true, "record": true,
	"resource": true, "result": true, "s16": true, "s32": true, "s64": true, "s8": true,
	"static": true, "stream": true, "string": true, "tuple": true, "type": true, "u16": true,
	"u32": true, "u64": true, "u8": true, "use": true, "variant": true, "with": true,
	"world": true, "error-context": true,
}

var primitives = map[string]Primitive{
	"bool": Bool, "s8": S8, "u8": U8, "s16": S16, "u16": U16, "s32": S32, "u32": U32,
	"s64": S64, "u64": U64, "f32": F32, "f64": F64, "char": Char, "string": String,
	"error-context": ErrorContext,
}

type parser struct {
	lx    *lexer
	tok   token
	depth int
}

// maxTypeDepth bounds the nesting of type expressions, as wit-parser does.
const maxTypeDepth = 100

// Parse parses one WIT file. name is used in error positions.
func Parse(name string, src []byte) (*File, error) {
	p := &parser{lx: newLexer(name, string(src))}
	f, err := p.file(name)
	if err != nil {
		return nil, err
	}
	return f, nil
}

type bail struct{ err *Error }

func (p *parser) fail(pos Pos, format string, args ...any) {
	panic(bail{errorf(pos, format, args...)})
}

func (p *parser) next() {
	t, err := p.lx.next()
	if err != nil {
		panic(bail{err})
	}
	p.tok = t
}

func (p *parser) file(name string) (f *File, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bail)
			if !ok {
				panic(r)
			}
			f, err = nil, b.err
		}
	}()
	p.next()
	f = &File{Name: name}
	for p.tok.kind != tEOF {
		if p.isKw("package") {
			d := p.packageDecl()
			if p.isOp("{") {
				p.next()
				for !p.isOp("}") {
					if p.tok.kind == tEOF {
						p.fail(p.tok.pos, "expected '}' to close package %s", d.Name)
					}
					if p.isKw("package") {
						p.fail(p.tok.pos, "nested package blocks cannot contain package declarations")
					}
					d.Items = append(d.Items, p.topItem())
				}
				p.next()
				f.Nested = append(f.Nested, d)
				continue
			}
			p.expectOp(";")
			if f.Package != nil || len(f.Items) > 0 || len(f.Nested) > 0 {
				p.fail(d.Pos, "the package declaration must come first in the file, and only once")
			}
			f.Package = d
			continue
		}
		f.Items = append(f.Items, p.topItem())
	}
	return f, nil
}

func (p *parser) isKw(kw string) bool {
	return p.tok.kind == tIdent && !p.tok.escaped && p.tok.text == kw
}

func (p *parser) isOp(op string) bool { return p.tok.kind == tOp && p.tok.text == op }

func (p *parser) describe() string {
	switch p.tok.kind {
	case tEOF:
		return "end of file"
	case tIdent:
		if !p.tok.escaped && keywords[p.tok.text] {
			return "keyword '" + p.tok.text + "'"
		}
		return "identifier '" + p.tok.text + "'"
	case tString:
		return "a string"
	case tInt:
		return "integer " + p.tok.text
	}
	return "'" + p.tok.text + "'"
}

func (p *parser) expectOp(op string) Pos {
	if !p.isOp(op) {
		p.fail(p.tok.pos, "expected '%s', found %s", op, p.describe())
	}
	pos := p.tok.pos
	p.next()
	return pos
}

func (p *parser) expectKw(kw string) {
	if !p.isKw(kw) {
		p.fail(p.tok.pos, "expected '%s', found %s", kw, p.describe())
	}
	p.next()
}

// ident reads a (non-keyword) identifier.
func (p *parser) ident() (string, Pos) {
	if p.tok.kind != tIdent {
		p.fail(p.tok.pos, "expected an identifier, found %s", p.describe())
	}
	if !p.tok.escaped && keywords[p.tok.text] {
		p.fail(p.tok.pos, "expected an identifier, found keyword '%s' (write %%%s to use it as a name)", p.tok.text, p.tok.text)
	}
	s, pos := p.tok.text, p.tok.pos
	p.next()
	return s, pos
}

// version reads the semver after an '@' (the current token).
func (p *parser) version() string {
	if !p.isOp("@") {
		return ""
	}
	v, _, err := p.lx.scanVersion()
	if err != nil {
		panic(bail{err})
	}
	p.next()
	return v
}

func (p *parser) packageDecl() *PackageDecl {
	d := &PackageDecl{Pos: p.tok.pos, Docs: p.tok.docs}
	p.next()
	ns, _ := p.ident()
	p.expectOp(":")
	name, _ := p.ident()
	if p.isOp(":") {
		p.fail(p.tok.pos, "nested namespaces are not supported")
	}
	if p.isOp("/") {
		p.fail(p.tok.pos, "nested packages are not supported")
	}
	d.Name = PackageName{Namespace: ns, Name: name}
	d.Name.Version = p.version()
	return d
}

func (p *parser) gate() Gate {
	var g Gate
	for p.isOp("@") {
		atPos := p.tok.pos
		if g.Pos.Line == 0 {
			g.Pos = atPos
		}
		p.next()
		if p.tok.kind != tIdent {
			p.fail(p.tok.pos, "expected an attribute name after '@'")
		}
		attr := p.tok.text
		p.next()
		switch attr {
		case "since", "deprecated":
			p.expectOp("(")
			key, kpos := p.ident()
			if key != "version" {
				p.fail(kpos, "expected 'version' in @%s", attr)
			}
			if !p.isOp("=") {
				p.fail(p.tok.pos, "expected '=', found %s", p.describe())
			}
			v, _, err := p.lx.scanVersion()
			if err != nil {
				panic(bail{err})
			}
			p.next()
			if attr == "since" {
				if g.Since != "" {
					p.fail(atPos, "duplicate @since")
				}
				g.Since = v
			} else {
				if g.Deprecated != "" {
					p.fail(atPos, "duplicate @deprecated")
				}
				g.Deprecated = v
			}
			p.expectOp(")")
		case "unstable":
			p.expectOp("(")
			key, kpos := p.ident()
			if key != "feature" {
				p.fail(kpos, "expected 'feature' in @unstable")
			}
			p.expectOp("=")
			feat, _ := p.ident()
			if g.Unstable != "" {
				p.fail(atPos, "duplicate @unstable")
			}
			g.Unstable = feat
			p.expectOp(")")
		default:
			p.fail(atPos, "unknown attribute @%s", attr)
		}
	}
	if g.Since != "" && g.Unstable != "" {
		p.fail(g.Pos, "an item cannot be both @since and @unstable")
	}
	if g.Deprecated != "" && g.Since == "" && g.Unstable == "" {
		p.fail(g.Pos, "@deprecated needs a @since or @unstable gate too")
	}
	return g
}

// topItem reads an interface, a world or a top-level use.
func (p *parser) topItem() TopItem {
	docs := p.tok.docs
	g := p.gate()
	if len(docs) == 0 {
		docs = p.tok.docs
	}
	switch {
	case p.isKw("interface"):
		pos := p.tok.pos
		p.next()
		name, _ := p.ident()
		d := &InterfaceDecl{Pos: pos, Docs: docs, Gate: g, Name: name}
		d.Items = p.interfaceBody()
		return d
	case p.isKw("world"):
		pos := p.tok.pos
		p.next()
		name, _ := p.ident()
		return p.worldBody(&WorldDecl{Pos: pos, Docs: docs, Gate: g, Name: name})
	case p.isKw("use"):
		pos := p.tok.pos
		if g.Pos.Line != 0 {
			p.fail(g.Pos, "feature gates are not allowed on a top-level use")
		}
		p.next()
		u := &TopUse{Pos: pos, Path: p.usePath()}
		if p.isKw("as") {
			p.next()
			u.As, _ = p.ident()
		}
		p.expectOp(";")
		return u
	}
	p.fail(p.tok.pos, "expected 'interface', 'world', 'use' or 'package', found %s", p.describe())
	return nil
}

// usePath reads `name` or `ns:pkg/name@version`.
func (p *parser) usePath() UsePath {
	up := UsePath{Pos: p.tok.pos}
	first, _ := p.ident()
	if !p.isOp(":") {
		up.Name = first
		return up
	}
	p.next()
	pkg, _ := p.ident()
	if p.isOp(":") {
		p.fail(p.tok.pos, "nested namespaces are not supported")
	}
	if !p.isOp("/") {
		p.fail(p.tok.pos, "expected '/' and an interface name after package %s:%s", first, pkg)
	}
	p.next()
	up.Name, _ = p.ident()
	if p.isOp("/") {
		p.fail(p.tok.pos, "nested packages are not supported")
	}
	up.Pkg = &PackageName{Namespace: first, Name: pkg}
	up.Pkg.Version = p.version()
	return up
}

func (p *parser) interfaceBody() []InterfaceItem {
	p.expectOp("{")
	var items []InterfaceItem
	for !p.isOp("}") {
		if p.tok.kind == tEOF {
			p.fail(p.tok.pos, "expected '}', found end of file")
		}
		items = append(items, p.interfaceItem())
	}
	p.next()
	return items
}

func (p *parser) interfaceItem() InterfaceItem {
	docs := p.tok.docs
	p.externalID()
	g := p.gate()
	if len(docs) == 0 {
		docs = p.tok.docs
	}
	if p.isKw("use") {
		return p.useDecl(docs, g)
	}
	if td := p.typeDecl(docs, g); td != nil {
		return td
	}
	return p.funcItem(docs, g)
}

// externalID reads an optional @external-id("...") attribute (🏷️), which
// comes before any gates; only world imports and exports keep it.
func (p *parser) externalID() string {
	// Only a lookahead on the lexer's raw text: "@external-id".
	if p.isOp("@") && len(p.lx.src) >= p.tok.end+11 && p.lx.src[p.tok.end:p.tok.end+11] == "external-id" {
		p.next()
		p.next()
		p.expectOp("(")
		if p.tok.kind != tString {
			p.fail(p.tok.pos, "expected a string in @external-id")
		}
		s := p.tok.text
		p.next()
		p.expectOp(")")
		return s
	}
	return ""
}

func (p *parser) useDecl(docs []string, g Gate) *UseDecl {
	u := &UseDecl{Pos: p.tok.pos, Docs: docs, Gate: g}
	p.next()
	u.Path = p.usePath()
	p.expectOp(".")
	p.expectOp("{")
	for !p.isOp("}") {
		n := UseName{Pos: p.tok.pos}
		n.Name, _ = p.ident()
		if p.isKw("as") {
			p.next()
			n.As, _ = p.ident()
		}
		u.Names = append(u.Names, n)
		if p.isOp(",") {
			p.next()
			if p.isOp("}") {
				break
			}
			continue
		}
		break
	}
	p.expectOp("}")
	p.expectOp(";")
	return u
}

func (p *parser) typeDecl(docs []string, g Gate) *TypeDecl {
	td := &TypeDecl{Pos: p.tok.pos, Docs: docs, Gate: g}
	switch {
	case p.isKw("type"):
		p.next()
		td.Kind = DeclAlias
		td.Name, _ = p.ident()
		p.expectOp("=")
		td.Alias = p.typeExpr()
		p.expectOp(";")
	case p.isKw("record"):
		p.next()
		td.Kind = DeclRecord
		td.Name, _ = p.ident()
		td.Fields = p.fields(true, false)
	case p.isKw("variant"):
		p.next()
		td.Kind = DeclVariant
		td.Name, _ = p.ident()
		td.Fields = p.fields(false, true)
	case p.isKw("enum"):
		p.next()
		td.Kind = DeclEnum
		td.Name, _ = p.ident()
		td.Fields = p.fields(false, false)
	case p.isKw("flags"):
		p.next()
		td.Kind = DeclFlags
		td.Name, _ = p.ident()
		td.Fields = p.fields(false, false)
	case p.isKw("resource"):
		p.next()
		td.Kind = DeclResource
		td.Name, _ = p.ident()
		if p.isOp(";") {
			p.next()
			return td
		}
		p.expectOp("{")
		for !p.isOp("}") {
			if p.tok.kind == tEOF {
				p.fail(p.tok.pos, "expected '}', found end of file")
			}
			fdocs := p.tok.docs
			p.externalID()
			fg := p.gate()
			if len(fdocs) == 0 {
				fdocs = p.tok.docs
			}
			if p.isKw("constructor") {
				f := &FuncDecl{Pos: p.tok.pos, Docs: fdocs, Gate: fg, Kind: FuncConstructor}
				p.next()
				f.Params = p.params()
				if p.isOp("->") {
					p.next()
					f.Result = p.typeExpr()
				}
				p.expectOp(";")
				td.Methods = append(td.Methods, f)
				continue
			}
			f := &FuncDecl{Pos: p.tok.pos, Docs: fdocs, Gate: fg, Kind: FuncMethod}
			f.Name, _ = p.ident()
			p.expectOp(":")
			if p.isKw("static") {
				p.next()
				f.Kind = FuncStatic
			}
			p.funcType(f)
			p.expectOp(";")
			td.Methods = append(td.Methods, f)
		}
		p.next()
		if p.isOp(";") {
			p.next()
		}
	default:
		return nil
	}
	return td
}

// fields reads `{ a: t, b, c(t) }` for records (typed), variants (optional
// payload) and enums/flags (names only).
func (p *parser) fields(typed, payload bool) []FieldDecl {
	p.expectOp("{")
	var out []FieldDecl
	for !p.isOp("}") {
		f := FieldDecl{Pos: p.tok.pos, Docs: p.tok.docs}
		f.Name, _ = p.ident()
		if typed {
			p.expectOp(":")
			f.Type = p.typeExpr()
		} else if payload && p.isOp("(") {
			p.next()
			f.Type = p.typeExpr()
			p.expectOp(")")
		}
		out = append(out, f)
		if !p.isOp(",") {
			break
		}
		p.next()
	}
	p.expectOp("}")
	return out
}

func (p *parser) funcItem(docs []string, g Gate) *FuncDecl {
	f := &FuncDecl{Pos: p.tok.pos, Docs: docs, Gate: g, Kind: FuncFreestanding}
	if p.tok.kind != tIdent {
		p.fail(p.tok.pos, "expected a type definition, 'use' or a function, found %s", p.describe())
	}
	f.Name, _ = p.ident()
	p.expectOp(":")
	p.funcType(f)
	p.expectOp(";")
	return f
}

// funcType reads `async? func(params) -> result`.
func (p *parser) funcType(f *FuncDecl) {
	if p.isKw("async") {
		f.Async = true
		p.next()
	}
	if !p.isKw("func") {
		p.fail(p.tok.pos, "expected 'func', found %s", p.describe())
	}
	p.next()
	f.Params = p.params()
	if p.isOp("->") {
		p.next()
		if p.isOp("(") {
			p.fail(p.tok.pos, "named or multiple results are not supported: use a single type, such as a tuple or a record")
		}
		f.Result = p.typeExpr()
	}
}

func (p *parser) params() []FieldDecl {
	p.expectOp("(")
	var out []FieldDecl
	for !p.isOp(")") {
		f := FieldDecl{Pos: p.tok.pos}
		f.Name, _ = p.ident()
		p.expectOp(":")
		f.Type = p.typeExpr()
		out = append(out, f)
		if !p.isOp(",") {
			break
		}
		p.next()
	}
	p.expectOp(")")
	return out
}

func (p *parser) typeExpr() *TypeExpr {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxTypeDepth {
		p.fail(p.tok.pos, "type nesting too deep (more than %d levels)", maxTypeDepth)
	}
	t := &TypeExpr{Pos: p.tok.pos}
	if p.tok.kind != tIdent {
		p.fail(p.tok.pos, "expected a type, found %s", p.describe())
	}
	word, esc := p.tok.text, p.tok.escaped
	if esc {
		p.next()
		t.Kind = ExprNamed
		t.Name = word
		return t
	}
	if prim, ok := primitives[word]; ok {
		p.next()
		t.Kind = ExprPrim
		t.Prim = prim
		return t
	}
	switch word {
	case "list":
		p.next()
		t.Kind = ExprList
		p.expectOp("<")
		t.Elems = []*TypeExpr{p.typeExpr()}
		if p.isOp(",") {
			p.next()
			if p.tok.kind != tInt {
				p.fail(p.tok.pos, "expected a list length, found %s", p.describe())
			}
			n, err := strconv.ParseUint(p.tok.text, 10, 32)
			if err != nil || n == 0 {
				p.fail(p.tok.pos, "invalid list length %s", p.tok.text)
			}
			t.Len = uint32(n)
			p.next()
		}
		p.expectOp(">")
	case "option":
		p.next()
		t.Kind = ExprOption
		p.expectOp("<")
		t.Elems = []*TypeExpr{p.typeExpr()}
		p.expectOp(">")
	case "result":
		p.next()
		t.Kind = ExprResult
		t.Elems = []*TypeExpr{nil, nil}
		if p.isOp("<") {
			p.next()
			if p.isOp("_") {
				p.next()
				p.expectOp(",")
				t.Elems[1] = p.typeExpr()
			} else {
				t.Elems[0] = p.typeExpr()
				if p.isOp(",") {
					p.next()
					t.Elems[1] = p.typeExpr()
				}
			}
			p.expectOp(">")
		}
	case "tuple":
		p.next()
		t.Kind = ExprTuple
		p.expectOp("<")
		for {
			t.Elems = append(t.Elems, p.typeExpr())
			if !p.isOp(",") {
				break
			}
			p.next()
			if p.isOp(">") {
				break
			}
		}
		p.expectOp(">")
	case "borrow", "own":
		p.next()
		t.Kind = ExprBorrow
		if word == "own" {
			t.Kind = ExprOwn
		}
		p.expectOp("<")
		t.Name, _ = p.ident()
		p.expectOp(">")
	case "future", "stream":
		p.next()
		t.Kind = ExprFuture
		if word == "stream" {
			t.Kind = ExprStream
		}
		if p.isOp("<") {
			p.next()
			t.Elems = []*TypeExpr{p.typeExpr()}
			p.expectOp(">")
		}
	case "map":
		p.next()
		t.Kind = ExprMap
		p.expectOp("<")
		k := p.typeExpr()
		p.expectOp(",")
		v := p.typeExpr()
		p.expectOp(">")
		t.Elems = []*TypeExpr{k, v}
	default:
		if keywords[word] {
			p.fail(p.tok.pos, "expected a type, found keyword '%s'", word)
		}
		p.next()
		t.Kind = ExprNamed
		t.Name = word
	}
	return t
}

func (p *parser) worldBody(w *WorldDecl) *WorldDecl {
	p.expectOp("{")
	for !p.isOp("}") {
		if p.tok.kind == tEOF {
			p.fail(p.tok.pos, "expected '}', found end of file")
		}
		docs := p.tok.docs
		extID := p.externalID()
		g := p.gate()
		if len(docs) == 0 {
			docs = p.tok.docs
		}
		switch {
		case p.isKw("import"), p.isKw("export"):
			w.Items = append(w.Items, p.externDecl(docs, g, extID))
		case p.isKw("use"):
			w.Items = append(w.Items, p.useDecl(docs, g))
		case p.isKw("include"):
			inc := &IncludeDecl{Pos: p.tok.pos, Docs: docs, Gate: g}
			p.next()
			inc.Path = p.usePath()
			if p.isKw("with") {
				p.next()
				p.expectOp("{")
				for !p.isOp("}") {
					n := UseName{Pos: p.tok.pos}
					n.Name, _ = p.ident()
					p.expectKw("as")
					n.As, _ = p.ident()
					inc.Names = append(inc.Names, n)
					if !p.isOp(",") {
						break
					}
					p.next()
				}
				p.expectOp("}")
				if p.isOp(";") {
					p.next()
				}
			} else {
				p.expectOp(";")
			}
			w.Items = append(w.Items, inc)
		default:
			td := p.typeDecl(docs, g)
			if td == nil {
				p.fail(p.tok.pos, "expected 'import', 'export', 'include', 'use' or a type definition, found %s", p.describe())
			}
			w.Items = append(w.Items, td)
		}
	}
	p.next()
	return w
}

func (p *parser) externDecl(docs []string, g Gate, extID string) *ExternDecl {
	e := &ExternDecl{Pos: p.tok.pos, Docs: docs, Gate: g, Export: p.isKw("export"), ExternalID: extID}
	p.next()
	first := p.tok
	name, _ := p.ident()
	if !p.isOp(":") {
		// import iface;
		e.Path = &UsePath{Pos: first.pos, Name: name}
		p.expectOp(";")
		return e
	}
	colon := p.tok
	p.next()
	// `ns:pkg/iface` is written without spaces around ':'; `name: type` is
	// a plain-named item.
	if colon.off == first.end && p.tok.off == colon.end && p.tok.kind == tIdent && !keywords[p.tok.text] {
		pkg, _ := p.ident()
		if !p.isOp("/") {
			p.fail(first.pos, "cannot import or export package %s:%s: name an interface, as in %s:%s/name", name, pkg, name, pkg)
		}
		p.next()
		iface, _ := p.ident()
		up := &UsePath{Pos: first.pos, Name: iface, Pkg: &PackageName{Namespace: name, Name: pkg}}
		up.Pkg.Version = p.version()
		e.Path = up
		p.expectOp(";")
		return e
	}
	e.Name = name
	switch {
	case p.isKw("func"), p.isKw("async"):
		f := &FuncDecl{Pos: first.pos, Docs: docs, Gate: g, Name: name, Kind: FuncFreestanding}
		p.funcType(f)
		e.Func = f
		p.expectOp(";")
	case p.isKw("interface"):
		p.next()
		e.IsInline = true
		e.Inline = p.interfaceBody()
	default:
		up := p.usePath()
		e.Path = &up
		p.expectOp(";")
	}
	return e
}
