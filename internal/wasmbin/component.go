package wasmbin

import "fmt"

// Component section ids (Component Model binary format).
const (
	CompSectionCustom       byte = 0
	CompSectionCoreModule   byte = 1
	CompSectionCoreInstance byte = 2
	CompSectionCoreType     byte = 3
	CompSectionComponent    byte = 4
	CompSectionInstance     byte = 5
	CompSectionAlias        byte = 6
	CompSectionType         byte = 7
	CompSectionCanon        byte = 8
	CompSectionStart        byte = 9
	CompSectionImport       byte = 10
	CompSectionExport       byte = 11
	CompSectionValue        byte = 12
)

var compSectionNames = [...]string{
	"custom", "core module", "core instance", "core type", "component", "instance", "alias",
	"type", "canon", "start", "import", "export", "value",
}

// ComponentVersion is the pre-standard Component Model binary version
// (0x0d) that current toolchains emit; its import and export names are decoded.
const ComponentVersion = 0x0d

// Component is a decoded Component Model binary: its top-level sections,
// imports and exports (names and kinds), and the core modules and
// components nested in it.
type Component struct {
	Size           int
	Version        uint16 // the binary's version field (0x0d for the current pre-standard format)
	Sections       []Section
	CustomSections []CustomSection
	Imports        []ComponentExtern
	Exports        []ComponentExtern
	Modules        []*Module    // embedded core modules, in order
	Components     []*Component // nested components, in order
}

// ComponentExtern is a component import or export: its name (e.g.
// "wasi:cli/environment@0.2.0") and the kind of item ("func", "instance",
// "type", "module", "component", "value").
type ComponentExtern struct {
	Name string
	Kind string
}

// IsComponent reports whether b starts with a Component Model header
// (magic, any version, layer 1).
func IsComponent(b []byte) bool {
	return len(b) >= 8 && HasMagic(b) && b[6] == 0x01 && b[7] == 0x00
}

// ParseComponent decodes a Component Model binary. Errors are *FormatError.
func ParseComponent(b []byte) (*Component, error) {
	return parseComponent(b, 0, 0)
}

func parseComponent(b []byte, base, depth int) (*Component, error) {
	r := &reader{b: b, base: base}
	if err := checkHeader(r); err != nil {
		return nil, err
	}
	if !IsComponent(b) {
		return nil, &FormatError{Offset: base + 6, Msg: "not a component (layer field is not 01 00)"}
	}
	if depth > maxNesting {
		return nil, &FormatError{Offset: base, Msg: fmt.Sprintf("components nested more than %d deep", maxNesting)}
	}
	c := &Component{Size: len(b), Version: uint16(b[4]) | uint16(b[5])<<8}
	r.pos = 8
	for !r.eof() {
		id, start, sr, err := r.section(compSectionName)
		if err != nil {
			return nil, err
		}
		if int(id) >= len(compSectionNames) {
			return nil, r.errAt(start, "unknown component section id %d", id)
		}
		sec := Section{ID: id, Name: compSectionName(id), Offset: base + start, Size: len(sr.b)}
		switch id {
		case CompSectionCustom:
			name, err := sr.name()
			if err != nil {
				return nil, err
			}
			sec.Name = name
			c.CustomSections = append(c.CustomSections, CustomSection{Name: name, Offset: sr.offset(), Size: sr.remaining()})
		case CompSectionCoreModule:
			m, err := parseModule(sr.b, sr.base)
			if err != nil {
				return nil, err
			}
			c.Modules = append(c.Modules, m)
		case CompSectionComponent:
			nc, err := parseComponent(sr.b, sr.base, depth+1)
			if err != nil {
				return nil, err
			}
			c.Components = append(c.Components, nc)
		case CompSectionImport, CompSectionExport:
			if c.Version != ComponentVersion {
				break // names are only decoded for the format we know
			}
			if err := c.parseExterns(sr, id == CompSectionImport); err != nil {
				return nil, err
			}
		}
		c.Sections = append(c.Sections, sec)
	}
	return c, nil
}

func compSectionName(id byte) string {
	if int(id) < len(compSectionNames) {
		return compSectionNames[id]
	}
	return fmt.Sprintf("unknown(%d)", id)
}

