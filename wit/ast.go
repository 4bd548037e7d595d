package wit

// This file holds the syntax tree produced by Parse: one file's text, names
// not yet resolved. Resolve turns files into a Resolve.

// File is one parsed .wit file.
type File struct {
	Name    string
	Package *PackageDecl // the file's `package ns:name@v;` header, or nil
	Items   []TopItem    // items of the file's own package
	Nested  []*PackageDecl
}

// PackageDecl is a package header, or a nested `package ... { }` block.
type PackageDecl struct {
	Pos   Pos
	Docs  []string
	Name  PackageName
	Items []TopItem // for nested blocks only
}

// TopItem is a top-level item: *InterfaceDecl, *WorldDecl or *TopUse.
type TopItem interface{ topItem() }

// TopUse is `use ns:pkg/iface@v as name;` at the top level of a file.
type TopUse struct {
	Pos  Pos
	Path UsePath
	As   string
}

// UsePath names an interface: Name alone (same package) or Pkg/Name.
type UsePath struct {
	Pos  Pos
	Pkg  *PackageName // nil for an interface of the current package
	Name string
}

// Gate holds feature-gate attributes as written.
type Gate struct {
	Since      string
	Unstable   string
	Deprecated string
	Pos        Pos
}

// InterfaceDecl is `interface name { ... }`.
type InterfaceDecl struct {
	Pos   Pos
	Docs  []string
	Gate  Gate
	Name  string
	Items []InterfaceItem
}

// InterfaceItem is *UseDecl, *TypeDecl or *FuncDecl.
type InterfaceItem interface{ interfaceItem() }

// UseDecl is `use path.{a, b as c};` inside an interface or a world.
type UseDecl struct {
	Pos   Pos
	Docs  []string
	Gate  Gate
	Path  UsePath
	Names []UseName
}

// UseName is one name of a use statement.
type UseName struct {
	Pos  Pos
	Name string
	As   string
}

// TypeDeclKind tells which definition a TypeDecl is.
type TypeDeclKind int

// The kinds of type declaration.
const (
	DeclAlias TypeDeclKind = iota
	DeclRecord
	DeclVariant
	DeclEnum
	DeclFlags
	DeclResource
)

// TypeDecl is a named type definition.
type TypeDecl struct {
	Pos     Pos
	Docs    []string
	Gate    Gate
	Kind    TypeDeclKind
	Name    string
	Alias   *TypeExpr   // DeclAlias
	Fields  []FieldDecl // record fields, variant cases (Type may be nil), enum and flags names (Type nil)
	Methods []*FuncDecl // resource functions
}

// FieldDecl is a record field, a variant, enum or flags case.
type FieldDecl struct {
	Pos  Pos
	Docs []string
	Name string
	Type *TypeExpr
}

// FuncDecl is a function declaration.
type FuncDecl struct {
	Pos    Pos
	Docs   []string
	Gate   Gate
	Name   string
	Kind   FunctionKind
	Async  bool
	Params []FieldDecl
	Result *TypeExpr
}

// TypeExprKind tells which type a TypeExpr is.
type TypeExprKind int

// The kinds of type expressions.
const (
	ExprPrim TypeExprKind = iota
	ExprNamed
	ExprList
	ExprOption
	ExprResult
	ExprTuple
	ExprBorrow
	ExprOwn
	ExprFuture
	ExprStream
	ExprMap
)

// TypeExpr is a type as written.
type TypeExpr struct {
	Pos   Pos
	Kind  TypeExprKind
	Prim  Primitive   // ExprPrim
	Name  string      // ExprNamed, ExprBorrow, ExprOwn
	Elems []*TypeExpr // element types; for results, [ok, err] with nil for absent
	Len   uint32      // fixed-length list
}

// WorldDecl is `world name { ... }`.
type WorldDecl struct {
	Pos   Pos
	Docs  []string
	Gate  Gate
	Name  string
	Items []WorldItemDecl
}

// WorldItemDecl is *ExternDecl, *UseDecl, *TypeDecl or *IncludeDecl.
type WorldItemDecl interface{ worldItem() }

// ExternDecl is a world import or export.
type ExternDecl struct {
	Pos        Pos
	Docs       []string
	Gate       Gate
	Export     bool
	Name       string          // plain name; empty for `import ns:pkg/iface;`
	Path       *UsePath        // an interface reference
	Func       *FuncDecl       // a function
	Inline     []InterfaceItem // an inline interface
	IsInline   bool
	ExternalID string
}

// IncludeDecl is `include path with { a as b };`.
type IncludeDecl struct {
	Pos   Pos
	Docs  []string
	Gate  Gate
	Path  UsePath
	Names []UseName
}

func (*InterfaceDecl) topItem()  {}
func (*WorldDecl) topItem()      {}
func (*TopUse) topItem()         {}
func (*UseDecl) interfaceItem()  {}
func (*TypeDecl) interfaceItem() {}
func (*FuncDecl) interfaceItem() {}
func (*ExternDecl) worldItem()   {}
func (*UseDecl) worldItem()      {}
func (*TypeDecl) worldItem()     {}
func (*IncludeDecl) worldItem()  {}
