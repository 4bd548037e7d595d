package canonical

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/wasmhive/wasmhive/component"
)

// ToValue converts the Go value x to the dynamic form (see Value) of
// component type t, and FromValue converts back into the value dst points
// to. Both follow the natural mapping of WIT types to Go types:
//
//	bool                   bool
//	s8 ... u64             any Go integer type (range checked both ways)
//	f32 f64                float32, float64
//	char                   rune (int32) or Char; must be a Unicode scalar value
//	string                 string
//	list<u8>               []byte (or [N]byte); also any list form below
//	list<T>, list<T, N>    a slice or array of a Go form of T (an array must have N elements for list<T, N>)
//	record                 a struct: each WIT field matches the exported Go field tagged
//	                       `wit:"name"`, else the one whose name in kebab-case is the field's
//	                       (MaxSize: max-size); every WIT field and every exported Go field not
//	                       tagged `wit:"-"` must be matched
//	tuple                  a struct whose exported fields are the tuple's values in order, or a
//	                       slice or array of as many elements (e.g. []any)
//	option<T>              *T (nil: none), or OptionOf[T]
//	result<T, E>           ResultOf[T, E] (struct{} for a side without payload)
//	enum                   a string (the label) or any integer type (the label's index)
//	flags                  any integer type (bit i: label i), []string (the labels set) or
//	                       map[string]bool (label: set)
//	variant                a struct with a field per case (matched as for a record), each a
//	                       pointer to a Go form of the case's payload (any pointer, *struct{}
//	                       say, for a case without), exactly one of them non-nil; or Variant,
//	                       with its payload in any Go form of the case's type
//	own<R>, borrow<R>      Own, Borrow
//
// Anywhere, a value already in its dynamic form (a Record, List, Option,
// Enum, ...) is accepted: ToValue checks it and converts its parts (which
// may be in any Go form), and FromValue stores it into a destination of
// its own type or of an interface type such as any. A pointer where no
// option is expected stands for the value it points to (nil is an error;
// FromValue allocates). ToValue of nil is none for an option type.
//
// Errors are *Error values with a one-line message naming the part of the
// value, the WIT type and the Go type, e.g. "to value list<string>:
// element 2: want string, got int". The conversion plan of each
// pair of Go type and component type is computed once and cached (up to a
// bound: component types are distinct per compiled component).
func ToValue(x any, t *component.ValueType) (Value, error) {
	if t == nil {
		return nil, &Error{Op: "to value", Msg: "no component type"}
	}
	if x == nil {
		return nilTo(t)
	}
	p := toPlanFor(reflect.TypeOf(x), t)
	if p.err != nil {
		return nil, &Error{Op: "to value", Type: typeName(t), Msg: p.err.Error()}
	}
	v, err := p.fn(reflect.ValueOf(x))
	if err != nil {
		return nil, &Error{Op: "to value", Type: typeName(t), Msg: err.Error()}
	}
	return v, nil
}

// FromValue stores v, a value of component type t in its dynamic form (as
// lifting produces it), into the Go value dst points to, by the mapping
// ToValue describes.
func FromValue(v Value, t *component.ValueType, dst any) error {
	if t == nil {
		return &Error{Op: "from value", Msg: "no component type"}
	}
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return &Error{Op: "from value", Type: typeName(t), Msg: fmt.Sprintf("destination %s is not a non-nil pointer", goName(rv.Type()))}
	}
	p := fromPlanFor(rv.Type().Elem(), t)
	if p.err != nil {
		return &Error{Op: "from value", Type: typeName(t), Msg: p.err.Error()}
	}
	if err := p.fn(v, rv.Elem()); err != nil {
		return &Error{Op: "from value", Type: typeName(t), Msg: err.Error()}
	}
	return nil
}

// OptionOf is a Go form of option<T>: Some is false for none; Value is
// the payload of some.
type OptionOf[T any] struct {
	Some  bool
	Value T
}

func (OptionOf[T]) typedOption() {}

// SomeOf returns the option some(v).
func SomeOf[T any](v T) OptionOf[T] { return OptionOf[T]{Some: true, Value: v} }

// ResultOf is a Go form of result<T, E>: IsErr says which side it is, OK
// or Err holds that side's payload. A side without payload has type
// struct{}.
type ResultOf[T, E any] struct {
	IsErr bool
	OK    T
	Err   E
}

func (ResultOf[T, E]) typedResult() {}

// OKOf returns the result ok(v).
func OKOf[T, E any](v T) ResultOf[T, E] { return ResultOf[T, E]{OK: v} }

// ErrOf returns the result err(e).
func ErrOf[T, E any](e E) ResultOf[T, E] { return ResultOf[T, E]{IsErr: true, Err: e} }

type typedOption interface{ typedOption() }
type typedResult interface{ typedResult() }

type (
	toFunc   func(rv reflect.Value) (Value, error)
	fromFunc func(v Value, dst reflect.Value) error
)

type planKey struct {
	rt reflect.Type
	vt *component.ValueType
}

type toPlan struct {
	fn  toFunc
	err error
}

type fromPlan struct {
	fn  fromFunc
	err error
}

// maxPlans bounds each plan cache: component types are per compiled
// component, so a host that compiles many components would otherwise grow
// the caches without end. A full cache is emptied and refilled.
const maxPlans = 1 << 14

type planCache struct {
	m sync.Map
	n atomic.Int64
}

func (c *planCache) load(k planKey) (any, bool) { return c.m.Load(k) }

func (c *planCache) store(k planKey, p any) {
	if c.n.Add(1) > maxPlans {
		c.m.Clear()
		c.n.Store(1)
	}
	c.m.Store(k, p)
}

var toPlans, fromPlans planCache

func toPlanFor(rt reflect.Type, vt *component.ValueType) *toPlan {
	k := planKey{rt, vt}
	if p, ok := toPlans.load(k); ok {
		return p.(*toPlan)
	}
	fn, err := planTo(rt, vt)
	p := &toPlan{fn: fn, err: err}
	toPlans.store(k, p)
	return p
}

