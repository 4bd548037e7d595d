package wasip2_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/wasip2"
)

// cmdComponent is testdata/guests/cmd/cmd.c (a C command of many modes,
// see there) wrapped by jco's preview1 command adapter: a real guest of
// WASI 0.2, importing it at 0.2.12 through wasi-libc's preview1 calls.
type cmdComponent struct {
	rt *engine.Runtime
	c  *linker.Component
	l  *linker.Linker
}

func loadCmd(t *testing.T) *cmdComponent {
	t.Helper()
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, engine.Config{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	wasm, err := os.ReadFile("../testdata/components/cmd.wasm")
	if err != nil {
		t.Fatal(err)
	}
	c, err := linker.Compile(ctx, rt, "cmd.wasm", wasm)
	if err != nil {
		t.Fatal(err)
	}
	l := linker.New()
	wasip2.Define(l)
	return &cmdComponent{rt: rt, c: c, l: l}
}

// run runs the command's wasi:cli/run with cfg and returns its stdout,
// stderr and the error of the call (nil for run returning ok).
func (cc *cmdComponent) run(t *testing.T, ctx context.Context, cfg engine.InstanceConfig) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	if cfg.Stdout == nil {
		cfg.Stdout = &out
	}
	cfg.Stderr = &errOut
	inst, err := cc.l.Instantiate(ctx, cc.c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close(context.Background())
	run, err := inst.Func("wasi:cli/run@0.2.0", "run")
	if err != nil {
		t.Fatal(err)
	}
	v, err := run.Call(ctx)
	if err == nil && v != canonical.OK(nil) {
		err = errors.New("run returned err")
	}
	return out.String(), errOut.String(), err
}

func TestComponentCommand(t *testing.T) {
	cc := loadCmd(t)
	ctx := t.Context()
	data, ro := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(data, "hello.txt"), []byte("hello from a file\n"), 0o644)
	os.WriteFile(filepath.Join(ro, "keep.txt"), []byte("keep"), 0o644)
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret"), []byte("secret\n"), 0o644)
	os.Symlink(filepath.Join(outside, "secret"), filepath.Join(data, "escape"))
	preopens := []engine.Preopen{{HostPath: data, GuestPath: "/data"}, {HostPath: ro, GuestPath: "/ro", ReadOnly: true}}

	for _, tc := range []struct {
		name    string
		args    []string
		env     []string
		stdin   string
		out     string // stdout, exactly
		errOut  string // stderr, exactly
		exit    uint32 // expected exit status; 0: run returns ok
		outPart string // stdout contains (instead of out)
	}{
		{name: "args", args: []string{"cmd", "args", "x y"}, out: "argv[0]=cmd\nargv[1]=args\nargv[2]=x y\n"},
		{name: "env", args: []string{"cmd", "env"}, env: []string{"A=1", "B=two words"}, out: "A=1\nB=two words\nenv count=2\n"},
		{name: "stderr", args: []string{"cmd", "stderr"}, out: "to stdout\n", errOut: "to stderr\n"},
		{name: "stdin", args: []string{"cmd", "echo"}, stdin: "one\ntwo\n", out: "echo 1: one\necho 2: two\nbye after 2 lines\n"},
		// WASI 0.2's exit takes a result, not a status: the adapter exits
		// with err for every non-zero status (exit-with-code is unstable,
		// and this adapter does not import it), so the host sees 1.
		{name: "exit", args: []string{"cmd", "exit", "7"}, exit: 1},
		{name: "unknown mode", args: []string{"cmd", "nope"}, errOut: "cmd: unknown mode nope\n", exit: 1},
		{name: "read", args: []string{"cmd", "read", "/data/hello.txt"}, out: "hello from a file\n"},
		{name: "read missing", args: []string{"cmd", "read", "/data/none"}, out: "open /data/none: No such file or directory\n", exit: 1},
		{name: "read escape", args: []string{"cmd", "read", "/data/escape"}, out: "open /data/escape: Operation not permitted\n", exit: 1},
		// libc resolves /data/.. against the /data preopen: ".." leaves it.
		{name: "read dotdot", args: []string{"cmd", "read", "/data/../ro/keep.txt"}, out: "open /data/../ro/keep.txt: Operation not permitted\n", exit: 1},
		{name: "write", args: []string{"cmd", "write", "/data/new.txt", "written"}, out: "wrote /data/new.txt\n"},
		{name: "write read-only", args: []string{"cmd", "write", "/ro/keep.txt", "x"}, out: "open /ro/keep.txt: Read-only file system\n", exit: 1},
		{name: "write escape", args: []string{"cmd", "write", "/data/escape", "x"}, out: "open /data/escape: Operation not permitted\n", exit: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := engine.InstanceConfig{Args: tc.args, Env: tc.env, Preopens: preopens}
			if tc.stdin != "" {
				cfg.Stdin = strings.NewReader(tc.stdin)
			}
			out, errOut, err := cc.run(t, ctx, cfg)
			var ee *engine.ExitError
			switch {
			case tc.exit == 0 && err != nil:
				t.Fatalf("run: %v (stdout %q, stderr %q)", err, out, errOut)
			case tc.exit != 0 && (!errors.As(err, &ee) || ee.Code != tc.exit):
				t.Fatalf("run: %v, want exit status %d (stdout %q, stderr %q)", err, tc.exit, out, errOut)
			}
			if tc.outPart != "" {
				if !strings.Contains(out, tc.outPart) {
					t.Fatalf("stdout %q, want it to contain %q", out, tc.outPart)
				}
			} else if out != tc.out {
				t.Fatalf("stdout %q, want %q", out, tc.out)
			}
			if errOut != tc.errOut {
				t.Fatalf("stderr %q, want %q", errOut, tc.errOut)
			}
		})
	}
	if b, _ := os.ReadFile(filepath.Join(data, "new.txt")); string(b) != "written" {
		t.Errorf("new.txt holds %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(ro, "keep.txt")); string(b) != "keep" {
		t.Errorf("the read-only file holds %q", b)
	}
}

