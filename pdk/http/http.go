// Package pdkhttp writes HTTP handlers for `wasmhive serve` in Go. A handler
// module is a Go reactor built with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o handler.wasm .
//
// that registers its handler in init:
//
//	package main
//
//	import pdkhttp "github.com/wasmhive/wasmhive/pdk/http"
//
//	func init() {
//		pdkhttp.Handle(func(w pdkhttp.ResponseWriter, r *pdkhttp.Request) {
//			w.Header().Set("Content-Type", "text/plain")
//			w.Write([]byte("hello from " + r.Path))
//		})
//	}
//
//	func main() {}
//
// Importing the package exports handle_http, the function the HTTP trigger
// calls on warm, pooled instances: globals keep their values from one request
// to the next on the same instance (one instance serves one request at a
// time). The request and response travel in the binary format of package
// httpwire (docs/http-wire-format.md) as the input and output of an
// Extism-compatible library call, copied in one host call each through
// wasmhive's bulk-copy imports (wasmhive:host/bulk): handler modules run
// only on wasmhive, so this package needs no build tag for them, while
// package pdk's own copies stay on the plain Extism ABI unless built with
// -tags wasmhive_bulk. Most requests cost the package no allocation:
// requests are read one after the other into shared 8 KiB chunks (so the
// request's strings stay valid after the call), and the writer's buffers
// are reused.
//
// A panic in a handler ends the instance: the client gets a 500 and the
// instance is discarded, never reused. The package avoids net/http to keep
// modules small and quick to instantiate.
package pdkhttp

import (
	"strings"
	"unsafe"

	"github.com/wasmhive/wasmhive/internal/httpwire"
)

// Field is one header field.
type Field = httpwire.Field

// Header is a list of HTTP header fields in order, a field per value. Names
// match case-insensitively; Set and Add store canonical names
// ("Content-Type"). Iterate it with range.
type Header []Field

