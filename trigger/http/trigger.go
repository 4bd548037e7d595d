// Package httptrigger serves HTTP requests with a WebAssembly module: the
// trigger behind `wasmhive serve`. It speaks two guest conventions, picked
// from what the module exports (Config.Convention overrides):
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
// Limits and failures map to status codes: a body over MaxBodyBytes gets
// 413, a request past Timeout 504, a trap or guest error 500 (with a request
// id, also in the log line that carries the guest's error), malformed CGI
// output 502, a saturated pool 503 after the queue wait. Every response
// carries an X-Request-Id header. GET HealthPath answers 200 with the pool's
// counters. An access log line per request goes to the slog logger at Info
// level. docs/serve.md documents all of it.
package httptrigger

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/pool"
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
)

func (c Convention) String() string {
	switch c {
	case Auto:
		return "auto"
	case WAGI:
		return "wagi"
	case Handler:
		return "handler"
	}
	return fmt.Sprintf("Convention(%d)", int(c))
}

// ParseConvention parses "auto", "wagi" (or "cgi") and "handler".
func ParseConvention(s string) (Convention, error) {
	switch s {
	case "auto", "":
		return Auto, nil
	case "wagi", "cgi":
		return WAGI, nil
	case "handler":
		return Handler, nil
	}
	return 0, fmt.Errorf("unknown convention %q (want auto, wagi or handler)", s)
}

// Config configures a Trigger. Runtime and Module are required.
type Config struct {
	// Runtime instantiates the module. For the handler convention it must
	// define the Extism host modules (engine.Config.WithHostModule with
	// each of extism.HostModules(): Go handlers written with pdk/http import
	// the bulk-copy module as well as extism:host/env).
	Runtime *engine.Runtime
	// Module is the compiled module that serves requests.
	Module *engine.Module
	// Convention picks the guest convention; Auto detects it.
	Convention Convention
	// Export is the handler convention's export; empty means DefaultExport.
	Export string
	// Pool configures the instances: for the handler convention every field
	// applies (Policy Reuse keeps warm instances, Fresh makes one per
	// request); for WAGI, where each request needs a fresh instance, Max,
	// QueueSize and QueueTimeout apply. Pool.New is set by the trigger.
	Pool pool.Config
	// MaxBodyBytes caps request bodies (413 past it); 0 means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxResponseBytes caps what a guest may answer (502 past it); 0 means
	// DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// Timeout bounds each request, including the wait for an instance (504
	// past it); 0 means DefaultTimeout.
	Timeout time.Duration
	// Env adds "NAME=VALUE" entries to every instance's environment (for
	// WAGI, before the CGI variables, which win).
	Env []string
	// Preopens are directories every instance may reach.
	Preopens []engine.Preopen
	// PluginConfig is what the handler's config_get sees.
	PluginConfig map[string]string
	// AllowedHosts are the hosts the handler's http_request may reach.
	AllowedHosts []string
	// Logger receives the access log (Info), guest errors (Error) and guest
	// stderr (Warn); nil means slog.Default().
	Logger *slog.Logger
}

// Trigger is an http.Handler that serves requests with a module. Close it to
// release its instances.
type Trigger struct {
	cfg        Config
	convention Convention
	export     string
	log        *slog.Logger
	pool       *pool.Pool
	idPrefix   string
	idSeq      atomic.Uint64
	wagi       *wagiRunner
	bufs       sync.Pool // *bytes.Buffer for request bodies
}