func fromPlanFor(rt reflect.Type, vt *component.ValueType) *fromPlan {
	k := planKey{rt, vt}
	if p, ok := fromPlans.load(k); ok {
		return p.(*fromPlan)
	}
	fn, err := planFrom(rt, vt)
	p := &fromPlan{fn: fn, err: err}
	fromPlans.store(k, p)
	return p
}

var (
	typeOption  = reflect.TypeFor[Option]()
	typeResult  = reflect.TypeFor[Result]()
	typeVariant = reflect.TypeFor[Variant]()
	typeOwn     = reflect.TypeFor[Own]()
	typeBorrow  = reflect.TypeFor[Borrow]()
	typeRecord  = reflect.TypeFor[Record]()
	typeTypedO  = reflect.TypeFor[typedOption]()
	typeTypedR  = reflect.TypeFor[typedResult]()
)

// goName is a Go type's name for error messages.
func goName(rt reflect.Type) string {
	if rt == nil {
		return "nil"
	}
	return rt.String()
}

func mismatch(rt reflect.Type, vt *component.ValueType) error {
	return fmt.Errorf("want %s, got %s", typeName(vt), goName(rt))
}

func noFit(rt reflect.Type, vt *component.ValueType) error {
	return fmt.Errorf("cannot hold %s in %s", typeName(vt), goName(rt))
}

// at prefixes err with the part of the value it concerns.
func at(part string, err error) error { return fmt.Errorf("%s: %w", part, err) }

func nilTo(vt *component.ValueType) (Value, error) {
	if vt.Kind == component.Option {
		return None, nil
	}
	return nil, fmt.Errorf("want %s, got nil", typeName(vt))
}

func isInt(k reflect.Kind) bool {
	return k >= reflect.Int && k <= reflect.Int64
}

func isUint(k reflect.Kind) bool {
	return k >= reflect.Uint && k <= reflect.Uintptr
}

func isInteger(k reflect.Kind) bool { return isInt(k) || isUint(k) }

// intBounds are the bounds of each integer kind.
var intBounds = map[component.Kind]struct {
	lo int64
	hi uint64
}{
	component.S8: {math.MinInt8, math.MaxInt8}, component.U8: {0, math.MaxUint8},
	component.S16: {math.MinInt16, math.MaxInt16}, component.U16: {0, math.MaxUint16},
	component.S32: {math.MinInt32, math.MaxInt32}, component.U32: {0, math.MaxUint32},
	component.S64: {math.MinInt64, math.MaxInt64}, component.U64: {0, math.MaxUint64},
}

// intOf is the dynamic form of integer kind k holding i (in its range).
func intOf(k component.Kind, i int64) Value {
	switch k {
	case component.S8:
		return int8(i)
	case component.U8:
		return uint8(i)
	case component.S16:
		return int16(i)
	case component.U16:
		return uint16(i)
	case component.S32:
		return int32(i)
	case component.U32:
		return uint32(i)
	case component.S64:
		return i
	}
	return uint64(i)
}

// rvInt is the value of a Go integer: as i, or as u with big set when it
// is above MaxInt64.
func rvInt(rv reflect.Value) (i int64, u uint64, big bool) {
	if isInt(rv.Kind()) {
		return rv.Int(), 0, false
	}
	if u := rv.Uint(); u > math.MaxInt64 {
		return 0, u, true
	}
	return int64(rv.Uint()), 0, false
}

// intTo converts a Go integer to integer kind k, checking its range.
func intTo(vt *component.ValueType) toFunc {
	k := vt.Kind
	b := intBounds[k]
	return func(rv reflect.Value) (Value, error) {
		i, u, big := rvInt(rv)
		if big {
			if k != component.U64 {
				return nil, fmt.Errorf("%d is out of range for %s", u, k)
			}
			return u, nil
		}
		if i < b.lo || (i >= 0 && uint64(i) > b.hi) {
			return nil, fmt.Errorf("%d is out of range for %s", i, k)
		}
		return intOf(k, i), nil
	}
}

// integer returns the value of a dynamic integer (any Go integer type):
// as int64 when neg or small, with big set for a uint64 above MaxInt64.
func integer(v Value) (i int64, u uint64, big, ok bool) {
	switch x := v.(type) {
	case int8:
		return int64(x), 0, false, true
	case uint8:
		return int64(x), 0, false, true
	case int16:
		return int64(x), 0, false, true
	case uint16:
		return int64(x), 0, false, true
	case int32:
		return int64(x), 0, false, true
	case uint32:
		return int64(x), 0, false, true
	case int64:
		return x, 0, false, true
	case uint64:
		if x > math.MaxInt64 {
			return 0, x, true, true
		}
		return int64(x), 0, false, true
	case Enum:
		return int64(x), 0, false, true
	case Flags:
		return int64(x), 0, false, true
	case Char:
		return int64(x), 0, false, true
	}
	rv := reflect.ValueOf(v)
	switch {
	case !rv.IsValid():
	case isInt(rv.Kind()):
		return rv.Int(), 0, false, true
	case isUint(rv.Kind()):
		if x := rv.Uint(); x > math.MaxInt64 {
			return 0, x, true, true
		}
		return int64(rv.Uint()), 0, false, true
	}
	return 0, 0, false, false
}

// setInt stores a dynamic integer v into the Go integer dst, checking
// that it fits.
func setInt(v Value, dst reflect.Value, what string) error {
	i, u, big, ok := integer(v)
	if !ok {
		return fmt.Errorf("got %s, want an integer (%s)", goName(reflect.TypeOf(v)), what)
	}
	if isInt(dst.Kind()) {
		if big || dst.OverflowInt(i) {
			return fmt.Errorf("%s %s does not fit in %s", what, intString(i, u, big), goName(dst.Type()))
		}
		dst.SetInt(i)
		return nil
	}
	if !big {
		if i < 0 {
			return fmt.Errorf("%s %d does not fit in %s", what, i, goName(dst.Type()))
		}
		u = uint64(i)
	}
	if dst.OverflowUint(u) {
		return fmt.Errorf("%s %d does not fit in %s", what, u, goName(dst.Type()))
	}
	dst.SetUint(u)
	return nil
}

