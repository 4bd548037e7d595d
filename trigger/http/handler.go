package httptrigger

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/wasmhive/wasmhive/internal/httpwire"
)

// handlerBuf is one request's buffers, reused across requests.
type handlerBuf struct {
	in   []byte // the encoded request (handler) or the body (WAGI)
	req  httpwire.Request
	resp httpwire.Response
}

// head appends to dst the encoding of r's request head in the httpwire
// format: all of the request but its body, which follows the body's length.
func (hb *handlerBuf) head(dst []byte, r *http.Request) []byte {
	req := &hb.req
	req.Method, req.Path, req.Query, req.Body = r.Method, r.URL.Path, r.URL.RawQuery, nil
	req.Header = append(req.Header[:0], httpwire.Field{Name: "Host", Value: r.Host})
	for name, values := range r.Header {
		for _, v := range values {
			req.Header = append(req.Header, httpwire.Field{Name: name, Value: v})
		}
	}
	dst, _ = req.AppendBinary(dst)
	return dst[:len(dst)-1] // the length of the empty body
}

// serveHandler runs one request through the handler convention: in, the
// request encoded in the httpwire format, is the input of a call of the
// route's export on a warm instance of its component.
func (t *Trigger) serveHandler(ctx context.Context, rt *route, w http.ResponseWriter, hb *handlerBuf, in []byte) error {
	out, err := t.cfg.Invoker.Invoke(ctx, rt.Component, rt.Export, in)
	if err != nil {
		return err
	}
	if int64(len(out)) > rt.maxResp+1<<16 {
		return tooBig(Handler, rt.maxResp)
	}
	resp := &hb.resp
	if err := resp.Decode(out); err != nil { // out is a fresh copy: strings may alias it
		return &BadResponseError{Convention: Handler, Reason: err.Error()}
	}
	if resp.Status < 200 {
		return &BadResponseError{Convention: Handler, Reason: "status " + strconv.Itoa(resp.Status) + " is informational, not a final response"}
	}
	if int64(len(resp.Body)) > rt.maxResp {
		return tooBig(Handler, rt.maxResp)
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
	t.respond(w, resp.Status, resp.Body)
	resp.Body = nil
	return nil
}

// tooBig is the error of a response over limit.
func tooBig(c Convention, limit int64) *BadResponseError {
	return &BadResponseError{Convention: c, Reason: "the response exceeds the limit of " + strconv.FormatInt(limit, 10) + " bytes", tooBig: true}
}

// respond writes a module's response (its headers set). A body larger
// than a socket's buffers is given Timeout to be taken by the client: one
// that stops reading does not hold the connection and the body's memory.
func (t *Trigger) respond(w http.ResponseWriter, status int, body []byte) {
	w.Header()["Content-Length"] = []string{strconv.Itoa(len(body))}
	if len(body) <= pooledMax {
		w.WriteHeader(status)
		w.Write(body)
		return
	}
	rc := http.NewResponseController(w)
	limited := rc.SetWriteDeadline(time.Now().Add(t.cfg.Timeout)) == nil
	w.WriteHeader(status)
	if _, err := w.Write(body); err == nil && limited {
		if rc.Flush() == nil {
			rc.SetWriteDeadline(time.Time{}) // the connection may serve more requests
		}
	}
}

// putEnc keeps a request's buffers for the next one, unless they grew large.
func (t *Trigger) putEnc(hb *handlerBuf) {
	if cap(hb.in) > pooledMax {
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
