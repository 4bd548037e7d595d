package wasip1_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

// checkNames are the checks testdata/guests/wasi/checks.c runs, in order.
var checkNames = []string{
	"args", "environ", "clock_realtime", "clock_monotonic", "clock_cputime", "random", "prestat",
	"read_file", "write_readonly_fd", "fdstat_set_rights", "trunc_opens_write", "seek_tell", "filestat",
	"pwrite_append", "append_toggle", "sync_flags", "readdir", "mkdir_rmdir", "rename", "symlink_readlink", "readlink_short_buffer",
	"filestat_symlink", "set_times_symlink", "open_nofollow", "path_link", "unlink_dir", "rmdir_file",
	"open_directory_on_file", "fd_read_dir", "unlink_trailing_slash", "path_on_file_fd",
	"escape_dotdot", "escape_absolute", "escape_host_symlink", "escape_guest_symlink", "escape_dirfd",
	"readonly_preopen", "sock_shutdown_notsock", "proc_raise", "stdio_positional",
	"poll_clock", "poll_stdout", "poll_file", "poll_abstime", "poll_stdin_timeout", "poll_stdin_ready",
	"renumber", "renumber_stdio", "renumber_preopen", "close_preopen",
}

type dirs struct {
	base, sandbox, ro, extra, secret string
}

