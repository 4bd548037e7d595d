package pdkcompat

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/engine"
)

// step is one call and what it must give, on every host.
type step struct {
	fn      string
	in      string
	want    string // expected output when wantErr is empty
	wantErr string // substring of the expected error message
	wantRC  uint32 // expected return code when failing (0: any non-zero)
}

// runSteps runs steps in order on one fresh instance per host and checks
// every result against the expectation (so both hosts agree with it, and
// with each other).
func runSteps(t *testing.T, wasm string, o options, steps []step) {
	t.Helper()
	for _, kind := range hostKinds {
		t.Run(string(kind), func(t *testing.T) {
			h := open(t, kind, wasm, o)
			for i, s := range steps {
				out, rc, err := h.Call(s.fn, []byte(s.in))
				if s.wantErr != "" || s.wantRC != 0 {
					if err == nil {
						t.Fatalf("step %d %s(%q): got output %q, want error %q", i, s.fn, s.in, out, s.wantErr)
					}
					if !strings.Contains(err.Error(), s.wantErr) {
						t.Fatalf("step %d %s(%q): error %q, want it to contain %q", i, s.fn, s.in, err, s.wantErr)
					}
					if s.wantRC != 0 && rc != s.wantRC {
						t.Fatalf("step %d %s(%q): return code %d, want %d", i, s.fn, s.in, rc, s.wantRC)
					}
					continue
				}
				if err != nil {
					t.Fatalf("step %d %s(%q): %v", i, s.fn, s.in, err)
				}
				if string(out) != s.want {
					t.Fatalf("step %d %s(%q) = %q, want %q", i, s.fn, s.in, out, s.want)
				}
			}
		})
	}
}

func TestCountVowels(t *testing.T) {
	wasm := plugin(t, "count_vowels")
	runSteps(t, wasm, options{}, []step{
		{fn: "count_vowels", in: "hello world", want: `{"count":3,"total":3,"vowels":"aeiouAEIOU"}`},
		{fn: "count_vowels", in: "Once upon a time", want: `{"count":7,"total":10,"vowels":"aeiouAEIOU"}`},
		{fn: "count_vowels", in: "", want: `{"count":0,"total":10,"vowels":"aeiouAEIOU"}`},
	})
	t.Run("config", func(t *testing.T) {
		runSteps(t, wasm, options{Config: map[string]string{"vowels": "o"}}, []step{
			{fn: "count_vowels", in: "hello world", want: `{"count":2,"total":2,"vowels":"o"}`},
		})
		runSteps(t, wasm, options{Config: map[string]string{"vowels": "\"é\x01"}}, []step{
			{fn: "count_vowels", in: "a\"b", want: `{"count":1,"total":1,"vowels":"\"é\u0001"}`},
		})
	})
}

// TestCountVowelsMatchesExtism checks that our count_vowels gives the output
// of the count_vowels plugin Extism ships (built with Extism's Rust PDK), on
// both hosts.
func TestCountVowelsMatchesExtism(t *testing.T) {
	ours, theirs := plugin(t, "count_vowels"), extismPrebuilt(t, "count_vowels.wasm")
	inputs := []string{"hello world", "AEIOU aeiou xyz", "", strings.Repeat("banana ", 1000)}
	for _, kind := range hostKinds {
		t.Run(string(kind), func(t *testing.T) {
			a, b := open(t, kind, ours, options{}), open(t, kind, theirs, options{})
			for _, in := range inputs {
				x, _, err := a.Call("count_vowels", []byte(in))
				if err != nil {
					t.Fatal(err)
				}
				y, _, err := b.Call("count_vowels", []byte(in))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(x, y) {
					t.Fatalf("count_vowels(%.20q): ours %s, Extism's %s", in, x, y)
				}
			}
		})
	}
}

// echoSizes covers the copy paths: empty, shorter than a word, word
// multiples, odd tails, and more than a page.
var echoSizes = []int{0, 1, 7, 8, 9, 15, 16, 17, 1000, 4096, 65536 + 3, 1 << 20}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		t.Fatal(err)
	}
	return b
}

