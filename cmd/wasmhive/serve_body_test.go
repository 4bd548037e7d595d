package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/internal/testguest"
)

// bodyConn is a raw TCP client of a server on 127.0.0.1, sending request
// bodies as slowly or as incompletely as a test likes.
type bodyConn struct {
	net.Conn
	br *bufio.Reader
}

// dialBody connects to url (http://127.0.0.1:port). Every read and write
// fails after 60 s: a test waiting for an answer that never comes fails
// instead of hanging.
func dialBody(t *testing.T, url string) *bodyConn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(60 * time.Second))
	return &bodyConn{Conn: c, br: bufio.NewReader(c)}
}

// post writes the head of a POST of length bytes to path.
func (c *bodyConn) post(t *testing.T, path string, length int) {
	t.Helper()
	if _, err := fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: test\r\nContent-Length: %d\r\n\r\n", path, length); err != nil {
		t.Fatal(err)
	}
}

// response reads one response.
func (c *bodyConn) response(t *testing.T) response {
	t.Helper()
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		t.Fatalf("no response: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}
}

// TestServeSlowBody: with --timeout 1s, a body sent a byte at a time gets
// 408 while the client is still sending (before, the request waited for
// the whole body, however slow: 80 s for 40 bytes a byte every 2 s), and
// the server answers others meanwhile.
func TestServeSlowBody(t *testing.T) {
	p := startServe(t, "--timeout", "1s", testguest.Path(t, "http/wagi_echo.wasm"))
	c := dialBody(t, p.url)
	c.post(t, "/", 1000)
	stop := make(chan struct{})
	defer close(stop)
	go func() { // 1000 bytes, a byte every 100 ms: 100 s
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := c.Write([]byte{'x'}); err != nil {
					return
				}
			}
		}
	}()
	if status, _ := httpGet(t, p.url+"/"); status != 200 {
		t.Fatalf("GET while a body is arriving: %d", status)
	}
	r := c.response(t)
	if r.status != http.StatusRequestTimeout || !strings.Contains(r.body, "not received within 1s") {
		t.Fatalf("slow body: %d %q, want 408", r.status, r.body)
	}
	if status, _ := httpGet(t, p.url+"/"); status != 200 {
		t.Fatalf("GET after the slow body: %d", status)
	}
}

// healthBodyMemory reads the bytes of request bodies a server holds, from
// its health endpoint.
func healthBodyMemory(t *testing.T, url string) (used, max int64) {
	t.Helper()
	_, body := httpGet(t, url+"/.well-known/wasmhive/health")
	i := strings.Index(body, `"body_memory":`)
	if i < 0 {
		t.Fatalf("health without body_memory: %s", body)
	}
	if _, err := fmt.Sscanf(body[i:], `"body_memory":{"max":%d,"used":%d}`, &max, &used); err != nil {
		t.Fatalf("health %q: %v", body, err)
	}
	return used, max
}

// waitBodyMemory waits (at most 60 s) until the server at url holds want
// bytes of request bodies.
func waitBodyMemory(t *testing.T, url string, want int64) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		used, _ := healthBodyMemory(t, url)
		if used == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server holds %d bytes of request bodies, want %d", used, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// processRSS returns the resident set of process pid, or false where
// /proc does not tell it.
func processRSS(t *testing.T, pid int) (int64, bool) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "statm"))
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		t.Fatalf("statm %q: %v", b, err)
	}
	return pages * int64(os.Getpagesize()), true
}