// TestComponentExitZero: exit(ok) in the middle of run (proc_exit(0))
// ends the call as a success, an exit with status 0, or ok.
func TestComponentExitZero(t *testing.T) {
	cc := loadCmd(t)
	_, _, err := cc.run(t, t.Context(), engine.InstanceConfig{Args: []string{"cmd", "exit", "0"}})
	var ee *engine.ExitError
	if err != nil && (!errors.As(err, &ee) || ee.Code != 0) {
		t.Fatalf("exit 0: %v", err)
	}
}

// TestComponentDeadline: a guest blocked in a poll (sleep) or on stdin is
// stopped by the call's context.
func TestComponentDeadline(t *testing.T) {
	cc := loadCmd(t)
	pr, pw := io.Pipe()
	defer pw.Close()
	for _, tc := range []struct {
		name string
		cfg  engine.InstanceConfig
	}{
		{"sleep", engine.InstanceConfig{Args: []string{"cmd", "sleep"}}},
		{"stdin", engine.InstanceConfig{Args: []string{"cmd", "echo"}, Stdin: pr}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, _, err := cc.run(t, ctx, tc.cfg)
			if !errors.Is(err, engine.ErrTimeout) {
				t.Fatalf("a blocked guest returned %v, want a timeout", err)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Fatalf("stopped after %v: %v", d, err)
			}
		})
	}
}

// TestComponentBadPreopen: a preopen that cannot be opened fails
// Instantiate with one clear line.
func TestComponentBadPreopen(t *testing.T) {
	cc := loadCmd(t)
	_, err := cc.l.Instantiate(t.Context(), cc.c, engine.InstanceConfig{Preopens: []engine.Preopen{{HostPath: "/no/such/dir", GuestPath: "/x"}}})
	if err == nil || !strings.Contains(err.Error(), "preopen /no/such/dir: directory does not exist") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("Instantiate: %v", err)
	}
}
