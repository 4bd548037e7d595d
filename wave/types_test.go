package wave_test

import "github.com/wasmhive/wasmhive/component"

// Type constructors for the tests.

func prim(k component.Kind) *component.ValueType { return component.Prim(k) }

func list(t *component.ValueType) *component.ValueType {
	return &component.ValueType{Kind: component.List, Elem: t}
}

func fixed(t *component.ValueType, n uint32) *component.ValueType {
	return &component.ValueType{Kind: component.FixedList, Elem: t, Len: n}
}

func option(t *component.ValueType) *component.ValueType {
	return &component.ValueType{Kind: component.Option, Elem: t}
}

func result(ok, err *component.ValueType) *component.ValueType {
	return &component.ValueType{Kind: component.Result, OK: ok, Err: err}
}

func tuple(ts ...*component.ValueType) *component.ValueType {
	return &component.ValueType{Kind: component.Tuple, Types: ts}
}

// record takes name, type pairs.
func record(kv ...any) *component.ValueType {
	t := &component.ValueType{Kind: component.Record}
	for i := 0; i < len(kv); i += 2 {
		t.Fields = append(t.Fields, component.Field{Name: kv[i].(string), Type: kv[i+1].(*component.ValueType)})
	}
	return t
}

// variant takes name, payload type (nil for none) pairs.
func variant(kv ...any) *component.ValueType {
	t := &component.ValueType{Kind: component.Variant}
	for i := 0; i < len(kv); i += 2 {
		c := component.Case{Name: kv[i].(string)}
		if kv[i+1] != nil {
			c.Type = kv[i+1].(*component.ValueType)
		}
		t.Cases = append(t.Cases, c)
	}
	return t
}

func enum(labels ...string) *component.ValueType {
	return &component.ValueType{Kind: component.Enum, Labels: labels}
}

func flags(labels ...string) *component.ValueType {
	return &component.ValueType{Kind: component.Flags, Labels: labels}
}

var (
	tBool   = prim(component.Bool)
	tS8     = prim(component.S8)
	tU8     = prim(component.U8)
	tS16    = prim(component.S16)
	tU16    = prim(component.U16)
	tS32    = prim(component.S32)
	tU32    = prim(component.U32)
	tS64    = prim(component.S64)
	tU64    = prim(component.U64)
	tF32    = prim(component.F32)
	tF64    = prim(component.F64)
	tChar   = prim(component.Char)
	tString = prim(component.String)
)
