package httpclient_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/capability/httpclient"
)

// testServer serves the paths the tests use on 127.0.0.1.
func testServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Method", r.Method)
		w.Header().Set("X-Host", r.Host)
		for _, v := range r.Header.Values("X-Multi") {
			w.Header().Add("X-Multi", v)
		}
		w.WriteHeader(201)
		fmt.Fprintf(w, "%s %s", r.URL.Query().Get("q"), b)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("x", 2048)) // Content-Length set
	})
	mux.HandleFunc("/bigchunked", func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 4; i++ {
			io.WriteString(w, strings.Repeat("x", 512))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func newClient(t *testing.T, cfg httpclient.Config) *httpclient.Client {
	t.Helper()
	c, err := httpclient.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func do(t *testing.T, c *httpclient.Client, req httpclient.Request) (*httpclient.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return c.Do(ctx, req)
}

func TestAllowed(t *testing.T) {
	srv := testServer(t)
	c := newClient(t, httpclient.Config{AllowedHosts: []string{"127.0.0.1"}})
	resp, err := do(t, c, httpclient.Request{
		Method: "POST",
		URL:    srv.URL + "/echo?q=hi",
		Header: http.Header{"X-Multi": {"a", "b"}, "Host": {"virtual.example"}},
		Body:   []byte("body"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 201 || string(resp.Body) != "hi body" || resp.Header.Get("X-Method") != "POST" ||
		resp.Header.Get("X-Host") != "virtual.example" || strings.Join(resp.Header.Values("X-Multi"), ",") != "a,b" {
		t.Fatalf("response = %d %q %v", resp.Status, resp.Body, resp.Header)
	}
}

func TestDenied(t *testing.T) {
	srv := testServer(t)
	_, port, _ := strings.Cut(srv.Listener.Addr().String(), ":")
	for _, hosts := range [][]string{nil, {"localhost"}, {"*.127.0.0.1"}, {"127.0.0.2"}} {
		c := newClient(t, httpclient.Config{AllowedHosts: hosts})
		_, err := do(t, c, httpclient.Request{URL: srv.URL + "/echo"})
		var hna *httpclient.HostNotAllowedError
		if !errors.Is(err, httpclient.ErrHostNotAllowed) || !errors.As(err, &hna) || hna.Host != "127.0.0.1" || hna.Redirect {
			t.Errorf("allowed %q: err = %v, want host 127.0.0.1 not allowed", hosts, err)
		}
	}
	// Redirects are checked again.
	c := newClient(t, httpclient.Config{AllowedHosts: []string{"127.0.0.1"}})
	to := "http://localhost:" + port + "/echo"
	_, err := do(t, c, httpclient.Request{URL: srv.URL + "/redirect?to=" + url.QueryEscape(to)})
	var hna *httpclient.HostNotAllowedError
	if !errors.As(err, &hna) || !hna.Redirect || hna.Host != "localhost" || !strings.Contains(err.Error(), "redirect to "+to) {
		t.Fatalf("redirect to a denied host: err = %v", err)
	}
	// ...and followed when allowed.
	resp, err := do(t, c, httpclient.Request{URL: srv.URL + "/redirect?to=" + url.QueryEscape("/echo?q=moved")})
	if err != nil || resp.Status != 201 || string(resp.Body) != "moved " {
		t.Fatalf("redirect to an allowed host = %v, %v", resp, err)
	}
	// Redirect loops stop.
	if _, err := do(t, c, httpclient.Request{URL: srv.URL + "/loop"}); err == nil || !strings.Contains(err.Error(), "stopped after 10 redirects") {
		t.Fatalf("redirect loop: err = %v", err)
	}
	// Not following redirects returns the redirect itself.
	c = newClient(t, httpclient.Config{AllowedHosts: []string{"127.0.0.1"}, MaxRedirects: -1})
	resp, err = do(t, c, httpclient.Request{URL: srv.URL + "/loop"})
	if err != nil || resp.Status != http.StatusFound || resp.Header.Get("Location") != "/loop" {
		t.Fatalf("MaxRedirects -1 = %v, %v", resp, err)
	}
}

func TestTimeout(t *testing.T) {
	srv := testServer(t)
	c := newClient(t, httpclient.Config{AllowedHosts: []string{"127.0.0.1"}, Timeout: 150 * time.Millisecond})
	for _, c := range []struct {
		c       *httpclient.Client
		timeout time.Duration
		want    string
	}{
		{c, 0, "150ms"},
		{c, 50 * time.Millisecond, "50ms"},
		{c, 10 * time.Second, "150ms"}, // a request cannot extend the client's bound
	} {
		start := time.Now()
		_, err := do(t, c.c, httpclient.Request{URL: srv.URL + "/slow", Timeout: c.timeout})
		if !errors.Is(err, httpclient.ErrTimeout) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("request timeout %s: err = %v, want a timeout after %s", c.timeout, err, c.want)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("request timeout %s: returned after %s", c.timeout, d)
		}
	}
	// The caller's context ending is not the request's timeout.
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel)
	_, err := c.Do(ctx, httpclient.Request{URL: srv.URL + "/slow"})
	if !errors.Is(err, context.Canceled) || errors.Is(err, httpclient.ErrTimeout) {
		t.Fatalf("canceled: err = %v", err)
	}
}

func TestSizeLimits(t *testing.T) {
	srv := testServer(t)
	c := newClient(t, httpclient.Config{AllowedHosts: []string{"127.0.0.1"}, MaxResponseBytes: 1024, MaxRequestBytes: 8})
	for _, path := range []string{"/big", "/bigchunked"} {
		_, err := do(t, c, httpclient.Request{URL: srv.URL + path})
		if !errors.Is(err, httpclient.ErrResponseTooLarge) || !strings.Contains(err.Error(), "1024") {
			t.Errorf("%s: err = %v, want response too large", path, err)
		}
	}
	_, err := do(t, c, httpclient.Request{Method: "POST", URL: srv.URL + "/echo", Body: []byte("123456789")})
	if !errors.Is(err, httpclient.ErrRequestTooLarge) || !strings.Contains(err.Error(), "9 bytes, the limit is 8") {
		t.Fatalf("request body of 9 bytes: err = %v", err)
	}
	exact := newClient(t, httpclient.Config{AllowedHosts: []string{"127.0.0.1"}, MaxResponseBytes: 2048})
	if resp, err := do(t, exact, httpclient.Request{URL: srv.URL + "/bigchunked"}); err != nil || len(resp.Body) != 2048 {
		t.Fatalf("a response of exactly the limit: %v", err)
	}
}

func TestBadRequests(t *testing.T) {
	c := newClient(t, httpclient.Config{AllowedHosts: []string{"*"}})
	for _, c2 := range []struct {
		req  httpclient.Request
		want string
	}{
		{httpclient.Request{URL: "ftp://example.com/x"}, "http:// or https://"},
		{httpclient.Request{URL: "/relative"}, "http:// or https://"},
		{httpclient.Request{URL: "http://"}, "no host"},
		{httpclient.Request{URL: "http://a b/"}, "invalid URL"},
		{httpclient.Request{URL: "http://127.0.0.1:1/", Method: "BAD METHOD"}, "invalid method"},
	} {
		if _, err := do(t, c, c2.req); err == nil || !strings.Contains(err.Error(), c2.want) {
			t.Errorf("%+v: err = %v, want %q", c2.req, err, c2.want)
		}
	}
}

func TestNew(t *testing.T) {
	_, err := httpclient.New(httpclient.Config{AllowedHosts: []string{"api.example.com", "[a-z].example.com"}})
	if err == nil || !strings.Contains(err.Error(), "character classes ('[') are not supported") {
		t.Fatalf("New with '[': err = %v", err)
	}
	if _, err := httpclient.New(httpclient.Config{Timeout: -1}); err == nil {
		t.Fatal("New with a negative timeout succeeded")
	}
	c, err := httpclient.New(httpclient.Config{AllowedHosts: []string{"*.example.com"}})
	if err != nil || !c.Allows("api.example.com") || c.Allows("example.org") || c.Timeout() != httpclient.DefaultTimeout {
		t.Fatalf("New = %v, %v", c, err)
	}
}
