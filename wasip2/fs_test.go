package wasip2

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/engine"
)

const (
	fsT     = "wasi:filesystem/types#"
	desc    = fsT + "[method]descriptor."
	streams = "wasi:io/streams#"
)

// fsEnv is an instance with preopens of the given directories.
func fsEnv(t *testing.T, preopens ...engine.Preopen) *env {
	return newEnv(t, engine.InstanceConfig{Preopens: preopens})
}

// dirs returns the preopens' descriptors by guest path.
func (e *env) dirs() map[string]uint32 {
	e.t.Helper()
	list := e.call("wasi:filesystem/preopens#get-directories").(canonical.List)
	out := map[string]uint32{}
	for _, v := range list {
		tu := v.(canonical.Tuple)
		out[tu[1].(string)] = rep(tu[0])
	}
	return out
}

func b(d uint32) canonical.Borrow { return canonical.Borrow{Rep: d} }

func flags(f uint32) canonical.Flags { return canonical.Flags(f) }

// open opens path in dir and returns the new descriptor.
func (e *env) open(dir uint32, path string, of OpenFlags, df DescriptorFlags) uint32 {
	e.t.Helper()
	return rep(e.ok(e.call(desc+"open-at", b(dir), flags(uint32(SymlinkFollow)), path, flags(uint32(of)), flags(uint32(df)))))
}

func (e *env) openCode(dir uint32, pf PathFlags, path string, of OpenFlags, df DescriptorFlags) ErrorCode {
	e.t.Helper()
	return e.code(e.call(desc+"open-at", b(dir), flags(uint32(pf)), path, flags(uint32(of)), flags(uint32(df))))
}

