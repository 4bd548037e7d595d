package kvcounter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/capability/keyvalue"
	"github.com/wasmhive/wasmhive/capability/keyvalue/boltkv"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/httpwire"
)

// The three twins: the Go handler is built from source on the fly, the C
// and Rust ones are the committed builds (build.sh).
var guests = []struct {
	name string
	path func(t testing.TB) string
}{
	{"go", goGuest},
	{"c", func(testing.TB) string { return filepath.Join("c", "kvcounter-c.wasm") }},
	{"rust", func(testing.TB) string { return filepath.Join("rust", "kvcounter-rust.wasm") }},
}

var (
	goOnce sync.Once
	goPath string
	goErr  error
)

// goGuest builds ./go as build.sh does, once per test binary.
func goGuest(t testing.TB) string {
	t.Helper()
	goOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kvcounter-test")
		if err != nil {
			goErr = err
			return
		}
		goPath = filepath.Join(dir, "kvcounter.wasm")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-buildmode=c-shared", "-o", goPath, "./go")
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			goErr = fmt.Errorf("build the Go guest: %v\n%s", err, out)
		}
	})
	if goErr != nil {
		t.Fatal(goErr)
	}
	return goPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if goPath != "" {
		os.RemoveAll(filepath.Dir(goPath))
	}
	os.Exit(code)
}

// handler is one instance of a guest, bound to a bucket.
type handler struct {
	t    testing.TB
	inst *engine.Instance
	st   *extism.State
}

// load instantiates the guest at path with the Extism kernel and the
// keyvalue capability bound to bucket, as the Host does for a component
// granted keyvalue.
func load(t testing.TB, path string, bucket keyvalue.Bucket) *handler {
	t.Helper()
	ctx := context.Background()
	ec := engine.Config{NoCache: true}
	for _, h := range extism.HostModules() {
		ec.HostModules = append(ec.HostModules, h)
	}
	for _, h := range keyvalue.HostModules() {
		ec.HostModules = append(ec.HostModules, h)
	}
	rt, err := engine.NewRuntime(ctx, ec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	m, err := rt.CompileFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var icfg engine.InstanceConfig
	st := extism.NewState(extism.StateConfig{Name: "kvcounter"})
	st.Attach(&icfg)
	keyvalue.Attach(&icfg, &keyvalue.Binding{Bucket: bucket})
	inst, err := rt.Instantiate(ctx, m, icfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close(ctx) })
	return &handler{t: t, inst: inst, st: st}
}

// raw sends an encoded request and returns the encoded response.
func (h *handler) raw(in []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := extism.Call(ctx, h.inst, h.st, "handle_http", in)
	return bytes.Clone(out), err
}

// do sends method path?query and returns the response.
func (h *handler) do(method, target string) (*httpwire.Response, []byte) {
	h.t.Helper()
	path, query, _ := strings.Cut(target, "?")
	req := httpwire.Request{Method: method, Path: path, Query: query, Header: []httpwire.Field{{Name: "Host", Value: "kvcounter.test"}}}
	in, err := req.MarshalBinary()
	if err != nil {
		h.t.Fatal(err)
	}
	out, err := h.raw(in)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, target, err)
	}
	var resp httpwire.Response
	if err := resp.UnmarshalBinary(out); err != nil {
		h.t.Fatalf("%s %s: undecodable response: %v", method, target, err)
	}
	if got := header(&resp, "Content-Type"); got != "application/json" {
		h.t.Errorf("%s %s: Content-Type %q, want application/json", method, target, got)
	}
	return &resp, out
}

// want checks a response's status and body.
func (h *handler) want(method, target string, status int, body string) []byte {
	h.t.Helper()
	resp, out := h.do(method, target)
	if resp.Status != status || string(resp.Body) != body {
		h.t.Errorf("%s %s = %d %q, want %d %q", method, target, resp.Status, resp.Body, status, body)
	}
	return out
}

