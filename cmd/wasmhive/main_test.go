package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/wasmhive/wasmhive/internal/testguest"
)

// cliPath is the wasmhive binary built once for this package's tests.
var cliPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wasmhive-cli")
	if err != nil {
		panic(err)
	}
	cliPath = filepath.Join(dir, "wasmhive")
	if out, err := exec.Command("go", "build", "-o", cliPath, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cliResult is what one run of the wasmhive binary did.
type cliResult struct {
	Stdout, Stderr string
	Code           int
}

// runCLI runs the wasmhive binary with args and stdin (may be nil), with a
// private compilation cache, and a bound of 60 s.
func runCLI(t *testing.T, stdin io.Reader, args ...string) cliResult {
	t.Helper()
	return runCLIEnv(t, nil, stdin, args...)
}

// runCLIEnv is runCLI with extra environment variables for the wasmhive
// process ("NAME=VALUE"; later entries win, so XDG_CACHE_HOME may be replaced).
func runCLIEnv(t *testing.T, env []string, stdin io.Reader, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, cliPath, args...)
	cmd.Stdin = stdin
	cmd.Env = append(append(os.Environ(), "XDG_CACHE_HOME="+cacheHome(t)), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := cliResult{Stdout: out.String(), Stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.Code = ee.ExitCode()
	default:
		t.Fatalf("run wasmhive %v: %v", args, err)
	}
	return res
}

var sharedCache string

// cacheHome is an XDG_CACHE_HOME shared by this package's tests (so the
// compilation cache is exercised) and removed afterwards.
func cacheHome(t *testing.T) string {
	if sharedCache == "" {
		sharedCache = filepath.Join(os.TempDir(), "wasmhive-cli-test-cache")
	}
	return sharedCache
}

// TestExecutePanicIsOneLine: a bug that panics inside a verb still gives
// one line and exit 70; -v adds the Go stack.
func TestExecutePanicIsOneLine(t *testing.T) {
	saved := commands
	t.Cleanup(func() { commands = saved })
	commands = append(slices.Clip(saved), func() *cobra.Command {
		return &cobra.Command{Use: "boom", RunE: func(*cobra.Command, []string) error {
			var m map[string]int
			m["x"]++
			return nil
		}}
	})
	var out, errb bytes.Buffer
	code := execute(context.Background(), []string{"boom"}, nil, &out, &errb)
	if code != exitInternal || strings.Count(errb.String(), "\n") != 1 || strings.Contains(errb.String(), "goroutine") ||
		!strings.Contains(errb.String(), "internal error: assignment to entry in nil map") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
	errb.Reset()
	code = execute(context.Background(), []string{"-v", "boom"}, nil, &out, &errb)
	if code != exitInternal || !strings.Contains(errb.String(), "goroutine") {
		t.Errorf("-v: exit %d, stderr %q", code, errb.String())
	}
}

// TestVersion: `wasmhive --version` and `wasmhive version` print the same
// line.
func TestVersion(t *testing.T) {
	flag, verb := runCLI(t, nil, "--version"), runCLI(t, nil, "version")
	if flag.Code != 0 || verb.Code != 0 || flag.Stdout != verb.Stdout || !strings.HasPrefix(flag.Stdout, "wasmhive ") || strings.Count(flag.Stdout, "\n") != 1 {
		t.Errorf("--version %+v, version %+v", flag, verb)
	}
}

// TestNoCacheDirectory: with no HOME and no XDG_CACHE_HOME (as under some
// service managers) the compilation cache is skipped with one warning and
// the module still runs.
func TestNoCacheDirectory(t *testing.T) {
	res := runCLIEnv(t, []string{"HOME=", "XDG_CACHE_HOME="}, nil, "run", testguest.Path(t, "../../examples/hello/hello.wasm"))
	if res.Code != 0 || !strings.Contains(res.Stderr, "compilation cache unavailable") || strings.Count(res.Stderr, "\n") != 1 {
		t.Errorf("exit %d, stdout %q, stderr %q", res.Code, res.Stdout, res.Stderr)
	}
}
