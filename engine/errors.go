package engine

import (
	"errors"
	"fmt"
	"strings"

	"github.com/wasmhive/wasmhive/internal/wasmbin"
)

// ErrComponent is returned when a Component Model binary is given where a
// core module is required. Components are recognised but cannot run yet.
var ErrComponent = errors.New("this is a WebAssembly component (Component Model), which wasmhive cannot run yet; only core modules run")

// ErrNotWasm is matched (errors.Is) by the error for bytes that do not start
// with the WebAssembly magic number. It is the binary reader's error, so
// errors of package inspect match it too.
var ErrNotWasm = wasmbin.ErrNotWasm

// LoadError reports a module that could not be read, decoded, validated or compiled.
type LoadError struct {
	Module string // the module's name (usually its file name)
	Err    error
}

func (e *LoadError) Error() string { return fmt.Sprintf("load %s: %v", e.Module, e.Err) }
func (e *LoadError) Unwrap() error { return e.Err }

// Import names one function a module imports.
type Import struct {
	Module    string   // import module name, e.g. "env"
	Name      string   // function name
	Params    []string // value types, e.g. "i32"
	Results   []string
	Available string // when non-empty, why the import did not match (e.g. a signature mismatch)
}

// Signature formats the import as "module.name(i32, i64) -> (i32)".
func (i Import) Signature() string {
	s := fmt.Sprintf("%s.%s(%s)", i.Module, i.Name, strings.Join(i.Params, ", "))
	if len(i.Results) > 0 {
		s += " -> (" + strings.Join(i.Results, ", ") + ")"
	}
	return s
}

// UnresolvedImportsError lists every function import that no host module or
// linked module provides.
type UnresolvedImportsError struct {
	Module  string
	Imports []Import
}

func (e *UnresolvedImportsError) Error() string {
	parts := make([]string, len(e.Imports))
	for i, imp := range e.Imports {
		parts[i] = imp.Signature()
		if imp.Available != "" {
			parts[i] += " (" + imp.Available + ")"
		}
	}
	return fmt.Sprintf("%s imports %d function(s) no host provides: %s", e.Module, len(e.Imports), strings.Join(parts, "; "))
}

// ExitError reports a guest that exited with a non-zero status through proc_exit.
type ExitError struct {
	Module string
	Code   uint32
}

func (e *ExitError) Error() string { return fmt.Sprintf("%s exited with status %d", e.Module, e.Code) }

// TrapError reports a guest that trapped (unreachable, out-of-bounds access,
// division by zero, stack overflow...).
type TrapError struct {
	Module   string
	Function string   // the export that was called, e.g. "_start"
	At       string   // the function executing when it trapped (innermost frame), when known
	Reason   string   // e.g. "integer divide by zero"
	Stack    []string // wasm stack trace, innermost frame first
}

// Error formats the trap as one line: "m.wasm: trap in _start (at main):
// unreachable".
func (e *TrapError) Error() string {
	where := e.Function
	if e.At != "" && e.At != e.Function {
		where += " (at " + e.At + ")"
	}
	return fmt.Sprintf("%s: trap in %s: %s", e.Module, where, e.Reason)
}

// ErrTimeout is matched (errors.Is) by a TimeoutError.
var ErrTimeout = errors.New("timeout")

// TimeoutError reports a guest stopped because its deadline passed.
type TimeoutError struct {
	Module   string
	Function string
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("%s: %s stopped: deadline exceeded", e.Module, e.Function)
}

// Is makes errors.Is(err, ErrTimeout) true.
func (e *TimeoutError) Is(target error) bool { return target == ErrTimeout }

// ErrCanceled is matched (errors.Is) by a CanceledError.
var ErrCanceled = errors.New("canceled")

// CanceledError reports a guest stopped because its context was canceled.
type CanceledError struct {
	Module   string
	Function string
}

func (e *CanceledError) Error() string {
	return fmt.Sprintf("%s: %s stopped: canceled", e.Module, e.Function)
}

// Is makes errors.Is(err, ErrCanceled) true.
func (e *CanceledError) Is(target error) bool { return target == ErrCanceled }

// ErrLimit is matched (errors.Is) by a LimitError.
var ErrLimit = errors.New("limit exceeded")

// LimitError reports a call that went past one of its component's limits
// (request or response bytes, a keyvalue value's size, keys or HTTP
// requests per call, messages per second). A host function that finds a
// limit passed ends the call with it (panic(*LimitError)); the call fails
// with it and the instance is discarded.
type LimitError struct {
	Module   string // the component (or module) whose limit it is
	Function string // the export that was running, when known
	Limit    string // the limit's name as the manifest spells it, e.g. "keyvalue_keys_per_call"
	Max      uint64 // the limit
	Got      uint64 // what the call asked for (0 when not a count)
}

func (e *LimitError) Error() string {
	where := e.Module
	if e.Function != "" {
		where += ": " + e.Function
	}
	if e.Got > 0 {
		return fmt.Sprintf("%s: limit %s exceeded (%d, the limit is %d)", where, e.Limit, e.Got, e.Max)
	}
	return fmt.Sprintf("%s: limit %s exceeded (the limit is %d)", where, e.Limit, e.Max)
}

// Is makes errors.Is(err, ErrLimit) true.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }
