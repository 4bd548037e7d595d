// Package inspect describes a WebAssembly binary without running it: its
// interaction pattern (command, reactor, library, component), the WASI
// version it imports, its imports and exports with signatures, its memories
// and custom sections. The Report's JSON form is a stable, versioned schema
// (docs/inspect-json.md) printed by `wasmhive inspect --json`.
package inspect

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/wasmbin"
	"github.com/wasmhive/wasmhive/wasip1"
)

// SchemaVersion is the version of the Report JSON schema. It changes only
// when a field is removed or changes meaning; new fields may be added
// without changing it.
const SchemaVersion = 1

// Interaction patterns, as engine.Pattern's String names them (the values of
// Report.Pattern).
const (
	PatternCommand   = "command"
	PatternReactor   = "reactor"
	PatternLibrary   = "library"
	PatternComponent = "component"
)

// WASI versions a binary can import.
const (
	WASINone      = "none"
	WASIPreview0  = "preview0/unstable" // imports wasi_unstable
	WASIPreview1  = "preview1"          // imports wasi_snapshot_preview1
	WASIPreview2  = "0.2"               // a component importing wasi:* interfaces at 0.2.x
	wasiInterface = "wasi:"
)

// Report describes one WebAssembly binary. Its JSON encoding is the
// `wasmhive inspect --json` schema.
type Report struct {
	SchemaVersion int    `json:"schema_version"`
	File          string `json:"file,omitempty"` // the path inspected, when read from a file
	Size          int    `json:"size"`           // bytes
	Kind          string `json:"kind"`           // "module" (core module) or "component"
	Pattern       string `json:"pattern"`        // command, reactor, library or component
	PatternReason string `json:"pattern_reason"` // why, e.g. "exports _start"
	WASI          string `json:"wasi"`           // none, preview0/unstable, preview1, 0.2 (or 0.3...)

	Imports        []ImportGroup   `json:"imports"` // core module imports, grouped by module name
	Exports        []Export        `json:"exports"`
	Memories       []Memory        `json:"memories"`
	CustomSections []CustomSection `json:"custom_sections"`
	Sections       []Section       `json:"sections"`
	Component      *Component      `json:"component,omitempty"` // set when Kind is "component"
	// WIT is the world recovered from a component, or from a core
	// module's component-type section (absent when it has none).
	WIT *WIT `json:"wit,omitempty"`
}

// ImportGroup is the imports of one module name, in file order.
type ImportGroup struct {
	Module string   `json:"module"`
	Items  []Import `json:"items"`
}

// Import is one import of a core module.
type Import struct {
	Name string `json:"name"`
	Kind string `json:"kind"` // func, table, memory, global or tag
	// Signature and Type are set for functions and tags.
	Signature string    `json:"signature,omitempty"` // e.g. "(i32, i32) -> (i32)"
	Type      *FuncType `json:"type,omitempty"`
	Memory    *Memory   `json:"memory,omitempty"`
	Table     *Table    `json:"table,omitempty"`
	Global    *Global   `json:"global,omitempty"`
}

// Export is one export of a core module.
type Export struct {
	Name      string    `json:"name"`
	Kind      string    `json:"kind"`  // func, table, memory, global or tag
	Index     uint32    `json:"index"` // in the kind's index space (imports first)
	Signature string    `json:"signature,omitempty"`
	Type      *FuncType `json:"type,omitempty"` // functions and tags
}

// FuncType is a function (or tag) type: value type names such as "i32",
// "f64", "v128", "funcref", "externref" or "(ref null 3)".
type FuncType struct {
	Params  []string `json:"params"`
	Results []string `json:"results"`
}

// Memory is one memory of a core module (imported or defined).
type Memory struct {
	Index    uint32   `json:"index"`
	Import   string   `json:"import,omitempty"`  // "module.name" when imported
	Exports  []string `json:"exports,omitempty"` // names it is exported under
	MinPages uint64   `json:"min_pages"`
	MaxPages *uint64  `json:"max_pages"` // null: no maximum
	PageSize uint64   `json:"page_size"` // bytes per page, 65536 unless custom
	Shared   bool     `json:"shared"`
	Memory64 bool     `json:"memory64"`
}

// Table is an imported table's type.
type Table struct {
	ElemType string  `json:"elem_type"`
	Min      uint64  `json:"min"`
	Max      *uint64 `json:"max"`
	Table64  bool    `json:"table64,omitempty"`
}

// Global is an imported global's type.
type Global struct {
	Type    string `json:"type"`
	Mutable bool   `json:"mutable"`
}

// CustomSection is a custom section's name and payload size.
type CustomSection struct {
	Name   string `json:"name"`
	Size   int    `json:"size"`   // payload bytes, excluding the name
	Offset int    `json:"offset"` // of the payload in the file
}

// Section is one section as laid out in the file.
type Section struct {
	ID     int    `json:"id"`
	Name   string `json:"name"`
	Offset int    `json:"offset"` // of the section's id byte
	Size   int    `json:"size"`   // of its contents
}

