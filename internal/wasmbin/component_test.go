package wasmbin_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/tetratelabs/wazero"

	"github.com/wasmhive/wasmhive/internal/wasmbin"
)

// leb appends the unsigned LEB128 encoding of v.
func leb(b []byte, v uint64) []byte {
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

func str(s string) []byte { return append(leb(nil, uint64(len(s))), s...) }

func section(id byte, content ...[]byte) []byte {
	var c []byte
	for _, p := range content {
		c = append(c, p...)
	}
	return append(leb([]byte{id}, uint64(len(c))), c...)
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

var componentHeader = []byte{0x00, 'a', 's', 'm', 0x0d, 0x00, 0x01, 0x00}

// coreRun is a core module exporting a function "run" and a memory.
var coreRun = cat([]byte("\x00asm\x01\x00\x00\x00"),
	section(1, []byte{0x01, 0x60, 0x00, 0x00}), // type 0: () -> ()
	section(3, []byte{0x01, 0x00}),             // one function of type 0
	section(5, []byte{0x01, 0x00, 0x01}),       // memory min 1
	section(7, []byte{0x02}, str("run"), []byte{0x00, 0x00}, str("memory"), // exports
		[]byte{0x02, 0x00}),
	section(10, []byte{0x01, 0x02, 0x00, 0x0b}), // body: no locals, end
)

// testComponent is a small component in the current (0x0d) binary format: it
// embeds coreRun, instantiates it, lifts its "run" export and exports it,
// and imports a WASI 0.2 interface.
func testComponent() []byte {
	return cat(componentHeader,
		section(0, str("component-name"), []byte("demo")),
		section(1, coreRun),
		section(2, []byte{0x01, 0x00, 0x00, 0x00}),                   // core instance 0 = instantiate module 0, no args
		section(6, []byte{0x01, 0x00, 0x00, 0x01, 0x00}, str("run")), // alias core func 0 = core export "run" of instance 0
		section(7, []byte{0x02, 0x42, 0x00, 0x40, 0x00, 0x01, 0x00}), // type 0: empty instance type; type 1: func()
		section(10, []byte{0x01, 0x01}, str("wasi:cli/environment@0.2.0"), []byte{0x05, 0x00}),
		section(8, []byte{0x01, 0x00, 0x00, 0x00, 0x00, 0x01}), // canon lift core func 0, no options, type 1
		section(11, []byte{0x01, 0x00}, str("run"), []byte{0x01, 0x00, 0x00}),
	)
}

func TestParseComponent(t *testing.T) {
	b := testComponent()
	if !wasmbin.IsComponent(b) {
		t.Fatal("IsComponent = false")
	}
	bin, err := wasmbin.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	c := bin.Component
	if c == nil || bin.Module != nil {
		t.Fatalf("Parse returned %+v, want a component", bin)
	}
	var names []string
	for _, s := range c.Sections {
		names = append(names, s.Name)
	}
	want := []string{"component-name", "core module", "core instance", "alias", "type", "import", "canon", "export"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("sections = %q\nwant %q", names, want)
	}
	if c.Version != 0x0d || c.Size != len(b) {
		t.Errorf("version = %#x, size = %d", c.Version, c.Size)
	}
	if want := []wasmbin.ComponentExtern{{Name: "wasi:cli/environment@0.2.0", Kind: "instance"}}; !reflect.DeepEqual(c.Imports, want) {
		t.Errorf("imports = %+v", c.Imports)
	}
	if want := []wasmbin.ComponentExtern{{Name: "run", Kind: "func"}}; !reflect.DeepEqual(c.Exports, want) {
		t.Errorf("exports = %+v", c.Exports)
	}
	if len(c.Modules) != 1 || !c.Modules[0].ExportedFunc("run") || len(c.Modules[0].Memories) != 1 {
		t.Fatalf("embedded modules = %+v", c.Modules)
	}
	if c.CustomSections[0].Name != "component-name" || c.CustomSections[0].Size != 4 {
		t.Errorf("custom sections = %+v", c.CustomSections)
	}
}

func TestParseComponentErrorsHaveAbsoluteOffsets(t *testing.T) {
	// A malformed core module embedded in a component: the offset must be
	// counted from the start of the component, not of the embedded module.
	bad := cat([]byte("\x00asm\x01\x00\x00\x00"), section(1, []byte{0x01, 0x61}))
	b := cat(componentHeader, section(1, bad))
	_, err := wasmbin.Parse(b)
	var fe *wasmbin.FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want *FormatError", err)
	}
	// header 8 + section id 1 + size 1 + module header 8 + id 1 + size 1 + count 1
	if fe.Offset != 21 || b[fe.Offset] != 0x61 {
		t.Errorf("offset = %d (%v), want 21", fe.Offset, err)
	}
}

func TestParseNestedComponents(t *testing.T) {
	inner := testComponent()
	outer := cat(componentHeader, section(4, inner))
	c, err := wasmbin.ParseComponent(outer)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Components) != 1 || len(c.Components[0].Modules) != 1 || c.Components[0].Exports[0].Name != "run" {
		t.Errorf("nested = %+v", c.Components)
	}
	// Nesting beyond the limit is refused rather than recursed into.
	deep := cat(componentHeader)
	for range 40 {
		deep = cat(componentHeader, section(4, deep))
	}
	if _, err := wasmbin.Parse(deep); err == nil {
		t.Error("40 nested components parsed; want a nesting error")
	}
}

