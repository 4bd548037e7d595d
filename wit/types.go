// Package wit reads and writes the WebAssembly Interface Type (WIT) language
// of the Component Model: a lexer and parser for .wit files (packages,
// interfaces, worlds, use, include, resources, versions, feature gates and
// the async types of WASI 0.3), a resolver across files, packages and a
// deps/ folder (ResolveDir, ResolveFiles), and a printer of canonical WIT
// text (Print, PrintPackage).
package wit

import "strings"

// PackageName is `namespace:name@version` (version optional).
type PackageName struct {
	Namespace string
	Name      string
	Version   string
}

// String formats the name as ns:name@version.
func (n PackageName) String() string {
	s := n.Namespace + ":" + n.Name
	if n.Version != "" {
		s += "@" + n.Version
	}
	return s
}

// Stability is a resolved feature gate.
type Stability struct {
	Since      string // @since(version = ...)
	Unstable   string // @unstable(feature = ...)
	Deprecated string // @deprecated(version = ...)
}

// Resolve is a set of resolved packages, dependencies before dependents.
type Resolve struct {
	Packages []*Package
}

// Package is a resolved package.
type Package struct {
	Name       PackageName
	Docs       []string
	Interfaces []*Interface // in dependency order
	Worlds     []*World
}

// Interface is a resolved interface. An inline interface of a world has no
// Name and no Package.
type Interface struct {
	Name      string
	Package   *Package
	Docs      []string
	Stability Stability
	TypeDefs  []*TypeDef // definitions and `use`d types, in order
	Functions []*Function
}

// ID is the interface's full name, ns:pkg/name@version.
func (i *Interface) ID() string {
	if i.Package == nil {
		return i.Name
	}
	n := i.Package.Name
	s := n.Namespace + ":" + n.Name + "/" + i.Name
	if n.Version != "" {
		s += "@" + n.Version
	}
	return s
}

// Primitive is a primitive value type.
type Primitive int

// The primitive types.
const (
	Bool Primitive = iota + 1
	S8
	U8
	S16
	U16
	S32
	U32
	S64
	U64
	F32
	F64
	Char
	String
	ErrorContext
)

var primNames = [...]string{"", "bool", "s8", "u8", "s16", "u16", "s32", "u32", "s64", "u64", "f32", "f64", "char", "string", "error-context"}

// String is the type's WIT name.
func (p Primitive) String() string { return primNames[p] }

// Type is a value type: a Primitive, a *TypeDef (a named type; for a
// resource, an owned handle), or one of *List, *Option, *Result, *Tuple,
// *Handle, *Future, *Stream, *Map.
type Type interface{ isType() }

// List is list<T> or, with Len > 0, the fixed-length list<T, N>.
type List struct {
	Elem Type
	Len  uint32
}

// Option is option<T>.
type Option struct{ Elem Type }

// Result is result<OK, Err>; either may be nil.
type Result struct{ OK, Err Type }

// Tuple is tuple<T...>.
type Tuple struct{ Elems []Type }

// Handle is borrow<R> (Borrow), or own<R> as the whole of a type alias
// (`type t = own<r>`); an owned handle elsewhere is the resource's *TypeDef.
type Handle struct {
	Resource *TypeDef
	Borrow   bool
}

// Future is future<T> (Elem may be nil).
type Future struct{ Elem Type }

// Stream is stream<T> (Elem may be nil).
type Stream struct{ Elem Type }

// Map is map<K, V>.
type Map struct{ Key, Value Type }

func (Primitive) isType() {}
func (*TypeDef) isType()  {}
func (*List) isType()     {}
func (*Option) isType()   {}
func (*Result) isType()   {}
func (*Tuple) isType()    {}
func (*Handle) isType()   {}
func (*Future) isType()   {}
func (*Stream) isType()   {}
func (*Map) isType()      {}

// TypeDefKind tells what a TypeDef defines.
type TypeDefKind int

// The kinds of named type.
const (
	KindAlias TypeDefKind = iota // type x = T, and `use`d types (Alias is the used *TypeDef)
	KindRecord
	KindVariant
	KindEnum
	KindFlags
	KindResource
)

// TypeDef is a named type of an interface or a world.
type TypeDef struct {
	Name      string
	Interface *Interface // owner, or nil
	World     *World     // owner, or nil
	Kind      TypeDefKind
	Docs      []string
	Stability Stability
	Alias     Type    // KindAlias
	Fields    []Field // record fields; variant cases (Type may be nil); enum and flags names

	pos Pos // where it was defined (for errors)
}

// Field is a record field, a variant case, an enum case or a flag.
type Field struct {
	Name string
	Docs []string
	Type Type
}

// Target follows aliases to the definition a type name stands for.
func (t *TypeDef) Target() *TypeDef {
	// The bound stops on alias cycles, which Resolve rejects.
	for n := 0; t.Kind == KindAlias && n < 1000; n++ {
		next, ok := t.Alias.(*TypeDef)
		if !ok {
			return t
		}
		t = next
	}
	return t
}

// FunctionKind tells free functions from resource functions.
type FunctionKind int

// The kinds of function.
const (
	FuncFreestanding FunctionKind = iota
	FuncMethod
	FuncStatic
	FuncConstructor
)

// Function is a resolved function. Name is the component-level name:
// "f", "[method]r.f", "[static]r.f" or "[constructor]r" (async functions
// add "[async]" prefixes as in the Component Model). Methods have their
// self: borrow<r> parameter first; constructors return own r (or a result).
type Function struct {
	Name      string
	Kind      FunctionKind
	Resource  *TypeDef // for resource functions
	Async     bool
	Params    []Field
	Result    Type
	Docs      []string
	Stability Stability
}

// ItemName is the function's name as written in WIT, without prefixes.
func (f *Function) ItemName() string {
	n := f.Name
	if i := strings.IndexByte(n, ']'); i >= 0 && strings.HasPrefix(n, "[") {
		n = n[i+1:]
	}
	if f.Resource != nil {
		n = strings.TrimPrefix(n, f.Resource.Name)
		n = strings.TrimPrefix(n, ".")
	}
	return n
}

// World is a resolved world; includes are flattened and the interfaces its
// items depend on are added as imports, as in wit-parser.
type World struct {
	Name      string
	Package   *Package
	Docs      []string
	Stability Stability
	Imports   []*WorldItem
	Exports   []*WorldItem
}

// WorldItem is an import or export of a world: an interface (Name empty for
// an `import ns:pkg/iface;`, or a plain name for an inline interface or one
// that implements a named interface), a function, or a type (imports only).
type WorldItem struct {
	Name      string
	Interface *Interface
	Func      *Function
	Type      *TypeDef
	Stability Stability
	Docs      []string
}

// Key is the item's import/export name: its plain name, or the interface's
// full name.
func (w *WorldItem) Key() string {
	if w.Name != "" {
		return w.Name
	}
	return w.Interface.ID()
}

// Package finds a package by its full name, such as "wasi:io@0.2.4".
func (r *Resolve) Package(name string) *Package {
	for _, p := range r.Packages {
		if p.Name.String() == name {
			return p
		}
	}
	return nil
}

// Interface finds an interface by its full name, such as
// "wasi:io/streams@0.2.4".
func (r *Resolve) Interface(id string) *Interface {
	for _, p := range r.Packages {
		for _, i := range p.Interfaces {
			if i.ID() == id {
				return i
			}
		}
	}
	return nil
}

// World finds a world of the package by name.
func (p *Package) World(name string) *World {
	for _, w := range p.Worlds {
		if w.Name == name {
			return w
		}
	}
	return nil
}
