package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/internal/testguest"
)

// cmdGuest is the C command guest; its first argument picks a mode (see
// testdata/guests/cmd/cmd.c).
func cmdGuest(t *testing.T) string { return testguest.Path(t, "cmd/cmd.wasm") }

// reactorGuest is the C reactor guest (testdata/guests/cmd/reactor.c).
func reactorGuest(t *testing.T) string { return testguest.Path(t, "cmd/reactor.wasm") }

// wantOneLine asserts that a failed run printed exactly one line on stderr,
// containing each of parts, and nothing that looks like a Go panic.
func wantOneLine(t *testing.T, res cliResult, code int, parts ...string) {
	t.Helper()
	if res.Code != code {
		t.Errorf("exit code %d, want %d (stderr %q)", res.Code, code, res.Stderr)
	}
	lines := strings.Split(strings.TrimRight(res.Stderr, "\n"), "\n")
	if len(lines) != 1 || lines[0] == "" || !strings.HasSuffix(res.Stderr, "\n") {
		t.Errorf("stderr is not exactly one line: %q", res.Stderr)
	}
	for _, bad := range []string{"goroutine", "panic", ".go:"} {
		if strings.Contains(res.Stderr, bad) {
			t.Errorf("stderr mentions %q: %q", bad, res.Stderr)
		}
	}
	for _, p := range parts {
		if !strings.Contains(res.Stderr, p) {
			t.Errorf("stderr %q lacks %q", res.Stderr, p)
		}
	}
}

func wantOK(t *testing.T, res cliResult, stdout string) {
	t.Helper()
	if res.Code != 0 || res.Stdout != stdout {
		t.Errorf("got exit %d, stdout %q, stderr %q; want exit 0, stdout %q", res.Code, res.Stdout, res.Stderr, stdout)
	}
}

func TestRunArgs(t *testing.T) {
	m := cmdGuest(t)
	want := "argv[0]=cmd.wasm\nargv[1]=args\nargv[2]=a b\nargv[3]=--foo\nargv[4]=-v\n"
	for _, args := range [][]string{
		{"run", m, "args", "a b", "--foo", "-v"},       // flags after MODULE are the guest's
		{"run", m, "--", "args", "a b", "--foo", "-v"}, // "--" right after MODULE is dropped
		{"run", "--", m, "args", "a b", "--foo", "-v"}, // "--" before MODULE ends wasmhive's flags
	} {
		t.Run(strings.Join(args[1:], " "), func(t *testing.T) {
			wantOK(t, runCLI(t, nil, args...), want)
		})
	}
	// A later "--" is the guest's own.
	wantOK(t, runCLI(t, nil, "run", m, "args", "--", "x"), "argv[0]=cmd.wasm\nargv[1]=args\nargv[2]=--\nargv[3]=x\n")
	// argv[0] is the file's base name, wherever it lives.
	dir := t.TempDir()
	copyFile(t, m, filepath.Join(dir, "renamed.wasm"))
	wantOK(t, runCLI(t, nil, "run", filepath.Join(dir, "renamed.wasm")), "argv[0]=renamed.wasm\n")
}

func TestRunEnv(t *testing.T) {
	m := cmdGuest(t)
	hostEnv := []string{"WASMHIVE_TEST_SECRET=host-only", "WASMHIVE_TEST_PASS=through", "WASMHIVE_TEST_UNSET_CHECK="}
	// Nothing of the host's environment is inherited by default.
	wantOK(t, runCLIEnv(t, hostEnv, nil, "run", m, "env"), "env count=0\n")
	res := runCLIEnv(t, hostEnv, nil, "run",
		"--env", "A=1", "--env", "EMPTY=", "--env", "WITH=equals=sign",
		"--env", "WASMHIVE_TEST_PASS", "--env", "WASMHIVE_TEST_NOT_SET_ANYWHERE", m, "env")
	wantOK(t, res, "A=1\nEMPTY=\nWITH=equals=sign\nWASMHIVE_TEST_PASS=through\nenv count=4\n")
	wantOneLine(t, runCLI(t, nil, "run", "--env", "=x", m, "env"), 2, "--env")
}

