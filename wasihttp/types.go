package wasihttp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/wasip2"
)

// methodNames are the method cases before other, in declaration order.
var methodNames = [...]string{"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}

const methodOther = uint32(len(methodNames))

// methodValue is the method variant of an HTTP method.
func methodValue(m string) canonical.Variant {
	for i, n := range methodNames {
		if m == n {
			return canonical.Variant{Case: uint32(i)}
		}
	}
	return canonical.Variant{Case: methodOther, Value: m}
}

// methodString is the HTTP method of a method variant.
func methodString(v canonical.Variant) (string, bool) {
	if v.Case < methodOther {
		return methodNames[v.Case], true
	}
	s, ok := v.Value.(string)
	return s, ok && v.Case == methodOther && validName(s)
}

// scheme cases.
const (
	schemeHTTP  = 0
	schemeHTTPS = 1
	schemeOther = 2
)

func schemeValue(s string) canonical.Variant {
	switch strings.ToLower(s) {
	case "http":
		return canonical.Variant{Case: schemeHTTP}
	case "https":
		return canonical.Variant{Case: schemeHTTPS}
	}
	return canonical.Variant{Case: schemeOther, Value: s}
}

func validScheme(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

func validPathWithQuery(p string) bool {
	if p == "" {
		return false
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || c == 0x7f || c == '#' {
			return false
		}
	}
	return p[0] == '/' || p == "*"
}

func validAuthority(a string) bool {
	if a == "" || strings.ContainsAny(a, "/?#@ \t\r\n") {
		return false
	}
	u, err := url.Parse("http://" + a)
	return err == nil && u.Host == a
}

// ---- resources ----

// incomingRequest is the request being served.
type incomingRequest struct {
	method    canonical.Variant
	path      *string
	scheme    *canonical.Variant
	authority *string
	headers   *fields
	body      io.Reader
	consumed  bool
}

// incomingBody is an incoming request's or response's body.
type incomingBody struct {
	r        io.Reader
	streamed bool
}

// futureTrailers is an incoming body's trailers: there are none.
type futureTrailers struct{ taken bool }

// responseOutparam is where the handler sets its response.
type responseOutparam struct{ sv *serving }

// outgoingResponse is the handler's response.
type outgoingResponse struct {
	status    uint16
	headers   *fields
	body      *outgoingBody
	bodyTaken bool
}

// outgoingRequest is a request the guest makes.
type outgoingRequest struct {
	method    canonical.Variant
	path      *string
	scheme    *canonical.Variant
	authority *string
	headers   *fields
	body      *outgoingBody
	bodyTaken bool
}

// requestOptions are an outgoing request's timeouts (nanoseconds).
type requestOptions struct {
	connect, firstByte, betweenBytes *uint64
}

// incomingResponse is the answer to an outgoing request.
type incomingResponse struct {
	status   uint16
	headers  *fields
	body     []byte
	consumed bool
}

// maxBufferedBody bounds what an outgoing body buffers in the host: an
// outgoing request's body, or a response body written before the
// response is set.
const maxBufferedBody = 50 << 20

// outgoingBody is a response's or request's body. Its output-stream
// writes through bodyWriter.
type outgoingBody struct {
	mu         sync.Mutex
	forRequest bool
	declared   int64 // content-length, or -1
	written    int64
	buf        bytes.Buffer // a request's body; a response's until it is set
	sv         *serving     // a response's, once set
	streamed   bool         // write gave out its stream
	finished   bool
	abandoned  bool
	trailers   *fields
	// pending, for a request body not finished when the request was
	// handed to outgoing-handler.handle, starts the request at finish.
	pending *futureIncomingResponse
}

func newOutgoingBody(h *fields, forRequest bool) *outgoingBody {
	b := &outgoingBody{forRequest: forRequest, declared: -1}
	if v := h.get("content-length"); len(v) == 1 {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(v[0])), 10, 64); err == nil && n >= 0 {
			b.declared = n
		}
	}
	return b
}

func (b *outgoingBody) sizeError(n int64) *errorCode {
	if b.forRequest {
		return &errorCode{Case: codeRequestBodySize, Payload: optU64(n)}
	}
	return &errorCode{Case: codeResponseBodySize, Payload: optU64(n)}
}

