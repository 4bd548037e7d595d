// Package trigger is the small interface between what starts work (an HTTP
// request, a message, the CLI, later a linked component or another host of
// the lattice) and the Host that does it. A trigger knows components by name
// and calls them through an Invoker; it never touches the engine, pools or
// host state.
package trigger

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/pool"
)

// Invoker runs components. *wasmhive.Host implements it.
type Invoker interface {
	// Invoke calls export of component with payload as its input through
	// the Extism ABI, on a warm instance from the component's pool, and
	// returns the output.
	Invoke(ctx context.Context, component, export string, payload []byte) ([]byte, error)
	// Run runs component as a command: a fresh instance, its _start once,
	// with the given arguments, environment and standard streams.
	Run(ctx context.Context, component string, cio CommandIO) error
	// Describe tells what a trigger needs to know of component to drive it.
	Describe(component string) (Info, error)
}

// HTTPInvoker is an Invoker that also serves wasi:http components
// (*wasmhive.Host implements it).
type HTTPInvoker interface {
	Invoker
	// ServeHTTP answers r with component's wasi:http incoming handler, on a
	// warm instance from the component's pool, writing the response to w.
	// An error before the response's head was written leaves w untouched,
	// for the trigger to answer with the error's status; an error after it
	// matches ErrResponseStarted, and the trigger can only cut the
	// response short.
	ServeHTTP(ctx context.Context, component string, w http.ResponseWriter, r *http.Request) error
}

// CommandIO is what a command instance sees of the world for one run.
type CommandIO struct {
	Args           []string // argv, argv[0] first; nil means the component's name alone
	Env            []string // "NAME=VALUE" entries, after the component's own
	Stdin          io.Reader
	Stdout, Stderr io.Writer // nil means the component's defaults
}

// Info describes a component to a trigger.
type Info struct {
	Name    string
	Pattern string          // "command", "reactor", "library" or "component"
	Exports map[string]bool // the exported functions (a Component Model component's top-level ones)
	// Interfaces are the interfaces a Component Model component exports, by
	// name without version ("wasi:http/incoming-handler").
	Interfaces map[string]bool
	// Stats returns the counters of the component's instances.
	Stats func() pool.Stats
	// MaxRequestBytes and MaxResponseBytes are the component's limits on a
	// call's input and output (0: the trigger's own); a trigger applies the
	// smaller of its own and these before it calls.
	MaxRequestBytes, MaxResponseBytes int64
	// Violations returns how many calls went past each of the component's
	// limits, by limit name; nil when the Invoker does not count them.
	Violations func() map[string]uint64
	// Violated, when set, counts a limit of the component (an
	// *engine.LimitError) that the trigger enforced itself before or after
	// the call (a request body over MaxRequestBytes), as the component's
	// own calls' violations are counted.
	Violated func(err error)
}

// Stats is the counters of a component's instances.
type Stats = pool.Stats

// Errors a trigger maps to its own answers (an HTTP status, a NAK...).
var (
	// ErrSaturated: every instance was busy past the component's queue limits.
	ErrSaturated = pool.ErrSaturated
	// ErrClosed: the component or its Host is closed (shutting down).
	ErrClosed = errors.New("closed")
	// ErrTimeout: the call passed its deadline.
	ErrTimeout = engine.ErrTimeout
	// ErrCanceled: the call's context was canceled.
	ErrCanceled = engine.ErrCanceled
	// ErrResponseStarted: the call failed after its response began (its
	// status and headers were sent).
	ErrResponseStarted = errors.New("the response had started")
	// ErrLimit: the call went past one of its component's limits (an
	// *engine.LimitError says which).
	ErrLimit = engine.ErrLimit
)

type traceKey struct{}

// WithTraceparent returns ctx carrying a W3C trace context (the
// traceparent header's value), which the calls made with it pass on: the
// HTTP trigger takes it from the request, a lattice's remote invocations
// carry it to the host that runs the call.
func WithTraceparent(ctx context.Context, tp string) context.Context {
	return context.WithValue(ctx, traceKey{}, tp)
}

// Traceparent returns the W3C trace context ctx carries, or "".
func Traceparent(ctx context.Context) string {
	s, _ := ctx.Value(traceKey{}).(string)
	return s
}

// ValidTraceparent reports whether tp is a W3C traceparent of version 00
// ("00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>", ids not all
// zero): only such a value is passed on.
func ValidTraceparent(tp string) bool {
	if len(tp) != 55 || tp[2] != '-' || tp[35] != '-' || tp[52] != '-' || tp[:2] != "00" {
		return false
	}
	zero := func(s string) bool {
		for i := range len(s) {
			if s[i] != '0' {
				return false
			}
		}
		return true
	}
	for i := range len(tp) {
		if i == 2 || i == 35 || i == 52 {
			continue
		}
		c := tp[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return !zero(tp[3:35]) && !zero(tp[36:52])
}
