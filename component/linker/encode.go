package linker

import (
	"fmt"

	"github.com/wasmhive/wasmhive/internal/wasmbin"
)

// moduleEncoder writes a core module that only imports items and exports
// them again: the re-export module of a bundled core instance.
type moduleEncoder struct {
	types   [][]byte // encoded func types
	imports []byte
	nimp    int
	exports []byte
	nexp    int
	counts  [4]uint32 // imported funcs, tables, memories, globals
	last    [2]uint32 // kind and index of the last import, for export
	err     error
}

func appendU32(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

func appendU64(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

func appendName(b []byte, s string) []byte {
	b = appendU32(b, uint32(len(s)))
	return append(b, s...)
}

func (e *moduleEncoder) valType(b []byte, t wasmbin.ValType) []byte {
	switch t.Code {
	case 0x63, 0x64: // (ref null ht), (ref ht)
		if t.Heap.Abstract == 0 {
			e.err = fmt.Errorf("a reference to a concrete type")
			return b
		}
		return append(b, t.Code, t.Heap.Abstract)
	}
	return append(b, t.Code)
}

func (e *moduleEncoder) begin(mod, name string, kind byte) {
	e.imports = appendName(e.imports, mod)
	e.imports = appendName(e.imports, name)
	e.imports = append(e.imports, kind)
	e.nimp++
	e.last = [2]uint32{uint32(kind), e.counts[kind]}
	e.counts[kind]++
}

func (e *moduleEncoder) importFunc(mod, name string, ft *wasmbin.FuncType) {
	var t []byte
	t = append(t, 0x60)
	t = appendU32(t, uint32(len(ft.Params)))
	for _, p := range ft.Params {
		t = e.valType(t, p)
	}
	t = appendU32(t, uint32(len(ft.Results)))
	for _, r := range ft.Results {
		t = e.valType(t, r)
	}
	e.types = append(e.types, t)
	e.begin(mod, name, 0x00)
	e.imports = appendU32(e.imports, uint32(len(e.types)-1))
}

func (e *moduleEncoder) limits(l wasmbin.Limits, shared, is64 bool) {
	flags := byte(0)
	if l.HasMax {
		flags |= 1
	}
	if shared {
		flags |= 2
	}
	if is64 {
		flags |= 4
	}
	e.imports = append(e.imports, flags)
	e.imports = appendU64(e.imports, l.Min)
	if l.HasMax {
		e.imports = appendU64(e.imports, l.Max)
	}
}

func (e *moduleEncoder) importTable(mod, name string, t wasmbin.Table) {
	e.begin(mod, name, 0x01)
	e.imports = e.valType(e.imports, t.Elem)
	e.limits(t.Limits, false, t.Table64)
}

func (e *moduleEncoder) importMemory(mod, name string, m wasmbin.Memory) {
	if m.PageSize != 0 && m.PageSize != wasmbin.DefaultPageSize {
		e.err = fmt.Errorf("a memory with custom page size %d", m.PageSize)
	}
	e.begin(mod, name, 0x02)
	e.limits(m.Limits, m.Shared, m.Memory64)
}

func (e *moduleEncoder) importGlobal(mod, name string, g wasmbin.GlobalType) {
	e.begin(mod, name, 0x03)
	e.imports = e.valType(e.imports, g.Type)
	if g.Mutable {
		e.imports = append(e.imports, 1)
	} else {
		e.imports = append(e.imports, 0)
	}
}

// export exports the last imported item as name.
func (e *moduleEncoder) export(name string) {
	e.exports = appendName(e.exports, name)
	e.exports = append(e.exports, byte(e.last[0]))
	e.exports = appendU32(e.exports, e.last[1])
	e.nexp++
}

func section(b []byte, id byte, count int, body []byte) []byte {
	content := appendU32(nil, uint32(count))
	content = append(content, body...)
	b = append(b, id)
	b = appendU32(b, uint32(len(content)))
	return append(b, content...)
}

func (e *moduleEncoder) bytes() ([]byte, error) {
	if e.err != nil {
		return nil, e.err
	}
	b := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	var types []byte
	for _, t := range e.types {
		types = append(types, t...)
	}
	if len(e.types) > 0 {
		b = section(b, 1, len(e.types), types)
	}
	if e.nimp > 0 {
		b = section(b, 2, e.nimp, e.imports)
	}
	if e.nexp > 0 {
		b = section(b, 7, e.nexp, e.exports)
	}
	return b, nil
}
