package linker

import (
	"bytes"
	"testing"

	"github.com/wasmhive/wasmhive/internal/wasmbin"
)

// importsModule is a core module importing one item of each kind (func,
// table, memory, global, tag) from "a" and "b", with a function and an
// export after the import section.
var importsModule = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
	// type section: (func)
	0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
	// import section: 5 imports
	0x02, 0x25, 0x05,
	0x01, 'a', 0x01, 'f', 0x00, 0x00, // func type 0
	0x01, 'a', 0x01, 't', 0x01, 0x70, 0x00, 0x01, // table funcref min 1
	0x01, 'b', 0x01, 'm', 0x02, 0x01, 0x01, 0x02, // memory min 1 max 2
	0x01, 'b', 0x01, 'g', 0x03, 0x7f, 0x01, // global mut i32
	0x01, 'a', 0x01, 'e', 0x04, 0x00, 0x00, // tag type 0
	// function section: 1 function of type 0
	0x03, 0x02, 0x01, 0x00,
	// export section: "run" func 1
	0x07, 0x07, 0x01, 0x03, 'r', 'u', 'n', 0x00, 0x01,
	// code section: 1 body, no locals, end
	0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
}

func TestRenameImports(t *testing.T) {
	if _, err := wasmbin.ParseModule(importsModule); err != nil {
		t.Fatalf("test module: %v", err)
	}
	out, err := renameImports(importsModule, func(module, field string) (string, string, bool) {
		return "i" + module, field + "-renamed", true
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := wasmbin.ParseModule(out)
	if err != nil {
		t.Fatalf("renamed module does not parse: %v", err)
	}
	want := []struct{ mod, name string }{{"ia", "f-renamed"}, {"ia", "t-renamed"}, {"ib", "m-renamed"}, {"ib", "g-renamed"}, {"ia", "e-renamed"}}
	if len(m.Imports) != len(want) {
		t.Fatalf("%d imports, want %d", len(m.Imports), len(want))
	}
	orig, _ := wasmbin.ParseModule(importsModule)
	for i, w := range want {
		imp := m.Imports[i]
		if imp.Module != w.mod || imp.Name != w.name {
			t.Errorf("import %d: %s.%s, want %s.%s", i, imp.Module, imp.Name, w.mod, w.name)
		}
		o := orig.Imports[i]
		o.Module, o.Name = imp.Module, imp.Name
		if o != imp {
			t.Errorf("import %d: %+v, want %+v", i, imp, o)
		}
	}
	if len(m.Exports) != 1 || m.Exports[0].Name != "run" || len(m.Functions) != 1 {
		t.Errorf("the rest of the module changed: exports %+v, functions %v", m.Exports, m.Functions)
	}
	// The sections after the import section are kept byte for byte.
	if !bytes.HasSuffix(out, importsModule[len(importsModule)-19:]) {
		t.Error("the sections after the imports changed")
	}

	if _, err := renameImports(importsModule, func(module, field string) (string, string, bool) {
		return "", "", field != "g"
	}); err == nil {
		t.Error("renameImports went on after rename refused an import")
	}
	if _, err := renameImports(importsModule[:20], func(m, f string) (string, string, bool) { return m, f, true }); err == nil {
		t.Error("renameImports accepted a truncated module")
	}
}
