package wasmhive

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/capability/httpclient"
	"github.com/wasmhive/wasmhive/capability/keyvalue"
	"github.com/wasmhive/wasmhive/capability/messaging"
	"github.com/wasmhive/wasmhive/engine"
)

// LimitError reports a call that went past one of its component's limits
// (Limit names which, as the manifest spells it): the call ended and, when
// it ran, its instance was discarded.
type LimitError = engine.LimitError

// ErrLimit is matched (errors.Is) by every *LimitError.
var ErrLimit = engine.ErrLimit

// Names of the limits, as the app manifest spells them: the Limit of an
// *engine.LimitError, and the keys of Component.Violations.
const (
	LimitMemory              = engine.MemoryLimit
	LimitTimeout             = "timeout" // counted for *engine.TimeoutError, which reports it
	LimitFuel                = engine.FuelLimit
	LimitRequestBytes        = "request_bytes"
	LimitResponseBytes       = "response_bytes"
	LimitKeyValueValueBytes  = keyvalue.LimitValueBytes
	LimitKeyValueKeysPerCall = keyvalue.LimitKeysPerCall
	LimitHTTPRequestsPerCall = httpclient.LimitRequestsPerCall
	LimitMessagesPerSecond   = messaging.LimitMessagesPerSecond
)

// violationLogEvery is how often at most one component's violations of
// one limit are logged: the first at once, then one line a period with
// the number left out, so that a guest hammering a limit cannot flood the
// log.
const violationLogEvery = time.Second

// violations counts a component's limit violations by limit and logs
// them. The zero value is ready.
type violations struct {
	mu     sync.Mutex
	counts map[string]uint64
	logs   map[string]*violationLog
	now    func() time.Time // nil: time.Now (tests set a clock)
}

// violationLog is what logging one limit's violations remembers.
type violationLog struct {
	last       time.Time
	suppressed uint64 // violations since last that were not logged
}

// keyValueValueBytes is the Binding's MaxValueBytes for l.
func (l Limits) keyValueValueBytes() int {
	if l.KeyValueValueBytes == 0 {
		return int(DefaultKeyValueValueBytes)
	}
	return int(min(uint64(l.KeyValueValueBytes), math.MaxInt))
}

// keyValueKeysPerCall is the Binding's MaxKeysPerCall for l.
func (l Limits) keyValueKeysPerCall() int {
	if l.KeyValueKeysPerCall <= 0 {
		return DefaultKeyValueKeysPerCall
	}
	return l.KeyValueKeysPerCall
}

// httpRequestsPerCall is the outgoing requests one call may make.
func (l Limits) httpRequestsPerCall() int {
	if l.HTTPRequestsPerCall <= 0 {
		return DefaultHTTPRequestsPerCall
	}
	return l.HTTPRequestsPerCall
}

// messagesPerSecond is the rate of the component's messages.
func (l Limits) messagesPerSecond() int {
	if l.MessagesPerSecond <= 0 {
		return DefaultMessagesPerSecond
	}
	return l.MessagesPerSecond
}

// httpTimeout is the bound of one outgoing request of g.
func httpTimeout(g *HTTPGrant) time.Duration {
	if g.Timeout > 0 {
		return g.Timeout
	}
	return httpclient.DefaultTimeout
}

// extismHTTP applies the http grant and limits to the Extism kernel's
// http_request.
func (c *Component) extismHTTP(sc *extism.StateConfig) {
	if g := c.cfg.Grants.HTTP; g != nil {
		sc.HTTPTimeout = httpTimeout(g)
		sc.MaxHTTPRequestsPerCall = c.cfg.Limits.httpRequestsPerCall()
	}
}

// callLimited is one Extism call of function on in within the component's
// limits: the input and output sizes are checked here, the others by the
// host functions, and every violation is counted.
func (c *Component) callLimited(ctx context.Context, in *instance, function string, input []byte, borrow bool) ([]byte, error) {
	if err := c.checkRequest(function, input); err != nil {
		return nil, err
	}
	call := extism.Call
	if borrow {
		call = extism.CallBorrow
	}
	out, err := call(ctx, in.inst, in.st, function, input)
	if err != nil {
		return nil, c.observe(err)
	}
	if limit := uint64(c.cfg.Limits.ResponseBytes); limit > 0 && uint64(len(out)) > limit {
		return nil, c.observe(&engine.LimitError{Module: c.name, Function: function, Limit: LimitResponseBytes, Max: limit, Got: uint64(len(out))})
	}
	return out, nil
}

// checkRequest refuses an input over the component's request limit.
func (c *Component) checkRequest(function string, input []byte) error {
	if limit := uint64(c.cfg.Limits.RequestBytes); limit > 0 && uint64(len(input)) > limit {
		return c.observe(&engine.LimitError{Module: c.name, Function: function, Limit: LimitRequestBytes, Max: limit, Got: uint64(len(input))})
	}
	return nil
}

// observe counts and logs err when it is a limit violation (a
// *engine.LimitError, whose Module becomes the component's name, or a
// timeout), and returns it.
func (c *Component) observe(err error) error {
	if err == nil {
		return nil
	}
	var le *engine.LimitError
	switch {
	case errors.As(err, &le):
		le.Module = c.name
		level := slog.LevelWarn
		if le.Limit == LimitFuel {
			// As a timeout: the call's error reports it.
			level = slog.LevelInfo
		}
		c.violated(le.Limit, err, level)
	case errors.Is(err, engine.ErrTimeout):
		// Every caller reports a timeout already (the CLI's error line, the
		// HTTP access log): the line is for servers' logs at info level.
		c.violated(LimitTimeout, err, slog.LevelInfo)
	}
	return err
}

// violated counts one violation of limit and logs it at level, at most
// once per violationLogEvery for each limit.
func (c *Component) violated(limit string, err error, level slog.Level) {
	v := &c.limits
	v.mu.Lock()
	now := time.Now
	if v.now != nil {
		now = v.now
	}
	t := now()
	if v.counts == nil {
		v.counts, v.logs = map[string]uint64{}, map[string]*violationLog{}
	}
	v.counts[limit]++
	total := v.counts[limit]
	l := v.logs[limit]
	if l == nil {
		l = &violationLog{}
		v.logs[limit] = l
	}
	if !l.last.IsZero() && t.Sub(l.last) < violationLogEvery {
		l.suppressed++
		v.mu.Unlock()
		return
	}
	suppressed := l.suppressed
	l.last, l.suppressed = t, 0
	v.mu.Unlock()
	attrs := []any{"component", c.name, "limit", limit, "error", c.redactErr(err).Error(), "count", total}
	if suppressed > 0 {
		attrs = append(attrs, "not_logged", suppressed)
	}
	c.h.log.Log(context.Background(), level, "limit exceeded", attrs...)
}

// Violations returns how many calls of the component went past each of
// its limits since it was added, by limit name (LimitMemory, LimitTimeout,
// LimitRequestBytes...); limits never passed are absent.
func (c *Component) Violations() map[string]uint64 {
	v := &c.limits
	v.mu.Lock()
	defer v.mu.Unlock()
	m := make(map[string]uint64, len(v.counts))
	for k, n := range v.counts {
		m[k] = n
	}
	return m
}
