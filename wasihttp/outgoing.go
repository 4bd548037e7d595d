package wasihttp

import (
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/capability/httpclient"
)

// futureIncomingResponse is the answer to come of an outgoing request:
// the request runs in a goroutine (bounded by the context of the guest
// call that started it) and done closes when it answers.
type futureIncomingResponse struct {
	done chan struct{}
	once sync.Once

	binding *httpclient.Binding
	req     httpclient.Request

	mu    sync.Mutex
	resp  *httpclient.Response
	err   *errorCode
	taken bool
}

func (f *futureIncomingResponse) resolve(resp *httpclient.Response, err *errorCode) {
	f.once.Do(func() {
		f.mu.Lock()
		f.resp, f.err = resp, err
		f.mu.Unlock()
		close(f.done)
	})
}

// start sends the request with body, within the context of call c.
func (f *futureIncomingResponse) start(c *call, body []byte) {
	req := f.req
	req.Body = slices.Clone(body)
	ctx := c.ctx
	go func() {
		resp, err := f.binding.Client.Do(ctx, req)
		if err != nil {
			f.resolve(nil, clientErrorCode(err, len(req.Body)))
			return
		}
		f.resolve(resp, nil)
	}()
}

// get is future-incoming-response.get:
// option<result<result<incoming-response, error-code>>>.
func (f *futureIncomingResponse) get(c *call) (canonical.Value, error) {
	select {
	case <-f.done:
	default:
		return canonical.None, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.taken {
		return canonical.Some(canonical.Err(nil)), nil
	}
	f.taken = true
	if f.err != nil {
		return canonical.Some(canonical.OK(canonical.Err(f.err.value()))), nil
	}
	ir := &incomingResponse{
		status: uint16(f.resp.Status),
		headers: fromHeader(f.resp.Header, func(name string) bool {
			return slices.Contains(forbiddenHeaders, name)
		}),
		body: f.resp.Body,
	}
	f.resp = nil
	v, err := pushOwn(c.s, ir)
	if err != nil {
		return nil, err
	}
	return canonical.Some(canonical.OK(canonical.OK(v))), nil
}

func errResult(code uint32, payload canonical.Value) canonical.Value {
	return canonical.Err(canonical.Variant{Case: code, Value: payload})
}

func defineOutgoingHandler(b binder) {
	b.fn("handle", func(c *call) (canonical.Value, error) {
		req, err := owned[*outgoingRequest](c, 0, "outgoing-request")
		if err != nil {
			return nil, err
		}
		opts, err := arg[canonical.Option](c, 1)
		if err != nil {
			return nil, err
		}
		var ro *requestOptions
		if opts.Some {
			rep, err := handleOf(opts.Value)
			if err != nil {
				return nil, err
			}
			var ok bool
			if ro, ok = take[*requestOptions](c.s, rep); !ok {
				return nil, noResource("request-options", rep)
			}
		}
		binding, ok := httpclient.BindingOf(c.inst.Config())
		if !ok {
			return errResult(codeRequestDenied, nil), nil
		}
		method, ok := methodString(req.method)
		if !ok {
			return errResult(codeRequestMethod, nil), nil
		}
		scheme := "https"
		if req.scheme != nil {
			switch req.scheme.Case {
			case schemeHTTP:
				scheme = "http"
			case schemeHTTPS:
			default:
				return errResult(codeProtocolError, nil), nil
			}
		}
		if req.authority == nil || *req.authority == "" {
			return errResult(codeRequestURIInvalid, nil), nil
		}
		path := "/"
		if req.path != nil {
			path = *req.path
		}
		u, err := url.Parse(scheme + "://" + *req.authority + path)
		if err != nil || u.Host == "" {
			return errResult(codeRequestURIInvalid, nil), nil
		}
		if !binding.Client.Allows(u.Hostname()) {
			return errResult(codeRequestDenied, nil), nil
		}
		extism.CountHTTPRequest(c.ctx, binding.MaxRequestsPerCall)
		hreq := httpclient.Request{Method: method, URL: u.String(), Header: req.headers.header()}
		if ro != nil {
			var d time.Duration
			for _, t := range []*uint64{ro.connect, ro.firstByte} {
				if t != nil {
					d += time.Duration(min(*t, 1<<62))
				}
			}
			hreq.Timeout = d
		}
		f := &futureIncomingResponse{done: make(chan struct{}), binding: binding, req: hreq}
		v, err := pushOwn(c.s, f)
		if err != nil {
			return nil, err
		}
		var body []byte
		if ob := req.body; ob != nil {
			ob.mu.Lock()
			switch {
			case ob.abandoned:
				ob.mu.Unlock()
				f.resolve(nil, internalError("outgoing request body dropped without outgoing-body.finish"))
				return canonical.OK(v), nil
			case !ob.finished:
				ob.pending = f
				ob.mu.Unlock()
				return canonical.OK(v), nil
			}
			body = ob.buf.Bytes()
			ob.mu.Unlock()
		}
		f.start(c, body)
		return canonical.OK(v), nil
	})
}
