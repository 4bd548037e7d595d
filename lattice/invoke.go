package lattice

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/link"
	"github.com/wasmhive/wasmhive/trigger"
)

// The headers of a remote invocation (docs/lattice.md#remote-invocation).
// A request carries the first five (traceparent when the caller has one);
// a reply carries none on success (its payload is the output), and
// HeaderStatus and HeaderError (HeaderLimit and HeaderLimitMax for
// StatusLimit, HeaderHost always) otherwise.
const (
	HeaderInvocation  = "Wasmhive-Invocation"  // the invocation's id, unique per caller process
	HeaderCaller      = "Wasmhive-Caller"      // the calling host's id (and "/" and the trigger or component)
	HeaderExport      = "Wasmhive-Export"      // the export called
	HeaderDeadline    = "Wasmhive-Deadline"    // unix nanoseconds (or RFC 3339): the call's deadline, applied at the far end
	HeaderTraceparent = "traceparent"          // W3C trace context, passed through
	HeaderStatus      = "Wasmhive-Status"      // a reply's Status* when the call failed
	HeaderError       = "Wasmhive-Error"       // one line: what failed
	HeaderLimit       = "Wasmhive-Limit"       // with StatusLimit: the limit's name (request_bytes, timeout...)
	HeaderLimitMax    = "Wasmhive-Limit-Max"   // with StatusLimit: the limit
	HeaderHost        = "Wasmhive-Host"        // the id of the host that answered a failure
	HeaderPluginCode  = "Wasmhive-Plugin-Code" // with StatusError: the guest's own error (its return code; HeaderError its message)
	HeaderExitCode    = "Wasmhive-Exit-Code"   // a command's reply: its non-zero exit status
)

// CommandExport is the export a remote invocation names to run a
// component as a command (its _start on a fresh instance, as a WAGI route
// does): the request's payload is a list (docs/capabilities.md) of stdin,
// the arguments and the environment ("NAME=VALUE"), the last two joined
// by NUL bytes; the reply's is a list of stdout and stderr, with
// HeaderExitCode when the exit status is not 0.
const CommandExport = "_start"

// The statuses of a failed remote invocation (HeaderStatus).
const (
	// StatusError: the call failed (a trap, the guest's own error).
	StatusError = "error"
	// StatusBusy: the host is saturated (the component's instances are all
	// busy and its queue full, or the host's in-flight bound is reached):
	// the caller tries another host.
	StatusBusy = "busy"
	// StatusNotHere: the host does not run the component (it is stopping,
	// or was moved): the caller tries another host.
	StatusNotHere = "not-here"
	// StatusLimit: the call went past one of the component's limits.
	StatusLimit = "limit"
	// StatusTimeout: the call passed its deadline at the far end.
	StatusTimeout = "timeout"
	// StatusDenied: the caller may not make this call: it names a
	// component that has no link to the target for that export.
	StatusDenied = "denied"
)

const (
	// MaxAttempts bounds how many hosts a remote invocation tries (the
	// first one, then others while they answer busy or not-here), all
	// within the call's deadline.
	MaxAttempts = 3
	// DefaultInvokeTimeout is a remote invocation's deadline when its
	// context has none.
	DefaultInvokeTimeout = 30 * time.Second
	// MaxInFlight bounds the remote invocations one app of a host serves
	// at once; past it the host answers busy (no unbounded queue).
	MaxInFlight = 1024
)

// InvokeSubject is the subject on which the hosts running component of app
// in lattice take its invocations: wasmhive.<lattice>.invoke.<app>.<component>.
func InvokeSubject(lattice, app, component string) string {
	return Subject(lattice, "invoke", app, component)
}

// InvokeQueue is the queue group of InvokeSubject: each invocation goes to
// one of the hosts that run the component.
func InvokeQueue(app, component string) string { return app + "." + component }