func TestFileReadWrite(t *testing.T) {
	dir := t.TempDir()
	e := fsEnv(t, engine.Preopen{HostPath: dir, GuestPath: "/data"})
	root := e.dirs()["/data"]
	if root == 0 {
		t.Fatal("no /data preopen")
	}
	if f := e.ok(e.call(desc+"get-flags", b(root))).(canonical.Flags); DescriptorFlags(f) != FlagRead|FlagMutateDirectory {
		t.Fatalf("preopen flags %b", f)
	}
	if typ := e.ok(e.call(desc+"get-type", b(root))); typ != canonical.Enum(TypeDirectory) {
		t.Fatalf("preopen type %v", typ)
	}

	f := e.open(root, "a.txt", OpenCreate, FlagRead|FlagWrite)
	if n := e.ok(e.call(desc+"write", b(f), []byte("hello, world"), uint64(0))); n != uint64(12) {
		t.Fatalf("write returned %v", n)
	}
	got := e.ok(e.call(desc+"read", b(f), uint64(5), uint64(7))).(canonical.Tuple)
	if string(got[0].([]byte)) != "world" || got[1] != false {
		t.Fatalf("read = %q, end %v", got[0], got[1])
	}
	got = e.ok(e.call(desc+"read", b(f), uint64(100), uint64(7))).(canonical.Tuple)
	if string(got[0].([]byte)) != "world" || got[1] != true {
		t.Fatalf("read to the end = %q, end %v", got[0], got[1])
	}

	// An output stream at an offset, then an appending one.
	out := rep(e.ok(e.call(desc+"write-via-stream", b(f), uint64(7))))
	e.ok(e.call(streams+"[method]output-stream.blocking-write-and-flush", b(out), []byte("WORLD")))
	app := rep(e.ok(e.call(desc+"append-via-stream", b(f))))
	e.ok(e.call(streams+"[method]output-stream.write", b(app), []byte("!")))
	e.ok(e.call(streams+"[method]output-stream.write-zeroes", b(app), uint64(2)))
	e.ok(e.call(streams+"[method]output-stream.flush", b(app)))
	if data, _ := os.ReadFile(filepath.Join(dir, "a.txt")); string(data) != "hello, WORLD!\x00\x00" {
		t.Fatalf("file holds %q", data)
	}

	// An input stream reads to the end, then is closed.
	in := rep(e.ok(e.call(desc+"read-via-stream", b(f), uint64(7))))
	if b := e.ok(e.call(streams+"[method]input-stream.blocking-read", b(in), uint64(5))); string(b.([]byte)) != "WORLD" {
		t.Fatalf("stream read %q", b)
	}
	if n := e.ok(e.call(streams+"[method]input-stream.skip", b(in), uint64(100))); n != uint64(3) {
		t.Fatalf("skip = %v", n)
	}
	r := e.call(streams+"[method]input-stream.read", b(in), uint64(5)).(canonical.Result)
	if !r.Err || r.Value != (canonical.Variant{Case: 1}) {
		t.Fatalf("read at the end = %#v, want err(closed)", r)
	}

	// splice copies a file stream into another stream.
	var copied strings.Builder
	e2 := newEnv(t, engine.InstanceConfig{Stdout: &copied, Preopens: []engine.Preopen{{HostPath: dir, GuestPath: "/data"}}})
	r2 := e2.dirs()["/data"]
	f2 := e2.open(r2, "a.txt", 0, FlagRead)
	src := rep(e2.ok(e2.call(desc+"read-via-stream", b(f2), uint64(0))))
	so := rep(e2.call("wasi:cli/stdout#get-stdout"))
	if n := e2.ok(e2.call(streams+"[method]output-stream.splice", b(so), b(src), uint64(5))); n != uint64(5) {
		t.Fatalf("splice = %v", n)
	}
	if n := e2.ok(e2.call(streams+"[method]output-stream.blocking-splice", b(so), b(src), uint64(100))); n != uint64(10) {
		t.Fatalf("blocking-splice = %v", n)
	}
	if copied.String() != "hello, WORLD!\x00\x00" {
		t.Fatalf("spliced %q", copied.String())
	}

	// The streams outlive their descriptor's handle.
	if err := e.drop(fsT+"descriptor", f); err != nil {
		t.Fatal(err)
	}
	e.wantCode(ErrBadDescriptor, e.call(desc+"read-via-stream", b(root), uint64(0)))
	e.ok(e.call(streams+"[method]output-stream.write", b(out), []byte("x")))
	if data, _ := os.ReadFile(filepath.Join(dir, "a.txt")); string(data) != "hello, WORLDx\x00\x00" {
		t.Fatalf("after drop the file holds %q", data)
	}
	for _, h := range []uint32{out, app} {
		if err := e.drop(streams+"output-stream", h); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.drop(streams+"input-stream", in); err != nil {
		t.Fatal(err)
	}
	if err := e.drop(streams+"input-stream", in); err == nil {
		t.Fatal("dropping a dropped stream did not fail")
	}
}

func TestDescriptorChecks(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f"), []byte("data"), 0o644)
	e := fsEnv(t, engine.Preopen{HostPath: dir, GuestPath: "."})
	root := e.dirs()["."]
	f := e.open(root, "f", 0, FlagRead)
	e.wantCode(ErrBadDescriptor, e.call(desc+"write", b(f), []byte("x"), uint64(0)))
	e.wantCode(ErrBadDescriptor, e.call(desc+"write-via-stream", b(f), uint64(0)))
	e.wantCode(ErrBadDescriptor, e.call(desc+"set-size", b(f), uint64(0)))
	e.wantCode(ErrBadDescriptor, e.call(desc+"read", b(root), uint64(1), uint64(0)))
	e.wantCode(ErrBadDescriptor, e.call(desc+"read-via-stream", b(root), uint64(0)))
	e.wantCode(ErrNotDirectory, e.call(desc+"open-at", b(f), flags(0), "x", flags(0), flags(uint32(FlagRead))))
	e.wantCode(ErrNotDirectory, e.call(desc+"read-directory", b(f)))
	e.wantCode(ErrInvalid, e.call(desc+"advise", b(f), uint64(0), uint64(0), canonical.Enum(6)))
	e.ok(e.call(desc+"advise", b(f), uint64(0), uint64(0), canonical.Enum(1)))
	if code := e.openCode(root, 0, "f", OpenDirectory, FlagRead); code != ErrNotDirectory {
		t.Fatalf("open-at directory of a file: %s", code)
	}
	if code := e.openCode(root, 0, "f", OpenCreate|OpenExclusive, FlagRead|FlagWrite); code != ErrExist {
		t.Fatalf("open-at create exclusive of a file: %s", code)
	}
	if code := e.openCode(root, 0, "missing", 0, FlagRead); code != ErrNoEntry {
		t.Fatalf("open-at of a missing file: %s", code)
	}
	if code := e.openCode(root, 0, ".", 0, FlagRead|FlagWrite); code != ErrIsDirectory {
		t.Fatalf("open-at of a directory for writing: %s", code)
	}
	// A bad argument type traps with a clear error, not a panic.
	if _, err := e.callCtx(t.Context(), desc+"read", b(f), "x", uint64(0)); err == nil || !strings.Contains(err.Error(), "argument 1") {
		t.Fatalf("bad argument: %v", err)
	}
	if _, err := e.callCtx(t.Context(), desc+"read"); err == nil {
		t.Fatal("missing arguments did not fail")
	}
}

func TestDirectoryOperations(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	e := fsEnv(t, engine.Preopen{HostPath: dir, GuestPath: "/a"}, engine.Preopen{HostPath: other, GuestPath: "/b"})
	d := e.dirs()
	a, bdir := d["/a"], d["/b"]

	e.ok(e.call(desc+"create-directory-at", b(a), "sub"))
	e.wantCode(ErrExist, e.call(desc+"create-directory-at", b(a), "sub"))
	f := e.open(a, "sub/file", OpenCreate|OpenTruncate, FlagWrite)
	e.ok(e.call(desc+"write", b(f), []byte("12345"), uint64(0)))
	e.ok(e.call(desc+"set-size", b(f), uint64(3)))

	st := e.ok(e.call(desc+"stat-at", b(a), flags(0), "sub/file")).(canonical.Record)
	if st[0] != canonical.Enum(TypeRegularFile) || st[1] != uint64(1) || st[2] != uint64(3) {
		t.Fatalf("stat-at = %v", st)
	}
	for i := 3; i < 6; i++ {
		if o := st[i].(canonical.Option); !o.Some {
			t.Fatalf("stat-at timestamp %d missing", i)
		}
	}
	if st := e.ok(e.call(desc+"stat", b(f))).(canonical.Record); st[2] != uint64(3) {
		t.Fatalf("stat = %v", st)
	}

	// Times: set one, leave the other.
	when := canonical.Variant{Case: 2, Value: canonical.Record{uint64(1_000_000_000), uint32(5000)}}
	e.ok(e.call(desc+"set-times-at", b(a), flags(0), "sub/file", canonical.Variant{Case: 0}, when))
	fi, _ := os.Stat(filepath.Join(dir, "sub/file"))
	if !fi.ModTime().Equal(time.Unix(1_000_000_000, 5000)) {
		t.Fatalf("mtime %v", fi.ModTime())
	}
	e.ok(e.call(desc+"set-times", b(f), canonical.Variant{Case: 1}, canonical.Variant{Case: 1}))
	fi, _ = os.Stat(filepath.Join(dir, "sub/file"))
	if time.Since(fi.ModTime()) > time.Minute {
		t.Fatalf("mtime after now: %v", fi.ModTime())
	}
	e.wantCode(ErrInvalid, e.call(desc+"set-times", b(f), canonical.Variant{Case: 2, Value: canonical.Record{uint64(1), uint32(2e9)}}, canonical.Variant{Case: 0}))

	// Listing.
	e.ok(e.call(desc+"symlink-at", b(a), "sub/file", "link"))
	ds := rep(e.ok(e.call(desc+"read-directory", b(a))))
	var names []string
	types := map[string]canonical.Enum{}
	for {
		o := e.ok(e.call(fsT+"[method]directory-entry-stream.read-directory-entry", b(ds))).(canonical.Option)
		if !o.Some {
			break
		}
		r := o.Value.(canonical.Record)
		names = append(names, r[1].(string))
		types[r[1].(string)] = r[0].(canonical.Enum)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"link", "sub"}) || types["link"] != canonical.Enum(TypeSymbolicLink) || types["sub"] != canonical.Enum(TypeDirectory) {
		t.Fatalf("entries %v %v", names, types)
	}
	if err := e.drop(fsT+"directory-entry-stream", ds); err != nil {
		t.Fatal(err)
	}
	if got := e.ok(e.call(desc+"readlink-at", b(a), "link")); got != "sub/file" {
		t.Fatalf("readlink-at = %v", got)
	}
	e.wantCode(ErrInvalid, e.call(desc+"readlink-at", b(a), "sub"))
	if st := e.ok(e.call(desc+"stat-at", b(a), flags(0), "link")).(canonical.Record); st[0] != canonical.Enum(TypeSymbolicLink) {
		t.Fatalf("stat-at of a link without follow: %v", st[0])
	}
	if st := e.ok(e.call(desc+"stat-at", b(a), flags(uint32(SymlinkFollow)), "link")).(canonical.Record); st[0] != canonical.Enum(TypeRegularFile) {
		t.Fatalf("stat-at of a link with follow: %v", st[0])
	}
	if code := e.openCode(a, 0, "link", 0, FlagRead); code != ErrLoop {
		t.Fatalf("open-at of a link without follow: %s", code)
	}

	// Identity.
	g := e.open(a, "link", 0, FlagRead)
	if same := e.call(desc+"is-same-object", b(f), b(g)); same != true {
		t.Fatal("a file and its link are not the same object")
	}
	if same := e.call(desc+"is-same-object", b(f), b(a)); same != false {
		t.Fatal("a file and its directory are the same object")
	}
	h1 := e.ok(e.call(desc+"metadata-hash", b(f)))
	h2 := e.ok(e.call(desc+"metadata-hash-at", b(a), flags(uint32(SymlinkFollow)), "link"))
	h3 := e.ok(e.call(desc+"metadata-hash", b(a)))
	if !slices.Equal(h1.(canonical.Record), h2.(canonical.Record)) || slices.Equal(h1.(canonical.Record), h3.(canonical.Record)) {
		t.Fatalf("metadata hashes %v %v %v", h1, h2, h3)
	}

	// Removal.
	e.wantCode(ErrNotEmpty, e.call(desc+"remove-directory-at", b(a), "sub"))
	e.wantCode(ErrIsDirectory, e.call(desc+"unlink-file-at", b(a), "sub"))
	e.wantCode(ErrNotDirectory, e.call(desc+"remove-directory-at", b(a), "link"))
	e.ok(e.call(desc+"unlink-file-at", b(a), "link"))

	// Renames within and across preopens, and hard links.
	e.ok(e.call(desc+"rename-at", b(a), "sub/file", b(a), "moved"))
	e.ok(e.call(desc+"rename-at", b(a), "moved", b(bdir), "there"))
	if _, err := os.Stat(filepath.Join(other, "there")); err != nil {
		t.Fatal(err)
	}
	e.ok(e.call(desc+"link-at", b(bdir), flags(0), "there", b(a), "hard"))
	if st := e.ok(e.call(desc+"stat-at", b(a), flags(0), "hard")).(canonical.Record); st[1] != uint64(2) {
		t.Fatalf("link count after link-at: %v", st[1])
	}
	e.wantCode(ErrInvalid, e.call(desc+"link-at", b(bdir), flags(uint32(SymlinkFollow)), "there", b(a), "hard2"))
	e.ok(e.call(desc+"remove-directory-at", b(a), "sub"))
	e.ok(e.call(desc+"sync", b(f)))
	e.ok(e.call(desc+"sync-data", b(f)))
	e.ok(e.call(desc+"sync", b(a)))
}

