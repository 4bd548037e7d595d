package wasihttp

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/wasip2"
)

// Version is the wasi:http version Define registers; the linker matches
// imports of every compatible 0.2.x version.
const Version = "0.2.4"

// Interface names, at Version.
const (
	typesIface           = "wasi:http/types@" + Version
	outgoingHandlerIface = "wasi:http/outgoing-handler@" + Version
	incomingHandlerIface = "wasi:http/incoming-handler@" + Version
)

// stateKey attaches each instance's wasi:http state.
var stateKey = engine.NewKey[*state]("wasihttp")

// maxResources bounds one instance's table.
const maxResources = 1 << 20

// state is the wasi:http state of one component instance: the table of
// its http resources (fields, requests, responses, bodies, futures),
// whose numbers are the resources' representations. Streams and pollables
// live in the instance's wasip2.State.
type state struct {
	mu     sync.Mutex
	table  map[uint32]any
	next   uint32
	closed bool
}

func newState() *state { return &state{table: map[uint32]any{}, next: 1} }

var errClosed = errors.New("wasihttp: instance closed")

func (s *state) push(r any) (uint32, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, errClosed
	}
	if len(s.table) >= maxResources {
		return 0, errors.New("wasihttp: too many open resources")
	}
	for s.table[s.next] != nil || s.next == 0 {
		s.next++
	}
	rep := s.next
	s.next++
	s.table[rep] = r
	return rep, nil
}

// size is how many resources the table holds.
func (s *state) size() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.table)
}

// close empties the table, releasing what its resources hold.
func (s *state) close() {
	s.mu.Lock()
	t := s.table
	s.table = map[uint32]any{}
	s.closed = true
	s.mu.Unlock()
	for _, r := range t {
		release(r)
	}
}

func lookup[T any](s *state, rep uint32) (T, bool) {
	s.mu.Lock()
	r, ok := s.table[rep].(T)
	s.mu.Unlock()
	return r, ok
}

// take removes rep when it is of type T (an owned handle the guest gave
// the host).
func take[T any](s *state, rep uint32) (T, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.table[rep].(T)
	if ok {
		delete(s.table, rep)
	}
	return r, ok
}

// release ends what a dropped resource leaves pending: an outgoing body
// dropped without finish fails its response or request.
func release(r any) {
	if b, ok := r.(*outgoingBody); ok {
		b.abandon()
	}
}

func noResource(kind string, rep uint32) error {
	return fmt.Errorf("wasihttp: no %s with handle %d", kind, rep)
}

// call is what a host function gets: the instance's two states.
type call struct {
	ctx  context.Context
	inst *linker.Instance
	s    *state
	wasi *wasip2.State
	args []canonical.Value
}

type hostFn func(c *call) (canonical.Value, error)

// registrar is where definitions go: a Linker, or a test's table.
type registrar interface {
	fn(iface, name string, f linker.HostFunc)
	resource(iface, name string, drop linker.DropFunc)
}

type linkerRegistrar struct{ l *linker.Linker }

func (r linkerRegistrar) fn(iface, name string, f linker.HostFunc) { r.l.Instance(iface).Func(name, f) }
func (r linkerRegistrar) resource(iface, name string, drop linker.DropFunc) {
	r.l.Instance(iface).Resource(name, drop)
}

type binder struct {
	reg   registrar
	iface string
}

func (b binder) fn(name string, f hostFn) {
	b.reg.fn(b.iface, name, func(ctx context.Context, inst *linker.Instance, args []canonical.Value) (canonical.Value, error) {
		s, ok := stateKey.In(inst.Config())
		if !ok {
			return nil, errors.New("wasihttp: the instance has no wasi:http state (wasihttp.Define's hook did not run)")
		}
		ws, ok := wasip2.StateOf(inst)
		if !ok {
			return nil, errors.New("wasihttp: the instance has no WASI state (call wasip2.Define on the linker too)")
		}
		return f(&call{ctx: ctx, inst: inst, s: s, wasi: ws, args: args})
	})
}

