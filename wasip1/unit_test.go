package wasip1

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// TestFdNumbering: numbers are handed out as Wasmtime does: the highest
// closed number first, else one past the highest in use.
func TestFdNumbering(t *testing.T) {
	s, err := NewState(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	push := func() uint32 {
		fd, errno := s.push(&fdEntry{kind: kindFile})
		if errno != ESUCCESS {
			t.Fatal(errno)
		}
		return fd
	}
	if a, b, c := push(), push(), push(); a != 3 || b != 4 || c != 5 {
		t.Fatalf("got %d %d %d", a, b, c)
	}
	s.remove(3)
	s.remove(4)
	if fd := push(); fd != 4 {
		t.Fatalf("reuse: got %d, want the highest closed number 4", fd)
	}
	// Onto a number that is not open: EBADF, and nothing moves.
	if errno := s.renumber(5, 20); errno != EBADF {
		t.Fatalf("renumber onto a closed number: errno %d, want EBADF", errno)
	}
	if _, errno := s.get(5); errno != ESUCCESS {
		t.Fatal("a failed renumber closed its source")
	}
	if errno := s.renumber(5, 4); errno != ESUCCESS {
		t.Fatal(errno)
	}
	if fd := push(); fd != 5 {
		t.Fatalf("after renumber: got %d, want 5 (freed by renumber)", fd)
	}
	if fd := push(); fd != 3 {
		t.Fatalf("got %d, want 3", fd)
	}
	if fd := push(); fd != 6 {
		t.Fatalf("got %d, want 6 (past the highest in use)", fd)
	}
	if errno := s.renumber(99, 3); errno != EBADF {
		t.Fatalf("renumber from a closed fd: %d", errno)
	}
}

func TestErrnoOfEscape(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "in"), 0o755); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(filepath.Join(dir, "in"))
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	_, err = root.Open("../x")
	if got := errnoOf(err); got != EPERM {
		t.Fatalf("escape: errno %d (%v), want EPERM", got, err)
	}
	_, err = root.Open("missing")
	if got := errnoOf(err); got != ENOENT {
		t.Fatalf("missing: errno %d, want ENOENT", got)
	}
}

// TestNoState: a caller with no State gets ENOSYS from every function, and
// nothing panics.
func TestNoState(t *testing.T) {
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	h := HostModule{Lookup: func(context.Context, api.Module) *State { return nil }}
	b := r.NewHostModuleBuilder(ModuleName)
	h.Define(b)
	mod, err := b.Instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(mod.ExportedFunctionDefinitions()); n != 46 {
		t.Errorf("%d functions exported, want the 46 of wasi_snapshot_preview1", n)
	}
	for _, d := range functions {
		stack := make([]uint64, max(len(d.params), 1))
		h.wrap(d.f)(ctx, mod, stack)
		if Errno(stack[0]) != ENOSYS {
			t.Errorf("%s: errno %d, want ENOSYS", d.name, stack[0])
		}
	}
}

func TestNewStateErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Preopens: []Preopen{{HostPath: file, GuestPath: "/f"}}}, "preopen " + file + ": not a directory"},
		{Config{Preopens: []Preopen{{HostPath: filepath.Join(dir, "nope"), GuestPath: "/x"}}}, "directory does not exist"},
		{Config{Preopens: []Preopen{{HostPath: dir}}}, "empty guest path"},
		{Config{Args: []string{"a\x00b"}}, "NUL"},
	} {
		s, err := NewState(c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want an error containing %q", c.cfg, err, c.want)
			s.Close()
		}
	}
	s, err := NewState(Config{Env: []string{"A=1", "B"}, Preopens: []Preopen{{HostPath: dir, GuestPath: "/d"}}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(s.env, ",") != "A=1,B=" {
		t.Errorf("env %q", s.env)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, errno := s.get(3); errno != EBADF {
		t.Fatalf("preopen after Close: errno %d", errno)
	}
}