// TestSandbox checks that no path leaves its preopen, as in wasip1: ".."
// components, absolute paths and symbolic links pointing out are
// not-permitted, whether the host or the guest made the link.
func TestSandbox(t *testing.T) {
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o644)
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "abs"))
	os.Symlink("../"+filepath.Base(outside)+"/secret", filepath.Join(dir, "rel"))
	os.Symlink(outside, filepath.Join(dir, "outdir"))
	e := fsEnv(t, engine.Preopen{HostPath: dir, GuestPath: "/data"})
	root := e.dirs()["/data"]

	follow := SymlinkFollow
	for _, p := range []string{"../x", "sub/../../x", "/etc/passwd", "abs", "rel", "outdir/secret", "outdir/new"} {
		if code := e.openCode(root, follow, p, 0, FlagRead); code != ErrNotPermitted && code != ErrNoEntry {
			t.Errorf("open-at %q: %s, want not-permitted", p, code)
		} else if code == ErrNoEntry && p != "outdir/new" {
			t.Errorf("open-at %q: %s, want not-permitted", p, code)
		}
		e.wantCode(ErrNotPermitted, e.call(desc+"stat-at", b(root), flags(uint32(follow)), p))
	}
	if code := e.openCode(root, follow, "outdir/new", OpenCreate, FlagWrite); code != ErrNotPermitted {
		t.Errorf("open-at create through a link out: %s", code)
	}
	e.wantCode(ErrNotPermitted, e.call(desc+"create-directory-at", b(root), "outdir/new"))
	e.wantCode(ErrNotPermitted, e.call(desc+"create-directory-at", b(root), "../new"))
	e.wantCode(ErrNotPermitted, e.call(desc+"unlink-file-at", b(root), "outdir/secret"))
	e.wantCode(ErrNotPermitted, e.call(desc+"rename-at", b(root), "../"+filepath.Base(outside)+"/secret", b(root), "stolen"))
	e.wantCode(ErrNotPermitted, e.call(desc+"rename-at", b(root), "sub", b(root), "outdir/sub"))
	e.wantCode(ErrNotPermitted, e.call(desc+"link-at", b(root), flags(0), "outdir/secret", b(root), "hard"))
	e.wantCode(ErrNotPermitted, e.call(desc+"readlink-at", b(root), "outdir/x"))
	e.wantCode(ErrNotPermitted, e.call(desc+"readlink-at", b(root), "abs"))
	if got := e.ok(e.call(desc+"readlink-at", b(root), "rel")); got != "../"+filepath.Base(outside)+"/secret" {
		t.Errorf("readlink-at of a relative link: %v", got)
	}
	e.wantCode(ErrNotPermitted, e.call(desc+"set-times-at", b(root), flags(uint32(follow)), "abs", canonical.Variant{Case: 1}, canonical.Variant{Case: 1}))
	e.wantCode(ErrNotPermitted, e.call(desc+"metadata-hash-at", b(root), flags(uint32(follow)), "../"))
	// Guest-made links cannot point to absolute paths; ".." links that
	// stay inside are fine, and still cannot be followed out.
	e.wantCode(ErrNotPermitted, e.call(desc+"symlink-at", b(root), "/etc/passwd", "mine"))
	e.ok(e.call(desc+"symlink-at", b(root), "../"+filepath.Base(outside), "up"))
	if code := e.openCode(root, follow, "up/secret", 0, FlagRead); code != ErrNotPermitted {
		t.Errorf("open-at through a guest-made link out: %s", code)
	}
	// A subdirectory descriptor is a sandbox of its own.
	sub := e.open(root, "sub", OpenDirectory, FlagRead|FlagMutateDirectory)
	if code := e.openCode(sub, follow, "../sub", 0, FlagRead); code != ErrNotPermitted {
		t.Errorf("open-at ../ from a subdirectory: %s", code)
	}
	if data, _ := os.ReadFile(filepath.Join(outside, "secret")); string(data) != "secret" {
		t.Fatal("the file outside changed")
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 1 {
		t.Fatalf("outside holds %d entries", len(entries))
	}
}

