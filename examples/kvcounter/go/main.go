// Command kvcounter is the kvcounter HTTP handler in Go, the one the app
// manifest runs; ../c/kvcounter.c and ../rust/kvcounter.rs are its twins
// (same responses, byte for byte; see ../README.md).
//
//	GET /a/b?amount=N  increments the key "counter:a:b" of the component's
//	                   bucket by N (default 1) and answers 200 {"counter":VALUE}
//
// A non-integer amount answers 400, a store failure 500, a method other than
// GET 405 (with Allow: GET); every body is JSON with a final newline.
//
// The common request (a plain path, "amount=N" or no query) takes few
// branches and no allocation: in a guest run with wazero's interruption
// checks each taken branch and loop iteration costs a call into the host
// (docs/serve.md, "where the time goes"), so the key and the answer are
// built in buffers, the query and the path have fast paths, and every other
// request takes the plain code of the slow paths. Build it with
// ../build.sh, or
//
//	GOOS=wasip1 GOARCH=wasm go build -trimpath -buildmode=c-shared -o kvcounter.wasm ./examples/kvcounter/go
package main

import (
	"strconv"
	"strings"
	"unsafe"

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
	amount, ok := int64(1), true
	if r.Query != "" {
		amount, ok = queryAmount(r.Query)
	}
	if !ok {
		v, _ := queryValue(r.Query, "amount")
		fail(w, 400, `amount must be an integer, got "`+unescape(v)+`"`)
		return
	}
	var key [64]byte
	n, err := keyvalue.Increment(counterKey(&key, r.Path), amount)
	if err != nil {
		fail(w, 500, err.Error())
		return
	}
	w.Write(counterBody(n))
}

// counterBody returns {"counter":n} and a newline, in body.
func counterBody(n int64) []byte {
	const digits = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
	// Written backwards from the end of body, two digits per iteration.
	i := len(body) - 2
	body[i], body[i+1] = '}', '\n'
	u := uint64(n)
	if n < 0 {
		u = -u
	}
	for u >= 100 {
		d := u % 100 * 2
		u /= 100
		i -= 2
		body[i], body[i+1] = digits[d], digits[d+1]
	}
	d := u * 2
	i--
	body[i] = digits[d+1]
	if u >= 10 {
		i--
		body[i] = digits[d]
	}
	if n < 0 {
		i--
		body[i] = '-'
	}
	i -= len(`{"counter":`)
	copy(body[i:], `{"counter":`)
	return body[i:]
}

// body holds the success answer: a handler instance serves one request at
// a time, and pdkhttp copies what Write is given. A global, not a local, so
// that the answer costs no allocation (a guest pays dearly for each).
var body [48]byte

// queryAmount returns the amount the query asks for (1 when it has none)
// and whether it is an integer. A query starting with "amount=" then plain
// digits, the common case, takes one short loop over the digits; any other
// query is scanned pair by pair.
func queryAmount(q string) (int64, bool) {
	if len(q) < 8 || q[:7] != "amount=" {
		return queryAmountSlow(q)
	}
	n := int64(0)
	i := 7
	for ; i < len(q) && i < 7+18; i++ {
		d := q[i] - '0'
		if d > 9 {
			break
		}
		n = n*10 + int64(d)
	}
	if i == 7 || i < len(q) && q[i] != '&' {
		return queryAmountSlow(q)
	}
	return n, true
}

//go:noinline
func queryAmountSlow(q string) (int64, bool) {
	v, ok := queryValue(q, "amount")
	if !ok {
		return 1, true
	}
	return parseAmount(v)
}

// parseAmount parses the raw (still escaped) query value v as
// strconv.ParseInt parses its unescaped form. Plain digits, the common
// case, take one short loop; anything else is unescaped and parsed by
// strconv.
func parseAmount(v string) (int64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return parseAmountSlow(v)
	}
	n := int64(0)
	for i := 0; i < len(v); i++ {
		d := v[i] - '0'
		if d > 9 {
			return parseAmountSlow(v)
		}
		n = n*10 + int64(d)
	}
	return n, true
}

//go:noinline
func parseAmountSlow(v string) (int64, bool) {
	n, err := strconv.ParseInt(unescape(v), 10, 64)
	return n, err == nil
}

// counterKey returns "counter:" then the path's non-empty segments joined
// with ':' ("/" gives "counter:", "/a//b/" gives "counter:a:b"), built in
// buf. The key aliases buf, neither copied nor allocated: keyvalue.Increment
// does not keep it, and buf is not written again while the key is in use.
//
// A path "/seg/seg" without empty segments, the common case, is copied
// whole and its slashes turned into ':' eight bytes at a time: in a guest
// every loop iteration costs an interruption check of the host.
func counterKey(buf *[64]byte, path string) string {
	const prefix = "counter:"
	n := len(path) - 1 // the bytes after the leading '/'
	if n < 1 || n > len(buf)-len(prefix) || path[0] != '/' || path[n] == '/' {
		return counterKeySlow(buf, path)
	}
	copy(buf[:], prefix)
	copy(buf[len(prefix):], path[1:])
	const (
		ones    = 0x0101010101010101
		low7    = 0x7f * ones
		slashes = '/' * ones
	)
	prev := uint64(0x80) // the slash before: path[0]
	empty := uint64(0)   // slashes right after a slash: empty segments
	end := len(prefix) + n
	for i := len(prefix); i < end; i += 8 {
		p := (*uint64)(unsafe.Pointer(&buf[i]))
		w := *p
		t := w ^ slashes
		m := ^((t&low7 + low7) | t | low7) // 0x80 in each '/' byte
		if end-i < 8 {
			m &= 1<<(8*(end-i)) - 1 // only the path's bytes
		}
		empty |= m & (m<<8 | prev)
		prev = m >> 56
		*p = w ^ (m>>7)*('/'^':')
	}
	if empty != 0 {
		return counterKeySlow(buf, path)
	}
	return unsafe.String(&buf[0], end)
}

// counterKeySlow is counterKey for any path.
//
//go:noinline
func counterKeySlow(buf *[64]byte, path string) string {
	b := append(buf[:0], "counter:"...)
	sep := false // a ':' is due before the next segment byte
	for i := 0; i < len(path); i++ {
		c := path[i]
		if c == '/' {
			sep = len(b) > len("counter:")
			continue
		}
		if sep {
			b = append(b, ':')
			sep = false
		}
		b = append(b, c)
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
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

// queryValue returns the first value of key in the raw query, still
// escaped (unescape decodes it as pdkhttp.Request.QueryValue does), and
// whether key is there at all ("amount=" is there, with an empty value).
func queryValue(query, key string) (string, bool) {
	for q := query; q != ""; {
		var pair string
		pair, q, _ = strings.Cut(q, "&")
		k, v, _ := strings.Cut(pair, "=")
		if k == key || unescape(k) == key {
			return v, true
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
