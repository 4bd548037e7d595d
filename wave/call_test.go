package wave_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component"
	"github.com/wasmhive/wasmhive/wave"
)

func fn(params ...any) *component.FuncType {
	ft := &component.FuncType{}
	for i := 0; i < len(params); i += 2 {
		ft.Params = append(ft.Params, component.Param{Name: params[i].(string), Type: params[i+1].(*component.ValueType)})
	}
	return ft
}

func TestParseCall(t *testing.T) {
	cases := []struct {
		in                    string
		pkg, iface, name, ver string
		instance, str         string
		raw                   []string
		ft                    *component.FuncType
		want                  []canonical.Value
	}{
		{in: "add(1, 2)", name: "add", str: "add", raw: []string{"1", "2"},
			ft: fn("a", tU32, "b", tU32), want: []canonical.Value{uint32(1), uint32(2)}},
		{in: `greet("x")`, name: "greet", str: "greet", raw: []string{`"x"`},
			ft: fn("name", tString), want: []canonical.Value{"x"}},
		{in: "f()", name: "f", str: "f", ft: fn(), want: []canonical.Value{}},
		{in: "  f ( ) // nothing\n", name: "f", str: "f", ft: fn(), want: []canonical.Value{}},
		{in: "sum( [1, 2,] , // the list\n (true, 'x'), )", name: "sum", str: "sum", raw: []string{"[1, 2,]", "(true, 'x')"},
			ft:   fn("xs", list(tU8), "p", tuple(tBool, tChar)),
			want: []canonical.Value{[]byte{1, 2}, canonical.Tuple{true, canonical.Char('x')}}},
		{in: "f32(1.5)", name: "f32", str: "f32", raw: []string{"1.5"}, ft: fn("val", tF32), want: []canonical.Value{float32(1.5)}},
		{in: "true()", name: "true", str: "true", ft: fn(), want: []canonical.Value{}},
		{in: "get-HTTP3-thing()", name: "get-HTTP3-thing", str: "get-HTTP3-thing", ft: fn(), want: []canonical.Value{}},
		// qualified names, as wasm-wave's tests/ui/accept-funcs has them
		{in: `ui.string("")`, iface: "ui", name: "string", instance: "ui", str: "ui.string", raw: []string{`""`},
			ft: fn("val", tString), want: []canonical.Value{""}},
		{in: "ui:tests/ui.nullary()", pkg: "ui:tests", iface: "ui", name: "nullary", instance: "ui:tests/ui", str: "ui:tests/ui.nullary",
			ft: fn(), want: []canonical.Value{}},
		{in: `ui:tests/ui.string@0.1.0("")`, pkg: "ui:tests", iface: "ui", name: "string", ver: "0.1.0",
			instance: "ui:tests/ui@0.1.0", str: "ui:tests/ui.string@0.1.0", raw: []string{`""`}, ft: fn("val", tString), want: []canonical.Value{""}},
		{in: "wasi:cli/run.run@0.2.0-rc.1+b2()", pkg: "wasi:cli", iface: "run", name: "run", ver: "0.2.0-rc.1+b2",
			instance: "wasi:cli/run@0.2.0-rc.1+b2", str: "wasi:cli/run.run@0.2.0-rc.1+b2", ft: fn(), want: []canonical.Value{}},
		{in: "[static]counter.make(3)", name: "[static]counter.make", str: "[static]counter.make", raw: []string{"3"},
			ft: fn("n", tU32), want: []canonical.Value{uint32(3)}},
		{in: "api.[constructor]counter()", iface: "api", name: "[constructor]counter", instance: "api", str: "api.[constructor]counter",
			ft: fn(), want: []canonical.Value{}},
		// trailing option arguments may be left out (the README's appendix)
		{in: "f(some(1))", name: "f", str: "f", raw: []string{"some(1)"},
			ft:   fn("a", option(tU8), "b", option(tU8), "c", option(tU8)),
			want: []canonical.Value{canonical.Some(uint8(1)), canonical.None, canonical.None}},
		{in: "f(1, none)", name: "f", str: "f", raw: []string{"1", "none"},
			ft:   fn("a", option(tU8), "b", option(tU8), "c", option(tU8)),
			want: []canonical.Value{canonical.Some(uint8(1)), canonical.None, canonical.None}},
		{in: "f()", name: "f", str: "f",
			ft:   fn("a", option(tU8)),
			want: []canonical.Value{canonical.None}},
	}
	for _, c := range cases {
		call, err := wave.ParseCall(c.in)
		if err != nil {
			t.Errorf("ParseCall(%q): %v", c.in, err)
			continue
		}
		if call.Package != c.pkg || call.Interface != c.iface || call.Name != c.name || call.Version != c.ver {
			t.Errorf("ParseCall(%q) = package %q interface %q name %q version %q, want %q %q %q %q",
				c.in, call.Package, call.Interface, call.Name, call.Version, c.pkg, c.iface, c.name, c.ver)
		}
		if call.Instance() != c.instance || call.String() != c.str {
			t.Errorf("ParseCall(%q): Instance() %q String() %q, want %q %q", c.in, call.Instance(), call.String(), c.instance, c.str)
		}
		if len(call.RawArgs) != len(c.raw) || (len(c.raw) > 0 && !reflect.DeepEqual(call.RawArgs, c.raw)) {
			t.Errorf("ParseCall(%q).RawArgs = %q, want %q", c.in, call.RawArgs, c.raw)
		}
		got, err := call.Args(c.ft)
		if err != nil {
			t.Errorf("ParseCall(%q).Args(%s): %v", c.in, c.ft, err)
			continue
		}
		if !equalSlices(got, c.want) {
			t.Errorf("ParseCall(%q).Args(%s) = %#v, want %#v", c.in, c.ft, got, c.want)
		}
	}
}

