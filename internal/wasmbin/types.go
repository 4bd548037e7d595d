package wasmbin

import (
	"fmt"
	"strings"
)

// Value type codes (the byte that encodes them).
const (
	I32       byte = 0x7f
	I64       byte = 0x7e
	F32       byte = 0x7d
	F64       byte = 0x7c
	V128      byte = 0x7b
	FuncRef   byte = 0x70
	ExternRef byte = 0x6f
	// RefNull and Ref are the function-references/GC encodings
	// (ref null HEAP) and (ref HEAP).
	RefNull byte = 0x63
	Ref     byte = 0x64
)

// HeapType is the heap type of a reference type: either an abstract heap
// type (Abstract holds its code, e.g. 0x70 for func) or a type index.
type HeapType struct {
	Abstract byte   // non-zero for an abstract heap type
	Index    uint32 // the type index when Abstract is zero
}

var abstractHeapNames = map[byte]string{
	0x70: "func", 0x6f: "extern", 0x6e: "any", 0x6d: "eq", 0x6c: "i31", 0x6b: "struct",
	0x6a: "array", 0x69: "exn", 0x71: "none", 0x72: "noextern", 0x73: "nofunc", 0x74: "noexn",
}

func (h HeapType) String() string {
	if h.Abstract != 0 {
		return abstractHeapNames[h.Abstract]
	}
	return fmt.Sprint(h.Index)
}

// ValType is a value type. Heap is set for Ref and RefNull only.
type ValType struct {
	Code byte
	Heap HeapType
}

var valTypeNames = map[byte]string{
	I32: "i32", I64: "i64", F32: "f32", F64: "f64", V128: "v128",
	// Shorthands for (ref null HEAP) with an abstract heap type.
	0x70: "funcref", 0x6f: "externref", 0x6e: "anyref", 0x6d: "eqref", 0x6c: "i31ref",
	0x6b: "structref", 0x6a: "arrayref", 0x69: "exnref", 0x71: "nullref", 0x72: "nullexternref",
	0x73: "nullfuncref", 0x74: "nullexnref",
}

// String returns the WebAssembly text-format name, e.g. "i32", "funcref",
// "(ref null 3)".
func (t ValType) String() string {
	switch t.Code {
	case Ref:
		return "(ref " + t.Heap.String() + ")"
	case RefNull:
		return "(ref null " + t.Heap.String() + ")"
	}
	if n, ok := valTypeNames[t.Code]; ok {
		return n
	}
	return fmt.Sprintf("type(0x%02x)", t.Code)
}

// FuncType is a function signature.
type FuncType struct {
	Params  []ValType
	Results []ValType
}

// String formats the signature as "(i32, i64) -> (i32)"; a function without
// results is just "(i32, i64)".
func (f FuncType) String() string {
	s := "(" + joinTypes(f.Params) + ")"
	if len(f.Results) > 0 {
		s += " -> (" + joinTypes(f.Results) + ")"
	}
	return s
}

func joinTypes(ts []ValType) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.String()
	}
	return strings.Join(parts, ", ")
}

// TypeForm is the kind of a type-section entry.
type TypeForm string

// Type-section entry kinds. Struct and array types come with the GC proposal.
const (
	FormFunc   TypeForm = "func"
	FormStruct TypeForm = "struct"
	FormArray  TypeForm = "array"
)

// TypeDef is one entry of the type index space. Func is set when Form is FormFunc.
type TypeDef struct {
	Form TypeForm
	Func FuncType
}

// ExternKind is the kind of an import or export.
type ExternKind byte

// Import and export kinds.
const (
	KindFunc   ExternKind = 0x00
	KindTable  ExternKind = 0x01
	KindMemory ExternKind = 0x02
	KindGlobal ExternKind = 0x03
	KindTag    ExternKind = 0x04
)

func (k ExternKind) String() string {
	switch k {
	case KindFunc:
		return "func"
	case KindTable:
		return "table"
	case KindMemory:
		return "memory"
	case KindGlobal:
		return "global"
	case KindTag:
		return "tag"
	}
	return fmt.Sprintf("kind(0x%02x)", byte(k))
}

// Limits are the size bounds of a memory (in pages) or a table (in elements).
type Limits struct {
	Min    uint64
	Max    uint64 // meaningful only when HasMax
	HasMax bool
}

// String formats limits as "1" (no maximum) or "1..16".
func (l Limits) String() string {
	if l.HasMax {
		return fmt.Sprintf("%d..%d", l.Min, l.Max)
	}
	return fmt.Sprint(l.Min)
}

// DefaultPageSize is the size of a WebAssembly memory page.
const DefaultPageSize = 65536

// Memory is a memory type.
type Memory struct {
	Limits          // in pages
	Shared   bool   // threads proposal
	Memory64 bool   // 64-bit addresses (memory64 proposal)
	PageSize uint64 // bytes per page: DefaultPageSize unless the custom-page-sizes proposal says otherwise
}

// Table is a table type.
type Table struct {
	Limits          // in elements
	Elem    ValType // a reference type
	Table64 bool    // 64-bit indices (memory64 proposal)
}

// GlobalType is the type of a global.
type GlobalType struct {
	Type    ValType
	Mutable bool
}

// Import is one import of a core module. Which of the kind-specific fields
// is meaningful depends on Kind.
type Import struct {
	Module string
	Name   string
	Kind   ExternKind
	// TypeIndex is the function type (KindFunc) or the tag's type (KindTag).
	TypeIndex uint32
	Table     Table      // KindTable
	Memory    Memory     // KindMemory
	Global    GlobalType // KindGlobal
}

// Export is one export of a core module. Index is in the index space of
// Kind (imports first, then definitions).
type Export struct {
	Name  string
	Kind  ExternKind
	Index uint32
}

// Section is one section of a binary, as laid out in the file.
type Section struct {
	ID     byte
	Name   string // the section's conventional name; a custom section's own name
	Offset int    // offset of the section's id byte
	Size   int    // size of the section's contents (after the size field)
}
