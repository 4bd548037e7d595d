package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// handlerComponent is a wasi:http/proxy component (wasihttp/testdata):
// it echoes, and fails in each way a handler can, by path.
var handlerComponent = filepath.Join("..", "..", "wasihttp", "testdata", "handler.wasm")

func doReq(t *testing.T, method, url string, body []byte, hdr map[string]string) (*http.Response, []byte, error) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

func TestServeWASIHTTPComponent(t *testing.T) {
	p := startServe(t, "--max-body", "2MiB", handlerComponent)
	if !strings.Contains(p.log(), "convention=wasi-http") || !strings.Contains(p.log(), "pattern=component") {
		t.Fatalf("start line: %s", p.log())
	}
	// The body streams through the component and back, on the same warm
	// instance every time.
	body := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB
	for i := range 3 {
		resp, got, err := doReq(t, "POST", p.url+"/echo?x=1", body, map[string]string{"X-Echo": "hi"})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || !bytes.Equal(got, body) {
			t.Fatalf("request %d: %d, %d bytes back (want 200 and the %d bytes sent)", i, resp.StatusCode, len(got), len(body))
		}
		if resp.Header.Get("X-Method") != "POST" || resp.Header.Get("X-Path") != "/echo?x=1" || resp.Header.Get("X-Request-Id") == "" {
			t.Fatalf("request %d: headers %v", i, resp.Header)
		}
	}
	// Failures before the response's head are statuses with a request id;
	// the instance that trapped is replaced.
	for _, path := range []string{"/trap", "/noset", "/error"} {
		resp, got, err := doReq(t, "GET", p.url+path, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 500 || !strings.Contains(string(got), resp.Header.Get("X-Request-Id")) {
			t.Fatalf("%s: %d %q, want 500 naming the request id", path, resp.StatusCode, got)
		}
	}
	// After the head, a trap can only cut the response short.
	if resp, got, err := doReq(t, "GET", p.url+"/trap-mid", nil, nil); err == nil {
		t.Fatalf("/trap-mid: %d %q, want the response cut short", resp.StatusCode, got)
	}
	if resp, got, err := doReq(t, "GET", p.url+"/echo", []byte("still"), nil); err != nil || resp.StatusCode != 200 || string(got) != "still" {
		t.Fatalf("after the failures: %v %q", err, got)
	}
	// serve's own limits apply as to modules.
	if resp, _, err := doReq(t, "POST", p.url+"/echo", bytes.Repeat([]byte("x"), 3<<20), nil); err != nil || resp.StatusCode != 413 {
		t.Fatalf("a 3 MiB body: %v, want 413", resp)
	}
	_, health := httpGet(t, p.url+"/.well-known/wasmhive/health")
	var hs struct {
		Convention string
		Pool       struct{ Calls, Discarded int }
	}
	if err := json.Unmarshal([]byte(health), &hs); err != nil || hs.Convention != "wasi-http" || hs.Pool.Calls < 8 || hs.Pool.Discarded < 1 {
		t.Fatalf("health %s (%v)", health, err)
	}
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("exit %d\n%s", code, p.log())
	}
	if !strings.Contains(p.log(), "module failed") {
		t.Fatalf("no log line for the guest's failures:\n%s", p.log())
	}
}

// TestServeComponentizeJSFetchHandler: a componentize-js component built
// from a plain fetch event handler (wasihttp/testdata/js/handler.js)
// serves unchanged. StarlingMonkey answers one request per instance, so
// after the first reuse answers nothing, each request gets a new instance
// (the request that found out is served again on one).
func TestServeComponentizeJSFetchHandler(t *testing.T) {
	p := startServe(t, filepath.Join("..", "..", "wasihttp", "testdata", "js", "handler.wasm"))
	for i := range 4 {
		body := fmt.Sprintf("body %d", i)
		resp, got, err := doReq(t, "POST", p.url+"/p?q=1", []byte(body), map[string]string{"X-Echo": "e"})
		if err != nil {
			t.Fatal(err)
		}
		want := "method=POST path=/p?q=1 echo=e body=" + body
		if resp.StatusCode != 201 || string(got) != want || resp.Header.Get("X-Js") != "yes" {
			t.Fatalf("request %d: %d %q %v, want 201 %q", i, resp.StatusCode, got, resp.Header, want)
		}
	}
	// The line may reach the test (through the process's stderr pipe)
	// after the response did.
	p.waitLog(t, "component answers one request per instance", 10*time.Second)
}
