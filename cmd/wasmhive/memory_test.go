//go:build linux

package main

// Host memory against guest memory: peak RSS of `run` under a cap, the
// default cap of the serving verbs, and the warning when their instances
// could take more than the machine has. Linux only: peak RSS from
// getrusage (ru_maxrss in KiB) and /proc/PID/status.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/app"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

const mib = 1 << 20

// peakSlack is how far the peak RSS of `run` may be above the guest's
// memory plus the baseline (the peak of `run` of a hello module: the Go
// runtime, the binary's pages, wazero and its compiled code, about 20 MiB).
// What wasmhive itself adds for a guest's memory is measured at under
// 1 MiB (bench/README.md); the slack is for noise.
const peakSlack = 8 * mib

// runPeak runs the wasmhive binary with args and returns its stdout, exit
// code and peak resident set in bytes.
func runPeak(t *testing.T, args ...string) (string, int, uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, cliPath, args...)
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+cacheHome(t))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("run wasmhive %v: %v", args, err)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Fatal("no rusage")
	}
	if errb.Len() > 0 {
		t.Logf("wasmhive %v: stderr %q", args, errb.String())
	}
	return out.String(), cmd.ProcessState.ExitCode(), uint64(ru.Maxrss) * 1024
}

// TestRunPeakMemory: `run --max-memory CAP` of a guest that grows its
// memory to the cap and touches every page of it peaks at no more than the
// cap plus the baseline (plus peakSlack). Before reserve-and-commit memory
// the peak was 2-4x the cap (64 MiB: 134 MiB, 256 MiB: 422 MiB).
func TestRunPeakMemory(t *testing.T) {
	hello := testguest.Path(t, "wasi/hello.wasm")
	grow := testguest.Path(t, "memgrow/memgrow.wasm")
	// Warm the compilation cache, so that no measured run compiles.
	for _, m := range []string{hello, grow} {
		if _, code, _ := runPeak(t, "run", "--max-memory", "1MiB", m); code != 0 {
			t.Fatalf("%s: exit %d", m, code)
		}
	}
	var baseline uint64
	for range 3 {
		out, code, peak := runPeak(t, "run", hello)
		if code != 0 || out != "hello\n" {
			t.Fatalf("hello: exit %d, %q", code, out)
		}
		baseline = max(baseline, peak)
	}
	t.Logf("baseline (run of hello.wasm): peak RSS %.1f MiB", float64(baseline)/mib)
	for _, capMiB := range []uint64{64, 256} {
		out, code, peak := runPeak(t, "run", "--max-memory", fmt.Sprintf("%dMiB", capMiB), grow)
		if want := fmt.Sprintf("pages %d grow -1\n", capMiB*16); code != 0 || out != want {
			t.Fatalf("cap %d MiB: exit %d, printed %q, want %q", capMiB, code, out, want)
		}
		limit := capMiB*mib + baseline + peakSlack
		t.Logf("cap %d MiB: peak RSS %.1f MiB (%.1f MiB over cap + baseline)", capMiB, float64(peak)/mib, (float64(peak)-float64(capMiB*mib+baseline))/mib)
		if peak > limit {
			t.Errorf("cap %d MiB: peak RSS %.1f MiB, more than the cap + the baseline %.1f MiB + %d MiB", capMiB, float64(peak)/mib, float64(baseline)/mib, peakSlack/mib)
		}
	}
}

// procStatus returns a field of /proc/PID/status in bytes ("VmHWM",
// "VmRSS").
func procStatus(t *testing.T, pid int, field string) uint64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			kb, err := strconv.ParseUint(f[0], 10, 64)
			if err != nil || len(f) != 2 || f[1] != "kB" {
				t.Fatalf("%s: %q", field, line)
			}
			return kb * 1024
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// checkHog asks p for path?hog (wagi_hog.wasm allocates without end),
// which must end in a 500 naming the memory limit, then for path, which
// must still be served; the process's peak stays near the default cap, and
// the hog's memory goes back to the OS.
func checkHog(t *testing.T, p *serveProc, path string) {
	t.Helper()
	status, body := httpGet(t, p.url+path+"?hog")
	if status != 500 || !strings.Contains(body, "limit memory exceeded") || !strings.Contains(body, strconv.FormatUint(uint64(app.DefaultMemory), 10)) {
		t.Errorf("GET %s?hog: %d %q, want a 500 naming the memory limit", path, status, body)
	}
	if status, body := httpGet(t, p.url+path); status != 200 || body != "hello\n" {
		t.Errorf("GET %s after the hog: %d %q", path, status, body)
	}
	pid := p.cmd.Process.Pid
	hwm, rss := procStatus(t, pid, "VmHWM"), procStatus(t, pid, "VmRSS")
	t.Logf("peak RSS %.1f MiB, RSS after the hog %.1f MiB", float64(hwm)/mib, float64(rss)/mib)
	if hwm < uint64(app.DefaultMemory) || hwm > uint64(app.DefaultMemory)+64*mib {
		t.Errorf("peak RSS %.1f MiB: the hog should have taken the default cap (%s) and no more", float64(hwm)/mib, app.DefaultMemory)
	}
	if rss > hwm-uint64(app.DefaultMemory)*3/4 {
		t.Errorf("RSS %.1f MiB after the hog (peak %.1f MiB): its memory was not given back", float64(rss)/mib, float64(hwm)/mib)
	}
}