// Get returns the first value of name, or "".
func (h Header) Get(name string) string {
	for _, f := range h {
		if equalFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// Values returns every value of name, in order.
func (h Header) Values(name string) []string {
	var vs []string
	for _, f := range h {
		if equalFold(f.Name, name) {
			vs = append(vs, f.Value)
		}
	}
	return vs
}

// Set replaces the values of name with value.
func (h *Header) Set(name, value string) {
	if len(*h) != 0 {
		h.Del(name)
	}
	*h = append(*h, Field{Name: canonical(name), Value: value})
}

// Add appends value to the values of name.
func (h *Header) Add(name, value string) {
	*h = append(*h, Field{Name: canonical(name), Value: value})
}

// Del removes every value of name.
func (h *Header) Del(name string) {
	i := 0
	for i < len(*h) && !equalFold((*h)[i].Name, name) {
		i++
	}
	if i == len(*h) {
		return // nothing to remove (the common case of Set)
	}
	kept := (*h)[:i]
	for _, f := range (*h)[i:] {
		if !equalFold(f.Name, name) {
			kept = append(kept, f)
		}
	}
	clear((*h)[len(kept):])
	*h = kept
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// CanonicalName returns the canonical form of a header name: the first
// letter and every letter after a hyphen upper case, the rest lower case
// ("content-type" becomes "Content-Type").
func CanonicalName(name string) string {
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			return canonicalSlow(name)
		}
		upper = c == '-'
	}
	return name
}

func canonicalSlow(name string) string {
	b := []byte(name)
	upper := true
	for i, c := range b {
		switch {
		case upper && 'a' <= c && c <= 'z':
			b[i] = c - 'a' + 'A'
		case !upper && 'A' <= c && c <= 'Z':
			b[i] = c - 'A' + 'a'
		}
		upper = c == '-'
	}
	return string(b)
}

// Request is the HTTP request a handler serves. It and its fields are valid
// for the handler call only; the strings stay valid after it, Body and Header
// must be copied to be kept.
type Request struct {
	Method string // "GET", "POST", ...
	Path   string // the URL path, percent-decoded
	Query  string // the raw query string, without '?'
	Header Header
	Body   []byte // the whole body (the host enforces its size limit)
}

// QueryValue returns the first value of key in the query string
// (percent-decoded), or "".
func (r *Request) QueryValue(key string) string {
	for q := r.Query; q != ""; {
		var pair string
		pair, q, _ = strings.Cut(q, "&")
		k, v, _ := strings.Cut(pair, "=")
		if unescape(k) == key {
			return unescape(v)
		}
	}
	return ""
}

// unescape decodes %XX escapes and '+' (as a space), leaving malformed
// escapes as they are.
func unescape(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// ResponseWriter builds the response. The response is sent when the handler
// returns; headers set after the first Write still count.
type ResponseWriter interface {
	// Header returns the response headers to modify.
	Header() *Header
	// WriteHeader sets the status code (200 when never called).
	WriteHeader(status int)
	// Write appends to the body.
	Write(b []byte) (int, error)
}

// HandlerFunc serves one request.
type HandlerFunc func(w ResponseWriter, r *Request)

var handler HandlerFunc = noHandler

// Handle registers h as the module's handler (call it from init). A module
// has one handler; it may route on r.Path itself.
func Handle(h HandlerFunc) {
	if h == nil {
		h = noHandler
	}
	handler = h
}

type responseWriter struct {
	header Header
	status int
	body   []byte
}

func (w *responseWriter) Header() *Header { return &w.header }

func (w *responseWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *responseWriter) Write(b []byte) (int, error) {
	// When the body has room, a self-assignment (no pointer store, so no
	// write-barrier test: a jump in a guest) and a copy.
	if n := len(w.body); cap(w.body)-n >= len(b) {
		w.body = w.body[:n+len(b)]
		copy(w.body[n:], b)
	} else {
		w.body = append(w.body, b...)
	}
	return len(b), nil
}

// Reused from one call to the next: an instance serves one call at a time.
var (
	reuseReq Request
	reuseW   responseWriter
	reuseOut []byte
)

// Serve decodes an encoded httpwire.Request, runs h and returns the encoded
// httpwire.Response, valid until the next call of Serve. The request's
// strings alias in, which must not change afterwards. It is what handle_http
// does between the ABI's input and output; it is exported for tests of
// handlers outside WebAssembly.
func Serve(h HandlerFunc, in []byte) ([]byte, error) {
	if h == nil {
		h = noHandler
	}
	return serve(h, in)
}

// noHandler answers when the module registered no handler.
func noHandler(w ResponseWriter, r *Request) {
	w.WriteHeader(500)
	w.Write([]byte("no handler registered: call pdkhttp.Handle in init\n"))
}

// serve is Serve with a handler. Rare paths are calls, which the compiler
// lays out off the straight path: in a guest each jump costs an
// interruption check of the host.
func serve(h HandlerFunc, in []byte) ([]byte, error) {
	// Request has the layout of httpwire.Request (TestRequestLayout): the
	// request is decoded in place, without a copy (whose pointer writes
	// cost a write-barrier check each in a guest).
	req := &reuseReq
	if err := (*httpwire.Request)(unsafe.Pointer(req)).Decode(in); err != nil {
		return nil, err
	}
	w := &reuseW
	// Separate self-assignments: the compiler stores only the lengths.
	w.header = w.header[:0]
	w.body = w.body[:0]
	w.status = 0
	h(w, req)
	resp := httpwire.Response{Status: w.status, Header: w.header, Body: w.body}
	if resp.Status == 0 {
		resp.Status = 200
	}
	out, err := resp.AppendBinary(reuseOut[:0])
	if err != nil {
		return nil, err
	}
	if cap(out) != cap(reuseOut) || cap(w.body) > maxKeep {
		keepBuffers(out)
	}
	return out, nil
}

// maxKeep is the largest buffer kept from one call to the next.
const maxKeep = 64 << 10

// keepBuffers keeps out for the next call, and neither it nor the writer's
// body when they are large.
//
//go:noinline
func keepBuffers(out []byte) {
	reuseOut = out[:0]
	if cap(out) > maxKeep {
		reuseOut = nil
	}
	if cap(reuseW.body) > maxKeep {
		reuseW.body = nil
	}
}
