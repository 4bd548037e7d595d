package httptrigger

import (
	"log/slog"
	"net/http"
	"time"
)

// Limits of the servers NewServer makes.
const (
	// DefaultReadHeaderTimeout bounds the wait for a request's head (the
	// request line and headers), so that a client sending them slowly
	// cannot hold a connection.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultIdleTimeout closes a keep-alive connection idle this long.
	DefaultIdleTimeout = 2 * time.Minute
	// DefaultMaxHeaderBytes caps a request's head (431 past it).
	DefaultMaxHeaderBytes = 64 << 10
)

// NewServer returns the HTTP server of `wasmhive serve` and `wasmhive up`
// for h (a Trigger): bounded request heads in time and size, idle
// connections closed, and the server's own errors logged at Warn level to
// log (nil: slog.Default()). The body of each request is bounded by the
// Trigger itself, against its Timeout and memory budget; the server sets
// no ReadTimeout or WriteTimeout, which would bound every request alike.
// Serve it with Serve(listener).
func NewServer(h http.Handler, log *slog.Logger) *http.Server {
	if log == nil {
		log = slog.Default()
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: DefaultReadHeaderTimeout,
		IdleTimeout:       DefaultIdleTimeout,
		MaxHeaderBytes:    DefaultMaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
