// Package component decodes and validates WebAssembly Component Model
// binaries (the component-model repository's Binary.md, Explainer.md and
// CanonicalABI.md): every section, with index spaces per sort and the
// specification's validation rules. Core modules embedded in a component
// are decoded by internal/wasmbin for their imports and exports and kept
// as byte ranges; compiling them is left to the engine.
//
// Not supported yet (decoding stops with a clear error): value definitions
// and the value sort (🪙), the async and threading canonical built-ins
// (task.return, stream.*, future.*, waitable-set.*, thread.*, ...), async
// lifting and lowering, and GC core types. The async value types (stream,
// future, error-context) and async function types are decoded.
package component

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/wasmhive/wasmhive/internal/wasmbin"
)

// Version is the pre-standard Component Model binary version that current
// toolchains emit and this package decodes.
const Version = 0x0d

// Component section ids (Binary.md "section").
const (
	SectionCustom       byte = 0
	SectionCoreModule   byte = 1
	SectionCoreInstance byte = 2
	SectionCoreType     byte = 3
	SectionComponent    byte = 4
	SectionInstance     byte = 5
	SectionAlias        byte = 6
	SectionType         byte = 7
	SectionCanon        byte = 8
	SectionStart        byte = 9
	SectionImport       byte = 10
	SectionExport       byte = 11
	SectionValue        byte = 12
)

var sectionNames = [...]string{
	"custom", "core module", "core instance", "core type", "component", "instance", "alias",
	"type", "canon", "start", "import", "export", "value",
}

// SectionName is the conventional name of section id.
func SectionName(id byte) string {
	if int(id) < len(sectionNames) {
		return sectionNames[id]
	}
	return "unknown"
}

// Error is a malformed or invalid component: the absolute byte offset of
// the problem, the section it is in (when it is in one) and a one-line message.
type Error struct {
	Offset    int
	Section   byte
	InSection bool
	Msg       string
}

// Error formats the error as one line, e.g.
// "component: offset 0x1a2: section 7 (type): unknown defined type 0x55".
func (e *Error) Error() string {
	msg := printable(e.Msg)
	if e.InSection {
		return fmt.Sprintf("component: offset 0x%x: section %d (%s): %s", e.Offset, e.Section, SectionName(e.Section), msg)
	}
	return fmt.Sprintf("component: offset 0x%x: %s", e.Offset, msg)
}

// printable escapes control and non-printable characters (names from the
// binary may hold any), so the error stays one readable line.
func printable(s string) string {
	ok := true
	for _, r := range s {
		if !unicode.IsPrint(r) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsPrint(r) {
			b.WriteRune(r)
		} else if r < 0x80 {
			fmt.Fprintf(&b, "\\x%02x", r)
		} else {
			fmt.Fprintf(&b, "\\u%04x", r)
		}
	}
	return b.String()
}

// Component is a decoded and validated component. Definitions are kept
// per kind in the order they appear; Order lists every definition in
// binary order; Spaces holds the index spaces they build.
type Component struct {
	Offset   int // offset of the component's first byte in the outermost binary
	Size     int
	Version  uint16
	Sections []Section
	Custom   []CustomSection

	Modules       []Module
	Components    []*Component
	CoreInstances []CoreInstance
	CoreTypes     []any // *wasmbin.FuncType or *CoreModuleType
	Instances     []Instance
	Aliases       []Alias
	Types         []Type
	Canons        []Canon
	Start         *Start
	Imports       []Import
	Exports       []Export

	Order  []Def
	Spaces IndexSpaces
	// Type is the component's own type: its imports and exports.
	Type *ComponentType
}

// Def is one definition, in binary order: Section is the section id and
// Index the position in the matching slice of Component.
type Def struct {
	Section byte
	Index   int
}

// Section is one section as laid out in the binary.
type Section struct {
	ID     byte
	Offset int // offset of the section's id byte
	Size   int // size of the contents
}

// CustomSection is a custom section's name and payload location.
type CustomSection struct {
	Name   string
	Offset int // payload offset (after the name)
	Size   int
}

