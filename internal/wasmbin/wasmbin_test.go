package wasmbin_test

import (
	"errors"
	"os"
	"reflect"
	"testing"

	"github.com/wasmhive/wasmhive/internal/testguest"
	"github.com/wasmhive/wasmhive/internal/wasmbin"
)

func readGuest(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(testguest.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parseModule(t *testing.T, b []byte) *wasmbin.Module {
	t.Helper()
	m, err := wasmbin.ParseModule(b)
	if err != nil {
		t.Fatalf("ParseModule: %v", err)
	}
	return m
}

func vt(codes ...byte) []wasmbin.ValType {
	var out []wasmbin.ValType
	for _, c := range codes {
		out = append(out, wasmbin.ValType{Code: c})
	}
	return out
}

func TestParseImportsAndExportsOfEachKind(t *testing.T) {
	m := parseModule(t, readGuest(t, "inspect/kinds.wasm"))

	type imp struct {
		mod, name string
		kind      wasmbin.ExternKind
	}
	var got []imp
	for _, i := range m.Imports {
		got = append(got, imp{i.Module, i.Name, i.Kind})
	}
	want := []imp{
		{"wasi_snapshot_preview1", "fd_write", wasmbin.KindFunc},
		{"wasi_snapshot_preview1", "proc_exit", wasmbin.KindFunc},
		{"env", "log", wasmbin.KindFunc},
		{"env", "table", wasmbin.KindTable},
		{"env", "memory", wasmbin.KindMemory},
		{"env", "counter", wasmbin.KindGlobal},
		{"env", "seed", wasmbin.KindGlobal},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("imports = %+v\nwant %+v", got, want)
	}
	if tab := m.Imports[3].Table; tab.Min != 2 || !tab.HasMax || tab.Max != 10 || tab.Elem.String() != "funcref" {
		t.Errorf("table import = %+v", tab)
	}
	if mem := m.Imports[4].Memory; mem.Min != 1 || !mem.HasMax || mem.Max != 16 || mem.Shared || mem.Memory64 || mem.PageSize != 65536 {
		t.Errorf("memory import = %+v", mem)
	}
	if g := m.Imports[5].Global; g.Type.String() != "i32" || !g.Mutable {
		t.Errorf("global import counter = %+v", g)
	}
	if g := m.Imports[6].Global; g.Type.String() != "i64" || g.Mutable {
		t.Errorf("global import seed = %+v", g)
	}

	sigs := map[string]string{}
	kinds := map[string]wasmbin.ExternKind{}
	for _, e := range m.Exports {
		kinds[e.Name] = e.Kind
		if e.Kind == wasmbin.KindFunc {
			ft, ok := m.FuncType(e.Index)
			if !ok {
				t.Fatalf("export %s: function %d has no type", e.Name, e.Index)
			}
			sigs[e.Name] = ft.String()
		}
	}
	wantSigs := map[string]string{
		"_start":       "()",
		"add":          "(i32, i32) -> (i32)",
		"imported_log": "(i64, f32, f64) -> (i32, i64)", // re-export of an import: index 2
	}
	if !reflect.DeepEqual(sigs, wantSigs) {
		t.Errorf("export signatures = %v, want %v", sigs, wantSigs)
	}
	wantKinds := map[string]wasmbin.ExternKind{"_start": wasmbin.KindFunc, "add": wasmbin.KindFunc, "imported_log": wasmbin.KindFunc,
		"mem": wasmbin.KindMemory, "tbl": wasmbin.KindTable, "g": wasmbin.KindGlobal}
	if !reflect.DeepEqual(kinds, wantKinds) {
		t.Errorf("export kinds = %v, want %v", kinds, wantKinds)
	}
	if len(m.Functions) != 3 || len(m.Globals) != 2 || !m.Globals[0].Mutable || m.Globals[1].Type.Code != wasmbin.F64 {
		t.Errorf("functions = %v, globals = %+v", m.Functions, m.Globals)
	}
	if m.ElementCount != 1 || m.DataSegments != 1 {
		t.Errorf("element segments = %d, data segments = %d, want 1 and 1", m.ElementCount, m.DataSegments)
	}
	var customs []string
	for _, c := range m.CustomSections {
		customs = append(customs, c.Name)
	}
	if !reflect.DeepEqual(customs, []string{"name", "empty", "wasmhive.note"}) {
		t.Errorf("custom sections = %v", customs)
	}
	if c := m.CustomSections[2]; c.Size != len("inspect me") {
		t.Errorf("wasmhive.note payload size = %d, want %d", c.Size, len("inspect me"))
	}
	if c := m.CustomSections[1]; c.Size != 0 {
		t.Errorf("empty custom section size = %d", c.Size)
	}
	// Sections tile the file: each starts where the previous one ended.
	end := 8
	for _, s := range m.Sections {
		if s.Offset != end {
			t.Fatalf("section %s starts at %d, previous ended at %d", s.Name, s.Offset, end)
		}
		end = s.Offset + 1 + ulebLen(uint64(s.Size)) + s.Size
	}
	if end != m.Size {
		t.Errorf("sections end at %d, file is %d bytes", end, m.Size)
	}
}

func ulebLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

func TestParseMultipleMemories(t *testing.T) {
	m := parseModule(t, readGuest(t, "inspect/memories.wasm"))
	want := []wasmbin.Memory{
		{Limits: wasmbin.Limits{Min: 1, Max: 4, HasMax: true}, Shared: true, PageSize: 65536},
		{Limits: wasmbin.Limits{Min: 2, Max: 256, HasMax: true}, PageSize: 65536},
		{Limits: wasmbin.Limits{Min: 0}, PageSize: 65536},
		{Limits: wasmbin.Limits{Min: 3, Max: 100000, HasMax: true}, Memory64: true, PageSize: 65536},
	}
	var got []wasmbin.Memory
	for i := range want {
		mem, imported, ok := m.MemoryAt(uint32(i))
		if !ok || imported != (i == 0) {
			t.Fatalf("MemoryAt(%d): ok=%v imported=%v", i, ok, imported)
		}
		got = append(got, mem)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("memories = %+v\nwant %+v", got, want)
	}
	if _, _, ok := m.MemoryAt(4); ok {
		t.Error("MemoryAt(4) found a memory that does not exist")
	}
	if !m.ExportedFunc("_initialize") || m.ExportedFunc("memory") {
		t.Error("ExportedFunc: want _initialize (a function) and not memory (a memory)")
	}
}

func TestParseTags(t *testing.T) {
	m := parseModule(t, readGuest(t, "inspect/tags.wasm"))
	if len(m.Imports) != 1 || m.Imports[0].Kind != wasmbin.KindTag {
		t.Fatalf("imports = %+v, want one tag", m.Imports)
	}
	if len(m.Tags) != 1 {
		t.Fatalf("tags = %v", m.Tags)
	}
	td := m.Types[m.Tags[0]]
	if td.Form != wasmbin.FormFunc || !reflect.DeepEqual(td.Func.Params, vt(wasmbin.I64, wasmbin.I32)) {
		t.Errorf("tag type = %+v", td)
	}
	if m.Exports[0].Kind != wasmbin.KindTag || m.Exports[0].Kind.String() != "tag" {
		t.Errorf("exports = %+v", m.Exports)
	}
}

func TestParseCGuests(t *testing.T) {
	m := parseModule(t, readGuest(t, "inspect/hello.wasm"))
	wasi := 0
	for _, i := range m.Imports {
		if i.Module == "wasi_snapshot_preview1" {
			wasi++
		}
	}
	if wasi == 0 || !m.ExportedFunc("_start") {
		t.Errorf("hello.wasm: %d WASI imports, _start exported = %v", wasi, m.ExportedFunc("_start"))
	}
	r := parseModule(t, readGuest(t, "inspect/calc.wasm"))
	if !r.ExportedFunc("_initialize") || r.ExportedFunc("_start") {
		t.Error("calc.wasm should export _initialize and not _start")
	}
	for _, e := range r.Exports {
		if e.Name == "mul" {
			ft, _ := r.FuncType(e.Index)
			if got := ft.String(); got != "(i64, f64) -> (i64)" {
				t.Errorf("mul signature = %s", got)
			}
		}
	}
}

func TestParseGoGuest(t *testing.T) {
	b, err := os.ReadFile(testguest.GoCommand(t, "inspect/gocmd"))
	if err != nil {
		t.Fatal(err)
	}
	m := parseModule(t, b)
	if !m.ExportedFunc("_start") || len(m.Functions) < 100 {
		t.Errorf("Go command: _start exported = %v, %d functions", m.ExportedFunc("_start"), len(m.Functions))
	}
	for _, e := range m.Exports {
		if e.Kind == wasmbin.KindFunc {
			if _, ok := m.FuncType(e.Index); !ok {
				t.Errorf("export %s has no resolvable type", e.Name)
			}
		}
	}
}

func TestFormatErrors(t *testing.T) {
	kinds := readGuest(t, "inspect/kinds.wasm")
	cases := []struct {
		name   string
		in     []byte
		offset int
	}{
		{"empty", nil, 0},
		{"not wasm", []byte("#!/bin/sh\necho hi\n"), 0},
		{"short header", []byte("\x00asm\x01\x00"), 6},
		{"bad version", []byte("\x00asm\x02\x00\x00\x00"), 4},
		{"section past end", []byte("\x00asm\x01\x00\x00\x00\x01\x7f\x00"), 9},
		{"unknown section", []byte("\x00asm\x01\x00\x00\x00\x0e\x00"), 8},
		{"out of order", []byte("\x00asm\x01\x00\x00\x00\x03\x01\x00\x01\x01\x00"), 11},
		{"type count too large", []byte("\x00asm\x01\x00\x00\x00\x01\x05\xff\xff\xff\xff\x0f"), 10},
		{"leb too long", []byte("\x00asm\x01\x00\x00\x00\x01\x06\x80\x80\x80\x80\x80\x00"), 10},
		{"leb overflow", []byte("\x00asm\x01\x00\x00\x00\x05\x07\x01\x00\xff\xff\xff\xff\x1f"), 12},
		{"bad utf8 name", []byte("\x00asm\x01\x00\x00\x00\x00\x02\x01\xff"), 10},
		{"functions without code", []byte("\x00asm\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00"), 18},
		{"truncated real module", kinds[:200], -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := wasmbin.Parse(c.in)
			var fe *wasmbin.FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("Parse error = %v, want *FormatError", err)
			}
			if c.offset >= 0 && fe.Offset != c.offset {
				t.Errorf("offset = %d, want %d (%v)", fe.Offset, c.offset, err)
			}
			if notWasm := c.name == "empty" || c.name == "not wasm"; errors.Is(err, wasmbin.ErrNotWasm) != notWasm {
				t.Errorf("errors.Is(%v, ErrNotWasm) = %v, want %v", err, !notWasm, notWasm)
			}
			if fe.Offset < 0 || fe.Offset > len(c.in) {
				t.Errorf("offset %d outside the input (%d bytes)", fe.Offset, len(c.in))
			}
		})
	}
}

