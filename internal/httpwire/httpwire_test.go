package httpwire_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive/internal/httpwire"
)

func sampleRequest() *httpwire.Request {
	return &httpwire.Request{
		Method: "POST",
		Path:   "/items/a b",
		Query:  "x=1&y=%20",
		Header: []httpwire.Field{{"Host", "example.com"}, {"Accept", "a"}, {"Accept", "b"}},
		Body:   bytes.Repeat([]byte("body"), 100),
	}
}

func TestRequestRoundTrip(t *testing.T) {
	for _, in := range []*httpwire.Request{sampleRequest(), {Method: "GET", Path: "/"}} {
		b, err := in.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != in.Size() {
			t.Fatalf("encoded %d bytes, Size says %d", len(b), in.Size())
		}
		var out httpwire.Request
		if err := out.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		if len(in.Body) == 0 && len(out.Body) == 0 {
			out.Body = in.Body
		}
		if !reflect.DeepEqual(in, &out) {
			t.Fatalf("round trip: got %+v, want %+v", out, in)
		}
	}
}

func TestResponseRoundTrip(t *testing.T) {
	in := &httpwire.Response{Status: 201, Header: []httpwire.Field{{"Content-Type", "text/plain"}}, Body: []byte("created")}
	b, err := in.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var out httpwire.Response
	if err := out.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, &out) {
		t.Fatalf("round trip: got %+v, want %+v", out, in)
	}
}

// TestEncodingIsTheDocumentedOne pins the byte layout of docs/http-wire-format.md.
func TestDecodeAliases(t *testing.T) {
	b, _ := sampleRequest().MarshalBinary()
	var r httpwire.Request
	if err := r.Decode(b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&r, sampleRequest()) {
		t.Fatalf("Decode: %+v", r)
	}
	var resp httpwire.Response
	rb, _ := (&httpwire.Response{Status: 200, Header: []httpwire.Field{{Name: "A", Value: "b"}}, Body: []byte("x")}).MarshalBinary()
	if err := resp.Decode(rb); err != nil || resp.Header[0].Value != "b" || string(resp.Body) != "x" {
		t.Fatalf("Response.Decode: %+v %v", resp, err)
	}
}

func TestEncodingIsTheDocumentedOne(t *testing.T) {
	req := &httpwire.Request{Method: "GET", Path: "/hi", Query: "a=1", Header: []httpwire.Field{{"Host", "x"}}, Body: []byte("!")}
	b, _ := req.MarshalBinary()
	want := []byte{1, 3, 'G', 'E', 'T', 3, '/', 'h', 'i', 3, 'a', '=', '1', 1, 4, 'H', 'o', 's', 't', 1, 'x', 1, '!'}
	if !bytes.Equal(b, want) {
		t.Fatalf("request encodes as % x, want % x", b, want)
	}
	resp := &httpwire.Response{Status: 404, Body: bytes.Repeat([]byte{'z'}, 200)}
	b, _ = resp.MarshalBinary()
	want = append([]byte{1, 0x94, 0x03, 0, 0xc8, 0x01}, resp.Body...)
	if !bytes.Equal(b, want) {
		t.Fatalf("response encodes as % x, want % x", b, want)
	}
}