func TestReadOnlyPreopen(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f"), []byte("data"), 0o644)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	e := fsEnv(t, engine.Preopen{HostPath: dir, GuestPath: "/ro", ReadOnly: true})
	root := e.dirs()["/ro"]
	if f := e.ok(e.call(desc+"get-flags", b(root))).(canonical.Flags); DescriptorFlags(f) != FlagRead {
		t.Fatalf("read-only preopen flags %b", f)
	}
	if code := e.openCode(root, 0, "f", 0, FlagRead|FlagWrite); code != ErrReadOnly {
		t.Errorf("open-at for writing: %s", code)
	}
	if code := e.openCode(root, 0, "new", OpenCreate, FlagRead); code != ErrReadOnly {
		t.Errorf("open-at create: %s", code)
	}
	if code := e.openCode(root, 0, "f", OpenTruncate, FlagRead); code != ErrReadOnly {
		t.Errorf("open-at truncate: %s", code)
	}
	if code := e.openCode(root, 0, "sub", OpenDirectory, FlagRead|FlagMutateDirectory); code != ErrReadOnly {
		t.Errorf("open-at mutate-directory: %s", code)
	}
	sub := e.open(root, "sub", OpenDirectory, FlagRead)
	f := e.open(root, "f", 0, FlagRead)
	for _, d := range []uint32{root, sub} {
		e.wantCode(ErrReadOnly, e.call(desc+"create-directory-at", b(d), "x"))
		e.wantCode(ErrReadOnly, e.call(desc+"symlink-at", b(d), "f", "x"))
		e.wantCode(ErrReadOnly, e.call(desc+"set-times", b(d), canonical.Variant{Case: 1}, canonical.Variant{Case: 1}))
	}
	e.wantCode(ErrReadOnly, e.call(desc+"unlink-file-at", b(root), "f"))
	e.wantCode(ErrReadOnly, e.call(desc+"remove-directory-at", b(root), "sub"))
	e.wantCode(ErrReadOnly, e.call(desc+"rename-at", b(root), "f", b(root), "g"))
	e.wantCode(ErrReadOnly, e.call(desc+"link-at", b(root), flags(0), "f", b(root), "g"))
	e.wantCode(ErrReadOnly, e.call(desc+"set-times-at", b(root), flags(0), "f", canonical.Variant{Case: 1}, canonical.Variant{Case: 1}))
	e.wantCode(ErrReadOnly, e.call(desc+"set-times", b(f), canonical.Variant{Case: 1}, canonical.Variant{Case: 1}))
	e.wantCode(ErrBadDescriptor, e.call(desc+"set-size", b(f), uint64(0)))
	e.wantCode(ErrBadDescriptor, e.call(desc+"append-via-stream", b(f)))
	// Reading is fine.
	if got := e.ok(e.call(desc+"read", b(f), uint64(10), uint64(0))).(canonical.Tuple); string(got[0].([]byte)) != "data" {
		t.Fatalf("read %q", got[0])
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "f")); string(data) != "data" {
		t.Fatal("the read-only file changed")
	}
}