func TestEveryTruncationFails(t *testing.T) {
	// Cutting a module inside any section must be reported; cutting it at a
	// section boundary leaves a valid, shorter module.
	b := readGuest(t, "inspect/kinds.wasm")
	m := parseModule(t, b)
	boundary := map[int]bool{8: true}
	for _, s := range m.Sections {
		boundary[s.Offset] = true
	}
	for n := 0; n < len(b); n++ {
		_, err := wasmbin.Parse(b[:n])
		if boundary[n] {
			// A cut between the function and code sections is malformed too.
			continue
		}
		if err == nil {
			t.Errorf("Parse(first %d bytes) succeeded", n)
		}
	}
}

func TestLEB128(t *testing.T) {
	// Memory limits exercise u32 decoding; memory64 limits u64 decoding.
	mod := func(limits ...byte) []byte {
		sec := append([]byte{0x01}, limits...)
		return append([]byte("\x00asm\x01\x00\x00\x00\x05"), append([]byte{byte(len(sec))}, sec...)...)
	}
	cases := []struct {
		name   string
		limits []byte
		min    uint64
		ok     bool
	}{
		{"one byte", []byte{0x00, 0x05}, 5, true},
		{"padded", []byte{0x00, 0x85, 0x80, 0x00}, 5, true},
		{"max u32", []byte{0x00, 0xff, 0xff, 0xff, 0xff, 0x0f}, 1<<32 - 1, true},
		{"u32 overflow", []byte{0x00, 0xff, 0xff, 0xff, 0xff, 0x1f}, 0, false},
		{"u32 six bytes", []byte{0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 0, false},
		{"max u64", []byte{0x04, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 1<<64 - 1, true},
		{"u64 overflow", []byte{0x04, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x03}, 0, false},
		{"unterminated", []byte{0x00, 0x80}, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := wasmbin.ParseModule(mod(c.limits...))
			if (err == nil) != c.ok {
				t.Fatalf("err = %v, want ok=%v", err, c.ok)
			}
			if c.ok && m.Memories[0].Min != c.min {
				t.Errorf("min = %d, want %d", m.Memories[0].Min, c.min)
			}
		})
	}
	// Signed LEB128 in constant expressions: i32.const must fit 32 bits.
	global := func(expr ...byte) []byte {
		sec := append([]byte{0x01, 0x7f, 0x00}, expr...)
		return append([]byte("\x00asm\x01\x00\x00\x00\x06"), append([]byte{byte(len(sec))}, sec...)...)
	}
	for _, c := range []struct {
		expr []byte
		ok   bool
	}{
		{[]byte{0x41, 0x7f, 0x0b}, true},                         // -1
		{[]byte{0x41, 0xff, 0xff, 0xff, 0xff, 0x07, 0x0b}, true}, // max int32
		{[]byte{0x41, 0x80, 0x80, 0x80, 0x80, 0x78, 0x0b}, true}, // min int32
		{[]byte{0x41, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x0b}, false},
		{[]byte{0x41, 0x80, 0x80, 0x80, 0x80, 0x70, 0x0b}, false},
		{[]byte{0x41, 0x00}, false},       // no end
		{[]byte{0x20, 0x00, 0x0b}, false}, // local.get is not constant
	} {
		_, err := wasmbin.ParseModule(global(c.expr...))
		if (err == nil) != c.ok {
			t.Errorf("global init % x: err = %v, want ok=%v", c.expr, err, c.ok)
		}
	}
}
