package canonical

import (
	"context"
	"encoding/binary"
	"fmt"
	"reflect"
	"unsafe"

	"github.com/wasmhive/wasmhive/component"
)

// Typed moves the arguments and the result of calls of one component
// function type between the component and Go values of fixed types: P
// holds the parameters, R the result, in the Go forms ToValue describes.
// P is the Go form of the parameter when the function has exactly one;
// otherwise a struct whose exported fields are the parameters, matched by
// name as a record's fields are (struct{} for none).
//
// It lowers straight from, and lifts straight into, the Go values for
// the types that have a direct Go form (bool, integers of their own size
// and sign, floats, strings, list<u8> as []byte, lists as slices, records
// and tuples as structs, nested); any other part (variants, options,
// results, enums, flags, char, resources, pointers, interfaces, integers
// of another size) goes through its dynamic form, with ToValue and
// FromValue. The values and errors are those of ToValue, Func.LowerArgs,
// Func.LiftResult and FromValue, without the dynamic values in between;
// but a part that ToValue refuses fails the lowering after the parts
// before it were lowered (as a string that is not valid UTF-8 fails
// LowerArgs), where ToValue would have failed before any.
type Typed[P, R any] struct {
	b *binding
}

// binding is a Typed's plan, without its type parameters.
type binding struct {
	ft        *component.FuncType
	params    []*gonode // one per parameter
	paramOffs []uintptr // each parameter's offset in P
	result    *gonode   // nil: no result
}

// NewTyped plans calls of functions of type ft with Go parameters P and
// result R; it fails when a type does not match (the error ToValue or
// FromValue would give). When ft has no result, R is not used.
func NewTyped[P, R any](ft *component.FuncType) (*Typed[P, R], error) {
	b, err := bind(ft, reflect.TypeFor[P](), reflect.TypeFor[R]())
	if err != nil {
		return nil, err
	}
	return &Typed[P, R]{b: b}, nil
}

// Args returns the parameters in p in their dynamic forms (for a host
// function, which takes Values).
func (t *Typed[P, R]) Args(p *P) ([]Value, error) {
	b := t.b
	out := make([]Value, len(b.params))
	for i, n := range b.params {
		v, err := n.toValue(unsafe.Add(unsafe.Pointer(p), b.paramOffs[i]))
		if err != nil {
			return nil, convErr(err, "argument "+b.ft.Params[i].Name, b.ft.Params[i].Type, true)
		}
		out[i] = v
	}
	return out, nil
}

// Result stores v, a result in its dynamic form, into r.
func (t *Typed[P, R]) Result(v Value, r *R) error {
	if t.b.result == nil {
		return nil
	}
	if err := t.b.result.fromValue(v, unsafe.Pointer(r)); err != nil {
		return convErr(err, "result", t.b.ft.Result, false)
	}
	return nil
}

// LowerArgs is f.LowerArgs with the arguments in p; f must be compiled
// from the function type t was planned for.
func (t *Typed[P, R]) LowerArgs(ctx context.Context, f *Func, call *Call, p *P, dst []uint64) ([]uint64, error) {
	return t.b.lowerArgs(ctx, f, call, unsafe.Pointer(p), dst)
}

// LiftResult is f.LiftResult, storing the result into r.
func (t *Typed[P, R]) LiftResult(ctx context.Context, f *Func, call *Call, results []uint64, r *R) error {
	return t.b.liftResult(ctx, f, call, results, unsafe.Pointer(r))
}

