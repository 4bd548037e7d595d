package wit_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive/wit"
)

// roundTrip prints r, resolves the text again and checks that printing
// that gives the same text (parse(print(x)) == x, compared through the
// canonical text).
func roundTrip(t *testing.T, r *wit.Resolve, main *wit.Package) string {
	t.Helper()
	text := wit.Print(r, main)
	r2, main2, err := wit.ResolveSource("printed.wit", []byte(text))
	if err != nil {
		t.Fatalf("printed WIT does not resolve: %v\n%s", err, text)
	}
	if len(r2.Packages) != len(r.Packages) {
		t.Fatalf("printed WIT has %d packages, want %d", len(r2.Packages), len(r.Packages))
	}
	if again := wit.Print(r2, main2); again != text {
		t.Fatalf("print is not a fixed point:\n%s", lineDiff(text, again))
	}
	return text
}

func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "line " + strconv.Itoa(i+1) + ":\n- " + x + "\n+ " + y
		}
	}
	return "(same)"
}

func findIface(t *testing.T, r *wit.Resolve, id string) *wit.Interface {
	t.Helper()
	for _, p := range r.Packages {
		for _, i := range p.Interfaces {
			if i.ID() == id {
				return i
			}
		}
	}
	t.Fatalf("interface %s not found", id)
	return nil
}

func findFunc(t *testing.T, i *wit.Interface, name string) *wit.Function {
	t.Helper()
	for _, f := range i.Functions {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("function %s not found in %s", name, i.ID())
	return nil
}

func TestWASI(t *testing.T) {
	r, main, err := wit.ResolveDir("testdata/wasi")
	if err != nil {
		t.Fatal(err)
	}
	if got := main.Name.String(); got != "wasmhive:fixtures@0.1.0" {
		t.Fatalf("main package %s", got)
	}
	var names []string
	for _, p := range r.Packages {
		names = append(names, p.Name.String())
	}
	want := []string{"wasi:cli@0.2.4", "wasi:clocks@0.2.4", "wasi:filesystem@0.2.4", "wasi:http@0.2.4", "wasi:io@0.2.4", "wasi:random@0.2.4", "wasi:sockets@0.2.4", "wasmhive:fixtures@0.1.0"}
	for _, w := range want {
		found := false
		for _, n := range names {
			found = found || n == w
		}
		if !found {
			t.Errorf("package %s missing (have %v)", w, names)
		}
	}
	if r.Packages[len(r.Packages)-1] != main {
		t.Errorf("the root package should come last (dependencies first)")
	}

	streams := findIface(t, r, "wasi:io/streams@0.2.4")
	read := findFunc(t, streams, "[method]input-stream.read")
	if read.Kind != wit.FuncMethod || read.Resource.Name != "input-stream" || len(read.Params) != 2 || read.Params[0].Name != "self" {
		t.Errorf("input-stream.read: %+v", read)
	}
	if h, ok := read.Params[0].Type.(*wit.Handle); !ok || !h.Borrow {
		t.Errorf("self is not a borrow: %#v", read.Params[0].Type)
	}
	res, ok := read.Result.(*wit.Result)
	if !ok {
		t.Fatalf("read result %#v", read.Result)
	}
	if l, ok := res.OK.(*wit.List); !ok || l.Elem != wit.U8 {
		t.Errorf("read ok type %#v", res.OK)
	}
	if se, ok := res.Err.(*wit.TypeDef); !ok || se.Name != "stream-error" || se.Kind != wit.KindVariant {
		t.Errorf("read err type %#v", res.Err)
	}
	if read.Stability.Since != "0.2.0" {
		t.Errorf("read stability %+v", read.Stability)
	}

	fields := findIface(t, r, "wasi:http/types@0.2.4")
	ctor := findFunc(t, fields, "[constructor]fields")
	if td, ok := ctor.Result.(*wit.TypeDef); !ok || td.Name != "fields" || td.Kind != wit.KindResource {
		t.Errorf("fields constructor result %#v", ctor.Result)
	}
	fromList := findFunc(t, fields, "[static]fields.from-list")
	if fromList.Kind != wit.FuncStatic {
		t.Errorf("from-list kind %v", fromList.Kind)
	}
	// A used type is an alias to the other interface's definition.
	var ioErr *wit.TypeDef
	for _, td := range fields.TypeDefs {
		if td.Name == "io-error" {
			ioErr = td
		}
	}
	if ioErr == nil || ioErr.Kind != wit.KindAlias || ioErr.Target().Interface.ID() != "wasi:io/error@0.2.4" || ioErr.Target().Name != "error" {
		t.Errorf("io-error use: %+v", ioErr)
	}

	if r.Interface("wasi:io/streams@0.2.4") != streams || r.Package("wasi:io@0.2.4") != streams.Package || r.Interface("wasi:io/nope@0.2.4") != nil {
		t.Errorf("lookups")
	}
	if w := r.Package("wasi:cli@0.2.4").World("command"); w == nil || len(w.Exports) != 1 || w.Exports[0].Key() != "wasi:cli/run@0.2.4" {
		t.Errorf("wasi:cli world command: %+v", w)
	}
	exit := findIface(t, r, "wasi:cli/exit@0.2.4")
	if f := findFunc(t, exit, "exit-with-code"); f.Stability.Unstable != "cli-exit-with-code" {
		t.Errorf("exit-with-code stability %+v", f.Stability)
	}

	// The world: includes flattened, dependencies imported.
	w := main.Worlds[0]
	keys := map[string]bool{}
	for _, it := range w.Imports {
		keys[it.Key()] = true
	}
	for _, k := range []string{"wasi:io/error@0.2.4", "wasi:cli/environment@0.2.4", "wasi:http/types@0.2.4", "wasi:http/outgoing-handler@0.2.4", "wasi:clocks/timezone@0.2.4"} {
		if !keys[k] {
			t.Errorf("world all does not import %s", k)
		}
	}
	if len(w.Exports) != 2 || w.Exports[0].Key() != "wasi:cli/run@0.2.4" || w.Exports[1].Key() != "wasi:http/incoming-handler@0.2.4" {
		t.Errorf("exports: %v", w.Exports)
	}
	text := roundTrip(t, r, main)
	for _, s := range []string{
		"package wasi:io@0.2.4 {\n",
		"    use error.{error};\n",
		"      read: func(len: u64) -> result<list<u8>, stream-error>;\n",
		"      constructor();\n",
		"      from-list: static func(entries: list<tuple<field-name, field-value>>) -> result<fields, header-error>;\n",
		"    @unstable(feature = cli-exit-with-code)\n",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("printed WIT lacks %q", s)
		}
	}
}

