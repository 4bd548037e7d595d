package wasihttp

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/capability/httpclient"
	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/wasip2"
)

// TestServeComponentizeJS serves a JavaScript handler made by
// componentize-js (StarlingMonkey's fetch event, testdata/js/handler.js,
// built by testdata/js/build.sh into testdata/js/handler.wasm): a guest
// that uses wasi:http through a real runtime's bindings (polling streams
// and futures, fields lists, fetch through the outgoing handler).
// WASMHIVE_HTTP_JS names another build to serve instead.
func TestServeComponentizeJS(t *testing.T) {
	path := os.Getenv("WASMHIVE_HTTP_JS")
	if path == "" {
		path = "testdata/js/handler.wasm"
	}
	wasm, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	loadHandler(t) // for the runtime
	ctx := t.Context()
	c, err := linker.Compile(ctx, handler.rt, "js-handler.wasm", wasm)
	if err != nil {
		t.Fatal(err)
	}
	if !IsProxy(c) {
		t.Fatal("not a proxy")
	}
	l := linker.New()
	wasip2.Define(l)
	Define(l)

	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "from upstream "+r.URL.Path)
	}))
	defer upstream.Close()
	client, err := httpclient.New(httpclient.Config{AllowedHosts: []string{"127.0.0.1"}, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var cfg engine.InstanceConfig
	httpclient.Attach(&cfg, &httpclient.Binding{Client: client})
	// StarlingMonkey answers one request per instance (jco serve fails the
	// second one on a reused instance too: "respondWith can't be called
	// twice"), so each request gets a new instance, as in wasmtime serve.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inst, err := l.Instantiate(r.Context(), c, cfg)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer inst.Close(context.Background())
		if err := Serve(r.Context(), inst, w, r, ServeOptions{}); err != nil {
			t.Logf("Serve: %v", err)
			http.Error(w, err.Error(), 500)
		}
	}))
	defer srv.Close()
	for i := 0; i < 3; i++ {
		req, _ := http.NewRequest("POST", srv.URL+"/echo?n=1", strings.NewReader(strings.Repeat("b", 100_000)))
		req.Header.Set("X-Echo", "js")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := "method=POST path=/echo?n=1 echo=js body=" + strings.Repeat("b", 100_000)
		if resp.StatusCode != 201 || string(body) != want || resp.Header.Get("X-Js") != "yes" {
			t.Fatalf("echo %d: %d %.200q %v", i, resp.StatusCode, body, resp.Header)
		}
	}
	req, _ := http.NewRequest("GET", srv.URL+"/fetch", nil)
	req.Header.Set("X-Url", upstream.URL+"/up")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "fetched 200: from upstream /up" {
		t.Fatalf("fetch: %d %q", resp.StatusCode, body)
	}
}
