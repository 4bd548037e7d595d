package wasmbin

import (
	"bytes"
	"fmt"
)

// Core module section ids.
const (
	SectionCustom    byte = 0
	SectionType      byte = 1
	SectionImport    byte = 2
	SectionFunction  byte = 3
	SectionTable     byte = 4
	SectionMemory    byte = 5
	SectionGlobal    byte = 6
	SectionExport    byte = 7
	SectionStart     byte = 8
	SectionElement   byte = 9
	SectionCode      byte = 10
	SectionData      byte = 11
	SectionDataCount byte = 12
	SectionTag       byte = 13
)

var coreSectionNames = [...]string{
	"custom", "type", "import", "function", "table", "memory", "global", "export",
	"start", "element", "code", "data", "datacount", "tag",
}

// coreSectionOrder is the position each non-custom section must respect:
// sections appear at most once and in this order.
var coreSectionOrder = map[byte]int{
	SectionType: 1, SectionImport: 2, SectionFunction: 3, SectionTable: 4, SectionMemory: 5,
	SectionTag: 6, SectionGlobal: 7, SectionExport: 8, SectionStart: 9, SectionElement: 10,
	SectionDataCount: 11, SectionCode: 12, SectionData: 13,
}

// CustomSection is a custom section's name and where its payload lies.
type CustomSection struct {
	Name   string
	Offset int // offset of the payload (after the name)
	Size   int // payload size in bytes (excluding the name)
}

// Module is a decoded core WebAssembly module: its layout, types, imports,
// exports and definitions. Function bodies, element and data segments are
// located (Sections) but not decoded.
type Module struct {
	Size           int // bytes in the binary
	Sections       []Section
	CustomSections []CustomSection
	Types          []TypeDef
	Imports        []Import
	Functions      []uint32 // type index of each function defined (not imported)
	Tables         []Table  // defined tables
	Memories       []Memory // defined memories
	Globals        []GlobalType
	Tags           []uint32 // type index of each defined tag
	Exports        []Export
	Start          *uint32 // the start function, if any
	DataCount      *uint32 // from the datacount section, if present
	ElementCount   int
	DataSegments   int
}

var (
	magic       = []byte{0x00, 'a', 's', 'm'}
	coreVersion = []byte{0x01, 0x00, 0x00, 0x00}
)

// HasMagic reports whether b starts with the WebAssembly magic number
// (\0asm), which core modules and components share.
func HasMagic(b []byte) bool { return len(b) >= 4 && bytes.Equal(b[:4], magic) }

// maxNesting bounds how deeply components may nest (components inside
// components), so hostile input cannot exhaust the stack.
const maxNesting = 16

// ParseModule decodes a core module. Errors are *FormatError.
func ParseModule(b []byte) (*Module, error) {
	return parseModule(b, 0)
}

func parseModule(b []byte, base int) (*Module, error) {
	r := &reader{b: b, base: base}
	if err := checkHeader(r); err != nil {
		return nil, err
	}
	ver, _ := r.bytes(4)
	if !bytes.Equal(ver, coreVersion) {
		if ver[2] == 1 && ver[3] == 0 {
			return nil, &FormatError{Offset: base + 4, Msg: "this is a component, not a core module"}
		}
		return nil, &FormatError{Offset: base + 4, Msg: fmt.Sprintf("unsupported WebAssembly version % x (want 01 00 00 00)", ver)}
	}
	m := &Module{Size: len(b)}
	last := 0
	for !r.eof() {
		id, start, sr, err := r.section(sectionName)
		if err != nil {
			return nil, err
		}
		sec := Section{ID: id, Name: sectionName(id), Offset: base + start, Size: len(sr.b)}
		if id != SectionCustom {
			order, ok := coreSectionOrder[id]
			if !ok {
				return nil, r.errAt(start, "unknown section id %d", id)
			}
			if order <= last {
				return nil, r.errAt(start, "section %s is out of order or repeated", sec.Name)
			}
			last = order
		}
		if err := m.parseSection(id, sr, &sec); err != nil {
			return nil, err
		}
		if !sr.eof() && id != SectionCustom {
			return nil, sr.errorf("section %s has %d unexpected bytes at its end", sec.Name, sr.remaining())
		}
		m.Sections = append(m.Sections, sec)
	}
	if len(m.Functions) > 0 && !m.hasSection(SectionCode) {
		return nil, r.errorf("function section declares %d functions but there is no code section", len(m.Functions))
	}
	return m, nil
}

