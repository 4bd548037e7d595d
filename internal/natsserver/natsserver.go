// Package natsserver runs an embedded nats-server inside the host process:
// the default messaging provider (and JetStream, when given a directory), so
// a Host needs no external server. Clients in the process connect through an
// in-memory pipe; listening on TCP is optional.
package natsserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Config configures an embedded server. The zero value is an in-process
// server without JetStream that logs nothing.
type Config struct {
	// Dir is JetStream's store directory; "" leaves JetStream off.
	Dir string
	// Listen is a TCP address ("127.0.0.1:4222"; port 0 picks a free one)
	// on which the server also accepts clients; "" keeps it in-process only.
	Listen string
	// Logger receives the server's log: notices at debug level, its own
	// debug messages below that (slog.LevelDebug-4), warnings and errors as
	// such. nil discards it.
	Logger *slog.Logger
	// ReadyTimeout bounds how long Start waits for the server to accept
	// connections; 0 means 10s (or ctx's deadline, if sooner).
	ReadyTimeout time.Duration
	// Name is the server's name, unique within a cluster (JetStream needs
	// it); "" means "wasmhive".
	Name string
	// Cluster, when its Listen is set, makes the server a member of a NATS
	// cluster: it accepts routes on Cluster.Listen and connects to
	// Cluster.Routes, so that several servers (several hosts) act as one.
	Cluster Cluster
}

// Cluster configures the routes between the servers of a NATS cluster.
type Cluster struct {
	// Name names the cluster; every member must use the same. "" means
	// "wasmhive".
	Name string
	// Listen is the TCP address other members route to (port 0 picks a
	// free one); "" means no cluster.
	Listen string
	// Routes are the other members' route URLs (nats://127.0.0.1:6222);
	// a member may list itself, and members started later find the
	// earlier ones through them.
	Routes []string
}

// DefaultReadyTimeout is how long Start waits by default.
const DefaultReadyTimeout = 10 * time.Second

// Server is a running embedded nats-server.
type Server struct {
	srv    *server.Server
	listen bool
	log    *logAdapter
}

// ErrNotReady is matched (errors.Is) by Start's error when the server did not
// become ready in time or failed while starting.
var ErrNotReady = errors.New("embedded NATS server did not start")

// Start starts an embedded server and waits until it accepts connections.
// A Listen address already in use is an error (errors.Is(err,
// syscall.EADDRINUSE) holds).
func Start(ctx context.Context, cfg Config) (*Server, error) {
	name := cfg.Name
	if name == "" {
		name = "wasmhive"
	}
	opts := &server.Options{
		ServerName: name,
		NoSigs:     true, // the host owns signal handling
		NoLog:      true, // the logger is set below
		DontListen: cfg.Listen == "",
		JetStream:  cfg.Dir != "",
		StoreDir:   cfg.Dir,
	}
	if cfg.Listen != "" {
		host, port, err := splitListen(cfg.Listen)
		if err != nil {
			return nil, err
		}
		// Fail early with the system's own error when the port is taken;
		// the server's listener failure is also caught below (a race).
		l, err := net.Listen("tcp", cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("embedded NATS server: cannot listen on %s: %w", cfg.Listen, err)
		}
		l.Close()
		opts.Host, opts.Port = host, port
	}
	if c := cfg.Cluster; c.Listen != "" {
		host, port, err := splitListen(c.Listen)
		if err != nil {
			return nil, fmt.Errorf("cluster %w", err)
		}
		opts.Cluster.Name = c.Name
		if opts.Cluster.Name == "" {
			opts.Cluster.Name = "wasmhive"
		}
		opts.Cluster.Host, opts.Cluster.Port = host, port
		routes := c.Routes
		if len(routes) == 0 && cfg.Dir != "" {
			// A clustered JetStream needs routes: the first member of a
			// cluster routes to itself until others route to it.
			if port == server.RANDOM_PORT {
				return nil, errors.New("embedded NATS server: a JetStream cluster's first member needs a fixed cluster port (or routes to the others)")
			}
			routes = []string{"nats://" + net.JoinHostPort(host, strconv.Itoa(port))}
		}
		for _, r := range routes {
			u, err := url.Parse(r)
			if err != nil || u.Host == "" || (u.Scheme != "nats" && u.Scheme != "nats-route") {
				return nil, fmt.Errorf("embedded NATS server: route %q: want nats://HOST:PORT", r)
			}
			opts.Routes = append(opts.Routes, u)
		}
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS server: %w", err)
	}
	la := &logAdapter{l: cfg.Logger}
	if la.l == nil {
		la.l = slog.New(slog.DiscardHandler)
	}
	srv.SetLoggerV2(la, la.l.Enabled(ctx, levelNATSDebug), false, false)

	wait := cfg.ReadyTimeout
	if wait <= 0 {
		wait = DefaultReadyTimeout
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
		wait = max(time.Until(dl), time.Millisecond)
	}
	go srv.Start()
	if err := waitReady(ctx, srv, la, wait); err != nil {
		srv.Shutdown()
		return nil, err
	}
	return &Server{srv: srv, listen: cfg.Listen != "", log: la}, nil
}

