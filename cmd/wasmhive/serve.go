package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/app"
	httptrigger "github.com/wasmhive/wasmhive/trigger/http"
)

func init() { commands = append(commands, newServeCmd) }

// serveFlags are the flags of `wasmhive serve`.
type serveFlags struct {
	listen          string
	convention      string
	export          string
	policy          string
	minWarm         int
	maxInstances    int
	idleTimeout     time.Duration
	queue           int
	queueTimeout    time.Duration
	timeout         time.Duration
	maxBody         string
	maxResponse     string
	maxBodyMemory   string
	maxMemory       string
	shutdownTimeout time.Duration
	env             []string
	dirs            []string
	roDirs          []string
	config          []string
	allowHosts      []string
	grants          []string
	dataDir         string
	noAccessLog     bool
	logFormat       string
	noCache         bool
	sandbox         sandboxFlags // limits, private dir, config sources, claims (grants.go)
}

func newServeCmd() *cobra.Command { return serveCmd(new(serveFlags)) }

// serveCmd is `wasmhive serve` with its flags parsed into f.
func serveCmd(f *serveFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve [flags] MODULE",
		Short: "Serve HTTP with a WebAssembly module (WAGI command or pooled handler)",
		Long: `Serve HTTP requests with MODULE until SIGINT or SIGTERM, which drain the requests in flight.

Three guest conventions, picked from the module's exports (--convention overrides):
  handler    a reactor or library module exporting handle_http: called on warm, pooled
             instances; request and response in the httpwire format through the Extism ABI
             (Go: package github.com/wasmhive/wasmhive/pdk/http).
  wagi       a command module (exporting _start), run as a CGI 1.1 script with a fresh
             instance per request: request in environment variables and stdin, CGI headers
             and body on stdout.
  wasi-http  a Component Model component exporting wasi:http/incoming-handler (the
             wasi:http/proxy world, as wasmtime serve runs): called on warm, pooled instances.

Status codes of their own: 413 body over --max-body, 408 body not received within
--timeout, 504 no answer within --timeout, 500 when the module traps or fails (the body
and the log carry a request id), 502 malformed module output or over --max-response, 503
when every instance is busy past --queue-timeout or the bodies in progress fill
--max-body-memory. Health check:
GET ` + httptrigger.HealthPath + `. See docs/serve.md.`,
		Example: `  wasmhive serve handler.wasm
  wasmhive serve --listen 0.0.0.0:8080 --max-instances 16 --min-warm 4 handler.wasm
  wasmhive serve --convention wagi --timeout 5s cgi.wasm`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return serveModule(cmd, *f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", "127.0.0.1:8080", "listen on `ADDR` (host:port; port 0 picks a free one)")
	fl.StringVar(&f.convention, "convention", "auto", "guest convention: auto, handler, wagi or wasi-http")
	fl.StringVar(&f.export, "export", httptrigger.DefaultExport, "the handler convention's export `NAME`")
	fl.StringVar(&f.policy, "policy", "reuse", "handler instances: reuse (warm, state kept between requests) or fresh (one per request)")
	fl.IntVar(&f.minWarm, "min-warm", 1, "handler instances kept ready ahead of requests")
	fl.IntVar(&f.maxInstances, "max-instances", 16, "most requests served at once (instances in use)")
	fl.DurationVar(&f.idleTimeout, "idle-timeout", 5*time.Minute, "close handler instances idle this long (keeping --min-warm); 0 never")
	fl.IntVar(&f.queue, "queue", 0, "requests that may wait for a busy instance (default 4 x --max-instances; -1 none)")
	fl.DurationVar(&f.queueTimeout, "queue-timeout", time.Second, "how long a request waits for an instance before 503")
	fl.DurationVar(&f.timeout, "timeout", httptrigger.DefaultTimeout, "per-request limit, including the wait for an instance (504 past it)")
	fl.StringVar(&f.maxBody, "max-body", "10MiB", "largest request body `SIZE` (413 past it)")
	fl.StringVar(&f.maxResponse, "max-response", "64MiB", "largest response `SIZE` a module may send (502 past it)")
	fl.StringVar(&f.maxBodyMemory, "max-body-memory", "", "request body `SIZE` buffered at once, across requests (503 past it; default 256MiB, or --max-body if larger)")
	fl.StringVar(&f.maxMemory, "max-memory", app.DefaultMemory.String(), "cap each instance's linear memory at `SIZE` (up to 4GiB)")
	fl.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 30*time.Second, "on SIGINT/SIGTERM, wait this long for requests in flight")
	fl.StringArrayVar(&f.env, "env", nil, "set `NAME=VALUE` in every instance's environment; NAME alone passes the host's value (repeatable)")
	fl.StringArrayVar(&f.dirs, "dir", nil, "preopen `HOST_DIR[::GUEST_DIR]` read-write (repeatable)")
	fl.StringArrayVar(&f.roDirs, "ro-dir", nil, "preopen `HOST_DIR[::GUEST_DIR]` read-only (repeatable)")
	fl.StringArrayVar(&f.config, "config", nil, "handler configuration `KEY=VALUE`, read with config_get (repeatable)")
	fl.StringArrayVar(&f.allowHosts, "allow-host", nil, "a `HOST` glob the handler's http_request may reach (repeatable)")
	addGrantFlags(fl, &f.grants, &f.dataDir)
	addSandboxFlags(fl, &f.sandbox, withKeyValueLimits|withHTTPLimits|withMessagingLimits|withPrivateDir)
	fl.BoolVar(&f.noAccessLog, "no-access-log", false, "do not log a line per request")
	fl.StringVar(&f.logFormat, "log-format", "text", "log format on stderr: text or json")
	fl.BoolVar(&f.noCache, "no-cache", false, "do not use the on-disk compilation cache")
	return cmd
}

