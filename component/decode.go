package component

import (
	"errors"
	"fmt"

	"github.com/wasmhive/wasmhive/internal/wasmbin"
)

// maxNesting bounds how deeply components, component types and instance
// types may nest, so hostile input cannot exhaust the stack.
const maxNesting = 100

type scopeKind uint8

const (
	scopeComponent scopeKind = iota
	scopeComponentType
	scopeInstanceType
)

// scope is a validation scope with its own index spaces: a component, or
// a component or instance type (Explainer.md: "each component and
// instance type is validated with an initially-empty type index space").
type scope struct {
	kind      scopeKind
	parent    *scope
	depth     int
	sp        IndexSpaces
	imports   nameSet
	exports   nameSet
	resources map[string]*ResourceType // resources imported or exported under a plain name, by label
	local     map[*ResourceType]bool   // resources defined by this component
	importsX  []Extern
	exportsX  []Extern
	// namedImports and namedExports hold the types introduced by type
	// imports and exports (and the type exports of imported or exported
	// instances): the types that imports and exports may refer to.
	namedImports map[any]bool
	namedExports map[any]bool
}

func newScope(kind scopeKind, parent *scope) *scope {
	s := &scope{kind: kind, parent: parent, imports: nameSet{}, exports: nameSet{},
		resources: map[string]*ResourceType{}, local: map[*ResourceType]bool{},
		namedImports: map[any]bool{}, namedExports: map[any]bool{}}
	if parent != nil {
		s.depth = parent.depth + 1
	}
	return s
}

type decoder struct {
	sec   byte
	inSec bool
	flat  map[*ValueType][]wasmbin.ValType
	ptr   map[*ValueType]bool
}