func bind(ft *component.FuncType, pt, rt reflect.Type) (*binding, error) {
	if ft == nil {
		return nil, &Error{Op: "bind", Msg: "no function type"}
	}
	b := &binding{ft: ft}
	switch len(ft.Params) {
	case 1:
		n, err := planGo(pt, ft.Params[0].Type, true)
		if err != nil {
			return nil, &Error{Op: "bind", Type: typeName(ft.Params[0].Type), Msg: "argument " + ft.Params[0].Name + ": " + err.Error()}
		}
		b.params, b.paramOffs = []*gonode{n}, []uintptr{0}
	default:
		if pt.Kind() != reflect.Struct {
			return nil, &Error{Op: "bind", Msg: fmt.Sprintf("%s takes %d parameters: want a struct with a field for each, got %s", ft, len(ft.Params), goName(pt))}
		}
		names := make([]string, len(ft.Params))
		for i, p := range ft.Params {
			names[i] = p.Name
		}
		idx, err := matchFields(pt, &component.ValueType{Kind: component.Record}, names, "parameter")
		if err != nil {
			return nil, &Error{Op: "bind", Msg: err.Error()}
		}
		for i, p := range ft.Params {
			sf := pt.Field(idx[i])
			n, err := planGo(sf.Type, p.Type, true)
			if err != nil {
				return nil, &Error{Op: "bind", Type: typeName(p.Type), Msg: "argument " + p.Name + ": " + err.Error()}
			}
			b.params = append(b.params, n)
			b.paramOffs = append(b.paramOffs, sf.Offset)
		}
	}
	if ft.Result != nil {
		n, err := planGo(rt, ft.Result, false)
		if err != nil {
			return nil, &Error{Op: "bind", Type: typeName(ft.Result), Msg: "result: " + err.Error()}
		}
		b.result = n
	}
	return b, nil
}

func (b *binding) compiled(f *Func) error {
	if f == nil || f.ft != b.ft {
		return &Error{Op: "call", Msg: fmt.Sprintf("the function is not of the type bound (%s)", b.ft)}
	}
	return nil
}

func (b *binding) lowerArgs(ctx context.Context, f *Func, call *Call, p unsafe.Pointer, dst []uint64) ([]uint64, error) {
	if call == nil {
		return dst, errNoCall
	}
	if err := b.compiled(f); err != nil {
		return dst, err
	}
	var c cx
	c.init(f, ctx, call)
	c.refresh()
	if !f.spillParams {
		var err error
		for i, l := range f.params {
			if dst, err = c.lowerFlatGo(l, b.params[i], unsafe.Add(p, b.paramOffs[i]), dst); err != nil {
				return dst, convErr(err, "argument "+b.ft.Params[i].Name, b.ft.Params[i].Type, true)
			}
		}
		return dst, nil
	}
	ptr, err := c.alloc(argsLayout, f.paramsAlign, f.paramsSize)
	if err != nil {
		return dst, err
	}
	for i, l := range f.params {
		if err := c.storeGo(l, b.params[i], unsafe.Add(p, b.paramOffs[i]), ptr+f.paramOffsets[i]); err != nil {
			return dst, convErr(err, "argument "+b.ft.Params[i].Name, b.ft.Params[i].Type, true)
		}
	}
	return append(dst, uint64(ptr)), nil
}

func (b *binding) liftResult(ctx context.Context, f *Func, call *Call, results []uint64, r unsafe.Pointer) error {
	if call == nil {
		return errNoCall
	}
	if err := b.compiled(f); err != nil {
		return err
	}
	if b.result == nil {
		return nil
	}
	var c cx
	c.init(f, ctx, call)
	c.refresh()
	l := f.result
	if f.spillResult {
		if len(results) != 1 {
			return liftErr(l, "got %d core results, want 1 (a pointer)", len(results))
		}
		ptr := uint32(results[0])
		if !c.fits(ptr, uint64(l.size), l.align) {
			if err := c.check(l, "lift", ptr, uint64(l.size), l.align); err != nil {
				return err
			}
		}
		return convErr(c.loadGo(l, b.result, ptr, r), "result", b.ft.Result, false)
	}
	if len(results) != len(l.flat) {
		return liftErr(l, "got %d core results, want %d", len(results), len(l.flat))
	}
	_, err := c.liftFlatGo(l, b.result, results, r)
	return convErr(err, "result", b.ft.Result, false)
}

