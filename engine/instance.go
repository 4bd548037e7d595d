package engine

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/sys"

	"github.com/wasmhive/wasmhive/wasip1"
)

// Preopen is a host directory made visible to the guest.
type Preopen struct {
	HostPath  string // directory on the host
	GuestPath string // path the guest sees, e.g. "/data" or "."
	ReadOnly  bool
	// Private applies a private directory's rules on top of the sandbox:
	// no hard links, no renames out, no guest-made symbolic links with
	// "..". See wasip1.Preopen.Private.
	Private bool
}

// InstanceConfig is what one instance sees of the world. The zero value is an
// instance with no arguments, no environment, no files and discarded stdio.
type InstanceConfig struct {
	// Name registers the instance under a module name so that other modules
	// can import its exports. Empty means anonymous.
	Name string
	// Args is the guest's argv, argv[0] first.
	Args []string
	// Env is the guest's environment, as "NAME=VALUE" entries.
	Env []string
	// Stdin, Stdout and Stderr are the guest's standard streams; nil means
	// empty input and discarded output.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Preopens are the directories the guest may reach; no other host file is.
	Preopens []Preopen
	// MaxMemory caps the instance's linear memory at this many bytes
	// (rounded down to whole 64 KiB pages): memory.grow past it returns -1
	// inside the guest, and a module whose minimum is larger fails to
	// instantiate with a *LoadError. Zero means the module's own maximum.
	MaxMemory uint64
	// RecycleMemory takes the instance's linear memory from a pool of
	// zeroed buffers and returns it there when the instance closes, for
	// short-lived instances (one per request).
	RecycleMemory bool
	// NoInitialize leaves a reactor's _initialize export uncalled, for core
	// modules instantiated as part of a component, whose toolchain calls it
	// itself (from a start function, once the component's imports are
	// wired).
	NoInitialize bool
	// LinkChecked says the caller has checked that the libraries given to
	// InstantiateLinked provide every import with its type (as a validated
	// component's core instantiations do): the check is skipped.
	LinkChecked bool
	// NoWASI gives the instance no WASI preview 1 state: for a module
	// whose wasi_snapshot_preview1 imports, if any, another module serves
	// (a component's core modules, which reach WASI 0.2 through the
	// component's imports). Args, Env, stdio and Preopens are then unused.
	NoWASI bool
	// Fuel meters each outermost call: it may pass this many check sites
	// (loop iterations, function entries, stretches of straight-line code) before
	// it fails with a *LimitError for FuelLimit. The count is the same on
	// every run of the same code on the same input, unlike a timeout. Zero
	// means unmetered. It needs the interruption checks: a Runtime with
	// NoInterrupts or DebugInfo refuses it.
	Fuel uint64
	// state holds per-instance host state, attached with Key.Set and
	// indexed by key.
	state []any
}

// Instance is one instantiated module. It serves one call at a time: callers
// that share an Instance between goroutines must serialise calls.
type Instance struct {
	rt     *Runtime
	module *Module
	mod    api.Module
	// ownsModule: closing the instance also closes its compiled module
	// (a host module compiled for this instance alone).
	ownsModule bool
	state      []any // per-instance host state (see Key)
	funcs      map[string]*Export
	started    atomic.Bool // a command's _start has run
	broken     atomic.Bool // trapped, timed out, exited: never call again
	seq        uint64      // numbers the outermost calls, for CallCounter
	counts     []callCount // CallCounter counts, indexed by counter
	grow       *growth     // refused memory growth; nil without a memory cap
	stack      [8]uint64   // parameters and results of a call (see Call)
	inCall     bool        // stack is in use
	intr       interruptState
	fuel       fuelState
	// lastCtx is the context of the last outermost call and callCtx the
	// one derived from it (with the instance as the calling instance),
	// reused while callers pass the same context: no allocation per call.
	lastCtx, callCtx context.Context
	// lastQuiet says lastCtx can never be done: its Done is nil (it can
	// never be canceled) and it has no deadline, so that a call under it
	// need not ask whether it is done.
	lastQuiet bool
}