// startCLI starts wasmhive with pipes on all three streams, for interactive tests.
func startCLI(t *testing.T, args ...string) (stdin io.WriteCloser, stdout *bufio.Reader, wait func() (int, string), proc *os.Process) {
	t.Helper()
	return startCLIEnv(t, nil, args...)
}

// startCLIEnv is startCLI with extra environment entries. A process killed by
// a signal N reports exit code 128+N, as shells do.
func startCLIEnv(t *testing.T, env []string, args ...string) (stdin io.WriteCloser, stdout *bufio.Reader, wait func() (int, string), proc *os.Process) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	cmd := exec.CommandContext(ctx, cliPath, args...)
	cmd.Env = append(append(os.Environ(), "XDG_CACHE_HOME="+cacheHome(t)), env...)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb strings.Builder
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	return in, bufio.NewReader(out), func() (int, string) {
		_ = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), errb.String()
		}
		return cmd.ProcessState.ExitCode(), errb.String()
	}, cmd.Process
}

// waitBounded calls wait, failing the test if it does not return within d.
func waitBounded(t *testing.T, wait func() (int, string), d time.Duration) (int, string) {
	t.Helper()
	type result struct {
		code   int
		stderr string
	}
	got := make(chan result, 1)
	go func() {
		code, stderr := wait()
		got <- result{code, stderr}
	}()
	select {
	case r := <-got:
		return r.code, r.stderr
	case <-time.After(d):
		t.Fatalf("wasmhive did not exit within %s", d)
		return 0, ""
	}
}

// readLine reads one line, failing the test if none comes within 20 s (a
// bound against hanging, not a timing assertion).
func readLine(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		l, err := r.ReadString('\n')
		if err != nil {
			l = "read error: " + err.Error()
		}
		got <- l
	}()
	select {
	case l := <-got:
		return l
	case <-time.After(20 * time.Second):
		t.Fatal("no answer from the guest: stdout does not stream")
		return ""
	}
}

// TestRunStdioInteractive writes one line at a time and reads the guest's
// answer before writing the next, with stdin still open: it passes only if
// stdin and stdout stream.
func TestRunStdioInteractive(t *testing.T) {
	for _, tc := range []struct{ name, module, prefix string }{
		{"C", cmdGuest(t), "echo"},
		{"Go", testguest.GoCommand(t, "go/cmd"), "go echo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, out, wait, _ := startCLI(t, "run", tc.module, "echo")
			for i, line := range []string{"hello", "second line", ""} {
				if _, err := io.WriteString(in, line+"\n"); err != nil {
					t.Fatal(err)
				}
				want := fmt.Sprintf("%s %d: %s\n", tc.prefix, i+1, line)
				if got := readLine(t, out); got != want {
					t.Fatalf("answer %q, want %q", got, want)
				}
			}
			in.Close()
			if got, want := readLine(t, out), strings.TrimSuffix(tc.prefix, "echo")+"bye after 3 lines\n"; got != want {
				t.Errorf("after EOF: %q, want %q", got, want)
			}
			if code, stderr := wait(); code != 0 || stderr != "" {
				t.Errorf("exit %d, stderr %q", code, stderr)
			}
		})
	}
}

func TestRunStdioPipes(t *testing.T) {
	res := runCLI(t, strings.NewReader("one\ntwo\nthree"), "run", cmdGuest(t), "echo")
	wantOK(t, res, "echo 1: one\necho 2: two\necho 3: three\nbye after 3 lines\n")
	res = runCLI(t, strings.NewReader("a\nb\n"), "run", testguest.GoCommand(t, "go/cmd"), "echo")
	wantOK(t, res, "go echo 1: a\ngo echo 2: b\ngo bye after 2 lines\n")
	// stdout and stderr are the process's own, kept apart.
	res = runCLI(t, nil, "run", cmdGuest(t), "stderr")
	if res.Code != 0 || res.Stdout != "to stdout\n" || res.Stderr != "to stderr\n" {
		t.Errorf("got %+v", res)
	}
}

