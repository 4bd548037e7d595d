//go:build linux || darwin

package wasip1_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/internal/testguest"
)

// wasmtimeDiffers are the checks of checks.c that Wasmtime (the wasmtime
// package of PyPI, 50.0.1) fails: the behaviours where wasmhive differs from
// the reference on purpose. Each check stops at its first failing step.
var wasmtimeDiffers = []string{
	"sync_flags", // path_open with SYNC, DSYNC or RSYNC: ENOTSUP (wasmhive opens with them and reports them)
}

// wasmtimeRunner runs a WASI command on Wasmtime's Python binding with the
// preopens of makeDirs: python3 runner.py module.wasm base stdin args...
const wasmtimeRunner = `import os, sys, wasmtime
wasm, base, stdin, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
engine = wasmtime.Engine()
store = wasmtime.Store(engine)
linker = wasmtime.Linker(engine)
linker.define_wasi()
cfg = wasmtime.WasiConfig()
cfg.argv = args
cfg.env = [("WASI_TEST", "yes=really"), ("OTHER", "1"), ("CHECKS_NO_TRAPS", "1")]
cfg.stdin_file = stdin
cfg.inherit_stdout()
cfg.inherit_stderr()
cfg.preopen_dir(os.path.join(base, "sandbox"), "/sandbox")
cfg.preopen_dir(os.path.join(base, "ro"), "/ro", False)
cfg.preopen_dir(os.path.join(base, "extra"), "/extra")
store.set_wasi(cfg)
inst = linker.instantiate(store, wasmtime.Module.from_file(engine, wasm))
try:
    inst.exports(store)["_start"](store)
except wasmtime.ExitTrap as e:
    sys.exit(e.code)
`

// TestChecksAgainstWasmtime runs checks.c on Wasmtime, the reference
// implementation: the checks must fail exactly where wasmhive differs on
// purpose, which shows the "as Wasmtime" claims of the package hold for the
// Wasmtime of today. It needs python3 with the wasmtime package (pip install
// wasmtime) and is skipped without it, unless WASMHIVE_REQUIRE_WASMTIME
// is set (as .ci/run does).
func TestChecksAgainstWasmtime(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Wasmtime in a Python process")
	}
	if err := exec.Command("python3", "-c", "import wasmtime").Run(); err != nil {
		if os.Getenv("WASMHIVE_REQUIRE_WASMTIME") != "" { // CI installs it (.ci/run)
			t.Fatalf("python3 with the wasmtime package: %v (pip install wasmtime)", err)
		}
		t.Skip("python3 with the wasmtime package is not installed (pip install wasmtime)")
	}
	d := makeDirs(t)
	tmp := t.TempDir()
	runner := filepath.Join(tmp, "runner.py")
	if err := os.WriteFile(runner, []byte(wasmtimeRunner), 0o644); err != nil {
		t.Fatal(err)
	}
	// stdin is a named pipe, so that it is empty until the checks ask for
	// input (poll_stdin_timeout) and then gets a line.
	fifo := filepath.Join(tmp, "stdin")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "python3", runner, testguest.Path(t, "wasi/checks.wasm"), d.base, fifo, "checks", "alpha", "beta gamma")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stdinW, err := os.OpenFile(fifo, os.O_WRONLY, 0) // waits for Wasmtime to open it
	if err != nil {
		t.Fatal(err)
	}
	defer stdinW.Close()
	var failed, lines []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		l := sc.Text()
		lines = append(lines, l)
		if rest, ok := strings.CutPrefix(l, "FAIL "); ok {
			name, _, _ := strings.Cut(rest, ":")
			failed = append(failed, name)
		}
		if l == "ok poll_stdin_timeout" {
			stdinW.Write([]byte("ping\n"))
		}
	}
	runErr := cmd.Wait()
	if len(lines) == 0 || !strings.HasPrefix(lines[len(lines)-1], "done ") {
		t.Fatalf("checks did not finish on Wasmtime (%v):\n%s\nstderr:\n%s", runErr, strings.Join(lines, "\n"), stderr.String())
	}
	if !slices.Equal(failed, wasmtimeDiffers) {
		var fails []string
		for _, l := range lines {
			if strings.HasPrefix(l, "FAIL ") {
				fails = append(fails, l)
			}
		}
		t.Errorf("checks failing on Wasmtime:\n got  %q\n want %q\n%s", failed, wasmtimeDiffers, strings.Join(fails, "\n"))
	}
}
