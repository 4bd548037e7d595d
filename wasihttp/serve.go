package wasihttp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component/linker"
)

// ServeOptions tune Serve.
type ServeOptions struct {
	// MaxResponseBytes caps the response body the handler writes; 0 means
	// no cap. The write that would pass it fails (the guest sees
	// last-operation-failed, with error-code HTTP-response-body-size) and
	// Serve returns an error matching ErrResponseTooLarge.
	MaxResponseBytes int64
	// Scheme is the incoming request's scheme; "" means "https" for a TLS
	// connection and "http" otherwise.
	Scheme string
}

// Errors of Serve, matched with errors.Is.
var (
	// ErrNoResponse: the handler returned without calling
	// response-outparam.set. Nothing was written.
	ErrNoResponse = errors.New("wasihttp: the handler returned without setting a response")
	// ErrHeadWritten: the response's status and headers were written when
	// the failure happened (a trap in the middle of the body, a body over
	// MaxResponseBytes, a body not finished): the caller cannot answer
	// with an error status and should abort the connection (panic with
	// http.ErrAbortHandler).
	ErrHeadWritten = errors.New("wasihttp: the response head was already written")
	// ErrResponseSent: the handler failed (trapped, timed out) after the
	// whole response was written: the client has it; the error is only to
	// be reported, the caller must neither write nor abort.
	ErrResponseSent = errors.New("wasihttp: the handler failed after its response was sent")
	// ErrResponseTooLarge: the response body passed
	// ServeOptions.MaxResponseBytes.
	ErrResponseTooLarge = errors.New("wasihttp: response body too large")
	// ErrBodyNotFinished: the handler returned without
	// outgoing-body.finish on the body it took (it dropped it, or kept
	// it): the response is incomplete.
	ErrBodyNotFinished = errors.New("wasihttp: the handler did not finish its response body")
)

// ResponseError is the handler setting an error-code instead of a
// response (response-outparam.set with err). Nothing was written; Wasmtime
// answers 500 for it.
type ResponseError struct {
	// Code is the error-code case, as WIT spells it
	// ("HTTP-request-denied", "internal-error"...).
	Code string
	// Detail is what the case's payload says ("" when nothing).
	Detail string
}

func (e *ResponseError) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("wasihttp: the handler answered with error-code %s: %s", e.Code, e.Detail)
	}
	return "wasihttp: the handler answered with error-code " + e.Code
}

// IsProxy reports whether c exports wasi:http/incoming-handler's handle
// (0.2.x): a wasi:http/proxy component Serve can run.
func IsProxy(c *linker.Component) bool {
	for _, f := range c.Funcs() {
		if len(f.Path) == 2 && f.Path[1] == "handle" && strings.HasPrefix(f.Path[0], "wasi:http/incoming-handler@0.2.") {
			return true
		}
	}
	return false
}

// serving is the response of one Serve.
type serving struct {
	mu     sync.Mutex
	w      http.ResponseWriter
	o      ServeOptions
	method string

	set         bool
	resp        *outgoingResponse
	code        *errorCode
	headWritten bool
	noBody      bool // HEAD, 204, 304: body bytes are dropped
	completed   bool // the body was finished and is out
	done        bool // Serve returned: the handles left are stale
	sent        int64
	failed      error
}

func (sv *serving) setError(code *errorCode) {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if sv.done || sv.set {
		return
	}
	sv.set, sv.code = true, code
}

func (sv *serving) setResponse(resp *outgoingResponse) {
	sv.mu.Lock()
	if sv.done || sv.set {
		sv.mu.Unlock()
		return
	}
	sv.set, sv.resp = true, resp
	sv.mu.Unlock()
	if b := resp.body; b != nil {
		b.mu.Lock()
		b.sv = sv
		b.mu.Unlock()
	}
}

// fail records the first failure of the response.
func (sv *serving) fail(err error) {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if sv.failed == nil {
		sv.failed = err
	}
}

