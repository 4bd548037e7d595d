package wasihttp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/capability/httpclient"
	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/wasip2"
)

// handler is testdata/handler.wasm (see handler.c for its modes) compiled
// once for the package's tests.
var handler struct {
	once sync.Once
	rt   *engine.Runtime
	c    *linker.Component
	l    *linker.Linker
	err  error
}

func loadHandler(t *testing.T) (*linker.Linker, *linker.Component) {
	t.Helper()
	handler.once.Do(func() {
		ctx := context.Background()
		dir, err := os.MkdirTemp("", "wasihttp-cache")
		if err != nil {
			handler.err = err
			return
		}
		rt, err := engine.NewRuntime(ctx, engine.Config{CacheDir: dir})
		if err != nil {
			handler.err = err
			return
		}
		wasm, err := os.ReadFile("testdata/handler.wasm")
		if err != nil {
			handler.err = err
			return
		}
		c, err := linker.Compile(ctx, rt, "handler.wasm", wasm)
		if err != nil {
			handler.err = err
			return
		}
		l := linker.New()
		wasip2.Define(l)
		Define(l)
		handler.rt, handler.c, handler.l = rt, c, l
	})
	if handler.err != nil {
		t.Fatal(handler.err)
	}
	return handler.l, handler.c
}

func instantiate(t *testing.T, cfg engine.InstanceConfig) *linker.Instance {
	t.Helper()
	l, c := loadHandler(t)
	inst, err := l.Instantiate(t.Context(), c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close(context.Background()) })
	return inst
}

// tables returns how many resources the instance's two tables hold.
func tables(t *testing.T, inst *linker.Instance) (int, int) {
	t.Helper()
	s, ok := stateKey.In(inst.Config())
	ws, ok2 := wasip2.StateOf(inst)
	if !ok || !ok2 {
		t.Fatal("no state")
	}
	return s.size(), ws.NumResources()
}

func serve(t *testing.T, inst *linker.Instance, r *http.Request, o ServeOptions) (*httptest.ResponseRecorder, error) {
	t.Helper()
	w := httptest.NewRecorder()
	err := Serve(t.Context(), inst, w, r, o)
	return w, err
}

func TestIsProxy(t *testing.T) {
	_, c := loadHandler(t)
	if !IsProxy(c) {
		t.Fatal("handler.wasm is not a proxy")
	}
	ctx := context.Background()
	wasm, err := os.ReadFile("../testdata/components/calc.wasm")
	if err != nil {
		t.Fatal(err)
	}
	calc, err := linker.Compile(ctx, handler.rt, "calc.wasm", wasm)
	if err != nil {
		t.Fatal(err)
	}
	if IsProxy(calc) {
		t.Fatal("calc.wasm is a proxy")
	}
}

// TestServeEcho serves several requests, of several methods and body
// sizes, on one instance: each comes back as handler.c echoes it, and
// every resource of a request is gone after it.
func TestServeEcho(t *testing.T) {
	inst := instantiate(t, engine.InstanceConfig{})
	big := bytes.Repeat([]byte("0123456789abcdef"), 300_000) // 4.8 MB, many chunks
	for i, tc := range []struct {
		method, target string
		body           []byte
		echo           []string
		status         string
		wantMethod     string
	}{
		{method: "GET", target: "/hello?a=1&b=2", echo: []string{"one"}, wantMethod: "GET"},
		{method: "POST", target: "/upload", body: []byte("a small body"), echo: []string{"x", "y z"}, status: "201", wantMethod: "POST"},
		{method: "PUT", target: "/big", body: big, wantMethod: "PUT"},
		{method: "PATCH", target: "/", body: []byte{}, wantMethod: "PATCH"},
		{method: "DELETE", target: "/d", wantMethod: "DELETE"},
		{method: "OPTIONS", target: "/o", wantMethod: "OPTIONS"},
		{method: "PROPFIND", target: "/dav", body: []byte("<x/>"), wantMethod: "other:PROPFIND"},
		{method: "GET", target: "/again", echo: []string{"last"}, wantMethod: "GET"},
	} {
		t.Run(fmt.Sprintf("%d %s %s", i, tc.method, tc.target), func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "http://example.test"+tc.target, bytes.NewReader(tc.body))
			for _, e := range tc.echo {
				r.Header.Add("X-Echo", e)
			}
			if tc.status != "" {
				r.Header.Set("X-Status", tc.status)
			}
			w, err := serve(t, inst, r, ServeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			want := 200
			if tc.status != "" {
				want = 201
			}
			if w.Code != want {
				t.Errorf("status %d, want %d", w.Code, want)
			}
			h := w.Result().Header
			if got := h.Get("X-Method"); got != tc.wantMethod {
				t.Errorf("x-method %q, want %q", got, tc.wantMethod)
			}
			if got := h.Get("X-Path"); got != tc.target {
				t.Errorf("x-path %q, want %q", got, tc.target)
			}
			if got := h.Get("X-Authority"); got != "example.test" {
				t.Errorf("x-authority %q", got)
			}
			if got := h.Get("X-Scheme"); got != "HTTP" {
				t.Errorf("x-scheme %q", got)
			}
			if got := h.Values("X-Echo"); strings.Join(got, "|") != strings.Join(tc.echo, "|") {
				t.Errorf("x-echo %q, want %q", got, tc.echo)
			}
			if !bytes.Equal(w.Body.Bytes(), tc.body) {
				t.Errorf("body of %d bytes, want %d", w.Body.Len(), len(tc.body))
			}
			if n, m := tables(t, inst); n != 0 || m != 0 {
				t.Errorf("after the request the tables hold %d http and %d wasi resources", n, m)
			}
		})
	}
	if inst.Broken() {
		t.Fatal("the instance broke")
	}
}

