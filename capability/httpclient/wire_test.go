package httpclient

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/internal/capwire"
)

// encodeRequest is the guest's side of decodeRequest (pdk/httpclient does
// the same), for the tests.
func encodeRequest(method, url string, ms uint32, hdr [][2]string, body []byte) []byte {
	b := capwire.AppendString(nil, method)
	b = capwire.AppendString(b, url)
	b = capwire.AppendU32(b, ms)
	b = capwire.AppendU32(b, uint32(len(hdr)))
	for _, h := range hdr {
		b = capwire.AppendString(b, h[0])
		b = capwire.AppendString(b, h[1])
	}
	return append(b, body...)
}

func TestDecodeRequest(t *testing.T) {
	b := encodeRequest("POST", "http://x/", 250, [][2]string{{"a", "1"}, {"b", "2"}, {"a", "3"}}, []byte("body"))
	req, err := decodeRequest(b)
	if err != nil || req.Method != "POST" || req.URL != "http://x/" || req.Timeout != 250*time.Millisecond ||
		len(req.Header["a"]) != 2 || req.Header["a"][1] != "3" || req.Header["b"][0] != "2" || string(req.Body) != "body" {
		t.Fatalf("decodeRequest = %+v, %v", req, err)
	}
	for _, bad := range [][]byte{nil, b[:3], b[:14], capwire.AppendU32(encodeRequest("G", "u", 0, nil, nil)[:13], 1000)} {
		if _, err := decodeRequest(bad); err == nil {
			t.Errorf("decodeRequest(%v) succeeded", bad)
		}
	}
}

func TestEncodeResponse(t *testing.T) {
	b := encodeResponse(nil, &Response{Status: 404, Header: http.Header{"X-B": {"2"}, "Content-Type": {"text/plain"}, "X-A": {"1", "3"}}, Body: []byte("nope")})
	r := capwire.NewReader(b)
	if r.U32() != 404 {
		t.Fatal("status")
	}
	var got [][2]string
	for n := r.Count(8); n > 0; n-- {
		got = append(got, [2]string{r.String(), r.String()})
	}
	want := [][2]string{{"content-type", "text/plain"}, {"x-a", "1"}, {"x-a", "3"}, {"x-b", "2"}}
	if r.Err() != nil || len(got) != len(want) || string(r.Rest()) != "nope" {
		t.Fatalf("encodeResponse headers = %v, body %q, err %v", got, r.Rest(), r.Err())
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("header %d = %v, want %v", i, got[i], want[i])
		}
	}
}

func FuzzDecodeRequest(f *testing.F) {
	f.Add(encodeRequest("GET", "https://api.example.com/x", 0, nil, nil))
	f.Add(encodeRequest("POST", "http://127.0.0.1/", 1000, [][2]string{{"content-type", "application/json"}}, []byte(`{"a":1}`)))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := decodeRequest(b)
		if err != nil {
			return
		}
		// Re-encoding what was decoded gives back a block that decodes the same.
		var hdr [][2]string
		for k, vs := range req.Header {
			for _, v := range vs {
				hdr = append(hdr, [2]string{k, v})
			}
		}
		again, err := decodeRequest(encodeRequest(req.Method, req.URL, uint32(req.Timeout/time.Millisecond), hdr, req.Body))
		if err != nil || again.Method != req.Method || again.URL != req.URL || again.Timeout != req.Timeout ||
			!bytes.Equal(again.Body, req.Body) || len(again.Header) != len(req.Header) {
			t.Fatalf("round trip of %+v = %+v, %v", req, again, err)
		}
	})
}
