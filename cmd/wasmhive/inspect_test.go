package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive/internal/testguest"
)

func TestInspectText(t *testing.T) {
	res := runCLI(t, nil, "inspect", testguest.Path(t, "inspect/kinds.wasm"))
	if res.Code != 0 || res.Stderr != "" {
		t.Fatalf("exit %d, stderr %q", res.Code, res.Stderr)
	}
	for _, want := range []string{
		"kind     core module\n",
		"pattern  command (exports _start)\n",
		"wasi     preview1\n",
		"imports (7)\n  wasi_snapshot_preview1\n    func    fd_write   (i32, i32, i32, i32) -> (i32)\n",
		"    table   table      funcref, 2..10 elements\n",
		"    memory  memory     1..16 pages (64 KiB..1 MiB)\n",
		"    global  counter    mut i32\n",
		"  func    add           (i32, i32) -> (i32)\n",
		"memories (1)\n  0  imported env.memory  1..16 pages (64 KiB..1 MiB)  exported as mem\n",
		"custom sections (3)\n  name           ",
		"  wasmhive.note  10 bytes\n",
	} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, res.Stdout)
		}
	}
	for i, line := range strings.Split(res.Stdout, "\n") {
		if strings.HasSuffix(line, " ") {
			t.Errorf("line %d has trailing spaces: %q", i+1, line)
		}
	}
}

func TestInspectJSON(t *testing.T) {
	for _, c := range []struct {
		name, path, pattern, wasi string
	}{
		{"C command", testguest.Path(t, "inspect/hello.wasm"), "command", "preview1"},
		{"C reactor", testguest.Path(t, "inspect/calc.wasm"), "reactor", "none"},
		{"Go command", testguest.GoCommand(t, "inspect/gocmd"), "command", "preview1"},
		{"library", testguest.Path(t, "inspect/library.wasm"), "library", "none"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := runCLI(t, nil, "inspect", "--json", c.path)
			if res.Code != 0 {
				t.Fatalf("exit %d: %s", res.Code, res.Stderr)
			}
			var r struct {
				SchemaVersion int    `json:"schema_version"`
				File          string `json:"file"`
				Size          int    `json:"size"`
				Pattern       string `json:"pattern"`
				WASI          string `json:"wasi"`
				Exports       []struct {
					Name, Kind, Signature string
				} `json:"exports"`
			}
			if err := json.Unmarshal([]byte(res.Stdout), &r); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, res.Stdout)
			}
			fi, _ := os.Stat(c.path)
			if r.SchemaVersion != 1 || r.File != c.path || int64(r.Size) != fi.Size() || r.Pattern != c.pattern || r.WASI != c.wasi {
				t.Errorf("report = %+v", r)
			}
			if len(r.Exports) == 0 {
				t.Error("no exports")
			}
			for _, e := range r.Exports {
				if e.Kind == "func" && e.Signature == "" {
					t.Errorf("export %s has no signature", e.Name)
				}
			}
		})
	}
}

func TestInspectComponent(t *testing.T) {
	// The smallest component that imports a WASI 0.2 interface: header, a
	// type section with one empty instance type, and an import of it.
	name := "wasi:cli/environment@0.2.0"
	imp := append(append([]byte{0x01, 0x01, byte(len(name))}, name...), 0x05, 0x00)
	b := append([]byte{0x00, 'a', 's', 'm', 0x0d, 0x00, 0x01, 0x00, 0x07, 0x03, 0x01, 0x42, 0x00, 0x0a, byte(len(imp))}, imp...)
	p := filepath.Join(t.TempDir(), "c.wasm")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	res := runCLI(t, nil, "inspect", p)
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	for _, want := range []string{"kind     component (binary version 13)\n", "pattern  component", "wasi     0.2\n", "imports (1)\n  instance  wasi:cli/environment@0.2.0\n"} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, res.Stdout)
		}
	}
}

func TestInspectBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	kinds, err := os.ReadFile(testguest.Path(t, "inspect/kinds.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	corrupt := append([]byte(nil), kinds...)
	corrupt[9] = 0xff // the type section's size now runs past the end
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"missing", []string{filepath.Join(dir, "nope.wasm")}, "nope.wasm: no such file"},
		{"directory", []string{dir}, "is a directory, not a .wasm file"},
		{"not wasm", []string{write("text.wasm", []byte("hello world\n"))}, "text.wasm: not a WebAssembly binary"},
		{"empty", []string{write("empty.wasm", nil)}, "empty.wasm: not a WebAssembly binary"},
		{"truncated", []string{write("trunc.wasm", kinds[:len(kinds)-20])}, "trunc.wasm: malformed WebAssembly at byte"},
		{"corrupt", []string{write("corrupt.wasm", corrupt)}, "corrupt.wasm: malformed WebAssembly at byte 9 (0x9)"},
		{"no argument", nil, "accepts 1 arg"},
		{"json flag", []string{"--json", filepath.Join(dir, "nope.wasm")}, "no such file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := runCLI(t, nil, append([]string{"inspect"}, c.args...)...)
			if res.Code != 2 {
				t.Errorf("exit %d, want 2", res.Code)
			}
			if res.Stdout != "" {
				t.Errorf("stdout = %q, want nothing", res.Stdout)
			}
			lines := strings.Split(strings.TrimRight(res.Stderr, "\n"), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "wasmhive: ") || !strings.Contains(lines[0], c.want) {
				t.Errorf("stderr = %q, want one line containing %q", res.Stderr, c.want)
			}
		})
	}
}
