package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive/internal/testguest"
)

// privateDirApp is an app of three WAGI components running the private
// directory guest: esc (with /shared and /ro besides), a and b.
const privateDirApp = `version: 1
name: pd
components:
  esc:
    module: privatedir.wasm
    private_dir: /data
    dirs:
      - {host: shared, guest: /shared}
      - {host: ro, guest: /ro, read_only: true}
  a:
    module: privatedir.wasm
    private_dir: /data
  b:
    module: privatedir.wasm
    private_dir: /data
http:
  routes:
    - {path: /esc, component: esc, convention: wagi}
    - {path: /a, component: a, convention: wagi}
    - {path: /b, component: b, convention: wagi}
`

// TestUpPrivateDir runs `wasmhive up` with private_dir in the manifest:
// each escape is refused as in expected.txt, nothing outside changes, two
// components do not see each other's directories, and what one wrote is
// under <data dir>/components/<name> and there again after a restart.
func TestUpPrivateDir(t *testing.T) {
	dir := t.TempDir()
	manifest := filepath.Join(dir, "app.yaml")
	if err := os.WriteFile(manifest, []byte(privateDirApp), 0o644); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join(testguest.Root(t), testguest.PrivateDirWasm), filepath.Join(dir, "privatedir.wasm"))
	dataDir := filepath.Join(dir, "data")
	// The host lays its links into esc's private directory before it loads.
	l := testguest.LayPrivateDir(t, dir, filepath.Join(dataDir, "components", "esc"))
	env := []string{"XDG_DATA_HOME=" + t.TempDir()}
	p := startUp(t, env, "--data-dir", dataDir, manifest)
	get := func(path string) string {
		t.Helper()
		r := do(t, "GET", p.url+path)
		if r.status != 200 {
			t.Fatalf("GET %s: %d %q\n%s", path, r.status, r.body, p.log())
		}
		return r.body
	}
	out := get("/esc?escapes")
	testguest.CheckPrivateDirEscapes(t, out, true)
	testguest.CheckPrivateDirOutside(t, l)
	if got := get("/a?put+a.txt+from-a"); got != "put 0\n" {
		t.Fatalf("a put: %q", got)
	}
	if got := get("/b?ls"); strings.Contains(got, "a.txt") {
		t.Errorf("b lists a's file: %q", got)
	}
	if got := get("/b?get+..%2Fa%2Fa.txt"); got != "get 63\n" {
		t.Errorf("b get ../a/a.txt: %q, want EPERM (63)", got)
	}
	if b, err := os.ReadFile(filepath.Join(dataDir, "components", "a", "a.txt")); err != nil || string(b) != "from-a" {
		t.Errorf("a's file on the host: %q, %v", b, err)
	}
	for _, d := range []string{"a", "b", "esc"} {
		if fi, err := os.Stat(filepath.Join(dataDir, "components", d)); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("components/%s: %v, %v; want a directory 0700", d, fi.Mode(), err)
		}
	}
	p.stopped(t)

	p = startUp(t, env, "--data-dir", dataDir, manifest)
	if got := get("/a?get+a.txt"); got != "get 0 from-a\n" {
		t.Errorf("after a restart, a get a.txt: %q", got)
	}
	p.stopped(t)
}
