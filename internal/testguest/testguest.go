// Package testguest builds the Go test guests under testdata/guests from
// source, on the fly, for tests. Built modules are cached under the system's
// temporary directory keyed by a hash of the sources and the Go version, so a
// suite builds each guest once.
package testguest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

var mu sync.Mutex

// Root returns the repository root (the directory holding go.mod).
func Root(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Path returns the path of a file under testdata/guests, e.g. Path(t, "cmd/hello.wasm").
func Path(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(Root(t), "testdata", "guests", filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("test guest %s: %v (run testdata/guests/build.sh?)", rel, err)
	}
	return p
}

// GoCommand builds the Go package in testdata/guests/<rel> as a WASI command
// (GOOS=wasip1 GOARCH=wasm) and returns the .wasm path.
func GoCommand(t testing.TB, rel string) string { return build(t, rel, false, nil) }

// GoReactor builds the Go package in testdata/guests/<rel> with
// -buildmode=c-shared (a reactor exporting its //go:wasmexport functions).
func GoReactor(t testing.TB, rel string) string { return build(t, rel, true, nil) }

// GoReactorTags is GoReactor with build tags (go build -tags), e.g.
// GoReactorTags(t, "plugins/echo", "wasmhive_bulk"). Each set of tags is
// built and cached apart.
func GoReactorTags(t testing.TB, rel string, tags ...string) string {
	return build(t, rel, true, tags)
}

func build(t testing.TB, rel string, reactor bool, tags []string) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	root := Root(t)
	dir := filepath.Join(root, "testdata", "guests", filepath.FromSlash(rel))
	h := sha256.New()
	fmt.Fprintln(h, runtime.Version(), reactor, rel)
	name := strings.ReplaceAll(rel, "/", "_")
	if len(tags) > 0 {
		fmt.Fprintln(h, "tags", tags)
		name += "-" + strings.Join(tags, "-")
	}
	// Every package the guest depends on: sources of those inside this
	// repository, the directory (which names the version) of the others.
	for _, d := range guestDeps(root, dir, rel, tags) {
		if !strings.HasPrefix(d, root+string(filepath.Separator)) && d != root {
			fmt.Fprintln(h, "dep", d)
			continue
		}
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			n := e.Name()
			if e.IsDir() || !(strings.HasSuffix(n, ".go") || strings.HasSuffix(n, ".s")) {
				continue
			}
			b, _ := os.ReadFile(filepath.Join(d, n))
			fmt.Fprintln(h, filepath.Join(d, n))
			h.Write(b)
		}
	}
	sum := hex.EncodeToString(h.Sum(nil))[:16]
	out := filepath.Join(os.TempDir(), "wasmhive-testguests", name+"-"+sum+".wasm")
	if _, err := os.Stat(out); err == nil {
		return out
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := out + ".tmp" + fmt.Sprint(os.Getpid())
	args := []string{"build", "-o", tmp}
	if reactor {
		args = append(args, "-buildmode=c-shared")
	}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	args = append(args, "./"+filepath.ToSlash(filepath.Join("testdata", "guests", rel)))
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build guest %s: %v\n%s", rel, err, b)
	}
	if err := os.Rename(tmp, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// guestDeps lists the directories of the non-standard packages the guest at
// dir imports, itself included (go list -deps for GOOS=wasip1). When go list
// fails (e.g. a guest with a go.mod of its own), it falls back to every
// directory under dir plus the repository's pdk/.
func guestDeps(root, dir, rel string, tags []string) []string {
	args := []string{"list", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{end}}"}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	args = append(args, "./"+filepath.ToSlash(filepath.Join("testdata", "guests", rel)))
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err == nil {
		var dirs []string
		for _, l := range strings.Split(string(out), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				dirs = append(dirs, l)
			}
		}
		return dirs
	}
	var dirs []string
	for _, top := range []string{dir, filepath.Join(root, "pdk")} {
		_ = filepath.WalkDir(top, func(p string, e fs.DirEntry, err error) error {
			if err == nil && e.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
	}
	return dirs
}
