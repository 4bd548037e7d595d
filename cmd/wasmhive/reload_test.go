package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/internal/testguest"
)

// pipelineCopy copies examples/pipeline's modules into a temporary
// directory and returns a function writing its manifest there with the
// receiver's module and the target of its link, and the manifest's path.
func pipelineCopy(t *testing.T) (write func(receiver, link string), path string) {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"receiver.wasm", "receiver-v2.wasm", "kv-sender.wasm"} {
		copyFile(t, filepath.Join("..", "..", "examples", "pipeline", f), filepath.Join(dir, f))
	}
	copyFile(t, filepath.Join("..", "..", "examples", "kvcounter", "kvcounter.wasm"), filepath.Join(dir, "kvcounter.wasm"))
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "pipeline", "app.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	orig := strings.Replace(string(b), "module: ../kvcounter/kvcounter.wasm", "module: kvcounter.wasm", 1)
	for _, s := range []string{"module: receiver.wasm", "wasmhive:http/incoming-handler: counter", "module: kvcounter.wasm"} {
		if !strings.Contains(orig, s) {
			t.Fatalf("examples/pipeline/app.yaml has no %q any more", s)
		}
	}
	path = filepath.Join(dir, "app.yaml")
	write = func(receiver, link string) {
		t.Helper()
		m := strings.Replace(orig, "module: receiver.wasm", "module: "+receiver, 1)
		m = strings.Replace(m, "wasmhive:http/incoming-handler: counter", "wasmhive:http/incoming-handler: "+link, 1)
		if err := os.WriteFile(path, []byte(m), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("receiver.wasm", "counter")
	return write, path
}

// hitStats is what a run of load saw.
type hitStats struct {
	mu       sync.Mutex
	ok       int            // 200 {"counter":N}
	failed   int            // anything else
	errs     []string       // the first failures
	versions map[string]int // answers by X-Pipeline-Receiver
	// late are the answers to requests sent after a version was known to
	// serve (since), which another version answered.
	since   time.Time
	want    string
	late    int
	lateErr []string
}

// loadHits sends GET /hits from clients goroutines until stop is closed.
func loadHits(base string, clients int, st *hitStats, stop <-chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				sent := time.Now()
				r, err := fetch("GET", base+"/hits")
				var n int
				if err == nil && r.status == 200 {
					if _, serr := fmt.Sscanf(r.body, "{\"counter\":%d}\n", &n); serr != nil {
						err = fmt.Errorf("body %q", r.body)
					}
				} else if err == nil {
					err = fmt.Errorf("%d %q", r.status, r.body)
				}
				st.mu.Lock()
				if err != nil {
					st.failed++
					if len(st.errs) < 5 {
						st.errs = append(st.errs, err.Error())
					}
				} else {
					st.ok++
					v := r.header.Get("X-Pipeline-Receiver")
					st.versions[v]++
					if !st.since.IsZero() && sent.After(st.since) && v != st.want {
						st.late++
						if len(st.lateErr) < 5 {
							st.lateErr = append(st.lateErr, fmt.Sprintf("sent %s after version %s served: answered by version %q", sent.Sub(st.since), st.want, v))
						}
					}
				}
				st.mu.Unlock()
			}
		}()
	}
	return &wg
}

// serving records that version serves from now on; "" that a swap is
// under way (either version may answer).
func (st *hitStats) serving(version string) {
	st.mu.Lock()
	st.since, st.want = time.Now(), version
	if version == "" {
		st.since = time.Time{}
	}
	st.mu.Unlock()
}

// reloadTookRE finds how long a reload took in its log line.
var reloadTookRE = regexp.MustCompile(`msg=reloaded replaced=receiver [^\n]*took=(\S+)`)