// Export is an exported function of an instance, looked up once (with
// its parameter and result counts), for CallExport.
type Export struct {
	inst          *Instance
	name          string
	fn            api.Function
	nparams, nres int
}

// Instantiate creates an instance of m. For a reactor or library module that
// exports _initialize, it runs exactly once here; a command's _start is not
// run (use RunCommand, or Call "_start").
func (rt *Runtime) Instantiate(ctx context.Context, m *Module, cfg InstanceConfig) (*Instance, error) {
	if err := rt.checkImports(m, nil); err != nil {
		return nil, err
	}
	return rt.instantiate(ctx, ctx, m, cfg)
}

// instantiate creates an instance of m whose imports were checked: wazero
// instantiates it under ictx (ctx, or ctx with an import resolver for
// linking), and a reactor's _initialize then runs under ctx.
func (rt *Runtime) instantiate(ctx, ictx context.Context, m *Module, cfg InstanceConfig) (*Instance, error) {
	if cfg.MaxMemory > 0 {
		limit := cfg.MaxMemory / PageSize
		if minPages := m.minPages(); uint64(minPages) > limit {
			return nil, &LoadError{Module: m.name, Err: memoryOverLimit(minPages, uint32(min(limit, 65536)))}
		}
	}
	grow := newGrowth(cfg.MaxMemory)
	a := rt.memoryAllocator(&cfg)
	ictx = experimental.WithMemoryAllocator(ictx, grow.watch(a))
	mc, wasi, err := rt.moduleConfig(cfg)
	if err != nil {
		return nil, &LoadError{Module: m.name, Err: err}
	}
	if wasi != nil {
		wasiKey.Set(&cfg, wasi)
	}
	if cfg.Fuel > 0 && !rt.instrumented {
		wasi.Close()
		return nil, &LoadError{Module: m.name, Err: errors.New("fuel metering needs the interruption checks, which NoInterrupts or DebugInfo turn off")}
	}
	inst := &Instance{rt: rt, module: m, state: cfg.state, funcs: map[string]*Export{}, grow: grow}
	mod, err := rt.wr.InstantiateModule(ictx, m.compiled, mc)
	if err != nil {
		wasi.Close()
		return nil, inst.convertError("instantiate", err)
	}
	inst.mod = mod
	inst.fuel.init(cfg.Fuel, mod)
	a.watch(mod)
	rt.instances.Store(mod, inst)
	if m.pattern != PatternCommand && !cfg.NoInitialize && m.HasExport("_initialize") {
		if _, err := inst.Call(ctx, "_initialize"); err != nil {
			inst.Close(ctx)
			return nil, err
		}
	}
	return inst, nil
}

// RunCommand instantiates m, runs _start once and closes the instance. It
// returns nil when the guest exits with status 0, *ExitError for another
// status, and *TrapError, *TimeoutError or *CanceledError when it is stopped.
func (rt *Runtime) RunCommand(ctx context.Context, m *Module, cfg InstanceConfig) error {
	inst, err := rt.Instantiate(ctx, m, cfg)
	if err != nil {
		return err
	}
	defer inst.Close(context.WithoutCancel(ctx))
	_, err = inst.Call(ctx, "_start")
	return err
}

// Module returns the compiled module this is an instance of.
func (i *Instance) Module() *Module { return i.module }

// Wazero returns the underlying wazero module instance.
func (i *Instance) Wazero() api.Module { return i.mod }

// Memory returns the instance's exported or only memory, or nil.
func (i *Instance) Memory() api.Memory { return i.mod.Memory() }

// Broken reports whether the instance trapped, timed out, exited or was
// closed: it must not be called again.
func (i *Instance) Broken() bool {
	// A call's deadline can close the module just after the call returned
	// (wazero watches the context from another goroutine).
	return i.broken.Load() || (i.mod != nil && i.mod.IsClosed())
}