func testEcho(t *testing.T, wasm string, kinds []hostKind) {
	for _, kind := range kinds {
		t.Run(string(kind), func(t *testing.T) {
			h := open(t, kind, wasm, options{})
			for _, n := range echoSizes {
				in := randomBytes(t, n)
				for _, fn := range []string{"echo", "echo_reuse", "memory_roundtrip"} {
					out, _, err := h.Call(fn, in)
					if err != nil {
						t.Fatalf("%s(%d bytes): %v", fn, n, err)
					}
					if !bytes.Equal(out, in) {
						t.Fatalf("%s(%d bytes): got %d bytes, not the input", fn, n, len(out))
					}
				}
				out, _, err := h.Call("length", in)
				if err != nil || string(out) != fmt.Sprint(n) {
					t.Fatalf("length(%d bytes) = %q, %v", n, out, err)
				}
			}
			if out, _, err := h.Call("noop", []byte("x")); err != nil || len(out) != 0 {
				t.Fatalf("noop = %q, %v; want no output", out, err)
			}
		})
	}
}

func TestEcho(t *testing.T) { testEcho(t, plugin(t, "echo"), hostKinds) }

// TestEchoBulk runs the bulk-copy build: it must give the same results on
// wasmhive, and only wasmhive can load it.
func TestEchoBulk(t *testing.T) {
	wasm := bulkPlugin(t, "echo")
	testEcho(t, wasm, []hostKind{onWasmhive})
	if _, err := openExtism(wasm, options{}); err == nil {
		t.Fatal("the Extism Go SDK loaded a plugin importing wasmhive:host/bulk; want an error")
	} else if !strings.Contains(err.Error(), "wasmhive:host/bulk") {
		t.Fatalf("Extism Go SDK error %q does not name the missing module", err)
	}
}

func TestConfig(t *testing.T) {
	runSteps(t, plugin(t, "config"), options{Config: map[string]string{"greeting": "hej", "unicode": "κόσμε"}}, []step{
		{fn: "get_config", in: "greeting", want: "hej"},
		{fn: "get_config", in: "unicode", want: "κόσμε"},
		{fn: "get_config", in: "missing", wantErr: `config key "missing" is not set`, wantRC: 1},
	})
}

func TestVars(t *testing.T) {
	big := strings.Repeat("v", 5000)
	runSteps(t, plugin(t, "vars"), options{}, []step{
		{fn: "counter", want: "1"},
		{fn: "counter", want: "2"},
		{fn: "counter", want: "3"},
		{fn: "get_var", in: "name", want: "<unset>"},
		{fn: "set_var", in: `{"key":"name","value":"Ada"}`, want: ""},
		{fn: "get_var", in: "name", want: "Ada"},
		{fn: "set_var", in: `{"key":"big","value":"` + big + `"}`, want: ""},
		{fn: "get_var", in: "big", want: big},
		{fn: "remove_var", in: "name", want: ""},
		{fn: "get_var", in: "name", want: "<unset>"},
		{fn: "set_var", in: `{"key":"big","value":""}`, want: ""},
		{fn: "get_var", in: "big", want: "<unset>"},
		{fn: "counter", want: "4"},
		{fn: "set_var", in: `not json`, wantErr: "decode input", wantRC: 1},
	})
}