// write is the body stream's write.
func (b *outgoingBody) write(p []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished || b.abandoned {
		return wasip2.ErrStreamClosed
	}
	n := b.written + int64(len(p))
	if b.declared >= 0 && n > b.declared {
		err := b.sizeError(n)
		if b.sv != nil {
			b.sv.fail(fmt.Errorf("wasihttp: response body longer than its content-length %d", b.declared))
		}
		return err
	}
	if b.sv != nil {
		if err := b.sv.write(b, p); err != nil {
			return err
		}
		b.written = n
		return nil
	}
	if int64(b.buf.Len()+len(p)) > maxBufferedBody {
		return b.sizeError(n)
	}
	b.buf.Write(p)
	b.written = n
	return nil
}

// flush is the body stream's flush: a set response's head and body so
// far go out.
func (b *outgoingBody) flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.sv != nil && !b.finished && !b.abandoned {
		return b.sv.flush(b)
	}
	return nil
}

// finish ends the body with trailers.
func (b *outgoingBody) finish(c *call, trailers *fields) error {
	b.mu.Lock()
	if b.finished || b.abandoned {
		b.mu.Unlock()
		return internalError("outgoing body already finished")
	}
	if b.declared >= 0 && b.written != b.declared {
		b.abandoned = true
		err := b.sizeError(b.written)
		if b.sv != nil {
			b.sv.fail(fmt.Errorf("wasihttp: response body of %d bytes, its content-length says %d", b.written, b.declared))
		}
		pending := b.pending
		b.pending = nil
		b.mu.Unlock()
		if pending != nil {
			pending.resolve(nil, err)
		}
		return err
	}
	b.finished = true
	b.trailers = trailers
	if b.sv != nil {
		err := b.sv.complete(b)
		b.mu.Unlock()
		return err
	}
	pending := b.pending
	b.pending = nil
	body := b.buf.Bytes()
	b.mu.Unlock()
	if pending != nil {
		pending.start(c, body)
	}
	return nil
}

// abandon is a drop without finish: the body is incomplete.
func (b *outgoingBody) abandon() {
	b.mu.Lock()
	if b.finished || b.abandoned {
		b.mu.Unlock()
		return
	}
	b.abandoned = true
	if b.sv != nil {
		b.sv.fail(fmt.Errorf("%w: it was dropped without outgoing-body.finish", ErrBodyNotFinished))
	}
	pending := b.pending
	b.pending = nil
	b.mu.Unlock()
	if pending != nil {
		pending.resolve(nil, internalError("outgoing request body dropped without outgoing-body.finish"))
	}
}

// bodyWriter is an outgoing body's output-stream.
type bodyWriter struct{ b *outgoingBody }

