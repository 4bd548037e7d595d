package main

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/internal/testguest"
)

// serveProc is a `wasmhive serve` process listening on 127.0.0.1.
type serveProc struct {
	cmd  *exec.Cmd
	url  string
	mu   sync.Mutex
	logs strings.Builder
	done chan error
}

var urlRE = regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)`)

// startServe runs `wasmhive serve --listen 127.0.0.1:0 args...` and waits
// (at most 60 s) for it to listen. The process is killed at cleanup if still
// running.
func startServe(t *testing.T, args ...string) *serveProc {
	t.Helper()
	return startProc(t, nil, urlRE, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
}

func (p *serveProc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// stop sends sig and waits (at most 30 s) for the process to exit; it
// returns the exit code.
func (p *serveProc) stop(t *testing.T, sig os.Signal) int {
	t.Helper()
	p.cmd.Process.Signal(sig)
	select {
	case err := <-p.done:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(30 * time.Second):
		t.Fatalf("wasmhive serve did not exit within 30 s of %v", sig)
	}
	return -1
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestServeWAGI(t *testing.T) {
	p := startServe(t, testguest.Path(t, "http/wagi_echo.wasm"))
	status, body := httpGet(t, p.url+"/hello?x=1")
	if status != 200 || !strings.Contains(body, "PATH_INFO=/hello\n") || !strings.Contains(body, "QUERY_STRING=x=1\n") {
		t.Fatalf("GET: %d %q", status, body)
	}
	if status, body := httpGet(t, p.url+"/.well-known/wasmhive/health"); status != 200 || !strings.Contains(body, `"convention":"wagi"`) {
		t.Fatalf("health: %d %q", status, body)
	}
	if code := p.stop(t, syscall.SIGINT); code != 0 {
		t.Fatalf("exit code %d after SIGINT, want 0", code)
	}
	if log := p.log(); !strings.Contains(log, `msg="http request"`) || !strings.Contains(log, "path=/hello status=200") {
		t.Fatalf("no access log line:\n%s", log)
	}
}

func TestServeHandlerKeepsState(t *testing.T) {
	p := startServe(t, "--max-instances", "1", testguest.GoReactor(t, "http/handler"))
	var last string
	for i := 1; i <= 3; i++ {
		status, body := httpGet(t, p.url+"/count")
		if status != 200 || !strings.HasSuffix(body, " count "+string(rune('0'+i))) {
			t.Fatalf("GET /count #%d: %d %q", i, status, body)
		}
		id := strings.Fields(body)[1]
		if last != "" && id != last {
			t.Fatalf("request %d ran on instance %s, not the warm %s", i, id, last)
		}
		last = id
	}
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}
}

func TestServeGracefulShutdownDrainsRequests(t *testing.T) {
	p := startServe(t, testguest.GoReactor(t, "http/handler"))
	type result struct {
		status int
		body   string
		err    error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Get(p.url + "/sleep")
		if err != nil {
			res <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		res <- result{resp.StatusCode, string(b), err}
	}()
	// Wait until the slow request is in the module, then ask to stop.
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, health := httpGet(t, p.url+"/.well-known/wasmhive/health")
		if strings.Contains(health, `"active":1`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the slow request never became active: %s", health)
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	r := <-res
	if r.err != nil || r.status != 200 || r.body != "slept" {
		t.Fatalf("request in flight at SIGTERM: %d %q %v; want it completed", r.status, r.body, r.err)
	}
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("exit code %d, want 0", code)
	}
	if !strings.Contains(p.log(), "shutting down") {
		t.Fatalf("no shutdown log line:\n%s", p.log())
	}
	if _, err := http.Get(p.url + "/"); err == nil {
		t.Fatal("the server still accepts requests after shutting down")
	}
}

func TestServeUsageErrors(t *testing.T) {
	wagi := testguest.Path(t, "http/wagi_hello.wasm")
	reactor := testguest.Path(t, "http/reactor.wasm")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve"}, "accepts 1 arg"},
		{[]string{"serve", "/no/such.wasm"}, "no such file"},
		{[]string{"serve", "--convention", "soap", wagi}, "unknown convention"},
		{[]string{"serve", "--convention", "handler", wagi}, "handle_http"},
		{[]string{"serve", reactor}, "exports neither handle_http"},
		{[]string{"serve", "--min-warm", "5", "--max-instances", "2", wagi}, "--min-warm 5"},
		{[]string{"serve", "--max-body", "lots", wagi}, "--max-body"},
		{[]string{"serve", "--policy", "sometimes", wagi}, "--policy"},
		{[]string{"serve", "--listen", "127.0.0.1:99999", wagi}, "--listen"},
		{[]string{"serve", testguest.Path(t, "http/bad_import.wasm")}, "env.not_provided"},
	} {
		res := runCLI(t, nil, c.args...)
		if res.Code != exitUsage || !strings.Contains(res.Stderr, c.want) || strings.Count(strings.TrimSpace(res.Stderr), "\n") != 0 {
			t.Errorf("wasmhive %v: exit %d, stderr %q; want exit %d and one line containing %q", c.args, res.Code, res.Stderr, exitUsage, c.want)
		}
	}
}

// TestRunInvokeUsesReactorLifecycle checks that `run --invoke` drives a
// reactor through the engine's lifecycle, as serve's pool does: _initialize
// (the C constructors) runs exactly once before the export.
func TestRunInvokeUsesReactorLifecycle(t *testing.T) {
	reactor := testguest.Path(t, "http/reactor.wasm")
	if res := runCLI(t, nil, "run", "--invoke", "init_count", reactor); res.Code != 0 || res.Stdout != "1\n" {
		t.Fatalf("init_count: exit %d, stdout %q, stderr %q; want 1", res.Code, res.Stdout, res.Stderr)
	}
	if res := runCLI(t, nil, "run", "--invoke", "next", reactor); res.Code != 0 || res.Stdout != "101\n" {
		t.Fatalf("next: exit %d, stdout %q, stderr %q; want 101 (state set by _initialize)", res.Code, res.Stdout, res.Stderr)
	}
	if res := runCLI(t, nil, "run", "--invoke", "trap", reactor); res.Code != exitTrap {
		t.Fatalf("trap: exit %d, want %d", res.Code, exitTrap)
	}
}