// RemoteError is a remote invocation that failed: the far end's answer, or
// no answer. It matches (errors.Is, errors.As) what the same failure
// matches locally, so that triggers answer the same: trigger.ErrSaturated
// for busy (and for no host running the component), an *engine.LimitError
// for a limit, an *engine.TimeoutError for a timeout.
type RemoteError struct {
	App, Component, Export string
	// Host is the id of the host that answered ("" when none did).
	Host string
	// Status is the far end's Status* ("" when none answered).
	Status string
	// Msg is the far end's one-line error, or why none answered.
	Msg string
	err error
}

func (e *RemoteError) Error() string {
	where := e.App + "/" + e.Component
	if e.Host != "" {
		where += " on host " + e.Host
	}
	return "remote call of " + where + ": " + e.Msg
}

// Unwrap returns the local error the remote one stands for.
func (e *RemoteError) Unwrap() error { return e.err }

// invocations makes invocation ids: a random prefix per process and a
// sequence number.
var invocations struct {
	once   sync.Once
	prefix string
	seq    atomic.Uint64
}

func invocationID() string {
	invocations.once.Do(func() {
		var b [6]byte
		rand.Read(b[:])
		invocations.prefix = hex.EncodeToString(b[:]) + "-"
	})
	return invocations.prefix + strconv.FormatUint(invocations.seq.Add(1), 36)
}

// Invoke calls export of component of app on one of the lattice's hosts
// that run it, over NATS request/reply on InvokeSubject (never in-process:
// the apps' triggers call the components their host runs directly). Its
// deadline is ctx's (DefaultInvokeTimeout when ctx has none), applied at
// the far end too. A host that answers busy or not-here is followed by
// another try, up to MaxAttempts within the deadline. Failures are a
// *RemoteError; an input over what one NATS message carries is refused.
func (l *Lattice) Invoke(ctx context.Context, app, component, export string, payload []byte) ([]byte, error) {
	caller := l.id
	if caller == "" {
		caller = "client"
	}
	return l.invokeRemote(ctx, caller, app, component, export, payload)
}

// headerBytes is how many bytes a header h takes on the wire.
func headerBytes(h nats.Header) int {
	n := len("NATS/1.0\r\n\r\n")
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

func (l *Lattice) invokeRemote(ctx context.Context, caller, app, component, export string, payload []byte) ([]byte, error) {
	reply, err := l.request(ctx, caller, app, component, export, payload)
	if err != nil {
		return nil, err
	}
	return reply.Data, nil
}

// request sends one remote invocation and returns the reply of a call
// that did not fail.
func (l *Lattice) request(ctx context.Context, caller, app, component, export string, payload []byte) (*nats.Msg, error) {
	if export == "" {
		return nil, errors.New("remote call: no export named")
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultInvokeTimeout)
		defer cancel()
		deadline, _ = ctx.Deadline()
	}
	hdr := nats.Header{
		HeaderInvocation: {invocationID()},
		HeaderCaller:     {caller},
		HeaderExport:     {export},
		HeaderDeadline:   {strconv.FormatInt(deadline.UnixNano(), 10)},
	}
	if tp := trigger.Traceparent(ctx); tp != "" {
		hdr[HeaderTraceparent] = []string{tp}
	}
	subject := InvokeSubject(l.cfg.Name, app, component)
	if max, hb := l.nc.MaxPayload(), headerBytes(hdr)+len(subject); int64(len(payload)+hb) > max {
		return nil, fmt.Errorf("remote call of %s/%s: the input is %d bytes, more than one NATS message carries (max_payload %d bytes, less %d of headers): %w",
			app, component, len(payload), max, hb,
			&engine.LimitError{Module: component, Function: export, Limit: "request_bytes", Max: uint64(max - int64(hb)), Got: uint64(len(payload))})
	}
	var last *RemoteError
	for attempt := range MaxAttempts {
		if attempt > 0 && ctx.Err() != nil {
			break
		}
		reply, err := l.nc.RequestMsgWithContext(ctx, &nats.Msg{Subject: subject, Header: hdr, Data: payload})
		if err != nil {
			switch {
			case errors.Is(err, nats.ErrNoResponders):
				last = &RemoteError{App: app, Component: component, Export: export,
					Msg: "no host of lattice " + l.cfg.Name + " runs it (no responders)", err: trigger.ErrSaturated}
				// A host may be starting it: wait a little, within the deadline.
				t := time.NewTimer(time.Duration(attempt+1) * 20 * time.Millisecond)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
				}
				continue
			case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout):
				return nil, &RemoteError{App: app, Component: component, Export: export,
					Msg: "no answer before the deadline", err: &engine.TimeoutError{Module: component, Function: export}}
			case errors.Is(err, context.Canceled):
				return nil, fmt.Errorf("remote call of %s/%s: %w", app, component, &engine.CanceledError{Module: component, Function: export})
			}
			return nil, fmt.Errorf("remote call of %s/%s: %w", app, component, err)
		}
		st := reply.Header.Get(HeaderStatus)
		if st == "" {
			return reply, nil
		}
		last = remoteError(app, component, export, reply.Header)
		if st != StatusBusy && st != StatusNotHere {
			return nil, last
		}
	}
	return nil, last
}