func TestFeatures(t *testing.T) {
	r, main, err := wit.ResolveDir("testdata/features/features.wit")
	if err != nil {
		t.Fatal(err)
	}
	text := roundTrip(t, r, main)
	golden := "testdata/features/features.wit.print"
	if os.Getenv("WIT_UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(golden, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if text != string(want) {
		t.Errorf("printed WIT differs from %s (WIT_UPDATE_GOLDEN=1 to update):\n%s", golden, lineDiff(string(want), text))
	}

	types := findIface(t, r, "local:features/types@1.2.3-rc.1+build.5")
	if types.Docs[0] != "Block doc comment on an interface." || types.Stability.Since != "1.0.0" {
		t.Errorf("types docs/stability: %q %+v", types.Docs, types.Stability)
	}
	write := findFunc(t, types, "[async method]file.write")
	if !write.Async {
		t.Errorf("write not async")
	}
	var old *wit.TypeDef
	for _, td := range types.TypeDefs {
		if td.Name == "old" {
			old = td
		}
	}
	if l, ok := old.Alias.(*wit.List); !ok || l.Len != 4 || old.Stability.Deprecated != "1.2.0" {
		t.Errorf("old: %+v", old)
	}
	var full *wit.World
	for _, w := range main.Worlds {
		if w.Name == "full" {
			full = w
		}
	}
	keys := []string{}
	for _, it := range full.Imports {
		keys = append(keys, it.Key())
	}
	for _, k := range []string{"hello", "greet", "primary", "inline", "alias", "local-rec", "local:features/types@1.2.3-rc.1+build.5"} {
		if !strings.Contains(" "+strings.Join(keys, " ")+" ", " "+k+" ") {
			t.Errorf("world full lacks import %s (has %v)", k, keys)
		}
	}
}

var wantRE = regexp.MustCompile(`^// want: (.*)`)

func TestErrors(t *testing.T) {
	files, _ := filepath.Glob("testdata/errors/*.wit")
	if len(files) < 20 {
		t.Fatalf("only %d error fixtures", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			m := wantRE.FindSubmatch(src)
			if m == nil {
				t.Fatal("no // want: line")
			}
			want := strings.TrimSuffix(string(m[1]), "'")
			_, _, err = wit.ResolveSource(filepath.Base(f), src)
			if err == nil {
				t.Fatalf("no error, want %s", want)
			}
			if !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("error\n  %s\nwant prefix\n  %s", err, want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
			var we *wit.Error
			if !asError(err, &we) || we.Pos.Line == 0 {
				t.Fatalf("error without a position: %#v", err)
			}
		})
	}
}

func asError(err error, target **wit.Error) bool {
	e, ok := err.(*wit.Error)
	if ok {
		*target = e
	}
	return ok
}