// resource registers resource name whose values have Go type T: dropping
// a handle removes it from the table.
func resource[T any](b binder, name string) {
	b.reg.resource(b.iface, name, func(ctx context.Context, inst *linker.Instance, rep uint32) error {
		s, ok := stateKey.In(inst.Config())
		if !ok {
			return nil
		}
		r, ok := take[T](s, rep)
		if !ok {
			return noResource(name, rep)
		}
		release(r)
		return nil
	})
}

// Define registers wasi:http/types and wasi:http/outgoing-handler (at
// Version; the linker matches 0.2.x imports) on l, and a hook that gives
// every instance its wasi:http state, closed with the instance.
// wasip2.Define(l) must also be called: wasi:http's streams and pollables
// are wasi:io's.
func Define(l *linker.Linker) {
	l.OnInstantiate(func(ctx context.Context, inst *linker.Instance) (func(), error) {
		s := newState()
		stateKey.Set(inst.Config(), s)
		return s.close, nil
	})
	define(linkerRegistrar{l})
}

func define(reg registrar) {
	defineTypes(binder{reg, typesIface})
	defineOutgoingHandler(binder{reg, outgoingHandlerIface})
}

// ---- argument helpers ----

func arg[T any](c *call, i int) (T, error) {
	var zero T
	if i >= len(c.args) {
		return zero, fmt.Errorf("wasihttp: missing argument %d", i)
	}
	v, ok := c.args[i].(T)
	if !ok {
		return zero, fmt.Errorf("wasihttp: argument %d is %T, not %T", i, c.args[i], zero)
	}
	return v, nil
}

func handleArg(c *call, i int) (uint32, error) {
	if i >= len(c.args) {
		return 0, fmt.Errorf("wasihttp: missing argument %d", i)
	}
	return handleOf(c.args[i])
}

func handleOf(v canonical.Value) (uint32, error) {
	switch h := v.(type) {
	case canonical.Borrow:
		return h.Rep, nil
	case canonical.Own:
		return h.Rep, nil
	}
	return 0, fmt.Errorf("wasihttp: %T is not a resource handle", v)
}

// self returns the resource argument i of type T.
func self[T any](c *call, i int, kind string) (T, error) {
	rep, err := handleArg(c, i)
	if err != nil {
		var zero T
		return zero, err
	}
	r, ok := lookup[T](c.s, rep)
	if !ok {
		return r, noResource(kind, rep)
	}
	return r, nil
}

// owned takes the owned resource argument i of type T out of the table.
func owned[T any](c *call, i int, kind string) (T, error) {
	rep, err := handleArg(c, i)
	if err != nil {
		var zero T
		return zero, err
	}
	r, ok := take[T](c.s, rep)
	if !ok {
		return r, noResource(kind, rep)
	}
	return r, nil
}

func pushOwn(s *state, r any) (canonical.Value, error) {
	rep, err := s.push(r)
	if err != nil {
		return nil, err
	}
	return canonical.Own{Rep: rep}, nil
}

func optString(v canonical.Value) (*string, error) {
	o, ok := v.(canonical.Option)
	if !ok {
		return nil, fmt.Errorf("wasihttp: %T is not an option", v)
	}
	if !o.Some {
		return nil, nil
	}
	s, ok := o.Value.(string)
	if !ok {
		return nil, fmt.Errorf("wasihttp: %T is not a string", o.Value)
	}
	return &s, nil
}

func optStringValue(s *string) canonical.Option {
	if s == nil {
		return canonical.None
	}
	return canonical.Some(*s)
}

func optDuration(d *uint64) canonical.Option {
	if d == nil {
		return canonical.None
	}
	return canonical.Some(*d)
}

// alwaysReady is the readiness of a pollable that never waits.
func alwaysReady() (bool, <-chan struct{}) { return true, nil }

// chanReady is the readiness of a pollable ready when done is closed.
func chanReady(done <-chan struct{}) func() (bool, <-chan struct{}) {
	return func() (bool, <-chan struct{}) {
		select {
		case <-done:
			return true, nil
		default:
			return false, done
		}
	}
}

func pushPollable(ws *wasip2.State, ready func() (bool, <-chan struct{})) (canonical.Value, error) {
	rep, err := ws.PushPollable(ready)
	if err != nil {
		return nil, err
	}
	return canonical.Own{Rep: rep}, nil
}