// TestReloadUnderLoad hot swaps the pipeline's receiver in a running `up`
// while 8 clients keep counting: to version 2 on SIGHUP, a refused bad
// version (a link to a component without the interface, a truncated
// module, a changed route), back to version 1 with `wasmhive reload`. No
// request may fail, every request after a swap is answered by the new
// version, and no increment is lost.
func TestReloadUnderLoad(t *testing.T) {
	write, manifest := pipelineCopy(t)
	dataDir := t.TempDir()
	p := startUp(t, []string{"XDG_DATA_HOME=" + t.TempDir()}, "--no-access-log", "--data-dir", dataDir, manifest)
	sock := filepath.Join(dataDir, "control.sock")
	if !strings.Contains(p.log(), "control="+sock) {
		t.Errorf("the up line does not say control=%s:\n%s", sock, p.log())
	}
	if fi, err := os.Stat(sock); err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("control socket %s: %v %v, want a socket of mode 0600", sock, fi, err)
	}
	reload := func() cliResult {
		return runCLI(t, nil, "reload", "--data-dir", dataDir, manifest)
	}

	st := &hitStats{versions: map[string]int{}}
	stop := make(chan struct{})
	start := time.Now()
	wg := loadHits(p.url, 8, st, stop)
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
	}()
	time.Sleep(500 * time.Millisecond)

	// (a) Version 2, on SIGHUP.
	write("receiver-v2.wasm", "counter")
	hupAt := time.Now()
	p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitLog(t, "msg=reloaded replaced=receiver", 10*time.Second)
	hupWall := time.Since(hupAt)
	st.serving("2")
	tookHUP := "?"
	if m := reloadTookRE.FindStringSubmatch(p.log()); m != nil {
		tookHUP = m[1]
	}
	time.Sleep(300 * time.Millisecond)

	// (b) Bad new versions are refused with one line; version 2 serves on.
	write("receiver.wasm", "kv-sender") // kv-sender does not export handle_http
	res := reload()
	wantOneLine(t, res, 1, manifest+":20: components.receiver: new version of receiver refused: link receiver -> kv-sender (wasmhive:http/incoming-handler): ", "(nothing was changed)")
	// The client has its answer before the process's log line reaches
	// the test (through its stderr pipe): wait for the line.
	p.waitLog(t, `level=ERROR msg="reload refused" error=`, 10*time.Second)
	v2, _ := os.ReadFile(filepath.Join(filepath.Dir(manifest), "receiver-v2.wasm"))
	if err := os.WriteFile(filepath.Join(filepath.Dir(manifest), "truncated.wasm"), v2[:len(v2)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	write("truncated.wasm", "counter")
	res = reload()
	wantOneLine(t, res, 1, "reload refused: "+manifest+":21: components.receiver.module: not a valid WebAssembly binary: ", "(nothing was changed)")
	// The same on SIGHUP: refused in the log, the process serves on.
	refusals := strings.Count(p.log(), `msg="reload refused"`)
	p.cmd.Process.Signal(syscall.SIGHUP)
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(p.log(), `msg="reload refused"`) == refusals {
		if time.Now().After(deadline) {
			t.Fatalf("no \"reload refused\" line after SIGHUP with a truncated module:\n%s", p.log())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !strings.Contains(p.log(), `error="reload refused: `+manifest+`:21: components.receiver.module: not a valid WebAssembly binary: `) {
		t.Errorf("the refusal does not point at the truncated module:\n%s", p.log())
	}
	// A changed route needs a restart.
	b, _ := os.ReadFile(manifest)
	os.WriteFile(manifest, []byte(strings.Replace(strings.Replace(string(b), "truncated.wasm", "receiver-v2.wasm", 1), "- path: /", "- path: /api", 1)), 0o644)
	res = reload()
	wantOneLine(t, res, 1, "reload refused: http.routes changed; restart wasmhive up to apply it (nothing was changed)")
	time.Sleep(300 * time.Millisecond)

	// (c) Back to version 1 with wasmhive reload.
	write("receiver.wasm", "counter")
	st.serving("") // until reload returns
	reloadAt := time.Now()
	res = reload()
	reloadWall := time.Since(reloadAt)
	if res.Code != 0 || res.Stderr != "" || !regexp.MustCompile(`^reloaded pipeline: replaced=receiver unchanged=\S+ took=\S+\n$`).MatchString(res.Stdout) {
		t.Errorf("wasmhive reload back to version 1: exit %d, stdout %q, stderr %q", res.Code, res.Stdout, res.Stderr)
	}
	st.serving("1")
	if rest := 3*time.Second - time.Since(start); rest > 0 {
		time.Sleep(max(rest, 300*time.Millisecond))
	} else {
		time.Sleep(300 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	elapsed := time.Since(start)

	final := do(t, "GET", p.url+"/hits?amount=0")
	t.Logf("load: %d requests in %s from 8 clients, %d failed, by version %v; SIGHUP swap took %s in the host (%s until the test saw the log line), wasmhive reload swap back took %s end to end",
		st.ok+st.failed, elapsed.Round(time.Millisecond), st.failed, st.versions, tookHUP, hupWall.Round(time.Millisecond), reloadWall.Round(time.Millisecond))
	if st.failed > 0 {
		t.Errorf("%d of %d requests failed during the swaps, e.g. %v", st.failed, st.ok+st.failed, st.errs)
	}
	if st.late > 0 {
		t.Errorf("%d requests answered by the old version after the swap, e.g. %v", st.late, st.lateErr)
	}
	if st.versions["1"] == 0 || st.versions["2"] == 0 {
		t.Errorf("answers by version %v: want some from each", st.versions)
	}
	wantJSON(t, final, 200, counterBody(st.ok))
	if final.header.Get("X-Pipeline-Receiver") != "1" {
		t.Errorf("the last answer came from receiver version %q, want 1", final.header.Get("X-Pipeline-Receiver"))
	}
	p.stopped(t)
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Errorf("control socket still there after up stopped: %v", err)
	}
	res = reload()
	wantOneLine(t, res, exitUsage, "no running wasmhive up for app pipeline (no control socket at "+sock+")")
}

// handlerManifest writes a manifest serving the C handler guest (no providers,
// so that two hosts can share a data directory) in a temporary directory.
func handlerManifest(t *testing.T) string {
	t.Helper()
	m := filepath.Join(t.TempDir(), "app.yaml")
	yaml := "version: 1\nname: handler\nhttp:\n  routes:\n    - path: /\n      component: web\ncomponents:\n  web:\n    module: " +
		filepath.Join(testguest.Root(t), "testdata", "guests", "http", "handler_c.wasm") + "\n"
	if err := os.WriteFile(m, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestReloadControlSocket: a stale socket is replaced, a live one refuses
// a second up, a path too long for a socket runs without one, and reload
// without a host exits 2.
func TestReloadControlSocket(t *testing.T) {
	xdg := "XDG_DATA_HOME=" + t.TempDir()
	manifest := handlerManifest(t)

	t.Run("no host", func(t *testing.T) {
		dir := t.TempDir()
		res := runCLI(t, nil, "reload", "--data-dir", dir, manifest)
		wantOneLine(t, res, exitUsage, "no running wasmhive up for app handler (no control socket at "+filepath.Join(dir, "control.sock")+")")
	})

	t.Run("stale and live", func(t *testing.T) {
		dir := t.TempDir()
		sock := filepath.Join(dir, "control.sock")
		// A socket left by a process that died: nobody listens.
		ln, err := net.Listen("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		ln.(*net.UnixListener).SetUnlinkOnClose(false)
		ln.Close()
		res := runCLI(t, nil, "reload", "--data-dir", dir, manifest)
		wantOneLine(t, res, exitUsage, "no running wasmhive up for app handler (no control socket at "+sock+")")

		p := startUp(t, []string{xdg}, "--data-dir", dir, manifest)
		res = runCLI(t, nil, "reload", "--data-dir", dir, manifest)
		if res.Code != 0 || !strings.HasPrefix(res.Stdout, "reloaded handler: unchanged=web took=") {
			t.Errorf("reload through the replaced socket: exit %d, stdout %q, stderr %q", res.Code, res.Stdout, res.Stderr)
		}
		second := runCLIEnv(t, []string{xdg}, nil, "up", "--listen", "127.0.0.1:0", "--data-dir", dir, manifest)
		wantOneLine(t, second, exitUsage, "another wasmhive up serves this app (control socket "+sock+")")
		if r := do(t, "GET", p.url+"/"); r.status != 200 {
			t.Errorf("the first up after the second was refused: %d %q", r.status, r.body)
		}
		// Another manifest of the same data directory is not this host's.
		other := handlerManifest(t)
		res = runCLI(t, nil, "reload", "--data-dir", dir, other)
		wantOneLine(t, res, 1, "reload refused: this wasmhive up serves "+manifest+", not "+other)
		p.stopped(t)
	})

	t.Run("path too long", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), strings.Repeat("d", 110-len(t.TempDir())))
		p := startUp(t, []string{xdg}, "--data-dir", dir, manifest)
		if !strings.Contains(p.log(), "level=WARN msg=\"no control socket: its path is too long") {
			t.Errorf("no warning about the socket path:\n%s", p.log())
		}
		res := runCLI(t, nil, "reload", "--data-dir", dir, manifest)
		wantOneLine(t, res, exitUsage, "no wasmhive up for app handler can be reached", "send SIGHUP")
		p.cmd.Process.Signal(syscall.SIGHUP)
		p.waitLog(t, "msg=reloaded unchanged=web", 10*time.Second)
		p.stopped(t)
	})
}
