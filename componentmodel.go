package wasmhive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/capability"
	"github.com/wasmhive/wasmhive/capability/config"
	"github.com/wasmhive/wasmhive/capability/keyvalue"
	"github.com/wasmhive/wasmhive/capability/logging"
	"github.com/wasmhive/wasmhive/capability/messaging"
	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/pool"
	"github.com/wasmhive/wasmhive/link"
	"github.com/wasmhive/wasmhive/trigger"
	"github.com/wasmhive/wasmhive/wasihttp"
	"github.com/wasmhive/wasmhive/wasip2"
)

// A Component Model component (a binary of the Component Model, not a
// core module) runs on the Host through package component/linker with
// WASI 0.2 (package wasip2), wasi:http (package wasihttp) and the
// capability contracts' WIT interfaces (wasi:keyvalue, wasi:config,
// wasi:logging, wasmcloud:messaging, defined by each capability package):
// run as a command through its wasi:cli/run export, served over HTTP
// through its wasi:http/incoming-handler export on warm pooled instances,
// or one exported function called with typed values. It gets the same
// sandbox and grants as a module: environment, preopens, memory cap,
// timeout, compilation cache, and the providers of its granted
// capabilities; importing a capability interface it was not granted is
// refused at load, except wasi:http/outgoing-handler, whose requests are
// denied instead (every componentize-js component imports it). Links
// between components are typed (componentlinks.go). Libraries, Extism
// plugin calls and core calls take core modules only: they are refused
// with ErrComponentModel.

// ErrComponentModel is matched by the error of an operation that needs a
// core module and got a Component Model component.
var ErrComponentModel = errors.New("not supported for Component Model components yet")

// RunExport is the interface a Component Model command exports (its run
// function), at the oldest version it is matched with.
const RunExport = "wasi:cli/run@0.2.0"

// componentLinker is the Host's linker of Component Model imports.
func (h *Host) componentLinker() *linker.Linker {
	h.cmOnce.Do(func() { h.cml = newComponentLinker() })
	return h.cml
}

// newComponentLinker returns a linker with what the Host gives every
// Component Model component: WASI 0.2, wasi:http and the capability
// contracts' interfaces (each reaching the instance's bindings, so a
// capability works only when granted).
func newComponentLinker() *linker.Linker {
	l := linker.New()
	wasip2.Define(l)
	wasihttp.Define(l)
	keyvalue.Define(l)
	config.Define(l)
	logging.Define(l)
	messaging.Define(l)
	return l
}

// linker is the linker of the component's imports: its own when it has
// links, else the Host's.
func (c *Component) linker() *linker.Linker {
	if c.cml != nil {
		return c.cml
	}
	return c.h.componentLinker()
}

// loadComponentModel is load for a Component Model component.
func (c *Component) loadComponentModel(ctx context.Context, wasm []byte) error {
	cfg := c.cfg
	if len(cfg.Libraries) > 0 {
		return c.cmRefusal("libraries")
	}
	if cfg.Limits.Fuel > 0 {
		return c.cmRefusal("limits.fuel")
	}
	if err := c.prepareSandbox(); err != nil {
		var ce *ConfigError
		var pe *PrivateDirError
		if errors.As(err, &ce) || errors.As(err, &pe) {
			return &engine.LoadError{Module: c.name, Err: err}
		}
		return fmt.Errorf("component %s: %w", c.name, err)
	}
	cm, err := linker.Compile(ctx, c.h.rt, c.file, wasm)
	if err != nil {
		return err
	}
	c.cm = cm
	if err := c.prepareComponentLinks(); err != nil {
		cm.Close(ctx)
		return err
	}
	if err := c.linker().Check(cm); err != nil {
		cm.Close(ctx)
		return err
	}
	if err := c.checkComponentGrants(); err != nil {
		cm.Close(ctx)
		return &engine.LoadError{Module: c.file, Err: err}
	}
	binders, err := c.h.prov.bind(ctx, c.name, c.bindConfig())
	if err != nil {
		cm.Close(ctx)
		return fmt.Errorf("component %s: %w", c.name, err)
	}
	c.binders = binders
	// Every run or call gets its own instance: the pool only bounds how
	// many run at once.
	rc := c.poolConfig(c.cfg.Instances)
	rc.Policy, rc.MinWarm, rc.IdleTimeout = pool.Fresh, 0, 0
	rc.New = func(context.Context) (*instance, error) {
		return nil, errors.New("component instances are made per run")
	}
	p, err := pool.NewOf(rc)
	if err != nil {
		cm.Close(ctx)
		return err
	}
	c.runs = p
	if c.exportsCalls() {
		// Requests and calls are served on warm instances, as a
		// reactor's are; the first one proves at load that the component
		// instantiates.
		if err := c.startWarmPool(ctx); err != nil {
			p.Close(ctx)
			cm.Close(ctx)
			return err
		}
	}
	return nil
}

