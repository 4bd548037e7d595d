package httptrigger_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/internal/testguest"
	httptrigger "github.com/wasmhive/wasmhive/trigger/http"
)

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testCacheDir is the compilation cache shared by the tests: the Go handler
// guest is compiled once instead of once per test.
var testCacheDir = filepath.Join(os.TempDir(), "wasmhive-httptrigger-test-cache")

// server is a trigger behind a real HTTP server on 127.0.0.1, serving
// components of a Host.
type server struct {
	*httptest.Server
	host *wasmhive.Host
	trig *httptrigger.Trigger
	log  *syncBuffer // the Host's log and the trigger's
}

// newHost makes a Host logging into logs (debug level), closed at the end
// of the test.
func newHost(t testing.TB, logs *syncBuffer) *wasmhive.Host {
	t.Helper()
	ctx := context.Background()
	h, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{CacheDir: testCacheDir, Logger: testLogger(logs)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(ctx) })
	return h
}

func testLogger(logs *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// add adds the module at path to h as component name with the instance
// settings in.
func add(t testing.TB, h *wasmhive.Host, name, path string, in wasmhive.Instances) {
	t.Helper()
	if _, err := h.AddComponent(context.Background(), name, wasmhive.ComponentConfig{Module: path, Instances: in}); err != nil {
		t.Fatal(err)
	}
}

// serve starts a trigger with cfg (Invoker and Logger filled in) on h
// behind a real HTTP server.
func serve(t *testing.T, h *wasmhive.Host, logs *syncBuffer, cfg httptrigger.Config) *server {
	t.Helper()
	cfg.Invoker = h
	cfg.Logger = testLogger(logs)
	trig, err := httptrigger.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(trig)
	t.Cleanup(func() {
		srv.Close()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return &server{Server: srv, host: h, trig: trig, log: logs}
}

// start serves the module at path as component "app" with the instance
// settings in. cfg's first route, if any, gives its Convention and Export;
// it is routed at "/".
func start(t *testing.T, path string, in wasmhive.Instances, cfg httptrigger.Config) *server {
	t.Helper()
	logs := &syncBuffer{}
	h := newHost(t, logs)
	add(t, h, "app", path, in)
	r := httptrigger.Route{Path: "/", Component: "app"}
	if len(cfg.Routes) > 0 {
		r.Convention, r.Export = cfg.Routes[0].Convention, cfg.Routes[0].Export
	}
	cfg.Routes = []httptrigger.Route{r}
	return serve(t, h, logs, cfg)
}

type reply struct {
	status int
	header http.Header
	body   string
}

func (s *server) do(t *testing.T, method, path string, body io.Reader, header ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (s *server) get(t *testing.T, path string) reply { t.Helper(); return s.do(t, "GET", path, nil) }

func wagi(t *testing.T, name string) string { return testguest.Path(t, "http/"+name+".wasm") }

func handlerGuest(t *testing.T) string { return testguest.GoReactor(t, "http/handler") }

// wantError checks an error response: its status, and the request id in
// the body, the X-Request-Id header and, when logged is non-empty, in a log
// line that contains logged.
func (s *server) wantError(t *testing.T, r reply, status int, logged string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %q", r.status, status, r.body)
	}
	id := r.header.Get("X-Request-Id")
	if id == "" || !strings.Contains(r.body, "request id "+id) {
		t.Fatalf("error body %q does not name the request id %q", r.body, id)
	}
	if logged == "" {
		return
	}
	for _, line := range strings.Split(s.log.String(), "\n") {
		if strings.Contains(line, "id="+id+" ") && strings.Contains(line, logged) {
			return
		}
	}
	t.Fatalf("no log line carries request id %s and %q:\n%s", id, logged, s.log.String())
}

func TestWAGIEndToEnd(t *testing.T) {
	s := start(t, wagi(t, "wagi_echo"), wasmhive.Instances{}, httptrigger.Config{})
	if c := s.trig.Convention("/"); c != httptrigger.WAGI {
		t.Fatalf("convention = %s, want wagi (detected from _start)", c)
	}
	r := s.do(t, "POST", "/some/path%20x?a=1&b=2", strings.NewReader("the body"), "Content-Type", "text/x-test", "X-Custom-Thing", "v1", "Authorization", "Bearer secret")
	if r.status != 200 || r.header.Get("Content-Type") != "text/plain" {
		t.Fatalf("status %d, headers %v", r.status, r.header)
	}
	for _, want := range []string{
		"GATEWAY_INTERFACE=CGI/1.1\n", "SERVER_PROTOCOL=HTTP/1.1\n", "REQUEST_METHOD=POST\n",
		"PATH_INFO=/some/path x\n", "QUERY_STRING=a=1&b=2\n", "CONTENT_TYPE=text/x-test\n",
		"CONTENT_LENGTH=8\n", "REMOTE_ADDR=127.0.0.1\n", "SERVER_NAME=127.0.0.1\n",
		"HTTP_X_CUSTOM_THING=v1\n", "X_REQUEST_ID=" + r.header.Get("X-Request-Id") + "\n", "body=the body",
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("response lacks %q:\n%s", want, r.body)
		}
	}
	if strings.Contains(r.body, "secret") {
		t.Errorf("the Authorization credentials reached the CGI environment:\n%s", r.body)
	}

	r = s.get(t, "/?status")
	if r.status != 201 || r.header.Get("X-Guest") != "yes" {
		t.Fatalf("Status header: got %d %v", r.status, r.header)
	}
	req, _ := http.NewRequest("GET", s.URL+"/?redirect", nil)
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 302 || resp.Header.Get("Location") != "/elsewhere" {
		t.Fatalf("Location without Status: got %d %v", resp.StatusCode, resp.Header)
	}
	if st := s.trig.Stats(); st.Created != 3 || st.Discarded != 0 || st.Idle != 0 {
		t.Fatalf("stats %+v: want a fresh instance per request, none discarded or kept", st)
	}
}

// TestWAGIMemoryStartsZeroed: the trigger recycles the linear memory of
// finished WAGI instances; a new instance must never see an earlier
// request's data, in static data or in memory it grows.
func TestWAGIMemoryStartsZeroed(t *testing.T) {
	s := start(t, wagi(t, "wagi_memory"), wasmhive.Instances{Max: 2}, httptrigger.Config{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				resp, err := s.Client().Get(s.URL + "/")
				if err != nil {
					t.Error(err)
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || string(b) != "bss_dirty=0 heap_dirty=0\n" {
					t.Errorf("got %d %q: memory not zeroed", resp.StatusCode, b)
				}
			}
		}()
	}
	wg.Wait()
}

func TestWAGIMalformedOutput(t *testing.T) {
	s := start(t, wagi(t, "wagi_bad"), wasmhive.Instances{}, httptrigger.Config{})
	for _, q := range []string{"malformed", "noheaders"} {
		s.wantError(t, s.get(t, "/?"+q), 502, "malformed wagi response")
		if r := s.get(t, "/"); r.status != 200 || r.body != "fine\n" {
			t.Fatalf("request after a malformed one: %d %q", r.status, r.body)
		}
	}
}

func TestWAGITrapAndExitStatus(t *testing.T) {
	s := start(t, wagi(t, "wagi_bad"), wasmhive.Instances{}, httptrigger.Config{})
	s.wantError(t, s.get(t, "/?trap"), 500, "unreachable")
	s.wantError(t, s.get(t, "/?exit3"), 500, "exited with status 3")
	if r := s.get(t, "/"); r.status != 200 {
		t.Fatalf("request after a trap: %d", r.status)
	}
	if st := s.trig.Stats(); st.Discarded != 2 {
		t.Fatalf("stats %+v: want the 2 failed instances discarded", st)
	}
}

func TestWAGIStderrIsLogged(t *testing.T) {
	s := start(t, wagi(t, "wagi_bad"), wasmhive.Instances{}, httptrigger.Config{})
	r := s.get(t, "/?stderr")
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	id := r.header.Get("X-Request-Id")
	if !regexp.MustCompile(`module stderr.*id=` + regexp.QuoteMeta(id) + ` .*guest says hello on stderr`).MatchString(s.log.String()) {
		t.Fatalf("guest stderr not logged with request id %s:\n%s", id, s.log.String())
	}
}

func TestWAGITimeout(t *testing.T) {
	s := start(t, wagi(t, "wagi_bad"), wasmhive.Instances{}, httptrigger.Config{Timeout: 200 * time.Millisecond})
	s.wantError(t, s.get(t, "/?loop"), 504, "")
	if r := s.get(t, "/"); r.status != 200 {
		t.Fatalf("request after a timeout: %d", r.status)
	}
}

func TestBodyLimit(t *testing.T) {
	s := start(t, wagi(t, "wagi_echo"), wasmhive.Instances{}, httptrigger.Config{MaxBodyBytes: 16})
	if r := s.do(t, "POST", "/", strings.NewReader(strings.Repeat("a", 16))); r.status != 200 {
		t.Fatalf("body at the limit: %d", r.status)
	}
	s.wantError(t, s.do(t, "POST", "/", strings.NewReader(strings.Repeat("a", 17))), 413, "")
	// Without Content-Length (chunked), the limit is found while reading.
	s.wantError(t, s.do(t, "POST", "/", io.MultiReader(strings.NewReader(strings.Repeat("b", 40)))), 413, "")
	if st := s.trig.Stats(); st.Calls != 1 {
		t.Fatalf("stats %+v: oversized requests reached the module", st)
	}
}

func TestWAGISaturation(t *testing.T) {
	s := start(t, wagi(t, "wagi_bad"), wasmhive.Instances{Max: 1, Queue: -1}, httptrigger.Config{})
	slow := make(chan reply, 1)
	go func() { slow <- s.get(t, "/?sleep") }()
	waitFor(t, "the slow request to run", func() bool { return s.trig.Stats().Active == 1 })
	s.wantError(t, s.get(t, "/"), 503, "")
	if r := <-slow; r.status != 200 || r.body != "slept\n" {
		t.Fatalf("the request in flight: %d %q", r.status, r.body)
	}
	if r := s.get(t, "/"); r.status != 200 {
		t.Fatalf("after the pool drained: %d", r.status)
	}
}

func TestHealth(t *testing.T) {
	s := start(t, wagi(t, "wagi_hello"), wasmhive.Instances{}, httptrigger.Config{})
	s.get(t, "/")
	r := s.get(t, httptrigger.HealthPath)
	if r.status != 200 || !strings.Contains(r.body, `"status":"ok"`) || !strings.Contains(r.body, `"calls":1`) {
		t.Fatalf("health: %d %q", r.status, r.body)
	}
	var health struct {
		Status, Module, Convention string
		Routes                     []struct{ Path, Component, Convention string }
	}
	if err := json.Unmarshal([]byte(r.body), &health); err != nil {
		t.Fatalf("health %q: %v", r.body, err)
	}
	if health.Module != "app" || health.Convention != "wagi" || len(health.Routes) != 1 || health.Routes[0].Path != "/" {
		t.Fatalf("health %+v: want module app, convention wagi, one route /", health)
	}
}

func TestAccessLog(t *testing.T) {
	s := start(t, wagi(t, "wagi_hello"), wasmhive.Instances{}, httptrigger.Config{})
	r := s.get(t, "/x?y")
	id := r.header.Get("X-Request-Id")
	if !regexp.MustCompile(`msg="http request" id=` + regexp.QuoteMeta(id) + ` method=GET path=/x status=200 bytes=13 `).MatchString(s.log.String()) {
		t.Fatalf("no access log line for %s:\n%s", id, s.log.String())
	}
}

func TestHandlerEndToEnd(t *testing.T) {
	s := start(t, handlerGuest(t), wasmhive.Instances{}, httptrigger.Config{})
	if c := s.trig.Convention("/"); c != httptrigger.Handler {
		t.Fatalf("convention = %s, want handler (detected from handle_http)", c)
	}
	if r := s.get(t, "/"); r.status != 200 || r.body != "hello, world\n" || r.header.Get("Content-Type") != "text/plain" {
		t.Fatalf("GET /: %d %v %q", r.status, r.header, r.body)
	}
	r := s.do(t, "PUT", "/echo?q=a%20b&z", strings.NewReader("payload"), "X-Multi", "1", "X-Multi", "2")
	for _, want := range []string{"method=PUT\n", "path=/echo\n", "query=q=a%20b&z\n", "q=a b\n",
		"header Host=" + strings.TrimPrefix(s.URL, "http://") + "\n", "header X-Multi=1,2\n", "body=payload"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("echo lacks %q:\n%s", want, r.body)
		}
	}
	r = s.get(t, "/status")
	if r.status != 201 || r.header.Get("X-Guest") != "yes" || strings.Join(r.header.Values("X-Multi"), ",") != "a,b" || r.body != "created" {
		t.Fatalf("GET /status: %d %v %q", r.status, r.header, r.body)
	}
	if r := s.get(t, "/nope"); r.status != 404 {
		t.Fatalf("GET /nope: %d", r.status)
	}
	r = s.get(t, "/big?n=200000")
	if r.status != 200 || len(r.body) != 200000 {
		t.Fatalf("GET /big: %d, %d bytes", r.status, len(r.body))
	}
}

// TestHandlerRequestsOfEverySize sends one warm Go instance requests
// around and past the sizes its input buffers change at (pdk/http reads
// requests into shared chunks of 8 KiB), checking every echo, and that a
// request's strings kept by the guest survive the requests after it.
func TestHandlerRequestsOfEverySize(t *testing.T) {
	s := start(t, handlerGuest(t), wasmhive.Instances{Max: 1}, httptrigger.Config{})
	if r := s.get(t, "/keep?first"); r.status != 200 || r.body != "" {
		t.Fatalf("first /keep: %d %q", r.status, r.body)
	}
	prev := "first"
	for i, n := range []int{0, 1, 100, 900, 1000, 1100, 4000, 7000, 8100, 8192, 9000, 20000, 100, 70000, 3, 5000, 5000, 5000} {
		body := strings.Repeat(string(rune('a'+i%26)), n)
		r := s.do(t, "POST", "/echo", strings.NewReader(body))
		if r.status != 200 || !strings.HasSuffix(r.body, "\nbody="+body) {
			t.Fatalf("POST /echo with %d bytes: %d, %d bytes back", n, r.status, len(r.body))
		}
		q := fmt.Sprintf("k%d-%s", i, strings.Repeat("q", i*50))
		if r := s.get(t, "/keep?"+q); r.status != 200 || r.body != prev {
			t.Fatalf("/keep after a %d-byte request: %d %q, want %q", n, r.status, r.body, prev)
		}
		prev = q
	}
}

func TestHandlerInC(t *testing.T) {
	s := start(t, testguest.Path(t, "http/handler_c.wasm"), wasmhive.Instances{}, httptrigger.Config{})
	if r := s.get(t, "/"); r.status != 200 || r.body != "hello, world\n" || r.header.Get("Content-Type") != "text/plain" {
		t.Fatalf("GET /: %d %v %q", r.status, r.header, r.body)
	}
	if r := s.get(t, "/elsewhere"); r.status != 404 {
		t.Fatalf("GET /elsewhere: %d %q", r.status, r.body)
	}
}

func TestHandlerTrapIsIsolated(t *testing.T) {
	s := start(t, testguest.Path(t, "http/handler_c.wasm"), wasmhive.Instances{Max: 1}, httptrigger.Config{})
	s.get(t, "/")
	s.wantError(t, s.get(t, "/trap"), 500, "unreachable")
	if r := s.get(t, "/"); r.status != 200 || r.body != "hello, world\n" {
		t.Fatalf("request after a trap: %d %q", r.status, r.body)
	}
	if st := s.trig.Stats(); st.Discarded != 1 || st.Created != 2 {
		t.Fatalf("stats %+v: want the trapped instance discarded and replaced", st)
	}
}

var countRE = regexp.MustCompile(`^instance (\w+) count (\d+)$`)

func count(t *testing.T, s *server) (string, int) {
	t.Helper()
	r := s.get(t, "/count")
	m := countRE.FindStringSubmatch(r.body)
	if r.status != 200 || m == nil {
		t.Fatalf("GET /count: %d %q", r.status, r.body)
	}
	var n int
	fmt.Sscan(m[2], &n)
	return m[1], n
}

func TestHandlerKeepsStateOnWarmInstance(t *testing.T) {
	s := start(t, handlerGuest(t), wasmhive.Instances{Max: 1}, httptrigger.Config{})
	first, _ := count(t, s)
	for want := 2; want <= 4; want++ {
		id, n := count(t, s)
		if id != first || n != want {
			t.Fatalf("call %d: instance %s count %d, want instance %s count %d", want, id, n, first, want)
		}
	}
}

func TestHandlerFreshPolicy(t *testing.T) {
	s := start(t, handlerGuest(t), wasmhive.Instances{Max: 1, Fresh: true}, httptrigger.Config{})
	seen := map[string]bool{}
	for range 3 {
		id, n := count(t, s)
		if n != 1 || seen[id] {
			t.Fatalf("fresh policy: instance %s count %d (seen before: %v)", id, n, seen[id])
		}
		seen[id] = true
	}
}

func TestHandlerConcurrentRequestsNeverShareAnInstance(t *testing.T) {
	const max, clients, each = 3, 12, 15
	s := start(t, handlerGuest(t), wasmhive.Instances{Max: max, Queue: clients, QueueTimeout: time.Minute}, httptrigger.Config{})
	var mu sync.Mutex
	counts := map[string][]int{}
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				resp, err := s.Client().Get(s.URL + "/count")
				if err != nil {
					t.Error(err)
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				m := countRE.FindStringSubmatch(string(b))
				if resp.StatusCode != 200 || m == nil {
					t.Errorf("GET /count: %d %q", resp.StatusCode, b)
					return
				}
				var n int
				fmt.Sscan(m[2], &n)
				mu.Lock()
				counts[m[1]] = append(counts[m[1]], n)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	total := 0
	for id, ns := range counts {
		// Serialised calls on one instance count 1, 2, ..., n exactly once
		// each; overlapping calls would lose or repeat increments.
		seen := map[int]bool{}
		for _, n := range ns {
			if seen[n] || n < 1 || n > len(ns) {
				t.Fatalf("instance %s answered counts %v: calls overlapped", id, ns)
			}
			seen[n] = true
		}
		total += len(ns)
	}
	if total != clients*each || len(counts) > max {
		t.Fatalf("%d answers from %d instances; want %d from at most %d", total, len(counts), clients*each, max)
	}
}

func TestHandlerPanicIsIsolated(t *testing.T) {
	s := start(t, handlerGuest(t), wasmhive.Instances{Max: 1}, httptrigger.Config{})
	before, _ := count(t, s)
	r := s.get(t, "/panic")
	s.wantError(t, r, 500, "module failed")
	// The guest's stderr goes to the Host's log, a line at a time, with the
	// component's name (not the request id: the Host does not know it).
	if !regexp.MustCompile(`msg="component output" component=app stream=stderr line=".*handler panicked on purpose`).MatchString(s.log.String()) {
		t.Fatalf("the guest's panic message is not in the Host's log:\n%s", s.log.String())
	}
	after, n := count(t, s)
	if after == before || n != 1 {
		t.Fatalf("after a panic, instance %s count %d: want a new instance (not %s) at count 1", after, n, before)
	}
	if st := s.trig.Stats(); st.Discarded != 1 {
		t.Fatalf("stats %+v: want the panicked instance discarded", st)
	}
}

func TestHandlerTimeout(t *testing.T) {
	// Min 1: the replacement is made in the background, not within the
	// next request's 300 ms (a Go guest's _initialize can take longer
	// under the race detector).
	s := start(t, handlerGuest(t), wasmhive.Instances{Max: 1, Min: 1}, httptrigger.Config{Timeout: 300 * time.Millisecond})
	s.wantError(t, s.get(t, "/loop"), 504, "")
	waitFor(t, "a warm replacement", func() bool { st := s.trig.Stats(); return st.Discarded == 1 && st.Idle == 1 })
	if _, n := count(t, s); n != 1 {
		t.Fatalf("after a timeout, count %d: want a new instance", n)
	}
	if st := s.trig.Stats(); st.Discarded != 1 {
		t.Fatalf("stats %+v: want the timed-out instance discarded", st)
	}
}

func TestHandlerSaturation(t *testing.T) {
	s := start(t, handlerGuest(t), wasmhive.Instances{Max: 1, Queue: 1, QueueTimeout: 50 * time.Millisecond}, httptrigger.Config{})
	count(t, s) // warm
	slow := make(chan reply, 1)
	go func() { slow <- s.get(t, "/sleep") }()
	waitFor(t, "the slow request to run", func() bool { return s.trig.Stats().Active == 1 })
	r := s.get(t, "/")
	s.wantError(t, r, 503, "")
	if r.header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	if r := <-slow; r.status != 200 || r.body != "slept" {
		t.Fatalf("the request in flight: %d %q", r.status, r.body)
	}
	if st := s.trig.Stats(); st.Rejected != 1 {
		t.Fatalf("stats %+v: want 1 rejected", st)
	}
}

// TestHandlerBadOutputAndErrorReturn serves two exports of one component
// on two routes.
func TestHandlerBadOutputAndErrorReturn(t *testing.T) {
	logs := &syncBuffer{}
	h := newHost(t, logs)
	add(t, h, "app", handlerGuest(t), wasmhive.Instances{})
	s := serve(t, h, logs, httptrigger.Config{Routes: []httptrigger.Route{
		{Path: "/raw", Component: "app", Export: "handle_raw"},
		{Path: "/fail", Component: "app", Export: "handle_fail"},
	}})
	s.wantError(t, s.get(t, "/raw"), 502, "malformed handler response")
	s.wantError(t, s.get(t, "/fail"), 500, "handler refused the request")
	if st := s.trig.Stats(); st.Discarded != 0 {
		t.Fatalf("stats %+v: an error return or a malformed response must not discard the instance", st)
	}
}

func TestHandlerBodyLimit(t *testing.T) {
	s := start(t, handlerGuest(t), wasmhive.Instances{}, httptrigger.Config{MaxBodyBytes: 1000})
	if r := s.do(t, "POST", "/echo", strings.NewReader(strings.Repeat("a", 1000))); r.status != 200 {
		t.Fatalf("body at the limit: %d", r.status)
	}
	s.wantError(t, s.do(t, "POST", "/echo", strings.NewReader(strings.Repeat("a", 1001))), 413, "")
}

func TestResponseLimit(t *testing.T) {
	h := start(t, handlerGuest(t), wasmhive.Instances{}, httptrigger.Config{MaxResponseBytes: 1000})
	if r := h.get(t, "/big?n=1000"); r.status != 200 || len(r.body) != 1000 {
		t.Fatalf("handler response at the limit: %d, %d bytes", r.status, len(r.body))
	}
	h.wantError(t, h.get(t, "/big?n=1001"), 502, "exceeds the limit of 1000 bytes")
	w := start(t, wagi(t, "wagi_echo"), wasmhive.Instances{}, httptrigger.Config{MaxResponseBytes: 1000})
	w.wantError(t, w.do(t, "POST", "/", strings.NewReader(strings.Repeat("z", 2000))), 502, "exceeds the limit of 1000 bytes")
}

func TestConventionErrors(t *testing.T) {
	h := newHost(t, &syncBuffer{})
	add(t, h, "reactor", testguest.Path(t, "http/reactor.wasm"), wasmhive.Instances{})
	add(t, h, "cmd", testguest.Path(t, "http/wagi_hello.wasm"), wasmhive.Instances{})
	newTrig := func(r httptrigger.Route) error {
		r.Path = "/"
		_, err := httptrigger.New(httptrigger.Config{Invoker: h, Routes: []httptrigger.Route{r}})
		return err
	}
	if err := newTrig(httptrigger.Route{Component: "reactor"}); err == nil || !strings.Contains(err.Error(), "exports neither handle_http") {
		t.Fatalf("a module with neither export: err = %v", err)
	}
	if err := newTrig(httptrigger.Route{Component: "reactor", Convention: httptrigger.WAGI}); err == nil {
		t.Fatal("WAGI accepted a reactor")
	}
	if err := newTrig(httptrigger.Route{Component: "cmd", Convention: httptrigger.Handler}); err == nil {
		t.Fatal("the handler convention accepted a module without handle_http")
	}
	if err := newTrig(httptrigger.Route{Component: "cmd", Convention: httptrigger.Convention(7)}); err == nil || !strings.Contains(err.Error(), "unknown convention") {
		t.Fatalf("an unknown convention: err = %v", err)
	}
	if _, err := httptrigger.New(httptrigger.Config{Invoker: h}); err == nil {
		t.Fatal("a trigger without routes was accepted")
	}
	if _, err := httptrigger.New(httptrigger.Config{Routes: []httptrigger.Route{{Path: "/", Component: "cmd"}}}); err == nil {
		t.Fatal("a trigger without an Invoker was accepted")
	}
}

// routed serves the Go handler guest as component "api" on /api and /echo
// and the WAGI echo command as "site" on /, and more routes if given.
func routed(t *testing.T, more ...httptrigger.Route) *server {
	t.Helper()
	logs := &syncBuffer{}
	h := newHost(t, logs)
	add(t, h, "api", handlerGuest(t), wasmhive.Instances{Max: 2})
	add(t, h, "site", wagi(t, "wagi_echo"), wasmhive.Instances{})
	return serve(t, h, logs, httptrigger.Config{Routes: append([]httptrigger.Route{
		{Path: "/", Component: "site"},
		{Path: "/api/", Component: "api"},   // a trailing slash is the same prefix
		{Path: "/echo//", Component: "api"}, // so are several
	}, more...)})
}

func TestRoutesLongestPrefixWins(t *testing.T) {
	s := routed(t)
	if c := s.trig.Convention("/api/x"); c != httptrigger.Handler {
		t.Errorf("Convention(/api/x) = %s, want handler", c)
	}
	if c := s.trig.Convention("/apix"); c != httptrigger.WAGI {
		t.Errorf("Convention(/apix) = %s, want wagi", c)
	}
	// The handler sees the whole path, prefix included.
	r := s.do(t, "POST", "/echo?q=1", strings.NewReader("to the api"))
	if r.status != 200 || !strings.Contains(r.body, "path=/echo\n") || !strings.HasSuffix(r.body, "body=to the api") {
		t.Fatalf("POST /echo: %d %q", r.status, r.body)
	}
	// /api and what is under it reach the handler: its own 404 for paths
	// it does not know, not the trigger's.
	for _, path := range []string{"/api", "/api/x"} {
		if r := s.get(t, path); r.status != 404 || r.body != "not found: "+path {
			t.Fatalf("GET %s: %d %q, want the handler's 404", path, r.status, r.body)
		}
	}
	// /apix is not under /api, nor /echox under /echo: the WAGI command on /.
	for _, path := range []string{"/apix", "/echox", "/", "/other/api/x"} {
		r := s.get(t, path)
		if r.status != 200 || !strings.Contains(r.body, "GATEWAY_INTERFACE=CGI/1.1\n") || !strings.Contains(r.body, "PATH_INFO="+path+"\n") {
			t.Fatalf("GET %s: %d %q, want the WAGI echo", path, r.status, r.body)
		}
	}
	// Each component counts its own calls; the trigger sums them.
	api, _ := s.host.Component("api")
	site, _ := s.host.Component("site")
	if a, w, sum := api.Stats().Calls, site.Stats().Calls, s.trig.Stats().Calls; a != 3 || w != 4 || sum != 7 {
		t.Fatalf("calls: api %d, site %d, trigger %d; want 3, 4, 7", a, w, sum)
	}
}

// TestHostClosedIs503: once the Host is closed (shutting down), requests
// get 503, not 500.
func TestHostClosedIs503(t *testing.T) {
	for _, guest := range []string{handlerGuest(t), wagi(t, "wagi_hello")} {
		s := start(t, guest, wasmhive.Instances{}, httptrigger.Config{})
		if r := s.get(t, "/"); r.status != 200 {
			t.Fatalf("%s: GET / before Close: %d %q", filepath.Base(guest), r.status, r.body)
		}
		if err := s.host.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		r := s.get(t, "/")
		s.wantError(t, r, 503, "")
		if !strings.Contains(r.body, "shutting down") {
			t.Fatalf("%s: after Close: %q", filepath.Base(guest), r.body)
		}
	}
}

func TestRoutesNoMatchIs404(t *testing.T) {
	logs := &syncBuffer{}
	h := newHost(t, logs)
	add(t, h, "api", handlerGuest(t), wasmhive.Instances{})
	add(t, h, "site", wagi(t, "wagi_hello"), wasmhive.Instances{})
	s := serve(t, h, logs, httptrigger.Config{Routes: []httptrigger.Route{
		{Path: "/api", Component: "api"},
		{Path: "/web", Component: "site"},
	}})
	for _, path := range []string{"/", "/apix", "/we", "/other/api"} {
		r := s.get(t, path)
		s.wantError(t, r, 404, "")
		if !strings.Contains(r.body, "no route for "+path) {
			t.Fatalf("GET %s: %q does not say there is no route", path, r.body)
		}
		if c := s.trig.Convention(path); c != httptrigger.Auto {
			t.Fatalf("Convention(%s) = %s, want auto (no route)", path, c)
		}
	}
	if r := s.get(t, "/web/page"); r.status != 200 || r.body != "hello, world\n" {
		t.Fatalf("GET /web/page: %d %q", r.status, r.body)
	}
	if r := s.get(t, "/api/"); r.status != 404 || r.body != "not found: /api/" {
		t.Fatalf("GET /api/: %d %q, want the handler's 404", r.status, r.body)
	}
	// The health endpoint answers whatever the routes.
	if r := s.get(t, httptrigger.HealthPath); r.status != 200 {
		t.Fatalf("health without a / route: %d %q", r.status, r.body)
	}
}

func TestRouteErrors(t *testing.T) {
	h := newHost(t, &syncBuffer{})
	add(t, h, "site", wagi(t, "wagi_hello"), wasmhive.Instances{})
	for _, c := range []struct {
		routes []httptrigger.Route
		want   string
	}{
		{[]httptrigger.Route{{Path: "/a", Component: "site"}, {Path: "/b", Component: "site"}, {Path: "/a/", Component: "site"}}, "route /a: defined twice"},
		{[]httptrigger.Route{{Path: "/", Component: "site"}, {Path: "/", Component: "site", Convention: httptrigger.WAGI}}, "route /: defined twice"},
		{[]httptrigger.Route{{Path: "/", Component: "site"}, {Path: "//", Component: "site"}}, "route /: defined twice"},
		{[]httptrigger.Route{{Path: "/a", Component: "site"}, {Path: "/a//", Component: "site"}}, "route /a: defined twice"},
		{[]httptrigger.Route{{Path: "/", Component: "site"}, {Path: "/api", Component: "nosuch"}}, `route /api: no such component "nosuch"`},
		{[]httptrigger.Route{{Path: "api", Component: "site"}}, "must start with /"},
		{[]httptrigger.Route{{Path: "", Component: "site"}}, "must start with /"},
	} {
		_, err := httptrigger.New(httptrigger.Config{Invoker: h, Routes: c.routes})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("routes %+v: err = %v, want %q", c.routes, err, c.want)
		}
	}
	_, err := httptrigger.New(httptrigger.Config{Invoker: h, Routes: []httptrigger.Route{{Path: "/", Component: "nosuch"}}})
	if !errors.Is(err, wasmhive.ErrUnknownComponent) {
		t.Errorf("a route to an unknown component: err = %v, want one matching ErrUnknownComponent", err)
	}
}

func TestHealthListsRoutes(t *testing.T) {
	s := routed(t, httptrigger.Route{Path: "/raw", Component: "api", Export: "handle_raw"})
	s.get(t, "/api/count")
	s.get(t, "/")
	r := s.get(t, httptrigger.HealthPath)
	if r.status != 200 || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("health: %d %v %q", r.status, r.header, r.body)
	}
	type poolJSON struct{ Calls, Created uint64 }
	var health struct {
		Status, Module, Convention string
		Pool                       poolJSON
		Routes                     []struct {
			Path, Component, Convention string
			Pool                        poolJSON
		}
	}
	if err := json.Unmarshal([]byte(r.body), &health); err != nil {
		t.Fatalf("health %q: %v", r.body, err)
	}
	type route struct{ path, component, convention string }
	var got []route
	for _, r := range health.Routes {
		got = append(got, route{r.Path, r.Component, r.Convention})
	}
	// Longest first; paths of one length in the order given.
	want := []route{{"/echo", "api", "handler"}, {"/api", "api", "handler"}, {"/raw", "api", "handler"}, {"/", "site", "wagi"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("health routes %v, want %v\n%s", got, want, r.body)
	}
	if health.Status != "ok" || health.Module != "site" || health.Convention != "wagi" {
		t.Fatalf("health %+v: want ok, the / route's module site and convention wagi", health)
	}
	// Each route carries its component's counters; the top-level pool sums
	// the components, each once.
	for _, r := range health.Routes {
		if r.Pool.Calls != 1 {
			t.Fatalf("health: route %s has %d calls, want its component's 1", r.Path, r.Pool.Calls)
		}
	}
	if health.Pool.Calls != 2 {
		t.Fatalf("health calls: routes %+v, total %d; want 2\n%s", health.Routes, health.Pool.Calls, r.body)
	}
}

func TestParseCGI(t *testing.T) {
	ok := []struct {
		out    string
		status int
		header string
		body   string
	}{
		{"Content-Type: text/plain\n\nhi", 200, "text/plain", "hi"},
		{"Content-Type: text/html\r\nStatus: 404 Not Found\r\n\r\n<p>", 404, "text/html", "<p>"},
		{"Location: /x\n\n", 302, "", ""},
		{"Location: https://e.com/\nStatus: 301 Moved\n\n", 301, "", ""},
		{"Status: 204\n\n", 204, "", ""},
	}
	for _, c := range ok {
		status, h, body, err := httptrigger.ParseCGI([]byte(c.out))
		if err != nil || status != c.status || h.Get("Content-Type") != c.header || string(body) != c.body {
			t.Errorf("ParseCGI(%q) = %d %v %q %v", c.out, status, h, body, err)
		}
	}
	for _, bad := range []string{
		"", "hello", "Content-Type: text/plain\n", "\nbody", "X-Other: 1\n\nbody",
		"no colon here\n\n", "Status: abc\n\n", "Status: 99 Low\n\n", "Status: 100 Continue\n\n", "Bad Name: x\nContent-Type: a\n\n",
	} {
		if _, _, _, err := httptrigger.ParseCGI([]byte(bad)); err == nil {
			t.Errorf("ParseCGI(%q) accepted malformed output", bad)
		}
	}
}

func TestCGIArgs(t *testing.T) {
	for q, want := range map[string]string{
		"":            "s",
		"a=1":         "s",
		"word+other":  "s word other",
		"a%20b+c":     "s a b c",
		"bad%zz+word": "s",
	} {
		if got := strings.Join(httptrigger.CGIArgs("s", q), " "); got != want {
			t.Errorf("CGIArgs(%q) = %q, want %q", q, got, want)
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestWAGIUnderAPrefix: a CGI script mounted under a route prefix sees the
// prefix as SCRIPT_NAME and the rest of the path as PATH_INFO (RFC 3875
// section 4.1.13).
func TestWAGIUnderAPrefix(t *testing.T) {
	s := routed(t, httptrigger.Route{Path: "/cgi", Component: "site"})
	for path, want := range map[string][2]string{
		"/cgi":       {"/cgi", ""},
		"/cgi/a/b":   {"/cgi", "/a/b"},
		"/elsewhere": {"", "/elsewhere"},
	} {
		r := s.get(t, path)
		if r.status != 200 || !strings.Contains(r.body, "SCRIPT_NAME="+want[0]+"\n") || !strings.Contains(r.body, "PATH_INFO="+want[1]+"\n") {
			t.Errorf("GET %s: %d %q, want SCRIPT_NAME=%s PATH_INFO=%s", path, r.status, r.body, want[0], want[1])
		}
	}
}

// TestBadResponseHeadersAre502: a guest cannot put a control byte or a
// non-token name into the response (CR/LF would split it).
func TestBadResponseHeadersAre502(t *testing.T) {
	s := start(t, handlerGuest(t), wasmhive.Instances{}, httptrigger.Config{})
	if r := s.get(t, "/header?name=X-Ok&v=fine%09tab"); r.status != 200 || r.header.Get("X-Ok") != "fine\ttab" {
		t.Fatalf("a valid header: %d %q %v", r.status, r.body, r.header)
	}
	for _, q := range []string{"name=X-A&v=a%01b", "name=X-A&v=a%0D%0AInjected:%201", "name=Bad%20Name&v=x", "name=X-A&v=del%7F"} {
		r := s.get(t, "/header?"+q)
		s.wantError(t, r, 502, "malformed handler response: response header")
		if r.header.Get("Injected") != "" {
			t.Errorf("%s: a header was injected", q)
		}
	}
}

// TestWAGIOutputFarOverTheLimitIs502: a CGI script whose output passes the
// limit by far (its writes are cut) still gets the 502 of an oversized
// response, not a 500 for a write that failed under it.
func TestWAGIOutputFarOverTheLimitIs502(t *testing.T) {
	w := start(t, wagi(t, "wagi_echo"), wasmhive.Instances{}, httptrigger.Config{MaxResponseBytes: 1000})
	w.wantError(t, w.do(t, "POST", "/", strings.NewReader(strings.Repeat("z", 200<<10))), 502, "exceeds the limit of 1000 bytes")
}