// gop is how a gonode moves its Go value.
type gop uint8

const (
	opDyn    gop = iota // through the dynamic form (to, from)
	opBool              // bool
	opS8                // int8
	opU8                // uint8
	opS16               // int16
	opU16               // uint16
	opS32               // int32
	opU32               // uint32
	opS64               // int64, int
	opU64               // uint64, uint, uintptr
	opF32               // float32
	opF64               // float64
	opString            // a string
	opBytes             // list<u8> as a slice of bytes
	opList              // list<T> as a slice
	opParts             // a record or tuple as a struct
)

// gonode is the plan of one Go type for one component type: how a value
// of the Go type is lowered and lifted.
type gonode struct {
	op    gop
	rt    reflect.Type
	size  uintptr  // rt's size: a list's element stride
	elem  *gonode  // opList
	parts []gopart // opParts: one per record field or tuple element
	to    toFunc   // opDyn, when lowering
	from  fromFunc // opDyn, when lifting
}

// gopart is a record field or tuple element held in a struct field.
type gopart struct {
	off  uintptr // the Go field's offset
	n    *gonode
	name string // "field x" or "element i", for errors
}

// convError is a failure of a part's conversion to or from its dynamic
// form: the parts around it prefix their names, and the binding makes it
// the *Error ToValue or FromValue gives for the whole value.
type convError struct{ msg string }

func (e *convError) Error() string { return e.msg }

// within prefixes a convError with the part it happened in.
func within(part string, err error) error {
	if ce, ok := err.(*convError); ok {
		ce.msg = part + ": " + ce.msg
	}
	return err
}

// convErr makes a convError of the parameter or result whose type is vt
// the error ToValue (lower) or FromValue gives, prefixed with what as the
// typed calls of the linker do; other errors are returned as they are.
func convErr(err error, what string, vt *component.ValueType, lower bool) error {
	ce, ok := err.(*convError)
	if !ok {
		return err
	}
	op := "from value"
	if lower {
		op = "to value"
	}
	return at(what, &Error{Op: op, Type: typeName(vt), Msg: ce.msg})
}

// sliceHeader is the layout of a Go slice.
type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

// scalarOps are the direct ops of the Go kinds of each scalar type.
var scalarOps = map[component.Kind]map[reflect.Kind]gop{
	component.Bool: {reflect.Bool: opBool},
	component.S8:   {reflect.Int8: opS8},
	component.U8:   {reflect.Uint8: opU8},
	component.S16:  {reflect.Int16: opS16},
	component.U16:  {reflect.Uint16: opU16},
	component.S32:  {reflect.Int32: opS32},
	component.U32:  {reflect.Uint32: opU32},
	component.S64:  {reflect.Int64: opS64, reflect.Int: opS64},
	component.U64:  {reflect.Uint64: opU64, reflect.Uint: opU64, reflect.Uintptr: opU64},
	component.F32:  {reflect.Float32: opF32},
	component.F64:  {reflect.Float64: opF64},
}

