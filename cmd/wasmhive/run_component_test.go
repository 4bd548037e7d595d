package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunComponent checks the door for components: a malformed or invalid
// one fails with the decoder's one-line error and exits 2, as does one
// importing what the host does not provide.
func TestRunComponent(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.wasm")
	// A type section with an unknown defined type 0x55.
	if err := os.WriteFile(bad, []byte("\x00asm\x0d\x00\x01\x00\x07\x02\x01\x55"), 0o644); err != nil {
		t.Fatal(err)
	}
	invalid := filepath.Join(dir, "invalid.wasm")
	// An import named "Foo_bar", which is not a kebab-case label.
	if err := os.WriteFile(invalid, []byte("\x00asm\x0d\x00\x01\x00\x0a\x0c\x01\x00\x07Foo_bar\x03\x01"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		path  string
		parts []string
	}{
		{"unknown import", "../../testdata/components/types.wasm", []string{"types.wasm imports wasmhive:test/host@0.1.0, which the host does not provide"}},
		{"malformed", bad, []string{"bad.wasm", "component: offset 0xb: section 7 (type): unknown defined type 0x55"}},
		{"invalid", invalid, []string{"invalid.wasm", "section 10 (import): invalid import name", "Foo_bar"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantOneLine(t, runCLI(t, nil, "run", tc.path), 2, tc.parts...)
		})
	}
}

// TestRunComponentCommand runs the C command of testdata/guests/cmd both
// as a core module and as a component (the same code wrapped by the
// preview1 adapter, on WASI 0.2): the same output, files and refusals. Exit
// statuses differ by design: WASI 0.2's exit only says success or failure,
// so a failing component exits 1, as in Wasmtime.
func TestRunComponentCommand(t *testing.T) {
	const (
		core = "../../testdata/guests/cmd/cmd.wasm"
		comp = "../../testdata/components/cmd.wasm"
	)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte("from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		flags []string
		args  []string
		stdin string
	}{
		{"args", nil, []string{"args", "a b", "ü"}, ""},
		{"env", []string{"--env", "A=1", "--env", "B=two words"}, []string{"env"}, ""},
		{"echo", nil, []string{"echo"}, "one\ntwo\n"},
		{"stderr", nil, []string{"stderr"}, ""},
		{"exit0", nil, []string{"exit", "0"}, ""},
		{"read", []string{"--ro-dir", dir + "::/d"}, []string{"read", "/d/in.txt"}, ""},
		{"read escape", []string{"--ro-dir", dir + "::/d"}, []string{"read", "/d/../in.txt"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want, got cliResult
			for _, m := range []string{core, comp} {
				args := append(append(append([]string{"run"}, tc.flags...), m), tc.args...)
				res := runCLI(t, strings.NewReader(tc.stdin), args...)
				if m == core {
					want = res
				} else {
					got = res
				}
			}
			// argv[0] is the file's name, the same for both.
			if got.Stdout != want.Stdout || got.Code != want.Code || got.Stderr != want.Stderr {
				t.Errorf("component: %+v\ncore module: %+v", got, want)
			}
		})
	}

	t.Run("exit status", func(t *testing.T) {
		if res := runCLI(t, nil, "run", comp, "exit", "7"); res.Code != 1 || res.Stderr != "" {
			t.Errorf("exit 7: %+v, want status 1 and no message", res)
		}
	})
	t.Run("trap", func(t *testing.T) {
		wantOneLine(t, runCLI(t, nil, "run", comp, "unreachable"), exitTrap, "cmd.wasm", "unreachable")
	})
	t.Run("timeout", func(t *testing.T) {
		wantOneLine(t, runCLI(t, nil, "run", "--timeout", "200ms", comp, "loop"), exitTimeout, "cmd.wasm: stopped after --timeout 200ms")
	})
}

// TestRunComponentFiles checks the sandbox of a component's files: a
// preopen is reachable under its guest path and nothing else is.
func TestRunComponentFiles(t *testing.T) {
	const comp = "../../testdata/components/cmd.wasm"
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte("hello file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := runCLI(t, nil, "run", "--dir", dir+"::/data", comp, "read", "/data/in.txt")
	if res.Code != 0 || res.Stdout != "hello file\n" {
		t.Errorf("cat a preopened file: %+v", res)
	}
	res = runCLI(t, nil, "run", "--dir", dir+"::/data", comp, "read", "/data/../../etc/passwd")
	if res.Code == 0 || strings.Contains(res.Stdout, "root:") {
		t.Errorf("escaped the preopen: %+v", res)
	}
	res = runCLI(t, nil, "run", comp, "read", "/etc/passwd")
	if res.Code == 0 || strings.Contains(res.Stdout, "root:") {
		t.Errorf("read a file without a preopen: %+v", res)
	}
}

// TestRunComponentInvoke calls the exports of calc.wasm with WAVE
// arguments and checks the WAVE results, as wasmtime run --invoke prints
// them, and the one-line errors for bad calls.
func TestRunComponentInvoke(t *testing.T) {
	const calc = "../../testdata/components/calc.wasm"
	for _, tc := range []struct{ call, want string }{
		{"add(2, -5)", "-3"},
		{`greet("wörld")`, `"hello, wörld!"`},
		{"summarize([1.5, 2, -3])", "{count: 3, sum: 0.5, max: some(2)}"},
		{"summarize([])", "{count: 0, sum: 0}"},
		{`parse-u32("4294967295")`, "ok(4294967295)"},
		{`parse-u32("12x")`, `err("not a digit: x")`},
		{`echo({name: "n", tags: ["a", "", "ccc"], note: "\u{1f600}"})`, `{name: "n", tags: ["a", "", "ccc"], note: "😀"}`},
	} {
		res := runCLI(t, nil, "run", "--invoke", tc.call, calc)
		if res.Code != 0 || res.Stdout != tc.want+"\n" || res.Stderr != "" {
			t.Errorf("%s: %+v, want %q", tc.call, res, tc.want)
		}
	}
	for _, tc := range []struct {
		call  string
		code  int
		parts []string
	}{
		{"add(1)", 2, []string{"argument 2 (b: s32): missing"}},
		{`add(1, "x")`, 2, []string{"argument 2 (b: s32)", "string"}},
		{"nope()", 2, []string{"exports no function nope", "add, echo, greet"}},
		{"add(1, 2", 2, []string{"wave: column"}},
	} {
		wantOneLine(t, runCLI(t, nil, "run", "--invoke", tc.call, calc), tc.code, tc.parts...)
	}
	wantOneLine(t, runCLI(t, nil, "run", "--timeout", "100ms", "--invoke", "spin()", calc), exitTimeout, "stopped after --timeout 100ms")
	// A command component's run function, called by name, prints its result.
	res := runCLI(t, nil, "run", "--invoke", "run()", "../../testdata/components/cmd.wasm", "args")
	if res.Code != 0 || res.Stdout != "argv[0]=cmd.wasm\nargv[1]=args\nok\n" {
		t.Errorf("invoke run(): %+v", res)
	}
}

// TestComponentOtherVerbs checks that serve refuses a component that is
// no wasi:http proxy, and call (Extism plugins) any component, with one
// line and exit 2, rather than misrunning it.
func TestComponentOtherVerbs(t *testing.T) {
	const calc = "../../testdata/components/calc.wasm"
	// A component without wasi:http/incoming-handler has nothing to serve.
	wantOneLine(t, runCLI(t, nil, "serve", "--listen", "127.0.0.1:0", calc), 2, "calc", "exports no wasi:http/incoming-handler")
	wantOneLine(t, runCLI(t, nil, "call", calc, "add"), 2, "calc", "not supported for Component Model components yet")
}
