package main

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/wasmhive/wasmhive/capability/keyvalue"
)

// nativeHandler is the kvcounter handler written for net/http: the same
// code as examples/kvcounter/go/main.go (the guest), with the bucket
// called directly instead of through the keyvalue capability. It answers
// what the guests answer, byte for byte (TestNativeMatchesGuests), so the
// two contenders do the same work per request.
func nativeHandler(bucket keyvalue.Bucket) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method != "GET" {
			w.Header().Set("Allow", "GET")
			fail(w, 405, "method "+r.Method+" is not allowed; use GET")
			return
		}
		amount := int64(1)
		if v, ok := queryValue(r.URL.RawQuery, "amount"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				fail(w, 400, `amount must be an integer, got "`+v+`"`)
				return
			}
			amount = n
		}
		key := counterKey(r.URL.Path)
		n, err := bucket.Increment(r.Context(), key, amount)
		if err != nil {
			// The message the keyvalue host module replies to a guest.
			fail(w, 500, "keyvalue increment "+quoteKey(key)+": "+err.Error())
			return
		}
		b := strconv.AppendInt([]byte(`{"counter":`), n, 10)
		w.Write(append(b, "}\n"...))
	})
}

// quoteKey quotes a key for a message as the keyvalue host module does:
// cut to 64 bytes.
func quoteKey(k string) string {
	if len(k) > 64 {
		return strconv.Quote(k[:64]) + "..."
	}
	return strconv.Quote(k)
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
func fail(w http.ResponseWriter, status int, msg string) {
	w.WriteHeader(status)
	b := []byte(`{"error":"`)
	b = appendEscaped(b, msg)
	w.Write(append(b, "\"}\n"...))
}

// appendEscaped appends s escaped for a JSON string: '"', '\\' and control
// characters; other bytes as they are, as the guests do.
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

// queryValue returns the first value of key in the raw query, decoded as a
// form value, and whether key is there at all ("amount=" is, empty).
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