// writeHeadLocked writes the status and headers, then what b buffered
// before the response was set. sv.mu and b.mu (b may be nil) are held.
func (sv *serving) writeHeadLocked(b *outgoingBody) error {
	if sv.headWritten {
		return nil
	}
	if sv.failed != nil {
		return sv.failed
	}
	r := sv.resp
	if r.status < 200 {
		sv.failed = fmt.Errorf("wasihttp: the handler's response has status %d, not a final status", r.status)
		return sv.failed
	}
	var pre []byte
	if b != nil {
		pre = b.buf.Bytes()
	}
	if sv.o.MaxResponseBytes > 0 && int64(len(pre)) > sv.o.MaxResponseBytes {
		sv.failed = fmt.Errorf("%w: more than %d bytes", ErrResponseTooLarge, sv.o.MaxResponseBytes)
		return sv.failed
	}
	h := sv.w.Header()
	for _, e := range r.headers.entries {
		h.Add(e.name, string(e.value))
	}
	sv.noBody = sv.method == http.MethodHead || r.status == http.StatusNoContent || r.status == http.StatusNotModified
	sv.w.WriteHeader(int(r.status))
	sv.headWritten = true
	if len(pre) > 0 {
		b.buf = bytes.Buffer{}
		return sv.writeLocked(pre)
	}
	return nil
}

func (sv *serving) writeLocked(p []byte) error {
	if sv.noBody || len(p) == 0 {
		return nil
	}
	n, err := sv.w.Write(p)
	sv.sent += int64(n)
	if err != nil {
		sv.failed = fmt.Errorf("wasihttp: writing the response body: %w", err)
		return sv.failed
	}
	return nil
}

// write writes body bytes (b.mu is held).
func (sv *serving) write(b *outgoingBody, p []byte) error {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if sv.done || sv.completed {
		return errStaleStream
	}
	if sv.failed != nil {
		return sv.failed
	}
	if max := sv.o.MaxResponseBytes; max > 0 && sv.sent+int64(b.buf.Len()+len(p)) > max {
		sv.failed = fmt.Errorf("%w: more than %d bytes", ErrResponseTooLarge, max)
		return &errorCode{Case: codeResponseBodySize, Payload: optU64(sv.sent + int64(b.buf.Len()+len(p)))}
	}
	if err := sv.writeHeadLocked(b); err != nil {
		return err
	}
	return sv.writeLocked(p)
}

// errStaleStream is a write to the body of a response already served.
var errStaleStream = errors.New("wasihttp: the response was already served")

// flush sends the head and the body so far (b.mu is held).
func (sv *serving) flush(b *outgoingBody) error {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if sv.done || sv.completed {
		return nil
	}
	if err := sv.writeHeadLocked(b); err != nil {
		return err
	}
	if err := http.NewResponseController(sv.w).Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		sv.failed = fmt.Errorf("wasihttp: flushing the response: %w", err)
		return sv.failed
	}
	return nil
}

// complete ends the response at outgoing-body.finish (b.mu is held).
func (sv *serving) complete(b *outgoingBody) error {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if sv.done || sv.completed {
		return nil
	}
	if err := sv.writeHeadLocked(b); err != nil {
		return err
	}
	if b.trailers != nil {
		h := sv.w.Header()
		for _, e := range b.trailers.entries {
			h.Add(http.TrailerPrefix+e.name, string(e.value))
		}
	}
	sv.completed = true
	return nil
}

// requestBody reads the request's body for the guest until Serve
// returns: then reads end (a read in flight is waited for), so that no
// background read of the stream touches the body after the handler.
type requestBody struct {
	mu       sync.Mutex
	r        io.Reader
	detached bool
	reading  int // reads in flight
	inflight sync.WaitGroup
}

func (b *requestBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	if b.detached {
		b.mu.Unlock()
		return 0, io.EOF
	}
	b.inflight.Add(1)
	b.reading++
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.reading--
		b.mu.Unlock()
		b.inflight.Done()
	}()
	return b.r.Read(p)
}

// detach ends the reads, waiting for one in flight until ctx or reqCtx
// ends; when none is left in flight it closes body. (Closing matters:
// with full duplex, an HTTP/1 server whose handler left its body unread
// and open panics reading the next request, "invalid concurrent
// Body.Read call".)
func (b *requestBody) detach(ctx, reqCtx context.Context, body io.Closer) {
	b.mu.Lock()
	b.detached = true
	idle := b.reading == 0
	b.mu.Unlock()
	if idle {
		// The common case: no read in flight, and none can start.
		if body != nil {
			body.Close()
		}
		return
	}
	done := make(chan struct{})
	go func() {
		b.inflight.Wait()
		close(done)
	}()
	select {
	case <-done:
		if body != nil {
			body.Close()
		}
	case <-ctx.Done():
	case <-reqCtx.Done():
	}
}

