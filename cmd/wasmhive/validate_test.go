package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// validate runs `wasmhive validate args...` in-process.
func validate(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	var out, errb bytes.Buffer
	code = execute(context.Background(), append([]string{"validate"}, args...), nil, &out, &errb)
	return out.String(), errb.String(), code
}

func TestValidate(t *testing.T) {
	const dir = "../../testdata/manifests/"
	abs, _ := filepath.Abs(dir)
	for _, c := range []struct {
		name, file, stdout, stderr string
		code                       int
	}{
		{"valid", "valid.yaml", dir + "valid.yaml: ok (2 components, 2 routes, 1 subscription)\n", "", 0},
		{"unknown field", "unknown_field.yaml", "",
			"wasmhive: " + dir + "unknown_field.yaml:6: components.web: unknown field \"modul\"; known: module, config, env, dirs, private_dir, grants, limits, instances, links, libraries, placement\n", 2},
		{"bad type", "bad_type.yaml", "",
			"wasmhive: " + dir + "bad_type.yaml:7: components.web.instances.max: want an integer, got \"sixteen\"\n", 2},
		{"missing module", "missing_module.yaml", "",
			"wasmhive: " + dir + "missing_module.yaml:5: components.web.module: nowhere.wasm: no such file (relative paths start at the manifest's directory, " + abs + ")\n", 2},
		{"duplicate route", "duplicate_route.yaml", "",
			"wasmhive: " + dir + "duplicate_route.yaml:7: http.routes[1].path: duplicate route \"/api\" (first at line 5)\n", 2},
		{"unknown capability", "unknown_capability.yaml", "",
			"wasmhive: " + dir + "unknown_capability.yaml:7: components.web.grants: unknown capability \"keyvalu\"; known: keyvalue, http, messaging, config, logging\n", 2},
		{"every problem", "many_problems.yaml", "",
			"wasmhive: " + dir + "many_problems.yaml:1: version: unsupported version 2; this wasmhive reads version 1\n" +
				dir + "many_problems.yaml:2: name: \"Fixture\" is not a valid name: use lowercase letters, digits and '-', starting with a letter or digit, at most 63 characters\n" +
				dir + "many_problems.yaml:4: http.listen: \"localhost\" is not host:port (e.g. 127.0.0.1:8080, :8080, [::1]:8080)\n" +
				dir + "many_problems.yaml:6: http.routes[0].path: \"api\" must start with /\n" +
				dir + "many_problems.yaml:7: http.routes[0].component: unknown component \"nobody\"; known: web\n" +
				dir + "many_problems.yaml:10: components.web.module: ../guests/http is a directory, not a .wasm file\n" +
				dir + "many_problems.yaml:11: components.web.limits.memory: \"64XB\" is not a size (e.g. 64MiB)\n" +
				dir + "many_problems.yaml:11: components.web.limits.timeout: want a duration such as 5s, 250ms or 1m30s, got 5\n" +
				dir + "many_problems.yaml:12: components.web.instances.min: min 4 is more than max 2\n", 2},
		{"no such file", "nothere.yaml", "", "wasmhive: open " + dir + "nothere.yaml: no such file or directory\n", 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := validate(t, dir+c.file)
			if stdout != c.stdout || stderr != c.stderr || code != c.code {
				t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s\nwant exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr, c.code, c.stdout, c.stderr)
			}
		})
	}
}

// TestValidateUngrantedImport: validate reads each module's imports and
// reports a capability used but not granted, at the component's grants.
func TestValidateUngrantedImport(t *testing.T) {
	dir := t.TempDir()
	kv, err := os.ReadFile("../../manifest/testdata/kvimport.wasm")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kv.wasm"), kv, 0o644); err != nil {
		t.Fatal(err)
	}
	app := filepath.Join(dir, "app.yaml")
	src := "version: 1\nname: kv\ncomponents:\n  kv:\n    module: kv.wasm\n    grants:\n      logging:\n"
	if err := os.WriteFile(app, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := validate(t, app)
	want := "wasmhive: " + app + ":6: components.kv.grants: the module imports wasmhive:keyvalue/store and wasmhive:keyvalue/atomics, but keyvalue is not granted; add keyvalue: {} under grants\n"
	if code != exitUsage || stderr != want {
		t.Errorf("exit %d, stderr %q\nwant %q", code, stderr, want)
	}
}

func TestValidateArgs(t *testing.T) {
	if _, stderr, code := validate(t); code != exitUsage || stderr != "wasmhive: accepts 1 arg(s), received 0\n" {
		t.Errorf("no argument: exit %d, %q", code, stderr)
	}
}