// New checks cfg against the module, picks the convention and creates the
// instance pool (whose warm instances start in the background).
func New(cfg Config) (*Trigger, error) {
	if cfg.Runtime == nil || cfg.Module == nil {
		return nil, errors.New("httptrigger: Config.Runtime and Config.Module are required")
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
	t := &Trigger{cfg: cfg, export: cfg.Export, log: cfg.Logger}
	if t.export == "" {
		t.export = DefaultExport
	}
	if t.log == nil {
		t.log = slog.Default()
	}
	var rnd [4]byte
	rand.Read(rnd[:])
	t.idPrefix = hex.EncodeToString(rnd[:])
	t.bufs.New = func() any { return new(bytes.Buffer) }

	m := cfg.Module
	conv := cfg.Convention
	if conv == Auto {
		switch {
		case m.HasExport(t.export):
			conv = Handler
		case m.HasExport("_start"):
			conv = WAGI
		default:
			return nil, fmt.Errorf("%s exports neither %s (handler convention) nor _start (WAGI convention)", m.Name(), t.export)
		}
	}
	t.convention = conv
	pc := cfg.Pool
	switch conv {
	case Handler:
		if err := extism.CheckExport(m, t.export); err != nil {
			return nil, fmt.Errorf("handler convention: %w", err)
		}
		pc.New = t.newHandlerInstance
	case WAGI:
		if !m.HasExport("_start") {
			return nil, fmt.Errorf("WAGI convention: %s exports no _start (it is a %s module)", m.Name(), m.Pattern())
		}
		// Every request needs its own instance (stdio and environment are
		// fixed at instantiation): only the limits of the pool apply.
		pc.Policy, pc.MinWarm, pc.IdleTimeout = pool.Fresh, 0, 0
		pc.New = func(context.Context) (*engine.Instance, error) {
			return nil, errors.New("WAGI instances are made per request")
		}
		t.wagi = &wagiRunner{t: t}
	default:
		return nil, fmt.Errorf("httptrigger: unknown convention %d", int(conv))
	}
	// Instantiate once now, so that a module that cannot run here (an
	// import no host provides, a trap in _initialize) is refused at start
	// rather than answering 500 to every request.
	probe := pc.New
	if conv == WAGI {
		probe = func(ctx context.Context) (*engine.Instance, error) {
			return cfg.Runtime.Instantiate(ctx, m, engine.InstanceConfig{Args: []string{m.Name()}, Env: cfg.Env, Preopens: cfg.Preopens})
		}
	}
	inst, err := probe(context.Background())
	if err != nil {
		return nil, fmt.Errorf("%s convention: %w", conv, err)
	}
	inst.Close(context.Background())
	p, err := pool.New(pc)
	if err != nil {
		return nil, err
	}
	t.pool = p
	return t, nil
}

// Convention returns the convention in use (never Auto).
func (t *Trigger) Convention() Convention { return t.convention }

// Stats returns the instance pool's counters.
func (t *Trigger) Stats() pool.Stats { return t.pool.Stats() }

// Close releases the pool's idle instances; call it after the HTTP server
// has shut down.
func (t *Trigger) Close(ctx context.Context) error { return t.pool.Close(ctx) }

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

// ServeHTTP serves one request with the module.
func (t *Trigger) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	logging := t.log.Enabled(r.Context(), slog.LevelInfo)
	var start time.Time
	if logging {
		start = time.Now()
	}
	id := t.newID()
	w := &statusWriter{ResponseWriter: rw}
	w.Header()["X-Request-Id"] = []string{id}
	var gerr error
	if r.URL.Path == HealthPath {
		t.health(w)
	} else {
		gerr = t.serve(w, r, id)
	}
	if w.status == 0 {
		w.status = 499 // the client went away before an answer
	}
	if !logging {
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
}

func (t *Trigger) health(w http.ResponseWriter) {
	s := t.pool.Stats()
	body, _ := json.Marshal(map[string]any{
		"status":     "ok",
		"module":     t.cfg.Module.Name(),
		"convention": t.convention.String(),
		"pool": map[string]any{
			"active": s.Active, "idle": s.Idle, "waiting": s.Waiting,
			"created": s.Created, "discarded": s.Discarded, "retired": s.Retired,
			"failed": s.Failed, "calls": s.Calls, "rejected": s.Rejected,
		},
	})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(append(body, '\n'))
}

// serve reads the body, runs the module and writes its response or the
// error's status. It returns the error for the access log.
func (t *Trigger) serve(w http.ResponseWriter, r *http.Request, id string) error {
	if r.ContentLength > t.cfg.MaxBodyBytes {
		t.fail(w, http.StatusRequestEntityTooLarge, id, fmt.Sprintf("request body of %d bytes exceeds the limit of %d", r.ContentLength, t.cfg.MaxBodyBytes))
		return nil
	}
	buf := t.bufs.Get().(*bytes.Buffer)
	defer t.putBuf(buf)
	buf.Reset()
	if r.Body != nil && r.Body != http.NoBody {
		if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, t.cfg.MaxBodyBytes)); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				t.fail(w, http.StatusRequestEntityTooLarge, id, fmt.Sprintf("request body exceeds the limit of %d bytes", t.cfg.MaxBodyBytes))
				return nil
			}
			t.fail(w, http.StatusBadRequest, id, "cannot read the request body")
			return err
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), t.cfg.Timeout)
	defer cancel()
	var err error
	switch t.convention {
	case Handler:
		err = t.serveHandler(ctx, w, r, id, buf.Bytes())
	case WAGI:
		err = t.wagi.serve(ctx, w, r, id, buf.Bytes())
	}
	if err != nil {
		t.failFor(w, r, id, err)
	}
	return err
}