func TestDecodeErrors(t *testing.T) {
	good, _ := sampleRequest().MarshalBinary()
	cases := map[string][]byte{
		"empty":          {},
		"version":        append([]byte{2}, good[1:]...),
		"trailing":       append(append([]byte{}, good...), 0),
		"huge count":     {1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f, 0},
		"long string":    {1, 0x7f, 'G'},
		"varint overrun": {1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
	}
	for i := 1; i < len(good); i += 37 {
		cases[fmt.Sprintf("truncated at %d", i)] = good[:i]
	}
	for name, b := range cases {
		var r httpwire.Request
		err := r.UnmarshalBinary(b)
		var fe *httpwire.FormatError
		if !errors.Is(err, httpwire.ErrFormat) || !errors.As(err, &fe) {
			t.Errorf("%s: err = %v, want a *FormatError", name, err)
		}
	}
	var resp httpwire.Response
	if err := resp.UnmarshalBinary([]byte{1, 42, 0, 0}); !errors.Is(err, httpwire.ErrFormat) || !strings.Contains(err.Error(), "status 42") {
		t.Errorf("status 42: err = %v", err)
	}
	if _, err := (&httpwire.Response{Status: 1000}).MarshalBinary(); err == nil {
		t.Error("encoding status 1000 did not fail")
	}
}

func FuzzRequest(f *testing.F) {
	good, _ := sampleRequest().MarshalBinary()
	f.Add(good)
	f.Add([]byte{1, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var r, aliased httpwire.Request
		err := r.UnmarshalBinary(b)
		if aerr := aliased.Decode(b); (aerr == nil) != (err == nil) || !reflect.DeepEqual(r, aliased) {
			t.Fatalf("Decode and UnmarshalBinary disagree: %v / %v, %+v / %+v", err, aerr, r, aliased)
		}
		if err != nil {
			return
		}
		again, err := r.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var r2 httpwire.Request
		if err := r2.UnmarshalBinary(again); err != nil {
			t.Fatalf("re-encoded message does not decode: %v", err)
		}
		if len(r.Body) == 0 {
			r.Body = nil
		}
		if len(r2.Body) == 0 {
			r2.Body = nil
		}
		if !reflect.DeepEqual(r, r2) {
			t.Fatalf("decode+encode+decode changed the request: %+v -> %+v", r, r2)
		}
	})
}

func ExampleRequest() {
	req := httpwire.Request{Method: "GET", Path: "/hello", Query: "name=wasm", Header: []httpwire.Field{{"Host", "localhost"}}}
	b, _ := req.MarshalBinary()
	var back httpwire.Request
	if err := back.UnmarshalBinary(b); err != nil {
		panic(err)
	}
	fmt.Println(len(b), back.Method, back.Path, back.Query, back.Header[0].Value)
	// Output: 39 GET /hello name=wasm localhost
}

// TestDecodeShapes checks Decode (whose fast path takes messages whose
// strings and header count fit one-byte lengths) against UnmarshalBinary
// (the general decoder) on both sides of every one-byte limit.
func TestDecodeShapes(t *testing.T) {
	long := strings.Repeat("x", 200)
	var many []httpwire.Field
	for i := range 130 {
		many = append(many, httpwire.Field{Name: "X-N", Value: fmt.Sprint(i)})
	}
	reqs := []*httpwire.Request{
		{Method: "GET", Path: "/", Body: []byte{}},
		{Method: "GET", Path: "/", Query: "q", Header: []httpwire.Field{{"Host", "h"}, {"A", ""}}, Body: []byte("b")},
		{Method: long, Path: "/", Body: []byte{}},
		{Method: "GET", Path: long, Body: []byte{}},
		{Method: "GET", Path: "/", Query: long, Body: []byte{}},
		{Method: "GET", Path: "/", Header: []httpwire.Field{{long, "v"}}, Body: []byte{}},
		{Method: "GET", Path: "/", Header: []httpwire.Field{{"N", long}}, Body: []byte{}},
		{Method: "GET", Path: "/", Header: many, Body: []byte{}},
		{Method: "POST", Path: "/", Body: []byte(long)},
		{Method: "POST", Path: "/", Body: bytes.Repeat([]byte("y"), 1<<15)},
	}
	for i, in := range reqs {
		b, err := in.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var fast, general httpwire.Request
		if err := fast.Decode(b); err != nil {
			t.Fatalf("%d: Decode: %v", i, err)
		}
		if err := general.UnmarshalBinary(b); err != nil {
			t.Fatalf("%d: UnmarshalBinary: %v", i, err)
		}
		if !reflect.DeepEqual(fast, general) || !reflect.DeepEqual(&fast, in) {
			t.Fatalf("%d: Decode %+v, UnmarshalBinary %+v, want %+v", i, fast, general, in)
		}
		// Every truncation is an error for both, and a reused Request
		// decodes the next message whole.
		for n := range len(b) {
			if err := fast.Decode(b[:n]); !errors.Is(err, httpwire.ErrFormat) {
				t.Fatalf("%d: Decode of %d of %d bytes: %v", i, n, len(b), err)
			}
		}
	}
}

func BenchmarkRequestDecode(b *testing.B) {
	in, _ := (&httpwire.Request{Method: "GET", Path: "/", Header: []httpwire.Field{{"Host", "127.0.0.1:8080"}, {"User-Agent", "bench"}, {"Accept", "*/*"}}}).MarshalBinary()
	var r httpwire.Request
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Decode(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkResponseAppend(b *testing.B) {
	resp := &httpwire.Response{Status: 200, Header: []httpwire.Field{{"Content-Type", "text/plain"}}, Body: []byte("hello, world\n")}
	var out []byte
	b.ReportAllocs()
	for b.Loop() {
		out, _ = resp.AppendBinary(out[:0])
	}
}

// TestResponseAppend checks AppendBinary (whose fast path takes lengths and
// counts below 16 KiB) against a plain uvarint encoder, on both sides of
// the one- and two-byte limits and after a prefix.
func TestResponseAppend(t *testing.T) {
	var many []httpwire.Field
	for range 1<<14 + 1 {
		many = append(many, httpwire.Field{Name: "A", Value: "b"})
	}
	resps := []*httpwire.Response{
		{Status: 200},
		{Status: 999, Header: []httpwire.Field{{"A", strings.Repeat("v", 300)}}, Body: bytes.Repeat([]byte("b"), 1000)},
		{Status: 100, Header: []httpwire.Field{{strings.Repeat("n", 127), strings.Repeat("v", 128)}, {"", ""}}, Body: bytes.Repeat([]byte("b"), 127)},
		{Status: 404, Header: []httpwire.Field{{"A", strings.Repeat("v", 1<<14)}, {"B", "c"}}, Body: bytes.Repeat([]byte("b"), 1<<14-1)},
		{Status: 500, Header: many[:1<<14-1], Body: bytes.Repeat([]byte("b"), 1<<20)},
		{Status: 503, Header: many},
	}
	for i, resp := range resps {
		want := []byte{1}
		want = binary.AppendUvarint(want, uint64(resp.Status))
		want = binary.AppendUvarint(want, uint64(len(resp.Header)))
		for _, f := range resp.Header {
			want = append(binary.AppendUvarint(want, uint64(len(f.Name))), f.Name...)
			want = append(binary.AppendUvarint(want, uint64(len(f.Value))), f.Value...)
		}
		want = append(binary.AppendUvarint(want, uint64(len(resp.Body))), resp.Body...)
		if len(want) != resp.Size() {
			t.Fatalf("%d: Size() = %d, want %d", i, resp.Size(), len(want))
		}
		for _, prefix := range [][]byte{nil, []byte("pre"), make([]byte, 3, 40), make([]byte, 3, 1<<21)} {
			got, err := resp.AppendBinary(prefix)
			if err != nil || !bytes.Equal(got[:len(prefix)], prefix) || !bytes.Equal(got[len(prefix):], want) {
				t.Fatalf("%d: AppendBinary(%d bytes, cap %d) = %d bytes, %v; want %d", i, len(prefix), cap(prefix), len(got)-len(prefix), err, len(want))
			}
		}
	}
}
