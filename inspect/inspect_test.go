package inspect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/inspect"
	"github.com/wasmhive/wasmhive/internal/testguest"
	"github.com/wasmhive/wasmhive/internal/wasmbin"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

type guest struct {
	name          string
	path          func(t *testing.T) string
	pattern, wasi string
	runs          bool // wazero compiles it (no post-MVP proposals wazero lacks)
}

func committed(rel string) func(t *testing.T) string {
	return func(t *testing.T) string { return testguest.Path(t, rel) }
}

var guests = []guest{
	{"wat command", committed("inspect/kinds.wasm"), "command", "preview1", true},
	{"wat library", committed("inspect/library.wasm"), "library", "none", true},
	{"wat wasi_unstable", committed("inspect/unstable.wasm"), "command", "preview0/unstable", true},
	{"wat multi-memory reactor", committed("inspect/memories.wasm"), "reactor", "none", false},
	{"wat tags", committed("inspect/tags.wasm"), "reactor", "none", false},
	{"C command", committed("inspect/hello.wasm"), "command", "preview1", true},
	{"C reactor", committed("inspect/calc.wasm"), "reactor", "none", true},
	{"Go command", func(t *testing.T) string { return testguest.GoCommand(t, "inspect/gocmd") }, "command", "preview1", true},
	{"Go reactor", func(t *testing.T) string { return testguest.GoReactor(t, "inspect/goreactor") }, "reactor", "preview1", true},
}

func TestPatternAndWASI(t *testing.T) {
	for _, g := range guests {
		t.Run(g.name, func(t *testing.T) {
			r, err := inspect.File(g.path(t))
			if err != nil {
				t.Fatal(err)
			}
			if r.Pattern != g.pattern || r.WASI != g.wasi || r.Kind != "module" {
				t.Errorf("kind %s, pattern %s (%s), wasi %s; want module, %s, %s", r.Kind, r.Pattern, r.PatternReason, r.WASI, g.pattern, g.wasi)
			}
		})
	}
}

