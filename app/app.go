// Package app runs an app manifest: it makes a Host with the manifest's
// providers, adds every component, puts the HTTP routes behind a listener
// and the messaging subscriptions on the Host's broker, and on shutdown
// drains them in that order. It is what `wasmhive up` does, as a library.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/capability/keyvalue"
	"github.com/wasmhive/wasmhive/capability/messaging"
	"github.com/wasmhive/wasmhive/link"
	"github.com/wasmhive/wasmhive/manifest"
	"github.com/wasmhive/wasmhive/trigger"
	httptrigger "github.com/wasmhive/wasmhive/trigger/http"
	msgtrigger "github.com/wasmhive/wasmhive/trigger/messaging"
)

// Config configures Start beyond the manifest. The zero value is the
// defaults.
type Config struct {
	// Logger receives the host's logs; nil means slog.Default().
	Logger *slog.Logger
	// AccessLog receives a line per HTTP request; nil means Logger.
	AccessLog *slog.Logger
	// Listen overrides the manifest's http.listen when not empty.
	Listen string
	// DataDir overrides the manifest's data directory when not empty.
	DataDir string
	// NoCache turns the compilation cache off.
	NoCache bool
	// DebugInfo reads modules' DWARF for file:line in trap stack traces.
	DebugInfo bool
	// ShutdownTimeout bounds the drain of requests in flight; 0 means 30s.
	ShutdownTimeout time.Duration
	// KeyValue, when set, is the keyvalue provider instead of the one the
	// manifest's providers name (wasmhive.HostConfig.KeyValue): a lattice
	// host's store shared by every host. The app does not close it.
	KeyValue keyvalue.Store
	// Messaging, when set, is the messaging provider instead of the one
	// the manifest's providers name (wasmhive.HostConfig.Messaging). The
	// app does not close it.
	Messaging messaging.Broker
	// Invoker, when set, returns what the app's triggers (HTTP routes,
	// messaging subscriptions) call components through, given the app's
	// Host: a lattice host's, which calls the components that run on other
	// hosts across the lattice. nil means the Host itself.
	Invoker func(*wasmhive.Host) trigger.Invoker
	// Remote, when set, serves the links whose target the app does not
	// run here (wasmhive.HostConfig.Remote): a lattice host's components
	// on other hosts.
	Remote wasmhive.Remote
}

// App is a running app.
type App struct {
	m     *manifest.App
	cfg   Config
	log   *slog.Logger
	host  *wasmhive.Host
	ln    net.Listener
	srv   *http.Server
	trig  *httptrigger.Trigger
	msgs  *msgtrigger.Trigger
	errc  chan error
	start time.Time

	// reloadMu serialises Reload (reload.go) and Close; loaded is what
	// each component of the Host was last loaded from.
	reloadMu sync.Mutex
	loaded   map[string]loadedComponent
}

// Start starts everything m describes, or nothing: a component that does
// not load, a route that does not fit its component or a port in use stops
// it with one error naming the manifest line, after undoing what started.
func Start(ctx context.Context, m *manifest.App, cfg Config) (*App, error) {
	a := &App{m: m, cfg: cfg, log: cfg.Logger, errc: make(chan error, 1), start: time.Now(), loaded: map[string]loadedComponent{}}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.cfg.ShutdownTimeout <= 0 {
		a.cfg.ShutdownTimeout = 30 * time.Second
	}
	dataDir := m.DataDir
	if cfg.DataDir != "" {
		dataDir = cfg.DataDir
	}
	h, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{
		App: m.Name, DataDir: dataDir, NoCache: cfg.NoCache, DebugInfo: cfg.DebugInfo,
		Providers: m.Providers, Claims: m.Claims, Logger: a.log,
		KeyValue: cfg.KeyValue, Messaging: cfg.Messaging, Remote: cfg.Remote,
	})
	if err != nil {
		return nil, err
	}
	a.host = h
	fail := func(err error) (*App, error) {
		a.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	order, err := StartOrder(m)
	if err != nil {
		return fail(fmt.Errorf("%s: components: %w", m.File, err))
	}
	for _, c := range order {
		cfg := WithDefaultMemory(c.Config)
		sum, _ := moduleSum(cfg) // before loading, for Reload; a module that cannot be read fails to load
		if _, err := h.AddComponent(ctx, c.Name, cfg); err != nil {
			return fail(m.Errorf(c.Line, "components."+c.Name, "%v", err))
		}
		a.loaded[c.Name] = loadedComponent{cfg: cfg, sum: sum}
	}
	checkAppMemory(a.log, m)
	var inv trigger.Invoker = h
	if cfg.Invoker != nil {
		inv = cfg.Invoker(h)
	}
	if len(m.HTTP.Routes) > 0 {
		routes := make([]httptrigger.Route, len(m.HTTP.Routes))
		for i, r := range m.HTTP.Routes {
			routes[i] = httptrigger.Route{Path: r.Path, Component: r.Component, Convention: r.Convention, Export: r.Export}
		}
		access := cfg.AccessLog
		if access == nil {
			access = a.log
		}
		trig, err := httptrigger.New(httptrigger.Config{Invoker: inv, Routes: routes, Logger: access})
		if err != nil {
			return fail(fmt.Errorf("%s: http.routes: %w", m.File, err))
		}
		a.trig = trig
		ln, err := net.Listen("tcp", a.listen())
		if err != nil {
			var op *net.OpError
			if errors.As(err, &op) && op.Err != nil {
				err = op.Err
			}
			if cfg.Listen != "" {
				return fail(fmt.Errorf("--listen %s: %w", cfg.Listen, err))
			}
			return fail(m.Errorf(m.HTTP.ListenLine, "http.listen", "%s: %v", m.HTTP.Listen, err))
		}
		a.ln = ln
	}
	if subs := m.Messaging.Subscriptions; len(subs) > 0 {
		broker, err := h.Broker(ctx)
		if err != nil {
			return fail(fmt.Errorf("%s: messaging: %w", m.File, err))
		}
		ss := make([]msgtrigger.Subscription, len(subs))
		for i, s := range subs {
			ss[i] = msgtrigger.Subscription{Subject: s.Subject, Queue: s.Queue, Component: s.Component, Export: s.Export}
		}
		t, err := msgtrigger.Start(msgtrigger.Config{Invoker: inv, Broker: broker, Subscriptions: ss, Logger: a.log})
		if err != nil {
			return fail(fmt.Errorf("%s: messaging.subscriptions: %w", m.File, err))
		}
		a.msgs = t
	}
	if a.ln != nil {
		a.srv = httptrigger.NewServer(a.trig, a.log)
		srv, ln := a.srv, a.ln
		go func() { a.errc <- srv.Serve(ln) }()
	}
	return a, nil
}

