package wasmbin_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/wasmhive/wasmhive/internal/wasmbin"
)

// FuzzParse feeds arbitrary bytes to Parse: it must never panic, every error
// must be a *FormatError pointing inside the input, and what it reports about
// a binary it accepts must lie inside the binary.
//
//	go test ./wasmbin -run '^$' -fuzz '^FuzzParse$' -fuzztime 10s
func FuzzParse(f *testing.F) {
	for _, name := range []string{"kinds.wasm", "memories.wasm", "tags.wasm", "library.wasm", "unstable.wasm"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "guests", "inspect", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(testComponent())
	f.Add(coreRun)
	f.Fuzz(func(t *testing.T, b []byte) {
		bin, err := wasmbin.Parse(b)
		if err != nil {
			var fe *wasmbin.FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T %v is not a *FormatError", err, err)
			}
			if fe.Offset < 0 || fe.Offset > len(b) {
				t.Fatalf("error offset %d outside the %d-byte input: %v", fe.Offset, len(b), err)
			}
			return
		}
		if (bin.Module == nil) == (bin.Component == nil) {
			t.Fatalf("want exactly one of Module and Component: %+v", bin)
		}
		if bin.Module != nil {
			checkModule(t, bin.Module, 0, len(b))
			return
		}
		checkComponent(t, bin.Component, 0, len(b))
	})
}

func checkSections(t *testing.T, secs []wasmbin.Section, customs []wasmbin.CustomSection, lo, hi int) {
	t.Helper()
	for _, s := range secs {
		if s.Offset < lo || s.Size < 0 || s.Offset+s.Size > hi {
			t.Fatalf("section %+v outside [%d, %d)", s, lo, hi)
		}
	}
	for _, c := range customs {
		if c.Offset < lo || c.Size < 0 || c.Offset+c.Size > hi {
			t.Fatalf("custom section %+v outside [%d, %d)", c, lo, hi)
		}
	}
}

func checkModule(t *testing.T, m *wasmbin.Module, lo, hi int) {
	t.Helper()
	checkSections(t, m.Sections, m.CustomSections, lo, hi)
	for _, e := range m.Exports {
		if e.Kind == wasmbin.KindFunc {
			if ft, ok := m.FuncType(e.Index); ok {
				_ = ft.String()
			}
		}
		if e.Kind == wasmbin.KindMemory {
			m.MemoryAt(e.Index)
		}
	}
}

func checkComponent(t *testing.T, c *wasmbin.Component, lo, hi int) {
	t.Helper()
	checkSections(t, c.Sections, c.CustomSections, lo, hi)
	for _, m := range c.Modules {
		checkModule(t, m, lo, hi)
	}
	for _, n := range c.Components {
		checkComponent(t, n, lo, hi)
	}
}