// planGo plans Go type rt for vt, for lowering (lower) or lifting. It
// accepts exactly the pairs ToValue (lower) or FromValue accepts.
func planGo(rt reflect.Type, vt *component.ValueType, lower bool) (*gonode, error) {
	n := &gonode{rt: rt, size: rt.Size()}
	if lower {
		p := toPlanFor(rt, vt)
		if p.err != nil {
			return nil, p.err
		}
		n.to = p.fn
	} else {
		p := fromPlanFor(rt, vt)
		if p.err != nil {
			return nil, p.err
		}
		n.from = p.fn
	}
	k := rt.Kind()
	if op, ok := scalarOps[vt.Kind][k]; ok && (k != reflect.Int && k != reflect.Uint && k != reflect.Uintptr || rt.Size() == 8) {
		n.op = op
		return n, nil
	}
	switch vt.Kind {
	case component.String:
		if k == reflect.String {
			n.op = opString
		}
	case component.List:
		if k != reflect.Slice {
			break
		}
		if vt.Elem.Kind == component.U8 && rt.Elem().Kind() == reflect.Uint8 {
			n.op = opBytes
			break
		}
		e, err := planGo(rt.Elem(), vt.Elem, lower)
		if err != nil {
			return nil, at("element", err)
		}
		n.op, n.elem = opList, e
	case component.Record, component.Tuple:
		if k != reflect.Struct {
			break
		}
		var idx []int
		if vt.Kind == component.Record {
			var err error
			if idx, err = recordFields(rt, vt); err != nil {
				return nil, err
			}
		} else if idx = tupleFields(rt); len(idx) != len(vt.Types) {
			// The dynamic plan accepted it: leave it to the plan.
			break
		}
		types, names := partTypes(vt)
		parts := make([]gopart, len(types))
		for i, pt := range types {
			sf := rt.Field(idx[i])
			e, err := planGo(sf.Type, pt, lower)
			if err != nil {
				return nil, at(names[i], err)
			}
			parts[i] = gopart{off: sf.Offset, n: e, name: names[i]}
		}
		n.op, n.parts = opParts, parts
	}
	return n, nil
}

// toValue is the dynamic form of the Go value at p.
func (n *gonode) toValue(p unsafe.Pointer) (Value, error) {
	v, err := n.to(reflect.NewAt(n.rt, p).Elem())
	if err != nil {
		return nil, &convError{err.Error()}
	}
	return v, nil
}

// fromValue stores v, in its dynamic form, into the Go value at p.
func (n *gonode) fromValue(v Value, p unsafe.Pointer) error {
	if err := n.from(v, reflect.NewAt(n.rt, p).Elem()); err != nil {
		return &convError{err.Error()}
	}
	return nil
}

// scalarGo is the core value of the scalar at p (as scalar gives it).
func scalarGo(op gop, p unsafe.Pointer) uint64 {
	switch op {
	case opBool:
		if *(*bool)(p) {
			return 1
		}
		return 0
	case opS8:
		return uint64(uint32(int32(*(*int8)(p))))
	case opU8:
		return uint64(*(*uint8)(p))
	case opS16:
		return uint64(uint32(int32(*(*int16)(p))))
	case opU16:
		return uint64(*(*uint16)(p))
	case opS32:
		return uint64(uint32(*(*int32)(p)))
	case opU32:
		return uint64(*(*uint32)(p))
	case opS64, opU64:
		return *(*uint64)(p)
	case opF32:
		return uint64(f32bits(*(*float32)(p)))
	default: // opF64
		return f64bits(*(*float64)(p))
	}
}

// setScalarGo stores the scalar of core value x at p (as liftFlat lifts
// it).
func setScalarGo(op gop, x uint64, p unsafe.Pointer) {
	switch op {
	case opBool:
		*(*bool)(p) = uint32(x) != 0
	case opS8, opU8:
		*(*uint8)(p) = uint8(x)
	case opS16, opU16:
		*(*uint16)(p) = uint16(x)
	case opS32, opU32:
		*(*uint32)(p) = uint32(x)
	case opS64, opU64:
		*(*uint64)(p) = x
	case opF32:
		*(*float32)(p) = f32(uint32(x))
	default: // opF64
		*(*float64)(p) = f64(x)
	}
}

// lowerFlatGo is lowerFlat of the Go value at p.
func (c *cx) lowerFlatGo(l *layout, n *gonode, p unsafe.Pointer, dst []uint64) ([]uint64, error) {
	switch n.op {
	case opDyn:
		v, err := n.toValue(p)
		if err != nil {
			return dst, err
		}
		return c.lowerFlat(l, v, dst)
	case opString:
		ptr, k, err := c.lowerString(l, *(*string)(p))
		if err != nil {
			return dst, err
		}
		return append(dst, uint64(ptr), uint64(k)), nil
	case opBytes, opList:
		ptr, k, err := c.storeListGo(l, n, p)
		if err != nil {
			return dst, err
		}
		return append(dst, uint64(ptr), uint64(k)), nil
	case opParts:
		var err error
		for i, fl := range l.fields {
			pt := &n.parts[i]
			if dst, err = c.lowerFlatGo(fl, pt.n, unsafe.Add(p, pt.off), dst); err != nil {
				return dst, within(pt.name, err)
			}
		}
		return dst, nil
	}
	return append(dst, scalarGo(n.op, p)), nil
}

