// Package httptrigger serves HTTP requests with components of a Host: the
// trigger behind `wasmhive serve` and the routes of `wasmhive up`. Requests
// are routed by path prefix to a component, which it reaches through a
// trigger.Invoker (never the engine). It speaks two guest conventions,
// picked from what the component exports (Route.Convention overrides):
//
//   - Handler: a reactor or library module exporting handle_http. Each
//     request is encoded in the httpwire format (docs/http-wire-format.md)
//     and passed as the input of a call through the Extism-compatible
//     library ABI (package abi/extism) on a warm instance from a pool; the
//     call's output is the encoded response. Go handlers are a few lines with
//     package pdk/http.
//   - WAGI: a command module (exporting _start) run as a CGI 1.1 script
//     (RFC 3875), a fresh instance per request: request metadata in
//     environment variables, the body on stdin, CGI headers then the body on
//     stdout.
//
// Limits and failures map to status codes: a body over MaxBodyBytes (or
// its component's request limit) gets 413, a body not received within
// Timeout 408, a body that does not fit in MaxBodyMemory 503, a request past
// Timeout 504, a trap or guest error 500 (with a request id, also in the log
// line that carries the guest's error), malformed CGI output or a response
// over the limit 502, a saturated pool 503 after the queue wait, a component
// over its message rate 429. Every response carries an X-Request-Id header.
// GET HealthPath answers 200 with the pool's counters. An access log line
// per request goes to the slog logger at Info level. NewServer makes the
// http.Server to serve a Trigger with. docs/serve.md documents all of it.
package httptrigger

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/deadline"
	"github.com/wasmhive/wasmhive/trigger"
)

// HealthPath is the health endpoint every trigger answers itself, whatever
// the module: 200 and a JSON body with the pool's counters.
const HealthPath = "/.well-known/wasmhive/health"

// DefaultExport is the export the handler convention calls.
const DefaultExport = "handle_http"

// Defaults of Config's limits.
const (
	DefaultMaxBodyBytes     = 10 << 20
	DefaultMaxResponseBytes = 64 << 20
	DefaultTimeout          = 30 * time.Second
)

// Convention is how the module is driven for a request.
type Convention int

const (
	// Auto picks Handler when the module exports the handler export, else
	// WAGI when it exports _start.
	Auto Convention = iota
	// WAGI runs a command module as a CGI script, a fresh instance per request.
	WAGI
	// Handler calls the handler export on pooled warm instances.
	Handler
	// WASIHTTP serves a Component Model component exporting
	// wasi:http/incoming-handler (the wasi:http/proxy world), on pooled warm
	// instances, through the Invoker's trigger.HTTPInvoker side.
	WASIHTTP
)

// IncomingHandler is the interface a component exports to be served with
// the WASIHTTP convention.
const IncomingHandler = "wasi:http/incoming-handler"

func (c Convention) String() string {
	switch c {
	case Auto:
		return "auto"
	case WAGI:
		return "wagi"
	case Handler:
		return "handler"
	case WASIHTTP:
		return "wasi-http"
	}
	return fmt.Sprintf("Convention(%d)", int(c))
}

// ParseConvention parses "auto", "wagi" (or "cgi"), "handler" and
// "wasi-http".
func ParseConvention(s string) (Convention, error) {
	switch s {
	case "auto", "":
		return Auto, nil
	case "wagi", "cgi":
		return WAGI, nil
	case "handler":
		return Handler, nil
	case "wasi-http":
		return WASIHTTP, nil
	}
	return 0, fmt.Errorf("unknown convention %q (want auto, wagi, handler or wasi-http)", s)
}

