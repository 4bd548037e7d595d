package component

import (
	"fmt"
	"strings"

	"github.com/wasmhive/wasmhive/internal/wasmbin"
)

// Sort is the kind of an item in a component's index spaces (Binary.md
// "sort" and "core:sort"): each sort has its own index space.
type Sort uint8

// Sorts. The core sorts come first.
const (
	SortCoreFunc Sort = iota
	SortCoreTable
	SortCoreMemory
	SortCoreGlobal
	SortCoreTag
	SortCoreType
	SortCoreModule
	SortCoreInstance
	SortFunc
	SortValue
	SortType
	SortComponent
	SortInstance
	numSorts
)

var sortNames = [...]string{
	"core func", "core table", "core memory", "core global", "core tag", "core type",
	"core module", "core instance", "func", "value", "type", "component", "instance",
}

// String names the sort as the text format does, e.g. "core func".
func (s Sort) String() string {
	if int(s) < len(sortNames) {
		return sortNames[s]
	}
	return fmt.Sprintf("sort(%d)", uint8(s))
}

// IsCore reports whether s is one of the core sorts.
func (s Sort) IsCore() bool { return s <= SortCoreInstance }

// SortIndex is a reference to item Index of Sort's index space.
type SortIndex struct {
	Sort  Sort
	Index uint32
}

// Type is an entry of a component (or component type, or instance type)
// type index space: a *ValueType, *FuncType, *ComponentType, *InstanceType
// or *ResourceType.
type Type interface{ isType() }

// Kind is the kind of a value type.
type Kind uint8

// Value type kinds: primitives, then defined value types (Binary.md
// "primvaltype" and "defvaltype").
const (
	Bool Kind = iota + 1
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
	ErrorContext // WASI 0.3 (async) primitive
	Record
	Variant
	List
	FixedList
	Tuple
	Flags
	Enum
	Option
	Result
	Own
	Borrow
	Stream // WASI 0.3 (async)
	Future // WASI 0.3 (async)
)

var kindNames = map[Kind]string{
	Bool: "bool", S8: "s8", U8: "u8", S16: "s16", U16: "u16", S32: "s32", U32: "u32", S64: "s64",
	U64: "u64", F32: "f32", F64: "f64", Char: "char", String: "string", ErrorContext: "error-context",
	Record: "record", Variant: "variant", List: "list", FixedList: "fixed-size list", Tuple: "tuple",
	Flags: "flags", Enum: "enum", Option: "option", Result: "result", Own: "own", Borrow: "borrow",
	Stream: "stream", Future: "future",
}