// storeGo is store of the Go value at p.
func (c *cx) storeGo(l *layout, n *gonode, p unsafe.Pointer, ptr uint32) error {
	switch n.op {
	case opDyn:
		v, err := n.toValue(p)
		if err != nil {
			return err
		}
		return c.store(l, v, ptr)
	case opString:
		sp, k, err := c.lowerString(l, *(*string)(p))
		if err != nil {
			return err
		}
		binary.LittleEndian.PutUint32(c.buf[ptr:], sp)
		binary.LittleEndian.PutUint32(c.buf[ptr+4:], k)
		return nil
	case opBytes, opList:
		sp, k, err := c.storeListGo(l, n, p)
		if err != nil {
			return err
		}
		binary.LittleEndian.PutUint32(c.buf[ptr:], sp)
		binary.LittleEndian.PutUint32(c.buf[ptr+4:], k)
		return nil
	case opParts:
		for i, fl := range l.fields {
			pt := &n.parts[i]
			if err := c.storeGo(fl, pt.n, unsafe.Add(p, pt.off), ptr+l.offsets[i]); err != nil {
				return within(pt.name, err)
			}
		}
		return nil
	}
	putScalar(c.buf[ptr:uint64(ptr)+uint64(l.size)], scalarGo(n.op, p))
	return nil
}

// storeListGo is storeList of the Go slice at p.
func (c *cx) storeListGo(l *layout, n *gonode, p unsafe.Pointer) (uint32, uint32, error) {
	s := (*sliceHeader)(p)
	e := l.elem
	size := uint64(s.len) * uint64(e.size)
	if size > MaxListByteLength {
		return 0, 0, lowerErr(l, "%d elements of %d bytes exceed the list size limit (%d bytes)", s.len, e.size, MaxListByteLength)
	}
	ptr, err := c.alloc(l, e.align, uint32(size))
	if err != nil {
		return 0, 0, err
	}
	if n.op == opBytes {
		copy(c.buf[ptr:], unsafe.Slice((*byte)(s.data), s.len))
		return ptr, uint32(s.len), nil
	}
	en := n.elem
	if en.op == opString {
		// storeGo's case for each element, without its dispatch.
		for i, x := range unsafe.Slice((*string)(s.data), s.len) {
			sp, k, err := c.lowerString(e, x)
			if err != nil {
				return 0, 0, err
			}
			at := ptr + uint32(i)*8
			binary.LittleEndian.PutUint32(c.buf[at:], sp)
			binary.LittleEndian.PutUint32(c.buf[at+4:], k)
		}
		return ptr, uint32(s.len), nil
	}
	for i := range s.len {
		if err := c.storeGo(e, en, unsafe.Add(s.data, uintptr(i)*en.size), ptr+uint32(i)*e.size); err != nil {
			return 0, 0, within(fmt.Sprintf("element %d", i), err)
		}
	}
	return ptr, uint32(s.len), nil
}

