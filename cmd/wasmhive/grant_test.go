package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive/internal/testguest"
)

// kvcounterWasm is the kvcounter example's committed Go build: a handler
// importing wasmhive:keyvalue/atomics.
const kvcounterWasm = "../../examples/kvcounter/kvcounter.wasm"

// deniedLine is the one line the Host refuses a module with when component
// imports wasmhive:keyvalue/atomics.increment ungranted.
func deniedLine(module, component string) string {
	return "wasmhive: load " + module + ": component " + component + " imports wasmhive:keyvalue/atomics.increment, " +
		"but the keyvalue capability is not granted (grant it with grants.keyvalue in the app manifest, or --grant keyvalue)\n"
}

// TestGrantUpRefusesUngranted: an app whose component imports keyvalue
// without grants.keyvalue does not start: one line naming the manifest
// line, the import, the capability and the fix.
func TestGrantUpRefusesUngranted(t *testing.T) {
	m, _ := filepath.Abs("../../testdata/apps/denied/app.yaml")
	res := runCLIEnv(t, []string{"XDG_DATA_HOME=" + t.TempDir()}, nil, "up", "--listen", "127.0.0.1:0", m)
	wantOneLine(t, res, exitUsage, m+":12: components.counter.grants: ",
		"imports wasmhive:keyvalue/atomics", "keyvalue is not granted", "add grants: {keyvalue: {}}")
	if res.Stdout != "" {
		t.Errorf("stdout %q, want nothing", res.Stdout)
	}
}

// TestGrantRun: `wasmhive run` refuses a module importing an ungranted
// capability at load, and --grant grants it, with the data where
// --data-dir (or XDG_DATA_HOME) says.
func TestGrantRun(t *testing.T) {
	guest := testguest.GoReactor(t, "capabilities/denied")
	name := strings.TrimSuffix(filepath.Base(guest), ".wasm")
	xdg := t.TempDir()
	env := []string{"XDG_DATA_HOME=" + xdg}
	run := func(args ...string) cliResult {
		return runCLIEnv(t, env, nil, append([]string{"run", "--invoke", "bump"}, append(args, guest)...)...)
	}
	for _, args := range [][]string{nil, {"--grant", "messaging"}, {"--grant", "config", "--grant", "logging", "--grant", "http:allow=*"}} {
		res := run(args...)
		if want := deniedLine(filepath.Base(guest), name); res.Code != exitUsage || res.Stderr != want || res.Stdout != "" {
			t.Errorf("run %v: exit %d, stdout %q, stderr %q; want exit 2 and %q", args, res.Code, res.Stdout, res.Stderr, want)
		}
	}
	if _, err := os.Stat(filepath.Join(xdg, "wasmhive")); !os.IsNotExist(err) {
		t.Errorf("a refused module made its data directory: %v", err)
	}

	dir := t.TempDir()
	wantOK(t, run("--grant", "keyvalue", "--data-dir", dir), "1\n")
	wantOK(t, run("--grant", "keyvalue", "--data-dir", dir), "2\n")
	// Another bucket of the same store counts apart.
	wantOK(t, run("--grant", "keyvalue:bucket=other", "--data-dir", dir), "1\n")
	wantOK(t, run("--grant", "keyvalue", "--data-dir", dir), "3\n")
	want := map[string]string{"runs": "3"}
	if got := boltValues(t, filepath.Join(dir, "keyvalue.bolt"), name, want); !equalMaps(got, want) {
		t.Errorf("bucket %s holds %v, want %v", name, got, want)
	}
	// Without --data-dir: $XDG_DATA_HOME/wasmhive/apps/<module name>.
	wantOK(t, run("--grant", "keyvalue"), "1\n")
	if _, err := os.Stat(filepath.Join(xdg, "wasmhive", "apps", name, "keyvalue.bolt")); err != nil {
		t.Errorf("the default data directory: %v", err)
	}
}

// TestGrantServe: `wasmhive serve` refuses kvcounter without --grant
// keyvalue, and serves it with the grant.
func TestGrantServe(t *testing.T) {
	env := []string{"XDG_DATA_HOME=" + t.TempDir()}
	res := runCLIEnv(t, env, nil, "serve", "--listen", "127.0.0.1:0", kvcounterWasm)
	if want := deniedLine("kvcounter.wasm", "kvcounter"); res.Code != exitUsage || res.Stderr != want {
		t.Errorf("serve without --grant: exit %d, stderr %q; want exit 2 and %q", res.Code, res.Stderr, want)
	}
	dir := t.TempDir()
	p := startProc(t, env, urlRE, "serve", "--listen", "127.0.0.1:0", "--grant", "keyvalue:bucket=counter", "--data-dir", dir, kvcounterWasm)
	wantJSON(t, do(t, "GET", p.url+"/a/b?amount=3"), 200, counterBody(3))
	wantJSON(t, do(t, "GET", p.url+"/a/b"), 200, counterBody(4))
	hammer(t, p.url+"/hot", 32, 10)
	if code := p.stop(t, os.Interrupt); code != 0 {
		t.Fatalf("exit code %d after SIGINT, want 0", code)
	}
	want := map[string]string{"counter:a:b": "4", "counter:hot": "320"}
	if got := boltValues(t, filepath.Join(dir, "keyvalue.bolt"), "counter", want); !equalMaps(got, want) {
		t.Errorf("bucket counter holds %v, want %v", got, want)
	}
}

// TestGrantFlagErrors: a bad --grant is one line and exit 2, before
// anything loads.
func TestGrantFlagErrors(t *testing.T) {
	for _, c := range []struct {
		grant, want string
	}{
		{"keyvalu", `--grant "keyvalu": unknown capability "keyvalu"; known: keyvalue, http, messaging, config, logging`},
		{"keyvalue:bucket", `--grant "keyvalue:bucket": want CAP:KEY=VALUE,...`},
		{"keyvalue:bucket=", `--grant "keyvalue:bucket=": want CAP:KEY=VALUE,...`},
		{"keyvalue:bucket=a,bucket=b", `--grant "keyvalue:bucket=a,bucket=b": one bucket per component`},
		{"config:x=y", `--grant "config:x=y": config takes no option "x"`},
		{"messaging:allow=*", `--grant "messaging:allow=*": messaging takes no option "allow"`},
	} {
		for _, verb := range []string{"run", "serve"} {
			res := runCLI(t, nil, verb, "--grant", c.grant, kvcounterWasm)
			wantOneLine(t, res, exitUsage, c.want)
		}
	}
}
