package wasip1

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/tetratelabs/wazero"
	"golang.org/x/sys/unix"

	"github.com/wasmhive/wasmhive/internal/atfile"
)

// TestHostOpenFlags: the fdflags of path_open and fd_fdstat_set_flags reach
// the host descriptor itself: APPEND is O_APPEND (switched with fcntl),
// SYNC, DSYNC and RSYNC are O_SYNC, O_DSYNC and O_RSYNC.
func TestHostOpenFlags(t *testing.T) {
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	// (module (memory (export "memory") 1))
	bin := []byte("\x00asm\x01\x00\x00\x00\x05\x03\x01\x00\x01\x07\x0a\x01\x06memory\x02\x00")
	mod, err := r.Instantiate(ctx, bin)
	if err != nil {
		t.Fatal(err)
	}
	mem := mod.Memory()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f.txt"), []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := NewState(Config{Preopens: []Preopen{{HostPath: dir, GuestPath: "/d"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const path = "f.txt"
	mem.WriteString(100, path)
	open := func(fdflags uint16) (*fdEntry, uint32) {
		t.Helper()
		st := []uint64{3, 0, 100, uint64(len(path)), 0, rightFdRead | rightFdWrite, 0, uint64(fdflags), 200}
		if errno := pathOpen(s, ctx, mem, st); errno != ESUCCESS {
			t.Fatalf("path_open fdflags %#x: errno %d", fdflags, errno)
		}
		fd, _ := mem.ReadUint32Le(200)
		e, errno := s.get(fd)
		if errno != ESUCCESS {
			t.Fatal(errno)
		}
		return e, fd
	}
	hostFlags := func(e *fdEntry) int {
		t.Helper()
		var fl int
		if err := atfile.WithFd(e.file, func(fd int) error {
			var err error
			fl, err = unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return fl
	}
	for _, c := range []struct {
		fdflags uint16
		want    int
	}{
		{fdflagAppend, unix.O_APPEND},
		{fdflagSync, unix.O_SYNC},
		{fdflagDsync, unix.O_DSYNC},
		{fdflagRsync, unix.O_RSYNC},
	} {
		e, fd := open(c.fdflags)
		if got := hostFlags(e); got&c.want != c.want {
			t.Errorf("fdflags %#x: host flags %#o lack %#o", c.fdflags, got, c.want)
		}
		s.remove(fd)
		e.close()
	}
	e, fd := open(0)
	defer func() { s.remove(fd); e.close() }()
	if hostFlags(e)&unix.O_APPEND != 0 {
		t.Fatal("O_APPEND without FDFLAGS_APPEND")
	}
	if errno := fdFdstatSetFlags(s, ctx, mem, []uint64{uint64(fd), uint64(fdflagAppend)}); errno != ESUCCESS {
		t.Fatal(errno)
	}
	if hostFlags(e)&unix.O_APPEND == 0 {
		t.Error("fd_fdstat_set_flags(APPEND) left the host file without O_APPEND")
	}
	if errno := fdFdstatSetFlags(s, ctx, mem, []uint64{uint64(fd), 0}); errno != ESUCCESS {
		t.Fatal(errno)
	}
	if hostFlags(e)&unix.O_APPEND != 0 {
		t.Error("fd_fdstat_set_flags(0) left O_APPEND on the host file")
	}
}