func TestRunPreopens(t *testing.T) {
	m := cmdGuest(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte("from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wantOK(t, runCLI(t, nil, "run", "--dir", dir+"::/data", m, "read", "/data/in.txt"), "from the host\n")
	wantOK(t, runCLI(t, nil, "run", "--ro-dir", dir+"::/data", m, "read", "/data/in.txt"), "from the host\n")
	// Without ::GUEST_DIR the guest sees the host path.
	wantOK(t, runCLI(t, nil, "run", "--dir", dir, m, "read", dir+"/in.txt"), "from the host\n")

	wantOK(t, runCLI(t, nil, "run", "--dir", dir+"::/data", m, "write", "/data/out.txt", "guest wrote this"), "wrote /data/out.txt\n")
	if b, err := os.ReadFile(filepath.Join(dir, "out.txt")); err != nil || string(b) != "guest wrote this" {
		t.Errorf("host file after the guest wrote it: %q, %v", b, err)
	}

	// A read-only preopen denies writing, and nothing reaches the host.
	res := runCLI(t, nil, "run", "--ro-dir", dir+"::/data", m, "write", "/data/denied.txt", "x")
	if res.Code != 1 || !strings.HasPrefix(res.Stdout, "open /data/denied.txt: ") {
		t.Errorf("write in --ro-dir: %+v", res)
	}
	if _, err := os.Stat(filepath.Join(dir, "denied.txt")); !os.IsNotExist(err) {
		t.Errorf("denied.txt exists on the host (%v)", err)
	}
	// No preopen, no file.
	res = runCLI(t, nil, "run", m, "read", "/data/in.txt")
	if res.Code != 1 || !strings.HasPrefix(res.Stdout, "open /data/in.txt: ") {
		t.Errorf("read without --dir: %+v", res)
	}

	missing := filepath.Join(dir, "missing")
	wantOneLine(t, runCLI(t, nil, "run", "--dir", missing, m), 2, "--dir", missing, "no such directory")
	wantOneLine(t, runCLI(t, nil, "run", "--ro-dir", missing+"::/x", m), 2, "--ro-dir", missing)
	wantOneLine(t, runCLI(t, nil, "run", "--dir", filepath.Join(dir, "in.txt"), m), 2, "not a directory")
	wantOneLine(t, runCLI(t, nil, "run", "--dir", "::/x", m), 2, "HOST_DIR")
}

func TestRunExitCode(t *testing.T) {
	m := cmdGuest(t)
	for _, code := range []int{0, 1, 7, 42, 125} {
		res := runCLI(t, nil, "run", m, "exit", strconv.Itoa(code))
		if res.Code != code || res.Stderr != "" {
			t.Errorf("proc_exit(%d): exit %d, stderr %q", code, res.Code, res.Stderr)
		}
	}
	// As wasmtime: 126 and above are reserved for the host; exit 1, saying why.
	for _, code := range []string{"126", "134", "255", "256", "300", "0xffffffff"} {
		n, _ := strconv.ParseUint(code, 0, 32)
		res := runCLI(t, nil, "run", m, "exit", code)
		wantOneLine(t, res, 1, "cmd.wasm", fmt.Sprintf("status %d", n), "0-125")
	}
}

func TestRunTrap(t *testing.T) {
	m := cmdGuest(t)
	for _, tc := range []struct{ mode, at, reason string }{
		{"unreachable", "crash_unreachable", "unreachable"},
		{"divzero", "divide", "integer divide by zero"},
		{"oob", "main", "out of bounds memory access"},
		{"recurse", "", "stack overflow"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			res := runCLI(t, nil, "run", m, tc.mode)
			wantOneLine(t, res, 134, "cmd.wasm", "trap in _start", tc.reason)
			if tc.at != "" && !strings.Contains(res.Stderr, "(at "+tc.at+")") {
				t.Errorf("stderr %q does not name the trapping function %s", res.Stderr, tc.at)
			}
			if tc.at == "" {
				return
			}
			// -v adds the wasm stack trace, innermost frame first.
			res = runCLI(t, nil, "-v", "run", m, tc.mode)
			if res.Code != 134 || !strings.Contains(res.Stderr, "wasm stack trace:\n\t"+tc.at+"(") ||
				!strings.Contains(res.Stderr, "\tmain(i32,i32) i32\n") || strings.Contains(res.Stderr, "goroutine") {
				t.Errorf("-v: exit %d, stderr %q", res.Code, res.Stderr)
			}
		})
	}
}

// TestRunGoPanic: Go's wasip1 runtime prints the guest's panic and exits 2
// through proc_exit; wasmhive adds nothing, least of all its own stack.
func TestRunGoPanic(t *testing.T) {
	res := runCLI(t, nil, "run", testguest.GoCommand(t, "go/cmd"), "panic")
	if res.Code != 2 {
		t.Errorf("exit %d, want 2 (Go's panic status)", res.Code)
	}
	if !strings.HasPrefix(res.Stderr, "panic: assignment to entry in nil map\n") || !strings.Contains(res.Stderr, "testdata/guests/go/cmd/main.go") {
		t.Errorf("stderr lacks the guest's panic: %q", res.Stderr)
	}
	for _, bad := range []string{"wasmhive:", "tetratelabs", "wasmhive/engine", "cmd/wasmhive", "runtime/debug"} {
		if strings.Contains(res.Stderr, bad) {
			t.Errorf("stderr mentions %q (a host stack trace?): %q", bad, res.Stderr)
		}
	}
}

func TestRunInvoke(t *testing.T) {
	r := reactorGuest(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"init_count"}, "1\n"}, // _initialize ran exactly once
		{[]string{"add_i32", "2", "3"}, "5\n"},
		{[]string{"add_i32", "-5", "0x10"}, "11\n"},
		{[]string{"add_i32", "2147483647", "1"}, "-2147483648\n"}, // wraps
		{[]string{"add_i32", "0xffffffff", "1"}, "0\n"},           // unsigned spelling of -1
		{[]string{"add_i32", "-0x10", "0"}, "-16\n"},
		{[]string{"add_i64", "-9000000000", "1"}, "-8999999999\n"},
		{[]string{"add_i64", "0x7fffffffffffffff", "1"}, "-9223372036854775808\n"},
		{[]string{"mul_f32", "1.5", "-2"}, "-3\n"},
		{[]string{"mul_f32", "0.1", "1"}, "0.1\n"}, // printed as the shortest f32
		{[]string{"mul_f64", "0.1", "3"}, "0.30000000000000004\n"},
		{[]string{"mul_f64", "-2.5e-3", "4"}, "-0.01\n"},
		{[]string{"mul_f64", "0x1p-2", "2"}, "0.5\n"}, // hex float
		{[]string{"mul_f64", "1e300", "1e300"}, "+Inf\n"},
		{[]string{"mul_f64", "nan", "1"}, "NaN\n"},
		{[]string{"greet"}, "hello from the reactor\n"}, // no results: prints nothing of its own
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			args := append([]string{"run", "--invoke", tc.args[0], r}, tc.args[1:]...)
			wantOK(t, runCLI(t, nil, args...), tc.want)
		})
	}
	// "--" after MODULE is dropped for --invoke too, so negative numbers may follow it.
	wantOK(t, runCLI(t, nil, "run", "--invoke", "add_i32", r, "--", "-1", "-2"), "-3\n")
}