func intString(i int64, u uint64, big bool) string {
	if big {
		return fmt.Sprint(u)
	}
	return fmt.Sprint(i)
}

// kebab converts a Go field name to a WIT name: MaxSize is max-size,
// HTTPServer is http-server, UTF8Name is utf8-name.
func kebab(s string) string {
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		if unicode.IsUpper(r) && i > 0 {
			prev := rs[i-1]
			next := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && next) {
				b.WriteByte('-')
			}
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// recordFields maps each field of record vt to the index of the Go field
// of struct rt that holds it.
func recordFields(rt reflect.Type, vt *component.ValueType) ([]int, error) {
	names := make([]string, len(vt.Fields))
	for i, f := range vt.Fields {
		names[i] = f.Name
	}
	return matchFields(rt, vt, names, "field")
}

// caseFields maps each case of variant vt to the index of the Go field of
// struct rt that holds it.
func caseFields(rt reflect.Type, vt *component.ValueType) ([]int, error) {
	names := make([]string, len(vt.Cases))
	for i, c := range vt.Cases {
		names[i] = c.Name
	}
	idx, err := matchFields(rt, vt, names, "case")
	if err != nil {
		return nil, err
	}
	for k, i := range idx {
		if f := rt.Field(i); f.Type.Kind() != reflect.Pointer {
			return nil, fmt.Errorf("Go field %s.%s for case %s is a %s, not a pointer", goName(rt), f.Name, names[k], goName(f.Type))
		}
	}
	return idx, nil
}

// matchFields maps each of names (the fields or cases of vt) to the index
// of the exported Go field of struct rt tagged with it or named as it in
// kebab-case; every exported field not tagged "-" must match one.
func matchFields(rt reflect.Type, vt *component.ValueType, names []string, what string) ([]int, error) {
	byName := map[string]int{}
	for i := range rt.NumField() {
		f := rt.Field(i)
		name := kebabOrTag(f)
		if !f.IsExported() || name == "-" {
			continue
		}
		if j, dup := byName[name]; dup {
			return nil, fmt.Errorf("Go fields %s and %s of %s both match WIT %s %s", rt.Field(j).Name, f.Name, goName(rt), what, name)
		}
		byName[name] = i
	}
	idx := make([]int, len(names))
	used := make([]bool, rt.NumField())
	for k, n := range names {
		i, ok := byName[n]
		if !ok {
			return nil, fmt.Errorf("%s has no field for WIT %s %s (name a field %s or tag it `wit:%q`)", goName(rt), what, n, goFieldName(n), n)
		}
		idx[k], used[i] = i, true
	}
	for i := range rt.NumField() {
		f := rt.Field(i)
		if name := kebabOrTag(f); f.IsExported() && name != "-" && !used[i] {
			return nil, fmt.Errorf("Go field %s.%s (as %s) is not a %s of WIT %s (tag it `wit:\"-\"` to leave it out)", goName(rt), f.Name, name, what, typeName(vt))
		}
	}
	return idx, nil
}

// kebabOrTag is the WIT name a Go field matches.
func kebabOrTag(f reflect.StructField) string {
	if tag, ok := f.Tag.Lookup("wit"); ok {
		return tag
	}
	return kebab(f.Name)
}

// goFieldName is the Go field name whose kebab-case is the WIT name n.
func goFieldName(n string) string {
	var b strings.Builder
	for _, w := range strings.Split(n, "-") {
		if w == "" {
			continue
		}
		r, size := utf8.DecodeRuneInString(w)
		b.WriteRune(unicode.ToUpper(r))
		b.WriteString(w[size:])
	}
	return b.String()
}

// tupleFields are the indices of the exported fields of struct rt.
func tupleFields(rt reflect.Type) []int {
	var idx []int
	for i := range rt.NumField() {
		if rt.Field(i).IsExported() {
			idx = append(idx, i)
		}
	}
	return idx
}

// partTypes are the types of the parts of a record or tuple, and their
// names for error messages.
func partTypes(vt *component.ValueType) ([]*component.ValueType, []string) {
	if vt.Kind == component.Record {
		ts := make([]*component.ValueType, len(vt.Fields))
		ns := make([]string, len(vt.Fields))
		for i, f := range vt.Fields {
			ts[i], ns[i] = f.Type, "field "+f.Name
		}
		return ts, ns
	}
	ns := make([]string, len(vt.Types))
	for i := range vt.Types {
		ns[i] = fmt.Sprintf("element %d", i)
	}
	return vt.Types, ns
}

// dynTo converts a value held in an interface (of unknown Go type) to vt.
func dynTo(vt *component.ValueType) toFunc {
	return func(rv reflect.Value) (Value, error) {
		if !rv.IsValid() {
			return nilTo(vt)
		}
		if rv.Kind() == reflect.Interface {
			if rv.IsNil() {
				return nilTo(vt)
			}
			rv = rv.Elem()
		}
		p := toPlanFor(rv.Type(), vt)
		if p.err != nil {
			return nil, p.err
		}
		return p.fn(rv)
	}
}

// anyTo converts an any (the payload of a Variant, Option or Result) to
// vt, or requires it to be nil when vt is nil.
func anyTo(x Value, vt *component.ValueType) (Value, error) {
	if vt == nil {
		if x != nil {
			return nil, fmt.Errorf("got %s for no payload", goName(reflect.TypeOf(x)))
		}
		return nil, nil
	}
	return dynTo(vt)(reflect.ValueOf(x))
}

func planTo(rt reflect.Type, vt *component.ValueType) (toFunc, error) {
	if rt.Kind() == reflect.Interface {
		return dynTo(vt), nil
	}
	if rt.Kind() == reflect.Pointer && vt.Kind != component.Option {
		sub, err := planTo(rt.Elem(), vt)
		if err != nil {
			return nil, err
		}
		return func(rv reflect.Value) (Value, error) {
			if rv.IsNil() {
				return nil, fmt.Errorf("want %s, got nil %s", typeName(vt), goName(rt))
			}
			return sub(rv.Elem())
		}, nil
	}
	k := rt.Kind()
	switch vt.Kind {
	case component.Bool:
		if k == reflect.Bool {
			return func(rv reflect.Value) (Value, error) { return rv.Bool(), nil }, nil
		}
	case component.S8, component.U8, component.S16, component.U16, component.S32, component.U32, component.S64, component.U64:
		if isInteger(k) {
			return intTo(vt), nil
		}
	case component.F32:
		if k == reflect.Float32 || k == reflect.Float64 {
			return func(rv reflect.Value) (Value, error) { return float32(rv.Float()), nil }, nil
		}
	case component.F64:
		if k == reflect.Float32 || k == reflect.Float64 {
			return func(rv reflect.Value) (Value, error) { return rv.Float(), nil }, nil
		}
	case component.Char:
		if k == reflect.Int32 {
			return func(rv reflect.Value) (Value, error) {
				r := rv.Int()
				if r < 0 || r > unicode.MaxRune || (r >= 0xd800 && r <= 0xdfff) {
					return nil, fmt.Errorf("%#x is not a Unicode scalar value", r)
				}
				return Char(r), nil
			}, nil
		}
	case component.String:
		if k == reflect.String {
			return func(rv reflect.Value) (Value, error) { return rv.String(), nil }, nil
		}
	case component.List, component.FixedList:
		return listTo(rt, vt)
	case component.Record, component.Tuple:
		return partsTo(rt, vt)
	case component.Variant:
		if rt == typeVariant {
			return func(rv reflect.Value) (Value, error) {
				x := rv.Interface().(Variant)
				if int(x.Case) >= len(vt.Cases) {
					return nil, fmt.Errorf("case %d of a variant of %d cases", x.Case, len(vt.Cases))
				}
				c := vt.Cases[x.Case]
				p, err := anyTo(x.Value, c.Type)
				if err != nil {
					return nil, at("case "+c.Name, err)
				}
				return Variant{Case: x.Case, Value: p}, nil
			}, nil
		}
		if k == reflect.Struct {
			return variantTo(rt, vt)
		}
	case component.Enum:
		return enumTo(rt, vt)
	case component.Flags:
		return flagsTo(rt, vt)
	case component.Option:
		return optionTo(rt, vt)
	case component.Result:
		return resultTo(rt, vt)
	case component.Own:
		if rt == typeOwn {
			return func(rv reflect.Value) (Value, error) { return rv.Interface(), nil }, nil
		}
	case component.Borrow:
		if rt == typeBorrow {
			return func(rv reflect.Value) (Value, error) { return rv.Interface(), nil }, nil
		}
	default:
		return nil, fmt.Errorf("%s values have no Go form", vt.Kind)
	}
	return nil, mismatch(rt, vt)
}

func listTo(rt reflect.Type, vt *component.ValueType) (toFunc, error) {
	k := rt.Kind()
	if k != reflect.Slice && k != reflect.Array {
		return nil, mismatch(rt, vt)
	}
	fixed := vt.Kind == component.FixedList
	if fixed && k == reflect.Array && rt.Len() != int(vt.Len) {
		return nil, fmt.Errorf("want %s, got %s (%d elements)", typeName(vt), goName(rt), rt.Len())
	}
	checkLen := func(n int) error {
		if fixed && n != int(vt.Len) {
			return fmt.Errorf("want %d elements, got %d", vt.Len, n)
		}
		return nil
	}
	if vt.Elem.Kind == component.U8 && rt.Elem().Kind() == reflect.Uint8 {
		return func(rv reflect.Value) (Value, error) {
			if err := checkLen(rv.Len()); err != nil {
				return nil, err
			}
			if k == reflect.Slice {
				if rv.IsNil() {
					return []byte{}, nil
				}
				return rv.Bytes(), nil
			}
			b := make([]byte, rv.Len())
			reflect.Copy(reflect.ValueOf(b), rv)
			return b, nil
		}, nil
	}
	elem, err := planTo(rt.Elem(), vt.Elem)
	if err != nil {
		return nil, at("element", err)
	}
	return func(rv reflect.Value) (Value, error) {
		n := rv.Len()
		if err := checkLen(n); err != nil {
			return nil, err
		}
		out := make(List, n)
		for i := range n {
			v, err := elem(rv.Index(i))
			if err != nil {
				return nil, at(fmt.Sprintf("element %d", i), err)
			}
			out[i] = v
		}
		if vt.Elem.Kind == component.U8 {
			return bytesOf(out), nil
		}
		return out, nil
	}, nil
}

func partsTo(rt reflect.Type, vt *component.ValueType) (toFunc, error) {
	types, names := partTypes(vt)
	record := vt.Kind == component.Record
	mk := func(vs []Value) Value {
		if record {
			return Record(vs)
		}
		return Tuple(vs)
	}
	switch rt.Kind() {
	case reflect.Struct:
		var idx []int
		if record {
			var err error
			if idx, err = recordFields(rt, vt); err != nil {
				return nil, err
			}
		} else if idx = tupleFields(rt); len(idx) != len(types) {
			return nil, fmt.Errorf("want %s, got %s with %d exported fields", typeName(vt), goName(rt), len(idx))
		}
		subs := make([]toFunc, len(types))
		for i, t := range types {
			sub, err := planTo(rt.Field(idx[i]).Type, t)
			if err != nil {
				return nil, at(names[i], err)
			}
			subs[i] = sub
		}
		return func(rv reflect.Value) (Value, error) {
			out := make([]Value, len(subs))
			for i, sub := range subs {
				v, err := sub(rv.Field(idx[i]))
				if err != nil {
					return nil, at(names[i], err)
				}
				out[i] = v
			}
			return mk(out), nil
		}, nil
	case reflect.Slice, reflect.Array:
		// A Record or Tuple, or any slice (a []any, say) for a tuple.
		if record && rt != typeRecord {
			break
		}
		if rt.Kind() == reflect.Array && rt.Len() != len(types) {
			return nil, fmt.Errorf("want %s, got %s", typeName(vt), goName(rt))
		}
		subs := make([]toFunc, len(types))
		for i, t := range types {
			sub, err := planTo(rt.Elem(), t)
			if err != nil {
				return nil, at(names[i], err)
			}
			subs[i] = sub
		}
		return func(rv reflect.Value) (Value, error) {
			if rv.Len() != len(subs) {
				return nil, fmt.Errorf("want %d values, got %d", len(subs), rv.Len())
			}
			out := make([]Value, len(subs))
			for i, sub := range subs {
				v, err := sub(rv.Index(i))
				if err != nil {
					return nil, at(names[i], err)
				}
				out[i] = v
			}
			return mk(out), nil
		}, nil
	}
	return nil, mismatch(rt, vt)
}

// variantTo converts a struct with a pointer field per case, exactly one
// of them set, to a variant.
func variantTo(rt reflect.Type, vt *component.ValueType) (toFunc, error) {
	idx, err := caseFields(rt, vt)
	if err != nil {
		return nil, err
	}
	subs := make([]toFunc, len(idx))
	for k, c := range vt.Cases {
		if c.Type == nil {
			continue
		}
		if subs[k], err = planTo(rt.Field(idx[k]).Type.Elem(), c.Type); err != nil {
			return nil, at("case "+c.Name, err)
		}
	}
	return func(rv reflect.Value) (Value, error) {
		set := -1
		for k, i := range idx {
			if rv.Field(i).IsNil() {
				continue
			}
			if set >= 0 {
				return nil, fmt.Errorf("%s sets both cases %s and %s", goName(rt), vt.Cases[set].Name, vt.Cases[k].Name)
			}
			set = k
		}
		if set < 0 {
			return nil, fmt.Errorf("%s sets no case", goName(rt))
		}
		if subs[set] == nil {
			return Variant{Case: uint32(set)}, nil
		}
		p, err := subs[set](rv.Field(idx[set]).Elem())
		if err != nil {
			return nil, at("case "+vt.Cases[set].Name, err)
		}
		return Variant{Case: uint32(set), Value: p}, nil
	}, nil
}

func enumTo(rt reflect.Type, vt *component.ValueType) (toFunc, error) {
	n := len(vt.Labels)
	switch {
	case rt.Kind() == reflect.String:
		index := map[string]Enum{}
		for i, l := range vt.Labels {
			index[l] = Enum(i)
		}
		return func(rv reflect.Value) (Value, error) {
			e, ok := index[rv.String()]
			if !ok {
				return nil, fmt.Errorf("%q is not a label of %s", rv.String(), typeName(vt))
			}
			return e, nil
		}, nil
	case isInteger(rt.Kind()):
		return func(rv reflect.Value) (Value, error) {
			i, u, big := rvInt(rv)
			if big || i < 0 || i >= int64(n) {
				return nil, fmt.Errorf("%s is not the index of a label of %s (%d labels)", intString(i, u, big), typeName(vt), n)
			}
			return Enum(i), nil
		}, nil
	}
	return nil, mismatch(rt, vt)
}

func flagsTo(rt reflect.Type, vt *component.ValueType) (toFunc, error) {
	n := len(vt.Labels)
	bit := map[string]Flags{}
	for i, l := range vt.Labels {
		bit[l] = 1 << i
	}
	label := func(s string) (Flags, error) {
		b, ok := bit[s]
		if !ok {
			return 0, fmt.Errorf("%q is not a label of %s", s, typeName(vt))
		}
		return b, nil
	}
	switch {
	case isInteger(rt.Kind()):
		return func(rv reflect.Value) (Value, error) {
			i, u, big := rvInt(rv)
			if big || i < 0 || i >= 1<<n {
				return nil, fmt.Errorf("%s sets bits beyond the %d labels of %s", intString(i, u, big), n, typeName(vt))
			}
			return Flags(i), nil
		}, nil
	case (rt.Kind() == reflect.Slice || rt.Kind() == reflect.Array) && rt.Elem().Kind() == reflect.String:
		return func(rv reflect.Value) (Value, error) {
			var f Flags
			for i := range rv.Len() {
				b, err := label(rv.Index(i).String())
				if err != nil {
					return nil, err
				}
				f |= b
			}
			return f, nil
		}, nil
	case rt.Kind() == reflect.Map && rt.Key().Kind() == reflect.String && rt.Elem().Kind() == reflect.Bool:
		return func(rv reflect.Value) (Value, error) {
			var f Flags
			it := rv.MapRange()
			for it.Next() {
				b, err := label(it.Key().String())
				if err != nil {
					return nil, err
				}
				if it.Value().Bool() {
					f |= b
				}
			}
			return f, nil
		}, nil
	}
	return nil, mismatch(rt, vt)
}

func optionTo(rt reflect.Type, vt *component.ValueType) (toFunc, error) {
	switch {
	case rt == typeOption:
		return func(rv reflect.Value) (Value, error) {
			x := rv.Interface().(Option)
			if !x.Some {
				if x.Value != nil {
					return nil, fmt.Errorf("none with a payload %s", goName(reflect.TypeOf(x.Value)))
				}
				return None, nil
			}
			v, err := anyTo(x.Value, vt.Elem)
			if err != nil {
				return nil, at("some", err)
			}
			return Some(v), nil
		}, nil
	case rt.Kind() == reflect.Pointer:
		sub, err := planTo(rt.Elem(), vt.Elem)
		if err != nil {
			return nil, at("some", err)
		}
		return func(rv reflect.Value) (Value, error) {
			if rv.IsNil() {
				return None, nil
			}
			v, err := sub(rv.Elem())
			if err != nil {
				return nil, at("some", err)
			}
			return Some(v), nil
		}, nil
	case rt.Kind() == reflect.Struct && rt.Implements(typeTypedO):
		sub, err := planTo(rt.Field(1).Type, vt.Elem)
		if err != nil {
			return nil, at("some", err)
		}
		return func(rv reflect.Value) (Value, error) {
			if !rv.Field(0).Bool() {
				return None, nil
			}
			v, err := sub(rv.Field(1))
			if err != nil {
				return nil, at("some", err)
			}
			return Some(v), nil
		}, nil
	}
	return nil, mismatch(rt, vt)
}

func resultTo(rt reflect.Type, vt *component.ValueType) (toFunc, error) {
	switch {
	case rt == typeResult:
		return func(rv reflect.Value) (Value, error) {
			x := rv.Interface().(Result)
			side, t := "ok", vt.OK
			if x.Err {
				side, t = "err", vt.Err
			}
			v, err := anyTo(x.Value, t)
			if err != nil {
				return nil, at(side, err)
			}
			return Result{Err: x.Err, Value: v}, nil
		}, nil
	case rt.Kind() == reflect.Struct && rt.Implements(typeTypedR):
		side := func(i int, t *component.ValueType, name string) (toFunc, error) {
			if t == nil {
				return func(reflect.Value) (Value, error) { return nil, nil }, nil
			}
			sub, err := planTo(rt.Field(i).Type, t)
			if err != nil {
				return nil, at(name, err)
			}
			return sub, nil
		}
		ok, err := side(1, vt.OK, "ok")
		if err != nil {
			return nil, err
		}
		bad, err := side(2, vt.Err, "err")
		if err != nil {
			return nil, err
		}
		return func(rv reflect.Value) (Value, error) {
			if rv.Field(0).Bool() {
				v, err := bad(rv.Field(2))
				if err != nil {
					return nil, at("err", err)
				}
				return Err(v), nil
			}
			v, err := ok(rv.Field(1))
			if err != nil {
				return nil, at("ok", err)
			}
			return OK(v), nil
		}, nil
	}
	return nil, mismatch(rt, vt)
}

// FromValue plans.

// dynFrom stores v into an interface-typed dst as it is.
func dynFrom(rt reflect.Type) fromFunc {
	return func(v Value, dst reflect.Value) error {
		if v == nil {
			dst.SetZero()
			return nil
		}
		x := reflect.ValueOf(v)
		if !x.Type().AssignableTo(rt) {
			return fmt.Errorf("cannot hold %s in %s", goName(x.Type()), goName(rt))
		}
		dst.Set(x)
		return nil
	}
}

// badForm is the error for a dynamic value of the wrong form.
func badForm(v Value, vt *component.ValueType, want string) error {
	return fmt.Errorf("got %s, want %s for %s", goName(reflect.TypeOf(v)), want, typeName(vt))
}

func planFrom(rt reflect.Type, vt *component.ValueType) (fromFunc, error) {
	if rt.Kind() == reflect.Interface {
		return dynFrom(rt), nil
	}
	sub, err := planFromType(rt, vt)
	if err != nil || vt.Kind.Primitive() {
		return sub, err
	}
	// A dynamic value of the destination's own type is stored as it is.
	return func(v Value, dst reflect.Value) error {
		if v != nil && reflect.TypeOf(v) == rt {
			dst.Set(reflect.ValueOf(v))
			return nil
		}
		return sub(v, dst)
	}, nil
}

func planFromType(rt reflect.Type, vt *component.ValueType) (fromFunc, error) {
	if rt.Kind() == reflect.Pointer && vt.Kind != component.Option {
		sub, err := planFrom(rt.Elem(), vt)
		if err != nil {
			return nil, err
		}
		return func(v Value, dst reflect.Value) error {
			p := reflect.New(rt.Elem())
			if err := sub(v, p.Elem()); err != nil {
				return err
			}
			dst.Set(p)
			return nil
		}, nil
	}
	k := rt.Kind()
	switch vt.Kind {
	case component.Bool:
		if k == reflect.Bool {
			return func(v Value, dst reflect.Value) error {
				b, ok := v.(bool)
				if !ok {
					return badForm(v, vt, "bool")
				}
				dst.SetBool(b)
				return nil
			}, nil
		}
	case component.S8, component.U8, component.S16, component.U16, component.S32, component.U32, component.S64, component.U64:
		if isInteger(k) {
			what := vt.Kind.String()
			return func(v Value, dst reflect.Value) error { return setInt(v, dst, what) }, nil
		}
	case component.F32, component.F64:
		if k == reflect.Float32 || k == reflect.Float64 {
			return func(v Value, dst reflect.Value) error {
				switch x := v.(type) {
				case float32:
					dst.SetFloat(float64(x))
				case float64:
					dst.SetFloat(x)
				default:
					return badForm(v, vt, "float32 or float64")
				}
				return nil
			}, nil
		}
	case component.Char:
		if k == reflect.Int32 {
			return func(v Value, dst reflect.Value) error {
				switch x := v.(type) {
				case Char:
					dst.SetInt(int64(x))
				case rune:
					dst.SetInt(int64(x))
				default:
					return badForm(v, vt, "canonical.Char")
				}
				return nil
			}, nil
		}
	case component.String:
		if k == reflect.String {
			return func(v Value, dst reflect.Value) error {
				s, ok := v.(string)
				if !ok {
					return badForm(v, vt, "string")
				}
				dst.SetString(s)
				return nil
			}, nil
		}
	case component.List, component.FixedList:
		return listFrom(rt, vt)
	case component.Record, component.Tuple:
		return partsFrom(rt, vt)
	case component.Variant:
		if rt == typeVariant {
			return func(v Value, dst reflect.Value) error {
				return badForm(v, vt, "canonical.Variant")
			}, nil
		}
		if k == reflect.Struct {
			return variantFrom(rt, vt)
		}
	case component.Enum:
		return enumFrom(rt, vt)
	case component.Flags:
		return flagsFrom(rt, vt)
	case component.Option:
		return optionFrom(rt, vt)
	case component.Result:
		return resultFrom(rt, vt)
	case component.Own:
		if rt == typeOwn {
			return func(v Value, dst reflect.Value) error { return badForm(v, vt, "canonical.Own") }, nil
		}
	case component.Borrow:
		if rt == typeBorrow {
			return func(v Value, dst reflect.Value) error { return badForm(v, vt, "canonical.Borrow") }, nil
		}
	default:
		return nil, fmt.Errorf("%s values have no Go form", vt.Kind)
	}
	return nil, noFit(rt, vt)
}

func listFrom(rt reflect.Type, vt *component.ValueType) (fromFunc, error) {
	k := rt.Kind()
	if k != reflect.Slice && k != reflect.Array {
		return nil, noFit(rt, vt)
	}
	if vt.Kind == component.FixedList && k == reflect.Array && rt.Len() != int(vt.Len) {
		return nil, fmt.Errorf("cannot hold %s in %s (%d elements)", typeName(vt), goName(rt), rt.Len())
	}
	var elem fromFunc
	if !(vt.Elem.Kind == component.U8 && rt.Elem().Kind() == reflect.Uint8) {
		var err error
		if elem, err = planFrom(rt.Elem(), vt.Elem); err != nil {
			return nil, at("element", err)
		}
	}
	return func(v Value, dst reflect.Value) error {
		var n int
		var vs List
		var bs []byte
		switch x := v.(type) {
		case List:
			vs, n = x, len(x)
		case []byte:
			bs, n = x, len(x)
		default:
			return badForm(v, vt, "canonical.List or []byte")
		}
		if k == reflect.Array {
			if n != rt.Len() {
				return fmt.Errorf("cannot hold %d elements in %s", n, goName(rt))
			}
		} else {
			dst.Set(reflect.MakeSlice(rt, n, n))
		}
		if bs != nil && elem == nil {
			reflect.Copy(dst, reflect.ValueOf(bs))
			return nil
		}
		for i := range n {
			var e Value
			if bs != nil {
				e = bs[i]
			} else {
				e = vs[i]
			}
			var err error
			if elem != nil {
				err = elem(e, dst.Index(i))
			} else {
				err = setInt(e, dst.Index(i), "u8")
			}
			if err != nil {
				return at(fmt.Sprintf("element %d", i), err)
			}
		}
		return nil
	}, nil
}

func partsFrom(rt reflect.Type, vt *component.ValueType) (fromFunc, error) {
	types, names := partTypes(vt)
	record := vt.Kind == component.Record
	parts := func(v Value) ([]Value, error) {
		if record {
			if r, ok := v.(Record); ok && len(r) == len(types) {
				return r, nil
			}
			return nil, badForm(v, vt, fmt.Sprintf("canonical.Record of %d fields", len(types)))
		}
		if t, ok := v.(Tuple); ok && len(t) == len(types) {
			return t, nil
		}
		return nil, badForm(v, vt, fmt.Sprintf("canonical.Tuple of %d values", len(types)))
	}
	switch rt.Kind() {
	case reflect.Struct:
		var idx []int
		if record {
			var err error
			if idx, err = recordFields(rt, vt); err != nil {
				return nil, err
			}
		} else if idx = tupleFields(rt); len(idx) != len(types) {
			return nil, fmt.Errorf("cannot hold %s in %s with %d exported fields", typeName(vt), goName(rt), len(idx))
		}
		subs := make([]fromFunc, len(types))
		for i, t := range types {
			sub, err := planFrom(rt.Field(idx[i]).Type, t)
			if err != nil {
				return nil, at(names[i], err)
			}
			subs[i] = sub
		}
		return func(v Value, dst reflect.Value) error {
			ps, err := parts(v)
			if err != nil {
				return err
			}
			for i, sub := range subs {
				if err := sub(ps[i], dst.Field(idx[i])); err != nil {
					return at(names[i], err)
				}
			}
			return nil
		}, nil
	case reflect.Slice, reflect.Array:
		if record && rt != typeRecord {
			break
		}
		if rt.Kind() == reflect.Array && rt.Len() != len(types) {
			return nil, noFit(rt, vt)
		}
		subs := make([]fromFunc, len(types))
		for i, t := range types {
			sub, err := planFrom(rt.Elem(), t)
			if err != nil {
				return nil, at(names[i], err)
			}
			subs[i] = sub
		}
		return func(v Value, dst reflect.Value) error {
			ps, err := parts(v)
			if err != nil {
				return err
			}
			if rt.Kind() == reflect.Slice {
				dst.Set(reflect.MakeSlice(rt, len(ps), len(ps)))
			}
			for i, sub := range subs {
				if err := sub(ps[i], dst.Index(i)); err != nil {
					return at(names[i], err)
				}
			}
			return nil
		}, nil
	}
	return nil, noFit(rt, vt)
}

// variantFrom stores a variant into a struct with a pointer field per
// case: the case's is set, the others nil.
func variantFrom(rt reflect.Type, vt *component.ValueType) (fromFunc, error) {
	idx, err := caseFields(rt, vt)
	if err != nil {
		return nil, err
	}
	subs := make([]fromFunc, len(idx))
	for k, c := range vt.Cases {
		if c.Type == nil {
			continue
		}
		if subs[k], err = planFrom(rt.Field(idx[k]).Type.Elem(), c.Type); err != nil {
			return nil, at("case "+c.Name, err)
		}
	}
	return func(v Value, dst reflect.Value) error {
		x, ok := v.(Variant)
		if !ok {
			return badForm(v, vt, "canonical.Variant")
		}
		if int(x.Case) >= len(idx) {
			return fmt.Errorf("case %d of a variant of %d cases", x.Case, len(idx))
		}
		f := dst.Field(idx[x.Case])
		p := reflect.New(f.Type().Elem())
		if sub := subs[x.Case]; sub != nil {
			if err := sub(x.Value, p.Elem()); err != nil {
				return at("case "+vt.Cases[x.Case].Name, err)
			}
		}
		dst.SetZero()
		f.Set(p)
		return nil
	}, nil
}

func enumFrom(rt reflect.Type, vt *component.ValueType) (fromFunc, error) {
	n := len(vt.Labels)
	get := func(v Value) (int, error) {
		e, ok := v.(Enum)
		if !ok {
			return 0, badForm(v, vt, "canonical.Enum")
		}
		if int64(e) >= int64(n) {
			return 0, fmt.Errorf("enum index %d of %s (%d labels)", e, typeName(vt), n)
		}
		return int(e), nil
	}
	switch {
	case rt.Kind() == reflect.String:
		return func(v Value, dst reflect.Value) error {
			i, err := get(v)
			if err != nil {
				return err
			}
			dst.SetString(vt.Labels[i])
			return nil
		}, nil
	case isInteger(rt.Kind()):
		return func(v Value, dst reflect.Value) error {
			if _, err := get(v); err != nil {
				return err
			}
			return setInt(v, dst, "enum index")
		}, nil
	}
	return nil, noFit(rt, vt)
}

func flagsFrom(rt reflect.Type, vt *component.ValueType) (fromFunc, error) {
	get := func(v Value) (Flags, error) {
		f, ok := v.(Flags)
		if !ok {
			return 0, badForm(v, vt, "canonical.Flags")
		}
		return f, nil
	}
	switch {
	case isInteger(rt.Kind()):
		return func(v Value, dst reflect.Value) error {
			if _, err := get(v); err != nil {
				return err
			}
			return setInt(v, dst, "flags")
		}, nil
	case rt.Kind() == reflect.Slice && rt.Elem().Kind() == reflect.String:
		return func(v Value, dst reflect.Value) error {
			f, err := get(v)
			if err != nil {
				return err
			}
			out := reflect.MakeSlice(rt, 0, 4)
			for i, l := range vt.Labels {
				if f&(1<<i) != 0 {
					out = reflect.Append(out, reflect.ValueOf(l).Convert(rt.Elem()))
				}
			}
			dst.Set(out)
			return nil
		}, nil
	case rt.Kind() == reflect.Map && rt.Key().Kind() == reflect.String && rt.Elem().Kind() == reflect.Bool:
		return func(v Value, dst reflect.Value) error {
			f, err := get(v)
			if err != nil {
				return err
			}
			m := reflect.MakeMap(rt)
			for i, l := range vt.Labels {
				if f&(1<<i) != 0 {
					m.SetMapIndex(reflect.ValueOf(l).Convert(rt.Key()), reflect.ValueOf(true).Convert(rt.Elem()))
				}
			}
			dst.Set(m)
			return nil
		}, nil
	}
	return nil, noFit(rt, vt)
}

func optionFrom(rt reflect.Type, vt *component.ValueType) (fromFunc, error) {
	get := func(v Value) (Option, error) {
		o, ok := v.(Option)
		if !ok {
			return Option{}, badForm(v, vt, "canonical.Option")
		}
		return o, nil
	}
	switch {
	case rt == typeOption:
		return func(v Value, dst reflect.Value) error { return badForm(v, vt, "canonical.Option") }, nil
	case rt.Kind() == reflect.Pointer:
		sub, err := planFrom(rt.Elem(), vt.Elem)
		if err != nil {
			return nil, at("some", err)
		}
		return func(v Value, dst reflect.Value) error {
			o, err := get(v)
			if err != nil {
				return err
			}
			if !o.Some {
				dst.SetZero()
				return nil
			}
			p := reflect.New(rt.Elem())
			if err := sub(o.Value, p.Elem()); err != nil {
				return at("some", err)
			}
			dst.Set(p)
			return nil
		}, nil
	case rt.Kind() == reflect.Struct && rt.Implements(typeTypedO):
		sub, err := planFrom(rt.Field(1).Type, vt.Elem)
		if err != nil {
			return nil, at("some", err)
		}
		return func(v Value, dst reflect.Value) error {
			o, err := get(v)
			if err != nil {
				return err
			}
			dst.SetZero()
			if !o.Some {
				return nil
			}
			dst.Field(0).SetBool(true)
			if err := sub(o.Value, dst.Field(1)); err != nil {
				return at("some", err)
			}
			return nil
		}, nil
	}
	return nil, noFit(rt, vt)
}

func resultFrom(rt reflect.Type, vt *component.ValueType) (fromFunc, error) {
	if rt == typeResult {
		return func(v Value, dst reflect.Value) error { return badForm(v, vt, "canonical.Result") }, nil
	}
	if rt.Kind() != reflect.Struct || !rt.Implements(typeTypedR) {
		return nil, noFit(rt, vt)
	}
	side := func(i int, t *component.ValueType, name string) (fromFunc, error) {
		if t == nil {
			return func(Value, reflect.Value) error { return nil }, nil
		}
		sub, err := planFrom(rt.Field(i).Type, t)
		if err != nil {
			return nil, at(name, err)
		}
		return sub, nil
	}
	ok, err := side(1, vt.OK, "ok")
	if err != nil {
		return nil, err
	}
	bad, err := side(2, vt.Err, "err")
	if err != nil {
		return nil, err
	}
	return func(v Value, dst reflect.Value) error {
		r, isR := v.(Result)
		if !isR {
			return badForm(v, vt, "canonical.Result")
		}
		dst.SetZero()
		if r.Err {
			dst.Field(0).SetBool(true)
			if err := bad(r.Value, dst.Field(2)); err != nil {
				return at("err", err)
			}
			return nil
		}
		if err := ok(r.Value, dst.Field(1)); err != nil {
			return at("ok", err)
		}
		return nil
	}, nil
}
