package httptrigger_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/httpwire"
	"github.com/wasmhive/wasmhive/trigger"
	httptrigger "github.com/wasmhive/wasmhive/trigger/http"
)

// rawConn is a raw TCP client of a server on 127.0.0.1: the tests send
// request heads and bodies as slowly, and as incompletely, as they like.
type rawConn struct {
	net.Conn
	br *bufio.Reader
}

// dial connects to the server at url (http://127.0.0.1:port). Every read
// and write fails after 60 s: a test that waits for an answer that never
// comes fails rather than hangs.
func dial(t *testing.T, url string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(60 * time.Second))
	return &rawConn{Conn: c, br: bufio.NewReader(c)}
}

// head writes a POST request head for path with the given Content-Length
// (-1: chunked).
func (c *rawConn) head(t *testing.T, path string, length int64) {
	t.Helper()
	te := "Transfer-Encoding: chunked\r\n"
	if length >= 0 {
		te = fmt.Sprintf("Content-Length: %d\r\n", length)
	}
	if _, err := fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: test\r\n%s\r\n", path, te); err != nil {
		t.Fatal(err)
	}
}

// response reads one response.
func (c *rawConn) response(t *testing.T) reply {
	t.Helper()
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		t.Fatalf("no response: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.Close { // net/http takes "Connection: close" out of the header
		resp.Header.Set("Connection", "close")
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// drip writes a byte every interval until stop is closed or a write
// fails.
func drip(c net.Conn, interval time.Duration, stop <-chan struct{}) {
	tick := time.NewTicker(interval)
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
}

// TestSlowBodyIs408: a body that arrives a byte at a time counts against
// the request's timeout: the client gets 408 while it is still sending,
// and the server keeps serving others. Before, the server waited for the
// whole body, however slow, and started the timeout only then.
func TestSlowBodyIs408(t *testing.T) {
	for _, guest := range []string{wagi(t, "wagi_echo"), handlerGuest(t)} {
		s := start(t, guest, wasmhive.Instances{}, httptrigger.Config{Timeout: 500 * time.Millisecond})
		for _, length := range []int64{1000, -1} {
			c := dial(t, s.URL)
			c.head(t, "/echo", length)
			if length < 0 {
				fmt.Fprintf(c, "%x\r\n", 1000) // one chunk of 1000 bytes, sent slowly
			}
			stop := make(chan struct{})
			go drip(c, 50*time.Millisecond, stop) // 1000 bytes: 50 s
			r := c.response(t)
			close(stop)
			s.wantError(t, r, http.StatusRequestTimeout, "")
			if !strings.Contains(r.body, "not received within 500ms") || r.header.Get("Connection") != "close" {
				t.Fatalf("slow body answer: %q %v", r.body, r.header)
			}
			if r := s.get(t, "/"); r.status != 200 {
				t.Fatalf("request after a slow body: %d", r.status)
			}
		}
	}
}

// TestKeepAliveAfterBody: the read deadline a body gets does not outlive
// its request: a keep-alive connection serves requests, with and without
// bodies, for longer than the timeout.
func TestKeepAliveAfterBody(t *testing.T) {
	s := start(t, handlerGuest(t), wasmhive.Instances{}, httptrigger.Config{Timeout: 300 * time.Millisecond})
	c := dial(t, s.URL)
	for i := range 4 {
		if i%2 == 0 {
			fmt.Fprintf(c, "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\n\r\nabc")
		} else {
			fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: test\r\n\r\n")
		}
		if r := c.response(t); r.status != 200 {
			t.Fatalf("request %d on a kept-alive connection: %d %q", i, r.status, r.body)
		}
		time.Sleep(200 * time.Millisecond) // in all, past the timeout: no deadline may remain
	}
}

// health reads the health endpoint's body_memory counters.
func bodyMemory(t *testing.T, s *server) (used, max int64) {
	t.Helper()
	r := s.get(t, httptrigger.HealthPath)
	if _, err := fmt.Sscanf(r.body[strings.Index(r.body, `"body_memory":`):], `"body_memory":{"max":%d,"used":%d}`, &max, &used); err != nil {
		t.Fatalf("health %q: %v", r.body, err)
	}
	return used, max
}

// heapInUse is the live heap after two collections (a sync.Pool's
// contents survive one).
func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// TestBodyMemoryBudget: bodies in progress share a memory budget. Slow
// bodies that reserve all of it make the next one get 503 (with
// Retry-After) at once, while requests without a body are still served;
// when they end, the budget and the heap come back.
func TestBodyMemoryBudget(t *testing.T) {
	const size = 4 << 20
	s := start(t, wagi(t, "wagi_hello"), wasmhive.Instances{}, httptrigger.Config{
		MaxBodyBytes: size, MaxBodyMemory: 3 * size, Timeout: time.Minute,
	})
	if used, max := bodyMemory(t, s); used != 0 || max != 3*size {
		t.Fatalf("body memory at start: %d of %d", used, max)
	}
	if _, err := httptrigger.New(httptrigger.Config{Invoker: s.host, Routes: []httptrigger.Route{{Path: "/", Component: "app"}},
		MaxBodyBytes: size, MaxBodyMemory: size - 1}); err == nil || !strings.Contains(err.Error(), "less than MaxBodyBytes") {
		t.Fatalf("a budget below the largest body: %v", err)
	}
	base := heapInUse()
	var conns []*rawConn
	for i := range 3 {
		c := dial(t, s.URL)
		c.head(t, "/", size)
		if _, err := c.Write(make([]byte, size-1)); err != nil { // all but one byte
			t.Fatal(err)
		}
		conns = append(conns, c)
		waitFor(t, "the body's reservation", func() bool { used, _ := bodyMemory(t, s); return used == int64(i+1)*size })
	}
	// The reservations are made before the bytes are read: the bodies
	// reach the heap as their readers get to them.
	waitFor(t, "three bodies of 4 MiB in the heap", func() bool { return heapInUse()-base >= 2*size })
	// Past the budget: refused at once, with a known length or chunked.
	for _, length := range []int64{1000, -1} {
		c := dial(t, s.URL)
		c.head(t, "/", length)
		r := c.response(t)
		s.wantError(t, r, http.StatusServiceUnavailable, "")
		if r.header.Get("Retry-After") == "" || !strings.Contains(r.body, "memory for request bodies") {
			t.Fatalf("503 without Retry-After or reason: %v %q", r.header, r.body)
		}
	}
	if r := s.get(t, "/"); r.status != 200 {
		t.Fatalf("GET while the budget is spent: %d", r.status)
	}
	// A body in progress that completes is served.
	if _, err := conns[0].Write([]byte{'!'}); err != nil {
		t.Fatal(err)
	}
	if r := conns[0].response(t); r.status != 200 {
		t.Fatalf("the first body, completed: %d %q", r.status, r.body)
	}
	for _, c := range conns[1:] {
		c.Close()
	}
	waitFor(t, "the budget to be released", func() bool { used, _ := bodyMemory(t, s); return used == 0 })
	if grown := heapInUse() - base; grown > size {
		t.Fatalf("the heap is still %d bytes larger after the bodies ended", grown)
	}
}

// TestLargeBodiesAreNotPooled: after many concurrent requests with large
// bodies, the trigger keeps none of their buffers for reuse. Before, a
// sync.Pool kept every buffer up to 1 MiB, until two collections passed.
func TestLargeBodiesAreNotPooled(t *testing.T) {
	for _, guest := range []string{wagi(t, "wagi_hello"), handlerGuest(t)} {
		s := start(t, guest, wasmhive.Instances{Max: 16}, httptrigger.Config{})
		round := func() {
			var wg sync.WaitGroup
			for range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					// Chunked: the server grows the buffer as it reads.
					resp, err := s.Client().Post(s.URL+"/", "text/plain", io.MultiReader(strings.NewReader(strings.Repeat("b", 600<<10))))
					if err != nil {
						t.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}()
			}
			wg.Wait()
		}
		round()             // the instances grow to what the requests need
		base := heapInUse() // nothing left in a sync.Pool
		round()
		runtime.GC() // one collection: a sync.Pool's contents are alive
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		if kept := int64(m.HeapAlloc) - base; kept > 2<<20 {
			t.Fatalf("%d bytes kept after 16 requests of 600 KiB", kept)
		}
	}
}

// fakeInvoker fails every call with err; its one component, "c", is a
// handler with the given limits.
type fakeInvoker struct {
	err      error
	maxReq   int64
	maxResp  int64
	response []byte
}

func (f *fakeInvoker) Invoke(ctx context.Context, component, export string, payload []byte) ([]byte, error) {
	return f.response, f.err
}

func (f *fakeInvoker) Run(ctx context.Context, component string, cio trigger.CommandIO) error {
	return f.err
}

func (f *fakeInvoker) Describe(component string) (trigger.Info, error) {
	return trigger.Info{Name: component, Pattern: "reactor", Exports: map[string]bool{httptrigger.DefaultExport: true},
		MaxRequestBytes: f.maxReq, MaxResponseBytes: f.maxResp}, nil
}

// TestLimitErrorsMapToStatuses: a call that fails with one of its
// component's limits gets the status of that limit, the error's message
// and the request id.
func TestLimitErrorsMapToStatuses(t *testing.T) {
	for _, c := range []struct {
		limit  string
		status int
	}{
		{"request_bytes", 413},
		{"response_bytes", 502},
		{"messages_per_second", 429},
		{"keyvalue_keys_per_call", 500},
		{"http_requests_per_call", 500},
	} {
		lerr := &engine.LimitError{Module: "c", Function: "handle_http", Limit: c.limit, Max: 5, Got: 9}
		logs := &syncBuffer{}
		trig, err := httptrigger.New(httptrigger.Config{
			Invoker: &fakeInvoker{err: fmt.Errorf("call: %w", lerr)},
			Routes:  []httptrigger.Route{{Path: "/", Component: "c"}},
			Logger:  testLogger(logs),
		})
		if err != nil {
			t.Fatal(err)
		}
		s := &server{Server: httptestServer(t, trig), trig: trig, log: logs}
		r := s.get(t, "/")
		s.wantError(t, r, c.status, lerr.Error())
		if !strings.Contains(r.body, lerr.Error()) {
			t.Errorf("%s: body %q does not say which limit", c.limit, r.body)
		}
		if retry := r.header.Get("Retry-After"); (c.status == 429) != (retry != "") {
			t.Errorf("%s: Retry-After %q", c.limit, retry)
		}
	}
}

// TestComponentLimits: a component's request and response limits, below
// the trigger's, apply to its routes: 413 for a body over its request
// limit (the module never runs), 502 for a response over its response
// limit; another component keeps the trigger's limits. The Host's own
// check counts the whole encoded request and response (headers too): what
// it refuses gets the same statuses.
func TestComponentLimits(t *testing.T) {
	logs := &syncBuffer{}
	h := newHost(t, logs)
	ctx := context.Background()
	for name, lim := range map[string]wasmhive.Limits{
		"small": {RequestBytes: 1000, ResponseBytes: 2000},
		"big":   {},
	} {
		if _, err := h.AddComponent(ctx, name, wasmhive.ComponentConfig{Module: handlerGuest(t), Limits: lim}); err != nil {
			t.Fatal(err)
		}
	}
	cfg := func(component string) httptrigger.Config {
		return httptrigger.Config{MaxBodyBytes: 10000, MaxResponseBytes: 10000, Routes: []httptrigger.Route{{Path: "/", Component: component}}}
	}
	small, big := serve(t, h, logs, cfg("small")), serve(t, h, logs, cfg("big"))
	calls := func() uint64 { c, _ := h.Component("small"); return c.Stats().Calls }
	for _, length := range []int64{1001, -1} {
		body := io.Reader(strings.NewReader(strings.Repeat("a", 1001)))
		if length < 0 {
			body = io.MultiReader(body) // chunked
		}
		r := small.do(t, "POST", "/echo", body)
		small.wantError(t, r, 413, "")
		if !strings.Contains(r.body, "limit of 1000") {
			t.Fatalf("413 body %q does not name the limit", r.body)
		}
	}
	if n := calls(); n != 0 {
		t.Fatalf("bodies over the component's limit reached it (%d calls)", n)
	}
	if r := small.do(t, "POST", "/echo", strings.NewReader(strings.Repeat("a", 500))); r.status != 200 {
		t.Fatalf("a body within the limit: %d %q", r.status, r.body)
	}
	// Within the limit, but not with the request's head: the Host's 413.
	small.wantError(t, small.do(t, "POST", "/echo", strings.NewReader(strings.Repeat("a", 990))), 413, "limit request_bytes exceeded")
	if r := small.get(t, "/big?n=1500"); r.status != 200 || len(r.body) != 1500 {
		t.Fatalf("a response within the component's limit: %d, %d bytes", r.status, len(r.body))
	}
	small.wantError(t, small.get(t, "/big?n=2001"), 502, "limit response_bytes exceeded")
	if r := big.do(t, "POST", "/echo", strings.NewReader(strings.Repeat("a", 5000))); r.status != 200 {
		t.Fatalf("the other component, 5000 bytes: %d", r.status)
	}
	if r := big.get(t, "/big?n=10000"); r.status != 200 {
		t.Fatalf("the other component, a response of 10000 bytes: %d", r.status)
	}
	big.wantError(t, big.do(t, "POST", "/echo", strings.NewReader(strings.Repeat("a", 10001))), 413, "")

	// A WAGI script's output is the trigger's to limit.
	if _, err := h.AddComponent(ctx, "cgi", wasmhive.ComponentConfig{Module: wagi(t, "wagi_echo"), Limits: wasmhive.Limits{ResponseBytes: 1000}}); err != nil {
		t.Fatal(err)
	}
	cgi := serve(t, h, logs, cfg("cgi"))
	if r := cgi.do(t, "POST", "/", strings.NewReader("short")); r.status != 200 {
		t.Fatalf("WAGI, a short response: %d", r.status)
	}
	cgi.wantError(t, cgi.do(t, "POST", "/", strings.NewReader(strings.Repeat("a", 1000))), 502, "exceeds the limit of 1000 bytes")
}

// TestNewServer: the server made for a trigger bounds request heads in
// size and time, and keeps no connection idle forever.
func TestNewServer(t *testing.T) {
	srv := httptrigger.NewServer(http.NotFoundHandler(), nil)
	if srv.ReadHeaderTimeout <= 0 || srv.IdleTimeout <= 0 || srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes > 1<<20 {
		t.Fatalf("server: read header timeout %s, idle timeout %s, max header bytes %d", srv.ReadHeaderTimeout, srv.IdleTimeout, srv.MaxHeaderBytes)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	c := dial(t, "http://"+ln.Addr().String())
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n", strings.Repeat("a", httptrigger.DefaultMaxHeaderBytes+8192))
	if r := c.response(t); r.status != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("a head over the limit: %d", r.status)
	}
}

// httptestServer serves h on 127.0.0.1 until the test ends.
func httptestServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// TestSlowReaderIsCutOff: a client that stops reading a large response
// does not hold the connection (and the response's memory) past the
// timeout: what it reads later ends short of the Content-Length.
func TestSlowReaderIsCutOff(t *testing.T) {
	const size = 32 << 20 // more than the sockets' buffers hold
	resp := httpwire.Response{Status: 200, Body: bytes.Repeat([]byte("x"), size)}
	out, _ := resp.MarshalBinary()
	trig, err := httptrigger.New(httptrigger.Config{
		Invoker: &fakeInvoker{response: out}, Timeout: 200 * time.Millisecond,
		Routes: []httptrigger.Route{{Path: "/", Component: "c"}}, Logger: testLogger(&syncBuffer{}),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptestServer(t, trig)
	c := dial(t, srv.URL)
	c.Conn.(*net.TCPConn).SetReadBuffer(16 << 10)
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: test\r\n\r\n")
	r, err := http.ReadResponse(c.br, nil)
	if err != nil || r.StatusCode != 200 || r.ContentLength != size {
		t.Fatalf("response: %v %v", r, err)
	}
	time.Sleep(time.Second) // the client reads nothing for five times the timeout
	n, err := io.Copy(io.Discard, r.Body)
	if n >= size || err == nil {
		t.Fatalf("read %d of %d bytes (%v) after stalling past the timeout: the server waited", n, size, err)
	}
}