// Config configures a Trigger. Invoker and at least one Route are required.
type Config struct {
	// Invoker runs the components (a *wasmhive.Host).
	Invoker trigger.Invoker
	// Routes map path prefixes to components.
	Routes []Route
	// MaxBodyBytes caps request bodies (413 past it); 0 means
	// DefaultMaxBodyBytes. A component's Info.MaxRequestBytes lowers it on
	// its routes.
	MaxBodyBytes int64
	// MaxBodyMemory caps the request body bytes buffered at once, across
	// all requests: a request reserves its body's length (or, chunked, each
	// part as it grows) before reading it, and gets 503 with Retry-After
	// when that does not fit. 0 means DefaultMaxBodyMemory, or MaxBodyBytes
	// when that is larger; it may not be less than MaxBodyBytes.
	MaxBodyMemory int64
	// MaxResponseBytes caps what a guest may answer (502 past it); 0 means
	// DefaultMaxResponseBytes. A component's Info.MaxResponseBytes lowers
	// it on its routes.
	MaxResponseBytes int64
	// Timeout bounds each request from its arrival: reading its body (408
	// past it), the wait for an instance and the module's answer (504 past
	// it). Writing a response of more than 64 KiB gets as long again
	// before the connection is cut. 0 means DefaultTimeout.
	Timeout time.Duration
	// Logger receives the access log (Info), guest errors (Error) and guest
	// stderr (Warn); nil means slog.Default().
	Logger *slog.Logger
}

// Route sends the requests under a path prefix to a component.
type Route struct {
	// Path is the prefix: "/" matches every path, "/api" matches /api and
	// /api/..., not /apix. The longest matching prefix wins.
	Path string
	// Component names the component that serves the route.
	Component string
	// Convention picks the guest convention; Auto detects it.
	Convention Convention
	// Export is the handler convention's export; empty means DefaultExport.
	Export string
}

// route is a Route checked against its component.
type route struct {
	Route
	info trigger.Info
	// maxBody and maxResp are the smaller of the trigger's limits and the
	// component's.
	maxBody, maxResp int64
}

// Trigger is an http.Handler that serves requests with components.
type Trigger struct {
	cfg      Config
	routes   []route // longest path first
	log      *slog.Logger
	idPrefix string
	idSeq    atomic.Uint64
	encs     sync.Pool // *handlerBuf: a request's body or encoding buffers
	mem      bodyMemory
}

