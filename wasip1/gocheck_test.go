package wasip1_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

// TestGoGuest runs a GOOS=wasip1 Go program (Go's own WASI client code:
// os.ReadDir, WalkDir, RemoveAll, time.Sleep through poll_oneoff...) on
// wasmhive's WASI.
func TestGoGuest(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte("input data"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("in.txt", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	rt := newRuntime(t)
	ctx := context.Background()
	mod, err := rt.CompileFile(ctx, testguest.GoCommand(t, "wasi/gocheck"))
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err = rt.RunCommand(ctx, mod, engine.InstanceConfig{
		Args:     []string{"gocheck", "a", "b c"},
		Env:      []string{"GREETING=hi there"},
		Stdin:    strings.NewReader("first\nsecond\n"),
		Stdout:   &stdout,
		Stderr:   &stderr,
		Preopens: []engine.Preopen{{HostPath: dir, GuestPath: "/data"}},
	})
	if err != nil {
		t.Fatalf("%v\nstderr: %s", err, stderr.String())
	}
	want := `args ["a" "b c"]
env "hi there"
read "input data" <nil>
list [in.txt:false link:false sub:true]
write <nil>
lstat link symlink=true
readlink "in.txt" <nil>
walk [/data /data/in.txt /data/link /data/out.txt /data/sub]
removed true
slept true
line "first"
line "second"
`
	if got := stdout.String(); got != want {
		t.Errorf("output:\n%s\nwant:\n%s\nstderr: %s", got, want, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); !os.IsNotExist(err) {
		t.Errorf("RemoveAll left /data/x: %v", err)
	}
}
