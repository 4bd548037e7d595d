package wasip1_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

// runPrivateDirGuest runs the private directory guest's escapes mode with
// l's directories, /data private or not.
func runPrivateDirGuest(t *testing.T, l testguest.PrivateDirLayout, private bool) string {
	t.Helper()
	rt := newRuntime(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	mod, err := rt.CompileFile(ctx, filepath.Join(testguest.Root(t), testguest.PrivateDirWasm))
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err = rt.RunCommand(ctx, mod, engine.InstanceConfig{
		Args:   []string{"privatedir", "escapes"},
		Stdout: &stdout, Stderr: &stderr,
		Preopens: []engine.Preopen{
			{HostPath: l.Private, GuestPath: "/data", Private: private},
			{HostPath: l.Shared, GuestPath: "/shared"},
			{HostPath: l.ReadOnly, GuestPath: "/ro", ReadOnly: true},
		},
	})
	if err != nil {
		t.Fatalf("run: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// TestPrivatePreopenEscapes tries every way out of a private preopen: "..",
// absolute paths, symbolic links made by the host before the run and by the
// guest, hard links made by the host to a file outside and by the guest;
// each is refused with the errno of expected.txt, nothing outside changes,
// and what a guest does with its own files works.
func TestPrivatePreopenEscapes(t *testing.T) {
	base := t.TempDir()
	l := testguest.LayPrivateDir(t, base, filepath.Join(base, "private"))
	out := runPrivateDirGuest(t, l, true)
	testguest.CheckPrivateDirEscapes(t, out, true)
	testguest.CheckPrivateDirOutside(t, l)
	if t.Failed() {
		t.Logf("guest output:\n%s", out)
	}
}

// TestPlainPreopenHardLinkThreat runs the same attempts in a plain
// read-write preopen: the sandbox still refuses "..", absolute paths and
// symbolic links out, but a host-made hard link gives the guest the file
// outside (it truncates it here), which is what Private prevents.
func TestPlainPreopenHardLinkThreat(t *testing.T) {
	base := t.TempDir()
	l := testguest.LayPrivateDir(t, base, filepath.Join(base, "plain"))
	out := runPrivateDirGuest(t, l, false)
	testguest.CheckPrivateDirEscapes(t, out, false)
	b, err := os.ReadFile(filepath.Join(l.Outside, "linked.txt"))
	if err != nil || len(b) != 0 {
		t.Errorf("outside linked.txt = %q, %v; want it truncated through the hard link of a plain preopen", b, err)
	}
	if _, err := os.Stat(filepath.Join(l.Shared, "leak.txt")); err != nil {
		t.Errorf("a plain preopen allows path_link to another preopen: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(l.Shared, "moved_link")); err != nil || !os.SameFile(fi, mustStat(t, filepath.Join(l.Outside, "linked.txt"))) {
		t.Errorf("a plain preopen lets the host-made hard link be renamed to another preopen: %v", err)
	}
	if _, err := os.Stat(filepath.Join(l.Shared, "rw.txt")); !os.IsNotExist(err) {
		t.Errorf("path_link out of a read-only preopen was allowed: %v", err)
	}
}

func mustStat(t *testing.T, p string) os.FileInfo {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}
