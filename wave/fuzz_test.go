package wave_test

import (
	"testing"

	"github.com/wasmhive/wasmhive/component"
	"github.com/wasmhive/wasmhive/wave"
)

// fuzzTypes are the types FuzzParse reads its text as (by index).
var fuzzTypes = []*component.ValueType{
	tU8,
	tS64,
	tF32,
	tF64,
	tChar,
	tString,
	list(tU8),
	list(option(tString)),
	tRecBasic,
	tResponse,
	tKwCases,
	tPerms,
	result(tU8, tString),
	tuple(tBool, tNestedOpts),
	record("id", tU64, "tags", list(tString), "kind", tKwVariant, "score", option(tF64), "flags", tPerms, "pair", tuple(tChar, result(nil, nil))),
}

// FuzzParse checks that Parse never panics, and that what it reads
// formats, reads back as the same value and formats the same again. It
// also feeds the text to ParseCall as a call's arguments.
func FuzzParse(f *testing.F) {
	for i, c := range parseCases {
		for j, t := range fuzzTypes {
			if t == c.t {
				f.Add(uint8(j), c.in)
			}
		}
		f.Add(uint8(i), c.in)
	}
	for i, c := range rejectCases {
		f.Add(uint8(i), c.in)
	}
	f.Fuzz(func(t *testing.T, which uint8, s string) {
		typ := fuzzTypes[int(which)%len(fuzzTypes)]
		if call, err := wave.ParseCall("f(" + s + ")"); err == nil {
			call.Args(&component.FuncType{Params: []component.Param{{Name: "x", Type: typ}}})
		}
		v, err := wave.Parse(s, typ)
		if err != nil {
			if _, ok := err.(*wave.Error); !ok {
				t.Fatalf("Parse(%q, %s): error %T is not a *wave.Error", s, typ, err)
			}
			return
		}
		out, err := wave.Format(v, typ)
		if err != nil {
			t.Fatalf("Parse(%q, %s) = %#v, which Format rejects: %v", s, typ, v, err)
		}
		back, err := wave.Parse(out, typ)
		if err != nil {
			t.Fatalf("Parse(%q, %s) formats as %q, which does not parse: %v", s, typ, out, err)
		}
		if !equal(back, v) {
			t.Fatalf("Parse(%q, %s) = %#v, formats as %q, which parses as %#v", s, typ, v, out, back)
		}
		again, err := wave.Format(back, typ)
		if err != nil || again != out {
			t.Fatalf("Format(Parse(%q)) = %q, %v, want %q", out, again, err, out)
		}
	})
}