func (t *Trigger) putBuf(b *bytes.Buffer) {
	if b.Cap() <= 1<<20 {
		t.bufs.Put(b)
	}
}

// failFor maps a guest or pool error to a status and logs it.
func (t *Trigger) failFor(w http.ResponseWriter, r *http.Request, id string, err error) {
	var bad *BadResponseError
	switch {
	case errors.Is(err, pool.ErrSaturated):
		w.Header().Set("Retry-After", "1")
		t.fail(w, http.StatusServiceUnavailable, id, "all instances are busy; try again later")
	case errors.Is(err, engine.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		t.fail(w, http.StatusGatewayTimeout, id, fmt.Sprintf("the module did not answer within %s", t.cfg.Timeout))
	case errors.Is(err, engine.ErrCanceled) || r.Context().Err() != nil:
		// The client is gone: nobody reads an answer.
	case errors.As(err, &bad):
		t.log.LogAttrs(r.Context(), slog.LevelError, "bad response from module", slog.String("id", id),
			slog.String("module", t.cfg.Module.Name()), slog.String("error", err.Error()))
		t.fail(w, http.StatusBadGateway, id, "the module sent a malformed response")
	case errors.Is(err, pool.ErrClosed):
		t.fail(w, http.StatusServiceUnavailable, id, "shutting down")
	default:
		t.log.LogAttrs(r.Context(), slog.LevelError, "module failed", slog.String("id", id),
			slog.String("module", t.cfg.Module.Name()), slog.String("error", err.Error()))
		t.fail(w, http.StatusInternalServerError, id, "the module failed")
	}
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
func (t *Trigger) logStderr(ctx context.Context, id string, g *guestStderr) {
	if g.buf.Len() == 0 {
		return
	}
	t.log.LogAttrs(ctx, slog.LevelWarn, "module stderr", slog.String("id", id),
		slog.String("module", t.cfg.Module.Name()), slog.String("stderr", g.String()))
}

// BadResponseError reports a guest answer the trigger cannot turn into an
// HTTP response (502): malformed CGI output, an httpwire response that does
// not decode, or a response over MaxResponseBytes.
type BadResponseError struct {
	Convention Convention
	Reason     string
}

func (e *BadResponseError) Error() string {
	return fmt.Sprintf("malformed %s response: %s", e.Convention, e.Reason)
}

// limitedBuffer is a bytes.Buffer that refuses writes past limit.
type limitedBuffer struct {
	bytes.Buffer
	limit    int64
	exceeded bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if int64(b.Len()+len(p)) > b.limit {
		b.exceeded = true
		return 0, io.ErrShortWrite
	}
	return b.Buffer.Write(p)
}