func TestRunInvokeErrors(t *testing.T) {
	r := reactorGuest(t)
	wantOneLine(t, runCLI(t, nil, "run", "--invoke", "add_i32", r, "1"), 2, "add_i32", "takes 2 argument(s), got 1")
	wantOneLine(t, runCLI(t, nil, "run", "--invoke", "add_i32", r, "1", "2", "3"), 2, "takes 2 argument(s), got 3")
	wantOneLine(t, runCLI(t, nil, "run", "--invoke", "add_i32", r, "x", "1"), 2, `argument 1 "x"`, "i32")
	wantOneLine(t, runCLI(t, nil, "run", "--invoke", "add_i32", r, "1.5", "1"), 2, `argument 1 "1.5"`, "i32")
	wantOneLine(t, runCLI(t, nil, "run", "--invoke", "add_i32", r, "1", "0x1ffffffff"), 2, "argument 2", "i32")
	wantOneLine(t, runCLI(t, nil, "run", "--invoke", "add_i64", r, "1", "99999999999999999999"), 2, "argument 2", "i64")
	wantOneLine(t, runCLI(t, nil, "run", "--invoke", "mul_f64", r, "1", "one"), 2, "argument 2", "f64")
	wantOneLine(t, runCLI(t, nil, "run", "--invoke", "mul_f32", r, "1e39", "1"), 2, "argument 1", "f32")
	wantOneLine(t, runCLI(t, nil, "run", "--invoke", "nope", r), 2, `no function "nope"`, "add_i32")
	wantOneLine(t, runCLI(t, nil, "run", "--invoke", "div", r, "1", "0"), 134, "reactor.wasm", "trap in div", "integer divide by zero")
	// A reactor has no _start: run says what to do instead.
	wantOneLine(t, runCLI(t, nil, "run", r), 2, "no _start", "--invoke")
}