func serveModule(cmd *cobra.Command, f serveFlags, path string) error {
	handleSignals() // SIGINT/SIGTERM cancel ctx: drain and stop
	ctx := cmd.Context()
	verbose, _ := cmd.Flags().GetBool("verbose")
	tcfg, cc, err := f.configs(path)
	if err != nil {
		return usageError{err}
	}
	claims, err := f.sandbox.claims()
	if err != nil {
		return usageError{err}
	}
	log, accessLog, h, err := newLogs(cmd, f.logFormat, f.noAccessLog, verbose)
	if err != nil {
		return usageError{err}
	}
	tcfg.Logger = accessLog
	name := strings.TrimSuffix(filepath.Base(path), ".wasm")
	host, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{
		App: name, DataDir: f.dataDir, NoCache: f.noCache, DebugInfo: verbose, Logger: log, Claims: claims,
	})
	if err != nil {
		return err
	}
	defer host.Close(context.WithoutCancel(ctx))
	comp, err := host.AddComponent(ctx, name, cc)
	if err != nil {
		return usageError{err}
	}
	app.CheckMemory(log, app.ComponentMemory(name, cc), app.BodyMemory(tcfg))
	tcfg.Invoker = host
	tcfg.Routes = []httptrigger.Route{{Path: "/", Component: name, Convention: tcfg.Routes[0].Convention, Export: tcfg.Routes[0].Export}}
	trig, err := httptrigger.New(tcfg)
	if err != nil {
		return usageError{err}
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return usageError{fmt.Errorf("--listen %s: %w", f.listen, unwrapNetError(err))}
	}
	log.Info("serving", "url", "http://"+ln.Addr().String(), "module", moduleName(comp), "convention", trig.Convention("/").String(),
		"pattern", comp.Pattern().String(), "max_instances", cc.Instances.Max)
	return serveHTTP(ctx, log, h, trig, ln, f.shutdownTimeout)
}

// moduleName is the name of a component's main module, or of its file for
// a Component Model component.
func moduleName(c *wasmhive.Component) string {
	if m := c.Module(); m != nil {
		return m.Name()
	}
	return c.Name()
}

// newLogs makes the logger of a serving verb (text or JSON on stderr) and
// its access logger (the same, or one that drops Info records).
func newLogs(cmd *cobra.Command, format string, noAccessLog, verbose bool) (log, access *slog.Logger, h slog.Handler, err error) {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "text":
		h = slog.NewTextHandler(cmd.ErrOrStderr(), opts)
	case "json":
		h = slog.NewJSONHandler(cmd.ErrOrStderr(), opts)
	default:
		return nil, nil, nil, fmt.Errorf("--log-format %q: want text or json", format)
	}
	log = slog.New(h)
	access = log
	if noAccessLog {
		access = slog.New(levelFloor{Handler: h, min: slog.LevelWarn})
	}
	return log, access, h, nil
}

// serveHTTP serves trig on ln until ctx is done (SIGINT/SIGTERM), then
// drains the requests in flight for up to shutdownTimeout.
func serveHTTP(ctx context.Context, log *slog.Logger, h slog.Handler, trig *httptrigger.Trigger, ln net.Listener, shutdownTimeout time.Duration) error {
	srv := httptrigger.NewServer(trig, slog.New(h))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s := trig.Stats()
	log.Info("shutting down: draining requests in flight", "active", s.Active, "waiting", s.Waiting, "timeout", shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("shutdown: requests still in flight after %s: %w", shutdownTimeout, err)
	}
	s = trig.Stats()
	log.Info("stopped", "calls", s.Calls, "instances_created", s.Created, "instances_discarded", s.Discarded)
	return nil
}