// Module is an embedded core module, kept as bytes, with its type.
type Module struct {
	Offset int // offset of the module's first byte in the outermost binary
	Bytes  []byte
	Type   *CoreModuleType
}

// CoreInstance is a core instance definition: the instantiation of a core
// module, or a bundle of core items (inline exports).
type CoreInstance struct {
	Instantiate bool
	Module      uint32 // the core module index, when Instantiate
	Args        []CoreInstantiateArg
	Exports     []CoreInlineExport // when not Instantiate
}

// CoreInstantiateArg supplies core instance Instance as import module Name.
type CoreInstantiateArg struct {
	Name     string
	Instance uint32
}

// CoreInlineExport is one item of a bundled core instance.
type CoreInlineExport struct {
	Name string
	Item SortIndex // a core sort
}

// Instance is a component instance definition: the instantiation of a
// component, or a bundle of items (inline exports).
type Instance struct {
	Instantiate bool
	Component   uint32
	Args        []InstantiateArg
	Exports     []InlineExport
}

// InstantiateArg supplies Item as the import named Name.
type InstantiateArg struct {
	Name string
	Item SortIndex
}

// InlineExport is one item of a bundled instance.
type InlineExport struct {
	Name string
	Item SortIndex
}

// AliasKind is the target kind of an alias.
type AliasKind uint8

// Alias targets (Binary.md "aliastarget").
const (
	AliasExport     AliasKind = 0x00 // export Name of component instance Instance
	AliasCoreExport AliasKind = 0x01 // export Name of core instance Instance
	AliasOuter      AliasKind = 0x02 // item Index of the Count-th enclosing component or type
)

// Alias is an alias definition or declarator.
type Alias struct {
	Sort     Sort
	Kind     AliasKind
	Instance uint32
	Name     string
	Count    uint32
	Index    uint32
}

// CanonKind is the kind of a canonical definition.
type CanonKind uint8

// Canonical definitions decoded (Binary.md "canon").
const (
	CanonLift              CanonKind = 0x00
	CanonLower             CanonKind = 0x01
	CanonResourceNew       CanonKind = 0x02
	CanonResourceDrop      CanonKind = 0x03
	CanonResourceRep       CanonKind = 0x04
	CanonResourceDropAsync CanonKind = 0x07
)

// StringEncoding is the canonical string-encoding option.
type StringEncoding uint8

// String encodings.
const (
	UTF8 StringEncoding = iota
	UTF16
	Latin1UTF16
)

// CanonOptions are the canonical ABI options of a lift or lower.
type CanonOptions struct {
	StringEncoding StringEncoding
	Memory         *uint32 // core memory index
	Realloc        *uint32 // core function index
	PostReturn     *uint32 // core function index
	Async          bool    // 🔀
	Callback       *uint32 // 🔀 core function index
}

// Canon is a canonical definition. For CanonLift, Func is the core
// function lifted and Type the component function type; for CanonLower,
// Func is the component function lowered; for the resource built-ins,
// Type is the resource type.
type Canon struct {
	Kind    CanonKind
	Func    uint32
	Type    uint32
	Options CanonOptions
}

// Start is the start definition: function Func called with values Args,
// producing Results values.
type Start struct {
	Func    uint32
	Args    []uint32
	Results uint32
}

// Import is a component import.
type Import struct {
	Name   string
	Parsed ParsedName
	Desc   ExternDesc
}

// Export is a component export: Item, with an optional type ascription.
type Export struct {
	Name   string
	Parsed ParsedName
	Item   SortIndex
	Desc   *ExternDesc
}

// Decode decodes and validates a component binary. Errors are *Error.
func Decode(b []byte) (*Component, error) {
	d := &decoder{}
	c, err := d.component(b, 0, nil, 0)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// IsComponent reports whether b starts with a Component Model header
// (magic, any version, layer 1).
func IsComponent(b []byte) bool { return wasmbin.IsComponent(b) }