// remoteError decodes a failure's reply headers.
func remoteError(app, component, export string, h nats.Header) *RemoteError {
	e := &RemoteError{App: app, Component: component, Export: export,
		Host: h.Get(HeaderHost), Status: h.Get(HeaderStatus), Msg: h.Get(HeaderError)}
	if e.Msg == "" {
		e.Msg = e.Status
	}
	switch e.Status {
	case StatusBusy:
		e.err = trigger.ErrSaturated
	case StatusNotHere:
		e.err = trigger.ErrSaturated // every host tried did not run it
	case StatusTimeout:
		e.err = &engine.TimeoutError{Module: component, Function: export}
	case StatusLimit:
		max, _ := strconv.ParseUint(h.Get(HeaderLimitMax), 10, 64)
		e.err = &engine.LimitError{Module: component, Function: export, Limit: h.Get(HeaderLimit), Max: max}
	case StatusError:
		if code, err := strconv.ParseUint(h.Get(HeaderPluginCode), 10, 32); err == nil {
			e.err = &extism.PluginError{Function: export, Code: uint32(code), Message: h.Get(HeaderError)}
			if e.Msg == "" || e.Msg == StatusError {
				e.Msg = e.err.Error()
			}
		}
	}
	return e
}

// parseDeadline reads HeaderDeadline: unix nanoseconds or RFC 3339.
func parseDeadline(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(0, n), nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

// invokeServer serves the remote invocations of the components one app
// runs on this host.
type invokeServer struct {
	l    *Lattice
	app  string
	h    *wasmhive.Host
	log  *slog.Logger
	v    *appView
	sem  chan struct{}
	mu   sync.RWMutex // guards closed against wg.Add, and subs
	wg   sync.WaitGroup
	subs map[string]*nats.Subscription // by component

	closed bool
}

// serveInvocations subscribes, for each of components, to its
// InvokeSubject in its InvokeQueue, and serves the invocations with h.
func (l *Lattice) serveInvocations(v *appView, h *wasmhive.Host, components []string, log *slog.Logger) (*invokeServer, error) {
	s := &invokeServer{l: l, app: v.app, h: h, log: log, v: v, sem: make(chan struct{}, MaxInFlight), subs: map[string]*nats.Subscription{}}
	if err := s.add(components); err != nil {
		s.close(0)
		return nil, err
	}
	return s, nil
}

// add subscribes for the invocations of components (those it serves
// already are left as they are).
func (s *invokeServer) add(components []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range components {
		if s.subs[c] != nil {
			continue
		}
		sub, err := s.l.nc.QueueSubscribe(InvokeSubject(s.l.cfg.Name, s.app, c), InvokeQueue(s.app, c), s.handler(c))
		if err != nil {
			return fmt.Errorf("subscribe for the invocations of %s: %w", c, err)
		}
		s.subs[c] = sub
	}
	if len(components) == 0 {
		return nil
	}
	// The subscriptions are on the server when the host says it runs them.
	if err := s.l.nc.FlushTimeout(5 * time.Second); err != nil {
		return fmt.Errorf("subscribe for the invocations: %w", err)
	}
	return nil
}

// remove stops taking the invocations of components: their subscriptions
// are drained (the invocations delivered already are served), waiting up
// to wait. The other hosts that run them take the next ones.
func (s *invokeServer) remove(components []string, wait time.Duration) {
	s.mu.Lock()
	var subs []*nats.Subscription
	for _, c := range components {
		if sub := s.subs[c]; sub != nil {
			subs = append(subs, sub)
			delete(s.subs, c)
		}
	}
	s.mu.Unlock()
	drain(subs, time.Now().Add(wait))
}

// drain drains subs and waits, until deadline, for them to end.
func drain(subs []*nats.Subscription, deadline time.Time) {
	for _, sub := range subs {
		if sub.Drain() != nil { // the connection is closed
			sub.Unsubscribe()
		}
	}
	for _, sub := range subs {
		for sub.IsValid() && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func (s *invokeServer) handler(component string) nats.MsgHandler {
	return func(m *nats.Msg) {
		if m.Reply == "" {
			return // nobody waits for an answer
		}
		select {
		case s.sem <- struct{}{}:
		default:
			s.fail(m, StatusBusy, fmt.Sprintf("host is serving %d invocations of app %s already", MaxInFlight, s.app), nil)
			return
		}
		s.mu.RLock()
		if s.closed {
			s.mu.RUnlock()
			<-s.sem
			s.fail(m, StatusNotHere, "the app is stopping on this host", nil)
			return
		}
		s.wg.Add(1)
		s.mu.RUnlock()
		go func() {
			defer func() {
				<-s.sem
				s.wg.Done()
			}()
			s.serve(component, m)
		}()
	}
}

// serve runs one invocation and answers it.
func (s *invokeServer) serve(component string, m *nats.Msg) {
	export := m.Header.Get(HeaderExport)
	if export == "" {
		s.fail(m, StatusError, "no "+HeaderExport+" header", nil)
		return
	}
	if why := s.v.allowed(m.Header.Get(HeaderCaller), component, export); why != "" {
		s.fail(m, StatusDenied, why, nil)
		return
	}
	command := export == CommandExport
	var cio trigger.CommandIO
	var stdout, stderr bytes.Buffer
	var capOut *capped
	if command {
		parts, err := link.Args(m.Data)
		if err != nil || len(parts) != 3 {
			s.fail(m, StatusError, "a command's payload is a list of stdin, arguments and environment", nil)
			return
		}
		capOut = &capped{b: &stdout, n: s.l.nc.MaxPayload()}
		cio = trigger.CommandIO{Stdin: bytes.NewReader(parts[0]), Args: splitNUL(parts[1]), Env: splitNUL(parts[2]),
			Stdout: capOut, Stderr: &capped{b: &stderr, n: 64 << 10}}
	}
	ctx := context.Background()
	if d := m.Header.Get(HeaderDeadline); d != "" {
		t, err := parseDeadline(d)
		if err != nil {
			s.fail(m, StatusError, fmt.Sprintf("%s %q: want unix nanoseconds or RFC 3339", HeaderDeadline, d), nil)
			return
		}
		if !time.Now().Before(t) {
			s.fail(m, StatusTimeout, "the deadline passed before the call started", nil)
			return
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, t)
		defer cancel()
	}
	if tp := m.Header.Get(HeaderTraceparent); tp != "" && trigger.ValidTraceparent(tp) {
		ctx = trigger.WithTraceparent(ctx, tp)
	}
	if export == HTTPExport {
		s.serveHTTPInvocation(ctx, component, m)
		return
	}
	var out []byte
	var err error
	if command {
		var exit *engine.ExitError
		err = s.h.Run(ctx, component, cio)
		if (err == nil || errors.As(err, &exit)) && capOut.over {
			max := s.l.nc.MaxPayload()
			s.fail(m, StatusLimit, fmt.Sprintf("the command wrote more than one NATS message carries (max_payload %d bytes)", max),
				&engine.LimitError{Limit: "response_bytes", Max: uint64(max - 256)})
			return
		}
		if errors.As(err, &exit) {
			out = link.Input([][]byte{stdout.Bytes(), stderr.Bytes()})
			if max := s.l.nc.MaxPayload(); int64(len(out)+256) > max {
				s.fail(m, StatusLimit, fmt.Sprintf("the output is %d bytes, more than one NATS message carries (max_payload %d bytes)", len(out), max),
					&engine.LimitError{Limit: "response_bytes", Max: uint64(max - 256)})
				return
			}
			m.RespondMsg(&nats.Msg{Subject: m.Reply, Data: out, Header: nats.Header{HeaderExitCode: {strconv.FormatUint(uint64(exit.Code), 10)}}})
			return
		}
		out = link.Input([][]byte{stdout.Bytes(), stderr.Bytes()})
	} else {
		out, err = s.h.Invoke(ctx, component, export, m.Data)
	}
	if err != nil {
		s.failFor(m, err)
		return
	}
	if max := s.l.nc.MaxPayload(); int64(len(out)+256) > max {
		s.fail(m, StatusLimit, fmt.Sprintf("the output is %d bytes, more than one NATS message carries (max_payload %d bytes)", len(out), max),
			&engine.LimitError{Limit: "response_bytes", Max: uint64(max - 256)})
		return
	}
	m.Respond(out)
}

// failFor answers an invocation that failed with err.
func (s *invokeServer) failFor(m *nats.Msg, err error) {
	var (
		lim *engine.LimitError
		pe  *extism.PluginError
	)
	switch {
	case errors.As(err, &pe) && pe.Err == nil:
		// The guest's own error: an answer, which links hand on as such.
		m.RespondMsg(&nats.Msg{Subject: m.Reply, Header: nats.Header{HeaderStatus: {StatusError},
			HeaderError: {clean(pe.Message)}, HeaderPluginCode: {strconv.FormatUint(uint64(pe.Code), 10)}, HeaderHost: {s.l.id}}})
	case errors.Is(err, trigger.ErrSaturated):
		s.fail(m, StatusBusy, oneLine(err), nil)
	case errors.Is(err, wasmhive.ErrUnknownComponent), errors.Is(err, trigger.ErrClosed):
		s.fail(m, StatusNotHere, oneLine(err), nil)
	case errors.As(err, &lim):
		s.fail(m, StatusLimit, oneLine(err), lim)
	case errors.Is(err, engine.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		s.fail(m, StatusTimeout, oneLine(err), nil)
	default:
		s.fail(m, StatusError, oneLine(err), nil)
	}
}

// fail answers m with a failure.
func (s *invokeServer) fail(m *nats.Msg, status, msg string, lim *engine.LimitError) {
	h := nats.Header{HeaderStatus: {status}, HeaderError: {clean(msg)}, HeaderHost: {s.l.id}}
	if lim != nil {
		h[HeaderLimit] = []string{lim.Limit}
		h[HeaderLimitMax] = []string{strconv.FormatUint(lim.Max, 10)}
	}
	m.RespondMsg(&nats.Msg{Subject: m.Reply, Header: h})
}

// clean makes msg one header line.
func clean(msg string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, msg)
}

// close unsubscribes (new invocations go to the other hosts that run the
// components), answers the invocations already delivered to this host,
// and waits up to wait for those in flight.
func (s *invokeServer) close(wait time.Duration) {
	deadline := time.Now().Add(wait)
	s.mu.Lock()
	subs := slices.Collect(maps.Values(s.subs))
	clear(s.subs)
	s.mu.Unlock()
	drain(subs, deadline)
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(max(time.Until(deadline), 0))
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		s.log.Warn("remote invocations still in flight when the app stopped", "app", s.app)
	}
}

// appInvoker is what a lattice host's app triggers call components
// through: the components this host runs directly on its Host, the others
// across the lattice. Which run here is the Host's to say at each call
// (placement moves components on and off a running app).
type appInvoker struct {
	l *Lattice
	v *appView
	h *wasmhive.Host
}

// local reports whether the Host runs component now.
func (a *appInvoker) local(component string) bool {
	_, err := a.h.Component(component)
	return err == nil
}

func (a *appInvoker) Invoke(ctx context.Context, component, export string, payload []byte) ([]byte, error) {
	if a.local(component) {
		out, err := a.h.Invoke(ctx, component, export, payload)
		if !errors.Is(err, wasmhive.ErrUnknownComponent) {
			return out, err
		}
		// Removed from this host since: call it where it runs now.
	}
	if _, ok := a.v.m.Load().Component(component); !ok {
		return nil, fmt.Errorf("%w %q", wasmhive.ErrUnknownComponent, component)
	}
	return a.l.invokeRemote(ctx, a.v.self, a.v.app, component, export, payload)
}

func (a *appInvoker) Run(ctx context.Context, component string, cio trigger.CommandIO) error {
	if a.local(component) {
		err := a.h.Run(ctx, component, cio)
		if !errors.Is(err, wasmhive.ErrUnknownComponent) {
			return err
		}
	}
	if _, ok := a.v.m.Load().Component(component); !ok {
		return fmt.Errorf("%w %q", wasmhive.ErrUnknownComponent, component)
	}
	return a.l.runRemote(ctx, a.v.self, a.v.app, component, cio)
}

// runRemote runs component as a command on a host that runs it
// (CommandExport): stdin is read whole (a WAGI request's body is bounded
// already), stdout and stderr come back whole.
func (l *Lattice) runRemote(ctx context.Context, caller, app, component string, cio trigger.CommandIO) error {
	var stdin []byte
	if cio.Stdin != nil {
		var err error
		if stdin, err = io.ReadAll(io.LimitReader(cio.Stdin, l.nc.MaxPayload()+1)); err != nil {
			return fmt.Errorf("remote command %s/%s: read its stdin: %w", app, component, err)
		}
	}
	in := link.Input([][]byte{stdin, []byte(strings.Join(cio.Args, "\x00")), []byte(strings.Join(cio.Env, "\x00"))})
	reply, err := l.request(ctx, caller, app, component, CommandExport, in)
	if err != nil {
		return err
	}
	parts, err := link.Args(reply.Data)
	if err != nil || len(parts) != 2 {
		return &RemoteError{App: app, Component: component, Export: CommandExport, Host: reply.Header.Get(HeaderHost),
			Msg: "the reply is no list of stdout and stderr"}
	}
	for i, w := range []io.Writer{cio.Stdout, cio.Stderr} {
		if w != nil && len(parts[i]) > 0 {
			if _, err := w.Write(parts[i]); err != nil {
				return fmt.Errorf("remote command %s/%s: %w", app, component, err)
			}
		}
	}
	if c := reply.Header.Get(HeaderExitCode); c != "" {
		code, _ := strconv.ParseUint(c, 10, 32)
		return &engine.ExitError{Module: component, Code: uint32(code)}
	}
	return nil
}

// splitNUL splits NUL-joined strings ("" is none).
func splitNUL(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	return strings.Split(string(b), "\x00")
}

// capped is a writer that keeps the first n bytes and notes that there
// were more.
type capped struct {
	b    *bytes.Buffer
	n    int64
	over bool
}

func (c *capped) Write(p []byte) (int, error) {
	room := c.n - int64(c.b.Len())
	if int64(len(p)) > room {
		c.over = true
	}
	if room > 0 {
		c.b.Write(p[:min(int64(len(p)), room)])
	}
	return len(p), nil
}

func (a *appInvoker) Describe(component string) (trigger.Info, error) {
	if a.local(component) {
		return a.h.Describe(component)
	}
	m := a.v.m.Load()
	if _, ok := m.Component(component); !ok {
		return trigger.Info{}, fmt.Errorf("%w %q", wasmhive.ErrUnknownComponent, component)
	}
	return describeModule(m, component)
}