// waitReady waits up to wait for srv to accept connections, in short steps
// so that a fatal start error or ctx ending cuts the wait short.
func waitReady(ctx context.Context, srv *server.Server, la *logAdapter, wait time.Duration) error {
	end := time.Now().Add(wait)
	for {
		if msg := la.fatal(); msg != "" {
			return fmt.Errorf("%w: %s", ErrNotReady, msg)
		}
		left := time.Until(end)
		if left <= 0 {
			return fmt.Errorf("%w: not ready for connections after %s", ErrNotReady, wait)
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%w: %w", ErrNotReady, err)
		}
		if srv.ReadyForConnections(min(left, 50*time.Millisecond)) {
			if msg := la.fatal(); msg != "" {
				return fmt.Errorf("%w: %s", ErrNotReady, msg)
			}
			return nil
		}
	}
}

// splitListen parses a Listen address into the server's host and port
// (port 0 becomes the server's "pick a free port").
func splitListen(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("embedded NATS server: listen address %q: want host:port, e.g. 127.0.0.1:4222", addr)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("embedded NATS server: listen address %q: port must be a number from 0 to 65535", addr)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	if host == "" {
		host = "0.0.0.0"
	}
	return host, port, nil
}

// Connect returns a client connection to the server through an in-process
// pipe (no TCP), named name in the server's monitoring.
func (s *Server) Connect(name string, opts ...nats.Option) (*nats.Conn, error) {
	o := append([]nats.Option{nats.InProcessServer(s.srv), nats.Name(name)}, opts...)
	nc, err := nats.Connect("", o...)
	if err != nil {
		return nil, fmt.Errorf("connect to the embedded NATS server: %w", err)
	}
	return nc, nil
}

// ClientURL returns the URL TCP clients connect to (nats://127.0.0.1:4222),
// or "" when the server does not listen.
func (s *Server) ClientURL() string {
	if !s.listen {
		return ""
	}
	return s.srv.ClientURL()
}

// ClusterURL returns the URL other members of a cluster route to
// (nats://127.0.0.1:6222), or "" when the server is in no cluster.
func (s *Server) ClusterURL() string {
	a := s.srv.ClusterAddr()
	if a == nil {
		return ""
	}
	return "nats://" + a.String()
}

// JetStream reports whether JetStream is enabled.
func (s *Server) JetStream() bool { return s.srv.JetStreamEnabled() }

// NATS returns the underlying nats-server, for what this package does not
// cover (monitoring, accounts).
func (s *Server) NATS() *server.Server { return s.srv }

// Shutdown stops the server, closing its clients, and waits for it to finish
// (JetStream flushes its store) or for ctx to end.
func (s *Server) Shutdown(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		s.srv.Shutdown()
		s.srv.WaitForShutdown()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("shut down the embedded NATS server: %w", ctx.Err())
	}
}

// levelNATSDebug is the slog level of the server's own debug messages.
const levelNATSDebug = slog.LevelDebug - 4

// logAdapter is a server.Logger writing to slog. It also keeps the first
// fatal message: with a logger of its own the server does not exit the
// process on a fatal error, and Start reports the message instead.
type logAdapter struct {
	l        *slog.Logger
	mu       sync.Mutex
	fatalMsg string
}

func (a *logAdapter) logf(level slog.Level, format string, v []any) {
	ctx := context.Background()
	if a.l.Enabled(ctx, level) {
		a.l.Log(ctx, level, fmt.Sprintf(format, v...), "component", "nats-server")
	}
}

func (a *logAdapter) fatal() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.fatalMsg
}

func (a *logAdapter) Noticef(format string, v ...any) { a.logf(slog.LevelDebug, format, v) }
func (a *logAdapter) Warnf(format string, v ...any)   { a.logf(slog.LevelWarn, format, v) }
func (a *logAdapter) Errorf(format string, v ...any)  { a.logf(slog.LevelError, format, v) }
func (a *logAdapter) Debugf(format string, v ...any)  { a.logf(levelNATSDebug, format, v) }
func (a *logAdapter) Tracef(format string, v ...any)  {}
func (a *logAdapter) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	a.mu.Lock()
	if a.fatalMsg == "" {
		a.fatalMsg = msg
	}
	a.mu.Unlock()
	a.logf(slog.LevelError, "%s", []any{msg})
}
