package pdkhttp_test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/wasmhive/wasmhive/internal/httpwire"
	pdkhttp "github.com/wasmhive/wasmhive/pdk/http"
)

func serve(t *testing.T, h pdkhttp.HandlerFunc, req *httpwire.Request) *httpwire.Response {
	t.Helper()
	in, err := req.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	out, err := pdkhttp.Serve(h, in)
	if err != nil {
		t.Fatal(err)
	}
	var resp httpwire.Response
	if err := resp.UnmarshalBinary(out); err != nil {
		t.Fatal(err)
	}
	return &resp
}

func TestServe(t *testing.T) {
	req := &httpwire.Request{Method: "POST", Path: "/p", Query: "a=1&name=J%C3%BCrgen+X&empty=&a=2",
		Header: []httpwire.Field{{Name: "Host", Value: "h"}, {Name: "X-Two", Value: "1"}, {Name: "X-Two", Value: "2"}},
		Body:   []byte("body")}
	var got pdkhttp.Request
	resp := serve(t, func(w pdkhttp.ResponseWriter, r *pdkhttp.Request) {
		got = *r
		got.Body = append([]byte(nil), r.Body...)
		if r.QueryValue("name") != "Jürgen X" || r.QueryValue("a") != "1" || r.QueryValue("missing") != "" {
			t.Errorf("QueryValue: name=%q a=%q", r.QueryValue("name"), r.QueryValue("a"))
		}
		if r.Header.Get("x-two") != "1" || len(r.Header.Values("X-TWO")) != 2 {
			t.Errorf("Header: %v", r.Header)
		}
		w.Header().Set("content-type", "text/plain")
		w.Header().Add("X-Multi", "a")
		w.Header().Add("x-multi", "b")
		w.Header().Set("X-Gone", "1")
		w.Header().Del("x-gone")
		w.WriteHeader(202)
		w.WriteHeader(500) // ignored: the first status wins
		fmt.Fprintf(w, "%s %s", r.Method, r.Body)
	}, req)
	if got.Method != "POST" || got.Path != "/p" || string(got.Body) != "body" {
		t.Fatalf("request %+v", got)
	}
	want := []httpwire.Field{{Name: "Content-Type", Value: "text/plain"}, {Name: "X-Multi", Value: "a"}, {Name: "X-Multi", Value: "b"}}
	if resp.Status != 202 || string(resp.Body) != "POST body" || fmt.Sprint(resp.Header) != fmt.Sprint(want) {
		t.Fatalf("response %d %v %q", resp.Status, resp.Header, resp.Body)
	}
	// The next call starts from a clean writer.
	resp = serve(t, func(w pdkhttp.ResponseWriter, r *pdkhttp.Request) {}, &httpwire.Request{Method: "GET", Path: "/"})
	if resp.Status != 200 || len(resp.Header) != 0 || len(resp.Body) != 0 {
		t.Fatalf("second response %d %v %q", resp.Status, resp.Header, resp.Body)
	}
}

func TestServeRejectsMalformedInput(t *testing.T) {
	if _, err := pdkhttp.Serve(func(pdkhttp.ResponseWriter, *pdkhttp.Request) {}, []byte("junk")); err == nil {
		t.Fatal("Serve accepted malformed input")
	}
}

func TestCanonicalName(t *testing.T) {
	for in, want := range map[string]string{"content-type": "Content-Type", "X-ID": "X-Id", "Host": "Host", "a-b-c": "A-B-C"} {
		if got := pdkhttp.CanonicalName(in); got != want {
			t.Errorf("CanonicalName(%q) = %q, want %q", in, got, want)
		}
	}
}

// A handler module: register the handler in init; build with
// GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared.
func ExampleHandle() {
	pdkhttp.Handle(func(w pdkhttp.ResponseWriter, r *pdkhttp.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "hello, %s\n", r.QueryValue("name"))
	})
}

// Serve decodes requests in place: Request must keep httpwire.Request's
// layout, field for field.
func TestRequestLayout(t *testing.T) {
	var a pdkhttp.Request
	var b httpwire.Request
	ra, rb := reflect.TypeOf(a), reflect.TypeOf(b)
	if ra.Size() != rb.Size() || ra.NumField() != rb.NumField() {
		t.Fatalf("Request is %d bytes in %d fields, httpwire.Request %d in %d", ra.Size(), ra.NumField(), rb.Size(), rb.NumField())
	}
	for i := range ra.NumField() {
		fa, fb := ra.Field(i), rb.Field(i)
		if fa.Name != fb.Name || fa.Offset != fb.Offset || fa.Type.Kind() != fb.Type.Kind() || fa.Type.Size() != fb.Type.Size() ||
			(fa.Type.Kind() == reflect.Slice && fa.Type.Elem() != fb.Type.Elem()) {
			t.Errorf("field %d: %s %v at %d, httpwire has %s %v at %d", i, fa.Name, fa.Type, fa.Offset, fb.Name, fb.Type, fb.Offset)
		}
	}
}
