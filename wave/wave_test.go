package wave_test

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component"
	"github.com/wasmhive/wasmhive/wave"
)

// equal compares values, with NaN equal to NaN.
func equal(a, b canonical.Value) bool {
	switch x := a.(type) {
	case float32:
		y, ok := b.(float32)
		return ok && (x == y && math.Signbit(float64(x)) == math.Signbit(float64(y)) || x != x && y != y)
	case float64:
		y, ok := b.(float64)
		return ok && (x == y && math.Signbit(x) == math.Signbit(y) || x != x && y != y)
	case canonical.List:
		y, ok := b.(canonical.List)
		return ok && equalSlices(x, y)
	case canonical.Tuple:
		y, ok := b.(canonical.Tuple)
		return ok && equalSlices(x, y)
	case canonical.Record:
		y, ok := b.(canonical.Record)
		return ok && equalSlices(x, y)
	case canonical.Option:
		y, ok := b.(canonical.Option)
		return ok && x.Some == y.Some && equal(x.Value, y.Value)
	case canonical.Result:
		y, ok := b.(canonical.Result)
		return ok && x.Err == y.Err && equal(x.Value, y.Value)
	case canonical.Variant:
		y, ok := b.(canonical.Variant)
		return ok && x.Case == y.Case && equal(x.Value, y.Value)
	}
	return reflect.DeepEqual(a, b)
}

