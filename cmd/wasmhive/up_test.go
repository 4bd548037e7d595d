package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/capability/keyvalue/boltkv"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

// upURLRE finds the address `wasmhive up` listens on in its "up" log line.
var upURLRE = regexp.MustCompile(`msg=up .*url=(http://127\.0\.0\.1:\d+)`)

// startProc runs the wasmhive binary with args and extra environment
// variables, and waits (at most 60 s) for a stderr line matching ready,
// whose first group is the URL it serves. The process is killed at cleanup
// if still running.
func startProc(t *testing.T, env []string, ready *regexp.Regexp, args ...string) *serveProc {
	t.Helper()
	p, wait := spawnProc(t, env, ready, args...)
	wait(60 * time.Second)
	return p
}

// spawnProc starts the wasmhive binary with args and env without waiting
// for it; wait waits (at most d) for its stderr line matching ready, whose
// first group becomes p.url. The process is killed at cleanup if still
// running; after a failure its log is printed, with every goroutine's stack
// if it still runs.
func spawnProc(t *testing.T, env []string, ready *regexp.Regexp, args ...string) (p *serveProc, wait func(d time.Duration)) {
	t.Helper()
	p = &serveProc{done: make(chan error, 1)}
	p.cmd = exec.Command(cliPath, args...)
	p.cmd.Env = append(append(os.Environ(), "XDG_CACHE_HOME="+cacheHome(t)), env...)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.logs.WriteString(line + "\n")
			p.mu.Unlock()
			if m := ready.FindStringSubmatch(line); m != nil {
				select {
				case urlc <- m[1]:
				default:
				}
			}
		}
		p.done <- p.cmd.Wait()
	}()
	t.Cleanup(func() {
		if t.Failed() {
			// Still running after a failure: SIGQUIT makes the Go runtime
			// print every goroutine's stack, for a hang's post-mortem.
			if p.cmd.Process.Signal(syscall.SIGQUIT) == nil {
				select {
				case <-p.done:
				case <-time.After(5 * time.Second):
				}
			}
			t.Logf("wasmhive %s log:\n%s", strings.Join(args, " "), p.log())
		}
		p.cmd.Process.Kill()
	})
	return p, func(d time.Duration) {
		t.Helper()
		select {
		case p.url = <-urlc:
		case err := <-p.done:
			t.Fatalf("wasmhive %v exited before it was ready: %v\n%s", args, err, p.log())
		case <-time.After(d):
			t.Fatalf("wasmhive %v was not ready within %s\n%s", args, d, p.log())
		}
	}
}

// startUp runs `wasmhive up --listen 127.0.0.1:0 args...` (args end with
// the manifest) with env, and waits for its "up" line.
func startUp(t *testing.T, env []string, args ...string) *serveProc {
	t.Helper()
	return startProc(t, env, upURLRE, append([]string{"up", "--listen", "127.0.0.1:0"}, args...)...)
}

// waitLog waits (at most d) until the process's log contains s.
func (p *serveProc) waitLog(t *testing.T, s string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !strings.Contains(p.log(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the log within %s:\n%s", s, d, p.log())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stopped sends SIGTERM and checks that the process exits 0 after logging
// "stopped".
func (p *serveProc) stopped(t *testing.T) {
	t.Helper()
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0\n%s", code, p.log())
	}
	if !strings.Contains(p.log(), "msg=stopped") {
		t.Fatalf("no \"stopped\" line in the log:\n%s", p.log())
	}
}

// response is what one HTTP request got.
type response struct {
	status int
	header http.Header
	body   string
}

var testClient = &http.Client{
	Timeout:   30 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 64},
}

// do sends a request without a body and reads the whole response.
func do(t *testing.T, method, url string) response {
	t.Helper()
	r, err := fetch(method, url)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// fetch is do for goroutines: it returns the error.
func fetch(method, url string) (response, error) {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return response{}, err
	}
	resp, err := testClient.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: read the body: %w", method, url, err)
	}
	return response{resp.StatusCode, resp.Header, string(b)}, nil
}