// Function returns the exported function name, or nil.
func (i *Instance) Function(name string) api.Function {
	if e := i.export(name); e != nil {
		return e.fn
	}
	return nil
}

// Export returns the exported function name, for CallExport, or nil.
func (i *Instance) Export(name string) *Export {
	return i.export(name)
}

// export returns the exported function name, or nil.
func (i *Instance) export(name string) *Export {
	if e, ok := i.funcs[name]; ok {
		return e
	}
	f := i.mod.ExportedFunction(name)
	if f == nil {
		return nil
	}
	d := f.Definition()
	e := &Export{inst: i, name: name, fn: f, nparams: len(d.ParamTypes()), nres: len(d.ResultTypes())}
	if i.funcs == nil {
		i.funcs = map[string]*Export{}
	}
	i.funcs[name] = e
	return e
}

// calling returns ctx with i as the calling instance (see Caller); while
// the callers pass the same context, the one made for the last call.
func (i *Instance) calling(ctx context.Context) context.Context {
	if i.callCtx != nil && sameContext(i.lastCtx, ctx) {
		return i.callCtx
	}
	c := context.WithValue(ctx, callingKey{}, i)
	_, dl := ctx.Deadline()
	i.lastCtx, i.callCtx, i.lastQuiet = ctx, c, ctx.Done() == nil && !dl
	return c
}

// callsItself reports whether ctx is the context of a call of i: a call
// made from inside one of its own host functions.
func (i *Instance) callsItself(ctx context.Context) bool {
	c, _ := ctx.Value(callingKey{}).(*Instance)
	return c == i
}

// sameContext reports whether a and b are the same interface value (the
// same dynamic type and data word), without the panic of == on an
// uncomparable dynamic type.
func sameContext(a, b context.Context) bool {
	// Word by word: comparing the arrays would call memequal.
	x, y := (*[2]unsafe.Pointer)(unsafe.Pointer(&a)), (*[2]unsafe.Pointer)(unsafe.Pointer(&b))
	return x[0] == y[0] && x[1] == y[1]
}

// ErrNoExport is matched by errors from Call naming an export that does not exist.
var ErrNoExport = errors.New("no such exported function")

// ErrBroken is returned when calling an instance that already trapped, exited or timed out.
var ErrBroken = errors.New("instance is no longer usable (it trapped, exited or timed out)")

// Call calls the exported function name with params encoded as wazero
// encodes them (api.EncodeI32 and friends) and returns its results, which
// are valid until the next call on the instance (as wazero's are).
//
// A host function that finds a limit passed ends the call with
// panic(*LimitError): Call returns a copy with Module and Function filled
// in. A call that traps or exits after memory.grow was refused at
// InstanceConfig.MaxMemory returns a *LimitError for the memory limit
// (MemoryLimit) instead of the trap or exit status that followed. Either
// way, as after any failure, the instance is broken.
func (i *Instance) Call(ctx context.Context, name string, params ...uint64) ([]uint64, error) {
	if i.broken.Load() {
		return nil, ErrBroken
	}
	if name == "_start" && i.started.Swap(true) {
		return nil, errStartTwice(i)
	}
	e := i.export(name)
	if e == nil {
		return nil, &callError{module: i.module.name, function: name, err: ErrNoExport}
	}
	return i.call(ctx, e, params)
}

// CallExport is Call of an export that Export returned (its name is not
// looked up again): the same checks, errors and results.
func (i *Instance) CallExport(ctx context.Context, e *Export, params ...uint64) ([]uint64, error) {
	if e == nil || e.inst != i {
		return nil, errors.New(i.module.name + ": CallExport of a function that is not an export of this instance")
	}
	if i.broken.Load() {
		return nil, ErrBroken
	}
	if e.name == "_start" && i.started.Swap(true) {
		return nil, errStartTwice(i)
	}
	return i.call(ctx, e, params)
}