func equalSlices(a, b []canonical.Value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// parseCase is a text, its type, the value it reads as and how Format
// writes that value back (wasm-wave's writer; "" for the text itself).
type parseCase struct {
	t    *component.ValueType
	in   string
	want canonical.Value
	out  string
}

var (
	tRecBasic   = record("required", tU8, "optional", option(tU8))
	tRecAllOpt  = record("a", option(tU8), "b", option(tU8))
	tPerms      = flags("read", "write")
	tHand       = enum("left", "right")
	tKwCases    = enum("true", "false", "some", "none", "ok", "err", "inf", "nan")
	tResponse   = variant("empty", nil, "body", list(tU8), "err", tString)
	tKwVariant  = variant("true", tU8, "false", nil, "inf", tU8, "nan", nil, "some", tU8, "none", nil, "ok", tU8, "err", nil)
	tKwFields   = record("true", tBool, "false", tBool, "some", option(tU8), "none", option(tU8), "ok", result(nil, nil), "err", result(nil, nil), "inf", tF32, "nan", tF32)
	tNestedOpts = option(option(tU8))
)

var parseCases = []parseCase{
	// bools
	{tBool, "true", true, ""},
	{tBool, "false", false, ""},
	{tBool, " \t\n true // yes\n", true, "true"},
	// integers, at their limits
	{tS8, "-128", int8(-128), ""},
	{tS8, "127", int8(127), ""},
	{tU8, "255", uint8(255), ""},
	{tU8, "0", uint8(0), ""},
	{tS16, "-32768", int16(-32768), ""},
	{tU16, "65535", uint16(65535), ""},
	{tS32, "-2147483648", int32(math.MinInt32), ""},
	{tU32, "4294967295", uint32(math.MaxUint32), ""},
	{tS64, "-9223372036854775808", int64(math.MinInt64), ""},
	{tS64, "-0", int64(0), "0"},
	{tU64, "18446744073709551615", uint64(math.MaxUint64), ""},
	// floats: Rust's Display forms (shortest digits, no exponent)
	{tF64, "3.14", 3.14, ""},
	{tF64, "6.022e+23", 6.022e23, "602200000000000000000000"},
	{tF64, "1e-7", 1e-7, "0.0000001"},
	{tF64, "-0.0", math.Copysign(0, -1), "-0"},
	{tF64, "0e0", 0.0, "0"},
	{tF64, "1", 1.0, ""},
	{tF64, "nan", math.NaN(), ""},
	{tF64, "inf", math.Inf(1), ""},
	{tF64, "-inf", math.Inf(-1), ""},
	{tF64, "1e400", math.Inf(1), "inf"},
	{tF64, "-1e400", math.Inf(-1), "-inf"},
	{tF32, "3.1415", float32(3.1415), ""},
	{tF32, "-100000", float32(-100000), ""},
	{tF32, "0.1", float32(0.1), ""},
	{tF32, "16777217", float32(16777216), "16777216"},
	// from wasm-wave's tests/ui/accept-floats
	{tF32, "3.4028234664e38", float32(math.MaxFloat32), "340282350000000000000000000000000000000"},
	{tF32, "3.4028234664123e38", float32(math.MaxFloat32), "340282350000000000000000000000000000000"},
	{tF32, "3.4028234664e39", float32(math.Inf(1)), "inf"},
	{tF32, "1.4012984643e-45", float32(math.SmallestNonzeroFloat32), "0.000000000000000000000000000000000000000000001"},
	{tF32, "1.4012984643e-46", float32(0), "0"},
	{tF32, "0.000e100", float32(0), "0"},
	{tF64, "5e-324", math.SmallestNonzeroFloat64, "0." + strings.Repeat("0", 323) + "5"},
	// chars
	{tChar, "'x'", canonical.Char('x'), ""},
	{tChar, "'☃'", canonical.Char('☃'), ""},
	{tChar, "'🌊'", canonical.Char('🌊'), ""},
	{tChar, `'\''`, canonical.Char('\''), ""},
	{tChar, `'"'`, canonical.Char('"'), `'\"'`},
	{tChar, `'\"'`, canonical.Char('"'), ""},
	{tChar, `'\\'`, canonical.Char('\\'), ""},
	{tChar, `'\t'`, canonical.Char('\t'), ""},
	{tChar, `'\n'`, canonical.Char('\n'), ""},
	{tChar, `'\r'`, canonical.Char('\r'), ""},
	{tChar, `'\u{0}'`, canonical.Char(0), ""},
	{tChar, `'\u{000000}'`, canonical.Char(0), `'\u{0}'`},
	{tChar, `'\u{78}'`, canonical.Char('x'), "'x'"},
	{tChar, `'\u{2603}'`, canonical.Char('☃'), "'☃'"},
	{tChar, `'\u{10FFFF}'`, canonical.Char(0x10FFFF), `'\u{10ffff}'`},
	{tChar, `'\u{7f}'`, canonical.Char(0x7f), ""},
	{tChar, `'\u{301}'`, canonical.Char(0x301), ""},   // combining acute: grapheme extend
	{tChar, `'\u{fe0e}'`, canonical.Char(0xFE0E), ""}, // variation selector
	{tChar, `'\u{200b}'`, canonical.Char(0x200B), ""}, // zero width space: Cf
	{tChar, `'\u{a0}'`, canonical.Char(0xA0), ""},     // no-break space: Zs
	{tChar, `'\u{e000}'`, canonical.Char(0xE000), ""}, // private use
	{tChar, "'\t'", canonical.Char('\t'), `'\t'`},     // a literal tab is allowed
	{tChar, "'é'", canonical.Char('é'), ""},
	// strings
	{tString, `""`, "", ""},
	{tString, `"WAVE🌊"`, "WAVE🌊", ""},
	{tString, `"\\\'\"\t\n\r"`, "\\'\"\t\n\r", ""},
	{tString, `"'\'\u{27}"`, "'''", `"\'\'\'"`},
	{tString, `"☃\u{2603}\u{002603}"`, "☃☃☃", `"☃☃☃"`},
	{tString, `"abc\t123"`, "abc\t123", ""},
	{tString, "\"e\u0301\"", "e\u0301", `"e\u{301}"`},
	{tString, "\"a\x00b\x1b\"", "a\x00b\x1b", `"a\u{0}b\u{1b}"`},
	// multiline strings, from the README and tests/ui/accept-strings
	{tString, "\"\"\"\n\"\"\"", "", `""`},
	{tString, "\"\"\"\nA single line\n\"\"\"", "A single line", `"A single line"`},
	{tString, "\"\"\"\n    Indentation determined\n      by ending delimiter\n  \"\"\"", "  Indentation determined\n    by ending delimiter", `"  Indentation determined\n    by ending delimiter"`},
	{tString, "\"\"\"\n  Must escape carriage return at end of line: \\r\n  Must break up double quote triplets: \"\"\\\"\"\n  \"\"\"",
		"Must escape carriage return at end of line: \r\nMust break up double quote triplets: \"\"\"\"",
		`"Must escape carriage return at end of line: \r\nMust break up double quote triplets: \"\"\"\""`},
	{tString, "\"\"\"\nBreak up double quote sequences: \"\"\\\"\"\nOther escapes work: \\\\\\'\\\"\\t\\n\\r\\u{2603}\n\"\"\"",
		"Break up double quote sequences: \"\"\"\"\nOther escapes work: \\'\"\t\n\r☃",
		`"Break up double quote sequences: \"\"\"\"\nOther escapes work: \\\'\"\t\n\r☃"`},
	{tString, "\"\"\"\n    Trailing indent\n  determines dedent\n      behavior.\n  \"\"\"", "  Trailing indent\ndetermines dedent\n    behavior.", `"  Trailing indent\ndetermines dedent\n    behavior."`},
	{tString, "\"\"\"\n\nEmpty leading and trailing lines are retained\n\n\"\"\"", "\nEmpty leading and trailing lines are retained\n", `"\nEmpty leading and trailing lines are retained\n"`},
	{tString, "\"\"\"\r\nCRLF line\r\nbreaks\r\n\"\"\"", "CRLF line\nbreaks", `"CRLF line\nbreaks"`},
	{tString, "\"\"\"\n  \"\"\"", "", `""`},
	// lists; list<u8> is []byte
	{list(tChar), "[]", canonical.List{}, ""},
	{list(tChar), "['a', 'b', 'c']", canonical.List{canonical.Char('a'), canonical.Char('b'), canonical.Char('c')}, ""},
	{list(tU32), "[1,2,3,]", canonical.List{uint32(1), uint32(2), uint32(3)}, "[1, 2, 3]"},
	{list(tU8), "[79, 75]", []byte("OK"), ""},
	{list(tU8), "[]", []byte{}, ""},
	{list(list(tString)), `[[], ["a"], ["b", "c"]]`, canonical.List{canonical.List{}, canonical.List{"a"}, canonical.List{"b", "c"}}, ""},
	{list(tF32), "[nan, inf, -inf]", canonical.List{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}, ""},
	{fixed(tU8, 2), "[1, 2]", canonical.List{uint8(1), uint8(2)}, ""},
	// tuples
	{tuple(tString, tU8), `("abc", 123)`, canonical.Tuple{"abc", uint8(123)}, ""},
	{tuple(tU8), "(1,)", canonical.Tuple{uint8(1)}, "(1)"},
	{tuple(tBool, tuple(tS8, tS8)), "(true, (-1, 1))", canonical.Tuple{true, canonical.Tuple{int8(-1), int8(1)}}, ""},
	// records, from the README and tests/ui/accept-records
	{tRecBasic, "{ required: 1 }", canonical.Record{uint8(1), canonical.None}, "{required: 1}"},
	{tRecBasic, "{ required: 1, optional: none }", canonical.Record{uint8(1), canonical.None}, "{required: 1}"},
	{tRecBasic, "{ required: 1, optional: none, }", canonical.Record{uint8(1), canonical.None}, "{required: 1}"},
	{tRecBasic, "{ optional: none, required: 1 }", canonical.Record{uint8(1), canonical.None}, "{required: 1}"},
	{tRecBasic, "{ required: 1, optional: some(2) }", canonical.Record{uint8(1), canonical.Some(uint8(2))}, "{required: 1, optional: some(2)}"},
	{tRecBasic, "{ optional: some(2), required: 1, }", canonical.Record{uint8(1), canonical.Some(uint8(2))}, "{required: 1, optional: some(2)}"},
	{tRecBasic, "{required: 1, optional: 2}", canonical.Record{uint8(1), canonical.Some(uint8(2))}, "{required: 1, optional: some(2)}"},
	{tRecBasic, "{%required: 1}", canonical.Record{uint8(1), canonical.None}, "{required: 1}"},
	{tRecAllOpt, "{:}", canonical.Record{canonical.None, canonical.None}, ""},
	{tRecAllOpt, "{ : }", canonical.Record{canonical.None, canonical.None}, "{:}"},
	{tRecAllOpt, "{a:none,b:none}", canonical.Record{canonical.None, canonical.None}, "{:}"},
	{tRecAllOpt, "{b:none,}", canonical.Record{canonical.None, canonical.None}, "{:}"},
	{tRecAllOpt, "{a:some(1)}", canonical.Record{canonical.Some(uint8(1)), canonical.None}, "{a: some(1)}"},
	{tRecAllOpt, "{b:some(2),a:some(1)}", canonical.Record{canonical.Some(uint8(1)), canonical.Some(uint8(2))}, "{a: some(1), b: some(2)}"},
	{tKwFields, "{true: true, false: false, some: some(1), none: none, ok: ok, err: err, inf: inf, nan: nan}",
		canonical.Record{true, false, canonical.Some(uint8(1)), canonical.None, canonical.OK(nil), canonical.Err(nil), float32(math.Inf(1)), float32(math.NaN())},
		"{true: true, false: false, some: some(1), ok: ok, err: err, inf: inf, nan: nan}"},
	// variants
	{tResponse, "empty", canonical.Variant{Case: 0}, ""},
	{tResponse, "body([79, 75])", canonical.Variant{Case: 1, Value: []byte("OK")}, ""},
	{tResponse, `%err("oops")`, canonical.Variant{Case: 2, Value: "oops"}, ""},
	{tResponse, "%empty", canonical.Variant{Case: 0}, "empty"},
	{tResponse, "body ( [] )", canonical.Variant{Case: 1, Value: []byte{}}, "body([])"},
	{list(tKwVariant), "[%true(1), %false, %inf(1), %nan, %some(1), %none, %ok(1), %err]",
		canonical.List{
			canonical.Variant{Case: 0, Value: uint8(1)}, canonical.Variant{Case: 1},
			canonical.Variant{Case: 2, Value: uint8(1)}, canonical.Variant{Case: 3},
			canonical.Variant{Case: 4, Value: uint8(1)}, canonical.Variant{Case: 5},
			canonical.Variant{Case: 6, Value: uint8(1)}, canonical.Variant{Case: 7},
		}, ""},
	// enums, from tests/ui/accept-enums
	{tHand, "left", canonical.Enum(0), ""},
	{tHand, "%left", canonical.Enum(0), "left"},
	{tHand, "right", canonical.Enum(1), ""},
	{tKwCases, "%true", canonical.Enum(0), ""},
	{tKwCases, "%none", canonical.Enum(3), ""},
	{tKwCases, "%nan", canonical.Enum(7), ""},
	{enum("not-found", "HTTP3", "method-GET", "color-42-2A-5d"), "color-42-2A-5d", canonical.Enum(3), ""},
	{enum("not-found", "HTTP3", "method-GET"), "HTTP3", canonical.Enum(1), ""},
	// options
	{option(tU8), "some(123)", canonical.Some(uint8(123)), ""},
	{option(tU8), "123", canonical.Some(uint8(123)), "some(123)"},
	{option(tU8), "none", canonical.None, ""},
	{option(tString), `"flat some"`, canonical.Some("flat some"), `some("flat some")`},
	{option(tBool), "true", canonical.Some(true), "some(true)"},
	{tNestedOpts, "some(none)", canonical.Some(canonical.None), ""},
	{tNestedOpts, "some(some(1))", canonical.Some(canonical.Some(uint8(1))), ""},
	{tNestedOpts, "some(1)", canonical.Some(canonical.Some(uint8(1))), "some(some(1))"},
	{option(tHand), "left", canonical.Some(canonical.Enum(0)), "some(left)"},
	// results, from the README
	{result(tU8, nil), "123", canonical.OK(uint8(123)), "ok(123)"},
	{result(tU8, nil), "ok(123)", canonical.OK(uint8(123)), ""},
	{result(tU8, nil), "err", canonical.Err(nil), ""},
	{result(nil, tString), "ok", canonical.OK(nil), ""},
	{result(nil, tString), `err("oops")`, canonical.Err("oops"), ""},
	{result(nil, nil), "ok", canonical.OK(nil), ""},
	{result(nil, nil), "err", canonical.Err(nil), ""},
	{result(tU8, tU8), "err(2)", canonical.Err(uint8(2)), ""},
	{result(tString, tString), `"flat ok"`, canonical.OK("flat ok"), `ok("flat ok")`},
	{result(option(tU8), nil), "ok(none)", canonical.OK(canonical.None), ""},
	// flags, from tests/ui/accept-flags
	{tPerms, "{}", canonical.Flags(0), ""},
	{tPerms, "{ read }", canonical.Flags(1), "{read}"},
	{tPerms, "{ read, }", canonical.Flags(1), "{read}"},
	{tPerms, "{ write }", canonical.Flags(2), "{write}"},
	{tPerms, "{ write, read }", canonical.Flags(3), "{read, write}"},
	{tPerms, "{ %read, %write, }", canonical.Flags(3), "{read, write}"},
	{flags("true", "false", "inf", "nan", "some", "none", "ok", "err"), "{true, false, inf, nan, some, none, ok, err}", canonical.Flags(0xff), ""},
	// comments, from tests/ui/accept-comments
	{tRecBasic, "       // comment\n  {                 // comment\n    required: 1,    // comment\n    optional: some( // comment\n      1             // comment\n    ),              // comment\n  }                 // comment\n", canonical.Record{uint8(1), canonical.Some(uint8(1))}, "{required: 1, optional: some(1)}"},
	{tRecBasic, "\n  // comment\n  {\n    // comment\n    required: 1,\n    // comment\n    optional: some(1)\n    // comment\n  }\n  // comment\n", canonical.Record{uint8(1), canonical.Some(uint8(1))}, "{required: 1, optional: some(1)}"},
}

func TestParse(t *testing.T) {
	for _, c := range parseCases {
		got, err := wave.Parse(c.in, c.t)
		if err != nil {
			t.Errorf("Parse(%q, %s): %v", c.in, c.t, err)
			continue
		}
		if !equal(got, c.want) {
			t.Errorf("Parse(%q, %s) = %#v, want %#v", c.in, c.t, got, c.want)
		}
		out := c.out
		if out == "" {
			out = c.in
		}
		s, err := wave.Format(got, c.t)
		if err != nil {
			t.Errorf("Format(%#v, %s): %v", got, c.t, err)
			continue
		}
		if s != out {
			t.Errorf("Format(Parse(%q)) = %q, want %q", c.in, s, out)
		}
		// Round trip: what Format writes reads back as the same value.
		back, err := wave.Parse(s, c.t)
		if err != nil {
			t.Errorf("Parse(Format(Parse(%q))) = Parse(%q): %v", c.in, s, err)
			continue
		}
		if !equal(back, got) {
			t.Errorf("Parse(%q) = %#v, want %#v", s, back, got)
		}
	}
}

// rejectCase is a text that does not read as a value of its type, the
// column the error points at and a part of its message.
type rejectCase struct {
	t   *component.ValueType
	in  string
	col int
	msg string
}

var rejectCases = []rejectCase{
	// syntax
	{tU8, "", 1, "expected a value, found end of input"},
	{tU8, "   ", 4, "expected a value, found end of input"},
	{tU8, "1 2", 3, `unexpected number "2" after the value`},
	{tU8, "01", 2, "after the value"},
	{tU8, "+1", 1, "unexpected character '+'"},
	{tU8, "0x10", 2, "after the value"},
	{list(tU8), "[1, 2", 6, "expected ',' or ']', found end of input"},
	{list(tU8), "[1 2]", 4, "expected ',' or ']', found number \"2\""},
	{list(tU8), "[1,,]", 4, "expected a value or ']' after ','"},
	{list(tString), `[,"\u{0}"]`, 2, "expected a value or ']'"},
	{list(tString), "[,]", 2, "expected a value or ']'"},
	{list(tString), "[)", 2, "expected a value, found ')'"},
	{list(tString), "(]", 2, "expected a value, found ']'"},
	{list(tString), "[}", 2, "found '}'"},
	{list(tString), "{]", 2, "expected a label, ':' or '}', found ']'"},
	{tuple(tU8), "()", 1, "empty tuple"},
	{tU8, "/ comment", 1, "unexpected character '/'"},
	{tRecBasic, "{ required: 0,, }", 15, "expected a field name or '}'"},
	{tRecBasic, "{ , required: 0, }", 3, "expected a label, ':' or '}', found ','"},
	{tRecBasic, "{ required: 0 optional: none }", 15, "expected ',' or '}'"},
	{tPerms, "{ read write }", 8, "expected ',' or '}'"},
	{tRecBasic, "{ required: 0, required: 0 }", 16, `duplicate field "required"`},
	{tRecBasic, "{ required: 0, optional: none, optional: some(0) }", 32, `duplicate field "optional"`},
	{tPerms, "{ read, read }", 9, `duplicate flag "read"`},
	{tPerms, "{ read, write, %read }", 16, `duplicate flag "read"`},
	{tU8, strings.Repeat("[", 101) + strings.Repeat("]", 101), 101, "nested more than 100 deep"},
	{tU8, strings.Repeat("some(", 101) + "0" + strings.Repeat(")", 101), 501, "nested more than 100 deep"},
	{tU8, strings.Repeat("{a:", 101) + "0" + strings.Repeat("}", 101), 298, "nested more than 100 deep"},
	// comments, from tests/ui/reject-comments
	{tRecBasic, "// { required: 1 }", 19, "found end of input"},
	{tRecBasic, "{ required: 1 } // )", 0, ""}, // fine as a value on its own
	{tRecBasic, "// {\n  required: 1,\n}", 11, "unexpected ':' after the value"},
	{tRecBasic, "{\n  // required: 1,\n  optional: none,\n}", 1, `missing field "required"`},
	// bools and numbers
	{tBool, "True", 2, `unexpected label "rue" after the value`},
	{tBool, "TRUE", 1, "expected true or false, found TRUE"},
	{tBool, "1", 1, "expected true or false, found 1"},
	{tU8, "256", 1, "256 is out of range for u8"},
	{tU8, "-1", 1, "-1 is out of range for u8"},
	{tU8, "-0", 1, "-0 is out of range for u8"},
	{tS8, "128", 1, "128 is out of range for s8"},
	{tS64, "9223372036854775808", 1, "out of range for s64"},
	{tU64, "18446744073709551616", 1, "out of range for u64"},
	{tU32, "1.0", 1, "1.0 is not an integer (u32)"},
	{tU32, "1e3", 1, "1e3 is not an integer (u32)"},
	{tS32, "inf", 1, "inf is not an integer (s32)"},
	{tS32, "nan", 1, "nan is not an integer"},
	{tU8, `"1"`, 1, "expected a u8, found a string"},
	// floats, from tests/ui/reject-floats
	{tF32, "-nan", 1, "unexpected character '-'"},
	{tF32, "NaN", 2, "after the value"},
	{tF32, "infinity", 1, "expected a f32, found infinity"},
	{tF64, "-infinity", 5, "after the value"},
	{tF32, "INFINITY", 1, "found INFINITY"},
	{tF32, "Infinity", 2, "after the value"},
	{tF32, "Inf", 2, "after the value"},
	{tF32, "INF", 1, "found INF"},
	{tF64, "1.", 2, "unexpected character '.'"},
	{tF64, ".5", 1, "unexpected character '.'"},
	// chars, from tests/ui/reject-chars
	{tChar, "''", 1, "empty char"},
	{tChar, "'ab'", 1, "more than one character in char"},
	{tChar, "'☃☃'", 1, "more than one character in char"},
	{tChar, `'\n\n'`, 1, "more than one character"},
	{tChar, `'\z'`, 1, "invalid escape in char"},
	{tChar, `'\x1f'`, 1, "invalid escape"},
	{tChar, `'\u1f'`, 1, "invalid escape"},
	{tChar, `'\u{1f'`, 1, "invalid escape"},
	{tChar, `'\u1f}'`, 1, "invalid escape"},
	{tChar, `'\u{}'`, 1, "invalid escape"},
	{tChar, `'\u{x}'`, 1, "invalid escape"},
	{tChar, `'\u{12345678}'`, 1, "invalid escape"},
	{tChar, `'\u{110000}'`, 2, `\u{110000} is not a Unicode scalar value`},
	{tChar, `'\u{D800}'`, 2, "not a Unicode scalar value"},
	{tChar, `'\u{DFFF}'`, 2, "not a Unicode scalar value"},
	{tChar, "'", 1, "unterminated char"},
	{tChar, "x'", 2, "unterminated char"},
	{tChar, "'x", 1, "unterminated char"},
	{tChar, `'\'`, 1, "unterminated char"},
	{tChar, "'''", 1, "empty char"},
	{tChar, "'\n'", 1, "unterminated char"},
	{tChar, `"x"`, 1, "expected a char like 'x', found a string"},
	// strings, from tests/ui/reject-strings
	{tString, `"\u{d800}"`, 2, "not a Unicode scalar value"},
	{tString, `"\u{dfff}"`, 2, "not a Unicode scalar value"},
	{tString, `"ok \u{110000}"`, 5, "not a Unicode scalar value"},
	{tString, `"\u{ffffffff}"`, 2, "invalid escape in string"},
	{tString, `"\u{-1}"`, 2, "invalid escape in string"},
	{tString, `"\u{+1}"`, 2, "invalid escape in string"},
	{tString, `"""`, 1, "unterminated multiline string"},
	{tString, `"\"`, 1, "unterminated string"},
	{tString, "\"\n\"", 2, "line break in string"},
	{tString, `""""""`, 1, `the opening """ of a multiline string must end its line`},
	{tString, `""" """`, 1, "must end its line"},
	{tString, "\"\"\"\"\n\"\"\"", 1, "must end its line"},
	{tString, "\"\"\"\n\"\"", 1, "unterminated multiline string"},
	{tString, "\"\"\"\n\"\"\"\"", 4, "unterminated string"},
	{tString, "\"\"\"extra\n\"\"\"", 1, "must end its line"},
	{tString, "\"\"\"\nextra\"\"\"", 6, `the closing """ of a multiline string must be on a line of its own`},
	{tString, "\"\"\"\n  \"\"\"\n  \"\"\"", 3, "unterminated multiline string"},
	{tString, "\"\"\"\n  Between \"\"\" words\n  \"\"\"", 15, `unexpected label "words" after the value`},
	{tString, "\"\"\"\nInvalid surrogate: \\u{d800}\n\"\"\"", 20, "not a Unicode scalar value"},
	{tString, "\"\"\"\nInvalid escape: \\j\n\"\"\"", 17, "invalid escape in string"},
	{tString, "\"\"\"\n  indented\n less\n  \"\"\"", 1, "line 2 of the multiline string is indented less"},
	{tString, "\"a\xffb\"", 3, "invalid UTF-8"},
	{tString, "\xff", 1, "invalid UTF-8"},
	// lists and tuples
	{list(tU8), "[1, 256]", 5, "256 is out of range for u8"},
	{list(tU8), "(1, 2)", 1, "expected a list [...] for list<u8>, found a tuple"},
	{fixed(tU8, 3), "[1, 2]", 1, "expected 3 elements for list<u8, 3>, found 2"},
	{tuple(tU8, tU8), "(1)", 1, "expected 2 values for tuple<u8, u8>, found 1"},
	{tuple(tU8, tU8), "(1, 2, 3)", 1, "expected 2 values"},
	{tuple(tString, list(tU8)), `("x", [], false)`, 1, "expected 2 values"},
	// records, from tests/ui/reject-records
	{tRecBasic, "{ optional: none }", 1, `missing field "required" of record { required: u8, optional: option<u8> }`},
	{tRecBasic, "{ optional: some(0) }", 1, `missing field "required"`},
	{tRecAllOpt, "{}", 1, "expected record, found {} (an empty record is written {:})"},
	{tRecBasic, "{required: 1, extra: false}", 15, `unknown field "extra"`},
	{tRecBasic, "{read}", 1, "expected a record {...}"},
	{tRecBasic, "{required: 1.5}", 12, "1.5 is not an integer (u8)"},
	// variants and enums, from tests/ui/reject-enums and the parser tests
	{tKwCases, "true", 1, `case "true" of enum { true, false, some, none, ok, err, inf, nan } must be written %true`},
	{tKwCases, "false", 1, "must be written %false"},
	{tKwCases, "some", 5, "expected '(' after some, found end of input"},
	{tKwCases, "none", 1, "must be written %none"},
	{tKwCases, "ok", 1, "must be written %ok"},
	{tKwCases, "err", 1, "must be written %err"},
	{tKwCases, "inf", 1, "expected a case of enum"},
	{tKwCases, "nan", 1, "expected a case of enum"},
	{variant("some", tU8), "some(1)", 1, `case "some" of variant { some(u8) } must be written %some`},
	{tHand, "up", 1, `unknown case "up" of enum { left, right }`},
	{tHand, "left(1)", 1, "expected a case of enum { left, right }, found left(...)"},
	{tResponse, "body", 1, `case "body" needs a payload: body(<list<u8>>)`},
	{tResponse, "empty(1)", 7, `case "empty" has no payload`},
	{tResponse, "gone", 1, `unknown case "gone"`},
	{tResponse, "err(\"x\")", 1, `case "err" of variant`},
	// options, from tests/ui/reject-options
	{option(tU8), "some", 5, "expected '(' after some, found end of input"},
	{option(tU8), "some()", 6, "expected a value, found ')'"},
	{option(tU8), "some(some)", 10, "expected '(' after some, found ')'"},
	{option(tU8), "some(some())", 11, "expected a value, found ')'"},
	{option(tU8), "some(some(0))", 6, "expected a u8, found a some(...)"},
	{option(tU8), "some(some(some(0)))", 6, "expected a u8"},
	{option(tU8), "none()", 5, "unexpected '(' after the value"},
	{option(tU8), "some(none())", 10, "expected ')', found '('"},
	{option(tU8), "none(0)", 5, "unexpected '('"},
	{option(tU8), "some(none(0))", 10, "expected ')', found '('"},
	{option(tU8), "none(some(0))", 5, "unexpected '('"},
	{tNestedOpts, "1", 1, "expected some(...) or none for option<option<u8>>, found 1"},
	{option(tU8), "ok(1)", 1, "expected a u8, found ok"},
	{option(result(tU8, nil)), "ok(1)", 1, "expected some(...) or none for option<result<u8>>, found ok"},
	{option(result(tU8, nil)), "1", 1, "expected some(...) or none for option<result<u8>>, found 1"},
	// results, from tests/ui/reject-results
	{result(tU8, nil), "ok", 1, `case "ok" needs a payload: ok(<u8>)`},
	{result(tU8, nil), "ok()", 4, "expected a value, found ')'"},
	{result(tU8, nil), "o(0)", 1, "expected a u8, found o(...)"},
	{result(tU8, nil), "err(0)", 5, `case "err" has no payload`},
	{result(nil, tU8), "err", 1, `case "err" needs a payload`},
	{result(nil, tU8), "e(0)", 1, "expected ok or err for result<_, u8>, found e(...)"},
	{result(nil, tU8), "ok(0)", 4, `case "ok" has no payload`},
	{result(nil, nil), "ok(0)", 4, `case "ok" has no payload`},
	{result(nil, nil), "err(0)", 5, `case "err" has no payload`},
	{result(tU8, tU8), "ok", 1, `case "ok" needs a payload`},
	{result(tU8, tU8), "err", 1, `case "err" needs a payload`},
	{result(tU8, tU8), "err()", 5, "expected a value"},
	{result(option(tU8), nil), "none", 1, "expected ok or err for result<option<u8>>, found none"},
	// flags, from tests/ui/reject-flags
	{tPerms, "{ read, write, execute }", 16, `unknown flag "execute" of flags { read, write }`},
	{tPerms, "{:}", 1, "expected flags {...} for flags { read, write }, found a record"},
	{tPerms, "read", 1, "expected flags"},
	// no WAVE form
	{&component.ValueType{Kind: component.Own, Resource: &component.ResourceType{Name: "blob"}}, "1", 1, "resource handles (blob) have no WAVE form"},
	{&component.ValueType{Kind: component.Borrow, Resource: &component.ResourceType{Name: "blob"}}, "1", 1, "resource handles (borrow<blob>) have no WAVE form"},
	{list(&component.ValueType{Kind: component.Own}), "[1]", 2, "resource handles (resource) have no WAVE form"},
	{&component.ValueType{Kind: component.Stream, Elem: tU8}, "[]", 1, "stream values have no WAVE form"},
	{&component.ValueType{Kind: component.Future}, "1", 1, "future values have no WAVE form"},
	{prim(component.ErrorContext), "1", 1, "error-context values have no WAVE form"},
}

func TestReject(t *testing.T) {
	for _, c := range rejectCases {
		v, err := wave.Parse(c.in, c.t)
		if c.msg == "" {
			if err != nil {
				t.Errorf("Parse(%q, %s): %v", c.in, c.t, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("Parse(%q, %s) = %#v, want an error", c.in, c.t, v)
			continue
		}
		var we *wave.Error
		if !errors.As(err, &we) {
			t.Errorf("Parse(%q, %s): error %T is not a *wave.Error", c.in, c.t, err)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "wave: ") || strings.ContainsAny(msg, "\n\r") {
			t.Errorf("Parse(%q): error %q is not one line starting with \"wave: \"", c.in, msg)
		}
		if !strings.Contains(msg, c.msg) {
			t.Errorf("Parse(%q, %s): error %q, want it to contain %q", c.in, c.t, msg, c.msg)
		}
		if we.Column != c.col {
			t.Errorf("Parse(%q, %s): error %q at column %d, want %d", c.in, c.t, msg, we.Column, c.col)
		}
	}
}

func TestErrorText(t *testing.T) {
	_, err := wave.Parse("[1, 2:", list(tU8))
	if got, want := err.Error(), "wave: column 6: expected ',' or ']', found ':'"; got != want {
		t.Errorf("error %q, want %q", got, want)
	}
	_, err = wave.Parse("[\n  1,\n  300,\n]", list(tU8))
	if got, want := err.Error(), "wave: line 3, column 3: 300 is out of range for u8"; got != want {
		t.Errorf("error %q, want %q", got, want)
	}
	// Columns count characters, not bytes.
	_, err = wave.Parse(`["☃☃", 1]`, list(tString))
	if got, want := err.Error(), "wave: column 8: expected a string like \"x\", found 1"; got != want {
		t.Errorf("error %q, want %q", got, want)
	}
}

var pointOne, pointTwo = 0.1, 0.2

var pointThree = pointOne + pointTwo

func TestFormat(t *testing.T) {
	cases := []struct {
		v    canonical.Value
		t    *component.ValueType
		want string
	}{
		{float32(1e10), tF32, "10000000000"},
		// Ties between two shortest forms go away from zero, as in Rust
		// (Go's strconv takes the even digit).
		{float32(-2929786.25), tF32, "-2929786.3"},
		{float32(1796.53125), tF32, "1796.5313"},
		{float32(1532798.25), tF32, "1532798.3"},
		{1369209190220067.25, tF64, "1369209190220067.3"},
		{-1201289850826803.25, tF64, "-1201289850826803.3"},
		{float32(0.5), tF32, "0.5"},
		{float32(16777215), tF32, "16777215"},
		{float32(1.1), tF32, "1.1"},
		{float32(16777216), tF32, "16777216"},
		{math.MaxFloat64, tF64, "17976931348623157" + strings.Repeat("0", 292)},
		{pointThree, tF64, "0.30000000000000004"},
		{123456789.125, tF64, "123456789.125"},
		{float32(math.Copysign(0, -1)), tF32, "-0"},
		{"\u2028 \u00ad \u0378 \U000E0001 \U000F0000 \u3000", tString, `"\u{2028} \u{ad} \u{378} \u{e0001} \u{f0000} \u{3000}"`},
		{"日本語 Ελληνικά עברית", tString, `"日本語 Ελληνικά עברית"`},
		{"\u0085\u009f", tString, `"\u{85}\u{9f}"`},
		{canonical.Char(0x1F30A), tChar, "'🌊'"},
		{[]byte{1, 2}, list(tU8), "[1, 2]"},
		{canonical.List{uint8(1), uint8(2)}, list(tU8), "[1, 2]"},
		{[]byte{1, 2}, fixed(tU8, 2), "[1, 2]"},
		{canonical.Record{canonical.None, canonical.Some(uint8(2))}, tRecAllOpt, "{b: some(2)}"},
		{canonical.Variant{Case: 2, Value: "x"}, tResponse, `%err("x")`},
		{canonical.Enum(5), tKwCases, "%err"},
		{canonical.Flags(2), tPerms, "{write}"},
		{canonical.Some(canonical.None), tNestedOpts, "some(none)"},
		{canonical.OK(canonical.Some(uint8(1))), result(option(tU8), nil), "ok(some(1))"},
	}
	for _, c := range cases {
		got, err := wave.Format(c.v, c.t)
		if err != nil {
			t.Errorf("Format(%#v, %s): %v", c.v, c.t, err)
			continue
		}
		if got != c.want {
			t.Errorf("Format(%#v, %s) = %q, want %q", c.v, c.t, got, c.want)
		}
		back, err := wave.Parse(got, c.t)
		if err != nil {
			t.Errorf("Parse(%q, %s): %v", got, c.t, err)
			continue
		}
		again, err := wave.Format(back, c.t)
		if err != nil || again != got {
			t.Errorf("Format(Parse(%q)) = %q, %v", got, again, err)
		}
	}
}

func TestFormatRejects(t *testing.T) {
	own := &component.ValueType{Kind: component.Own}
	cases := []struct {
		v    canonical.Value
		t    *component.ValueType
		want string
	}{
		{int32(1), tU32, "wave: value int32(1) is not a u32"},
		{uint8(1), tU16, "is not a u16"},
		{1, tS64, "is not a s64"},
		{nil, tString, "wave: value nil is not a string"},
		{canonical.Char(0xD800), tChar, "is not a char"},
		{canonical.Char(-1), tChar, "is not a char"},
		{canonical.Enum(2), tHand, "is not a enum { left, right }"},
		{canonical.Variant{Case: 9}, tResponse, "is not a variant"},
		{canonical.Variant{Case: 0, Value: uint8(1)}, tResponse, "is not a variant"},
		{canonical.Result{Value: uint8(1)}, result(nil, nil), "is not a result"},
		{canonical.Flags(4), tPerms, "is not a flags"},
		{canonical.Record{uint8(1)}, tRecBasic, "is not a record"},
		{canonical.Tuple{uint8(1)}, tuple(tU8, tU8), "is not a tuple"},
		{[]byte{1}, list(tU16), "is not a list<u16>"},
		{canonical.List{uint8(1)}, list(tU16), "value uint8(1) is not a u16"},
		{canonical.List{uint8(1)}, fixed(tU8, 2), "1 elements for list<u8, 2>"},
		{canonical.Own{Rep: 1}, own, "wave: resource handles (resource) have no WAVE form"},
		{canonical.List{canonical.Own{}}, list(own), "have no WAVE form"},
		{"x", nil, "no type"},
	}
	for _, c := range cases {
		s, err := wave.Format(c.v, c.t)
		if err == nil {
			t.Errorf("Format(%#v, %s) = %q, want an error", c.v, c.t, s)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Format(%#v, %s): error %q, want it to contain %q", c.v, c.t, err, c.want)
		}
	}
}

func TestFormatResult(t *testing.T) {
	if s, err := wave.FormatResult(nil, nil); err != nil || s != "()" {
		t.Errorf("FormatResult(no result) = %q, %v, want ()", s, err)
	}
	if s, err := wave.FormatResult(canonical.OK("hi"), result(tString, tString)); err != nil || s != `ok("hi")` {
		t.Errorf("FormatResult = %q, %v", s, err)
	}
}
