package component

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive/wit"
)

// TestWITGolden recovers the WIT of the committed components and compares
// it byte for byte with what `wasm-tools component wit` (1.263.0) printed
// for them (component/testdata/wit/*.wit).
func TestWITGolden(t *testing.T) {
	for _, name := range []string{"cmd", "reactor", "types"} {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("../testdata/components", name+".wasm"))
			if err != nil {
				t.Fatal(err)
			}
			c, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			r, w, err := c.WIT()
			if err != nil {
				t.Fatal(err)
			}
			compareGolden(t, name, wit.Print(r, w.Package))
		})
	}
}

// TestModuleWIT recovers the world of a core module from its
// component-type section: types.c embedded with wit/test.wit. (jco's
// preview1 adapter, a core module whose section imports all of WASI 0.2,
// printed the same as wasm-tools too; it is not ours to commit.)
func TestModuleWIT(t *testing.T) {
	for _, name := range []string{"types.embed"} {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata/wit", name+".wasm"))
			if err != nil {
				t.Fatal(err)
			}
			r, w, err := ModuleWIT(b)
			if err != nil {
				t.Fatal(err)
			}
			if w == nil {
				t.Fatal("no world recovered")
			}
			compareGolden(t, name, wit.Print(r, w.Package))
		})
	}
	// A core module without the section has no world.
	if r, w, err := ModuleWIT([]byte("\x00asm\x01\x00\x00\x00")); r != nil || w != nil || err != nil {
		t.Errorf("ModuleWIT(empty module) = %v, %v, %v; want nothing", r, w, err)
	}
}

func compareGolden(t *testing.T, name, got string) {
	t.Helper()
	want, err := os.ReadFile(filepath.Join("testdata/wit", name+".wit"))
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s: line %d: got %q, want %q\ngot:\n%s", name, i+1, g, w, got)
			}
		}
	}
}

// TestWITPackage decodes a WIT package binary (testdata/components/wit
// encoded by `wasm-tools component wit --wasm`).
func TestWITPackage(t *testing.T) {
	b, err := os.ReadFile("testdata/wit/test-package.wasm")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if !c.IsWITPackage() {
		t.Fatal("IsWITPackage = false")
	}
	if _, _, err := c.WIT(); err == nil {
		t.Error("WIT of a WIT package: no error")
	}
	r, p, err := c.WITPackage()
	if err != nil {
		t.Fatal(err)
	}
	compareGolden(t, "test-package", wit.Print(r, p))
	for _, name := range []string{"test-package", "docs-package"} {
		b, err := os.ReadFile(filepath.Join("testdata/wit", name+".wasm"))
		if err != nil {
			t.Fatal(err)
		}
		r, p, err := DecodeWITPackage(b)
		if err != nil {
			t.Fatal(err)
		}
		compareGolden(t, name, wit.Print(r, p))
	}
}

// TestWITNotRepresentable: nested.wasm exports a type, which a world
// cannot (wasm-tools component wit refuses it too).
func TestWITNotRepresentable(t *testing.T) {
	b, err := os.ReadFile("../testdata/components/nested.wasm")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.WIT()
	if err == nil || !strings.Contains(err.Error(), `export "point"`) {
		t.Fatalf("got %v, want an error about export \"point\"", err)
	}
	t.Log(err)
}

// checkWIT runs the bridge on b (as a component, and as a core module):
// it must not panic, and what it recovers must print.
func checkWIT(t testing.TB, b []byte) (recovered bool) {
	if c, err := Decode(b); err == nil {
		if r, w, err := c.WIT(); err == nil {
			_ = wit.Print(r, w.Package)
			recovered = true
		}
		if r, p, err := c.WITPackage(); err == nil {
			_ = wit.Print(r, p)
			recovered = true
		}
	}
	if r, p, err := DecodeWITPackage(b); err == nil {
		_ = wit.Print(r, p)
	}
	if r, w, err := ModuleWIT(b); err == nil && w != nil {
		_ = wit.Print(r, w.Package)
	}
	return recovered
}

// FuzzWIT: inputs that decode must not panic the bridge.
func FuzzWIT(f *testing.F) {
	for _, b := range corpus(f) {
		if len(b) < 8192 {
			f.Add(b)
		}
	}
	for _, n := range []string{"types.embed.wasm", "test-package.wasm", "docs-package.wasm"} {
		if b, err := os.ReadFile(filepath.Join("testdata/wit", n)); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkWIT(t, b) })
}

// TestWITMutations runs the bridge on mutations of the committed
// components' own sections (and of the core module's component-type
// section) that still decode.
func TestWITMutations(t *testing.T) {
	for name, b := range corpus(t) {
		n := 0
		for _, m := range mutationsIn(b, componentRanges(t, b), 300, uint64(len(b))) {
			if checkWIT(t, m) {
				n++
			}
		}
		t.Logf("%s: %d of 300 mutations recovered", name, n)
	}
	b, err := os.ReadFile("testdata/wit/types.embed.wasm")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mutations(b, 300, 7) {
		checkWIT(t, m)
	}
}

// TestWITSharedTypes: a type built of shared parts (tuple<t, t> nested 64
// deep) would expand to 2^64 parts; the bridge refuses it quickly.
func TestWITSharedTypes(t *testing.T) {
	vt := Prim(U8)
	for range 64 {
		vt = &ValueType{Kind: Tuple, Types: []*ValueType{vt, vt}}
	}
	ct := &ComponentType{Imports: []Extern{{Name: "f", Desc: ExternDesc{Sort: SortFunc, Type: &FuncType{Params: []Param{{Name: "x", Type: vt}}}}}}}
	_, _, err := worldOf(ct, wit.PackageName{Namespace: "root", Name: "component"}, "root", false)
	if err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("got %v, want a types too large error", err)
	}
}
