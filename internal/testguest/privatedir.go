package testguest

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/wasip1"
)

// PrivateDirWasm is the path, from the repository root, of the C guest
// that tries every way out of its private directory (source beside it).
const PrivateDirWasm = "testdata/guests/privatedir/privatedir.wasm"

// PrivateDirLayout is what the private directory guest's "escapes" mode
// works on: the private directory (guest /data), a read-write directory
// (/shared), a read-only one (/ro), and files outside them all that no
// attempt may reach.
type PrivateDirLayout struct {
	Private, Shared, ReadOnly string
	// Outside holds secret.txt (the target of the host-made symbolic
	// links), dir/file.txt and linked.txt (the target of the host-made hard
	// link Private/hardlink).
	Outside string
	// LinkedMtime is linked.txt's modification time as laid out.
	LinkedMtime time.Time
}

// The contents the layout writes.
const (
	PrivateDirSecret = "outside secret\n"
	PrivateDirLinked = "linked from outside\n"
	PrivateDirInside = "inside\n"
)

// LayPrivateDir makes, in private (created if missing; it need not be
// empty), the host-made files and links the escapes attempts use, and the
// shared, read-only and outside directories under base.
func LayPrivateDir(t testing.TB, base, private string) PrivateDirLayout {
	t.Helper()
	l := PrivateDirLayout{Private: private, Shared: filepath.Join(base, "shared"), ReadOnly: filepath.Join(base, "ro"),
		Outside: filepath.Join(base, "outside")}
	for _, d := range []string{private, filepath.Join(private, "sub"), l.Shared, l.ReadOnly, filepath.Join(l.Outside, "dir")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	secret := filepath.Join(l.Outside, "secret.txt")
	write(secret, PrivateDirSecret)
	write(filepath.Join(l.Outside, "dir", "file.txt"), PrivateDirSecret)
	linked := filepath.Join(l.Outside, "linked.txt")
	write(linked, PrivateDirLinked)
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := os.Chtimes(linked, old, old); err != nil {
		t.Fatal(err)
	}
	l.LinkedMtime = old
	write(filepath.Join(private, "inside.txt"), PrivateDirInside)
	write(filepath.Join(l.Shared, "shared.txt"), "shared\n")
	write(filepath.Join(l.ReadOnly, "ro.txt"), "read only\n")
	up, err := filepath.Rel(private, secret)
	if err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"hostabs": secret, "hostup": up, "hostdir": filepath.Join(l.Outside, "dir"), "insidelink": "inside.txt"} {
		if err := os.Symlink(target, filepath.Join(private, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Link(linked, filepath.Join(private, "hardlink")); err != nil {
		t.Fatal(err)
	}
	return l
}

// PrivateDirExpected returns the attempts of the escapes mode in order and
// the errno of each, in a private directory (private) or a plain preopen,
// from testdata/guests/privatedir/expected.txt.
func PrivateDirExpected(t testing.TB, private bool) (order []string, want map[string]wasip1.Errno) {
	t.Helper()
	f, err := os.Open(filepath.Join(Root(t), "testdata", "guests", "privatedir", "expected.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names := map[string]wasip1.Errno{"0": wasip1.ESUCCESS, "EPERM": wasip1.EPERM, "ELOOP": wasip1.ELOOP, "ENOENT": wasip1.ENOENT}
	want = map[string]wasip1.Errno{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) != 3 {
			t.Fatalf("expected.txt: bad line %q", line)
		}
		col := fs[2]
		if private {
			col = fs[1]
		}
		e, ok := names[col]
		if !ok {
			t.Fatalf("expected.txt: unknown errno %q", col)
		}
		order = append(order, fs[0])
		want[fs[0]] = e
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return order, want
}

// CheckPrivateDirEscapes checks the output of the escapes mode: every
// attempt of expected.txt, in order, with its errno, then "done".
func CheckPrivateDirEscapes(t testing.TB, out string, private bool) {
	t.Helper()
	order, want := PrivateDirExpected(t, private)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != len(order)+1 || lines[len(lines)-1] != "done" {
		t.Fatalf("escapes printed %d lines, want %d attempts and done:\n%s", len(lines), len(order), out)
	}
	for i, name := range order {
		fs := strings.Fields(lines[i])
		if len(fs) != 2 || fs[0] != name {
			t.Errorf("line %d: %q, want attempt %s", i+1, lines[i], name)
			continue
		}
		n, err := strconv.Atoi(fs[1])
		if err != nil {
			t.Errorf("line %d: %q: errno is not a number", i+1, lines[i])
			continue
		}
		if got := wasip1.Errno(n); got != want[name] {
			t.Errorf("%s: errno %d, want %d", name, got, want[name])
		}
	}
}

// CheckPrivateDirOutside checks, after the escapes mode ran in a private
// directory, that nothing outside changed and nothing leaked: the files
// outside keep their contents and times, no file was made beside the
// private directory or in the shared one, and the guest left no link
// pointing out.
func CheckPrivateDirOutside(t testing.TB, l PrivateDirLayout) {
	t.Helper()
	read := func(p string) string {
		t.Helper()
		b, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
		}
		return string(b)
	}
	if got := read(filepath.Join(l.Outside, "secret.txt")); got != PrivateDirSecret {
		t.Errorf("outside secret.txt = %q, want it untouched", got)
	}
	linked := filepath.Join(l.Outside, "linked.txt")
	if got := read(linked); got != PrivateDirLinked {
		t.Errorf("outside linked.txt = %q, want it untouched (the hard link was written through)", got)
	}
	if fi, err := os.Stat(linked); err != nil || !fi.ModTime().Equal(l.LinkedMtime) {
		t.Errorf("outside linked.txt times changed through the hard link: %v %v", fi.ModTime(), err)
	}
	if got := read(filepath.Join(l.Private, "hardlink")); got != "mine now" {
		t.Errorf("private hardlink = %q, want the guest's own new file", got)
	}
	if got := read(filepath.Join(l.Private, "inside.txt")); got != PrivateDirInside {
		t.Errorf("inside.txt = %q", got)
	}
	parent := filepath.Dir(l.Private)
	for _, p := range []string{
		filepath.Join(parent, "stolen.txt"), filepath.Join(parent, "evil"), filepath.Join(parent, "created.txt"),
		filepath.Join(l.Shared, "leak.txt"), filepath.Join(l.Shared, "rw.txt"),
		filepath.Join(l.Shared, "moved_link"), filepath.Join(l.Shared, "box"), filepath.Join(l.Shared, "inside.txt"),
		filepath.Join(l.Private, "gup"), filepath.Join(l.Private, "getc"), filepath.Join(l.Private, "gin"),
		filepath.Join(l.Private, "sub", "gsub"), filepath.Join(l.Private, "inside2.txt"), filepath.Join(l.Private, "in.txt"),
	} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s exists after the escapes (err %v)", p, err)
		}
	}
	if got := read(filepath.Join(l.Private, "from_shared.txt")); got != "shared\n" {
		t.Errorf("a file renamed into the private directory: %q", got)
	}
	if target, err := os.Readlink(filepath.Join(l.Private, "gdown")); err != nil || target != "inside.txt" {
		t.Errorf("the guest's own symlink gdown: %q %v", target, err)
	}
}