// Component describes a Component Model binary.
type Component struct {
	Version     int               `json:"version"` // binary format version (13 today)
	Imports     []ComponentExtern `json:"imports"`
	Exports     []ComponentExtern `json:"exports"`
	CoreModules []*Report         `json:"core_modules"` // embedded core modules, described in full
	Components  []*Component      `json:"components,omitempty"`
}

// ComponentExtern is a component-level import or export.
type ComponentExtern struct {
	Name string `json:"name"` // e.g. "wasi:cli/environment@0.2.0"
	Kind string `json:"kind"` // func, instance, type, module, component or value
}

// Inspect describes the binary b. Errors are *wasmbin.FormatError.
func Inspect(b []byte) (*Report, error) {
	bin, err := wasmbin.Parse(b)
	if err != nil {
		return nil, err
	}
	if bin.Component != nil {
		r := componentReport(bin.Component)
		r.WIT = recoverWIT(b, true)
		return r, nil
	}
	r := moduleReport(bin.Module)
	r.WIT = recoverWIT(b, false)
	return r, nil
}

// File reads and describes the binary at path. The Report's File is path.
func File(path string) (*Report, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, pathError(path, err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("%s: is a directory, not a .wasm file", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, pathError(path, err)
	}
	r, err := Inspect(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r.File = path
	return r, nil
}

func pathError(path string, err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s: no such file", path)
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", path, pe.Err)
	}
	return err
}

func moduleReport(m *wasmbin.Module) *Report {
	r := &Report{
		SchemaVersion:  SchemaVersion,
		Size:           m.Size,
		Kind:           "module",
		Imports:        []ImportGroup{},
		Exports:        []Export{},
		Memories:       []Memory{},
		CustomSections: customSections(m.CustomSections),
		Sections:       sections(m.Sections),
	}
	r.Pattern, r.PatternReason = modulePattern(m)
	r.WASI = moduleWASI(m)

	memIdx := uint32(0)
	for _, imp := range m.Imports {
		it := Import{Name: imp.Name, Kind: imp.Kind.String()}
		switch imp.Kind {
		case wasmbin.KindFunc, wasmbin.KindTag:
			if ft, ok := typeAt(m, imp.TypeIndex); ok {
				it.Signature, it.Type = signature(ft)
			}
		case wasmbin.KindMemory:
			mem := memory(memIdx, imp.Memory)
			mem.Import = imp.Module + "." + imp.Name
			memIdx++
			it.Memory = &mem
			r.Memories = append(r.Memories, mem)
		case wasmbin.KindTable:
			it.Table = &Table{ElemType: imp.Table.Elem.String(), Min: imp.Table.Min, Max: max64(imp.Table.Limits), Table64: imp.Table.Table64}
		case wasmbin.KindGlobal:
			it.Global = &Global{Type: imp.Global.Type.String(), Mutable: imp.Global.Mutable}
		}
		if n := len(r.Imports); n > 0 && r.Imports[n-1].Module == imp.Module {
			r.Imports[n-1].Items = append(r.Imports[n-1].Items, it)
		} else if g := findGroup(r.Imports, imp.Module); g != nil {
			g.Items = append(g.Items, it)
		} else {
			r.Imports = append(r.Imports, ImportGroup{Module: imp.Module, Items: []Import{it}})
		}
	}
	for _, mem := range m.Memories {
		r.Memories = append(r.Memories, memory(memIdx, mem))
		memIdx++
	}
	for _, e := range m.Exports {
		ex := Export{Name: e.Name, Kind: e.Kind.String(), Index: e.Index}
		switch e.Kind {
		case wasmbin.KindFunc:
			if ft, ok := m.FuncType(e.Index); ok {
				ex.Signature, ex.Type = signature(ft)
			}
		case wasmbin.KindMemory:
			if uint64(e.Index) < uint64(len(r.Memories)) {
				r.Memories[e.Index].Exports = append(r.Memories[e.Index].Exports, e.Name)
			}
		case wasmbin.KindTag:
			if ti, ok := tagType(m, e.Index); ok {
				if ft, ok := typeAt(m, ti); ok {
					ex.Signature, ex.Type = signature(ft)
				}
			}
		}
		r.Exports = append(r.Exports, ex)
	}
	// An imported memory's copy inside its Import shows the same exports.
	for gi := range r.Imports {
		for ii := range r.Imports[gi].Items {
			if it := &r.Imports[gi].Items[ii]; it.Memory != nil {
				exp := r.Memories[it.Memory.Index].Exports
				it.Memory.Exports = exp
			}
		}
	}
	return r
}

func findGroup(gs []ImportGroup, module string) *ImportGroup {
	for i := range gs {
		if gs[i].Module == module {
			return &gs[i]
		}
	}
	return nil
}

// modulePattern applies the engine's rules (engine.DetectPattern) to the
// module's function imports and exports.
func modulePattern(m *wasmbin.Module) (pattern, reason string) {
	var imports, exports []string
	for _, imp := range m.Imports {
		if imp.Kind == wasmbin.KindFunc {
			imports = append(imports, imp.Module)
		}
	}
	for _, e := range m.Exports {
		if e.Kind == wasmbin.KindFunc {
			exports = append(exports, e.Name)
		}
	}
	p, reason := engine.DetectPattern(imports, exports)
	return p.String(), reason
}

func moduleWASI(m *wasmbin.Module) string {
	var p1, p0 bool
	for _, imp := range m.Imports {
		switch imp.Module {
		case wasip1.ModuleName:
			p1 = true
		case wasip1.Preview0ModuleName:
			p0 = true
		}
	}
	switch {
	case p1 && p0:
		return WASIPreview1 + "+" + WASIPreview0
	case p1:
		return WASIPreview1
	case p0:
		return WASIPreview0
	}
	return WASINone
}

func typeAt(m *wasmbin.Module, idx uint32) (wasmbin.FuncType, bool) {
	if uint64(idx) >= uint64(len(m.Types)) || m.Types[idx].Form != wasmbin.FormFunc {
		return wasmbin.FuncType{}, false
	}
	return m.Types[idx].Func, true
}

func tagType(m *wasmbin.Module, idx uint32) (uint32, bool) {
	n := uint32(0)
	for _, imp := range m.Imports {
		if imp.Kind != wasmbin.KindTag {
			continue
		}
		if n == idx {
			return imp.TypeIndex, true
		}
		n++
	}
	if idx < n || uint64(idx-n) >= uint64(len(m.Tags)) {
		return 0, false
	}
	return m.Tags[idx-n], true
}

func signature(ft wasmbin.FuncType) (string, *FuncType) {
	return ft.String(), &FuncType{Params: typeNames(ft.Params), Results: typeNames(ft.Results)}
}

func typeNames(ts []wasmbin.ValType) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.String()
	}
	return out
}

