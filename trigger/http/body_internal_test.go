package httptrigger

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"testing"
	"testing/iotest"
	"time"

	"github.com/wasmhive/wasmhive/internal/httpwire"
)

// FuzzReadBody: whatever the request and however its body arrives (with a
// length or chunked, in pieces of any size), the body read into the
// handler convention's buffer makes the httpwire request an encoder makes
// of the whole request, or the WAGI script's stdin; a body over the limit
// is a 413; the memory reserved covers the body and is all given back. The
// seed corpus is testdata/fuzz/FuzzReadBody.
func FuzzReadBody(f *testing.F) {
	f.Add("POST", "/a b", "x=1", "X-Name", "v", []byte("hello"), uint16(1), false, uint32(100))
	f.Add("PUT", "/", "", "A", "", []byte("0123456789abcdef"), uint16(5000), true, uint32(1<<20))
	f.Add("POST", "/p", "q", "B", "w", []byte("z"), uint16(300), true, uint32(299))
	f.Fuzz(func(t *testing.T, method, path, query, name, value string, seed []byte, repeat uint16, chunked bool, limit uint32) {
		if len(seed)*int(repeat) > 1<<20 {
			repeat = uint16((1 << 20) / len(seed))
		}
		body := bytes.Repeat(seed, int(repeat))
		tr := &Trigger{cfg: Config{Timeout: time.Second}}
		tr.mem.max = 1 << 40
		for _, handler := range []bool{true, false} {
			r := &http.Request{
				Method: method, URL: &url.URL{Path: path, RawQuery: query}, Host: "host",
				Header:        http.Header{name: {value}},
				Body:          io.NopCloser(iotest.HalfReader(bytes.NewReader(body))),
				ContentLength: int64(len(body)),
			}
			if chunked {
				r.ContentLength = -1
			}
			if len(body) == 0 && !chunked {
				continue // no body to read: the trigger does not call readBody
			}
			hb := new(handlerBuf)
			var buf []byte
			room := 0
			if handler {
				buf = hb.head(nil, r)
				room = 10
			}
			head := len(buf)
			out, n, reserved, err := tr.readBody(r, buf, room, int64(limit))
			if reserved < n || tr.mem.used.Load() != reserved {
				t.Fatalf("reserved %d for a body of %d; %d in use", reserved, n, tr.mem.used.Load())
			}
			tr.mem.release(reserved)
			if tr.mem.used.Load() != 0 {
				t.Fatalf("%d bytes still in use after the release", tr.mem.used.Load())
			}
			if int64(len(body)) > int64(limit) {
				var se *statusError
				if !errors.As(err, &se) || se.status != http.StatusRequestEntityTooLarge {
					t.Fatalf("a body of %d bytes over a limit of %d: %v", len(body), limit, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("a body of %d bytes (limit %d): %v", len(body), limit, err)
			}
			if n != int64(len(body)) {
				t.Fatalf("read %d bytes of %d", n, len(body))
			}
			if !handler {
				if got := out[:n]; !bytes.Equal(got, body) {
					t.Fatalf("stdin %q, want %q", got, body)
				}
				continue
			}
			enc := encodeBody(out, head, n)
			var want httpwire.Request
			want.Method, want.Path, want.Query, want.Body = method, path, query, body
			want.Header = []httpwire.Field{{Name: "Host", Value: "host"}, {Name: name, Value: value}}
			wantEnc, _ := want.MarshalBinary()
			if !bytes.Equal(enc, wantEnc) {
				t.Fatalf("encoded request\n%q\nwant\n%q", enc, wantEnc)
			}
		}
	})
}
