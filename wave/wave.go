// Package wave reads and writes WAVE, the WebAssembly Value Encoding: the
// text form of component values that wasm-wave defines
// (bytecodealliance/wasm-tools, crates/wasm-wave; its README is the
// specification) and that Wasmtime's `run --invoke` takes arguments in
// and prints results with.
//
// Values are typed by a component.ValueType and held in their
// canonical.Value Go form:
//
//	bool          true, false
//	integers      123, -9
//	floats        3.14, 6.022e+23, nan, inf, -inf
//	char          'x', '☃', '\'', '\u{0}'
//	string        "abc\t123", or a """ multiline string
//	tuple         ("abc", 123)
//	list          [1, 2, 3]
//	record        {field-a: 1, field-b: "two"}, {:} (all fields none)
//	variant       days(30), forever, %none (a case named like a keyword)
//	enum          south, %ok
//	option        some("x"), none, or the payload alone: "x"
//	result        ok("x"), err("oops"), ok, err, or the ok payload alone
//	flags         {read, write}, {}
//
// Whitespace and // comments may appear between tokens. Record fields may
// come in any order and option-typed fields that are none may be left
// out; flags may come in any order. Resource handles (own, borrow),
// streams, futures and error contexts have no WAVE form.
//
// Format writes exactly what wasm-wave's writer writes: ", " between
// elements, ": " after field names, none fields left out of records
// ({:} when none is left), some(...) and ok(...) always spelled out,
// floats as Rust prints them (shortest round-trip digits, no exponent),
// and characters escaped as Rust's char::escape_debug does.
//
// ParseCall reads a call expression as `wasmtime run --invoke` takes it,
// e.g. add(1, 2) or wasi:cli/run.run@0.2.0(), and Call.Args types its
// arguments against a function type; FormatResult prints a result as
// Wasmtime does. Errors are one line with the column (and the line, for
// text of more than one) and, for a call, the argument: for example
// "wave: column 8: argument 2 (b: u8): 300 is out of range for u8".
//
// This was checked against wasm-wave 0.263 (the release of wasm-tools
// 1.263) by feeding both the same ~400,000 generated, mutated and fuzzed
// call expressions: they accept and reject the same texts and format what
// they accept identically, with these exceptions. ParseCall allows whitespace
// before the function name and lets a call leave out every argument when
// all the parameters are options (f() for f(a: option<u8>)), as the WAVE
// README's appendix allows and wasm-wave does not. Fixed-size lists
// (list<T, N>), which wasm-wave does not support, are written as lists of
// exactly N elements and held as canonical.List. Which characters Format
// escapes follows Go's Unicode tables (Unicode 15.0), so a character
// assigned in a later Unicode version is written as \u{...} where
// wasm-wave, built with a newer Rust, writes it as itself; both read back
// the same.
package wave

import (
	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component"
)

// Parse reads the WAVE text s as a value of type t. Whitespace and
// comments around the value are allowed; anything else after it is an
// error. Errors are *Error, one line with the column.
func Parse(s string, t *component.ValueType) (canonical.Value, error) {
	n, p, err := parseNode(s)
	if err != nil {
		return nil, err
	}
	v, err := p.typed(n, t)
	if err != nil {
		return nil, located(err, s)
	}
	return v, nil
}

// Format writes v, a value of type t in its canonical.Value form, as WAVE
// text, exactly as wasm-wave (and so Wasmtime) writes it. It fails for a
// value that does not have the form t needs, and for types without a WAVE
// form.
func Format(v canonical.Value, t *component.ValueType) (string, error) {
	var w writer
	if err := w.value(v, t); err != nil {
		return "", err
	}
	return w.b.String(), nil
}

// FormatResult writes a function's result as Wasmtime's `run --invoke`
// prints it (wasm-wave's DisplayFuncResults): the value itself, or "()"
// for a function without a result (t nil).
func FormatResult(v canonical.Value, t *component.ValueType) (string, error) {
	if t == nil {
		return "()", nil
	}
	return Format(v, t)
}
