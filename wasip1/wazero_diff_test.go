package wasip1_test

import (
	"bufio"
	"context"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/wasmhive/wasmhive/internal/testguest"
)

// wazeroDiffers are the checks of checks.c that wazero's own WASI (v1.12.0)
// fails: the behaviours where wasmhive follows the specification and
// Wasmtime instead. Each check stops at its first failing step.
var wazeroDiffers = []string{
	"clock_cputime",         // CPU-time clocks: wazero EINVAL, Wasmtime EBADF
	"prestat",               // fd_prestat_dir_name with a larger buffer than needed
	"write_readonly_fd",     // fdstat of a read-only file still grants FD_WRITE
	"seek_tell",             // fd_seek on stdout: ENOSYS instead of ESPIPE
	"pwrite_append",         // fd_pwrite on an append-mode file: EIO
	"append_toggle",         // the same, after fd_fdstat_set_flags turned APPEND on
	"sync_flags",            // path_open's SYNC flag is not reported by fd_fdstat_get
	"readdir",               // a cookie past the end: an error (errno 30) instead of an empty read
	"readlink_short_buffer", // short buffer: ERANGE instead of truncating
	"fd_read_dir",           // fd_read on a directory: EISDIR instead of EBADF
	"escape_host_symlink",   // follows a host symlink to an absolute path OUT of the preopen
	"readonly_preopen",      // writes to a read-only preopen: ENOSYS instead of EPERM
	"sock_shutdown_notsock", // sock_shutdown on stdout: EBADF instead of ENOTSOCK
	"poll_stdout",           // stdout never reported writable by poll_oneoff
	"renumber",              // fd_renumber onto a number that is not open succeeds
}

// TestChecksCatchWazeroDifferences runs checks.c on wazero's own WASI: the
// checks must fail exactly where wazero differs, which shows they test the
// behaviour and not just run.
func TestChecksCatchWazeroDifferences(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 10s in wazero's poll_oneoff")
	}
	d := makeDirs(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCloseOnContextDone(true))
	defer r.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	bin, err := os.ReadFile(testguest.Path(t, "wasi/checks.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	stdinR, stdinW := io.Pipe()
	stdoutR, stdoutW := io.Pipe()
	failed := make(chan []string)
	var lines []string
	go func() {
		var names []string
		sc := bufio.NewScanner(stdoutR)
		for sc.Scan() {
			l := sc.Text()
			if rest, ok := strings.CutPrefix(l, "FAIL "); ok {
				name, _, _ := strings.Cut(rest, ":")
				names = append(names, name)
				lines = append(lines, l)
			}
			if l == "ok poll_stdin_timeout" {
				go stdinW.Write([]byte("ping\n"))
			}
		}
		failed <- names
	}()
	fsc := wazero.NewFSConfig().WithDirMount(d.sandbox, "/sandbox").WithReadOnlyDirMount(d.ro, "/ro").WithDirMount(d.extra, "/extra")
	_, err = r.InstantiateWithConfig(ctx, bin, wazero.NewModuleConfig().
		WithArgs("checks", "alpha", "beta gamma").WithEnv("WASI_TEST", "yes=really").
		WithStdin(stdinR).WithStdout(stdoutW).WithFSConfig(fsc).
		WithSysWalltime().WithSysNanotime().WithSysNanosleep())
	stdoutW.Close()
	stdinW.Close()
	got := <-failed
	if err == nil {
		t.Error("checks passed on wazero's WASI")
	}
	if !slices.Equal(got, wazeroDiffers) {
		t.Errorf("checks failing on wazero's WASI:\n got  %q\n want %q\n%s", got, wazeroDiffers, strings.Join(lines, "\n"))
	}
}