// New checks every route against its component and picks its convention.
func New(cfg Config) (*Trigger, error) {
	if cfg.Invoker == nil || len(cfg.Routes) == 0 {
		return nil, errors.New("httptrigger: Config.Invoker and at least one route are required")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	switch {
	case cfg.MaxBodyMemory == 0:
		cfg.MaxBodyMemory = max(DefaultMaxBodyMemory, cfg.MaxBodyBytes)
	case cfg.MaxBodyMemory < cfg.MaxBodyBytes:
		return nil, fmt.Errorf("httptrigger: MaxBodyMemory (%d bytes) is less than MaxBodyBytes (%d): a body at the limit could never be read", cfg.MaxBodyMemory, cfg.MaxBodyBytes)
	}
	t := &Trigger{cfg: cfg, log: cfg.Logger}
	t.mem.max = cfg.MaxBodyMemory
	if t.log == nil {
		t.log = slog.Default()
	}
	var rnd [4]byte
	rand.Read(rnd[:])
	t.idPrefix = hex.EncodeToString(rnd[:])
	t.encs.New = func() any { return new(handlerBuf) }
	seen := map[string]bool{}
	for _, r := range cfg.Routes {
		if !strings.HasPrefix(r.Path, "/") {
			return nil, fmt.Errorf("route %q: a path must start with /", r.Path)
		}
		if r.Path = strings.TrimRight(r.Path, "/"); r.Path == "" {
			r.Path = "/"
		}
		if seen[r.Path] {
			return nil, fmt.Errorf("route %s: defined twice", r.Path)
		}
		seen[r.Path] = true
		rt, err := checkRoute(cfg.Invoker, r)
		if err != nil {
			return nil, err
		}
		rt.maxBody, rt.maxResp = cfg.MaxBodyBytes, cfg.MaxResponseBytes
		if n := rt.info.MaxRequestBytes; n > 0 && n < rt.maxBody {
			rt.maxBody = n
		}
		if n := rt.info.MaxResponseBytes; n > 0 && n < rt.maxResp {
			rt.maxResp = n
		}
		t.routes = append(t.routes, rt)
	}
	sort.SliceStable(t.routes, func(i, j int) bool { return len(t.routes[i].Path) > len(t.routes[j].Path) })
	return t, nil
}

// checkRoute picks a route's convention from its component's exports.
func checkRoute(inv trigger.Invoker, r Route) (route, error) {
	info, err := inv.Describe(r.Component)
	if err != nil {
		return route{}, fmt.Errorf("route %s: %w", r.Path, err)
	}
	if r.Export == "" {
		r.Export = DefaultExport
	}
	switch r.Convention {
	case Auto:
		switch {
		case info.Interfaces[IncomingHandler]:
			r.Convention = WASIHTTP
		case info.Pattern == "component":
			return route{}, fmt.Errorf("route %s: component %s exports no %s: only wasi:http components (the wasi:http/proxy world) are served", r.Path, info.Name, IncomingHandler)
		case info.Exports[r.Export]:
			r.Convention = Handler
		case info.Exports["_start"]:
			r.Convention = WAGI
		default:
			return route{}, fmt.Errorf("route %s: component %s exports neither %s (handler convention) nor _start (WAGI convention)", r.Path, info.Name, r.Export)
		}
	case Handler:
		if !info.Exports[r.Export] {
			return route{}, fmt.Errorf("route %s: handler convention: component %s does not export %s", r.Path, info.Name, r.Export)
		}
		if info.Pattern == "command" {
			return route{}, fmt.Errorf("route %s: handler convention: component %s is a command; its exports cannot be called", r.Path, info.Name)
		}
	case WASIHTTP:
		if !info.Interfaces[IncomingHandler] {
			return route{}, fmt.Errorf("route %s: wasi-http convention: component %s exports no %s", r.Path, info.Name, IncomingHandler)
		}
	case WAGI:
		if !info.Exports["_start"] {
			return route{}, fmt.Errorf("route %s: WAGI convention: component %s exports no _start (it is a %s module)", r.Path, info.Name, info.Pattern)
		}
	default:
		return route{}, fmt.Errorf("route %s: unknown convention %d", r.Path, int(r.Convention))
	}
	if r.Convention == WASIHTTP {
		if _, ok := inv.(trigger.HTTPInvoker); !ok {
			return route{}, fmt.Errorf("route %s: wasi-http convention: the invoker cannot serve wasi:http components", r.Path)
		}
	} else if info.Pattern == "component" {
		return route{}, fmt.Errorf("route %s: %s convention: component %s is a Component Model component; serve it with the wasi-http convention", r.Path, r.Convention, info.Name)
	}
	return route{Route: r, info: info}, nil
}

// match returns the route serving path, or nil.
func (t *Trigger) match(path string) *route {
	for i := range t.routes {
		r := &t.routes[i]
		if r.Path == "/" || path == r.Path || (strings.HasPrefix(path, r.Path) && path[len(r.Path)] == '/') {
			return r
		}
	}
	return nil
}

// Convention returns the convention of the route for path (never Auto), or
// Auto when no route matches.
func (t *Trigger) Convention(path string) Convention {
	if r := t.match(path); r != nil {
		return r.Convention
	}
	return Auto
}

// Stats returns the instance counters of every routed component, summed.
func (t *Trigger) Stats() trigger.Stats {
	var s trigger.Stats
	seen := map[string]bool{}
	for _, r := range t.routes {
		if seen[r.Component] || r.info.Stats == nil {
			continue
		}
		seen[r.Component] = true
		c := r.info.Stats()
		s.Active += c.Active
		s.Idle += c.Idle
		s.Waiting += c.Waiting
		s.Created += c.Created
		s.Discarded += c.Discarded
		s.Retired += c.Retired
		s.Failed += c.Failed
		s.Calls += c.Calls
		s.Rejected += c.Rejected
	}
	return s
}

// newID returns a request id unique within this process run.
func (t *Trigger) newID() string {
	var b [32]byte
	n := copy(b[:], t.idPrefix)
	b[n] = '-'
	out := strconv.AppendUint(b[:n+1], t.idSeq.Add(1), 36)
	return string(out)
}

// statusWriter records what was written, for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
	abort  bool // the response failed after its head: cut the connection
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap gives http.ResponseController the server's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ServeHTTP serves one request with the module.
func (t *Trigger) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	logging := t.log.Enabled(r.Context(), slog.LevelInfo)
	start := time.Now()
	deadline := start.Add(t.cfg.Timeout)
	if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
		// Reading the body counts against the request's timeout. The
		// deadline ends with the body: net/http clears it when the body
		// has been read, and sets its own for the next request.
		http.NewResponseController(rw).SetReadDeadline(deadline)
	}
	id := t.newID()
	w := &statusWriter{ResponseWriter: rw}
	w.Header()["X-Request-Id"] = []string{id}
	var gerr error
	if r.URL.Path == HealthPath {
		t.health(w)
	} else {
		gerr = t.serve(w, r, id, deadline)
	}
	if w.status == 0 {
		w.status = 499 // the client went away before an answer
	}
	if !logging {
		if w.abort {
			panic(http.ErrAbortHandler)
		}
		return
	}
	attrs := []slog.Attr{
		slog.String("id", id),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", w.status),
		slog.Int64("bytes", w.bytes),
		slog.Duration("duration", time.Since(start)),
		slog.String("remote", r.RemoteAddr),
	}
	if gerr != nil {
		attrs = append(attrs, slog.String("error", gerr.Error()))
	}
	t.log.LogAttrs(r.Context(), slog.LevelInfo, "http request", attrs...)
	if w.abort {
		panic(http.ErrAbortHandler)
	}
}