func TestRunTimeout(t *testing.T) {
	m := cmdGuest(t)
	// An infinite loop in wasm code, and a guest blocked in poll_oneoff (sleep).
	for _, mode := range []string{"loop", "sleep"} {
		t.Run(mode, func(t *testing.T) {
			res := runCLI(t, nil, "run", "--timeout", "300ms", m, mode)
			wantOneLine(t, res, 124, "cmd.wasm", "--timeout 300ms")
			if strings.Contains(res.Stdout, "woke up") {
				t.Errorf("the guest ran past its deadline: %q", res.Stdout)
			}
		})
	}
	// A guest blocked reading a stdin that stays open and silent: the host
	// call never returns, and wasmhive exits anyway, abandoning it.
	t.Run("stdin", func(t *testing.T) {
		in, _, wait, _ := startCLI(t, "run", "--timeout", "300ms", m, "echo")
		defer in.Close()
		code, stderr := wait()
		wantOneLine(t, cliResult{Code: code, Stderr: stderr}, 124, "cmd.wasm", "--timeout 300ms")
	})
	// A guest that finishes in time is not disturbed.
	wantOK(t, runCLI(t, nil, "run", "--timeout", "30s", m, "args"), "argv[0]=cmd.wasm\nargv[1]=args\n")
	wantOneLine(t, runCLI(t, nil, "run", "--timeout", "soon", m), 2, "--timeout")
}

// TestRunFuel: --fuel stops a spinning guest after a fixed amount of work,
// the same on every run, with a one-line error and the trap status; a guest
// that needs less runs as without it, -v included.
func TestRunFuel(t *testing.T) {
	m := cmdGuest(t)
	for range 2 {
		wantOneLine(t, runCLI(t, nil, "run", "--fuel", "100000", m, "loop"), 134, "cmd: ran out of fuel (--fuel 100000)")
	}
	wantOneLine(t, runCLI(t, nil, "run", "-v", "--fuel", "100000", m, "loop"), 134, "ran out of fuel")
	wantOK(t, runCLI(t, nil, "run", "--fuel", "10000000", m, "args"), "argv[0]=cmd.wasm\nargv[1]=args\n")
	wantOneLine(t, runCLI(t, nil, "run", "--fuel", "-1", m), 2, "--fuel")
}

// dbgGuest is a C command guest built with DWARF (testdata/guests/clistart/dbg.c):
// "trap" divides by zero at dbg.c:13, "spin" prints "spinning" and loops forever.
func dbgGuest(t *testing.T) string { return testguest.Path(t, "clistart/dbg.wasm") }