// TestMutateDirectory: a directory opened without mutate-directory
// changes nothing (read-only), one opened with it does.
func TestMutateDirectory(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	e := fsEnv(t, engine.Preopen{HostPath: dir, GuestPath: "."})
	root := e.dirs()["."]
	ro := e.open(root, "sub", OpenDirectory, FlagRead)
	if f := e.ok(e.call(desc+"get-flags", b(ro))).(canonical.Flags); DescriptorFlags(f) != FlagRead {
		t.Fatalf("flags %b", f)
	}
	e.wantCode(ErrReadOnly, e.call(desc+"create-directory-at", b(ro), "x"))
	noRead := e.open(root, "sub", OpenDirectory, 0)
	e.wantCode(ErrNotPermitted, e.call(desc+"read-directory", b(noRead)))
	if code := e.openCode(ro, 0, "f", OpenCreate, FlagWrite); code != ErrReadOnly {
		t.Fatalf("open-at create under a directory without mutate-directory: %s", code)
	}
	if code := e.openCode(ro, 0, ".", OpenDirectory, FlagRead|FlagMutateDirectory); code != ErrReadOnly {
		t.Fatalf("open-at asking mutate-directory from a directory without it: %s", code)
	}
	rw := e.open(root, "sub", OpenDirectory, FlagRead|FlagMutateDirectory)
	e.ok(e.call(desc+"create-directory-at", b(rw), "x"))
	if fi, err := os.Stat(filepath.Join(dir, "sub", "x")); err != nil || !fi.IsDir() {
		t.Fatal("create-directory-at made nothing", err)
	}
	// A file never has mutate-directory.
	f := e.open(rw, "f", OpenCreate, FlagRead|FlagWrite|FlagMutateDirectory)
	if got := e.ok(e.call(desc+"get-flags", b(f))).(canonical.Flags); DescriptorFlags(got) != FlagRead|FlagWrite {
		t.Fatalf("file flags %b", got)
	}
}