func (d *decoder) errAt(off int, format string, args ...any) error {
	return &Error{Offset: off, Section: d.sec, InSection: d.inSec, Msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) wrap(err error) error {
	var fe *wasmbin.FormatError
	if errors.As(err, &fe) {
		return &Error{Offset: fe.Offset, Section: d.sec, InSection: d.inSec, Msg: fe.Msg}
	}
	return err
}

// rd wraps the wasmbin reader so errors come out as *Error.
type rd struct {
	*wasmbin.Reader
	d *decoder
}

func (r rd) u32() (uint32, error) {
	v, err := r.U32()
	return v, r.d.wrap(err)
}

func (r rd) byte() (byte, error) {
	v, err := r.Byte()
	return v, r.d.wrap(err)
}

func (r rd) peek() (byte, error) {
	v, err := r.Peek()
	return v, r.d.wrap(err)
}

func (r rd) name() (string, error) {
	v, err := r.Name()
	return v, r.d.wrap(err)
}

func (r rd) count(what string, min int) (int, error) {
	v, err := r.Count(what, min)
	return v, r.d.wrap(err)
}

func (r rd) sub(n int) (rd, error) {
	s, err := r.Sub(n)
	if err != nil {
		return rd{}, r.d.wrap(err)
	}
	return rd{s, r.d}, nil
}

// component decodes a component whose bytes b start at offset base.
func (d *decoder) component(b []byte, base int, parent *scope, depth int) (*Component, error) {
	if !wasmbin.HasMagic(b) {
		return nil, &Error{Offset: base, Msg: "not a WebAssembly binary (missing \\0asm magic number)"}
	}
	if len(b) < 8 {
		return nil, &Error{Offset: base + len(b), Msg: "truncated: shorter than the 8-byte header"}
	}
	if b[6] != 0x01 || b[7] != 0x00 {
		return nil, &Error{Offset: base + 6, Msg: "not a component (layer field is not 01 00)"}
	}
	version := uint16(b[4]) | uint16(b[5])<<8
	if version != Version {
		return nil, &Error{Offset: base + 4, Msg: fmt.Sprintf("unsupported component binary version 0x%x (want 0x%x)", version, Version)}
	}
	if depth > maxNesting {
		return nil, &Error{Offset: base, Msg: fmt.Sprintf("components nested more than %d deep are not supported", maxNesting)}
	}
	c := &Component{Offset: base, Size: len(b), Version: version}
	sc := newScope(scopeComponent, parent)
	if parent != nil {
		sc.depth = parent.depth + 1
	}
	r := rd{wasmbin.NewReader(b[8:], base+8), d}
	for !r.EOF() {
		d.inSec = false
		start := r.Offset()
		id, err := r.byte()
		if err != nil {
			return nil, err
		}
		size, err := r.u32()
		if err != nil {
			return nil, err
		}
		if int64(size) > int64(r.Remaining()) {
			return nil, d.errAt(start, "section %d (%s) of %d bytes runs past the end of the component (%d bytes remain)", id, SectionName(id), size, r.Remaining())
		}
		if id > SectionValue {
			return nil, d.errAt(start, "unknown section id %d", id)
		}
		sr, _ := r.sub(int(size))
		c.Sections = append(c.Sections, Section{ID: id, Offset: start, Size: int(size)})
		d.sec, d.inSec = id, true
		if err := d.section(c, sc, id, sr, depth); err != nil {
			return nil, err
		}
		d.sec, d.inSec = id, true
		if !sr.EOF() {
			return nil, d.errAt(sr.Offset(), "%d unexpected bytes at the end of the section", sr.Remaining())
		}
	}
	c.Spaces = sc.sp
	c.Type = &ComponentType{Imports: sc.importsX, Exports: sc.exportsX}
	return c, nil
}

func (d *decoder) section(c *Component, sc *scope, id byte, r rd, depth int) error {
	switch id {
	case SectionCustom:
		name, err := r.name()
		if err != nil {
			return err
		}
		c.Custom = append(c.Custom, CustomSection{Name: name, Offset: r.Offset(), Size: r.Remaining()})
		_, _ = r.Bytes(r.Remaining())
		return nil
	case SectionCoreModule:
		return d.coreModule(c, sc, r)
	case SectionComponent:
		off := r.Offset()
		raw, _ := r.Bytes(r.Remaining())
		nc, err := d.component(raw, off, sc, depth+1)
		if err != nil {
			return err
		}
		c.Order = append(c.Order, Def{SectionComponent, len(c.Components)})
		c.Components = append(c.Components, nc)
		sc.sp.Components = append(sc.sp.Components, nc.Type)
		return nil
	case SectionStart:
		return d.start(c, sc, r)
	case SectionValue:
		return d.errAt(r.Offset(), "value definitions are not supported")
	}
	what := map[byte]string{SectionCoreInstance: "core instance", SectionCoreType: "core type", SectionInstance: "instance",
		SectionAlias: "alias", SectionType: "type", SectionCanon: "canonical function", SectionImport: "import", SectionExport: "export"}[id]
	n, err := r.count(what, 1)
	if err != nil {
		return err
	}
	for range n {
		var err error
		switch id {
		case SectionCoreInstance:
			err = d.coreInstance(c, sc, r)
		case SectionCoreType:
			var t any
			off := r.Offset()
			t, err = d.coreType(r, sc, false)
			if err == nil {
				c.Order = append(c.Order, Def{id, len(c.CoreTypes)})
				c.CoreTypes = append(c.CoreTypes, t)
				sc.sp.CoreTypes = append(sc.sp.CoreTypes, t)
			}
			_ = off
		case SectionInstance:
			err = d.instance(c, sc, r)
		case SectionAlias:
			var a Alias
			a, err = d.alias(r, sc)
			if err == nil {
				c.Order = append(c.Order, Def{id, len(c.Aliases)})
				c.Aliases = append(c.Aliases, a)
			}
		case SectionType:
			var t Type
			t, err = d.defType(r, sc)
			if err == nil {
				c.Order = append(c.Order, Def{id, len(c.Types)})
				c.Types = append(c.Types, t)
				sc.sp.Types = append(sc.sp.Types, t)
			}
		case SectionCanon:
			err = d.canon(c, sc, r)
		case SectionImport:
			err = d.importDef(c, sc, r)
		case SectionExport:
			err = d.exportDef(c, sc, r)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// index reads an index into sort s's index space of sc and checks its bound.
func (d *decoder) index(r rd, sc *scope, s Sort) (uint32, error) {
	off := r.Offset()
	i, err := r.u32()
	if err != nil {
		return 0, err
	}
	if s == SortValue {
		return 0, d.errAt(off, "values are not supported")
	}
	if n := sc.sp.Len(s); uint64(i) >= uint64(n) {
		return 0, d.errAt(off, "%s index %d out of bounds (%d defined)", s, i, n)
	}
	return i, nil
}

var coreSortCodes = map[byte]Sort{
	0x00: SortCoreFunc, 0x01: SortCoreTable, 0x02: SortCoreMemory, 0x03: SortCoreGlobal, 0x04: SortCoreTag,
	0x10: SortCoreType, 0x11: SortCoreModule, 0x12: SortCoreInstance,
}

func (d *decoder) coreSort(r rd) (Sort, error) {
	off := r.Offset()
	b, err := r.byte()
	if err != nil {
		return 0, err
	}
	s, ok := coreSortCodes[b]
	if !ok {
		return 0, d.errAt(off, "unknown core sort 0x%02x", b)
	}
	return s, nil
}

// sort reads a component sort (Binary.md "sort").
func (d *decoder) sort(r rd) (Sort, error) {
	off := r.Offset()
	b, err := r.byte()
	if err != nil {
		return 0, err
	}
	switch b {
	case 0x00:
		return d.coreSort(r)
	case 0x01:
		return SortFunc, nil
	case 0x02:
		return SortValue, nil
	case 0x03:
		return SortType, nil
	case 0x04:
		return SortComponent, nil
	case 0x05:
		return SortInstance, nil
	}
	return 0, d.errAt(off, "unknown sort 0x%02x", b)
}

func (d *decoder) sortIndex(r rd, sc *scope) (SortIndex, error) {
	s, err := d.sort(r)
	if err != nil {
		return SortIndex{}, err
	}
	i, err := d.index(r, sc, s)
	return SortIndex{s, i}, err
}

// item returns the type of an index space entry (bounds already checked).
func item(sc *scope, si SortIndex) any {
	sp := &sc.sp
	switch si.Sort {
	case SortCoreFunc:
		return sp.CoreFuncs[si.Index]
	case SortCoreTable:
		return sp.CoreTables[si.Index]
	case SortCoreMemory:
		return sp.CoreMemories[si.Index]
	case SortCoreGlobal:
		return sp.CoreGlobals[si.Index]
	case SortCoreTag:
		return sp.CoreTags[si.Index]
	case SortCoreType:
		return sp.CoreTypes[si.Index]
	case SortCoreModule:
		return sp.CoreModules[si.Index]
	case SortCoreInstance:
		return sp.CoreInstances[si.Index]
	case SortFunc:
		return sp.Funcs[si.Index]
	case SortType:
		return sp.Types[si.Index]
	case SortComponent:
		return sp.Components[si.Index]
	case SortInstance:
		return sp.Instances[si.Index]
	}
	return nil
}

// push appends an item of sort s with type t to sc's index space.
func push(sc *scope, s Sort, t any) {
	sp := &sc.sp
	switch s {
	case SortCoreFunc:
		sp.CoreFuncs = append(sp.CoreFuncs, t.(*wasmbin.FuncType))
	case SortCoreTable:
		sp.CoreTables = append(sp.CoreTables, t.(wasmbin.Table))
	case SortCoreMemory:
		sp.CoreMemories = append(sp.CoreMemories, t.(wasmbin.Memory))
	case SortCoreGlobal:
		sp.CoreGlobals = append(sp.CoreGlobals, t.(wasmbin.GlobalType))
	case SortCoreTag:
		sp.CoreTags = append(sp.CoreTags, t.(*wasmbin.FuncType))
	case SortCoreType:
		sp.CoreTypes = append(sp.CoreTypes, t)
	case SortCoreModule:
		sp.CoreModules = append(sp.CoreModules, t.(*CoreModuleType))
	case SortCoreInstance:
		sp.CoreInstances = append(sp.CoreInstances, t.(*CoreInstanceType))
	case SortFunc:
		sp.Funcs = append(sp.Funcs, t.(*FuncType))
	case SortType:
		sp.Types = append(sp.Types, t.(Type))
	case SortComponent:
		sp.Components = append(sp.Components, t.(*ComponentType))
	case SortInstance:
		sp.Instances = append(sp.Instances, t.(*InstanceType))
	}
}

// coreItem converts a core item's type to a CoreItem.
func coreItem(s Sort, t any) (CoreItem, bool) {
	switch s {
	case SortCoreFunc:
		return CoreItem{Kind: wasmbin.KindFunc, Func: t.(*wasmbin.FuncType)}, true
	case SortCoreTable:
		return CoreItem{Kind: wasmbin.KindTable, Table: t.(wasmbin.Table)}, true
	case SortCoreMemory:
		return CoreItem{Kind: wasmbin.KindMemory, Memory: t.(wasmbin.Memory)}, true
	case SortCoreGlobal:
		return CoreItem{Kind: wasmbin.KindGlobal, Global: t.(wasmbin.GlobalType)}, true
	case SortCoreTag:
		return CoreItem{Kind: wasmbin.KindTag, Func: t.(*wasmbin.FuncType)}, true
	}
	return CoreItem{}, false
}

var kindSorts = map[wasmbin.ExternKind]Sort{
	wasmbin.KindFunc: SortCoreFunc, wasmbin.KindTable: SortCoreTable, wasmbin.KindMemory: SortCoreMemory,
	wasmbin.KindGlobal: SortCoreGlobal, wasmbin.KindTag: SortCoreTag,
}

func (ci CoreItem) typ() any {
	switch ci.Kind {
	case wasmbin.KindTable:
		return ci.Table
	case wasmbin.KindMemory:
		return ci.Memory
	case wasmbin.KindGlobal:
		return ci.Global
	}
	return ci.Func
}

// coreModule decodes a core module section: the module is parsed for its
// imports and exports; its code is compiled elsewhere.
func (d *decoder) coreModule(c *Component, sc *scope, r rd) error {
	off := r.Offset()
	raw, _ := r.Bytes(r.Remaining())
	m, err := wasmbin.ParseModuleAt(raw, off)
	if err != nil {
		return d.wrap(err)
	}
	mt := &CoreModuleType{}
	for _, imp := range m.Imports {
		ci := CoreItem{Kind: imp.Kind, Table: imp.Table, Memory: imp.Memory, Global: imp.Global}
		if imp.Kind == wasmbin.KindFunc || imp.Kind == wasmbin.KindTag {
			if uint64(imp.TypeIndex) >= uint64(len(m.Types)) || m.Types[imp.TypeIndex].Form != wasmbin.FormFunc {
				return d.errAt(off, "core module import %s.%s has type %d, which is not a function type", imp.Module, imp.Name, imp.TypeIndex)
			}
			ft := m.Types[imp.TypeIndex].Func
			ci.Func = &ft
		}
		mt.Imports = append(mt.Imports, CoreImport{Module: imp.Module, Name: imp.Name, Type: ci})
	}
	for _, e := range m.Exports {
		ci, ok := moduleItem(m, e.Kind, e.Index)
		if !ok {
			return d.errAt(off, "core module export %q refers to %s %d, which does not exist", e.Name, e.Kind, e.Index)
		}
		mt.Exports = append(mt.Exports, CoreExtern{Name: e.Name, Type: ci})
	}
	c.Order = append(c.Order, Def{SectionCoreModule, len(c.Modules)})
	c.Modules = append(c.Modules, Module{Offset: off, Bytes: raw, Type: mt})
	sc.sp.CoreModules = append(sc.sp.CoreModules, mt)
	return nil
}

// moduleItem is the type of item idx of kind k in module m's index spaces.
func moduleItem(m *wasmbin.Module, k wasmbin.ExternKind, idx uint32) (CoreItem, bool) {
	ci := CoreItem{Kind: k}
	n := uint32(0)
	for _, imp := range m.Imports {
		if imp.Kind != k {
			continue
		}
		if n == idx {
			switch k {
			case wasmbin.KindFunc, wasmbin.KindTag:
				if uint64(imp.TypeIndex) >= uint64(len(m.Types)) {
					return ci, false
				}
				ft := m.Types[imp.TypeIndex].Func
				ci.Func = &ft
			case wasmbin.KindTable:
				ci.Table = imp.Table
			case wasmbin.KindMemory:
				ci.Memory = imp.Memory
			case wasmbin.KindGlobal:
				ci.Global = imp.Global
			}
			return ci, true
		}
		n++
	}
	i := uint64(idx) - uint64(n)
	switch k {
	case wasmbin.KindFunc:
		ft, ok := m.FuncType(idx)
		ci.Func = &ft
		return ci, ok
	case wasmbin.KindTable:
		if i < uint64(len(m.Tables)) {
			ci.Table = m.Tables[i]
			return ci, true
		}
	case wasmbin.KindMemory:
		if i < uint64(len(m.Memories)) {
			ci.Memory = m.Memories[i]
			return ci, true
		}
	case wasmbin.KindGlobal:
		if i < uint64(len(m.Globals)) {
			ci.Global = m.Globals[i]
			return ci, true
		}
	case wasmbin.KindTag:
		if i < uint64(len(m.Tags)) && uint64(m.Tags[i]) < uint64(len(m.Types)) {
			ft := m.Types[m.Tags[i]].Func
			ci.Func = &ft
			return ci, true
		}
	}
	return ci, false
}
