package wasmhive_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/internal/testguest"
	"github.com/wasmhive/wasmhive/trigger"
)

func privateDirWasm(t testing.TB) string {
	return filepath.Join(testguest.Root(t), testguest.PrivateDirWasm)
}

func newTestHost(t testing.TB, dataDir string) *wasmhive.Host {
	t.Helper()
	h, err := wasmhive.NewHost(context.Background(), wasmhive.HostConfig{DataDir: dataDir, NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(context.Background()) })
	return h
}

// runGuest runs component of h with args and returns what it printed.
func runGuest(t testing.TB, h *wasmhive.Host, component string, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	err := h.Run(context.Background(), component, trigger.CommandIO{
		Args: append([]string{"privatedir"}, args...), Stdout: &out, Stderr: &errOut,
	})
	if err != nil {
		t.Fatalf("%s %v: %v\n%s%s", component, args, err, out.String(), errOut.String())
	}
	return out.String()
}

func addPrivate(t testing.TB, h *wasmhive.Host, name string, dirs ...wasmhive.Dir) {
	t.Helper()
	_, err := h.AddComponent(context.Background(), name, wasmhive.ComponentConfig{
		Module: privateDirWasm(t), PrivateDir: "/data", Dirs: dirs,
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPrivateDirEscapes gives a component a private directory through the
// Go API, lays host-made symbolic and hard links into it before it loads,
// and asserts that every escape the guest tries is refused with the errno
// of testdata/guests/privatedir/expected.txt, that nothing outside changes,
// and that the directory is <data dir>/components/<name>, 0700.
func TestPrivateDirEscapes(t *testing.T) {
	base := t.TempDir()
	dataDir := filepath.Join(base, "data")
	h := newTestHost(t, dataDir)
	dir, err := h.PrivateDir("esc")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dataDir, "components", "esc"); dir != want {
		t.Fatalf("PrivateDir = %s, want %s", dir, want)
	}
	l := testguest.LayPrivateDir(t, base, dir)
	if err := os.Chmod(dir, 0o755); err != nil { // made too open by the host: load makes it 0700
		t.Fatal(err)
	}
	addPrivate(t, h, "esc", wasmhive.Dir{Host: l.Shared, Guest: "/shared"}, wasmhive.Dir{Host: l.ReadOnly, Guest: "/ro", ReadOnly: true})
	for _, d := range []string{filepath.Join(dataDir, "components"), dir} {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %v, %v; want 0700", d, fi.Mode().Perm(), err)
		}
	}
	out := runGuest(t, h, "esc", "escapes")
	testguest.CheckPrivateDirEscapes(t, out, true)
	testguest.CheckPrivateDirOutside(t, l)
	if t.Failed() {
		t.Logf("guest output:\n%s", out)
	}
}

// TestPrivateDirIsolatedAndPersistent: two components of one Host each
// get their own directory and cannot reach the other's; what they write is
// on the host under <data dir>/components/<name> and is there again for a
// new Host on the same data directory.
func TestPrivateDirIsolatedAndPersistent(t *testing.T) {
	dataDir := t.TempDir()
	h := newTestHost(t, dataDir)
	addPrivate(t, h, "a")
	addPrivate(t, h, "b")
	if got := runGuest(t, h, "a", "put", "a.txt", "from-a"); got != "put 0\n" {
		t.Fatalf("a put: %q", got)
	}
	if got := runGuest(t, h, "b", "put", "b.txt", "from-b"); got != "put 0\n" {
		t.Fatalf("b put: %q", got)
	}
	ls := func(name string) []string {
		out := runGuest(t, h, name, "ls")
		var names []string
		for _, l := range strings.Split(out, "\n") {
			if n, ok := strings.CutPrefix(l, "- "); ok {
				names = append(names, n)
			}
		}
		slices.Sort(names)
		return names
	}
	if got := ls("a"); !slices.Equal(got, []string{"a.txt"}) {
		t.Errorf("a sees %v, want only a.txt", got)
	}
	if got := ls("b"); !slices.Equal(got, []string{"b.txt"}) {
		t.Errorf("b sees %v, want only b.txt", got)
	}
	for _, p := range []string{"../a/a.txt", "../../components/a/a.txt"} {
		if got := runGuest(t, h, "b", "get", p); got != "get 63\n" {
			t.Errorf("b get %s: %q, want EPERM (63)", p, got)
		}
	}
	if got := runGuest(t, h, "b", "get", "a.txt"); got != "get 44\n" {
		t.Errorf("b get a.txt: %q, want ENOENT (44)", got)
	}
	b, err := os.ReadFile(filepath.Join(dataDir, "components", "a", "a.txt"))
	if err != nil || string(b) != "from-a" {
		t.Errorf("host file of a: %q, %v", b, err)
	}
	if err := h.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	h2 := newTestHost(t, dataDir)
	addPrivate(t, h2, "a")
	if got := runGuest(t, h2, "a", "get", "a.txt"); got != "get 0 from-a\n" {
		t.Errorf("after a restart, a get a.txt: %q, want from-a", got)
	}
}

// TestPrivateDirLoadErrors: what cannot be a private directory is refused
// at load with one line naming it.
func TestPrivateDirLoadErrors(t *testing.T) {
	ctx := context.Background()
	wasm := privateDirWasm(t)
	cases := []struct {
		name    string
		setup   func(t *testing.T, dataDir string)
		cfg     func(dataDir string) wasmhive.ComponentConfig
		wantErr string
	}{
		{"relative guest path", nil, func(string) wasmhive.ComponentConfig {
			return wasmhive.ComponentConfig{PrivateDir: "data"}
		}, `private_dir "data": want an absolute guest path`},
		{"guest path of a dir", nil, func(string) wasmhive.ComponentConfig {
			return wasmhive.ComponentConfig{PrivateDir: "/data/", Dirs: []wasmhive.Dir{{Host: os.TempDir(), Guest: "/data"}}}
		}, "the guest path overlaps /data"},
		{"guest path inside a dir", nil, func(string) wasmhive.ComponentConfig {
			return wasmhive.ComponentConfig{PrivateDir: "/mnt/data", Dirs: []wasmhive.Dir{{Host: os.TempDir(), Guest: "/mnt"}}}
		}, "the guest path overlaps /mnt"},
		{"root guest path", nil, func(string) wasmhive.ComponentConfig {
			return wasmhive.ComponentConfig{PrivateDir: "/"}
		}, "whole file system"},
		{"symlinked private dir", func(t *testing.T, dataDir string) {
			mkdir(t, filepath.Join(dataDir, "components"))
			if err := os.Symlink(t.TempDir(), filepath.Join(dataDir, "components", "x")); err != nil {
				t.Fatal(err)
			}
		}, func(string) wasmhive.ComponentConfig { return wasmhive.ComponentConfig{PrivateDir: "/data"} }, "is a symbolic link"},
		{"symlinked components dir", func(t *testing.T, dataDir string) {
			mkdir(t, dataDir)
			if err := os.Symlink(t.TempDir(), filepath.Join(dataDir, "components")); err != nil {
				t.Fatal(err)
			}
		}, func(string) wasmhive.ComponentConfig { return wasmhive.ComponentConfig{PrivateDir: "/data"} }, "is a symbolic link"},
		{"a file in the way", func(t *testing.T, dataDir string) {
			mkdir(t, filepath.Join(dataDir, "components"))
			if err := os.WriteFile(filepath.Join(dataDir, "components", "x"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}, func(string) wasmhive.ComponentConfig { return wasmhive.ComponentConfig{PrivateDir: "/data"} }, "exists and is not a directory"},
		{"a dir into another's private dir", func(t *testing.T, dataDir string) {
			mkdir(t, filepath.Join(dataDir, "components", "other"))
		}, func(dataDir string) wasmhive.ComponentConfig {
			return wasmhive.ComponentConfig{Dirs: []wasmhive.Dir{{Host: filepath.Join(dataDir, "components", "other"), Guest: "/peek"}}}
		}, "is inside "},
		{"a dir of all private dirs", func(t *testing.T, dataDir string) {
			mkdir(t, filepath.Join(dataDir, "components"))
		}, func(dataDir string) wasmhive.ComponentConfig {
			return wasmhive.ComponentConfig{Dirs: []wasmhive.Dir{{Host: filepath.Join(dataDir, "components"), Guest: "/all"}}}
		}, "where the components' private directories are"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dataDir := filepath.Join(t.TempDir(), "data")
			if tc.setup != nil {
				tc.setup(t, dataDir)
			}
			h := newTestHost(t, dataDir)
			cfg := tc.cfg(dataDir)
			cfg.Module = wasm
			_, err := h.AddComponent(ctx, "x", cfg)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("AddComponent: %v, want one line with %q", err, tc.wantErr)
			}
			var pe *wasmhive.PrivateDirError
			if !errors.As(err, &pe) || pe.Component != "x" {
				t.Errorf("AddComponent: %T, want a *PrivateDirError", err)
			}
		})
	}
	t.Run("name", func(t *testing.T) {
		h := newTestHost(t, t.TempDir())
		for _, name := range []string{"..", ".", "a/b", `a\b`} {
			_, err := h.AddComponent(ctx, name, wasmhive.ComponentConfig{Module: wasm, PrivateDir: "/data"})
			if err == nil || !strings.Contains(err.Error(), "cannot name a directory") {
				t.Errorf("name %q: %v", name, err)
			}
			if _, err := h.PrivateDir(name); err == nil {
				t.Errorf("PrivateDir(%q) gave no error", name)
			}
		}
	})
}

func mkdir(t *testing.T, d string) {
	t.Helper()
	if err := os.MkdirAll(d, 0o700); err != nil {
		t.Fatal(err)
	}
}
