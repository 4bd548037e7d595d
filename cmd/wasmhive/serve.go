package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/pool"
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
	maxMemory       string
	shutdownTimeout time.Duration
	env             []string
	dirs            []string
	roDirs          []string
	config          []string
	allowHosts      []string
	noAccessLog     bool
	logFormat       string
	noCache         bool
}

func newServeCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve [flags] MODULE",
		Short: "Serve HTTP with a WebAssembly module (WAGI command or pooled handler)",
		Long: `Serve HTTP requests with MODULE until SIGINT or SIGTERM, which drain the requests in flight.

Two guest conventions, picked from the module's exports (--convention overrides):
  handler  a reactor or library module exporting handle_http: called on warm, pooled
           instances; request and response in the httpwire format through the Extism ABI
           (Go: package github.com/wasmhive/wasmhive/pdk/http).
  wagi     a command module (exporting _start), run as a CGI 1.1 script with a fresh
           instance per request: request in environment variables and stdin, CGI headers
           and body on stdout.

Status codes of their own: 413 body over --max-body, 504 past --timeout, 500 when the
module traps or fails (the body and the log carry a request id), 502 malformed module
output, 503 when every instance is busy past --queue-timeout. Health check:
GET ` + httptrigger.HealthPath + `. See docs/serve.md.`,
		Example: `  wasmhive serve handler.wasm
  wasmhive serve --listen 0.0.0.0:8080 --max-instances 16 --min-warm 4 handler.wasm
  wasmhive serve --convention wagi --timeout 5s cgi.wasm`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return serveModule(cmd, f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", "127.0.0.1:8080", "listen on `ADDR` (host:port; port 0 picks a free one)")
	fl.StringVar(&f.convention, "convention", "auto", "guest convention: auto, handler or wagi")
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
	fl.StringVar(&f.maxMemory, "max-memory", "", "cap each instance's linear memory at `SIZE` (e.g. 64MiB)")
	fl.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 30*time.Second, "on SIGINT/SIGTERM, wait this long for requests in flight")
	fl.StringArrayVar(&f.env, "env", nil, "set `NAME=VALUE` in every instance's environment; NAME alone passes the host's value (repeatable)")
	fl.StringArrayVar(&f.dirs, "dir", nil, "preopen `HOST_DIR[::GUEST_DIR]` read-write (repeatable)")
	fl.StringArrayVar(&f.roDirs, "ro-dir", nil, "preopen `HOST_DIR[::GUEST_DIR]` read-only (repeatable)")
	fl.StringArrayVar(&f.config, "config", nil, "handler configuration `KEY=VALUE`, read with config_get (repeatable)")
	fl.StringArrayVar(&f.allowHosts, "allow-host", nil, "a `HOST` glob the handler's http_request may reach (repeatable)")
	fl.BoolVar(&f.noAccessLog, "no-access-log", false, "do not log a line per request")
	fl.StringVar(&f.logFormat, "log-format", "text", "log format on stderr: text or json")
	fl.BoolVar(&f.noCache, "no-cache", false, "do not use the on-disk compilation cache")
	return cmd
}

func serveModule(cmd *cobra.Command, f serveFlags, path string) error {
	handleSignals() // SIGINT/SIGTERM cancel ctx: drain and stop
	ctx := cmd.Context()
	verbose, _ := cmd.Flags().GetBool("verbose")
	tcfg, ecfg, err := f.triggerConfig()
	if err != nil {
		return usageError{err}
	}
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	var h slog.Handler
	opts := &slog.HandlerOptions{Level: level}
	switch f.logFormat {
	case "text":
		h = slog.NewTextHandler(cmd.ErrOrStderr(), opts)
	case "json":
		h = slog.NewJSONHandler(cmd.ErrOrStderr(), opts)
	default:
		return usageError{fmt.Errorf("--log-format %q: want text or json", f.logFormat)}
	}
	log := slog.New(h)
	accessLog := log
	if f.noAccessLog {
		accessLog = slog.New(levelFloor{Handler: h, min: slog.LevelWarn})
	}
	tcfg.Logger = accessLog

	rt, err := engine.NewRuntime(ctx, ecfg)
	if err != nil {
		return err
	}
	defer rt.Close(context.WithoutCancel(ctx))
	mod, err := rt.CompileFile(ctx, path)
	if err != nil {
		return usageError{err}
	}
	tcfg.Runtime, tcfg.Module = rt, mod
	trig, err := httptrigger.New(tcfg)
	if err != nil {
		return usageError{err}
	}
	defer trig.Close(context.WithoutCancel(ctx))

	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return usageError{fmt.Errorf("--listen %s: %w", f.listen, unwrapNetError(err))}
	}
	srv := &http.Server{
		Handler:           trig,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(h, slog.LevelWarn),
	}
	log.Info("serving", "url", "http://"+ln.Addr().String(), "module", mod.Name(), "convention", trig.Convention().String(),
		"pattern", mod.Pattern().String(), "max_instances", tcfg.Pool.Max)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s := trig.Stats()
	log.Info("shutting down: draining requests in flight", "active", s.Active, "waiting", s.Waiting, "timeout", f.shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("shutdown: requests still in flight after %s: %w", f.shutdownTimeout, err)
	}
	s = trig.Stats()
	log.Info("stopped", "calls", s.Calls, "instances_created", s.Created, "instances_discarded", s.Discarded)
	return nil
}