// TestServeHTTPServer serves through a real server: the body streams in
// from the client and the response streams out.
func TestServeHTTPServer(t *testing.T) {
	inst := instantiate(t, engine.InstanceConfig{})
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if err := Serve(r.Context(), inst, w, r, ServeOptions{}); err != nil {
			if errors.Is(err, ErrHeadWritten) {
				panic(http.ErrAbortHandler)
			}
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	// A body the client writes in pieces, slowly.
	pr, pw := io.Pipe()
	go func() {
		for i := 0; i < 5; i++ {
			fmt.Fprintf(pw, "piece %d\n", i)
			time.Sleep(20 * time.Millisecond)
		}
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", srv.URL+"/stream?q=1", pr)
	req.Header.Set("X-Echo", "via server")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := "piece 0\npiece 1\npiece 2\npiece 3\npiece 4\n"
	if resp.StatusCode != 200 || string(body) != want || resp.Header.Get("X-Echo") != "via server" || resp.Header.Get("X-Path") != "/stream?q=1" {
		t.Fatalf("%d %q %v", resp.StatusCode, body, resp.Header)
	}
	for i := 0; i < 3; i++ {
		resp, err := http.Post(srv.URL+"/x", "text/plain", strings.NewReader(strings.Repeat("z", i*100000)))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if len(body) != i*100000 {
			t.Fatalf("request %d: %d bytes back", i, len(body))
		}
	}
}

// TestServeFailures: failures before the head leave the ResponseWriter
// untouched and say what happened; the instance that trapped is broken.
func TestServeFailures(t *testing.T) {
	for _, tc := range []struct {
		path  string
		check func(error) bool
		what  string
	}{
		{"/trap", func(err error) bool { var te *engine.TrapError; return errors.As(err, &te) }, "a trap"},
		{"/noset", func(err error) bool { return errors.Is(err, ErrNoResponse) }, "ErrNoResponse"},
		{"/error", func(err error) bool {
			var re *ResponseError
			return errors.As(err, &re) && re.Code == "internal-error" && re.Detail == "boom"
		}, "internal-error boom"},
		{"/denied", func(err error) bool {
			var re *ResponseError
			return errors.As(err, &re) && re.Code == "HTTP-request-denied" && re.Detail == ""
		}, "HTTP-request-denied"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			inst := instantiate(t, engine.InstanceConfig{})
			w, err := serve(t, inst, httptest.NewRequest("GET", tc.path, nil), ServeOptions{})
			if !tc.check(err) {
				t.Fatalf("Serve: %v, want %s", err, tc.what)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error of several lines: %q", err)
			}
			if w.Code != 200 || w.Body.Len() != 0 || len(w.Result().Header) != 0 || w.Flushed {
				t.Fatalf("something was written: %d %v %q", w.Code, w.Result().Header, w.Body)
			}
			if tc.path != "/trap" {
				// The instance still serves.
				w, err := serve(t, inst, httptest.NewRequest("POST", "/after", strings.NewReader("ok")), ServeOptions{})
				if err != nil || w.Body.String() != "ok" {
					t.Fatalf("after %s: %v %q", tc.path, err, w.Body)
				}
			} else if !inst.Broken() {
				t.Fatal("the instance that trapped is not broken")
			}
		})
	}
}

// TestServeHeadWritten: a trap after the body was flushed, and a body
// over MaxResponseBytes, fail after the head: ErrHeadWritten.
func TestServeHeadWritten(t *testing.T) {
	inst := instantiate(t, engine.InstanceConfig{})
	w, err := serve(t, inst, httptest.NewRequest("GET", "/trap-mid", nil), ServeOptions{})
	var te *engine.TrapError
	if !errors.Is(err, ErrHeadWritten) || !errors.As(err, &te) {
		t.Fatalf("trap mid-body: %v", err)
	}
	if w.Body.String() != "partial" || !w.Flushed {
		t.Fatalf("body %q flushed %v", w.Body, w.Flushed)
	}

	// A body written, flushed, then dropped without finish.
	inst = instantiate(t, engine.InstanceConfig{})
	w, err = serve(t, inst, httptest.NewRequest("GET", "/nofinish", nil), ServeOptions{})
	if !errors.Is(err, ErrHeadWritten) || !errors.Is(err, ErrBodyNotFinished) {
		t.Fatalf("body not finished: %v", err)
	}
	if w.Body.String() != "partial" {
		t.Fatalf("body %q", w.Body)
	}

	inst = instantiate(t, engine.InstanceConfig{})
	w, err = serve(t, inst, httptest.NewRequest("POST", "/big", bytes.NewReader(make([]byte, 200_000))), ServeOptions{MaxResponseBytes: 100_000})
	if !errors.Is(err, ErrHeadWritten) || !errors.Is(err, ErrResponseTooLarge) {
		t.Fatalf("big body: %v", err)
	}
	if int64(w.Body.Len()) > 100_000 {
		t.Fatalf("%d bytes written past the cap", w.Body.Len())
	}
	// A cap the body fits: fine, and the instance is still good.
	w, err = serve(t, inst, httptest.NewRequest("POST", "/fits", bytes.NewReader(make([]byte, 50_000))), ServeOptions{MaxResponseBytes: 100_000})
	if err != nil || w.Body.Len() != 50_000 {
		t.Fatalf("fitting body: %v, %d bytes", err, w.Body.Len())
	}
}

// TestServeTimeout: a handler blocked on its request body stops when the
// context ends, before any head.
func TestServeTimeout(t *testing.T) {
	inst := instantiate(t, engine.InstanceConfig{})
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/slow", pr)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, inst, w, r, ServeOptions{}) }()
	select {
	case err := <-done:
		// The echo sets its response before reading: the head is not
		// written until the first body byte, so this is a clean timeout.
		if !errors.Is(err, engine.ErrTimeout) || errors.Is(err, ErrHeadWritten) {
			t.Fatalf("Serve: %v, want a timeout before the head", err)
		}
	case <-time.After(10 * time.Second):
		pw.CloseWithError(errors.New("test gave up"))
		t.Fatal("Serve did not stop")
	}
}

// TestOutgoing: the handler fetches from a real server with the
// request's method and body, through the granted client.
func TestOutgoing(t *testing.T) {
	var got struct {
		sync.Mutex
		method, path, from, body string
	}
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.Lock()
		got.method, got.path, got.from, got.body = r.Method, r.URL.RequestURI(), r.Header.Get("X-From"), string(b)
		got.Unlock()
		w.Header().Set("Content-Type", "text/x-upstream")
		w.WriteHeader(203)
		io.WriteString(w, "upstream says hi")
	}))
	defer upstream.Close()

	client, err := httpclient.New(httpclient.Config{AllowedHosts: []string{"127.0.0.1"}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var cfg engine.InstanceConfig
	httpclient.Attach(&cfg, &httpclient.Binding{Client: client})
	inst := instantiate(t, cfg)

	fetch := func(method, url, body string) *httptest.ResponseRecorder {
		t.Helper()
		r := httptest.NewRequest(method, "/fetch", strings.NewReader(body))
		r.Header.Set("X-Url", url)
		w, err := serve(t, inst, r, ServeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	w := fetch("POST", upstream.URL+"/api/thing?x=1", "payload")
	if w.Code != 203 || w.Body.String() != "upstream says hi" || w.Header().Get("X-Fetched-Content-Type") != "text/x-upstream" {
		t.Fatalf("fetched %d %q %v", w.Code, w.Body, w.Header())
	}
	got.Lock()
	if got.method != "POST" || got.path != "/api/thing?x=1" || got.from != "handler" || got.body != "payload" {
		t.Errorf("upstream saw %s %s from %q body %q", got.method, got.path, got.from, got.body)
	}
	got.Unlock()
	if n, m := tables(t, inst); n != 0 || m != 0 {
		t.Errorf("after the fetch the tables hold %d http and %d wasi resources", n, m)
	}

	// A host the grant does not allow: HTTP-request-denied (15).
	w = fetch("GET", "http://localhost:1/", "")
	if w.Code != 502 || w.Body.String() != "error-code 15" {
		t.Fatalf("denied host: %d %q", w.Code, w.Body)
	}
	// Nothing listening: connection-refused (6).
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	w = fetch("GET", deadURL+"/", "")
	if w.Code != 502 || w.Body.String() != "error-code 6" {
		t.Fatalf("refused: %d %q", w.Code, w.Body)
	}
	// The instance keeps serving fetches.
	w = fetch("GET", upstream.URL+"/again", "")
	if w.Code != 203 {
		t.Fatalf("again: %d %q", w.Code, w.Body)
	}
	if n, m := tables(t, inst); n != 0 || m != 0 {
		t.Errorf("the tables hold %d http and %d wasi resources", n, m)
	}
}

// TestOutgoingDenied: without an http binding every request is denied,
// and the component still loads.
func TestOutgoingDenied(t *testing.T) {
	reached := false
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached = true }))
	defer upstream.Close()
	inst := instantiate(t, engine.InstanceConfig{})
	r := httptest.NewRequest("GET", "/fetch", nil)
	r.Header.Set("X-Url", upstream.URL+"/")
	w, err := serve(t, inst, r, ServeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if w.Code != 502 || w.Body.String() != "error-code 15" || reached {
		t.Fatalf("no binding: %d %q (reached %v)", w.Code, w.Body, reached)
	}
}

// TestOutgoingTimeout: the client's timeout is connection-timeout (8).
func TestOutgoingTimeout(t *testing.T) {
	release := make(chan struct{})
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer upstream.Close()
	defer close(release)
	client, err := httpclient.New(httpclient.Config{AllowedHosts: []string{"127.0.0.1"}, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var cfg engine.InstanceConfig
	httpclient.Attach(&cfg, &httpclient.Binding{Client: client})
	inst := instantiate(t, cfg)
	r := httptest.NewRequest("GET", "/fetch", nil)
	r.Header.Set("X-Url", upstream.URL+"/slow")
	w, err := serve(t, inst, r, ServeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if w.Code != 502 || w.Body.String() != "error-code 8" {
		t.Fatalf("timeout: %d %q", w.Code, w.Body)
	}
}

// TestOutgoingRequestLimit: MaxRequestsPerCall counts the requests of
// one call: one per call passes call after call, two in a call end it
// with a LimitError.
func TestOutgoingRequestLimit(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer upstream.Close()
	client, err := httpclient.New(httpclient.Config{AllowedHosts: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	bind := func(limit int) *linker.Instance {
		var cfg engine.InstanceConfig
		httpclient.Attach(&cfg, &httpclient.Binding{Client: client, MaxRequestsPerCall: limit})
		return instantiate(t, cfg)
	}
	inst := bind(1)
	for i := 0; i < 2; i++ {
		r := httptest.NewRequest("GET", "/fetch", nil)
		r.Header.Set("X-Url", upstream.URL+"/")
		if w, err := serve(t, inst, r, ServeOptions{}); err != nil || w.Code != 200 {
			t.Fatalf("fetch %d: %v %d", i, err, w.Code)
		}
	}
	r := httptest.NewRequest("GET", "/fetch-twice", nil)
	r.Header.Set("X-Url", upstream.URL)
	w, err := serve(t, inst, r, ServeOptions{})
	var le *engine.LimitError
	if !errors.As(err, &le) || w.Body.Len() != 0 {
		t.Fatalf("two requests with a limit of 1: %v (body %q)", err, w.Body)
	}
	// With a limit of 2 the same call passes.
	inst = bind(2)
	r = httptest.NewRequest("GET", "/fetch-twice", nil)
	r.Header.Set("X-Url", upstream.URL)
	if w, err := serve(t, inst, r, ServeOptions{}); err != nil || w.Body.String() != "done" {
		t.Fatalf("two requests with a limit of 2: %v %q", err, w.Body)
	}
}

// TestOutgoingDNS: a name that does not resolve is DNS-error (1).
func TestOutgoingDNS(t *testing.T) {
	client, err := httpclient.New(httpclient.Config{AllowedHosts: []string{"*.invalid"}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var cfg engine.InstanceConfig
	httpclient.Attach(&cfg, &httpclient.Binding{Client: client})
	inst := instantiate(t, cfg)
	r := httptest.NewRequest("GET", "/fetch", nil)
	r.Header.Set("X-Url", "http://no-such-host.invalid/")
	w, err := serve(t, inst, r, ServeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if w.Code != 502 || w.Body.String() != "error-code 1" {
		t.Fatalf("unresolvable name: %d %q", w.Code, w.Body)
	}
}