func TestParseCallErrors(t *testing.T) {
	cases := []struct {
		in  string
		ft  *component.FuncType // nil: ParseCall itself fails
		err string
	}{
		{"", nil, "wave: column 1: expected a function name, found end of input"},
		{"add", nil, "wave: column 4: expected '(' after the function name, found end of input"},
		{"add 1", nil, "wave: column 5: expected '(' after the function name, found number \"1\""},
		{"add(1, 2", nil, "wave: column 9: expected ',' or ')', found end of input"},
		{"add(1 2)", nil, "wave: column 7: expected ',' or ')', found number \"2\""},
		{"add(1,,2)", nil, "wave: column 7: expected a value or ')' after ','"},
		{"add(1) x", nil, "wave: column 8: unexpected label \"x\" after the call"},
		{"1add()", nil, "wave: column 1: expected a kebab-case name"},
		{"%f32(1)", nil, "wave: column 1: expected a kebab-case name"},
		{"add-()", nil, "wave: column 4: unexpected character '-'"},
		{"a:b(1)", nil, "wave: column 4: expected '/' and an interface after package a:b"},
		{"a:b/c()", nil, "wave: column 6: expected '.' and a function name after interface a:b/c"},
		{"c.f@1.0()", nil, "wave: column 4: a version needs a package"},
		{"a:b/c.f@x()", nil, "wave: column 9: expected a version like 0.2.0 after '@'"},
		{"[bogus]x()", nil, "wave: column 1: unknown function name annotation [bogus]"},
		{"[method]x()", nil, "wave: column 10: expected '.' and a function name after [method]x"},
		{"[method x()", nil, "unterminated '['"},
		{`f("\q")`, nil, "wave: column 4: invalid escape in string"},
		// typing the arguments, from wasm-wave's tests/ui/reject-funcs
		{"string()", fn("val", tString), "wave: column 8: argument 1 (val: string): missing (only trailing option arguments may be left out)"},
		{`nullary("")`, fn(), "wave: column 9: too many arguments: nullary takes 0, found 1"},
		{"add(1, 300)", fn("a", tU8, "b", tU8), "wave: column 8: argument 2 (b: u8): 300 is out of range for u8"},
		{"add(1)", fn("a", tU8, "b", tU8), "wave: column 6: argument 2 (b: u8): missing"},
		{"f(1)", fn("a", option(tU8), "b", tU8), "argument 2 (b: u8): missing"},
		{"f(\n  {x: 1},\n  {x: \"a\"}\n)", fn("p", record("x", tU8), "q", record("x", tU8)), "wave: line 3, column 7: argument 2 (q: record { x: u8 }): expected a u8, found a string"},
		{"f(1)", fn("h", &component.ValueType{Kind: component.Own, Resource: &component.ResourceType{Name: "blob"}}), "wave: column 3: argument 1 (h: blob): resource handles (blob) have no WAVE form"},
	}
	for _, c := range cases {
		call, err := wave.ParseCall(c.in)
		if c.ft != nil && err == nil {
			_, err = call.Args(c.ft)
		}
		if err == nil {
			t.Errorf("ParseCall(%q): no error, want %q", c.in, c.err)
			continue
		}
		var we *wave.Error
		if !errors.As(err, &we) {
			t.Errorf("ParseCall(%q): error %T is not a *wave.Error", c.in, err)
		}
		if !strings.Contains(err.Error(), c.err) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseCall(%q): error %q, want %q", c.in, err, c.err)
		}
	}
}