func TestPrivatePreopen(t *testing.T) {
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o644)
	dir, other := t.TempDir(), t.TempDir()
	if err := os.Link(filepath.Join(outside, "secret"), filepath.Join(dir, "hard")); err != nil {
		t.Skip("no hard links here:", err)
	}
	os.WriteFile(filepath.Join(dir, "own"), []byte("own"), 0o644)
	e := fsEnv(t, engine.Preopen{HostPath: dir, GuestPath: "/p", Private: true}, engine.Preopen{HostPath: other, GuestPath: "/o"})
	d := e.dirs()
	p, o := d["/p"], d["/o"]
	if code := e.openCode(p, 0, "hard", 0, FlagRead); code != ErrNotPermitted {
		t.Errorf("open-at of a host-made hard link: %s", code)
	}
	e.wantCode(ErrNotPermitted, e.call(desc+"set-times-at", b(p), flags(0), "hard", canonical.Variant{Case: 1}, canonical.Variant{Case: 1}))
	e.wantCode(ErrNotPermitted, e.call(desc+"link-at", b(p), flags(0), "own", b(p), "own2"))
	e.wantCode(ErrNotPermitted, e.call(desc+"rename-at", b(p), "own", b(o), "out"))
	e.wantCode(ErrNotPermitted, e.call(desc+"symlink-at", b(p), "../x", "l"))
	e.ok(e.call(desc+"symlink-at", b(p), "own", "l"))
	f := e.open(p, "own", OpenTruncate, FlagWrite)
	e.ok(e.call(desc+"write", b(f), []byte("new"), uint64(0)))
	if data, _ := os.ReadFile(filepath.Join(outside, "secret")); string(data) != "secret" {
		t.Fatal("the file outside changed")
	}
}

func TestPreopenErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o644)
	for _, tc := range []struct {
		p    engine.Preopen
		want string
	}{
		{engine.Preopen{HostPath: "/no/such/dir", GuestPath: "/x"}, "does not exist"},
		{engine.Preopen{HostPath: file, GuestPath: "/x"}, "not a directory"},
		{engine.Preopen{HostPath: t.TempDir()}, "empty guest path"},
	} {
		_, err := NewState(&engine.InstanceConfig{Preopens: []engine.Preopen{tc.p}})
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v: %v, want one line with %q", tc.p, err, tc.want)
		}
	}
}