// TestRunDebugInfo: run reads DWARF only with -v, and the compilation cache
// keeps code compiled either way apart: a -v run after a plain run of the
// same module (whose cache entry has no source map) still shows source
// positions, and a plain run after a -v run still works.
func TestRunDebugInfo(t *testing.T) {
	m := dbgGuest(t)
	env := []string{"XDG_CACHE_HOME=" + t.TempDir()}
	const pos = "dbg.c:13:"
	for i, verbose := range []bool{false, true, true, false} {
		args := []string{"run", m, "trap"}
		if verbose {
			args = append([]string{"-v"}, args...)
		}
		res := runCLIEnv(t, env, nil, args...)
		if !verbose {
			wantOneLine(t, res, 134, "dbg.wasm", "trap in _start", "(at divide)", "integer divide by zero", "-v shows")
			continue
		}
		if res.Code != 134 || !strings.Contains(res.Stderr, "wasm stack trace:\n\tdivide(i32,i32) i32\n") ||
			!strings.Contains(res.Stderr, pos) {
			t.Errorf("run %d (-v): exit %d, want 134 and a stack trace with %s: stderr %q", i, res.Code, pos, res.Stderr)
		}
	}
}

// TestRunInterrupt: guests are interruptible by default, so SIGINT/SIGTERM
// stop wasmhive gracefully (exit 130 and one line) even while the guest
// spins in wasm code, on a cold cache (compiling leaves garbage for a GC
// during the spin, whose stop-the-world the spinning guest must reach).
// With --timeout too, whether the guest sleeps in poll_oneoff, blocks
// reading stdin, or spins.
func TestRunInterrupt(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run("spin-default-"+sig.String(), func(t *testing.T) {
			// A cold cache each time: compiling leaves garbage for a GC
			// during the spin, the case that used to hang.
			in, out, wait, proc := startCLIEnv(t, []string{"XDG_CACHE_HOME=" + t.TempDir()}, "run", dbgGuest(t), "spin")
			defer in.Close()
			if l := readLine(t, out); l != "spinning\n" {
				t.Fatalf("got %q, want %q", l, "spinning\n")
			}
			if err := proc.Signal(sig); err != nil {
				t.Fatal(err)
			}
			// A bound against hanging (startCLI kills the process after 60 s), not a timing assertion.
			code, stderr := waitBounded(t, wait, 20*time.Second)
			wantOneLine(t, cliResult{Code: code, Stderr: stderr}, 130, filepath.Base(dbgGuest(t)), "interrupted")
		})
	}

	m := cmdGuest(t)
	for _, tc := range []struct{ mod, mode, want string }{
		{dbgGuest(t), "spin", "spinning\n"},
		{m, "sleep", "sleeping\n"},
		{m, "echo", "echo 1: x\n"},
	} {
		t.Run(tc.mode+"-timeout", func(t *testing.T) {
			in, out, wait, proc := startCLIEnv(t, []string{"XDG_CACHE_HOME=" + t.TempDir()}, "run", "--timeout", "1h", tc.mod, tc.mode)
			defer in.Close()
			// Wait until the guest runs (so wasmhive's handler is installed).
			if tc.mode == "echo" {
				io.WriteString(in, "x\n")
			}
			if l := readLine(t, out); l != tc.want {
				t.Fatalf("got %q, want %q", l, tc.want)
			}
			if err := proc.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
			code, stderr := waitBounded(t, wait, 20*time.Second)
			wantOneLine(t, cliResult{Code: code, Stderr: stderr}, 130, filepath.Base(tc.mod), "interrupted")
		})
	}
}