// makeDirs lays out the preopens checks.c expects, with a secret file
// outside them that no check may reach.
func makeDirs(t *testing.T) dirs {
	t.Helper()
	base := t.TempDir()
	d := dirs{base: base, sandbox: filepath.Join(base, "sandbox"), ro: filepath.Join(base, "ro"),
		extra: filepath.Join(base, "extra"), secret: filepath.Join(base, "secret.txt")}
	for _, dir := range []string{d.sandbox, filepath.Join(d.sandbox, "sub"), d.ro, d.extra} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(d.sandbox, "data.txt"), "hello world\n")
	write(filepath.Join(d.ro, "ro.txt"), "read only\n")
	write(d.secret, "secret\n")
	for name, target := range map[string]string{"abs": d.secret, "up": "../secret.txt", "inlink": "data.txt"} {
		if err := os.Symlink(target, filepath.Join(d.sandbox, name)); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func newRuntime(t testing.TB) *engine.Runtime {
	t.Helper()
	rt, err := engine.NewRuntime(context.Background(), engine.Config{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(context.Background()) })
	return rt
}

// TestGuestChecks runs the C guest's checks through the engine with real
// preopens, streaming stdin and stdout, and asserts every "ok" line.
func TestGuestChecks(t *testing.T) {
	d := makeDirs(t)
	rt := newRuntime(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	mod, err := rt.CompileFile(ctx, testguest.Path(t, "wasi/checks.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	stdinR, stdinW := io.Pipe()
	stdoutR, stdoutW := io.Pipe()
	var stderr bytes.Buffer
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdoutR)
		for sc.Scan() {
			line := sc.Text()
			// poll_stdin_timeout passed with stdin open and empty: now
			// give the guest a line to wait for.
			if line == "ok poll_stdin_timeout" {
				go stdinW.Write([]byte("ping\n"))
			}
			lines <- line
		}
	}()
	done := make(chan error, 1)
	go func() {
		done <- rt.RunCommand(ctx, mod, engine.InstanceConfig{
			Args:   []string{"checks", "alpha", "beta gamma"},
			Env:    []string{"WASI_TEST=yes=really", "OTHER=1"},
			Stdin:  stdinR,
			Stdout: stdoutW,
			Stderr: &stderr,
			Preopens: []engine.Preopen{
				{HostPath: d.sandbox, GuestPath: "/sandbox"},
				{HostPath: d.ro, GuestPath: "/ro", ReadOnly: true},
				{HostPath: d.extra, GuestPath: "/extra"},
			},
		})
		stdoutW.Close()
	}()
	var out []string
	for l := range lines {
		out = append(out, l)
	}
	runErr := <-done
	stdinW.Close()
	got := map[string]bool{}
	failures := map[string]string{}
	for _, l := range out {
		if name, ok := strings.CutPrefix(l, "ok "); ok {
			got[name] = true
		}
		if rest, ok := strings.CutPrefix(l, "FAIL "); ok {
			name, _, _ := strings.Cut(rest, ":")
			failures[name] = l
		}
	}
	// One subtest per check: TestGuestChecks/<name>.
	for _, name := range checkNames {
		t.Run(name, func(t *testing.T) {
			if f, ok := failures[name]; ok {
				t.Fatal(f)
			}
			if !got[name] {
				t.Fatalf("no \"ok %s\" line", name)
			}
		})
	}
	for name, f := range failures {
		if !slices.Contains(checkNames, name) {
			t.Errorf("unknown check failed: %s", f)
		}
	}
	if runErr != nil {
		t.Errorf("guest: %v\nstdout:\n%s\nstderr:\n%s", runErr, strings.Join(out, "\n"), stderr.String())
	}
	if len(out) == 0 || out[len(out)-1] != "done 0 failures" {
		t.Errorf("guest did not finish cleanly; last lines: %q", out[max(0, len(out)-3):])
	}
	// Nothing outside the preopens changed.
	if b, _ := os.ReadFile(d.secret); string(b) != "secret\n" {
		t.Errorf("secret.txt changed: %q", b)
	}
	ents, _ := os.ReadDir(d.base)
	if len(ents) != 4 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("files appeared next to the preopens: %v", names)
	}
	if fi, err := os.Lstat(filepath.Join(d.sandbox, "gabs")); err == nil {
		t.Errorf("guest created an absolute symlink: %v", fi.Mode())
	}
	if _, err := os.Stat(filepath.Join(d.ro, "new.txt")); err == nil {
		t.Error("read-only preopen: new.txt was created")
	}
	// The guest's writes reached the host.
	if b, _ := os.ReadFile(filepath.Join(d.sandbox, "stdout.txt")); string(b) != "to the file" {
		t.Errorf("stdout.txt = %q", b)
	}
}

// TestStdinStreaming: each line the guest reads is answered before the next
// is written, so stdin and stdout stream (no buffering of the whole input).
func TestStdinStreaming(t *testing.T) {
	rt := newRuntime(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	mod, err := rt.CompileFile(ctx, testguest.Path(t, "wasi/checks.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	stdinR, stdinW := io.Pipe()
	stdoutR, stdoutW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- rt.RunCommand(ctx, mod, engine.InstanceConfig{Args: []string{"checks", "echo"}, Stdin: stdinR, Stdout: stdoutW})
		stdoutW.Close()
	}()
	rd := bufio.NewReader(stdoutR)
	for _, msg := range []string{"one", "two", "three"} {
		if _, err := io.WriteString(stdinW, msg+"\n"); err != nil {
			t.Fatal(err)
		}
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("reading answer to %q: %v", msg, err)
		}
		if line != "echo: "+msg+"\n" {
			t.Fatalf("answer to %q: %q", msg, line)
		}
	}
	stdinW.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestProcExit: proc_exit's status reaches the caller as *engine.ExitError.
func TestProcExit(t *testing.T) {
	rt := newRuntime(t)
	ctx := context.Background()
	mod, err := rt.CompileFile(ctx, testguest.Path(t, "wasi/checks.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	err = rt.RunCommand(ctx, mod, engine.InstanceConfig{Args: []string{"checks", "exit", "7"}})
	var exit *engine.ExitError
	if !errors.As(err, &exit) || exit.Code != 7 {
		t.Fatalf("got %v, want exit status 7", err)
	}
	if err := rt.RunCommand(ctx, mod, engine.InstanceConfig{Args: []string{"checks", "exit", "0"}}); err != nil {
		t.Fatalf("exit 0: %v", err)
	}
}

// TestMissingPreopen: a preopen that does not exist fails instantiation
// with a clear error.
func TestMissingPreopen(t *testing.T) {
	rt := newRuntime(t)
	ctx := context.Background()
	mod, err := rt.CompileFile(ctx, testguest.Path(t, "wasi/checks.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "nope")
	err = rt.RunCommand(ctx, mod, engine.InstanceConfig{Preopens: []engine.Preopen{{HostPath: missing, GuestPath: "/x"}}})
	if err == nil || !strings.Contains(err.Error(), "preopen "+missing+": directory does not exist") {
		t.Fatalf("got %v", err)
	}
}

// TestBlockedStdinStops: a guest waiting for input that never comes is
// stopped by the call's deadline (a timeout, not a hang or a clean exit).
func TestBlockedStdinStops(t *testing.T) {
	rt := newRuntime(t)
	mod, err := rt.CompileFile(context.Background(), testguest.Path(t, "wasi/checks.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	stdinR, stdinW := io.Pipe()
	defer stdinW.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err = rt.RunCommand(ctx, mod, engine.InstanceConfig{Args: []string{"checks", "echo"}, Stdin: stdinR})
	if !errors.Is(err, engine.ErrTimeout) {
		t.Fatalf("got %v, want a timeout", err)
	}
	// Canceling works the same way.
	ctx, cancel = context.WithCancel(context.Background())
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	err = rt.RunCommand(ctx, mod, engine.InstanceConfig{Args: []string{"checks", "echo"}, Stdin: stdinR})
	if !errors.Is(err, engine.ErrCanceled) {
		t.Fatalf("got %v, want canceled", err)
	}
}
