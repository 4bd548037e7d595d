// Package canonical implements the synchronous Canonical ABI of the
// WebAssembly Component Model (CanonicalABI.md in WebAssembly/component-model):
// the memory layout and flattening of component value types, lifting
// component values out of a component's core values and linear memory into
// Go (see Value for the Go form of each type) and lowering Go values into
// them, string transcoding between UTF-8, UTF-16 and latin1+utf16, and the
// resource handle tables with own and borrow handles.
//
// # Entry points
//
// A Func is a component function type compiled with its canonical options
// (NewFunc). The linker uses four of its methods:
//
//   - the host calls a component's export (canon lift): LowerArgs lowers
//     the arguments into the component, flat or (beyond MaxFlatParams core
//     values) into memory allocated with the component's realloc; after the
//     core call, LiftResult lifts the result from the core result, flat or
//     (beyond MaxFlatResults) through the returned pointer;
//   - a component calls a host import (canon lower): LiftArgs lifts the
//     arguments from the core parameters (flat, or through a pointer), and
//     LowerResult lowers the host's result into flat results or, beyond
//     MaxFlatResults, at the caller's return pointer (the last core
//     parameter).
//
// Typed (NewTyped) does LowerArgs and LiftResult with the arguments and
// the result in Go values of fixed types (structs for records, slices for
// lists...), moved without dynamic Values in between where a type has a
// direct Go form; ToValue and FromValue convert single values.
//
// Each call in progress has a Call, from Instance.BeginExport (canon lift)
// or Instance.BeginImport (canon lower) of the component instance the call
// enters or leaves, ended with Call.End: it scopes the borrowed handles
// lowered into an export call (undropped borrows at its end trap) and
// the handles an import call lends out.
//
// Resources: an Instance holds a component instance's handle table;
// ResourceNew, ResourceDrop and ResourceRep are the canon resource.new,
// resource.drop and resource.rep built-ins. A ResourceType is a resource
// type at run time, with its implementing instance (nil: the host) and its
// destructor; Options.Resource maps the static types of a function's own
// and borrow handles to runtime ones.
//
// ReallocFunc wraps a component's core realloc export as a Realloc.
//
// Not here (the linker's part): post-return, the may-leave and may-enter
// guards around realloc, post-return and destructor calls, and calling the
// core functions. The async ABI (async functions, stream, future,
// error-context) is refused with an error by NewFunc.
//
// Choices the specification leaves to the embedder: lowered NaNs are the
// canonical NaN (the deterministic profile); lifted NaNs are canonicalized
// as the specification requires. A Go string to lower must be valid UTF-8
// and at most MaxStringByteLength bytes. Beyond the specification, the
// host bounds the list elements one call's lifting may produce
// (Options.MaxListElements), as a lifted element costs the host many times
// its bytes in the component's memory.
//
// Errors are *Error values with a one-line message; any error while
// moving a component's values traps that component. No input from a
// component (pointers, lengths, discriminants, code points, encodings,
// handles) makes the package panic.
package canonical