func TestRunMaxMemory(t *testing.T) {
	m := cmdGuest(t)
	// Growth past the cap fails inside the guest: malloc returns NULL, the
	// guest reports what it got and exits normally.
	res := runCLI(t, nil, "run", "--max-memory", "32MiB", m, "malloc")
	var mib int
	if _, err := fmt.Sscanf(res.Stdout, "allocated %d MiB\n", &mib); err != nil || res.Code != 0 {
		t.Fatalf("exit %d, stdout %q, stderr %q", res.Code, res.Stdout, res.Stderr)
	}
	if mib >= 32 || mib < 16 {
		t.Errorf("allocated %d MiB under a 32 MiB cap", mib)
	}
	res = runCLI(t, nil, "run", "--max-memory", "8m", m, "malloc")
	if _, err := fmt.Sscanf(res.Stdout, "allocated %d MiB\n", &mib); err != nil || mib >= 8 {
		t.Errorf("8m cap: %+v", res)
	}

	// Exactly at the cap: a 32 MiB cap is 512 pages. The module declares a
	// larger maximum (1000 pages) and still loads, its maximum lowered.
	grow := testguest.Path(t, "cmd/maxmem.wasm")
	wantOK(t, runCLI(t, nil, "run", "--max-memory", "32MiB", "--invoke", "grow", grow, "511"), "1\n")
	wantOK(t, runCLI(t, nil, "run", "--max-memory", "32MiB", "--invoke", "grow", grow, "512"), "-1\n")
	wantOK(t, runCLI(t, nil, "run", "--invoke", "grow", grow, "999"), "1\n") // its own maximum without a cap
	wantOK(t, runCLI(t, nil, "run", "--invoke", "grow", grow, "1000"), "-1\n")

	// A declared minimum over the cap fails to load, whether or not the
	// memory is exported (wazero's CompiledModule only shows exported ones).
	for _, g := range []string{"cmd/bigmem.wasm", "cmd/bigmem_exported.wasm"} {
		big := testguest.Path(t, g)
		wantOneLine(t, runCLI(t, nil, "run", "--max-memory", "64MiB", big), 2, filepath.Base(g), "125 MiB", "64 MiB")
		wantOK(t, runCLI(t, nil, "run", "--max-memory", "128MiB", big), "")
	}
	wantOneLine(t, runCLI(t, nil, "run", "--max-memory", "lots", m), 2, "--max-memory", "lots")
}

func TestRunNoNetwork(t *testing.T) {
	res := runCLI(t, nil, "run", cmdGuest(t), "sock")
	if res.Code != 0 || !strings.HasPrefix(res.Stdout, "sock_accept(3): errno ") || strings.HasPrefix(res.Stdout, "sock_accept(3): errno 0 ") {
		t.Errorf("sock_accept on fd 3 should fail: %+v", res)
	}
}

// cacheEntries lists the regular files under dir.
func cacheEntries(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	return files
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRunCompilationCache(t *testing.T) {
	hello := testguest.Path(t, "../../examples/hello/hello.wasm")
	const helloOut = "Hello, world, from WebAssembly!\nargs: hello.wasm\nenv: (none: pass --env NAME=VALUE)\n"

	t.Run("populated", func(t *testing.T) {
		home := t.TempDir()
		env := []string{"XDG_CACHE_HOME=" + home}
		wantOK(t, runCLIEnv(t, env, nil, "run", hello), helloOut)
		files := cacheEntries(t, filepath.Join(home, "wasmhive"))
		if len(files) == 0 {
			t.Fatalf("no cache entry under %s", home)
		}
		// A second run hits the cache: same output, no new entry.
		wantOK(t, runCLIEnv(t, env, nil, "run", hello), helloOut)
		if again := cacheEntries(t, filepath.Join(home, "wasmhive")); len(again) != len(files) {
			t.Errorf("second run wrote %d new cache files", len(again)-len(files))
		}
		// The directory is named for this build (version, OS, arch).
		if !regexp.MustCompile(`/wasmhive/[^/]+-` + runtime.GOOS + `-` + runtime.GOARCH + `/`).MatchString(filepath.ToSlash(files[0])) {
			t.Errorf("cache entry %s is not under wasmhive/<version>-<os>-<arch>/", files[0])
		}
	})

	t.Run("no-cache writes nothing", func(t *testing.T) {
		home := t.TempDir()
		wantOK(t, runCLIEnv(t, []string{"XDG_CACHE_HOME=" + home}, nil, "run", "--no-cache", hello), helloOut)
		if files := cacheEntries(t, home); len(files) != 0 {
			t.Errorf("--no-cache wrote %v", files)
		}
	})

	t.Run("changed module at the same path", func(t *testing.T) {
		env := []string{"XDG_CACHE_HOME=" + t.TempDir()}
		p := filepath.Join(t.TempDir(), "app.wasm")
		for i := 0; i < 2; i++ {
			copyFile(t, hello, p)
			wantOK(t, runCLIEnv(t, env, nil, "run", p), strings.Replace(helloOut, "hello.wasm", "app.wasm", 1))
			copyFile(t, cmdGuest(t), p)
			wantOK(t, runCLIEnv(t, env, nil, "run", p, "args"), "argv[0]=app.wasm\nargv[1]=args\n")
		}
	})

	t.Run("concurrent cold runs", func(t *testing.T) {
		env := []string{"XDG_CACHE_HOME=" + t.TempDir()}
		m := cmdGuest(t)
		var wg sync.WaitGroup
		results := make([]cliResult, 8)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = runCLIEnv(t, env, nil, "run", m, "args", strconv.Itoa(i))
			}()
		}
		wg.Wait()
		for i, res := range results {
			wantOK(t, res, fmt.Sprintf("argv[0]=cmd.wasm\nargv[1]=args\nargv[2]=%d\n", i))
		}
		// And the cache they raced to write is sound.
		wantOK(t, runCLIEnv(t, env, nil, "run", m, "args"), "argv[0]=cmd.wasm\nargv[1]=args\n")
	})
}