// TestServeBodyMemory: unfinished bodies take at most --max-body-memory.
// Seven 9 MiB bodies held one byte short of their end fill a 64 MiB
// budget; the next 33 requests get 503 with Retry-After at once, a GET is
// served meanwhile, and the server's memory stays within the budget (before,
// 100 such bodies took 2.3 GB); when the clients close, it comes back.
func TestServeBodyMemory(t *testing.T) {
	const size = 9 << 20
	p := startServe(t, "--max-body", "16MiB", "--max-body-memory", "64MiB", "--timeout", "5m", "--no-access-log",
		testguest.Path(t, "http/wagi_hello.wasm"))
	if status, _ := httpGet(t, p.url+"/"); status != 200 {
		t.Fatalf("GET: %d", status)
	}
	if used, max := healthBodyMemory(t, p.url); used != 0 || max != 64<<20 {
		t.Fatalf("body memory at start: %d of %d", used, max)
	}
	rss0, haveRSS := processRSS(t, p.cmd.Process.Pid)
	body := make([]byte, size-1)
	var held []*bodyConn
	for i := 1; i <= 7; i++ {
		c := dialBody(t, p.url)
		c.post(t, "/", size)
		if _, err := c.Write(body); err != nil {
			t.Fatalf("body %d: %v", i, err)
		}
		held = append(held, c)
		waitBodyMemory(t, p.url, int64(i)*size)
	}
	for i := range 33 {
		c := dialBody(t, p.url)
		c.post(t, "/", size)
		r := c.response(t)
		if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
			t.Fatalf("request %d past the budget: %d %v %q, want 503 with Retry-After", 8+i, r.status, r.header, r.body)
		}
	}
	if status, body := httpGet(t, p.url+"/"); status != 200 {
		t.Fatalf("GET with the budget spent: %d %q", status, body)
	}
	if haveRSS {
		rss, _ := processRSS(t, p.cmd.Process.Pid)
		t.Logf("RSS %d MiB at start, %d MiB holding 7 bodies of 9 MiB", rss0>>20, rss>>20)
		if rss-rss0 > 96<<20 {
			t.Fatalf("RSS grew by %d MiB holding a 64 MiB budget of bodies", (rss-rss0)>>20)
		}
	}
	for _, c := range held {
		c.Close()
	}
	waitBodyMemory(t, p.url, 0)
	if haveRSS {
		deadline := time.Now().Add(60 * time.Second)
		for {
			rss, _ := processRSS(t, p.cmd.Process.Pid)
			if rss-rss0 < 16<<20 {
				t.Logf("RSS %d MiB after the clients closed", rss>>20)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("RSS still %d MiB above its start a minute after the bodies ended", (rss-rss0)>>20)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// TestServeBodyMemoryFlag: --max-body-memory is a size, at least --max-body.
func TestServeBodyMemoryFlag(t *testing.T) {
	wagi := testguest.Path(t, "http/wagi_hello.wasm")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--max-body-memory", "lots", wagi}, "--max-body-memory"},
		{[]string{"serve", "--max-body-memory", "1MiB", wagi}, "--max-body-memory 1MiB is less than --max-body 10MiB"},
	} {
		res := runCLI(t, nil, c.args...)
		if res.Code != exitUsage || !strings.Contains(res.Stderr, c.want) || strings.Count(strings.TrimSpace(res.Stderr), "\n") != 0 {
			t.Errorf("wasmhive %v: exit %d, stderr %q; want exit %d and one line containing %q", c.args, res.Code, res.Stderr, exitUsage, c.want)
		}
	}
	if res := runCLI(t, nil, "serve", "--help"); !strings.Contains(res.Stdout, "--max-body-memory") || !strings.Contains(res.Stdout, "408") {
		t.Errorf("serve --help does not document --max-body-memory and 408:\n%s", res.Stdout)
	}
}

// TestUpComponentBodyLimits: an app's component limits.request_bytes and
// response_bytes hold on its routes under `wasmhive up`: 413 for a body over
// the request limit, 502 for a response over the response limit, while
// another component of the app keeps the server's limits.
func TestUpComponentBodyLimits(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, testguest.GoReactor(t, "http/handler"), filepath.Join(dir, "handler.wasm"))
	manifest := filepath.Join(dir, "app.yaml")
	if err := os.WriteFile(manifest, []byte(`version: 1
name: bodylimits
http:
  listen: 127.0.0.1:0
  routes:
    - {path: /echo, component: small}
    - {path: /big, component: small}
    - {path: /, component: large}
components:
  small:
    module: handler.wasm
    limits: {request_bytes: 1KiB, response_bytes: 2KiB}
  large:
    module: handler.wasm
`), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startUp(t, []string{"XDG_DATA_HOME=" + t.TempDir()}, manifest)
	post := func(path string, n int) response {
		t.Helper()
		resp, err := testClient.Post(p.url+path, "text/plain", strings.NewReader(strings.Repeat("a", n)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return response{resp.StatusCode, resp.Header, string(b)}
	}
	if r := post("/echo", 100); r.status != 200 || !strings.HasSuffix(r.body, "body="+strings.Repeat("a", 100)) {
		t.Fatalf("a body within the limit: %d %q", r.status, r.body)
	}
	if r := post("/echo", 1025); r.status != http.StatusRequestEntityTooLarge || !strings.Contains(r.body, "limit of 1024") {
		t.Fatalf("a body over request_bytes: %d %q, want 413", r.status, r.body)
	}
	if r := do(t, "GET", p.url+"/big?n=1000"); r.status != 200 || len(r.body) != 1000 {
		t.Fatalf("a response within the limit: %d, %d bytes", r.status, len(r.body))
	}
	if r := do(t, "GET", p.url+"/big?n=2049"); r.status != http.StatusBadGateway || !strings.Contains(r.body, "request id") {
		t.Fatalf("a response over response_bytes: %d %q, want 502", r.status, r.body)
	}
	if r := post("/", 5000); r.status != 200 || r.body != "hello, world\n" {
		t.Fatalf("the other component, a body of 5000 bytes: %d %q", r.status, r.body)
	}
	// Both refusals count as the component's violations, whether the
	// trigger (the body, before any call) or the Host (the response)
	// found them.
	r := do(t, "GET", p.url+"/.well-known/wasmhive/health")
	var health struct {
		Routes []struct {
			Path       string
			Violations map[string]uint64
		}
	}
	if err := json.Unmarshal([]byte(r.body), &health); err != nil {
		t.Fatalf("health: %v: %s", err, r.body)
	}
	for _, rt := range health.Routes {
		want := map[string]uint64{"request_bytes": 1, "response_bytes": 1}
		if rt.Path == "/" {
			want = map[string]uint64{}
		}
		if !reflect.DeepEqual(rt.Violations, want) {
			t.Errorf("route %s: violations %v, want %v", rt.Path, rt.Violations, want)
		}
	}
	p.stopped(t)
}