func TestLogging(t *testing.T) {
	wasm := plugin(t, "logging")
	want := []logLine{
		{"trace", "trace: hi"}, {"debug", "debug: hi"}, {"info", "info: hi"}, {"warn", "warn: hi"}, {"error", "error: hi"},
	}
	for _, kind := range hostKinds {
		t.Run(string(kind), func(t *testing.T) {
			var logs []logLine
			h := open(t, kind, wasm, options{Logs: &logs})
			out, _, err := h.Call("log_all", []byte("hi"))
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != "trace" {
				t.Errorf("get_log_level = %q, want trace", out)
			}
			// The Extism SDK adds its own debug/trace lines; keep the plugin's.
			var got []logLine
			for _, l := range logs {
				if strings.HasSuffix(l.Msg, ": hi") {
					got = append(got, l)
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("logged %v, want %v", got, want)
			}
		})
	}
}

func TestJSON(t *testing.T) {
	runSteps(t, plugin(t, "json"), options{}, []step{
		{fn: "greet", in: `{"name":"Ada","langs":["go","c","go"]}`, want: `{"greeting":"Hello, Ada!","chars":3,"langs":{"c":1,"go":2}}`},
		{fn: "greet", in: `{"name":"Ωmega"}`, want: `{"greeting":"Hello, Ωmega!","chars":5,"langs":{}}`},
		{fn: "greet", in: `{"name":" "}`, wantErr: "name is required", wantRC: 1},
		{fn: "greet", in: `{"name":`, wantErr: "decode input", wantRC: 1},
	})
}

func TestErrors(t *testing.T) {
	runSteps(t, plugin(t, "errors"), options{}, []step{
		{fn: "fail", in: "boom: disk on fire", wantErr: "boom: disk on fire", wantRC: 1},
		{fn: "fail_code", wantErr: "fail_code returned 7", wantRC: 7},
		{fn: "output_then_fail", wantErr: "failed after output", wantRC: 1},
	})
	// A Go panic aborts with an unreachable trap; both hosts report it and
	// serve the next call.
	for _, kind := range hostKinds {
		t.Run(string(kind)+"/trap", func(t *testing.T) {
			h := open(t, kind, plugin(t, "errors"), options{})
			out, _, err := h.Call("trap", []byte("x"))
			if err == nil {
				t.Fatalf("trap returned %q and no error", out)
			}
			if !strings.Contains(err.Error(), "unreachable") {
				t.Errorf("error %q does not report the trap", err)
			}
			var trap *engine.TrapError
			if kind == onWasmhive && !errors.As(err, &trap) {
				t.Errorf("error %T, want *engine.TrapError", err)
			}
			if _, _, err := h.Call("fail", []byte("next call")); err == nil || err.Error() != "next call" {
				t.Fatalf("call after the trap: %v, want the plugin's error %q", err, "next call")
			}
		})
	}
}

func TestHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Echo-Method", r.Method)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "%s %s token=%s body=%s", r.Method, r.URL.Path, r.Header.Get("X-Token"), body)
	}))
	defer srv.Close()
	wasm := plugin(t, "http")
	req := func(method, path, body string) string {
		b, _ := json.Marshal(map[string]any{"method": method, "url": srv.URL + path, "headers": map[string]string{"X-Token": "t0k"}, "body": body})
		return string(b)
	}
	runSteps(t, wasm, options{AllowedHosts: []string{"127.0.0.1"}}, []step{
		{fn: "fetch", in: req("POST", "/a", "payload"), want: `{"status":201,"body":"POST /a token=t0k body=payload"}`},
		{fn: "fetch", in: req("", "/b", ""), want: `{"status":201,"body":"GET /b token=t0k body="}`},
	})
	for _, kind := range hostKinds {
		t.Run(string(kind)+"/headers", func(t *testing.T) {
			h := open(t, kind, wasm, options{AllowedHosts: []string{"127.0.0.1"}})
			out, _, err := h.Call("fetch_headers", []byte(req("PUT", "/c", "x")))
			if err != nil {
				t.Fatal(err)
			}
			var resp struct {
				Status  int
				Headers map[string]string
				Body    string
			}
			if err := json.Unmarshal(out, &resp); err != nil {
				t.Fatalf("%s: %v", out, err)
			}
			if resp.Status != 201 || resp.Headers["x-echo-method"] != "PUT" || resp.Body != "PUT /c token=t0k body=x" {
				t.Fatalf("got %+v", resp)
			}
		})
		t.Run(string(kind)+"/denied", func(t *testing.T) {
			h := open(t, kind, wasm, options{AllowedHosts: []string{"example.com"}})
			out, _, err := h.Call("fetch", []byte(req("GET", "/", "")))
			if err == nil {
				t.Fatalf("request to a host not allowed succeeded: %s", out)
			}
			if kind == onWasmhive && !errors.Is(err, wasmhive.ErrHostNotAllowed) {
				t.Fatalf("error %v, want ErrHostNotAllowed", err)
			}
		})
	}
}