// String names the kind as WIT does, e.g. "u32", "record".
func (k Kind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Primitive reports whether k is a primitive value type.
func (k Kind) Primitive() bool { return k >= Bool && k <= ErrorContext }

// ValueType is a component value type. Primitives are shared values (see
// Prim); defined value types carry their parts according to Kind.
type ValueType struct {
	Kind     Kind
	Fields   []Field       // Record
	Cases    []Case        // Variant
	Elem     *ValueType    // List, FixedList, Option; Stream and Future (nil: no payload)
	Len      uint32        // FixedList
	Types    []*ValueType  // Tuple
	Labels   []string      // Flags, Enum
	OK, Err  *ValueType    // Result (nil: no payload)
	Resource *ResourceType // Own, Borrow

	eq *ValueType // the type this one is an import or export (eq bound) of
}

func (*ValueType) isType() {}

// Field is a record field.
type Field struct {
	Name string
	Type *ValueType
}

// Case is a variant case; Type is nil for a case without payload.
type Case struct {
	Name string
	Type *ValueType
}

var prims = func() map[Kind]*ValueType {
	m := map[Kind]*ValueType{}
	for k := Bool; k <= ErrorContext; k++ {
		m[k] = &ValueType{Kind: k}
	}
	return m
}()

// Prim returns the shared value type of primitive kind k.
func Prim(k Kind) *ValueType { return prims[k] }

// primCodes maps primvaltype opcodes to kinds.
var primCodes = map[byte]Kind{
	0x7f: Bool, 0x7e: S8, 0x7d: U8, 0x7c: S16, 0x7b: U16, 0x7a: S32, 0x79: U32, 0x78: S64,
	0x77: U64, 0x76: F32, 0x75: F64, 0x74: Char, 0x73: String, 0x64: ErrorContext,
}

// Param is a named function parameter.
type Param struct {
	Name string
	Type *ValueType
}

// FuncType is a component function type. Result is nil for a function
// without result. Async is set for the WASI 0.3 async function type (0x43).
type FuncType struct {
	Async  bool
	Params []Param
	Result *ValueType
}

func (*FuncType) isType() {}

// ResourceType is a resource type: defined in a component (Defined, with
// its representation, always i32, and optional destructor, a core function
// index), or abstract: imported, or exported from a component or instance
// type with (sub resource). Resource types are generative: two
// *ResourceType values are the same type only when they are the same pointer.
type ResourceType struct {
	Defined bool
	Dtor    *uint32 // core function index of the destructor, when Defined
	Name    string  // the import or export name that introduced it, when known
	// Of is set for the type that an import or export of an existing
	// resource type (eq bound) introduces: the same resource, under a new
	// name. Compare resources with Root.
	Of *ResourceType

	eq *ResourceType // the type an (eq i) bound referenced
}

func (*ResourceType) isType() {}

// Root is the resource type rt names: rt itself, or what it is an alias of.
func (rt *ResourceType) Root() *ResourceType {
	for rt.Of != nil {
		rt = rt.Of
	}
	return rt
}

// SameResource reports whether a and b are the same resource type.
func SameResource(a, b *ResourceType) bool { return a != nil && b != nil && a.Root() == b.Root() }

// named returns the type an import or export of t (as a type) introduces:
// equal to t, but a distinct definition, which later types can refer to by
// its name (Binary.md: "In the (eq i) case, the new type index is
// effectively an alias to type i").
func named(t Type) Type {
	switch t := t.(type) {
	case *ValueType:
		c := *t
		c.eq = t
		return &c
	case *ResourceType:
		return &ResourceType{Of: t.Root(), Defined: t.Root().Defined, eq: t}
	}
	return t
}

// ExternDesc describes an imported or exported item (Binary.md
// "externdesc"): its sort and type.
type ExternDesc struct {
	Sort Sort // SortCoreModule, SortFunc, SortValue, SortType, SortComponent or SortInstance
	// TypeIndex is the type index (in the scope where the descriptor
	// appears) for core modules, funcs, components and instances, and the
	// referenced type of a type bound (eq i).
	TypeIndex uint32
	// SubResource is set for the type bound (sub resource).
	SubResource bool
	// Type is the resolved type: *CoreModuleType, *FuncType,
	// *ComponentType, *InstanceType, or for SortType the bound type (a
	// fresh *ResourceType for sub resource).
	Type any
}

// Extern is a named import or export of a component type or instance type.
type Extern struct {
	Name string
	Desc ExternDesc
}

// ComponentType is a component type: its imports and exports, declared in
// order (Decls holds every declarator).
type ComponentType struct {
	Imports []Extern
	Exports []Extern
	Decls   []Decl
}

func (*ComponentType) isType() {}

// InstanceType is an instance type: its exports (Decls holds every declarator).
type InstanceType struct {
	Exports []Extern
	Decls   []Decl
}

func (*InstanceType) isType() {}

// Export returns the export named name.
func (t *InstanceType) Export(name string) (Extern, bool) {
	for _, e := range t.Exports {
		if e.Name == name {
			return e, true
		}
	}
	return Extern{}, false
}

// DeclKind is the kind of a component or instance type declarator.
type DeclKind uint8

// Declarator kinds (Binary.md "componentdecl", "instancedecl").
const (
	DeclCoreType DeclKind = 0x00
	DeclType     DeclKind = 0x01
	DeclAlias    DeclKind = 0x02
	DeclImport   DeclKind = 0x03
	DeclExport   DeclKind = 0x04
)

// Decl is one declarator of a component or instance type.
type Decl struct {
	Kind     DeclKind
	CoreType any    // DeclCoreType: *wasmbin.FuncType or *CoreModuleType
	Type     Type   // DeclType
	Alias    *Alias // DeclAlias
	Extern   Extern // DeclImport, DeclExport
}

// CoreModuleType is a core module type: its imports and exports.
type CoreModuleType struct {
	Imports []CoreImport
	Exports []CoreExtern
}

// CoreExtern is a named core item and its type.
type CoreExtern struct {
	Name string
	Type CoreItem
}

// CoreImport is a core module import.
type CoreImport struct {
	Module, Name string
	Type         CoreItem
}

// CoreItem is the type of a core func, table, memory, global or tag.
type CoreItem struct {
	Kind   wasmbin.ExternKind
	Func   *wasmbin.FuncType // KindFunc and KindTag
	Table  wasmbin.Table
	Memory wasmbin.Memory
	Global wasmbin.GlobalType
}

// CoreInstanceType is the type of a core instance: its exports.
type CoreInstanceType struct {
	Exports []CoreExtern
}

// Export returns the export named name.
func (t *CoreInstanceType) Export(name string) (CoreItem, bool) {
	for _, e := range t.Exports {
		if e.Name == name {
			return e.Type, true
		}
	}
	return CoreItem{}, false
}

// IndexSpaces holds a component's index spaces, one per sort, in
// definition order, each entry the item's type.
type IndexSpaces struct {
	CoreFuncs     []*wasmbin.FuncType
	CoreTables    []wasmbin.Table
	CoreMemories  []wasmbin.Memory
	CoreGlobals   []wasmbin.GlobalType
	CoreTags      []*wasmbin.FuncType
	CoreTypes     []any // *wasmbin.FuncType or *CoreModuleType
	CoreModules   []*CoreModuleType
	CoreInstances []*CoreInstanceType
	Funcs         []*FuncType
	Values        []*ValueType
	Types         []Type
	Components    []*ComponentType
	Instances     []*InstanceType
}

// Len is the number of items in sort s's index space.
func (sp *IndexSpaces) Len(s Sort) int {
	switch s {
	case SortCoreFunc:
		return len(sp.CoreFuncs)
	case SortCoreTable:
		return len(sp.CoreTables)
	case SortCoreMemory:
		return len(sp.CoreMemories)
	case SortCoreGlobal:
		return len(sp.CoreGlobals)
	case SortCoreTag:
		return len(sp.CoreTags)
	case SortCoreType:
		return len(sp.CoreTypes)
	case SortCoreModule:
		return len(sp.CoreModules)
	case SortCoreInstance:
		return len(sp.CoreInstances)
	case SortFunc:
		return len(sp.Funcs)
	case SortValue:
		return len(sp.Values)
	case SortType:
		return len(sp.Types)
	case SortComponent:
		return len(sp.Components)
	case SortInstance:
		return len(sp.Instances)
	}
	return 0
}

// maxString bounds the text of a type: shared parts can make a small
// binary describe a type whose text would be astronomically long.
const maxString = 2048

// String formats the function type in WIT style, e.g.
// "func(a: u32, b: string) -> list<u8>" (cut at 2 KiB with "...").
func (ft *FuncType) String() string {
	var b strings.Builder
	if ft.Async {
		b.WriteString("async ")
	}
	b.WriteString("func(")
	for i, p := range ft.Params {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.Name + ": ")
		p.Type.write(&b)
	}
	b.WriteString(")")
	if ft.Result != nil {
		b.WriteString(" -> ")
		ft.Result.write(&b)
	}
	return cut(b.String())
}