func checkHeader(r *reader) error {
	if !HasMagic(r.b) {
		return r.errorf(notWasmMsg)
	}
	if len(r.b) < 8 {
		return &FormatError{Offset: r.base + len(r.b), Msg: "truncated: shorter than the 8-byte header"}
	}
	r.pos = 4
	return nil
}

func sectionName(id byte) string {
	if int(id) < len(coreSectionNames) {
		return coreSectionNames[id]
	}
	return fmt.Sprintf("unknown(%d)", id)
}

func (m *Module) hasSection(id byte) bool {
	for _, s := range m.Sections {
		if s.ID == id {
			return true
		}
	}
	return false
}

func (m *Module) parseSection(id byte, r *reader, sec *Section) error {
	switch id {
	case SectionCustom:
		name, err := r.name()
		if err != nil {
			return err
		}
		sec.Name = name
		m.CustomSections = append(m.CustomSections, CustomSection{Name: name, Offset: r.offset(), Size: r.remaining()})
		if name == "name" {
			return checkNameSection(r)
		}
		return nil
	case SectionType:
		return m.parseTypes(r)
	case SectionImport:
		return m.parseImports(r)
	case SectionFunction:
		n, err := r.count("function", 1)
		if err != nil {
			return err
		}
		m.Functions = make([]uint32, 0, n)
		for range n {
			t, err := r.u32()
			if err != nil {
				return err
			}
			m.Functions = append(m.Functions, t)
		}
	case SectionTable:
		n, err := r.count("table", 2)
		if err != nil {
			return err
		}
		for range n {
			var t Table
			if c, _ := r.peek(); c == 0x40 {
				// Table with an initialiser: 0x40 0x00 tabletype expr.
				r.pos++
				if z, err := r.byte(); err != nil || z != 0 {
					return r.errorf("malformed table with initialiser")
				}
				if t, err = readTable(r); err != nil {
					return err
				}
				if err := skipConstExpr(r); err != nil {
					return err
				}
			} else if t, err = readTable(r); err != nil {
				return err
			}
			m.Tables = append(m.Tables, t)
		}
	case SectionMemory:
		n, err := r.count("memory", 2)
		if err != nil {
			return err
		}
		for range n {
			mem, err := readMemory(r)
			if err != nil {
				return err
			}
			m.Memories = append(m.Memories, mem)
		}
	case SectionTag:
		n, err := r.count("tag", 2)
		if err != nil {
			return err
		}
		for range n {
			t, err := readTag(r)
			if err != nil {
				return err
			}
			m.Tags = append(m.Tags, t)
		}
	case SectionGlobal:
		n, err := r.count("global", 3)
		if err != nil {
			return err
		}
		for range n {
			g, err := readGlobalType(r)
			if err != nil {
				return err
			}
			if err := skipConstExpr(r); err != nil {
				return err
			}
			m.Globals = append(m.Globals, g)
		}
	case SectionExport:
		n, err := r.count("export", 3)
		if err != nil {
			return err
		}
		m.Exports = make([]Export, 0, n)
		for range n {
			name, err := r.name()
			if err != nil {
				return err
			}
			at := r.pos
			k, err := r.byte()
			if err != nil {
				return err
			}
			if k > byte(KindTag) {
				return r.errAt(at, "export %q has unknown kind 0x%02x", name, k)
			}
			idx, err := r.u32()
			if err != nil {
				return err
			}
			m.Exports = append(m.Exports, Export{Name: name, Kind: ExternKind(k), Index: idx})
		}
	case SectionStart:
		idx, err := r.u32()
		if err != nil {
			return err
		}
		m.Start = &idx
	case SectionElement:
		n, err := r.count("element segment", 1)
		if err != nil {
			return err
		}
		m.ElementCount = n
		for i := range n {
			if err := skipElementSegment(r, i); err != nil {
				return err
			}
		}
	case SectionDataCount:
		n, err := r.u32()
		if err != nil {
			return err
		}
		m.DataCount = &n
	case SectionCode:
		n, err := r.count("function body", 1)
		if err != nil {
			return err
		}
		if n != len(m.Functions) {
			return r.errorf("code section has %d function bodies but the function section declares %d functions", n, len(m.Functions))
		}
		for range n {
			start := r.pos
			size, err := r.u32()
			if err != nil {
				return err
			}
			if int64(size) > int64(r.remaining()) {
				return r.errAt(start, "function body of %d bytes runs past the end of the code section", size)
			}
			body, _ := r.sub(int(size))
			if err := checkLocals(body); err != nil {
				return err
			}
		}
	case SectionData:
		n, err := r.count("data segment", 1)
		if err != nil {
			return err
		}
		if m.DataCount != nil && uint32(n) != *m.DataCount {
			return r.errorf("data section has %d segments but the datacount section says %d", n, *m.DataCount)
		}
		m.DataSegments = n
		for i := range n {
			if err := skipDataSegment(r, i); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *Module) parseTypes(r *reader) error {
	n, err := r.count("type", 1)
	if err != nil {
		return err
	}
	m.Types = make([]TypeDef, 0, n)
	for range n {
		c, err := r.peek()
		if err != nil {
			return err
		}
		if c == 0x4e { // rec group: vec(subtype)
			r.pos++
			k, err := r.count("recursive group member", 1)
			if err != nil {
				return err
			}
			for range k {
				if err := m.readSubType(r); err != nil {
					return err
				}
			}
			continue
		}
		if err := m.readSubType(r); err != nil {
			return err
		}
	}
	return nil
}

func (m *Module) readSubType(r *reader) error {
	c, err := r.peek()
	if err != nil {
		return err
	}
	if c == 0x50 || c == 0x4f { // sub / sub final: vec(typeidx) comptype
		r.pos++
		k, err := r.count("supertype", 1)
		if err != nil {
			return err
		}
		for range k {
			if _, err := r.u32(); err != nil {
				return err
			}
		}
	}
	td, err := readCompType(r)
	if err != nil {
		return err
	}
	m.Types = append(m.Types, td)
	return nil
}

func readCompType(r *reader) (TypeDef, error) {
	at := r.pos
	c, err := r.byte()
	if err != nil {
		return TypeDef{}, err
	}
	switch c {
	case 0x60:
		ft, err := readFuncType(r)
		return TypeDef{Form: FormFunc, Func: ft}, err
	case 0x5f:
		n, err := r.count("struct field", 2)
		if err != nil {
			return TypeDef{}, err
		}
		for range n {
			if err := skipFieldType(r); err != nil {
				return TypeDef{}, err
			}
		}
		return TypeDef{Form: FormStruct}, nil
	case 0x5e:
		return TypeDef{Form: FormArray}, skipFieldType(r)
	}
	return TypeDef{}, r.errAt(at, "unknown type form 0x%02x", c)
}

func skipFieldType(r *reader) error {
	c, err := r.peek()
	if err != nil {
		return err
	}
	if c == 0x78 || c == 0x77 { // packed i8 / i16
		r.pos++
	} else if _, err := readValType(r); err != nil {
		return err
	}
	mut, err := r.byte()
	if err != nil {
		return err
	}
	if mut > 1 {
		return r.errAt(r.pos-1, "malformed mutability 0x%02x", mut)
	}
	return nil
}

func readFuncType(r *reader) (FuncType, error) {
	var ft FuncType
	var err error
	if ft.Params, err = readValTypes(r); err != nil {
		return ft, err
	}
	ft.Results, err = readValTypes(r)
	return ft, err
}

func readValTypes(r *reader) ([]ValType, error) {
	n, err := r.count("value type", 1)
	if err != nil {
		return nil, err
	}
	ts := make([]ValType, 0, n)
	for range n {
		t, err := readValType(r)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, nil
}

func readValType(r *reader) (ValType, error) {
	at := r.pos
	c, err := r.byte()
	if err != nil {
		return ValType{}, err
	}
	switch c {
	case I32, I64, F32, F64, V128:
		return ValType{Code: c}, nil
	case Ref, RefNull:
		h, err := readHeapType(r)
		return ValType{Code: c, Heap: h}, err
	}
	if _, ok := abstractHeapNames[c]; ok {
		return ValType{Code: c}, nil
	}
	return ValType{}, r.errAt(at, "unknown value type 0x%02x", c)
}

func readHeapType(r *reader) (HeapType, error) {
	at := r.pos
	c, err := r.peek()
	if err != nil {
		return HeapType{}, err
	}
	if c&0xc0 == 0x40 { // one-byte negative s33: an abstract heap type
		r.pos++
		if _, ok := abstractHeapNames[c]; !ok {
			return HeapType{}, r.errAt(at, "unknown heap type 0x%02x", c)
		}
		return HeapType{Abstract: c}, nil
	}
	v, err := r.sleb(33)
	if err != nil {
		return HeapType{}, err
	}
	if v < 0 || v > 1<<32-1 {
		return HeapType{}, r.errAt(at, "malformed heap type")
	}
	return HeapType{Index: uint32(v)}, nil
}

func readLimits(r *reader, what string) (l Limits, shared, is64 bool, pageSize uint64, err error) {
	at := r.pos
	flags, err := r.byte()
	if err != nil {
		return
	}
	if flags&^0x0f != 0 {
		err = r.errAt(at, "malformed %s limits flags 0x%02x", what, flags)
		return
	}
	l.HasMax = flags&0x01 != 0
	shared = flags&0x02 != 0
	is64 = flags&0x04 != 0
	bits := uint(32)
	if is64 {
		bits = 64
	}
	if l.Min, err = r.uleb(bits); err != nil {
		return
	}
	if l.HasMax {
		if l.Max, err = r.uleb(bits); err != nil {
			return
		}
	}
	pageSize = DefaultPageSize
	if flags&0x08 != 0 { // custom-page-sizes proposal: log2 of the page size
		var log2 uint32
		if log2, err = r.u32(); err != nil {
			return
		}
		if log2 > 16 {
			err = r.errAt(at, "malformed page size 2^%d", log2)
			return
		}
		pageSize = 1 << log2
	}
	return
}

func readMemory(r *reader) (Memory, error) {
	l, shared, is64, pageSize, err := readLimits(r, "memory")
	return Memory{Limits: l, Shared: shared, Memory64: is64, PageSize: pageSize}, err
}

func readTable(r *reader) (Table, error) {
	elem, err := readValType(r)
	if err != nil {
		return Table{}, err
	}
	at := r.pos
	l, shared, is64, _, err := readLimits(r, "table")
	if err == nil && shared {
		err = r.errAt(at, "tables cannot be shared")
	}
	return Table{Limits: l, Elem: elem, Table64: is64}, err
}

func readGlobalType(r *reader) (GlobalType, error) {
	t, err := readValType(r)
	if err != nil {
		return GlobalType{}, err
	}
	mut, err := r.byte()
	if err != nil {
		return GlobalType{}, err
	}
	if mut > 1 {
		return GlobalType{}, r.errAt(r.pos-1, "malformed global mutability 0x%02x", mut)
	}
	return GlobalType{Type: t, Mutable: mut == 1}, nil
}

func readTag(r *reader) (uint32, error) {
	attr, err := r.byte()
	if err != nil {
		return 0, err
	}
	if attr != 0 {
		return 0, r.errAt(r.pos-1, "malformed tag attribute 0x%02x", attr)
	}
	return r.u32()
}

func (m *Module) parseImports(r *reader) error {
	n, err := r.count("import", 4)
	if err != nil {
		return err
	}
	m.Imports = make([]Import, 0, n)
	for range n {
		var imp Import
		if imp.Module, err = r.name(); err != nil {
			return err
		}
		if imp.Name, err = r.name(); err != nil {
			return err
		}
		at := r.pos
		k, err := r.byte()
		if err != nil {
			return err
		}
		imp.Kind = ExternKind(k)
		switch imp.Kind {
		case KindFunc:
			imp.TypeIndex, err = r.u32()
		case KindTable:
			imp.Table, err = readTable(r)
		case KindMemory:
			imp.Memory, err = readMemory(r)
		case KindGlobal:
			imp.Global, err = readGlobalType(r)
		case KindTag:
			imp.TypeIndex, err = readTag(r)
		default:
			return r.errAt(at, "import %s.%s has unknown kind 0x%02x", imp.Module, imp.Name, k)
		}
		if err != nil {
			return err
		}
		m.Imports = append(m.Imports, imp)
	}
	return nil
}

// skipConstExpr skips a constant expression up to and including its end opcode.
func skipConstExpr(r *reader) error {
	for {
		at := r.pos
		op, err := r.byte()
		if err != nil {
			return err
		}
		switch op {
		case 0x0b: // end
			return nil
		case 0x41: // i32.const
			_, err = r.sleb(32)
		case 0x42: // i64.const
			_, err = r.sleb(64)
		case 0x43: // f32.const
			err = r.skip(4)
		case 0x44: // f64.const
			err = r.skip(8)
		case 0x23, 0xd2: // global.get, ref.func
			_, err = r.u32()
		case 0xd0: // ref.null
			_, err = readHeapType(r)
		case 0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e: // extended-const arithmetic
		case 0xfd: // v128.const
			var sub uint32
			if sub, err = r.u32(); err == nil {
				if sub != 12 {
					return r.errAt(at, "instruction 0xfd %d is not allowed in a constant expression", sub)
				}
				err = r.skip(16)
			}
		case 0xfb: // GC constant instructions
			var sub uint32
			if sub, err = r.u32(); err != nil {
				return err
			}
			switch sub {
			case 0, 1, 6, 7: // struct.new, struct.new_default, array.new, array.new_default
				_, err = r.u32()
			case 8: // array.new_fixed
				if _, err = r.u32(); err == nil {
					_, err = r.u32()
				}
			case 26, 27, 28: // any.convert_extern, extern.convert_any, ref.i31
			default:
				return r.errAt(at, "instruction 0xfb %d is not allowed in a constant expression", sub)
			}
		default:
			return r.errAt(at, "instruction 0x%02x is not allowed in a constant expression", op)
		}
		if err != nil {
			return err
		}
	}
}

// MaxFunctionLocals is the most locals one function may declare, the
// implementation limit of browsers and wasmparser (wasmtime). Engines
// allocate per declared local, so a few bytes declaring billions of locals
// would otherwise cost gigabytes.
const MaxFunctionLocals = 50000

// checkLocals decodes a function body's local declarations and checks
// their total against MaxFunctionLocals. The code is not decoded.
func checkLocals(r *reader) error {
	groups, err := r.count("local declaration", 2)
	if err != nil {
		return err
	}
	var total uint64
	for range groups {
		at := r.pos
		n, err := r.u32()
		if err != nil {
			return err
		}
		if total += uint64(n); total > MaxFunctionLocals {
			return r.errAt(at, "function declares more than %d locals", MaxFunctionLocals)
		}
		if _, err := readValType(r); err != nil {
			return err
		}
	}
	return nil
}

// skipElementSegment decodes (and discards) element segment i.
func skipElementSegment(r *reader, i int) error {
	at := r.pos
	flags, err := r.u32()
	if err != nil {
		return err
	}
	if flags > 7 {
		return r.errAt(at, "element segment %d has malformed flags %d", i, flags)
	}
	if flags&0x02 != 0 && flags&0x01 == 0 { // explicit table index
		if _, err := r.u32(); err != nil {
			return err
		}
	}
	if flags&0x01 == 0 { // active: offset expression
		if err := skipConstExpr(r); err != nil {
			return err
		}
	}
	exprs := flags&0x04 != 0
	if flags&0x03 != 0 { // element kind (0x00 = funcref) or reference type
		if exprs {
			if _, err := readValType(r); err != nil {
				return err
			}
		} else if k, err := r.byte(); err != nil {
			return err
		} else if k != 0 {
			return r.errAt(r.pos-1, "element segment %d has unknown element kind 0x%02x", i, k)
		}
	}
	n, err := r.count("element", 1)
	if err != nil {
		return err
	}
	for range n {
		if exprs {
			err = skipConstExpr(r)
		} else {
			_, err = r.u32()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// skipDataSegment decodes (and discards) data segment i.
func skipDataSegment(r *reader, i int) error {
	at := r.pos
	flags, err := r.u32()
	if err != nil {
		return err
	}
	switch flags {
	case 0: // active, memory 0
		err = skipConstExpr(r)
	case 1: // passive
	case 2: // active, explicit memory
		if _, err = r.u32(); err == nil {
			err = skipConstExpr(r)
		}
	default:
		return r.errAt(at, "data segment %d has malformed flags %d", i, flags)
	}
	if err != nil {
		return err
	}
	start := r.pos
	size, err := r.u32()
	if err != nil {
		return err
	}
	if int64(size) > int64(r.remaining()) {
		return r.errAt(start, "data segment %d of %d bytes runs past the end of the data section", i, size)
	}
	r.pos += int(size)
	return nil
}

// checkNameSection decodes the counts and strings of the standard "name"
// custom section's module (0), function (1) and local (2) subsections, so
// that none claims more entries or bytes than the section holds.
func checkNameSection(r *reader) error {
	for !r.eof() {
		id, _ := r.byte()
		start := r.pos
		size, err := r.u32()
		if err != nil {
			return err
		}
		if int64(size) > int64(r.remaining()) {
			return r.errAt(start, "name subsection %d of %d bytes runs past the end of the name section", id, size)
		}
		sub, _ := r.sub(int(size))
		switch id {
		case 0:
			_, err = sub.name()
		case 1:
			err = checkNameMap(sub)
		case 2:
			var n int
			if n, err = sub.count("function", 2); err != nil {
				return err
			}
			for range n {
				if _, err = sub.u32(); err != nil {
					return err
				}
				if err = checkNameMap(sub); err != nil {
					return err
				}
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func checkNameMap(r *reader) error {
	n, err := r.count("name", 2)
	if err != nil {
		return err
	}
	for range n {
		if _, err := r.u32(); err != nil {
			return err
		}
		if _, err := r.name(); err != nil {
			return err
		}
	}
	return nil
}

// FuncType returns the signature of function idx in the function index
// space (imported functions first, then defined ones).
func (m *Module) FuncType(idx uint32) (FuncType, bool) {
	var typeIdx uint32
	found := false
	n := uint32(0)
	for _, imp := range m.Imports {
		if imp.Kind != KindFunc {
			continue
		}
		if n == idx {
			typeIdx, found = imp.TypeIndex, true
			break
		}
		n++
	}
	if !found {
		if uint64(idx-n) >= uint64(len(m.Functions)) || idx < n {
			return FuncType{}, false
		}
		typeIdx = m.Functions[idx-n]
	}
	if uint64(typeIdx) >= uint64(len(m.Types)) || m.Types[typeIdx].Form != FormFunc {
		return FuncType{}, false
	}
	return m.Types[typeIdx].Func, true
}

// MemoryAt returns memory idx in the memory index space (imported memories
// first) and whether it is imported.
func (m *Module) MemoryAt(idx uint32) (mem Memory, imported bool, ok bool) {
	n := uint32(0)
	for _, imp := range m.Imports {
		if imp.Kind != KindMemory {
			continue
		}
		if n == idx {
			return imp.Memory, true, true
		}
		n++
	}
	if idx < n || uint64(idx-n) >= uint64(len(m.Memories)) {
		return Memory{}, false, false
	}
	return m.Memories[idx-n], false, true
}

// ExportedFunc reports whether the module exports a function named name.
func (m *Module) ExportedFunc(name string) bool {
	for _, e := range m.Exports {
		if e.Kind == KindFunc && e.Name == name {
			return true
		}
	}
	return false
}