func TestMultiFilePackage(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.wit", "package local:m;\nworld w { import b; export c: func() -> t; use b.{t}; }\n")
	write("b.wit", "interface b { type t = u32; }\n")
	if err := os.MkdirAll(filepath.Join(dir, "deps", "other"), 0o755); err != nil {
		t.Fatal(err)
	}
	r, main, err := wit.ResolveDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(main.Interfaces) != 1 || len(main.Worlds) != 1 {
		t.Fatalf("package: %+v", main)
	}
	roundTrip(t, r, main)
	write("c.wit", "package local:other;\n")
	if _, _, err := wit.ResolveDir(dir); err == nil || !strings.Contains(err.Error(), "package local:other does not match package local:m") {
		t.Fatalf("mismatched packages: %v", err)
	}
}

// TestWasmToolsDifferential compares the printer with `wasm-tools component
// wit --all-features` (https://github.com/bytecodealliance/wasm-tools) on the
// same inputs: the texts must be identical, and wasm-tools' text must resolve
// here to the same packages. wasm-tools must also reject every error fixture.
// It skips when wasm-tools is not installed (`cargo install wasm-tools
// --locked`), unless WASMHIVE_REQUIRE_WASM_TOOLS is set (CI installs the
// version the goldens were made with: .ci/run).
func TestWasmToolsDifferential(t *testing.T) {
	tool, err := exec.LookPath("wasm-tools")
	if err != nil {
		home, _ := os.UserHomeDir()
		tool = filepath.Join(home, ".cargo", "bin", "wasm-tools")
		if _, err := os.Stat(tool); err != nil {
			if os.Getenv("WASMHIVE_REQUIRE_WASM_TOOLS") != "" {
				t.Fatalf("wasm-tools: not on PATH nor in %s", tool)
			}
			t.Skip("wasm-tools not installed (cargo install wasm-tools --locked)")
		}
	}
	for _, dir := range []string{"testdata/wasi", "testdata/features/features.wit"} {
		t.Run(dir, func(t *testing.T) {
			out, err := exec.Command(tool, "component", "wit", "--all-features", dir).CombinedOutput()
			if err != nil {
				t.Fatalf("wasm-tools: %v\n%s", err, out)
			}
			r, m, err := wit.ResolveDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			ours := wit.Print(r, m)
			if ours != string(out) {
				t.Errorf("differs from wasm-tools:\n%s", lineDiff(string(out), ours))
			}
			r1, m1, err := wit.ResolveSource("wasm-tools.wit", out)
			if err != nil {
				t.Fatalf("wasm-tools output does not resolve: %v", err)
			}
			if again := wit.Print(r1, m1); again != ours {
				t.Errorf("wasm-tools' text resolves differently:\n%s", lineDiff(ours, again))
			}
		})
	}
	files, _ := filepath.Glob("testdata/errors/*.wit")
	for _, f := range files {
		if out, err := exec.Command(tool, "component", "wit", "--all-features", f).CombinedOutput(); err == nil {
			t.Errorf("wasm-tools accepts %s:\n%s", f, out)
		}
	}
}

func TestJSON(t *testing.T) {
	r, main, err := wit.ResolveDir("testdata/wasi")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(main.Worlds[0])
	if err != nil {
		t.Fatal(err)
	}
	var w struct {
		Name    string
		Package string
		Imports []struct{ Name, Kind string }
		Exports []struct {
			Name      string
			Interface struct{ ID string }
		}
	}
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatal(err)
	}
	if w.Name != "all" || w.Package != "wasmhive:fixtures@0.1.0" || len(w.Imports) != len(main.Worlds[0].Imports) {
		t.Fatalf("world JSON: %s", b)
	}
	if w.Exports[0].Interface.ID != "wasi:cli/run@0.2.4" {
		t.Errorf("export 0: %+v", w.Exports[0])
	}
	b, err = json.Marshal(findIface(t, r, "wasi:io/streams@0.2.4"))
	if err != nil {
		t.Fatal(err)
	}
	var i struct {
		ID        string
		Types     []struct{ Name, Kind, From, Type string }
		Functions []struct {
			Name, Kind, Result string
			Params             []struct{ Name, Type string }
		}
	}
	if err := json.Unmarshal(b, &i); err != nil {
		t.Fatal(err)
	}
	if i.ID != "wasi:io/streams@0.2.4" || i.Types[0].Kind != "use" || i.Types[0].From != "wasi:io/error@0.2.4" || i.Types[0].Type != "error" {
		t.Errorf("interface JSON: %+v", i.Types[0])
	}
	f := i.Functions[0]
	if f.Name != "[method]input-stream.read" || f.Kind != "method" || len(f.Params) != 2 || f.Params[0].Type != "borrow<input-stream>" || f.Result != "result<list<u8>, stream-error>" {
		t.Errorf("function JSON: %+v", f)
	}
}