// StartOrder returns m's components in the order they are added to a
// Host: every link's target before the components that link to it, and
// otherwise in file order. A cycle of links is an error.
func StartOrder(m *manifest.App) ([]manifest.Component, error) {
	var g link.Graph
	for _, c := range m.Components {
		n := link.Node{Name: c.Name, Links: map[string]string{}}
		for _, l := range c.Config.Links {
			n.Links[l.Interface] = l.Target
		}
		g.Nodes = append(g.Nodes, n)
	}
	names, err := g.Order()
	if err != nil {
		return nil, err
	}
	out := make([]manifest.Component, 0, len(names))
	for _, n := range names {
		c, _ := m.Component(n)
		out = append(out, *c)
	}
	return out, nil
}

// listen is the address the HTTP trigger listens on.
func (a *App) listen() string {
	if a.cfg.Listen != "" {
		return a.cfg.Listen
	}
	return a.m.HTTP.Listen
}

// Host returns the app's Host.
func (a *App) Host() *wasmhive.Host { return a.host }

// Addr returns the address the HTTP trigger listens on, or nil without
// routes.
func (a *App) Addr() net.Addr {
	if a.ln == nil {
		return nil
	}
	return a.ln.Addr()
}

// Wait serves until ctx is done (SIGINT/SIGTERM for `up`) or the HTTP
// server fails, then shuts down gracefully.
func (a *App) Wait(ctx context.Context) error {
	var serveErr error
	select {
	case err := <-a.errc:
		serveErr = fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	if err := a.Shutdown(context.WithoutCancel(ctx)); err != nil && serveErr == nil {
		serveErr = err
	}
	return serveErr
}

// Shutdown stops taking work, drains the HTTP requests and messages in
// flight (up to Config.ShutdownTimeout), then closes the Host.
func (a *App) Shutdown(ctx context.Context) error {
	var err error
	if a.srv != nil {
		s := a.trig.Stats()
		a.log.Info("shutting down: draining requests in flight", "active", s.Active, "waiting", s.Waiting, "timeout", a.cfg.ShutdownTimeout)
		sctx, cancel := context.WithTimeout(ctx, a.cfg.ShutdownTimeout)
		if serr := a.srv.Shutdown(sctx); serr != nil {
			a.srv.Close()
			err = fmt.Errorf("shutdown: requests still in flight after %s: %w", a.cfg.ShutdownTimeout, serr)
		}
		cancel()
		a.srv = nil
	}
	if cerr := a.Close(ctx); err == nil {
		err = cerr
	}
	return err
}

// Close stops everything at once: subscriptions, listener, Host.
func (a *App) Close(ctx context.Context) error {
	if a.msgs != nil {
		a.msgs.Close()
		a.msgs = nil
	}
	if a.srv != nil {
		a.srv.Close()
		a.srv = nil
	} else if a.ln != nil {
		a.ln.Close()
	}
	a.ln = nil
	a.reloadMu.Lock() // a reload in progress finishes first
	h := a.host
	a.host = nil
	a.reloadMu.Unlock()
	if h == nil {
		return nil
	}
	return h.Close(ctx)
}