func TestParseComponentOtherVersion(t *testing.T) {
	// Another pre-standard version: sections are listed, names are not decoded.
	b := testComponent()
	b[4] = 0x0a
	c, err := wasmbin.ParseComponent(b)
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != 0x0a || len(c.Sections) != 8 || c.Imports != nil || c.Exports != nil {
		t.Errorf("version 0x0a component = %+v", c)
	}
}

func TestCoreParserRefusesComponent(t *testing.T) {
	_, err := wasmbin.ParseModule(testComponent())
	var fe *wasmbin.FormatError
	if !errors.As(err, &fe) || fe.Offset != 4 {
		t.Errorf("ParseModule(component) = %v, want a FormatError at offset 4", err)
	}
}

// module assembles a core module from sections.
func module(sections ...[]byte) []byte {
	return cat(append([][]byte{[]byte("\x00asm\x01\x00\x00\x00")}, sections...)...)
}

func TestSegmentsLocalsAndNames(t *testing.T) {
	typ := section(1, []byte{0x01, 0x60, 0x00, 0x00})
	fn := section(3, []byte{0x01, 0x00})
	body := func(locals ...[]byte) []byte {
		b := cat(leb(nil, uint64(len(locals))), cat(locals...), []byte{0x0b})
		return section(10, []byte{0x01}, leb(nil, uint64(len(b))), b)
	}
	local := func(n uint64, typ byte) []byte { return append(leb(nil, n), typ) }
	table := section(4, []byte{0x01, 0x70, 0x00, 0x01})
	mem := section(5, []byte{0x01, 0x00, 0x01})
	cases := []struct {
		name string
		wasm []byte
		ok   bool
	}{
		{"50000 locals", module(typ, fn, body(local(49999, 0x7f), local(1, 0x7e))), true},
		{"50001 locals", module(typ, fn, body(local(50000, 0x7f), local(1, 0x7e))), false},
		{"bad local type", module(typ, fn, body(local(1, 0x01))), false},
		{"element segments of every form", module(typ, fn, table,
			section(9, []byte{0x08},
				[]byte{0x00, 0x41, 0x00, 0x0b, 0x01, 0x00},                         // active, funcidx
				[]byte{0x01, 0x00, 0x01, 0x00},                                     // passive, funcidx
				[]byte{0x02, 0x00, 0x41, 0x00, 0x0b, 0x00, 0x01, 0x00},             // active table 0, funcidx
				[]byte{0x03, 0x00, 0x01, 0x00},                                     // declarative, funcidx
				[]byte{0x04, 0x41, 0x00, 0x0b, 0x01, 0xd2, 0x00, 0x0b},             // active, exprs
				[]byte{0x05, 0x70, 0x01, 0xd0, 0x70, 0x0b},                         // passive, exprs
				[]byte{0x06, 0x00, 0x41, 0x00, 0x0b, 0x70, 0x01, 0xd2, 0x00, 0x0b}, // active table 0, exprs
				[]byte{0x07, 0x70, 0x01, 0xd2, 0x00, 0x0b}),                        // declarative, exprs
			body()), true},
		{"element flags 8", module(typ, fn, table, section(9, []byte{0x01, 0x08}), body()), false},
		{"element count past end", module(typ, fn, table, section(9, []byte{0x01, 0x01, 0x00, 0x05, 0x00}), body()), false},
		{"data segments of every form", module(mem, section(12, []byte{0x03}),
			section(11, []byte{0x03}, []byte{0x00, 0x41, 0x00, 0x0b, 0x02, 'h', 'i'}, []byte{0x01, 0x00},
				[]byte{0x02, 0x00, 0x41, 0x08, 0x0b, 0x01, '!'})), true},
		{"data count mismatch", module(mem, section(12, []byte{0x02}), section(11, []byte{0x01, 0x01, 0x00})), false},
		{"data bytes past end", module(mem, section(11, []byte{0x01, 0x01, 0x05, 'a'})), false},
		{"name section", module(typ, fn, body(), section(0, str("name"),
			section(0, str("m")), section(1, []byte{0x01, 0x00}, str("f")),
			section(2, []byte{0x01, 0x00, 0x01, 0x00}, str("x")), section(9, []byte("skipped")))), true},
		{"name map count past end", module(section(0, str("name"), section(1, []byte{0x05, 0x00}, str("f")))), false},
		{"name subsection past end", module(section(0, str("name"), []byte{0x01, 0x09, 0x00})), false},
		{"other custom sections are opaque", module(section(0, str("names"), []byte{0x01, 0x09, 0x00})), true},
	}
	// The accepted modules are valid: wazero compiles them too.
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer rt.Close(ctx)
	for _, c := range cases {
		_, err := wasmbin.ParseModule(c.wasm)
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v, want ok=%v", c.name, err, c.ok)
		}
		if c.ok {
			if _, err := rt.CompileModule(ctx, c.wasm); err != nil {
				t.Errorf("%s: wazero rejects the module: %v", c.name, err)
			}
		}
	}
}
