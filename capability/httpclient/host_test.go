package httpclient_test

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/capability/httpclient"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

// The runtime and the compiled guest are shared by the package's tests.
var shared struct {
	once sync.Once
	rt   *engine.Runtime
	mod  *engine.Module
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.rt != nil {
		shared.rt.Close(context.Background())
	}
	os.Exit(code)
}

type guest struct {
	inst *engine.Instance
	st   *extism.State
}

// instance instantiates the test guest bound to c (unbound when c is nil).
func instance(t *testing.T, c *httpclient.Client) *guest {
	t.Helper()
	ctx := context.Background()
	wasm := testguest.GoReactor(t, "capabilities/httpclient")
	shared.once.Do(func() {
		ec := engine.Config{NoCache: true}
		for _, h := range append(extism.HostModules(), httpclient.HostModules()...) {
			ec.HostModules = append(ec.HostModules, h)
		}
		if shared.rt, shared.err = engine.NewRuntime(ctx, ec); shared.err == nil {
			shared.mod, shared.err = shared.rt.CompileFile(ctx, wasm)
		}
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	var icfg engine.InstanceConfig
	st := extism.NewState(extism.StateConfig{Name: "httpclient"})
	st.Attach(&icfg)
	if c != nil {
		httpclient.Attach(&icfg, &httpclient.Binding{Client: c})
	}
	inst, err := shared.rt.Instantiate(ctx, shared.mod, icfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close(ctx) })
	return &guest{inst: inst, st: st}
}

type fetchArgs struct {
	Method    string              `json:"method,omitempty"`
	URL       string              `json:"url"`
	Headers   map[string][]string `json:"headers,omitempty"`
	Body      string              `json:"body,omitempty"`
	TimeoutMS int                 `json:"timeout_ms,omitempty"`
}

type fetchResult struct {
	Status  int                 `json:"status"`
	Headers map[string][]string `json:"headers"`
	Body    string              `json:"body"`
	Error   string              `json:"error"`
	Typed   bool                `json:"typed"`
}

func (g *guest) fetch(t *testing.T, a fetchArgs) fetchResult {
	t.Helper()
	in, _ := json.Marshal(a)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := extism.Call(ctx, g.inst, g.st, "fetch", in)
	if err != nil {
		t.Fatalf("fetch %s: %v", in, err)
	}
	var r fetchResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("fetch output %q: %v", out, err)
	}
	return r
}

func TestGuestAllowed(t *testing.T) {
	srv := testServer(t)
	g := instance(t, newClient(t, httpclient.Config{AllowedHosts: []string{"127.0.0.1"}}))
	r := g.fetch(t, fetchArgs{Method: "PUT", URL: srv.URL + "/echo?q=guest", Body: "payload", Headers: map[string][]string{"x-multi": {"1", "2"}}})
	if r.Error != "" || r.Status != 201 || r.Body != "guest payload" {
		t.Fatalf("fetch = %+v", r)
	}
	if got := strings.Join(r.Headers["x-multi"], ","); got != "1,2" || r.Headers["x-method"][0] != "PUT" || len(r.Headers["content-length"]) != 1 {
		t.Fatalf("response headers = %v, want lower-case names with every value", r.Headers)
	}
}

func TestGuestDenied(t *testing.T) {
	srv := testServer(t)
	g := instance(t, newClient(t, httpclient.Config{AllowedHosts: []string{"*.example.com"}}))
	r := g.fetch(t, fetchArgs{URL: srv.URL + "/echo"})
	if !r.Typed || !strings.Contains(r.Error, `host "127.0.0.1" not allowed`) {
		t.Fatalf("fetch of a denied host = %+v", r)
	}
}

func TestGuestRedirectToDeniedHost(t *testing.T) {
	srv := testServer(t)
	_, port, _ := strings.Cut(srv.Listener.Addr().String(), ":")
	g := instance(t, newClient(t, httpclient.Config{AllowedHosts: []string{"127.0.0.1"}}))
	r := g.fetch(t, fetchArgs{URL: srv.URL + "/redirect?to=" + url.QueryEscape("http://localhost:"+port+"/echo")})
	if !r.Typed || !strings.Contains(r.Error, "redirect to http://localhost:"+port) || !strings.Contains(r.Error, "not allowed") {
		t.Fatalf("fetch redirected to a denied host = %+v", r)
	}
}

func TestGuestTimeout(t *testing.T) {
	srv := testServer(t)
	g := instance(t, newClient(t, httpclient.Config{AllowedHosts: []string{"127.0.0.1"}, Timeout: 2 * time.Second}))
	start := time.Now()
	r := g.fetch(t, fetchArgs{URL: srv.URL + "/slow", TimeoutMS: 100})
	if !r.Typed || !strings.Contains(r.Error, "timed out after 100ms") {
		t.Fatalf("fetch with a 100ms timeout = %+v", r)
	}
	if d := time.Since(start); d > 1900*time.Millisecond {
		t.Fatalf("the guest's timeout was not used: returned after %s", d)
	}
	// The instance is fine afterwards.
	if r := g.fetch(t, fetchArgs{URL: srv.URL + "/echo?q=after"}); r.Status != 201 {
		t.Fatalf("fetch after a timeout = %+v", r)
	}
}

func TestGuestOversizedResponse(t *testing.T) {
	srv := testServer(t)
	g := instance(t, newClient(t, httpclient.Config{AllowedHosts: []string{"127.0.0.1"}, MaxResponseBytes: 1000}))
	for _, path := range []string{"/big", "/bigchunked"} {
		if r := g.fetch(t, fetchArgs{URL: srv.URL + path}); !r.Typed || !strings.Contains(r.Error, "response body too large") || !strings.Contains(r.Error, "1000") {
			t.Errorf("fetch %s = %+v", path, r)
		}
	}
}

func TestGuestNotBound(t *testing.T) {
	g := instance(t, nil)
	if r := g.fetch(t, fetchArgs{URL: "http://127.0.0.1:1/"}); !r.Typed || !strings.Contains(r.Error, "not bound") {
		t.Fatalf("fetch without a binding = %+v", r)
	}
}