func errStartTwice(i *Instance) error {
	return errors.New(i.module.name + ": a command's _start runs once; instantiate again")
}

// call is Call of export e, once the instance is known to be usable.
func (i *Instance) call(ctx context.Context, e *Export, params []uint64) ([]uint64, error) {
	name := e.name
	f := e.fn
	// quiet: ctx can never be done. The context of the last outermost
	// call is known not to hold i as the calling instance (calling made
	// it so) and whether it can be done: neither is looked up again.
	quiet := false
	again := i.callCtx != nil && sameContext(i.lastCtx, ctx)
	if again || !i.callsItself(ctx) {
		// The instance's outermost call (not one made from inside its own
		// host functions): a new call for CallCounter, memory growth and
		// fuel.
		if again {
			ctx = i.callCtx
		} else {
			ctx = i.calling(ctx)
		}
		quiet = i.lastQuiet
		i.seq++
		if i.grow != nil {
			i.grow.refused = 0
		}
		if i.fuel.per > 0 {
			i.fuel.start()
			defer i.fuel.end()
		}
	}
	if !quiet && i.rt.instrumented && ctxDone(ctx) {
		// Instrumented guests check their context only every so often:
		// a call whose context is already done does not start.
		return nil, i.convertError(name, ctxExitError(ctx))
	}
	var res []uint64
	var err error
	if nres := e.nres; !i.inCall && len(params) <= len(i.stack) && nres <= len(i.stack) && e.nparams == len(params) {
		// The instance's own stack: no slice allocated per call. Results
		// are valid until the next call on the instance.
		i.inCall = true
		st := i.stack[:max(len(params), nres)]
		copy(st, params)
		err = f.CallWithStack(ctx, st)
		i.inCall = false
		res = st[:nres]
	} else {
		// A copy: the caller's (variadic) parameters need not escape.
		res, err = f.Call(ctx, append([]uint64(nil), params...)...)
	}
	if err == nil && !quiet && ctx.Err() != nil && i.mod.IsClosed() {
		// The deadline or cancellation closed the module while the guest was
		// inside a host call that returned anyway (wazero only checks ctx on
		// function entry and loop back-edges): the call did not complete.
		err = ctxExitError(ctx)
	}
	if err != nil {
		i.broken.Store(true)
		var exit *sys.ExitError
		if errors.As(err, &exit) && !ctxDone(ctx) &&
			(exit.ExitCode() == sys.ExitCodeDeadlineExceeded || exit.ExitCode() == sys.ExitCodeContextCanceled) {
			// wazero's codes for "closed by ctx" are valid guest statuses
			// (proc_exit(-1)); ctx is not done, so the guest chose it.
			return nil, i.memoryError(name, &ExitError{Module: i.module.name, Code: exit.ExitCode()})
		}
		return nil, i.memoryError(name, i.convertError(name, err))
	}
	if name == "_start" {
		i.broken.Store(true)
	}
	return res, nil
}

type callError struct {
	module, function string
	err              error
}

func (e *callError) Error() string { return e.module + ": " + e.function + ": " + e.err.Error() }
func (e *callError) Unwrap() error { return e.err }

// Close releases the instance.
func (i *Instance) Close(ctx context.Context) error {
	i.broken.Store(true)
	if w, ok := wasiKey.Of(i); ok {
		defer w.Close()
	}
	if i.mod == nil {
		return nil
	}
	i.rt.instances.Delete(i.mod)
	closingMemory(i)
	err := i.mod.Close(ctx)
	if i.ownsModule {
		i.module.compiled.Close(ctx)
	}
	return err
}