func (t *Trigger) health(w http.ResponseWriter) {
	poolJSON := func(s trigger.Stats) map[string]any {
		return map[string]any{
			"active": s.Active, "idle": s.Idle, "waiting": s.Waiting,
			"created": s.Created, "discarded": s.Discarded, "retired": s.Retired,
			"failed": s.Failed, "calls": s.Calls, "rejected": s.Rejected,
		}
	}
	routes := make([]map[string]any, 0, len(t.routes))
	for _, r := range t.routes {
		e := map[string]any{"path": r.Path, "component": r.Component, "convention": r.Convention.String()}
		if r.info.Stats != nil {
			e["pool"] = poolJSON(r.info.Stats())
		}
		if r.info.Violations != nil {
			e["violations"] = r.info.Violations() // by limit name; empty when none
		}
		routes = append(routes, e)
	}
	first := t.routes[len(t.routes)-1] // the shortest path, "/" for serve
	body, _ := json.Marshal(map[string]any{
		"status":     "ok",
		"module":     first.info.Name,
		"convention": first.Convention.String(),
		"pool":       poolJSON(t.Stats()),
		"routes":     routes,
		"body_memory": map[string]int64{
			"used": t.mem.used.Load(), "max": t.mem.max,
		},
	})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(append(body, '\n'))
}

