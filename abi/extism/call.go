package extism

import (
	"context"
	"errors"
	"fmt"

	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/wasip1"
)

// PluginError reports a plugin function that returned non-zero (or exited
// with a non-zero status). Message is what the plugin set with error_set.
type PluginError struct {
	Function string
	Code     uint32 // the function's return value or exit status
	Message  string // the plugin's error message; may be empty
	Err      error  // *engine.ExitError when the plugin exited, else nil
}

// Error returns the plugin's message, or says which function failed with
// which code when the plugin set none.
func (e *PluginError) Error() string {
	if e.Message != "" {
		return e.Message
	}
	if e.Err != nil {
		return fmt.Sprintf("%s failed: %v", e.Function, e.Err)
	}
	return fmt.Sprintf("%s returned %d", e.Function, e.Code)
}

// Unwrap returns the exit error, if any.
func (e *PluginError) Unwrap() error { return e.Err }

// HostError reports a call stopped by a host function: an out-of-bounds
// kernel access, a denied HTTP request, a full variable store, a failing
// user host function... Err is the host function's error (match it with
// errors.Is / errors.As: *AccessError, ErrHostNotAllowed, ErrVarsFull...).
type HostError struct {
	Function string // the plugin export that was called
	Err      error
}

func (e *HostError) Error() string { return e.Function + ": " + e.Err.Error() }

// Unwrap returns the host function's error.
func (e *HostError) Unwrap() error { return e.Err }

// Fail stops the current call from inside a host function with err; Call
// returns it wrapped in a *HostError. It does not return.
func (s *State) Fail(err error) { s.fail(err) }

// CheckExport reports whether m exports function with a signature Call can
// call: no parameters and at most one i32 result.
func CheckExport(m *engine.Module, function string) error {
	def, ok := m.Compiled().ExportedFunctions()[function]
	if !ok {
		return fmt.Errorf("%s: %w: %q", m.Name(), engine.ErrNoExport, function)
	}
	if len(def.ParamTypes()) != 0 || len(def.ResultTypes()) > 1 ||
		(len(def.ResultTypes()) == 1 && def.ResultTypes()[0] != api.ValueTypeI32) {
		return fmt.Errorf("%s: %s has signature (%d params) -> (%d results); plugin functions take no parameters and return one i32", m.Name(), function, len(def.ParamTypes()), len(def.ResultTypes()))
	}
	return nil
}

// Call sets the input, calls the export function (signature () -> i32, or
// ()), and returns the output. A non-zero return becomes a *PluginError
// carrying the message set with error_set; a host function that stops the
// call gives a *HostError; traps, timeouts and cancellation give the
// engine's typed errors. Before the first call on st, the guest language
// runtime is initialised (see Init).
func Call(ctx context.Context, inst *engine.Instance, st *State, function string, input []byte) ([]byte, error) {
	if function != st.checked || inst != st.checkedIn {
		if err := CheckExport(inst.Module(), function); err != nil {
			return nil, err
		}
		st.checked, st.checkedIn = function, inst
	}
	if st.plugWant != nil && inst.Module() == st.plugWant {
		st.bindPlugin(inst)
	}
	if err := st.SetInput(input); err != nil {
		return nil, err
	}
	if !st.initialized {
		if err := Init(ctx, inst); err != nil {
			return nil, st.wrap(ctx, inst, function, err)
		}
		st.initialized = true
	}
	st.hostErr = nil
	res, err := inst.Call(ctx, function)
	st.refresh()
	st.dropInput()
	if err != nil {
		return nil, st.wrap(ctx, inst, function, err)
	}
	if len(res) > 0 && uint32(res[0]) != 0 {
		return nil, &PluginError{Function: function, Code: uint32(res[0]), Message: st.ErrorMessage()}
	}
	return st.Output()
}

// wrap turns an engine error into HostError / PluginError where it applies.
func (st *State) wrap(ctx context.Context, inst *engine.Instance, function string, err error) error {
	if st.hostErr != nil {
		herr := st.hostErr
		st.hostErr = nil
		switch {
		case errors.Is(err, engine.ErrTimeout), errors.Is(err, engine.ErrCanceled):
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			// A host function (http_request) gave up because the call's
			// deadline passed: that is the call's timeout.
			return &engine.TimeoutError{Module: inst.Module().Name(), Function: function}
		case ctx.Err() != nil:
			return &engine.CanceledError{Module: inst.Module().Name(), Function: function}
		default:
			return &HostError{Function: function, Err: herr}
		}
	}
	var exit *engine.ExitError
	if errors.As(err, &exit) {
		return &PluginError{Function: function, Code: exit.Code, Message: st.ErrorMessage(), Err: exit}
	}
	return err
}

// Initialized reports whether the guest runtime of st's instance was initialised.
func (st *State) Initialized() bool { return st.initialized }

// Init initialises a guest language runtime as Extism hosts do, after the
// engine ran _initialize at instantiation: hs_init(0, 0) for Haskell, or
// __wasm_call_ctors for a WASI module that exports no _initialize. Call runs
// it before the first call; call it yourself for linked library instances.
func Init(ctx context.Context, inst *engine.Instance) error {
	m := inst.Module()
	exports := m.Compiled().ExportedFunctions()
	if def, ok := exports["hs_init"]; ok {
		args := make([]uint64, len(def.ParamTypes()))
		_, err := inst.Call(ctx, "hs_init", args...)
		return err
	}
	if _, ok := exports["_initialize"]; ok {
		return nil // run by the engine at instantiation
	}
	if def, ok := exports["__wasm_call_ctors"]; ok && len(def.ParamTypes()) == 0 && importsWASI(m) {
		_, err := inst.Call(ctx, "__wasm_call_ctors")
		return err
	}
	return nil
}

func importsWASI(m *engine.Module) bool {
	for _, f := range m.Compiled().ImportedFunctions() {
		if mod, _, _ := f.Import(); mod == wasip1.ModuleName || mod == wasip1.Preview0ModuleName {
			return true
		}
	}
	return false
}

// CallBorrow is Call whose output is borrowed from st instead of copied:
// it is valid only until the next call on st, so the caller must be done
// with it before another call may use the instance. It saves a copy of the
// output for callers that copy it on at once (a call across a link).
func CallBorrow(ctx context.Context, inst *engine.Instance, st *State, function string, input []byte) ([]byte, error) {
	st.borrow = true
	defer func() { st.borrow = false }()
	return Call(ctx, inst, st, function, input)
}