// checkComponentGrants refuses a component importing a capability
// interface it was not granted, as checkGrants does for modules. The
// http capability's wasi:http/outgoing-handler is not refused: its
// requests fail with HTTP-request-denied instead.
func (c *Component) checkComponentGrants() error {
	for _, im := range c.cm.Decoded().Imports {
		capName, ok := capability.OfInterface(im.Name)
		if !ok || capName == capability.HTTP || c.cfg.Grants.Has(capName) {
			continue
		}
		return &GrantError{Component: c.name, Capability: capName, Import: im.Name}
	}
	return nil
}

// exportsCalls reports whether the Component Model component exports
// more than a command's wasi:cli/run: functions that triggers, links and
// calls reach on warm instances.
func (c *Component) exportsCalls() bool {
	for _, f := range c.cm.Funcs() {
		if len(f.Path) == 1 || !strings.HasPrefix(f.Path[0], "wasi:cli/run@") {
			return true
		}
	}
	return false
}

// newComponentInstance instantiates the Component Model component with
// the component's sandbox and capability bindings, and cio's world when
// not nil (a run).
func (c *Component) newComponentInstance(ctx context.Context, cio *trigger.CommandIO) (*instance, error) {
	icfg := c.instanceConfig(cio)
	for _, b := range c.binders {
		b(&icfg)
	}
	componentKey.Set(&icfg, c)
	li, err := c.linker().Instantiate(ctx, c.cm, icfg)
	if err != nil {
		return nil, err
	}
	return &instance{cm: li}, nil
}

// startWarmPool makes the pool of warm instances that serve the
// component's requests and calls, with a first instance in it.
func (c *Component) startWarmPool(ctx context.Context) error {
	pc := c.poolConfig(c.cfg.Instances)
	first, err := c.newComponentInstance(ctx, nil)
	if err != nil {
		return err
	}
	p, err := pool.NewOf(pc)
	if err != nil {
		first.Close(ctx)
		return err
	}
	p.Add(first)
	c.pool = p
	return nil
}

// ServeHTTP answers r with the component's wasi:http/incoming-handler
// export, on a warm instance from its pool, within the component's
// timeout; see trigger.HTTPInvoker for what its errors mean. A request
// that reaches a component replaced meanwhile is served by its new
// version.
func (c *Component) ServeHTTP(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	for {
		if c.closed.Load() {
			if n := c.next.Load(); n != nil {
				c = n
				continue
			}
			return ErrClosed
		}
		if c.cm == nil || c.pool == nil || !wasihttp.IsProxy(c.cm) {
			return fmt.Errorf("component %s exports no wasi:http/incoming-handler: it cannot serve HTTP requests", c.name)
		}
		err := c.serveOn(ctx, w, r)
		if re, ok := err.(*replacedError); ok {
			c = re.next
			continue
		}
		return err
	}
}