// Serve handles r with inst's exported wasi:http/incoming-handler handle
// function, writing the response to w.
//
// The guest gets r's method, path with query, scheme (o.Scheme), authority
// (r.Host), headers (with host; immutable) and body (r.Body, read as the
// guest reads its stream; the caller caps it). The response head (status
// and headers) is written lazily: at the first write or flush of the
// response body, at outgoing-body.finish, or when handle returns. So
// every failure before that writes nothing to w and returns an error the
// caller maps to a status: the engine's error of the call (a trap,
// engine.ErrTimeout...), ErrNoResponse, a *ResponseError for an
// error-code the guest set, ErrBodyNotFinished, ErrResponseTooLarge. A
// failure after the head was written returns an error matching
// ErrHeadWritten (and what went wrong); one after the whole response was
// written matches ErrResponseSent. Outgoing requests of the guest end
// when handle returns.
//
// Serve lets the guest read the body while it writes (full duplex, for
// HTTP/1) and closes r.Body when it returns (once no read of the guest is
// in flight).
//
// inst must come from a Linker with wasip2.Define and Define, and serves
// one call at a time: the caller serialises Serves (and other calls) on
// one instance. Each request's resources are the guest's to drop; handles
// it keeps past its request are stale (their writes fail).
func Serve(ctx context.Context, inst *linker.Instance, w http.ResponseWriter, r *http.Request, o ServeOptions) error {
	s, ok := stateKey.In(inst.Config())
	if !ok {
		return errors.New("wasihttp: the instance has no wasi:http state (make it with a linker that wasihttp.Define set up)")
	}
	handle, err := inst.Func(incomingHandlerIface, "handle")
	if err != nil {
		return err
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Let the guest read the request body while it writes its response
	// (HTTP/1 servers otherwise close the body at the first write).
	http.NewResponseController(w).EnableFullDuplex()

	scheme := o.Scheme
	if scheme == "" {
		scheme = "http"
		if r.TLS != nil {
			scheme = "https"
		}
	}
	sv := &serving{w: w, o: o, method: r.Method}
	body := &requestBody{r: r.Body}
	if r.Body == nil {
		body.r = http.NoBody
	}
	defer body.detach(parent, r.Context(), r.Body)
	h := r.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if r.Host != "" {
		h.Set("Host", r.Host)
	}
	req := &incomingRequest{
		method:  methodValue(r.Method),
		scheme:  ptr(schemeValue(scheme)),
		headers: fromHeader(h, nil),
		body:    body,
	}
	path := r.RequestURI
	if !strings.HasPrefix(path, "/") && r.URL != nil {
		path = r.URL.RequestURI()
	}
	req.path = &path
	if r.Host != "" {
		req.authority = ptr(r.Host)
	}
	reqRep, err := s.push(req)
	if err != nil {
		return err
	}
	outRep, err := s.push(&responseOutparam{sv: sv})
	if err != nil {
		take[*incomingRequest](s, reqRep)
		return err
	}
	_, callErr := handle.Call(ctx, canonical.Own{Rep: reqRep}, canonical.Own{Rep: outRep})
	cancel()
	return sv.finish(callErr)
}

func ptr[T any](v T) *T { return &v }

// finish ends the response after handle returned with callErr.
func (sv *serving) finish(callErr error) error {
	var b *outgoingBody
	sv.mu.Lock()
	if sv.resp != nil {
		b = sv.resp.body
	}
	sv.mu.Unlock()
	if b != nil {
		b.mu.Lock()
		defer b.mu.Unlock()
	}
	sv.mu.Lock()
	defer sv.mu.Unlock()
	sv.done = true
	if callErr != nil {
		switch {
		case sv.completed:
			return fmt.Errorf("%w: %w", ErrResponseSent, callErr)
		case sv.headWritten:
			return fmt.Errorf("%w: %w", ErrHeadWritten, callErr)
		}
		return callErr
	}
	if sv.failed != nil {
		if sv.headWritten {
			return fmt.Errorf("%w: %w", ErrHeadWritten, sv.failed)
		}
		return sv.failed
	}
	switch {
	case !sv.set:
		return ErrNoResponse
	case sv.code != nil:
		return &ResponseError{Code: sv.code.name(), Detail: describePayload(sv.code.Payload)}
	}
	if b != nil && !b.finished {
		if sv.headWritten {
			return fmt.Errorf("%w: %w", ErrHeadWritten, ErrBodyNotFinished)
		}
		return ErrBodyNotFinished
	}
	if err := sv.writeHeadLocked(b); err != nil {
		if sv.headWritten {
			return fmt.Errorf("%w: %w", ErrHeadWritten, err)
		}
		return err
	}
	if b != nil && !sv.completed && b.trailers != nil {
		for _, e := range b.trailers.entries {
			sv.w.Header().Add(http.TrailerPrefix+e.name, string(e.value))
		}
	}
	sv.completed = true
	return nil
}