// wantError checks an error response and returns its decoded message.
func (h *handler) wantError(method, target string, status int) string {
	h.t.Helper()
	resp, _ := h.do(method, target)
	if resp.Status != status {
		h.t.Errorf("%s %s: status %d (%q), want %d", method, target, resp.Status, resp.Body, status)
	}
	var e struct {
		Error *string `json:"error"`
	}
	if err := json.Unmarshal(resp.Body, &e); err != nil || e.Error == nil {
		h.t.Fatalf("%s %s: body %q is not {\"error\": ...} (%v)", method, target, resp.Body, err)
	}
	return *e.Error
}

func header(r *httpwire.Response, name string) string {
	for _, f := range r.Header {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// openBucket opens a fresh bbolt store and its "kvcounter" bucket.
func openBucket(t testing.TB) keyvalue.Bucket {
	t.Helper()
	s, err := boltkv.Open(filepath.Join(t.TempDir(), "kv.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := s.Open(ctx, "kvcounter")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func stored(t *testing.T, b keyvalue.Bucket, key string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := b.Get(ctx, key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return string(v)
}

func TestCounter(t *testing.T) {
	for _, g := range guests {
		t.Run(g.name, func(t *testing.T) {
			b := openBucket(t)
			h := load(t, g.path(t), b)
			h.want("GET", "/hits", 200, "{\"counter\":1}\n")
			h.want("GET", "/hits?amount=2", 200, "{\"counter\":3}\n")
			h.want("GET", "/hits?amount=-5", 200, "{\"counter\":-2}\n")
			h.want("GET", "/hits?x=1&amount=%2B4&amount=100", 200, "{\"counter\":2}\n") // the first amount counts; %2B is +
			h.want("GET", "/hits?amou%6Et=%2D3", 200, "{\"counter\":-1}\n")             // names and values are decoded
			h.want("GET", "/hits?amount=0", 200, "{\"counter\":-1}\n")
			if got := stored(t, b, "counter:hits"); got != "-1" {
				t.Errorf("counter:hits holds %q, want \"-1\" (decimal text)", got)
			}

			h.want("GET", "/any/path?amount=10", 200, "{\"counter\":10}\n")
			h.want("GET", "/any//path/", 200, "{\"counter\":11}\n") // empty segments do not count
			if got := stored(t, b, "counter:any:path"); got != "11" {
				t.Errorf("counter:any:path holds %q, want \"11\"", got)
			}
			h.want("GET", "/", 200, "{\"counter\":1}\n")
			if got := stored(t, b, "counter:"); got != "1" {
				t.Errorf("counter: (the root) holds %q, want \"1\"", got)
			}
			h.want("GET", "/big?amount=9223372036854775807", 200, "{\"counter\":9223372036854775807}\n")
			h.want("GET", "/small?amount=-9223372036854775808", 200, "{\"counter\":-9223372036854775808}\n")
		})
	}
}

func TestBadAmount(t *testing.T) {
	for _, g := range guests {
		t.Run(g.name, func(t *testing.T) {
			b := openBucket(t)
			h := load(t, g.path(t), b)
			h.want("GET", "/hits?amount=5", 200, "{\"counter\":5}\n")
			for _, c := range []struct{ query, value string }{
				{"amount=abc", "abc"},
				{"amount=", ""},
				{"amount", ""},
				{"amount=1.5", "1.5"},
				{"amount=1e3", "1e3"},
				{"amount=%2B", "+"},
				{"amount=+1", " 1"}, // + is a space
				{"amount=%201", " 1"},
				{"amount=9223372036854775808", "9223372036854775808"},
				{"amount=-9223372036854775809", "-9223372036854775809"},
				{"amount=%22%5C%0A", "\"\\\n"}, // escaped in the JSON message
			} {
				want := `amount must be an integer, got "` + c.value + `"`
				if got := h.wantError("GET", "/hits?"+c.query, 400); got != want {
					t.Errorf("?%s: error %q, want %q", c.query, got, want)
				}
			}
			if got := stored(t, b, "counter:hits"); got != "5" {
				t.Errorf("after bad amounts counter:hits holds %q, want \"5\"", got)
			}
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	for _, g := range guests {
		t.Run(g.name, func(t *testing.T) {
			b := openBucket(t)
			h := load(t, g.path(t), b)
			for _, m := range []string{"POST", "PUT", "DELETE", "HEAD", "get"} {
				resp, _ := h.do(m, "/hits")
				want := "{\"error\":\"method " + m + " is not allowed; use GET\"}\n"
				if resp.Status != 405 || string(resp.Body) != want || header(resp, "Allow") != "GET" {
					t.Errorf("%s: %d %q Allow %q, want 405 %q Allow GET", m, resp.Status, resp.Body, header(resp, "Allow"), want)
				}
			}
			if n, err := b.Exists(context.Background(), "counter:hits"); err != nil || n {
				t.Errorf("after refused methods counter:hits exists=%v (%v), want absent", n, err)
			}
		})
	}
}

// failing is a bucket whose Increment always fails.
type failing struct {
	keyvalue.Bucket
	err error
}

func (f failing) Increment(context.Context, string, int64) (int64, error) { return 0, f.err }

func TestStoreFailure(t *testing.T) {
	msg := "disk on \"fire\"\n\t\\ \x01 é"
	for _, g := range guests {
		t.Run(g.name, func(t *testing.T) {
			h := load(t, g.path(t), failing{Bucket: openBucket(t), err: errors.New(msg)})
			if got := h.wantError("GET", "/hits", 500); !strings.Contains(got, msg) {
				t.Errorf("error %q, want the host's message %q in it", got, msg)
			}
		})
	}
}

func TestOverflowIsAStoreFailure(t *testing.T) {
	for _, g := range guests {
		t.Run(g.name, func(t *testing.T) {
			b := openBucket(t)
			h := load(t, g.path(t), b)
			h.want("GET", "/n?amount=9223372036854775807", 200, "{\"counter\":9223372036854775807}\n")
			if got := h.wantError("GET", "/n", 500); !strings.Contains(got, "overflow") {
				t.Errorf("error %q, want the provider's overflow message", got)
			}
			if got := stored(t, b, "counter:n"); got != "9223372036854775807" {
				t.Errorf("after the overflow counter:n holds %q", got)
			}
		})
	}
}

func TestMalformedRequest(t *testing.T) {
	for _, g := range guests {
		t.Run(g.name, func(t *testing.T) {
			h := load(t, g.path(t), openBucket(t))
			for _, in := range [][]byte{nil, {2}, {1, 3, 'G', 'E'}, {1, 3, 'G', 'E', 'T', 1, '/', 0, 0, 0, 'x'}} {
				if _, err := h.raw(in); err == nil {
					t.Errorf("request %q: no error", in)
				}
			}
			// The instance still serves well-formed requests.
			h.want("GET", "/hits", 200, "{\"counter\":1}\n")
		})
	}
}

// TestTwinsAgree sends the same requests to the three guests and compares
// the encoded responses byte for byte.
func TestTwinsAgree(t *testing.T) {
	requests := []struct{ method, target string }{
		{"GET", "/a/b"}, {"GET", "/a/b?amount=41"}, {"GET", "/"}, {"GET", "/x?amount=-7"},
		{"GET", "/x?amount=nope"}, {"POST", "/a/b"}, {"GET", "/big?amount=9223372036854775807"},
		{"GET", "/big"},
	}
	var first [][]byte
	for i, g := range guests {
		h := load(t, g.path(t), openBucket(t))
		for j, r := range requests {
			resp, out := h.do(r.method, r.target)
			if i == 0 {
				first = append(first, out)
				continue
			}
			if !bytes.Equal(out, first[j]) {
				t.Errorf("%s %s: %s answered %d %q, %s %q", r.method, r.target, g.name, resp.Status, resp.Body, guests[0].name, first[j])
			}
		}
	}
}

// FuzzTwins sends the same request to the three guests (each over its own
// bucket, so their counters stay equal) and checks that they answer the
// same bytes: a well-formed response with one of the statuses of the
// README and a JSON body.
func FuzzTwins(f *testing.F) {
	for _, seed := range [][3]string{
		{"GET", "/hits", ""},
		{"GET", "/hits", "amount=2"},
		{"GET", "/a//b/", "amount=-9223372036854775808"},
		{"GET", "/", "x=%zz&amount=%2B7&amount=1"},
		{"POST", "/hits", "amount=1"},
		{"GET", "/big", "amount=9223372036854775807"},
		{"GET", "/\"\x00\xff", "amount=\"%0A"},
		// The Go build turns a plain path's slashes into ':' eight bytes at
		// a time and takes another loop for others: both ways must agree.
		{"GET", "/abcdefg/h", "amount=3"},
		{"GET", "/abcdef//g", "amount=07"},
		{"GET", "/" + strings.Repeat("segment/", 8) + "end", "amount=1"},
		{"GET", "/a/b/c/d/e/f/g/h/i/j", "amount=+5"},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	var hs []*handler
	for _, g := range guests {
		hs = append(hs, load(f, g.path(f), openBucket(f)))
	}
	f.Fuzz(func(t *testing.T, method, path, query string) {
		req := httpwire.Request{Method: method, Path: path, Query: query}
		in, err := req.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var first []byte
		for i, h := range hs {
			out, err := h.raw(in)
			if err != nil {
				t.Fatalf("%s: %q %q %q: %v", guests[i].name, method, path, query, err)
			}
			if i == 0 {
				first = out
				var resp httpwire.Response
				if err := resp.UnmarshalBinary(out); err != nil {
					t.Fatalf("%s: undecodable response %q: %v", guests[i].name, out, err)
				}
				switch resp.Status {
				case 200, 400, 405, 500:
				default:
					t.Fatalf("status %d", resp.Status)
				}
				if !json.Valid(resp.Body) {
					t.Fatalf("body %q is not JSON", resp.Body)
				}
				continue
			}
			if !bytes.Equal(out, first) {
				t.Fatalf("%q %q %q: %s answered %q, %s %q", method, path, query, guests[i].name, out, guests[0].name, first)
			}
		}
	})
}

// FuzzDecode sends arbitrary bytes as the request: a guest must answer
// what httpwire's own decoder accepts with a response, and refuse the rest
// with a plugin error (the host's 500), never trap.
func FuzzDecode(f *testing.F) {
	for _, target := range []string{"/hits", "/a/b?amount=3", "/x?amount=zz"} {
		path, query, _ := strings.Cut(target, "?")
		in, _ := (&httpwire.Request{Method: "GET", Path: path, Query: query, Header: []httpwire.Field{{Name: "Host", Value: "h"}}, Body: []byte("b")}).MarshalBinary()
		f.Add(in)
	}
	f.Add([]byte{1, 3, 'G', 'E', 'T', 1, '/', 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01})
	f.Add([]byte{1, 3, 'G', 'E', 'T', 1, '/', 0, 1, 1, 'a', 1, 'b', 0, 'x'})
	f.Add([]byte{1, 0x83, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02, 'G', 'E', 'T', 1, '/', 0, 0, 0}) // 3 + 2<<63
	var hs []*handler
	for _, g := range guests {
		hs = append(hs, load(f, g.path(f), openBucket(f)))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var req httpwire.Request
		valid := req.UnmarshalBinary(in) == nil
		for i, h := range hs {
			out, err := h.raw(in)
			var perr *extism.PluginError
			switch {
			case valid && err != nil:
				t.Fatalf("%s refused a valid request %q: %v", guests[i].name, in, err)
			case !valid && !errors.As(err, &perr):
				t.Fatalf("%s: malformed request %q: output %q, error %v; want a plugin error", guests[i].name, in, out, err)
			}
		}
	})
}

// TestCommittedGoBuildIsCurrent checks that kvcounter.wasm, the build the
// app manifest runs, is what its sources build to today: a change to
// go/main.go or to the Go PDK must come with `bash build.sh`.
func TestCommittedGoBuildIsCurrent(t *testing.T) {
	fresh, err := os.ReadFile(goGuest(t))
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile("kvcounter.wasm")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fresh, committed) {
		t.Fatalf("examples/kvcounter/kvcounter.wasm (%d bytes) is not what go/ builds to now (%d bytes): run examples/kvcounter/build.sh and commit it", len(committed), len(fresh))
	}
}