func (w bodyWriter) Write(p []byte) (int, error) {
	if err := w.b.write(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (w bodyWriter) Flush() error { return w.b.flush() }

// ---- wasi:http/types ----

func headerResult(err error) (canonical.Value, error) {
	if err == nil {
		return canonical.OK(nil), nil
	}
	var he headerError
	if errors.As(err, &he) {
		return canonical.Err(canonical.Variant{Case: uint32(he)}), nil
	}
	return nil, err
}

// fieldPairs decodes a list<tuple<field-name, field-value>>.
func fieldPairs(v canonical.Value) ([]field, error) {
	list, ok := v.(canonical.List)
	if !ok {
		return nil, fmt.Errorf("wasihttp: %T is not a list of fields", v)
	}
	out := make([]field, len(list))
	for i, e := range list {
		t, ok := e.(canonical.Tuple)
		if !ok || len(t) != 2 {
			return nil, fmt.Errorf("wasihttp: field %d is not a pair", i)
		}
		name, ok1 := t[0].(string)
		value, ok2 := bytesOf(t[1])
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("wasihttp: field %d is not a name and a value", i)
		}
		out[i] = field{name, value}
	}
	return out, nil
}

func bytesOf(v canonical.Value) ([]byte, bool) {
	switch v := v.(type) {
	case []byte:
		return v, true
	case canonical.List:
		b := make([]byte, len(v))
		for i, e := range v {
			u, ok := e.(uint8)
			if !ok {
				return nil, false
			}
			b[i] = u
		}
		return b, true
	}
	return nil, false
}

func pairsValue(f *fields) canonical.List {
	out := make(canonical.List, len(f.entries))
	for i, e := range f.entries {
		out[i] = canonical.Tuple{e.name, e.value}
	}
	return out
}

// optTrailers decodes an option<trailers> (own).
func optTrailers(c *call, v canonical.Value) (*fields, error) {
	o, ok := v.(canonical.Option)
	if !ok {
		return nil, fmt.Errorf("wasihttp: %T is not an option", v)
	}
	if !o.Some {
		return nil, nil
	}
	rep, err := handleOf(o.Value)
	if err != nil {
		return nil, err
	}
	f, ok := take[*fields](c.s, rep)
	if !ok {
		return nil, noResource("fields", rep)
	}
	return f, nil
}

func defineTypes(b binder) {
	defineFields(b)
	defineIncoming(b)
	defineOutgoing(b)
	b.fn("http-error-code", func(c *call) (canonical.Value, error) {
		rep, err := handleArg(c, 0)
		if err != nil {
			return nil, err
		}
		e, ok := c.wasi.IOError(rep)
		if !ok {
			return nil, noResource("io-error", rep)
		}
		var code *errorCode
		if errors.As(e, &code) {
			return canonical.Some(code.value()), nil
		}
		return canonical.None, nil
	})
}

func defineFields(b binder) {
	resource[*fields](b, "fields")
	b.fn("[constructor]fields", func(c *call) (canonical.Value, error) {
		return pushOwn(c.s, &fields{})
	})
	b.fn("[static]fields.from-list", func(c *call) (canonical.Value, error) {
		if len(c.args) < 1 {
			return nil, errors.New("wasihttp: missing argument 0")
		}
		pairs, err := fieldPairs(c.args[0])
		if err != nil {
			return nil, err
		}
		f, err := fromList(pairs)
		if err != nil {
			return headerResult(err)
		}
		v, err := pushOwn(c.s, f)
		if err != nil {
			return nil, err
		}
		return canonical.OK(v), nil
	})
	method := func(name string, fn func(c *call, f *fields) (canonical.Value, error)) {
		b.fn("[method]fields."+name, func(c *call) (canonical.Value, error) {
			f, err := self[*fields](c, 0, "fields")
			if err != nil {
				return nil, err
			}
			return fn(c, f)
		})
	}
	method("get", func(c *call, f *fields) (canonical.Value, error) {
		name, err := arg[string](c, 1)
		if err != nil {
			return nil, err
		}
		out := canonical.List{}
		for _, v := range f.get(name) {
			out = append(out, v)
		}
		return out, nil
	})
	method("has", func(c *call, f *fields) (canonical.Value, error) {
		name, err := arg[string](c, 1)
		if err != nil {
			return nil, err
		}
		return f.has(name), nil
	})
	method("set", func(c *call, f *fields) (canonical.Value, error) {
		name, err := arg[string](c, 1)
		if err != nil {
			return nil, err
		}
		list, err := arg[canonical.List](c, 2)
		if err != nil {
			return nil, err
		}
		values := make([][]byte, len(list))
		for i, v := range list {
			var ok bool
			if values[i], ok = bytesOf(v); !ok {
				return nil, fmt.Errorf("wasihttp: value %d is not a field value", i)
			}
		}
		return headerResult(f.set(name, values))
	})
	method("delete", func(c *call, f *fields) (canonical.Value, error) {
		name, err := arg[string](c, 1)
		if err != nil {
			return nil, err
		}
		return headerResult(f.delete(name))
	})
	method("append", func(c *call, f *fields) (canonical.Value, error) {
		name, err := arg[string](c, 1)
		if err != nil {
			return nil, err
		}
		if len(c.args) < 3 {
			return nil, errors.New("wasihttp: missing argument 2")
		}
		value, ok := bytesOf(c.args[2])
		if !ok {
			return nil, fmt.Errorf("wasihttp: argument 2 is %T, not a field value", c.args[2])
		}
		return headerResult(f.append(name, value))
	})
	method("entries", func(c *call, f *fields) (canonical.Value, error) {
		return pairsValue(f), nil
	})
	method("clone", func(c *call, f *fields) (canonical.Value, error) {
		return pushOwn(c.s, f.clone())
	})
}

func defineIncoming(b binder) {
	resource[*incomingRequest](b, "incoming-request")
	req := func(name string, fn func(c *call, r *incomingRequest) (canonical.Value, error)) {
		b.fn("[method]incoming-request."+name, func(c *call) (canonical.Value, error) {
			r, err := self[*incomingRequest](c, 0, "incoming-request")
			if err != nil {
				return nil, err
			}
			return fn(c, r)
		})
	}
	req("method", func(c *call, r *incomingRequest) (canonical.Value, error) { return r.method, nil })
	req("path-with-query", func(c *call, r *incomingRequest) (canonical.Value, error) {
		return optStringValue(r.path), nil
	})
	req("scheme", func(c *call, r *incomingRequest) (canonical.Value, error) {
		if r.scheme == nil {
			return canonical.None, nil
		}
		return canonical.Some(*r.scheme), nil
	})
	req("authority", func(c *call, r *incomingRequest) (canonical.Value, error) {
		return optStringValue(r.authority), nil
	})
	req("headers", func(c *call, r *incomingRequest) (canonical.Value, error) {
		return pushOwn(c.s, r.headers.child())
	})
	req("consume", func(c *call, r *incomingRequest) (canonical.Value, error) {
		if r.consumed {
			return canonical.Err(nil), nil
		}
		r.consumed = true
		v, err := pushOwn(c.s, &incomingBody{r: r.body})
		if err != nil {
			return nil, err
		}
		return canonical.OK(v), nil
	})

	resource[*incomingBody](b, "incoming-body")
	b.fn("[method]incoming-body.stream", func(c *call) (canonical.Value, error) {
		ib, err := self[*incomingBody](c, 0, "incoming-body")
		if err != nil {
			return nil, err
		}
		if ib.streamed {
			return canonical.Err(nil), nil
		}
		ib.streamed = true
		rep, err := c.wasi.PushInputStream(ib.r)
		if err != nil {
			return nil, err
		}
		return canonical.OK(canonical.Own{Rep: rep}), nil
	})
	b.fn("[static]incoming-body.finish", func(c *call) (canonical.Value, error) {
		if _, err := owned[*incomingBody](c, 0, "incoming-body"); err != nil {
			return nil, err
		}
		return pushOwn(c.s, &futureTrailers{})
	})

	resource[*futureTrailers](b, "future-trailers")
	b.fn("[method]future-trailers.subscribe", func(c *call) (canonical.Value, error) {
		if _, err := self[*futureTrailers](c, 0, "future-trailers"); err != nil {
			return nil, err
		}
		return pushPollable(c.wasi, alwaysReady)
	})
	b.fn("[method]future-trailers.get", func(c *call) (canonical.Value, error) {
		ft, err := self[*futureTrailers](c, 0, "future-trailers")
		if err != nil {
			return nil, err
		}
		if ft.taken {
			return canonical.Some(canonical.Err(nil)), nil
		}
		ft.taken = true
		return canonical.Some(canonical.OK(canonical.OK(canonical.None))), nil
	})

	resource[*incomingResponse](b, "incoming-response")
	resp := func(name string, fn func(c *call, r *incomingResponse) (canonical.Value, error)) {
		b.fn("[method]incoming-response."+name, func(c *call) (canonical.Value, error) {
			r, err := self[*incomingResponse](c, 0, "incoming-response")
			if err != nil {
				return nil, err
			}
			return fn(c, r)
		})
	}
	resp("status", func(c *call, r *incomingResponse) (canonical.Value, error) { return r.status, nil })
	resp("headers", func(c *call, r *incomingResponse) (canonical.Value, error) {
		return pushOwn(c.s, r.headers.child())
	})
	resp("consume", func(c *call, r *incomingResponse) (canonical.Value, error) {
		if r.consumed {
			return canonical.Err(nil), nil
		}
		r.consumed = true
		v, err := pushOwn(c.s, &incomingBody{r: bytes.NewReader(r.body)})
		if err != nil {
			return nil, err
		}
		return canonical.OK(v), nil
	})
}

func defineOutgoing(b binder) {
	resource[*outgoingRequest](b, "outgoing-request")
	b.fn("[constructor]outgoing-request", func(c *call) (canonical.Value, error) {
		h, err := owned[*fields](c, 0, "fields")
		if err != nil {
			return nil, err
		}
		h.immutable = true
		return pushOwn(c.s, &outgoingRequest{method: canonical.Variant{Case: 0}, headers: h})
	})
	oreq := func(name string, fn func(c *call, r *outgoingRequest) (canonical.Value, error)) {
		b.fn("[method]outgoing-request."+name, func(c *call) (canonical.Value, error) {
			r, err := self[*outgoingRequest](c, 0, "outgoing-request")
			if err != nil {
				return nil, err
			}
			return fn(c, r)
		})
	}
	oreq("body", func(c *call, r *outgoingRequest) (canonical.Value, error) {
		if r.bodyTaken {
			return canonical.Err(nil), nil
		}
		r.bodyTaken = true
		r.body = newOutgoingBody(r.headers, true)
		v, err := pushOwn(c.s, r.body)
		if err != nil {
			return nil, err
		}
		return canonical.OK(v), nil
	})
	oreq("method", func(c *call, r *outgoingRequest) (canonical.Value, error) { return r.method, nil })
	oreq("set-method", func(c *call, r *outgoingRequest) (canonical.Value, error) {
		m, err := arg[canonical.Variant](c, 1)
		if err != nil {
			return nil, err
		}
		if _, ok := methodString(m); !ok {
			return canonical.Err(nil), nil
		}
		r.method = m
		return canonical.OK(nil), nil
	})
	oreq("path-with-query", func(c *call, r *outgoingRequest) (canonical.Value, error) {
		return optStringValue(r.path), nil
	})
	oreq("set-path-with-query", func(c *call, r *outgoingRequest) (canonical.Value, error) {
		if len(c.args) < 2 {
			return nil, errors.New("wasihttp: missing argument 1")
		}
		p, err := optString(c.args[1])
		if err != nil {
			return nil, err
		}
		if p != nil && !validPathWithQuery(*p) {
			return canonical.Err(nil), nil
		}
		r.path = p
		return canonical.OK(nil), nil
	})
	oreq("scheme", func(c *call, r *outgoingRequest) (canonical.Value, error) {
		if r.scheme == nil {
			return canonical.None, nil
		}
		return canonical.Some(*r.scheme), nil
	})
	oreq("set-scheme", func(c *call, r *outgoingRequest) (canonical.Value, error) {
		o, err := arg[canonical.Option](c, 1)
		if err != nil {
			return nil, err
		}
		if !o.Some {
			r.scheme = nil
			return canonical.OK(nil), nil
		}
		v, ok := o.Value.(canonical.Variant)
		if !ok || v.Case > schemeOther {
			return nil, fmt.Errorf("wasihttp: %v is not a scheme", o.Value)
		}
		if v.Case == schemeOther {
			s, _ := v.Value.(string)
			if !validScheme(s) {
				return canonical.Err(nil), nil
			}
		}
		r.scheme = &v
		return canonical.OK(nil), nil
	})
	oreq("authority", func(c *call, r *outgoingRequest) (canonical.Value, error) {
		return optStringValue(r.authority), nil
	})
	oreq("set-authority", func(c *call, r *outgoingRequest) (canonical.Value, error) {
		if len(c.args) < 2 {
			return nil, errors.New("wasihttp: missing argument 1")
		}
		a, err := optString(c.args[1])
		if err != nil {
			return nil, err
		}
		if a != nil && !validAuthority(*a) {
			return canonical.Err(nil), nil
		}
		r.authority = a
		return canonical.OK(nil), nil
	})
	oreq("headers", func(c *call, r *outgoingRequest) (canonical.Value, error) {
		return pushOwn(c.s, r.headers.child())
	})

	resource[*requestOptions](b, "request-options")
	b.fn("[constructor]request-options", func(c *call) (canonical.Value, error) {
		return pushOwn(c.s, &requestOptions{})
	})
	for _, t := range []struct {
		name string
		get  func(o *requestOptions) **uint64
	}{
		{"connect-timeout", func(o *requestOptions) **uint64 { return &o.connect }},
		{"first-byte-timeout", func(o *requestOptions) **uint64 { return &o.firstByte }},
		{"between-bytes-timeout", func(o *requestOptions) **uint64 { return &o.betweenBytes }},
	} {
		get := t.get
		b.fn("[method]request-options."+t.name, func(c *call) (canonical.Value, error) {
			o, err := self[*requestOptions](c, 0, "request-options")
			if err != nil {
				return nil, err
			}
			return optDuration(*get(o)), nil
		})
		b.fn("[method]request-options.set-"+t.name, func(c *call) (canonical.Value, error) {
			o, err := self[*requestOptions](c, 0, "request-options")
			if err != nil {
				return nil, err
			}
			d, err := arg[canonical.Option](c, 1)
			if err != nil {
				return nil, err
			}
			if !d.Some {
				*get(o) = nil
				return canonical.OK(nil), nil
			}
			n, ok := d.Value.(uint64)
			if !ok {
				return nil, fmt.Errorf("wasihttp: %T is not a duration", d.Value)
			}
			*get(o) = &n
			return canonical.OK(nil), nil
		})
	}

	resource[*responseOutparam](b, "response-outparam")
	b.fn("[static]response-outparam.set", func(c *call) (canonical.Value, error) {
		p, err := owned[*responseOutparam](c, 0, "response-outparam")
		if err != nil {
			return nil, err
		}
		r, err := arg[canonical.Result](c, 1)
		if err != nil {
			return nil, err
		}
		if r.Err {
			code, err := errorCodeOf(r.Value)
			if err != nil {
				return nil, err
			}
			p.sv.setError(code)
			return nil, nil
		}
		rep, err := handleOf(r.Value)
		if err != nil {
			return nil, err
		}
		resp, ok := take[*outgoingResponse](c.s, rep)
		if !ok {
			return nil, noResource("outgoing-response", rep)
		}
		p.sv.setResponse(resp)
		return nil, nil
	})

	resource[*outgoingResponse](b, "outgoing-response")
	b.fn("[constructor]outgoing-response", func(c *call) (canonical.Value, error) {
		h, err := owned[*fields](c, 0, "fields")
		if err != nil {
			return nil, err
		}
		h.immutable = true
		return pushOwn(c.s, &outgoingResponse{status: 200, headers: h})
	})
	oresp := func(name string, fn func(c *call, r *outgoingResponse) (canonical.Value, error)) {
		b.fn("[method]outgoing-response."+name, func(c *call) (canonical.Value, error) {
			r, err := self[*outgoingResponse](c, 0, "outgoing-response")
			if err != nil {
				return nil, err
			}
			return fn(c, r)
		})
	}
	oresp("status-code", func(c *call, r *outgoingResponse) (canonical.Value, error) { return r.status, nil })
	oresp("set-status-code", func(c *call, r *outgoingResponse) (canonical.Value, error) {
		st, err := arg[uint16](c, 1)
		if err != nil {
			return nil, err
		}
		if st < 100 || st > 999 {
			return canonical.Err(nil), nil
		}
		r.status = st
		return canonical.OK(nil), nil
	})
	oresp("headers", func(c *call, r *outgoingResponse) (canonical.Value, error) {
		return pushOwn(c.s, r.headers.child())
	})
	oresp("body", func(c *call, r *outgoingResponse) (canonical.Value, error) {
		if r.bodyTaken {
			return canonical.Err(nil), nil
		}
		r.bodyTaken = true
		r.body = newOutgoingBody(r.headers, false)
		v, err := pushOwn(c.s, r.body)
		if err != nil {
			return nil, err
		}
		return canonical.OK(v), nil
	})

	resource[*outgoingBody](b, "outgoing-body")
	b.fn("[method]outgoing-body.write", func(c *call) (canonical.Value, error) {
		ob, err := self[*outgoingBody](c, 0, "outgoing-body")
		if err != nil {
			return nil, err
		}
		ob.mu.Lock()
		taken := ob.finished || ob.abandoned || ob.streamed
		ob.streamed = true
		ob.mu.Unlock()
		if taken {
			return canonical.Err(nil), nil
		}
		rep, err := c.wasi.PushOutputStream(bodyWriter{ob})
		if err != nil {
			return nil, err
		}
		return canonical.OK(canonical.Own{Rep: rep}), nil
	})
	b.fn("[static]outgoing-body.finish", func(c *call) (canonical.Value, error) {
		ob, err := owned[*outgoingBody](c, 0, "outgoing-body")
		if err != nil {
			return nil, err
		}
		if len(c.args) < 2 {
			return nil, errors.New("wasihttp: missing argument 1")
		}
		tr, err := optTrailers(c, c.args[1])
		if err != nil {
			return nil, err
		}
		if err := ob.finish(c, tr); err != nil {
			var code *errorCode
			if errors.As(err, &code) {
				return canonical.Err(code.value()), nil
			}
			return nil, err
		}
		return canonical.OK(nil), nil
	})

	resource[*futureIncomingResponse](b, "future-incoming-response")
	b.fn("[method]future-incoming-response.subscribe", func(c *call) (canonical.Value, error) {
		f, err := self[*futureIncomingResponse](c, 0, "future-incoming-response")
		if err != nil {
			return nil, err
		}
		return pushPollable(c.wasi, chanReady(f.done))
	})
	b.fn("[method]future-incoming-response.get", func(c *call) (canonical.Value, error) {
		f, err := self[*futureIncomingResponse](c, 0, "future-incoming-response")
		if err != nil {
			return nil, err
		}
		return f.get(c)
	})
}