// wantJSON checks a response's status and body, and that the body is
// JSON (kvcounter answers nothing else).
func wantJSON(t *testing.T, r response, status int, body string) {
	t.Helper()
	if r.status != status || r.body != body {
		t.Errorf("got %d %q, want %d %q", r.status, r.body, status, body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json (body %q)", ct, r.body)
	}
}

// counterBody is kvcounter's answer for a counter at n.
func counterBody(n int) string { return fmt.Sprintf("{\"counter\":%d}\n", n) }

// kvcounterApps are the kvcounter example's manifest (the Go build) and
// the manifests of testdata/apps/kvcounter that serve the C and Rust twins.
var kvcounterApps = []struct{ name, manifest string }{
	{"go", "../../examples/kvcounter/app.yaml"},
	{"c", "../../testdata/apps/kvcounter/c.yaml"},
	{"rust", "../../testdata/apps/kvcounter/rust.yaml"},
}

// TestUpKVCounter runs the kvcounter app end to end with each of its three
// twins as a `wasmhive up` process: the API, the keys, persistence across a
// SIGTERM restart, and no lost update under concurrent increments.
func TestUpKVCounter(t *testing.T) {
	for _, a := range kvcounterApps {
		t.Run(a.name, func(t *testing.T) {
			xdg := t.TempDir()
			env := []string{"XDG_DATA_HOME=" + xdg}
			var args []string
			dataDir := filepath.Join(xdg, "wasmhive", "apps", "kvcounter")
			if a.name != "go" {
				// The twins keep their data where --data-dir says; the Go
				// build, in the default place under XDG_DATA_HOME.
				dataDir = t.TempDir()
				args = []string{"--data-dir", dataDir}
			}
			p := startUp(t, env, append(args, a.manifest)...)
			if !strings.Contains(p.log(), "data_dir="+dataDir) {
				t.Errorf("the up line does not say data_dir=%s:\n%s", dataDir, p.log())
			}
			wantJSON(t, do(t, "GET", p.url+"/any/path?amount=5"), 200, counterBody(5))
			wantJSON(t, do(t, "GET", p.url+"/any/path"), 200, counterBody(6))
			wantJSON(t, do(t, "GET", p.url+"/other/path?amount=2"), 200, counterBody(2))
			wantJSON(t, do(t, "GET", p.url+"/any//path/?amount=10"), 200, counterBody(16))
			wantJSON(t, do(t, "GET", p.url+"/any/path?amount=-4"), 200, counterBody(12))
			wantJSON(t, do(t, "GET", p.url+"/any/path?amount=lots"), 400, `{"error":"amount must be an integer, got \"lots\""}`+"\n")
			wantJSON(t, do(t, "GET", p.url+"/any/path?amount="), 400, `{"error":"amount must be an integer, got \"\""}`+"\n")
			r := do(t, "POST", p.url+"/any/path")
			wantJSON(t, r, 405, `{"error":"method POST is not allowed; use GET"}`+"\n")
			if allow := r.header.Get("Allow"); allow != "GET" {
				t.Errorf("405 with Allow %q, want GET", allow)
			}
			wantJSON(t, do(t, "GET", p.url+"/any/path?amount=0"), 200, counterBody(12))
			hammer(t, p.url+"/hot", 32, 20)
			if t.Failed() {
				return
			}

			// Restart on the same data: the counts continue.
			p.stopped(t)
			p = startUp(t, env, append(args, a.manifest)...)
			wantJSON(t, do(t, "GET", p.url+"/any/path"), 200, counterBody(13))
			wantJSON(t, do(t, "GET", p.url+"/other/path?amount=0"), 200, counterBody(2))
			wantJSON(t, do(t, "GET", p.url+"/hot"), 200, counterBody(32*20+1))
			p.stopped(t)

			// The counters are decimal text under counter:<segments> in the
			// manifest's bucket.
			want := map[string]string{"counter:any:path": "13", "counter:other:path": "2", "counter:hot": "641"}
			if got := boltValues(t, filepath.Join(dataDir, "keyvalue.bolt"), "counter", want); !equalMaps(got, want) {
				t.Errorf("bucket counter holds %v, want %v", got, want)
			}
		})
	}
}

// hammer sends n GETs from each of clients goroutines to url, which
// increments one counter from 0, and checks that no increment was lost:
// the answers are exactly 1..clients*n, and the counter ends at
// clients*n.
func hammer(t *testing.T, url string, clients, n int) {
	t.Helper()
	var (
		mu   sync.Mutex
		seen []int
		wg   sync.WaitGroup
	)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				r, err := fetch("GET", url)
				if err != nil {
					t.Error(err)
					return
				}
				var v int
				if _, err := fmt.Sscanf(r.body, "{\"counter\":%d}\n", &v); err != nil || r.status != 200 {
					t.Errorf("GET %s: %d %q", url, r.status, r.body)
					return
				}
				mu.Lock()
				seen = append(seen, v)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	slices.Sort(seen)
	for i, v := range seen {
		if v != i+1 {
			t.Fatalf("%d concurrent clients x %d increments: answer #%d is %d, want %d (lost or repeated update)", clients, n, i+1, v, i+1)
		}
	}
	if len(seen) != clients*n {
		t.Fatalf("%d answers, want %d", len(seen), clients*n)
	}
	wantJSON(t, do(t, "GET", url+"?amount=0"), 200, counterBody(clients*n))
}

// boltValues reads keys from the bucket of the bolt file at path (the
// process that wrote it has exited).
func boltValues(t *testing.T, path, bucket string, keys map[string]string) map[string]string {
	t.Helper()
	s, err := boltkv.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	b, err := s.Open(ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for k := range keys {
		v, err := b.Get(ctx, k)
		if err != nil {
			t.Errorf("get %q: %v", k, err)
			continue
		}
		got[k] = string(v)
	}
	return got
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// appGuest builds the Go guest in testdata/apps/<rel> as a reactor
// (-buildmode=c-shared), cached as internal/testguest caches its guests.
func appGuest(t *testing.T, rel string) string {
	t.Helper()
	return testguest.GoReactor(t, "../apps/"+rel)
}

// appDir copies testdata/apps/<app>/app.yaml into a temporary directory
// with the given modules (name in the manifest -> built file), and returns
// the copy's path.
func appDir(t *testing.T, app string, modules map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	manifest := filepath.Join(dir, "app.yaml")
	copyFile(t, filepath.Join("..", "..", "testdata", "apps", app, "app.yaml"), manifest)
	for name, from := range modules {
		copyFile(t, from, filepath.Join(dir, name))
	}
	return manifest
}

// TestUpDrainsOnSIGTERM: a request in flight when SIGTERM arrives
// completes, new connections are refused from the moment shutdown begins,
// and the process exits 0 after logging "stopped".
func TestUpDrainsOnSIGTERM(t *testing.T) {
	manifest := appDir(t, "slow", map[string]string{"slow.wasm": appGuest(t, "slow")})
	p := startUp(t, []string{"XDG_DATA_HOME=" + t.TempDir()}, manifest)
	if r := do(t, "GET", p.url+"/"); r.status != 200 || r.body != "fast" {
		t.Fatalf("GET /: %d %q", r.status, r.body)
	}
	res := make(chan response, 1)
	errc := make(chan error, 1)
	go func() {
		r, err := fetch("GET", p.url+"/sleep?ms=1500")
		if err != nil {
			errc <- err
			return
		}
		res <- r
	}()
	waitActive(t, p.url, 1)
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.waitLog(t, "shutting down", 10*time.Second)
	addr := strings.TrimPrefix(p.url, "http://")
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("a new connection was accepted after shutdown began")
	} else if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("a new connection after shutdown began: %v, want it refused", err)
	}
	select {
	case r := <-res:
		t.Fatalf("the slow request ended (%d %q) before the refused connection: the test did not overlap", r.status, r.body)
	case err := <-errc:
		t.Fatalf("request in flight at SIGTERM: %v; want it completed", err)
	default:
	}
	select {
	case r := <-res:
		if r.status != 200 || r.body != "slept 1500ms" {
			t.Fatalf("request in flight at SIGTERM: %d %q; want 200 \"slept 1500ms\"", r.status, r.body)
		}
	case err := <-errc:
		t.Fatalf("request in flight at SIGTERM: %v; want it completed", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the request in flight at SIGTERM did not complete within 30 s")
	}
	p.stopped(t)
	if log := p.log(); !strings.Contains(log, "path=/sleep status=200") ||
		strings.Index(log, "path=/sleep status=200") > strings.Index(log, "msg=stopped") {
		t.Fatalf("no access log line of the request in flight before \"stopped\":\n%s", log)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Fatal("the port still accepts connections after the process exited")
	}
}

// TestUpShutdownTimeout: a request still running when --shutdown-timeout
// passes is cut off, and up says so in one line and fails.
func TestUpShutdownTimeout(t *testing.T) {
	manifest := appDir(t, "slow", map[string]string{"slow.wasm": appGuest(t, "slow")})
	p := startUp(t, []string{"XDG_DATA_HOME=" + t.TempDir()}, "--shutdown-timeout", "200ms", manifest)
	errc := make(chan error, 1)
	go func() {
		r, err := fetch("GET", p.url+"/sleep?ms=5000")
		if err == nil {
			err = fmt.Errorf("%d %q", r.status, r.body)
		}
		errc <- err
	}()
	waitActive(t, p.url, 1)
	start := time.Now()
	code := p.stop(t, syscall.SIGTERM)
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("exit took %s, beyond the 200ms shutdown timeout (the 5 s request ran on)", took)
	}
	if code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if log := p.log(); !strings.Contains(log, "wasmhive: shutdown: requests still in flight after 200ms") {
		t.Errorf("no one-line shutdown error:\n%s", log)
	}
	select {
	case err := <-errc:
		t.Logf("the request cut off: %v", err)
	case <-time.After(10 * time.Second):
		t.Error("the request in flight was neither answered nor cut off")
	}
}

// waitActive waits (at most 30 s) until the app's health endpoint counts
// n active calls.
func waitActive(t *testing.T, base string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	want := `"active":` + strconv.Itoa(n)
	for {
		r := do(t, "GET", base+"/.well-known/wasmhive/health")
		if strings.Contains(r.body, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("never %s: %s", want, r.body)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestUpBadInput: each problem up finds is one line (no Go stack) and exit
// 2; those about a component name its line in the manifest.
func TestUpBadInput(t *testing.T) {
	xdg := "XDG_DATA_HOME=" + t.TempDir()
	up := func(args ...string) cliResult {
		return runCLIEnv(t, []string{xdg}, nil, append([]string{"up"}, args...)...)
	}
	bad, _ := filepath.Abs("../../testdata/apps/bad")
	t.Run("no such manifest", func(t *testing.T) {
		wantOneLine(t, up("/no/such/app.yaml"), exitUsage, "/no/such/app.yaml", "no such file")
	})
	t.Run("no manifest", func(t *testing.T) {
		wantOneLine(t, up(), exitUsage, "accepts 1 arg")
	})
	t.Run("unknown field", func(t *testing.T) {
		m := filepath.Join(bad, "unknown_field.yaml")
		wantOneLine(t, up(m), exitUsage, m+`:13: components.web.limits: unknown field "timout"; known: memory, timeout, fuel, max_var_bytes, request_bytes, response_bytes, keyvalue_value_bytes, keyvalue_keys_per_call, http_requests_per_call, messages_per_second`)
	})
	t.Run("not wasm", func(t *testing.T) {
		m := filepath.Join(bad, "not_wasm.yaml")
		wantOneLine(t, up(m), exitUsage, m+":11: components.web.module: ", "not_wasm.yaml", "WebAssembly")
	})
	t.Run("does not compile", func(t *testing.T) {
		// A well-formed module whose one function, (func (result i32)),
		// returns nothing: only compiling it (validation) finds that, so
		// the Host reports it, not the manifest check.
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "broken.wasm"), []byte("\x00asm\x01\x00\x00\x00"+
			"\x01\x05\x01\x60\x00\x01\x7f"+ // type section: () -> i32
			"\x03\x02\x01\x00"+ // function section: one function of type 0
			"\x0a\x04\x01\x02\x00\x0b"), 0o644) // code: no locals, end
		m := filepath.Join(dir, "app.yaml")
		os.WriteFile(m, []byte("version: 1\nname: broken\ncomponents:\n  ok:\n    module: "+
			filepath.Join(bad, "../../guests/http/reactor.wasm")+"\n  broken:\n    module: broken.wasm\n"), 0o644)
		wantOneLine(t, up(m), exitUsage, m+":6: components.broken: ", "broken.wasm")
	})
	t.Run("import nothing provides", func(t *testing.T) {
		m := filepath.Join(bad, "bad_import.yaml")
		wantOneLine(t, up(m), exitUsage, m+":11: components.web: ", "env.not_provided")
	})
	t.Run("port in use", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		addr := ln.Addr().String()
		wantOneLine(t, up("--listen", addr, "--data-dir", t.TempDir(), "../../examples/kvcounter/app.yaml"), exitUsage,
			"--listen "+addr+": ", "address already in use")
		// Without --listen, the error points at http.listen's line.
		dir := t.TempDir()
		m := filepath.Join(dir, "app.yaml")
		if err := os.WriteFile(m, []byte("version: 1\nname: busy\nhttp:\n  listen: "+addr+"\n  routes:\n    - path: /\n      component: web\ncomponents:\n  web:\n    module: "+
			filepath.Join(testguest.Root(t), "testdata", "guests", "http", "handler_c.wasm")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		wantOneLine(t, up("--data-dir", dir, m), exitUsage, m+":4: http.listen: "+addr+": ", "address already in use")
	})
	t.Run("data dir in use", func(t *testing.T) {
		// Two hosts cannot share the bolt store: the second is refused at
		// the component that needs it.
		dir := t.TempDir()
		p := startUp(t, []string{xdg}, "--data-dir", dir, "../../examples/kvcounter/app.yaml")
		res := up("--listen", "127.0.0.1:0", "--data-dir", dir, "../../examples/kvcounter/app.yaml")
		wantOneLine(t, res, exitUsage, "app.yaml:14: components.counter: ", "in use by another wasmhive process")
		wantJSON(t, do(t, "GET", p.url+"/still/serving"), 200, counterBody(1))
		p.stopped(t)
	})
	t.Run("bad flags", func(t *testing.T) {
		wantOneLine(t, up("--shutdown-timeout", "-1s", "../../examples/kvcounter/app.yaml"), exitUsage, "--shutdown-timeout")
		wantOneLine(t, up("--log-format", "xml", "../../examples/kvcounter/app.yaml"), exitUsage, "xml")
		wantOneLine(t, up("--listen", "nowhere", "../../examples/kvcounter/app.yaml"), exitUsage, "nowhere")
	})
}

// TestUpMessaging runs an app whose HTTP component sends requests and
// publishes on the embedded NATS server, and whose subscribed component
// answers them.
func TestUpMessaging(t *testing.T) {
	manifest := appDir(t, "messaging", map[string]string{
		"greeter.wasm":   appGuest(t, "messaging/greeter"),
		"responder.wasm": appGuest(t, "messaging/responder"),
	})
	p := startUp(t, []string{"XDG_DATA_HOME=" + t.TempDir()}, manifest)
	for _, name := range []string{"world", "wasmhive"} {
		if r := do(t, "GET", p.url+"/greet/"+name); r.status != 200 || r.body != "hello, "+name {
			t.Errorf("GET /greet/%s: %d %q, want 200 %q", name, r.status, r.body, "hello, "+name)
		}
	}
	// The grant allows greet and notes only.
	if r := do(t, "GET", p.url+"/ask?subject=secret"); r.status != 502 ||
		!strings.Contains(r.body, `subject "secret" is not allowed`) {
		t.Errorf("GET /ask?subject=secret: %d %q, want 502 and the subject refused", r.status, r.body)
	}
	// A publish reaches the subscriber, which stores it in the bucket both
	// components share.
	if r := do(t, "GET", p.url+"/last"); r.status != 404 {
		t.Errorf("GET /last before any note: %d %q, want 404", r.status, r.body)
	}
	if r := do(t, "GET", p.url+"/note?text="+url.QueryEscape("hi there")); r.status != 202 {
		t.Fatalf("GET /note: %d %q, want 202", r.status, r.body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := do(t, "GET", p.url+"/last")
		if r.status == 200 && r.body == "hi there" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the published note never reached the subscriber: GET /last: %d %q", r.status, r.body)
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.stopped(t)
}