// serve reads the body, runs the module and writes its response or the
// error's status. It returns the error for the access log.
func (t *Trigger) serve(w http.ResponseWriter, r *http.Request, id string, dl time.Time) error {
	rt := t.match(r.URL.Path)
	if rt == nil {
		t.fail(w, http.StatusNotFound, id, "no route for "+r.URL.Path)
		return nil
	}
	hb := t.encs.Get().(*handlerBuf)
	defer t.putEnc(hb)
	var head, room int
	buf := hb.in[:0]
	if rt.Convention == Handler {
		// The body is read straight into the encoded request, after its
		// head and room for the body's length.
		buf = hb.head(buf, r)
		head, room = len(buf), binary.MaxVarintLen64
	}
	var in []byte // the encoded request (handler) or the body (WAGI)
	if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
		var n, reserved int64
		var err error
		buf, n, reserved, err = t.readBody(r, buf, room, rt.maxBody)
		hb.in = buf[:0]
		defer t.mem.release(reserved)
		if err != nil {
			t.failFor(w, r, rt, id, err)
			return err
		}
		if rt.Convention == Handler {
			in = encodeBody(buf, head, n)
		} else {
			in = buf[:n]
		}
	} else if rt.Convention == Handler {
		in = append(buf, 0) // the length of an empty body
		hb.in = in[:0]
	}
	ctx, cancel := deadline.With(r.Context(), dl)
	defer cancel()
	if tp := r.Header.Get("Traceparent"); tp != "" && trigger.ValidTraceparent(tp) {
		ctx = trigger.WithTraceparent(ctx, tp)
	}
	var err error
	switch rt.Convention {
	case Handler:
		err = t.serveHandler(ctx, rt, w, hb, in)
	case WAGI:
		err = t.serveWAGI(ctx, rt, w, r, id, in)
	case WASIHTTP:
		err = t.serveWASIHTTP(ctx, rt, w, r, in)
	}
	if err != nil {
		t.failFor(w, r, rt, id, err)
	}
	return err
}

// failFor answers a request that failed with err with the status err maps
// to, and logs what the operator needs: the one place errors become
// statuses.
func (t *Trigger) failFor(w http.ResponseWriter, r *http.Request, rt *route, id string, err error) {
	var (
		own *statusError
		bad *BadResponseError
	)
	t.reportComponentLimit(rt, err)
	switch {
	case errors.Is(err, trigger.ErrResponseStarted):
		// The status is gone: the response can only be cut short, so that
		// the client sees it incomplete rather than whole.
		t.log.LogAttrs(r.Context(), slog.LevelError, "module failed mid-response", slog.String("id", id),
			slog.String("component", rt.Component), slog.String("error", err.Error()))
		if sw, ok := w.(*statusWriter); ok {
			sw.abort = true // after the access log line
		} else {
			panic(http.ErrAbortHandler)
		}
	case errors.As(err, &own):
		if own.abandon {
			abandonBody(w)
		}
		if own.status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "1")
		}
		t.fail(w, own.status, id, own.msg)
	case errors.Is(err, trigger.ErrLimit):
		status := limitStatus(err)
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		// Logged by the access log line, and by the Host (at a bounded
		// rate: a guest may hammer its limits).
		t.fail(w, status, id, firstLine(err.Error()))
	case errors.Is(err, trigger.ErrSaturated):
		w.Header().Set("Retry-After", "1")
		t.fail(w, http.StatusServiceUnavailable, id, "all instances are busy; try again later")
	case errors.Is(err, engine.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		// The request's timeout or the component's own (limits.timeout),
		// whichever came first.
		t.fail(w, http.StatusGatewayTimeout, id, "the module did not answer in time")
	case errors.Is(err, engine.ErrCanceled) || r.Context().Err() != nil:
		// The client is gone: nobody reads an answer.
	case errors.As(err, &bad):
		t.log.LogAttrs(r.Context(), slog.LevelError, "bad response from module", slog.String("id", id),
			slog.String("component", rt.Component), slog.String("error", err.Error()))
		t.fail(w, http.StatusBadGateway, id, "the module sent a malformed response")
	case errors.Is(err, trigger.ErrClosed):
		t.fail(w, http.StatusServiceUnavailable, id, "shutting down")
	default:
		t.log.LogAttrs(r.Context(), slog.LevelError, "module failed", slog.String("id", id),
			slog.String("component", rt.Component), slog.String("error", err.Error()))
		t.fail(w, http.StatusInternalServerError, id, "the module failed")
	}
}

