package httptrigger

import (
	"context"
	"net/http"
	"strconv"

	"github.com/wasmhive/wasmhive/internal/httpwire"
)

// handlerBuf is one request's encoding buffers, reused across requests.
type handlerBuf struct {
	in   []byte // the encoded request
	req  httpwire.Request
	resp httpwire.Response
}

// serveHandler runs one request through the handler convention: the
// request, encoded in the httpwire format, is the input of a call of the
// route's export on a warm instance of its component.
func (t *Trigger) serveHandler(ctx context.Context, rt *route, w http.ResponseWriter, r *http.Request, id string, body []byte) error {
	hb := t.encs.Get().(*handlerBuf)
	defer t.putEnc(hb)
	req := &hb.req
	req.Method, req.Path, req.Query, req.Body = r.Method, r.URL.Path, r.URL.RawQuery, body
	req.Header = append(req.Header[:0], httpwire.Field{Name: "Host", Value: r.Host})
	for name, values := range r.Header {
		for _, v := range values {
			req.Header = append(req.Header, httpwire.Field{Name: name, Value: v})
		}
	}
	hb.in, _ = req.AppendBinary(hb.in[:0])
	req.Body = nil
	out, err := t.cfg.Invoker.Invoke(ctx, rt.Component, rt.Export, hb.in)
	if err != nil {
		return err
	}
	if int64(len(out)) > t.cfg.MaxResponseBytes+1<<16 {
		return &BadResponseError{Convention: Handler, Reason: "the response exceeds the limit of " + strconv.FormatInt(t.cfg.MaxResponseBytes, 10) + " bytes"}
	}
	resp := &hb.resp
	if err := resp.Decode(out); err != nil { // out is a fresh copy: strings may alias it
		return &BadResponseError{Convention: Handler, Reason: err.Error()}
	}
	if resp.Status < 200 {
		return &BadResponseError{Convention: Handler, Reason: "status " + strconv.Itoa(resp.Status) + " is informational, not a final response"}
	}
	if int64(len(resp.Body)) > t.cfg.MaxResponseBytes {
		return &BadResponseError{Convention: Handler, Reason: "the response exceeds the limit of " + strconv.FormatInt(t.cfg.MaxResponseBytes, 10) + " bytes"}
	}
	for _, f := range resp.Header {
		if err := checkHeader(Handler, f.Name, f.Value); err != nil {
			return err
		}
	}
	h := w.Header()
	for _, f := range resp.Header {
		k := http.CanonicalHeaderKey(f.Name)
		if skipResponseHeader(k) {
			continue
		}
		h[k] = append(h[k], f.Value)
	}
	h["Content-Length"] = []string{strconv.Itoa(len(resp.Body))}
	w.WriteHeader(resp.Status)
	w.Write(resp.Body)
	resp.Body = nil
	return nil
}

// putEnc keeps a request's buffers for the next one, unless they grew large.
func (t *Trigger) putEnc(hb *handlerBuf) {
	if cap(hb.in) > 1<<20 {
		return
	}
	hb.resp = httpwire.Response{Header: hb.resp.Header[:0]}
	t.encs.Put(hb)
}

// checkHeader refuses a response header a guest may not send: a name that
// is not an HTTP token, or a value with a control byte (a CR or LF would
// split the response; net/http turns only those into spaces).
func checkHeader(c Convention, name, value string) error {
	if name == "" {
		return &BadResponseError{Convention: c, Reason: "a response header has no name"}
	}
	for i := 0; i < len(name); i++ {
		if !isTokenByte(name[i]) {
			return &BadResponseError{Convention: c, Reason: "response header name " + strconv.Quote(name) + " is not an HTTP token"}
		}
	}
	for i := 0; i < len(value); i++ {
		if b := value[i]; (b < 0x20 && b != '\t') || b == 0x7f {
			return &BadResponseError{Convention: c, Reason: "response header " + name + " has a control byte in its value"}
		}
	}
	return nil
}

// isTokenByte reports whether b may appear in an HTTP token (RFC 9110 tchar).
func isTokenByte(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	switch b {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// skipResponseHeader tells the headers a guest may not set (name is
// canonical): the server frames the response itself.
func skipResponseHeader(name string) bool {
	switch name {
	case "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Upgrade", "Trailer", "X-Request-Id":
		return true
	}
	return false
}