// liftFlatGo is liftFlat into the Go value at p; it returns how many core
// values it used.
func (c *cx) liftFlatGo(l *layout, n *gonode, vals []uint64, p unsafe.Pointer) (int, error) {
	if len(vals) < len(l.flat) {
		return 0, liftErr(l, "got %d core values, want %d", len(vals), len(l.flat))
	}
	switch n.op {
	case opDyn:
		v, k, err := c.liftFlat(l, vals)
		if err != nil {
			return 0, err
		}
		return k, n.fromValue(v, p)
	case opString:
		return 2, c.liftStringGo(l, uint32(vals[0]), uint32(vals[1]), p)
	case opBytes, opList:
		return 2, c.loadListGo(l, n, uint32(vals[0]), uint32(vals[1]), p)
	case opParts:
		k := 0
		for i, fl := range l.fields {
			pt := &n.parts[i]
			m, err := c.liftFlatGo(fl, pt.n, vals[k:], unsafe.Add(p, pt.off))
			if err != nil {
				return 0, within(pt.name, err)
			}
			k += m
		}
		return k, nil
	}
	setScalarGo(n.op, vals[0], p)
	return 1, nil
}

// loadGo is load into the Go value at p.
func (c *cx) loadGo(l *layout, n *gonode, ptr uint32, p unsafe.Pointer) error {
	b := c.buf[ptr : uint64(ptr)+uint64(l.size)]
	switch n.op {
	case opDyn:
		v, err := c.load(l, ptr)
		if err != nil {
			return err
		}
		return n.fromValue(v, p)
	case opString:
		return c.liftStringGo(l, binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:]), p)
	case opBytes, opList:
		return c.loadListGo(l, n, binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:]), p)
	case opParts:
		for i, fl := range l.fields {
			pt := &n.parts[i]
			if err := c.loadGo(fl, pt.n, ptr+l.offsets[i], unsafe.Add(p, pt.off)); err != nil {
				return within(pt.name, err)
			}
		}
		return nil
	}
	setScalarGo(n.op, getScalar(b), p)
	return nil
}

// liftStringGo is liftString into the Go string at p.
func (c *cx) liftStringGo(l *layout, ptr, tagged uint32, p unsafe.Pointer) error {
	v, err := c.liftString(l, ptr, tagged)
	if err != nil {
		return err
	}
	*(*string)(p) = v.(string)
	return nil
}

// loadListGo is loadList into the Go slice at p.
func (c *cx) loadListGo(l *layout, n *gonode, ptr, length uint32, p unsafe.Pointer) error {
	e := l.elem
	size := uint64(length) * uint64(e.size)
	if size > MaxListByteLength {
		return liftErr(l, "%d elements of %d bytes exceed the list size limit (%d bytes)", length, e.size, MaxListByteLength)
	}
	if !c.fits(ptr, size, e.align) {
		if err := c.check(l, "lift", ptr, size, e.align); err != nil {
			return err
		}
	}
	if n.op == opBytes {
		out := make([]byte, size)
		copy(out, c.buf[ptr:])
		*(*sliceHeader)(p) = sliceHeader{unsafe.Pointer(unsafe.SliceData(out)), len(out), len(out)}
		return nil
	}
	if int(length) > c.elems {
		return liftErr(l, "%d elements exceed the host's limit of %d list elements per call (Options.MaxListElements)", length, c.f.maxElems)
	}
	c.elems -= int(length)
	en := n.elem
	if en.op == opString {
		// loadGo's case for each element, without its dispatch.
		out := make([]string, length)
		for i := range out {
			b := c.buf[ptr+uint32(i)*8:]
			v, err := c.liftString(e, binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:]))
			if err != nil {
				return err
			}
			out[i] = v.(string)
		}
		*(*sliceHeader)(p) = sliceHeader{unsafe.Pointer(unsafe.SliceData(out)), len(out), len(out)}
		return nil
	}
	s := reflect.MakeSlice(n.rt, int(length), int(length))
	data := s.UnsafePointer()
	for i := range int(length) {
		if err := c.loadGo(e, en, ptr+uint32(i)*e.size, unsafe.Add(data, uintptr(i)*en.size)); err != nil {
			return within(fmt.Sprintf("element %d", i), err)
		}
	}
	*(*sliceHeader)(p) = sliceHeader{data, int(length), int(length)}
	return nil
}