func TestRunBadInput(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(cmdGuest(t))
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	corrupt := append([]byte(nil), good...)
	for i := 8; i < 64; i++ { // the section headers after the preamble
		corrupt[i] = 0xff
	}
	for _, tc := range []struct {
		name  string
		args  []string
		parts []string
	}{
		{"missing file", []string{"run", filepath.Join(dir, "nope.wasm")}, []string{"nope.wasm", "no such file"}},
		{"directory", []string{"run", dir}, []string{"is a directory"}},
		{"not wasm", []string{"run", write("text.wasm", []byte("#!/bin/sh\necho hi\n"))}, []string{"text.wasm", "not a WebAssembly binary"}},
		{"wasm text", []string{"run", testguest.Path(t, "cmd/imports.wat")}, []string{"imports.wat", "not a WebAssembly binary", "WebAssembly text"}},
		{"empty", []string{"run", write("empty.wasm", nil)}, []string{"empty.wasm", "not a WebAssembly binary"}},
		{"header only", []string{"run", write("short.wasm", good[:6])}, []string{"short.wasm", "truncated"}},
		{"truncated", []string{"run", write("cut.wasm", good[:len(good)/2])}, []string{"load cut.wasm"}},
		{"corrupt", []string{"run", write("corrupt.wasm", corrupt)}, []string{"load corrupt.wasm"}},
		{"component", []string{"run", write("comp.wasm", []byte{0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00})}, []string{"comp.wasm", "component"}},
		{"unresolved imports", []string{"run", testguest.Path(t, "cmd/imports.wasm")}, []string{"imports.wasm", "env.foo(i32) -> (i32)", "env.bar()"}},
		{"unknown flag", []string{"run", "--bogus", cmdGuest(t)}, []string{"unknown flag: --bogus"}},
		{"no module", []string{"run"}, []string{"missing MODULE"}},
		{"missing dir", []string{"run", "--dir", filepath.Join(dir, "absent"), cmdGuest(t)}, []string{"absent"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantOneLine(t, runCLI(t, nil, tc.args...), 2, tc.parts...)
		})
	}
}

func TestRunHelp(t *testing.T) {
	res := runCLI(t, nil, "run", "--help")
	if res.Code != 0 {
		t.Fatalf("exit %d", res.Code)
	}
	for _, want := range []string{
		"wasmhive run [flags] MODULE [ARGS...]",
		"--env NAME=VALUE", "--dir HOST_DIR[::GUEST_DIR]", "--ro-dir", "--invoke FUNC", "--timeout DURATION",
		"--max-memory SIZE", "--no-cache",
		"Exit codes:", "124", "134", "126", "Examples:", "docs/cli-run.md",
	} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("run --help lacks %q", want)
		}
	}
}

// TestExampleHello runs the README's example as the README does.
func TestExampleHello(t *testing.T) {
	hello := testguest.Path(t, "../../examples/hello/hello.wasm")
	wantOK(t, runCLI(t, nil, "run", "--env", "NAME=hive", hello, "a", "b"),
		"Hello, hive, from WebAssembly!\nargs: hello.wasm a b\nenv: NAME=hive\n")
}