// String formats the value type in WIT style; records, variants, flags
// and enums, which WIT names, are spelled out structurally (cut at 2 KiB
// with "...").
func (vt *ValueType) String() string {
	var b strings.Builder
	vt.write(&b)
	return cut(b.String())
}

func cut(s string) string {
	if len(s) > maxString {
		return s[:maxString] + "..."
	}
	return s
}

func (vt *ValueType) write(b *strings.Builder) {
	if b.Len() > maxString {
		return
	}
	if vt == nil {
		b.WriteString("_")
		return
	}
	list := func(n int, item func(int)) {
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			item(i)
		}
	}
	switch vt.Kind {
	case Record:
		b.WriteString("record { ")
		list(len(vt.Fields), func(i int) { b.WriteString(vt.Fields[i].Name + ": "); vt.Fields[i].Type.write(b) })
		b.WriteString(" }")
	case Variant:
		b.WriteString("variant { ")
		list(len(vt.Cases), func(i int) {
			b.WriteString(vt.Cases[i].Name)
			if t := vt.Cases[i].Type; t != nil {
				b.WriteString("(")
				t.write(b)
				b.WriteString(")")
			}
		})
		b.WriteString(" }")
	case Flags, Enum:
		b.WriteString(vt.Kind.String() + " { " + strings.Join(vt.Labels, ", ") + " }")
	case Tuple:
		b.WriteString("tuple<")
		list(len(vt.Types), func(i int) { vt.Types[i].write(b) })
		b.WriteString(">")
	case List, Option:
		b.WriteString(vt.Kind.String() + "<")
		vt.Elem.write(b)
		b.WriteString(">")
	case FixedList:
		b.WriteString("list<")
		vt.Elem.write(b)
		fmt.Fprintf(b, ", %d>", vt.Len)
	case Stream, Future:
		b.WriteString(vt.Kind.String())
		if vt.Elem != nil {
			b.WriteString("<")
			vt.Elem.write(b)
			b.WriteString(">")
		}
	case Result:
		b.WriteString("result")
		switch {
		case vt.OK == nil && vt.Err == nil:
		case vt.Err == nil:
			b.WriteString("<")
			vt.OK.write(b)
			b.WriteString(">")
		default:
			b.WriteString("<")
			vt.OK.write(b)
			b.WriteString(", ")
			vt.Err.write(b)
			b.WriteString(">")
		}
	case Own, Borrow:
		name := "resource"
		if vt.Resource != nil && vt.Resource.Root().Name != "" {
			name = vt.Resource.Root().Name
		}
		if vt.Kind == Own {
			b.WriteString(name)
		} else {
			b.WriteString("borrow<" + name + ">")
		}
	default:
		b.WriteString(vt.Kind.String())
	}
}