// The pattern inspect reports must be the one the engine uses to run the
// module.
func TestPatternAgreesWithEngine(t *testing.T) {
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, engine.Config{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	n := 0
	for _, g := range guests {
		if !g.runs {
			continue
		}
		t.Run(g.name, func(t *testing.T) {
			p := g.path(t)
			r, err := inspect.File(p)
			if err != nil {
				t.Fatal(err)
			}
			m, err := rt.CompileFile(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Pattern().String(); got != r.Pattern {
				t.Errorf("engine says %s, inspect says %s", got, r.Pattern)
			}
			n++
		})
	}
	if n < 6 {
		t.Errorf("compared %d guests, want at least 6", n)
	}
}

func TestImportsExportsMemories(t *testing.T) {
	r, err := inspect.File(testguest.Path(t, "inspect/kinds.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	var groups []string
	for _, g := range r.Imports {
		var items []string
		for _, it := range g.Items {
			items = append(items, it.Kind+" "+it.Name)
		}
		groups = append(groups, g.Module+": "+strings.Join(items, ", "))
	}
	want := []string{
		"wasi_snapshot_preview1: func fd_write, func proc_exit",
		"env: func log, table table, memory memory, global counter, global seed",
	}
	if !reflect.DeepEqual(groups, want) {
		t.Errorf("import groups:\n%s\nwant\n%s", strings.Join(groups, "\n"), strings.Join(want, "\n"))
	}
	fdWrite := r.Imports[0].Items[0]
	if fdWrite.Signature != "(i32, i32, i32, i32) -> (i32)" || len(fdWrite.Type.Params) != 4 || !reflect.DeepEqual(fdWrite.Type.Results, []string{"i32"}) {
		t.Errorf("fd_write = %+v", fdWrite)
	}
	if len(r.Memories) != 1 {
		t.Fatalf("memories = %+v", r.Memories)
	}
	mem := r.Memories[0]
	if mem.Import != "env.memory" || mem.MinPages != 1 || mem.MaxPages == nil || *mem.MaxPages != 16 || !reflect.DeepEqual(mem.Exports, []string{"mem"}) {
		t.Errorf("memory = %+v", mem)
	}
	exports := map[string]string{}
	for _, e := range r.Exports {
		exports[e.Name] = e.Kind + " " + e.Signature
	}
	wantExports := map[string]string{
		"_start": "func ()", "add": "func (i32, i32) -> (i32)", "imported_log": "func (i64, f32, f64) -> (i32, i64)",
		"mem": "memory ", "tbl": "table ", "g": "global ",
	}
	if !reflect.DeepEqual(exports, wantExports) {
		t.Errorf("exports = %v\nwant %v", exports, wantExports)
	}
}

func TestMemories(t *testing.T) {
	r, err := inspect.File(testguest.Path(t, "inspect/memories.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	type mem struct {
		idx         uint32
		imported    bool
		min         uint64
		max         int64 // -1: none
		shared, m64 bool
		exports     string
	}
	var got []mem
	for _, m := range r.Memories {
		max := int64(-1)
		if m.MaxPages != nil {
			max = int64(*m.MaxPages)
		}
		got = append(got, mem{m.Index, m.Import != "", m.MinPages, max, m.Shared, m.Memory64, strings.Join(m.Exports, ",")})
	}
	want := []mem{
		{0, true, 1, 4, true, false, ""},
		{1, false, 2, 256, false, false, "memory"},
		{2, false, 0, -1, false, false, "scratch"},
		{3, false, 3, 100000, false, true, ""},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("memories = %+v\nwant %+v", got, want)
	}
}

func TestCustomSections(t *testing.T) {
	r, err := inspect.File(testguest.Path(t, "inspect/kinds.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range r.CustomSections {
		got = append(got, c.Name)
	}
	if !reflect.DeepEqual(got, []string{"name", "empty", "wasmhive.note"}) || r.CustomSections[2].Size != 10 || r.CustomSections[1].Size != 0 {
		t.Errorf("custom sections = %+v", r.CustomSections)
	}
}

func TestComponent(t *testing.T) {
	r, err := inspect.Inspect(testComponent())
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind != "component" || r.Pattern != "component" || r.WASI != "0.2" || r.Component == nil {
		t.Fatalf("kind %s, pattern %s, wasi %s, component %v", r.Kind, r.Pattern, r.WASI, r.Component)
	}
	c := r.Component
	if c.Version != 13 || len(c.Imports) != 2 || c.Imports[0].Name != "wasi:cli/environment@0.2.0" || c.Imports[0].Kind != "instance" {
		t.Errorf("component = %+v", c)
	}
	if len(c.Exports) != 1 || c.Exports[0] != (inspect.ComponentExtern{Name: "run", Kind: "func"}) {
		t.Errorf("exports = %+v", c.Exports)
	}
	if len(c.CoreModules) != 1 {
		t.Fatalf("core modules = %d", len(c.CoreModules))
	}
	core := c.CoreModules[0]
	if core.Kind != "module" || core.Pattern != "reactor" || len(core.Memories) != 1 || core.Exports[0].Name != "run" {
		t.Errorf("core module = %+v", core)
	}
	var text bytes.Buffer
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"component (binary version 13)", "instance  wasi:cli/environment@0.2.0", "core module 0", "func  run"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, text.String())
		}
	}
}

func TestComponentWASIVersion(t *testing.T) {
	for _, c := range []struct {
		imports []string
		want    string
	}{
		{nil, "none"},
		{[]string{"my:pkg/iface"}, "none"},
		{[]string{"wasi:io/streams@0.2.3"}, "0.2"},
		{[]string{"wasi:http/types"}, "0.2"},
		{[]string{"wasi:cli/stdout@0.3.0-rc-2025-09-16"}, "0.3"},
	} {
		r, err := inspect.Inspect(componentImporting(c.imports...))
		if err != nil {
			t.Fatal(err)
		}
		if r.WASI != c.want {
			t.Errorf("imports %q: wasi = %s, want %s", c.imports, r.WASI, c.want)
		}
	}
}

func TestFileErrors(t *testing.T) {
	dir := t.TempDir()
	notWasm := filepath.Join(dir, "x.wasm")
	os.WriteFile(notWasm, []byte("hello"), 0o644)
	kinds, _ := os.ReadFile(testguest.Path(t, "inspect/kinds.wasm"))
	truncated := filepath.Join(dir, "t.wasm")
	os.WriteFile(truncated, kinds[:len(kinds)/2], 0o644)
	for _, c := range []struct{ path, want string }{
		{filepath.Join(dir, "missing.wasm"), "missing.wasm: no such file"},
		{dir, "is a directory"},
		{notWasm, "x.wasm: not a WebAssembly binary"},
		{truncated, "t.wasm: malformed WebAssembly at byte"},
	} {
		_, err := inspect.File(c.path)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("File(%s) = %v, want one line containing %q", c.path, err, c.want)
		}
	}
	_, err := inspect.File(notWasm)
	if !errors.Is(err, wasmbin.ErrNotWasm) {
		t.Errorf("errors.Is(%v, ErrNotWasm) = false", err)
	}
}

// TestJSONGolden pins the --json schema: field names, nesting and values
// for a module and a component. Run with -update after a deliberate change
// (and bump SchemaVersion if a field was removed or changed meaning).
func TestJSONGolden(t *testing.T) {
	cases := map[string][]byte{"component.json": testComponent()}
	kinds, err := os.ReadFile(testguest.Path(t, "inspect/kinds.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	cases["kinds.json"] = kinds
	names := make([]string, 0, len(cases))
	for n := range cases {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		r, err := inspect.Inspect(cases[name])
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := r.WriteJSON(&buf); err != nil {
			t.Fatal(err)
		}
		got := buf.Bytes()
		golden := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the golden file (run go test ./inspect -run JSONGolden -update):\n%s", name, got)
		}
		var m map[string]any
		if err := json.Unmarshal(got, &m); err != nil || m["schema_version"] != float64(1) {
			t.Errorf("%s: schema_version = %v (%v)", name, m["schema_version"], err)
		}
	}
}

func TestImportsGroupedByFirstAppearance(t *testing.T) {
	// Imports interleave modules: env.a, wasi.b, env.c -> groups env [a c], wasi [b].
	imp := func(mod, name string) []byte { return cat(str(mod), str(name), []byte{0x00, 0x00}) }
	b := cat([]byte("\x00asm\x01\x00\x00\x00"),
		section(1, []byte{0x01, 0x60, 0x01, 0x7f, 0x00}),
		section(2, []byte{0x03}, imp("env", "a"), imp("wasi_snapshot_preview1", "b"), imp("env", "c")))
	r, err := inspect.Inspect(b)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range r.Imports {
		for _, it := range g.Items {
			got = append(got, g.Module+"."+it.Name+it.Signature)
		}
	}
	want := []string{"env.a(i32)", "env.c(i32)", "wasi_snapshot_preview1.b(i32)"}
	if !reflect.DeepEqual(got, want) || r.Pattern != "reactor" || r.PatternReason != "exports no _start (and no functions)" {
		t.Errorf("imports %v, pattern %s (%s); want %v", got, r.Pattern, r.PatternReason, want)
	}
}
