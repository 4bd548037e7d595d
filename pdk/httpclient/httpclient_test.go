package httpclient

import (
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/internal/capwire"
)

func TestEncodeRequest(t *testing.T) {
	b := encodeRequest(Request{URL: "http://x/", Header: Header{"b": {"2"}, "a": {"1", "3"}}, Body: []byte("body"), Timeout: 1500 * time.Microsecond})
	r := capwire.NewReader(b)
	if m, u, ms := r.String(), r.String(), r.U32(); m != "GET" || u != "http://x/" || ms != 2 {
		t.Fatalf("method, URL, timeout = %q, %q, %d; want GET, the URL, 2 (rounded up)", m, u, ms)
	}
	var got []string
	for n := r.Count(8); n > 0; n-- {
		got = append(got, r.String()+"="+r.String())
	}
	if r.Err() != nil || len(got) != 3 || got[0] != "a=1" || got[1] != "a=3" || got[2] != "b=2" || string(r.Rest()) != "body" {
		t.Fatalf("headers %q, body %q, err %v", got, r.Rest(), r.Err())
	}
}

func TestDecodeResponse(t *testing.T) {
	p := capwire.AppendU32(nil, 404)
	p = capwire.AppendU32(p, 2)
	for _, s := range []string{"x-a", "1", "x-a", "2"} {
		p = capwire.AppendString(p, s)
	}
	p = append(p, "gone"...)
	resp, err := decodeResponse(p)
	if err != nil || resp.Status != 404 || resp.Header.Get("X-A") != "1" || len(resp.Header.Values("x-a")) != 2 || string(resp.Body) != "gone" {
		t.Fatalf("decodeResponse = %+v, %v", resp, err)
	}
	if _, err := decodeResponse(p[:10]); err == nil {
		t.Fatal("decodeResponse of a truncated block succeeded")
	}
}

func TestHeader(t *testing.T) {
	h := Header{}
	h.Set("Content-Type", "text/plain")
	h.Add("X-Multi", "a")
	h.Add("x-multi", "b")
	if h.Get("content-type") != "text/plain" || len(h.Values("X-MULTI")) != 2 || h.Get("missing") != "" {
		t.Fatalf("header = %v", h)
	}
	h.Del("CONTENT-TYPE")
	if _, ok := h["content-type"]; ok {
		t.Fatal("Del left the header")
	}
}
