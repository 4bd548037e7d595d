// Package httpclient is the guest side of wasmhive's http capability
// (wasmhive:http/outgoing, docs/capabilities.md): outgoing HTTP requests
// made by the host, to the hosts the component's grants.http allows.
//
// Unlike the Extism http_request of package pdk, a denied host, a timeout
// or a body over the limits is an error the guest handles (*Error), not the
// end of the call, and headers keep every value.
package httpclient

import (
	"errors"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/wasmhive/wasmhive/internal/capwire"
	"github.com/wasmhive/wasmhive/pdk"
)

// Header holds HTTP headers by lower-case name (the host reports response
// headers that way); a name may have several values.
type Header map[string][]string

// Get returns the first value of name (any case), or "".
func (h Header) Get(name string) string {
	if v := h[strings.ToLower(name)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Values returns every value of name (any case).
func (h Header) Values(name string) []string { return h[strings.ToLower(name)] }

// Set replaces the values of name with value.
func (h Header) Set(name, value string) { h[strings.ToLower(name)] = []string{value} }

// Add adds value to the values of name.
func (h Header) Add(name, value string) {
	k := strings.ToLower(name)
	h[k] = append(h[k], value)
}

// Del removes name.
func (h Header) Del(name string) { delete(h, strings.ToLower(name)) }

// Request is an outgoing request.
type Request struct {
	Method  string // GET when empty
	URL     string // absolute http:// or https:// URL
	Header  Header
	Body    []byte
	Timeout time.Duration // at most the grant's timeout; 0 means the grant's
}

// Response is the answer to a Request.
type Response struct {
	Status int
	Header Header // lower-case names
	Body   []byte
}

// Error is an ERROR reply of the host: a host not allowed, a timeout, a
// body over the limits, a connection failure...
type Error struct {
	Message string
}

func (e *Error) Error() string { return "http: " + e.Message }

// Do sends req through the host and returns the whole response.
func Do(req Request) (Response, error) {
	blk := encodeRequest(req)
	m := pdk.AllocateBytes(blk)
	h := hostRequest(m.Offset())
	m.Free()
	r := pdk.FindMemory(h)
	b := r.Bytes()
	r.Free()
	status, payload, err := capwire.ParseReply(b)
	switch {
	case err != nil:
		return Response{}, &Error{Message: "malformed reply from the host"}
	case status == capwire.StatusError:
		return Response{}, &Error{Message: string(payload)}
	}
	return decodeResponse(payload)
}

// Get is Do of a GET request of url.
func Get(url string) (Response, error) { return Do(Request{URL: url}) }

func encodeRequest(req Request) []byte {
	method := req.Method
	if method == "" {
		method = "GET"
	}
	b := make([]byte, 0, 64+len(req.URL)+len(req.Body))
	b = capwire.AppendString(b, method)
	b = capwire.AppendString(b, req.URL)
	var ms uint32
	if req.Timeout > 0 {
		ms = uint32(min((req.Timeout+time.Millisecond-1)/time.Millisecond, math.MaxUint32))
	}
	b = capwire.AppendU32(b, ms)
	names := make([]string, 0, len(req.Header))
	n := 0
	for k, vs := range req.Header {
		names = append(names, k)
		n += len(vs)
	}
	sort.Strings(names)
	b = capwire.AppendU32(b, uint32(n))
	for _, k := range names {
		for _, v := range req.Header[k] {
			b = capwire.AppendString(b, k)
			b = capwire.AppendString(b, v)
		}
	}
	return append(b, req.Body...)
}

func decodeResponse(p []byte) (Response, error) {
	r := capwire.NewReader(p)
	resp := Response{Status: int(r.U32()), Header: Header{}}
	n := r.Count(8)
	for i := 0; i < n && r.Err() == nil; i++ {
		k, v := r.String(), r.String()
		resp.Header.Add(k, v)
	}
	if r.Err() != nil {
		return Response{}, errors.New("http: malformed response from the host")
	}
	resp.Body = r.Rest() // p is a private copy of the reply block
	return resp, nil
}