func memory(idx uint32, m wasmbin.Memory) Memory {
	return Memory{Index: idx, MinPages: m.Min, MaxPages: max64(m.Limits), PageSize: m.PageSize, Shared: m.Shared, Memory64: m.Memory64}
}

func max64(l wasmbin.Limits) *uint64 {
	if !l.HasMax {
		return nil
	}
	v := l.Max
	return &v
}

func customSections(cs []wasmbin.CustomSection) []CustomSection {
	out := make([]CustomSection, 0, len(cs))
	for _, c := range cs {
		out = append(out, CustomSection{Name: c.Name, Size: c.Size, Offset: c.Offset})
	}
	return out
}

func sections(ss []wasmbin.Section) []Section {
	out := make([]Section, 0, len(ss))
	for _, s := range ss {
		out = append(out, Section{ID: int(s.ID), Name: s.Name, Offset: s.Offset, Size: s.Size})
	}
	return out
}

func componentReport(c *wasmbin.Component) *Report {
	r := &Report{
		SchemaVersion:  SchemaVersion,
		Size:           c.Size,
		Kind:           "component",
		Pattern:        PatternComponent,
		PatternReason:  "Component Model binary",
		WASI:           componentWASI(c),
		Imports:        []ImportGroup{},
		Exports:        []Export{},
		Memories:       []Memory{},
		CustomSections: customSections(c.CustomSections),
		Sections:       sections(c.Sections),
		Component:      component(c),
	}
	return r
}

func component(c *wasmbin.Component) *Component {
	out := &Component{
		Version:     int(c.Version),
		Imports:     externs(c.Imports),
		Exports:     externs(c.Exports),
		CoreModules: make([]*Report, 0, len(c.Modules)),
	}
	for _, m := range c.Modules {
		out.CoreModules = append(out.CoreModules, moduleReport(m))
	}
	for _, n := range c.Components {
		out.Components = append(out.Components, component(n))
	}
	return out
}

func externs(es []wasmbin.ComponentExtern) []ComponentExtern {
	out := make([]ComponentExtern, 0, len(es))
	for _, e := range es {
		out = append(out, ComponentExtern{Name: e.Name, Kind: e.Kind})
	}
	return out
}

// componentWASI reads the WASI version from the component's first wasi:*
// import: "wasi:cli/environment@0.2.0" is WASI 0.2. An import without a
// version suffix counts as 0.2, the first release of WASI for components.
func componentWASI(c *wasmbin.Component) string {
	found := ""
	for _, imp := range c.Imports {
		if !strings.HasPrefix(imp.Name, wasiInterface) {
			continue
		}
		v := WASIPreview2
		if _, ver, ok := strings.Cut(imp.Name, "@"); ok {
			if major, rest, ok := strings.Cut(ver, "."); ok {
				minor, _, _ := strings.Cut(rest, ".")
				v = major + "." + minor
			}
		}
		if found == "" {
			found = v
		}
	}
	if found == "" {
		return WASINone
	}
	return found
}

// WriteJSON writes the report as indented JSON (the `wasmhive inspect
// --json` output), without HTML escaping, followed by a newline.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