// TestServeDefaultMemoryCap: without --max-memory, `serve` caps each
// instance at app.DefaultMemory: a request that allocates without end gets
// a 500 and the server keeps serving. No warning with the default
// --max-instances on a machine with room for them.
func TestServeDefaultMemoryCap(t *testing.T) {
	p := startServe(t, testguest.Path(t, "memgrow/wagi_hog.wasm"))
	checkHog(t, p, "/")
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit %d", code)
	}
}

const memoryWarning = "may use more memory than this machine has"

// wantOneWarning checks that log has exactly one memory warning line, with
// all of parts.
func wantOneWarning(t *testing.T, log string, parts ...string) {
	t.Helper()
	var lines []string
	for line := range strings.Lines(log) {
		if strings.Contains(line, memoryWarning) {
			lines = append(lines, line)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("%d memory warnings, want 1:\n%s", len(lines), log)
	}
	for _, s := range parts {
		if !strings.Contains(lines[0], s) {
			t.Errorf("the warning lacks %q: %s", s, lines[0])
		}
	}
}

// TestServeMemoryWarning: instances x cap over the machine's memory gives
// one warning line at start, naming the total and the machine, and the
// server still starts.
func TestServeMemoryWarning(t *testing.T) {
	p := startServe(t, "--max-instances", "1000000", "--min-warm", "0", testguest.Path(t, "memgrow/wagi_hog.wasm"))
	if status, body := httpGet(t, p.url+"/"); status != 200 || body != "hello\n" {
		t.Errorf("GET /: %d %q", status, body)
	}
	wantOneWarning(t, p.log(), "level=WARN", "may_use=244TiB", "machine=", "wagi_hog 1000000 x 256MiB", "http request bodies 1 x 256MiB")
	p.stop(t, syscall.SIGTERM)

	// The caps count: 1000 instances of 256 MiB do not fit (250 GiB), 1000
	// of 1 MiB do.
	for _, tc := range []struct {
		cap  string
		warn bool
	}{{"256MiB", true}, {"1MiB", false}} {
		p = startServe(t, "--max-instances", "1000", "--min-warm", "0", "--max-memory", tc.cap, testguest.Path(t, "wasi/hello.wasm"))
		p.stop(t, syscall.SIGTERM)
		if strings.Contains(p.log(), memoryWarning) != tc.warn {
			t.Errorf("1000 instances of %s: warned %v, want %v:\n%s", tc.cap, !tc.warn, tc.warn, p.log())
		}
	}
}

// TestUpDefaultMemoryCap: `up` gives a component without limits.memory the
// default cap, and warns once when instances.max x cap is over the
// machine's memory.
func TestUpDefaultMemoryCap(t *testing.T) {
	dir := t.TempDir()
	hog := testguest.Path(t, "memgrow/wagi_hog.wasm")
	manifest := fmt.Sprintf(`version: 1
name: memory
data_dir: %s
http:
  listen: 127.0.0.1:0
  routes:
    - path: /hog
      component: hog
    - path: /many
      component: many
components:
  hog:
    module: %s
  many:
    module: %s
    instances: {max: 1000000}
`, filepath.Join(dir, "data"), hog, hog)
	path := filepath.Join(dir, "app.yaml")
	if err := os.WriteFile(path, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startUp(t, nil, path)
	checkHog(t, p, "/hog")
	wantOneWarning(t, p.log(), "level=WARN", "many 1000000 x 256MiB", "hog ")
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit %d", code)
	}
}
