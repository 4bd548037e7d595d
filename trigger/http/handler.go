package httptrigger

import (
	"context"
	"net/http"
	"strconv"

	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/httpwire"
)

// handlerKey attaches a handler instance's handlerInst to it.
var handlerKey = engine.NewKey[*handlerInst]("httptrigger")

// handlerInst is the per-instance state of the handler convention.
type handlerInst struct {
	st     *extism.State
	stderr guestStderr // the guest's stdout and stderr during one request
	in     []byte      // the encoded request, reused
	req    httpwire.Request
	resp   httpwire.Response
}

// newHandlerInstance creates a warm instance for the handler convention:
// instantiation runs _initialize; its Extism state and stderr stay with it.
func (t *Trigger) newHandlerInstance(ctx context.Context) (*engine.Instance, error) {
	m := t.cfg.Module
	hi := &handlerInst{}
	hi.st = extism.NewState(extism.StateConfig{
		Name:           m.Name(),
		Config:         t.cfg.PluginConfig,
		AllowedHosts:   t.cfg.AllowedHosts,
		Logger:         t.log.With("module", m.Name()),
		MaxKernelBytes: uint64(t.cfg.MaxBodyBytes+t.cfg.MaxResponseBytes) + 1<<20,
	})
	icfg := engine.InstanceConfig{
		Args:     []string{m.Name()},
		Env:      t.cfg.Env,
		Stdout:   &hi.stderr,
		Stderr:   &hi.stderr,
		Preopens: t.cfg.Preopens,
	}
	hi.st.Attach(&icfg)
	handlerKey.Set(&icfg, hi)
	return t.cfg.Runtime.Instantiate(ctx, m, icfg)
}

// serveHandler runs one request on a pooled instance.
func (t *Trigger) serveHandler(ctx context.Context, w http.ResponseWriter, r *http.Request, id string, body []byte) error {
	inst, err := t.pool.Get(ctx)
	if err != nil {
		return err
	}
	hi, _ := handlerKey.Of(inst)
	hi.stderr.reset()

	req := &hi.req
	req.Method, req.Path, req.Query, req.Body = r.Method, r.URL.Path, r.URL.RawQuery, body
	req.Header = append(req.Header[:0], httpwire.Field{Name: "Host", Value: r.Host})
	for name, values := range r.Header {
		for _, v := range values {
			req.Header = append(req.Header, httpwire.Field{Name: name, Value: v})
		}
	}
	hi.in, _ = req.AppendBinary(hi.in[:0])
	req.Body = nil
	out, err := extism.Call(ctx, inst, hi.st, t.export, hi.in)
	defer t.pool.Release(inst, err) // after the response is written from out
	if cap(hi.in) > 1<<20 {
		hi.in = nil // do not keep a large request's buffer on a warm instance
	}
	t.logStderr(ctx, id, &hi.stderr)
	if err != nil {
		return err
	}
	if int64(len(out)) > t.cfg.MaxResponseBytes+1<<16 {
		return &BadResponseError{Convention: Handler, Reason: "the response exceeds the limit of " + strconv.FormatInt(t.cfg.MaxResponseBytes, 10) + " bytes"}
	}
	resp := &hi.resp
	if err := resp.Decode(out); err != nil { // out is a fresh copy: strings may alias it
		return &BadResponseError{Convention: Handler, Reason: err.Error()}
	}
	if resp.Status < 200 {
		return &BadResponseError{Convention: Handler, Reason: "status " + strconv.Itoa(resp.Status) + " is informational, not a final response"}
	}
	if int64(len(resp.Body)) > t.cfg.MaxResponseBytes {
		return &BadResponseError{Convention: Handler, Reason: "the response exceeds the limit of " + strconv.FormatInt(t.cfg.MaxResponseBytes, 10) + " bytes"}
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

// skipResponseHeader tells the headers a guest may not set (name is
// canonical): the server frames the response itself.
func skipResponseHeader(name string) bool {
	switch name {
	case "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Upgrade", "Trailer", "X-Request-Id":
		return true
	}
	return false
}