func TestZeroCall(t *testing.T) {
	var c wave.Call
	if v, err := c.Args(fn()); err != nil || len(v) != 0 {
		t.Errorf("zero Call.Args(func()) = %v, %v", v, err)
	}
	if _, err := c.Args(fn("a", tU8)); err == nil || !strings.Contains(err.Error(), "argument 1 (a: u8): missing") {
		t.Errorf("zero Call.Args(func(a: u8)): %v", err)
	}
}

// TestWasmWaveUI replays the accepting cases of wasm-wave's tests/ui
// (the .waves inputs against tests/ui/ui.wit) and compares with what
// wasm-wave printed for them (the .out files): each argument is typed and
// formatted as "name: value".
func TestWasmWaveUI(t *testing.T) {
	funcs := map[string]*component.FuncType{
		"nullary":                fn(),
		"f32":                    fn("val", tF32),
		"list-f32":               fn("vals", list(tF32)),
		"f64":                    fn("val", tF64),
		"list-f64":               fn("vals", list(tF64)),
		"char":                   fn("val", tChar),
		"list-chars":             fn("vals", list(tChar)),
		"string":                 fn("val", tString),
		"list-strings":           fn("vals", list(tString)),
		"option-u8":              fn("opt", option(tU8)),
		"result-ok-u8":           fn("res", result(tU8, nil)),
		"result-err-u8":          fn("res", result(nil, tU8)),
		"result-both-u8":         fn("res", result(tU8, tU8)),
		"result-no-payloads":     fn("res", result(nil, nil)),
		"basic-record":           fn("rec", tRecBasic),
		"optional-fields-record": fn("rec", tRecAllOpt),
		"keyword-fields-record":  fn("rec", tKwFields),
		"hand-enum":              fn("enm", tHand),
		"keyword-cases-enum":     fn("enm", tKwCases),
		"permission-flags":       fn("flgs", tPerms),
	}
	cases := []struct{ in, out string }{
		// accept-floats
		{"list-f32([0, 0.0, 0e0, 0.0e0, 0e-1, 0e+1, 0.000e100])", "list-f32(vals: [0, 0, 0, 0, 0, 0, 0])"},
		{"list-f32([-3.1415, -100000, -0.0e-0])", "list-f32(vals: [-3.1415, -100000, -0])"},
		{"list-f32([nan, inf, -inf])", "list-f32(vals: [nan, inf, -inf])"},
		{"f32(3.4028234664e38)", "f32(val: 340282350000000000000000000000000000000)"},
		{"f32(3.4028234664123e38)", "f32(val: 340282350000000000000000000000000000000)"},
		{"f32(3.4028234664e39)", "f32(val: inf)"},
		{"f32(1.4012984643e-45)", "f32(val: 0.000000000000000000000000000000000000000000001)"},
		{"f32(1.4012984643e-46)", "f32(val: 0)"},
		// accept-chars
		{"list-chars(['W', 'A', 'V', 'E', '🌊'])", "list-chars(vals: ['W', 'A', 'V', 'E', '🌊'])"},
		{`list-chars(['\\', '\'', '\"', '\t', '\n', '\r'])`, `list-chars(vals: ['\\', '\'', '\"', '\t', '\n', '\r'])`},
		{`list-chars(['\u{0}', '\u{000000}'])`, `list-chars(vals: ['\u{0}', '\u{0}'])`},
		{`list-chars(['x', '\u{78}', '\u{000078}'])`, `list-chars(vals: ['x', 'x', 'x'])`},
		{`list-chars(['☃', '\u{2603}', '\u{002603}'])`, `list-chars(vals: ['☃', '☃', '☃'])`},
		{`list-chars(['"', '\"', '\u{22}'])`, `list-chars(vals: ['\"', '\"', '\"'])`},
		// accept-strings
		{`string("")`, `string(val: "")`},
		{`string("WAVE🌊")`, `string(val: "WAVE🌊")`},
		{`string("\\\'\"\t\n\r")`, `string(val: "\\\'\"\t\n\r")`},
		{`string("'\'\u{27}")`, `string(val: "\'\'\'")`},
		{`string("☃\u{2603}\u{002603}")`, `string(val: "☃☃☃")`},
		{"string(\"\"\"\n\"\"\")", `string(val: "")`},
		{"string(\"\"\"\nBreak up double quote sequences: \"\"\\\"\"\nOther escapes work: \\\\\\'\\\"\\t\\n\\r\\u{2603}\n\"\"\")",
			`string(val: "Break up double quote sequences: \"\"\"\"\nOther escapes work: \\\'\"\t\n\r☃")`},
		{"string(\"\"\"\n    Trailing indent\n  determines dedent\n      behavior.\n  \"\"\")", `string(val: "  Trailing indent\ndetermines dedent\n    behavior.")`},
		{"string(\"\"\"\n\nEmpty leading and trailing lines are retained\n\n\"\"\")", `string(val: "\nEmpty leading and trailing lines are retained\n")`},
		// accept-records
		{"basic-record({ required: 1 })", "basic-record(rec: {required: 1})"},
		{"basic-record({ required: 1, optional: none, })", "basic-record(rec: {required: 1})"},
		{"basic-record({ optional: some(2), required: 1, })", "basic-record(rec: {required: 1, optional: some(2)})"},
		{"optional-fields-record({ : })", "optional-fields-record(rec: {:})"},
		{"optional-fields-record({b:some(2),a:some(1)})", "optional-fields-record(rec: {a: some(1), b: some(2)})"},
		{"keyword-fields-record({true: true, false: false, some: some(1), none: none, ok: ok, err: err, inf: inf, nan: nan})",
			"keyword-fields-record(rec: {true: true, false: false, some: some(1), ok: ok, err: err, inf: inf, nan: nan})"},
		// accept-enums
		{"hand-enum(%left)", "hand-enum(enm: left)"},
		{"keyword-cases-enum(%some)", "keyword-cases-enum(enm: %some)"},
		{"keyword-cases-enum(%inf)", "keyword-cases-enum(enm: %inf)"},
		// accept-flags
		{"permission-flags({})", "permission-flags(flgs: {})"},
		{"permission-flags({ write, read })", "permission-flags(flgs: {read, write})"},
		// accept-comments
		{"basic-record(       // comment\n  {                 // comment\n    required: 1,    // comment\n    optional: some( // comment\n      1             // comment\n    ),              // comment\n  }                 // comment\n)                   // comment",
			"basic-record(rec: {required: 1, optional: some(1)})"},
		// accept-nullary, accept-funcs
		{"nullary()", "nullary()"},
		{"ui.string(\"\")", `ui.string(val: "")`},
		{"ui:tests/ui.nullary()", "ui:tests/ui.nullary()"},
		{"ui:tests/ui.string@0.1.0(\"\")", `ui:tests/ui.string@0.1.0(val: "")`},
		// results and options (README)
		{"option-u8(7)", "option-u8(opt: some(7))"},
		{"result-ok-u8(7)", "result-ok-u8(res: ok(7))"},
		{"result-err-u8(err(7))", "result-err-u8(res: err(7))"},
		{"result-no-payloads(ok)", "result-no-payloads(res: ok)"},
	}
	for _, c := range cases {
		call, err := wave.ParseCall(c.in)
		if err != nil {
			t.Errorf("ParseCall(%q): %v", c.in, err)
			continue
		}
		ft := funcs[call.Name]
		if ft == nil {
			t.Fatalf("no test function %q", call.Name)
		}
		vals, err := call.Args(ft)
		if err != nil {
			t.Errorf("ParseCall(%q).Args: %v", c.in, err)
			continue
		}
		var b strings.Builder
		b.WriteString(call.String() + "(")
		for i, v := range vals {
			s, err := wave.Format(v, ft.Params[i].Type)
			if err != nil {
				t.Fatalf("Format: %v", err)
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(ft.Params[i].Name + ": " + s)
		}
		b.WriteString(")")
		if b.String() != c.out {
			t.Errorf("%q printed as %q, wasm-wave printed %q", c.in, b.String(), c.out)
		}
	}
}
