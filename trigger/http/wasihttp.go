package httptrigger

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/wasmhive/wasmhive/trigger"
)

// serveWASIHTTP runs one request through the WASIHTTP convention: the
// route's component handles it with its wasi:http/incoming-handler export,
// through the Invoker. The body was read (within the request's limits)
// before; the response streams to w, capped at the route's response limit.
func (t *Trigger) serveWASIHTTP(ctx context.Context, rt *route, w http.ResponseWriter, r *http.Request, body []byte) error {
	inv := t.cfg.Invoker.(trigger.HTTPInvoker) // checked by checkRoute
	req := r.WithContext(ctx)
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	cw := &cappedWriter{ResponseWriter: w, limit: rt.maxResp}
	if cw.limit > 64<<10 {
		// A large body gets as long again as the request's timeout to be
		// taken by a slow client, as the other conventions' bodies do.
		if dl, ok := ctx.Deadline(); ok {
			http.NewResponseController(w).SetWriteDeadline(dl.Add(t.cfg.Timeout))
		} else {
			http.NewResponseController(w).SetWriteDeadline(time.Now().Add(2 * t.cfg.Timeout))
		}
	}
	err := inv.ServeHTTP(ctx, rt.Component, cw, req)
	if err != nil && cw.exceeded && !errors.Is(err, trigger.ErrResponseStarted) {
		return tooBig(WASIHTTP, rt.maxResp)
	}
	return err
}

// cappedWriter fails a write past the response limit: the component's
// output stream then reports the failure, and the response is cut short.
type cappedWriter struct {
	http.ResponseWriter
	limit    int64
	n        int64
	exceeded bool
}

func (w *cappedWriter) Write(b []byte) (int, error) {
	if w.n+int64(len(b)) > w.limit {
		w.exceeded = true
		return 0, tooBig(WASIHTTP, w.limit)
	}
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	return n, err
}

// Unwrap gives http.ResponseController the server's writer.
func (w *cappedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