// parseExterns decodes an import section (vec of name externdesc) or an
// export section (vec of name sortidx externdesc?).
func (c *Component) parseExterns(r *reader, imports bool) error {
	what := "export"
	if imports {
		what = "import"
	}
	n, err := r.count(what, 4)
	if err != nil {
		return err
	}
	for range n {
		at := r.pos
		tag, err := r.byte()
		if err != nil {
			return err
		}
		if tag > 1 { // 0x00 plain name, 0x01 interface name
			return r.errAt(at, "unknown %s name encoding 0x%02x", what, tag)
		}
		name, err := r.name()
		if err != nil {
			return err
		}
		var kind string
		if imports {
			if kind, err = readExternDesc(r); err != nil {
				return err
			}
			c.Imports = append(c.Imports, ComponentExtern{Name: name, Kind: kind})
			continue
		}
		if kind, err = readSort(r); err != nil {
			return err
		}
		if _, err := r.u32(); err != nil { // the exported item's index
			return err
		}
		opt, err := r.byte() // optional ascribed type
		if err != nil {
			return err
		}
		switch opt {
		case 0x00:
		case 0x01:
			if _, err := readExternDesc(r); err != nil {
				return err
			}
		default:
			return r.errAt(r.pos-1, "malformed export type ascription 0x%02x", opt)
		}
		c.Exports = append(c.Exports, ComponentExtern{Name: name, Kind: kind})
	}
	return nil
}

var sortNames = map[byte]string{0x01: "func", 0x02: "value", 0x03: "type", 0x04: "component", 0x05: "instance"}

var coreSortNames = map[byte]string{
	0x00: "core func", 0x01: "core table", 0x02: "core memory", 0x03: "core global",
	0x10: "core type", 0x11: "core module", 0x12: "core instance",
}

func readSort(r *reader) (string, error) {
	at := r.pos
	s, err := r.byte()
	if err != nil {
		return "", err
	}
	if s == 0x00 {
		cs, err := r.byte()
		if err != nil {
			return "", err
		}
		if n, ok := coreSortNames[cs]; ok {
			return n, nil
		}
		return "", r.errAt(at, "unknown core sort 0x%02x", cs)
	}
	if n, ok := sortNames[s]; ok {
		return n, nil
	}
	return "", r.errAt(at, "unknown sort 0x%02x", s)
}

// readExternDesc decodes an externdesc and returns its kind.
func readExternDesc(r *reader) (string, error) {
	at := r.pos
	k, err := r.byte()
	if err != nil {
		return "", err
	}
	switch k {
	case 0x00: // core module: 0x00 0x11 typeidx
		s, err := r.byte()
		if err != nil {
			return "", err
		}
		if s != 0x11 {
			return "", r.errAt(at, "malformed core module type reference")
		}
		_, err = r.u32()
		return "module", err
	case 0x01, 0x04, 0x05: // func, component, instance: typeidx
		_, err := r.u32()
		return map[byte]string{0x01: "func", 0x04: "component", 0x05: "instance"}[k], err
	case 0x02: // value: valuebound (0x00 valueidx | 0x01 valtype)
		b, err := r.byte()
		if err != nil {
			return "", err
		}
		if b > 1 {
			return "", r.errAt(r.pos-1, "malformed value bound 0x%02x", b)
		}
		if b == 0x01 {
			if c, err := r.peek(); err == nil && c >= 0x64 && c <= 0x7f {
				r.pos++ // primitive value type
				return "value", nil
			}
		}
		_, err = r.u32()
		return "value", err
	case 0x03: // type: typebound (0x00 eq typeidx | 0x01 sub resource)
		b, err := r.byte()
		if err != nil {
			return "", err
		}
		switch b {
		case 0x00:
			_, err = r.u32()
			return "type", err
		case 0x01:
			return "type", nil
		}
		return "", r.errAt(r.pos-1, "malformed type bound 0x%02x", b)
	}
	return "", r.errAt(at, "unknown extern kind 0x%02x", k)
}

// Binary is a parsed WebAssembly binary: exactly one of Module and
// Component is set.
type Binary struct {
	Module    *Module
	Component *Component
}

// Parse decodes b as a core module or a Component Model binary, whichever
// its header says. It never panics and its memory use is bounded by a small
// multiple of len(b). Errors are *FormatError.
func Parse(b []byte) (*Binary, error) {
	if IsComponent(b) {
		c, err := ParseComponent(b)
		if err != nil {
			return nil, err
		}
		return &Binary{Component: c}, nil
	}
	m, err := ParseModule(b)
	if err != nil {
		return nil, err
	}
	return &Binary{Module: m}, nil
}