// triggerConfig validates the flags into the trigger's and the engine's configuration.
func (f serveFlags) triggerConfig() (httptrigger.Config, engine.Config, error) {
	var tc httptrigger.Config
	ecfg := engine.NewConfig()
	for _, h := range extism.HostModules() {
		ecfg = ecfg.WithHostModule(h)
	}
	if f.noCache {
		ecfg = ecfg.WithoutCache()
	}
	conv, err := httptrigger.ParseConvention(f.convention)
	if err != nil {
		return tc, ecfg, fmt.Errorf("--convention: %w", err)
	}
	policy, err := pool.ParsePolicy(f.policy)
	if err != nil {
		return tc, ecfg, fmt.Errorf("--policy: %w", err)
	}
	if f.maxInstances < 1 {
		return tc, ecfg, fmt.Errorf("--max-instances %d: want at least 1", f.maxInstances)
	}
	if f.minWarm < 0 || f.minWarm > f.maxInstances {
		return tc, ecfg, fmt.Errorf("--min-warm %d: want between 0 and --max-instances (%d)", f.minWarm, f.maxInstances)
	}
	if f.queueTimeout <= 0 {
		return tc, ecfg, errors.New("--queue-timeout: want a positive duration")
	}
	if f.timeout <= 0 {
		return tc, ecfg, errors.New("--timeout: want a positive duration")
	}
	if f.idleTimeout < 0 {
		return tc, ecfg, errors.New("--idle-timeout: want a duration of 0 or more")
	}
	maxBody, err := parseSize(f.maxBody)
	if err != nil {
		return tc, ecfg, fmt.Errorf("--max-body: %w", err)
	}
	maxResp, err := parseSize(f.maxResponse)
	if err != nil {
		return tc, ecfg, fmt.Errorf("--max-response: %w", err)
	}
	var memLimit uint64
	if f.maxMemory != "" {
		if memLimit, err = parseSize(f.maxMemory); err != nil {
			return tc, ecfg, fmt.Errorf("--max-memory: %w", err)
		}
		ecfg = ecfg.WithMaxMemory(memLimit)
	}
	env, err := parseEnv(f.env)
	if err != nil {
		return tc, ecfg, err
	}
	preopens, err := parsePreopens(f.dirs, f.roDirs)
	if err != nil {
		return tc, ecfg, err
	}
	pluginCfg := map[string]string{}
	for _, kv := range f.config {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return tc, ecfg, fmt.Errorf("--config %q: want KEY=VALUE", kv)
		}
		pluginCfg[k] = v
	}
	tc = httptrigger.Config{
		Convention: conv,
		Export:     f.export,
		Pool: pool.Config{
			Policy:       policy,
			MinWarm:      f.minWarm,
			Max:          f.maxInstances,
			IdleTimeout:  f.idleTimeout,
			QueueSize:    f.queue,
			QueueTimeout: f.queueTimeout,
			MemoryLimit:  memLimit,
		},
		MaxBodyBytes:     int64(maxBody),
		MaxResponseBytes: int64(maxResp),
		Timeout:          f.timeout,
		Env:              env,
		Preopens:         preopens,
		PluginConfig:     pluginCfg,
		AllowedHosts:     f.allowHosts,
	}
	return tc, ecfg, nil
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
