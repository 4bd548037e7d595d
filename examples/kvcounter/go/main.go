// Command kvcounter is the kvcounter HTTP handler in Go, the one the app
// manifest runs; ../c/kvcounter.c and ../rust/kvcounter.rs are its twins
// (same responses, byte for byte; see ../README.md).
//
//	GET /a/b?amount=N  increments the key "counter:a:b" of the component's
//	                   bucket by N (default 1) and answers 200 {"counter":VALUE}
//
// A non-integer amount answers 400, a store failure 500, a method other than
// GET 405 (with Allow: GET); every body is JSON with a final newline. Build
// it with ../build.sh, or
//
//	GOOS=wasip1 GOARCH=wasm go build -trimpath -buildmode=c-shared -o kvcounter.wasm ./examples/kvcounter/go
package main

import (
	"strconv"
	"strings"

	pdkhttp "github.com/wasmhive/wasmhive/pdk/http"
	"github.com/wasmhive/wasmhive/pdk/keyvalue"
)

func init() { pdkhttp.Handle(serve) }

func main() {}

func serve(w pdkhttp.ResponseWriter, r *pdkhttp.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Method != "GET" {
		w.Header().Set("Allow", "GET")
		fail(w, 405, "method "+r.Method+" is not allowed; use GET")
		return
	}
	amount := int64(1)
	if v, ok := queryValue(r.Query, "amount"); ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			fail(w, 400, `amount must be an integer, got "`+v+`"`)
			return
		}
		amount = n
	}
	n, err := keyvalue.Increment(counterKey(r.Path), amount)
	if err != nil {
		fail(w, 500, err.Error())
		return
	}
	w.Write(strconv.AppendInt([]byte(`{"counter":`), n, 10))
	w.Write([]byte("}\n"))
}

// counterKey is "counter:" then the path's non-empty segments joined with
// ':' ("/" gives "counter:", "/a//b/" gives "counter:a:b").
func counterKey(path string) string {
	var b strings.Builder
	b.WriteString("counter:")
	first := true
	for _, seg := range strings.Split(path, "/") {
		if seg == "" {
			continue
		}
		if !first {
			b.WriteByte(':')
		}
		b.WriteString(seg)
		first = false
	}
	return b.String()
}

// fail answers status with {"error":msg}.
func fail(w pdkhttp.ResponseWriter, status int, msg string) {
	w.WriteHeader(status)
	b := []byte(`{"error":"`)
	b = appendEscaped(b, msg)
	w.Write(append(b, "\"}\n"...))
}

// appendEscaped appends s escaped for a JSON string: '"', '\\' and control
// characters; other bytes (UTF-8) as they are, as the twins do.
func appendEscaped(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			b = append(b, `\"`...)
		case c == '\\':
			b = append(b, `\\`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '\r':
			b = append(b, `\r`...)
		case c == '\t':
			b = append(b, `\t`...)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return b
}

// queryValue returns the first value of key in the raw query, decoded as
// pdkhttp.Request.QueryValue decodes it, and whether key is there at all
// ("amount=" is there, with an empty value).
func queryValue(query, key string) (string, bool) {
	for q := query; q != ""; {
		var pair string
		pair, q, _ = strings.Cut(q, "&")
		k, v, _ := strings.Cut(pair, "=")
		if unescape(k) == key {
			return unescape(v), true
		}
	}
	return "", false
}

// unescape decodes %XX escapes and '+' (a space), leaving malformed escapes
// as they are.
func unescape(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && unhex(s[i+1]) >= 0 && unhex(s[i+2]) >= 0:
			b = append(b, byte(unhex(s[i+1])<<4|unhex(s[i+2])))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