// convertError maps wazero's errors to the engine's typed errors (a host
// function's *LimitError is kept, see Call). Whatever
// wazero reports, the result's message is one line: wazero appends a Go stack
// trace to errors recovered from a host function's runtime panic, and that
// must never reach a user.
func (i *Instance) convertError(function string, err error) error {
	name := i.module.name
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		switch exit.ExitCode() {
		case 0:
			return nil
		case sys.ExitCodeDeadlineExceeded:
			return &TimeoutError{Module: name, Function: function}
		case sys.ExitCodeContextCanceled:
			return &CanceledError{Module: name, Function: function}
		}
		return &ExitError{Module: name, Code: exit.ExitCode()}
	}
	var limit *LimitError
	if errors.As(err, &limit) {
		// A host function ended the call at a limit: the caller gets the
		// limit, with where it happened, and no stack.
		le := *limit
		if le.Module == "" {
			le.Module = name
		}
		if le.Function == "" {
			le.Function = function
		}
		return &le
	}
	msg := err.Error()
	head, stack, _ := strings.Cut(msg, "\nwasm stack trace:\n")
	head = strings.TrimSpace(head)
	frames := stackFrames(stack)
	switch {
	case strings.HasPrefix(head, "wasm error: "):
		// A trap raised by the engine: unreachable, out of bounds, divide by zero...
		reason := strings.TrimPrefix(head, "wasm error: ")
		return &TrapError{Module: name, Function: function, At: innermost(frames), Reason: reason, Stack: frames}
	case head == "stack overflow":
		// wazero returns its call-stack limit unwrapped and without frames.
		return &TrapError{Module: name, Function: function, Reason: "stack overflow (call stack exhausted)"}
	}
	// Not a trap: a host function failed (returned or panicked with an error).
	line, _, _ := strings.Cut(head, "\n")
	line = strings.TrimSuffix(strings.TrimSpace(line), " (recovered by wazero)")
	if function == "instantiate" {
		return &LoadError{Module: name, Err: errors.New(line)}
	}
	return &callError{module: name, function: function, err: &hostError{msg: line, err: err}}
}

// ctxDone reports whether ctx is done or past its deadline (its timer may
// not have fired yet).
func ctxDone(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

// ctxExitError is the exit error wazero reports for a module closed because
// ctx is done (or past its deadline).
func ctxExitError(ctx context.Context) error {
	if err := ctx.Err(); errors.Is(err, context.DeadlineExceeded) || err == nil {
		return sys.NewExitError(sys.ExitCodeDeadlineExceeded)
	}
	return sys.NewExitError(sys.ExitCodeContextCanceled)
}

// hostError is a host function's failure reduced to its first line; Unwrap
// still reaches the original error.
type hostError struct {
	msg string
	err error
}

func (e *hostError) Error() string { return e.msg }
func (e *hostError) Unwrap() error { return e.err }

// stackFrames splits wazero's wasm stack trace into frames, stopping at the
// blank line after which wazero prints a Go stack trace.
func stackFrames(stack string) []string {
	var frames []string
	for _, l := range strings.Split(stack, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			if len(frames) > 0 {
				break
			}
			continue
		}
		// wazero prefixes each function with the instance name, empty for
		// anonymous instances: ".main(i32,i32) i32".
		frames = append(frames, strings.TrimPrefix(l, "."))
	}
	return frames
}

// innermost returns the function name of the first frame, e.g. "main" for
// "main(i32,i32) i32"; source-position lines ("0x2d58: file.c:9:12") are skipped.
func innermost(frames []string) string {
	for _, f := range frames {
		if strings.HasPrefix(f, "0x") {
			continue
		}
		if i := strings.IndexByte(f, '('); i > 0 {
			return f[:i]
		}
		return f
	}
	return ""
}

// moduleConfig builds the wazero module config for one instance. The WASI
// state lives in the wasi host module; this wires what wazero needs.
func (rt *Runtime) moduleConfig(cfg InstanceConfig) (wazero.ModuleConfig, *wasip1.State, error) {
	mc := wazero.NewModuleConfig().WithName(cfg.Name).WithStartFunctions()
	if cfg.NoWASI {
		return mc.WithRandSource(rand.Reader), nil, nil
	}
	return wasiModuleConfig(mc, cfg)
}