// config validates the flags into the trigger's configuration (with one
// route, completed by the caller) and the component's.
func (f serveFlags) configs(path string) (httptrigger.Config, wasmhive.ComponentConfig, error) {
	var tc httptrigger.Config
	cc := wasmhive.ComponentConfig{Module: path}
	conv, err := httptrigger.ParseConvention(f.convention)
	if err != nil {
		return tc, cc, fmt.Errorf("--convention: %w", err)
	}
	switch f.policy {
	case "reuse":
	case "fresh":
		cc.Instances.Fresh = true
	default:
		return tc, cc, fmt.Errorf("--policy %q: want reuse or fresh", f.policy)
	}
	if f.maxInstances < 1 {
		return tc, cc, fmt.Errorf("--max-instances %d: want at least 1", f.maxInstances)
	}
	if f.minWarm < 0 || f.minWarm > f.maxInstances {
		return tc, cc, fmt.Errorf("--min-warm %d: want between 0 and --max-instances (%d)", f.minWarm, f.maxInstances)
	}
	if f.queue < -1 {
		return tc, cc, fmt.Errorf("--queue %d: want 0 or more, or -1 for none", f.queue)
	}
	if f.queueTimeout <= 0 {
		return tc, cc, errors.New("--queue-timeout: want a positive duration")
	}
	if f.timeout <= 0 {
		return tc, cc, errors.New("--timeout: want a positive duration")
	}
	if f.idleTimeout < 0 {
		return tc, cc, errors.New("--idle-timeout: want a duration of 0 or more")
	}
	if f.shutdownTimeout < 0 {
		return tc, cc, errors.New("--shutdown-timeout: want a duration of 0 or more")
	}
	maxBody, err := wasmhive.ParseSize(f.maxBody)
	if err != nil {
		return tc, cc, fmt.Errorf("--max-body: %w", err)
	}
	maxResp, err := wasmhive.ParseSize(f.maxResponse)
	if err != nil {
		return tc, cc, fmt.Errorf("--max-response: %w", err)
	}
	var bodyMemory wasmhive.Size
	if f.maxBodyMemory != "" {
		if bodyMemory, err = wasmhive.ParseSize(f.maxBodyMemory); err != nil {
			return tc, cc, fmt.Errorf("--max-body-memory: %w", err)
		}
		if bodyMemory < maxBody {
			return tc, cc, fmt.Errorf("--max-body-memory %s is less than --max-body %s: a body at the limit could never be read", f.maxBodyMemory, f.maxBody)
		}
	}
	if f.maxMemory != "" {
		if cc.Limits.Memory, err = parseMemory(f.maxMemory); err != nil {
			return tc, cc, fmt.Errorf("--max-memory: %w", err)
		}
	}
	env, err := parseEnv(f.env)
	if err != nil {
		return tc, cc, err
	}
	cc.Env = envMap(env)
	preopens, err := parsePreopens(f.dirs, f.roDirs)
	if err != nil {
		return tc, cc, err
	}
	cc.Dirs = dirsOf(preopens)
	if cc.Config, err = parseConfig(f.config); err != nil {
		return tc, cc, err
	}
	if cc.Grants, err = parseGrants(f.grants, f.allowHosts); err != nil {
		return tc, cc, err
	}
	if err = f.sandbox.applyComponent(&cc); err != nil {
		return tc, cc, err
	}
	cc.Instances.Min, cc.Instances.Max = f.minWarm, f.maxInstances
	cc.Instances.IdleTimeout, cc.Instances.QueueTimeout = f.idleTimeout, f.queueTimeout
	cc.Instances.Queue = f.queue
	tc = httptrigger.Config{
		Routes:           []httptrigger.Route{{Path: "/", Convention: conv, Export: f.export}},
		MaxBodyBytes:     int64(maxBody),
		MaxResponseBytes: int64(maxResp),
		MaxBodyMemory:    int64(bodyMemory),
		Timeout:          f.timeout,
	}
	return tc, cc, nil
}

// levelFloor drops records below min (the access log at Info, when
// --no-access-log is given).
type levelFloor struct {
	slog.Handler
	min slog.Level
}

func (l levelFloor) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= l.min && l.Handler.Enabled(ctx, level)
}

// WithAttrs keeps the floor on derived loggers.
func (l levelFloor) WithAttrs(attrs []slog.Attr) slog.Handler {
	return levelFloor{Handler: l.Handler.WithAttrs(attrs), min: l.min}
}

// WithGroup keeps the floor on derived loggers.
func (l levelFloor) WithGroup(name string) slog.Handler {
	return levelFloor{Handler: l.Handler.WithGroup(name), min: l.min}
}

func unwrapNetError(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}