func (c *Component) serveOn(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	const what = "wasi:http/incoming-handler"
	if err := ctx.Err(); err != nil {
		return contextError(c.name, what, err)
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	body := &countingBody{ReadCloser: r.Body}
	if r.Body != nil {
		r.Body = body
	}
	for attempt := 0; ; attempt++ {
		in, err := c.pool.Get(ctx)
		if err != nil {
			if n := c.next.Load(); n != nil && errors.Is(err, pool.ErrClosed) {
				return &replacedError{next: n}
			}
			return c.poolError(what, err)
		}
		err = wasihttp.Serve(ctx, in.cm, w, r, wasihttp.ServeOptions{})
		if errors.Is(err, wasihttp.ErrNoResponse) && in.served > 0 && attempt == 0 && body.n == 0 {
			// A handler that answers only its instance's first request
			// (a componentize-js fetch-event handler): from now on each
			// request gets a fresh instance, and this one is served again
			// on one (nothing of it was read or written).
			if !c.singleUse.Swap(true) {
				c.h.log.Info("component answers one request per instance: serving each request on a new one",
					"component", c.name)
			}
			in.retire = true
			c.pool.Release(in, nil)
			continue
		}
		in.served++
		in.retire = in.retire || c.singleUse.Load()
		c.backoff.record(in.cm.Broken())
		c.pool.Release(in, err)
		err = c.redactErr(c.observe(err))
		switch {
		case errors.Is(err, wasihttp.ErrResponseSent):
			// The whole response went out: the client has its answer.
			c.h.log.Warn("component failed after its response", "component", c.name, "error", err.Error())
			return nil
		case errors.Is(err, wasihttp.ErrHeadWritten):
			return fmt.Errorf("%w: %w", trigger.ErrResponseStarted, err)
		}
		return err
	}
}

// countingBody counts what a request's handler read of its body.
type countingBody struct {
	io.ReadCloser
	n int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}

// ServeHTTP answers r with component's wasi:http incoming handler
// (trigger.HTTPInvoker); see Component.ServeHTTP.
func (h *Host) ServeHTTP(ctx context.Context, component string, w http.ResponseWriter, r *http.Request) error {
	c, err := h.Component(component)
	if err != nil {
		return err
	}
	return c.ServeHTTP(ctx, w, r)
}

// messageExport is the export a message trigger calls (msgtrigger's
// DefaultExport): a Component Model component exporting
// wasmcloud:messaging/handler answers it with its handle-message.
const messageExport = "handle_message"

// handlerInterface returns the name under which the component exports
// wasmcloud:messaging/handler, or "".
func (c *Component) handlerInterface() string {
	_, exports := c.typedInterfaces()
	return link.TypedInterface(exports, messaging.WITHandler)
}

// handleMessage calls the component's wasmcloud:messaging handler with
// the message a trigger encoded (messaging.EncodeMessage). The handler's
// error string is the call's error (a *HandlerError); a request's reply is
// the component's to publish (to the message's reply-to), so success is
// messaging.ErrNoReply: the trigger sends no reply of its own.
func (c *Component) handleMessage(ctx context.Context, iface string, input []byte) ([]byte, error) {
	msg, err := messaging.DecodeMessage(input)
	if err != nil {
		return nil, err
	}
	reply := canonical.Option{}
	if msg.Reply != "" {
		reply = canonical.Option{Some: true, Value: msg.Reply}
	}
	v, err := c.callPooled(ctx, []string{iface, "handle-message"}, []canonical.Value{
		canonical.Record{msg.Subject, msg.Body, reply}})
	if err != nil {
		return nil, err
	}
	if r, ok := v.(canonical.Result); ok && r.Err {
		s, _ := r.Value.(string)
		return nil, &HandlerError{Component: c.name, Message: s}
	}
	return nil, messaging.ErrNoReply
}

// HandlerError is the error a Component Model component's handler
// returned (the error case of its result), such as wasmcloud:messaging's
// handle-message.
type HandlerError struct {
	Component string
	Message   string
}

func (e *HandlerError) Error() string {
	return fmt.Sprintf("component %s: handler error: %s", e.Component, e.Message)
}

// describeComponentModel is Describe for a Component Model component.
func (c *Component) describeComponentModel() trigger.Info {
	info := trigger.Info{Name: c.name, Pattern: "component", Exports: map[string]bool{}, Interfaces: map[string]bool{},
		MaxRequestBytes: int64(c.cfg.Limits.RequestBytes), MaxResponseBytes: int64(c.cfg.Limits.ResponseBytes)}
	for _, f := range c.cm.Funcs() {
		if len(f.Path) == 1 {
			info.Exports[f.Path[0]] = true
			continue
		}
		name, _, _ := strings.Cut(f.Path[0], "@")
		info.Interfaces[name] = true
	}
	if c.handlerInterface() != "" {
		info.Exports[messageExport] = true // what a subscription calls
	}
	return info
}

func (c *Component) cmRefusal(what string) error {
	return &engine.LoadError{Module: c.file, Err: fmt.Errorf("%s: %w", what, ErrComponentModel)}
}

// IsComponentModel reports whether the component is a Component Model
// component rather than a core module.
func (c *Component) IsComponentModel() bool { return c.cm != nil }

// Funcs lists a Component Model component's exported functions (nil for
// a core module).
func (c *Component) Funcs() []linker.ExportedFunc {
	if c.cm == nil {
		return nil
	}
	return c.cm.Funcs()
}

// withComponentInstance runs f on a fresh instance of the Component
// Model component, within the component's timeout and run limit.
func (c *Component) withComponentInstance(ctx context.Context, cio *trigger.CommandIO, what string, f func(context.Context, *linker.Instance) error) error {
	if c.closed.Load() {
		return ErrClosed
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	if cio != nil {
		defer c.redactStderr(cio)()
	}
	var li *linker.Instance
	in, err := c.runs.GetNew(ctx, func(ctx context.Context) (*instance, error) {
		var err error
		in, err := c.newComponentInstance(ctx, cio)
		if err != nil {
			return nil, err
		}
		li = in.cm
		return in, nil
	})
	if err != nil {
		return c.poolError(what, err)
	}
	err = f(ctx, li)
	c.runs.Release(in, err)
	return c.redactErr(c.observe(err))
}

// runComponentModel is Run for a Component Model component: it calls the
// wasi:cli/run export. A run that returns its error case exits with
// status 1, as in Wasmtime.
func (c *Component) runComponentModel(ctx context.Context, cio trigger.CommandIO) error {
	return c.withComponentInstance(ctx, &cio, "wasi:cli/run", func(ctx context.Context, li *linker.Instance) error {
		run, err := li.Func(RunExport, "run")
		if err != nil {
			return fmt.Errorf("component %s is not a command (it exports no %s run function): call one of its exports with --invoke", c.name, RunExport)
		}
		v, err := run.Call(ctx)
		var exit *engine.ExitError
		if errors.As(err, &exit) && exit.Code == 0 {
			return nil
		}
		if err != nil {
			return err
		}
		if r, ok := v.(canonical.Result); ok && r.Err {
			return &engine.ExitError{Module: c.file, Code: 1}
		}
		return nil
	})
}

// CallFunc calls the exported function at path (see linker.Instance.Func)
// of a Component Model component with args, on a fresh instance whose
// standard streams are cio's (nil: the component's defaults), and returns
// its result.
func (c *Component) CallFunc(ctx context.Context, cio *trigger.CommandIO, path []string, args ...canonical.Value) (canonical.Value, error) {
	if c.cm == nil {
		return nil, fmt.Errorf("component %s is a core module: call its exports with CallRaw or Call", c.name)
	}
	var res canonical.Value
	err := c.withComponentInstance(ctx, cio, path[len(path)-1], func(ctx context.Context, li *linker.Instance) error {
		f, err := li.Func(path...)
		if err != nil {
			return err
		}
		res, err = f.Call(ctx, args...)
		return err
	})
	return res, err
}