// reportComponentLimit tells the Invoker about a body or response the
// trigger refused at a cap that is the component's (limits.request_bytes,
// limits.response_bytes, lower than the trigger's own), so that it counts
// with the component's other violations.
func (t *Trigger) reportComponentLimit(rt *route, err error) {
	if rt.info.Violated == nil {
		return
	}
	var own *statusError
	var bad *BadResponseError
	switch {
	case errors.As(err, &own) && own.status == http.StatusRequestEntityTooLarge &&
		rt.info.MaxRequestBytes > 0 && rt.maxBody == rt.info.MaxRequestBytes:
		rt.info.Violated(&engine.LimitError{Module: rt.Component, Limit: "request_bytes", Max: uint64(rt.maxBody)})
	case errors.As(err, &bad) && bad.tooBig &&
		rt.info.MaxResponseBytes > 0 && rt.maxResp == rt.info.MaxResponseBytes:
		rt.info.Violated(&engine.LimitError{Module: rt.Component, Limit: "response_bytes", Max: uint64(rt.maxResp)})
	}
}

// limitStatus is the status of a call past one of its component's limits
// (err matches trigger.ErrLimit): 413 for its request's size, 502 for its
// response's, 429 for its message rate, 500 for the others (keyvalue and
// outgoing HTTP quotas), which are the module's failure.
func limitStatus(err error) int {
	var lim *engine.LimitError
	if !errors.As(err, &lim) {
		return http.StatusInternalServerError
	}
	switch lim.Limit {
	case "request_bytes":
		return http.StatusRequestEntityTooLarge
	case "response_bytes":
		return http.StatusBadGateway
	case "messages_per_second":
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// firstLine is s up to its first line break.
func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}

// fail writes a short text error naming the request id.
func (t *Trigger) fail(w http.ResponseWriter, status int, id, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprintf(w, "%d %s: %s (request id %s)\n", status, http.StatusText(status), msg, id)
}

// guestStderr collects an instance's stderr for one request, up to a cap.
type guestStderr struct {
	buf       bytes.Buffer
	truncated bool
}

const maxStderr = 8 << 10

func (g *guestStderr) Write(b []byte) (int, error) {
	if room := maxStderr - g.buf.Len(); len(b) > room {
		g.buf.Write(b[:max(room, 0)])
		g.truncated = true
		return len(b), nil
	}
	return g.buf.Write(b)
}

func (g *guestStderr) reset() { g.buf.Reset(); g.truncated = false }

func (g *guestStderr) String() string {
	s := string(bytes.TrimRight(g.buf.Bytes(), "\n"))
	if g.truncated {
		s += " [truncated]"
	}
	return s
}

// logStderr logs what the guest wrote on stderr during request id.
func (t *Trigger) logStderr(ctx context.Context, rt *route, id string, g *guestStderr) {
	if g.buf.Len() == 0 {
		return
	}
	t.log.LogAttrs(ctx, slog.LevelWarn, "module stderr", slog.String("id", id),
		slog.String("component", rt.Component), slog.String("stderr", g.String()))
}

// BadResponseError reports a guest answer the trigger cannot turn into an
// HTTP response (502): malformed CGI output, an httpwire response that does
// not decode, or a response over MaxResponseBytes.
type BadResponseError struct {
	Convention Convention
	Reason     string
	tooBig     bool // over the route's response cap
}

func (e *BadResponseError) Error() string {
	return fmt.Sprintf("malformed %s response: %s", e.Convention, e.Reason)
}

// limitedBuffer is a bytes.Buffer that keeps up to limit bytes and drops
// the rest, noting that it did. The writer is told every write succeeded:
// a guest whose output is cut must not fail for it (a 500), since the
// answer is the trigger's 502 for an oversized response.
type limitedBuffer struct {
	bytes.Buffer
	limit    int64
	exceeded bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if int64(b.Len()+len(p)) > b.limit {
		b.exceeded = true
		return len(p), nil
	}
	return b.Buffer.Write(p)
}
