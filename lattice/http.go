package lattice

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/nats-io/nats.go"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/httpwire"
)

// HTTPExport is the export a remote invocation names to serve an HTTP
// request with a wasi:http component (its wasi:http/incoming-handler, as
// an HTTP route does): the payload is the request in the httpwire format
// (docs/http-wire-format.md, the Host header first), the reply's the whole
// response in it.
const HTTPExport = "wasi:http/incoming-handler"

// ServeHTTP serves r with a wasi:http component (trigger.HTTPInvoker): on
// this host when it runs the component, else on a host of the lattice that
// does, with the request and the whole response carried in one NATS
// message each.
func (a *appInvoker) ServeHTTP(ctx context.Context, component string, w http.ResponseWriter, r *http.Request) error {
	if a.local(component) {
		err := a.h.ServeHTTP(ctx, component, w, r)
		if !errors.Is(err, wasmhive.ErrUnknownComponent) {
			return err
		}
		// Removed from this host since: serve it where it runs now.
	}
	if _, ok := a.v.m.Load().Component(component); !ok {
		return fmt.Errorf("%w %q", wasmhive.ErrUnknownComponent, component)
	}
	return a.l.serveRemote(ctx, a.v.self, a.v.app, component, w, r)
}

// serveRemote is ServeHTTP on another host. Nothing is written to w
// before the whole response is back, so every failure is the trigger's to
// answer with a status.
func (l *Lattice) serveRemote(ctx context.Context, caller, app, component string, w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(r.Body) // bounded by the trigger already
	if err != nil {
		return fmt.Errorf("remote request to %s/%s: read the body: %w", app, component, err)
	}
	req := httpwire.Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: body,
		Header: []httpwire.Field{{Name: "Host", Value: r.Host}}}
	for name, values := range r.Header {
		if name == "Host" {
			continue
		}
		for _, v := range values {
			req.Header = append(req.Header, httpwire.Field{Name: name, Value: v})
		}
	}
	in, err := req.MarshalBinary()
	if err != nil {
		return fmt.Errorf("remote request to %s/%s: %w", app, component, err)
	}
	reply, err := l.request(ctx, caller, app, component, HTTPExport, in)
	if err != nil {
		return err
	}
	var resp httpwire.Response
	if err := resp.UnmarshalBinary(reply.Data); err != nil {
		return &RemoteError{App: app, Component: component, Export: HTTPExport, Host: reply.Header.Get(HeaderHost),
			Msg: "the reply is no HTTP response: " + err.Error()}
	}
	h := w.Header()
	for _, f := range resp.Header {
		h[f.Name] = append(h[f.Name], f.Value)
	}
	h["Content-Length"] = []string{strconv.Itoa(len(resp.Body))}
	w.WriteHeader(resp.Status)
	w.Write(resp.Body)
	return nil
}

// serveHTTPInvocation answers a remote HTTPExport invocation with the
// component's wasi:http handler.
func (s *invokeServer) serveHTTPInvocation(ctx context.Context, component string, m *nats.Msg) {
	var req httpwire.Request
	if err := req.UnmarshalBinary(m.Data); err != nil || len(req.Header) == 0 || req.Header[0].Name != "Host" {
		s.fail(m, StatusError, "an HTTP invocation's payload is an httpwire request, Host header first", nil)
		return
	}
	u := &url.URL{Path: req.Path, RawQuery: req.Query}
	r, err := http.NewRequestWithContext(ctx, req.Method, u.String(), bytes.NewReader(req.Body))
	if err != nil {
		s.fail(m, StatusError, "an HTTP invocation's request: "+err.Error(), nil)
		return
	}
	r.Host = req.Header[0].Value
	for _, f := range req.Header[1:] {
		r.Header[f.Name] = append(r.Header[f.Name], f.Value)
	}
	max := s.l.nc.MaxPayload() - 256
	rb := &responseBuffer{header: http.Header{}, max: max}
	err = s.h.ServeHTTP(ctx, component, rb, r)
	if err == nil && rb.over {
		err = &engine.LimitError{Module: component, Limit: "response_bytes", Max: uint64(max)}
	}
	if err != nil {
		s.failFor(m, err)
		return
	}
	resp := httpwire.Response{Status: rb.status, Body: rb.body.Bytes()}
	if resp.Status == 0 {
		resp.Status = http.StatusOK
	}
	for name, values := range rb.header {
		for _, v := range values {
			resp.Header = append(resp.Header, httpwire.Field{Name: name, Value: v})
		}
	}
	out, err := resp.MarshalBinary()
	if err != nil {
		s.failFor(m, err)
		return
	}
	if int64(len(out)) > max {
		s.failFor(m, &engine.LimitError{Module: component, Limit: "response_bytes", Max: uint64(max)})
		return
	}
	m.Respond(out)
}

// responseBuffer is the http.ResponseWriter of a remote HTTP invocation:
// the whole response, up to what one NATS message carries.
type responseBuffer struct {
	header http.Header
	status int
	body   bytes.Buffer
	max    int64
	over   bool
}

func (b *responseBuffer) Header() http.Header { return b.header }

func (b *responseBuffer) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *responseBuffer) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	if int64(b.body.Len()+len(p)) > b.max {
		b.over = true
		return 0, errors.New("the response is more than one NATS message carries")
	}
	return b.body.Write(p)
}
