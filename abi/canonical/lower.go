package canonical

import (
	"encoding/binary"
	"math"
	"unicode/utf8"

	"github.com/wasmhive/wasmhive/component"
)

// The deterministic profile of CanonicalABI.md maybe_scramble_nan: a NaN
// is lowered as the canonical NaN.
func f32bits(f float32) uint32 {
	if f != f {
		return canonicalNaN32
	}
	return math.Float32bits(f)
}

func f64bits(f float64) uint64 {
	if f != f {
		return canonicalNaN64
	}
	return math.Float64bits(f)
}

// scalar returns the core value of a Go value of a scalar type (the
// CanonicalABI.md lower_flat of bool, integers, floats, char, flags and
// enum), and whether l is scalar.
func (c *cx) scalar(l *layout, v Value) (uint64, bool, error) {
	switch l.kind {
	case component.Bool:
		x, ok := v.(bool)
		if !ok {
			return 0, true, formErr(l, v, "bool")
		}
		if x {
			return 1, true, nil
		}
		return 0, true, nil
	case component.S8:
		x, ok := v.(int8)
		if !ok {
			return 0, true, formErr(l, v, "int8")
		}
		return uint64(uint32(int32(x))), true, nil
	case component.U8:
		x, ok := v.(uint8)
		if !ok {
			return 0, true, formErr(l, v, "uint8")
		}
		return uint64(x), true, nil
	case component.S16:
		x, ok := v.(int16)
		if !ok {
			return 0, true, formErr(l, v, "int16")
		}
		return uint64(uint32(int32(x))), true, nil
	case component.U16:
		x, ok := v.(uint16)
		if !ok {
			return 0, true, formErr(l, v, "uint16")
		}
		return uint64(x), true, nil
	case component.S32:
		x, ok := v.(int32)
		if !ok {
			return 0, true, formErr(l, v, "int32")
		}
		return uint64(uint32(x)), true, nil
	case component.U32:
		x, ok := v.(uint32)
		if !ok {
			return 0, true, formErr(l, v, "uint32")
		}
		return uint64(x), true, nil
	case component.S64:
		x, ok := v.(int64)
		if !ok {
			return 0, true, formErr(l, v, "int64")
		}
		return uint64(x), true, nil
	case component.U64:
		x, ok := v.(uint64)
		if !ok {
			return 0, true, formErr(l, v, "uint64")
		}
		return x, true, nil
	case component.F32:
		x, ok := v.(float32)
		if !ok {
			return 0, true, formErr(l, v, "float32")
		}
		return uint64(f32bits(x)), true, nil
	case component.F64:
		x, ok := v.(float64)
		if !ok {
			return 0, true, formErr(l, v, "float64")
		}
		return f64bits(x), true, nil
	case component.Char:
		x, ok := v.(Char)
		if !ok {
			return 0, true, formErr(l, v, "canonical.Char")
		}
		if x < 0 || x > 0x10ffff || (x >= 0xd800 && x <= 0xdfff) {
			return 0, true, lowerErr(l, "0x%x is not a Unicode scalar value", int32(x))
		}
		return uint64(x), true, nil
	case component.Flags:
		x, ok := v.(Flags)
		if !ok {
			return 0, true, formErr(l, v, "canonical.Flags")
		}
		if uint32(x)&^flagsMask(l.nlabels) != 0 {
			return 0, true, lowerErr(l, "flags 0x%x set bits beyond the %d labels", uint32(x), l.nlabels)
		}
		return uint64(x), true, nil
	case component.Enum:
		x, ok := v.(Enum)
		if !ok {
			return 0, true, formErr(l, v, "canonical.Enum")
		}
		if uint32(x) >= l.ncases {
			return 0, true, lowerErr(l, "case %d out of range (%d cases)", uint32(x), l.ncases)
		}
		return uint64(x), true, nil
	case component.Own:
		x, ok := v.(Own)
		if !ok {
			return 0, true, formErr(l, v, "canonical.Own")
		}
		i, err := c.inst.add(handle{rt: l.rt, rep: x.Rep, own: true})
		if err != nil {
			return 0, true, lowerErr(l, "%v", err)
		}
		return uint64(i), true, nil
	case component.Borrow:
		x, ok := v.(Borrow)
		if !ok {
			return 0, true, formErr(l, v, "canonical.Borrow")
		}
		if !c.call.export {
			return 0, true, lowerErr(l, "a borrow cannot be returned from a call")
		}
		if l.rt.Impl == c.inst {
			return uint64(x.Rep), true, nil
		}
		i, err := c.inst.add(handle{rt: l.rt, rep: x.Rep, scope: c.call})
		if err != nil {
			return 0, true, lowerErr(l, "%v", err)
		}
		c.call.borrows++
		return uint64(i), true, nil
	}
	return 0, false, nil
}

// caseOf returns the case index and payload of a variant-like value.
func caseOf(l *layout, v Value) (uint32, Value, error) {
	var disc uint32
	var payload Value
	switch l.kind {
	case component.Variant:
		x, ok := v.(Variant)
		if !ok {
			return 0, nil, formErr(l, v, "canonical.Variant")
		}
		disc, payload = x.Case, x.Value
	case component.Option:
		x, ok := v.(Option)
		if !ok {
			return 0, nil, formErr(l, v, "canonical.Option")
		}
		if x.Some {
			disc = 1
		}
		payload = x.Value
	case component.Result:
		x, ok := v.(Result)
		if !ok {
			return 0, nil, formErr(l, v, "canonical.Result")
		}
		if x.Err {
			disc = 1
		}
		payload = x.Value
	}
	if disc >= l.ncases {
		return 0, nil, lowerErr(l, "case %d out of range (%d cases)", disc, l.ncases)
	}
	if l.cases[disc] == nil && payload != nil {
		return 0, nil, lowerErr(l, "case %d has no payload, got %T", disc, payload)
	}
	return disc, payload, nil
}

// parts returns the values of a record, tuple or fixed-size list value.
func parts(l *layout, v Value) ([]Value, error) {
	var vs []Value
	switch l.kind {
	case component.Record:
		x, ok := v.(Record)
		if !ok {
			return nil, formErr(l, v, "canonical.Record")
		}
		vs = x
	case component.Tuple:
		x, ok := v.(Tuple)
		if !ok {
			return nil, formErr(l, v, "canonical.Tuple")
		}
		vs = x
	}
	if len(vs) != len(l.fields) {
		return nil, lowerErr(l, "got %d values, want %d", len(vs), len(l.fields))
	}
	return vs, nil
}

// elems returns the elements of a list value: a List, or []byte for
// list<u8> (then vs is nil).
func elems(l *layout, v Value) (vs List, bs []byte, n int, err error) {
	switch x := v.(type) {
	case List:
		return x, nil, len(x), nil
	case []byte:
		if l.elem.kind == component.U8 {
			return nil, x, len(x), nil
		}
	}
	if l.elem.kind == component.U8 {
		return nil, nil, 0, formErr(l, v, "[]byte or canonical.List")
	}
	return nil, nil, 0, formErr(l, v, "canonical.List")
}

// lowerFlat appends the flat core values of v, of type l, to dst
// (CanonicalABI.md lower_flat).
func (c *cx) lowerFlat(l *layout, v Value, dst []uint64) ([]uint64, error) {
	// The compound kinds first: scalar handles every other one.
	switch l.kind {
	case component.String:
		s, ok := v.(string)
		if !ok {
			return dst, formErr(l, v, "string")
		}
		ptr, n, err := c.lowerString(l, s)
		if err != nil {
			return dst, err
		}
		return append(dst, uint64(ptr), uint64(n)), nil
	case component.List:
		ptr, n, err := c.storeList(l, v)
		if err != nil {
			return dst, err
		}
		return append(dst, uint64(ptr), uint64(n)), nil
	case component.FixedList:
		vs, bs, n, err := elems(l, v)
		if err != nil {
			return dst, err
		}
		if n != int(l.length) {
			return dst, lowerErr(l, "got %d elements, want %d", n, l.length)
		}
		if bs != nil {
			for _, b := range bs {
				dst = append(dst, uint64(b))
			}
			return dst, nil
		}
		for _, e := range vs {
			if dst, err = c.lowerFlat(l.elem, e, dst); err != nil {
				return dst, err
			}
		}
		return dst, nil
	case component.Record, component.Tuple:
		vs, err := parts(l, v)
		if err != nil {
			return dst, err
		}
		for i, fl := range l.fields {
			if s, ok := vs[i].(string); ok && fl.kind == component.String {
				// lowerFlat's case, without the call.
				ptr, n, err := c.lowerString(fl, s)
				if err != nil {
					return dst, err
				}
				dst = append(dst, uint64(ptr), uint64(n))
				continue
			}
			if dst, err = c.lowerFlat(fl, vs[i], dst); err != nil {
				return dst, err
			}
		}
		return dst, nil
	case component.Variant, component.Option, component.Result:
		disc, payload, err := caseOf(l, v)
		if err != nil {
			return dst, err
		}
		start := len(dst)
		dst = append(dst, uint64(disc))
		if pl := l.cases[disc]; pl != nil {
			// In uint64 form a payload value in a wider joined slot keeps
			// its bits: f32 as its i32 bits, i32 zero-extended to i64.
			if dst, err = c.lowerFlat(pl, payload, dst); err != nil {
				return dst, err
			}
		}
		for len(dst)-start < len(l.flat) {
			dst = append(dst, 0)
		}
		return dst, nil
	}
	if x, ok, err := c.scalar(l, v); ok {
		if err != nil {
			return dst, err
		}
		return append(dst, x), nil
	}
	return dst, lowerErr(l, "unsupported type")
}

// store writes v, of type l, at ptr, which the caller has checked to be
// aligned and in bounds for l (CanonicalABI.md store).
func (c *cx) store(l *layout, v Value, ptr uint32) error {
	// The compound kinds first: scalar handles every other one.
	switch l.kind {
	case component.String:
		s, ok := v.(string)
		if !ok {
			return formErr(l, v, "string")
		}
		p, n, err := c.lowerString(l, s)
		if err != nil {
			return err
		}
		binary.LittleEndian.PutUint32(c.buf[ptr:], p)
		binary.LittleEndian.PutUint32(c.buf[ptr+4:], n)
		return nil
	case component.List:
		p, n, err := c.storeList(l, v)
		if err != nil {
			return err
		}
		binary.LittleEndian.PutUint32(c.buf[ptr:], p)
		binary.LittleEndian.PutUint32(c.buf[ptr+4:], n)
		return nil
	case component.FixedList:
		vs, bs, n, err := elems(l, v)
		if err != nil {
			return err
		}
		if n != int(l.length) {
			return lowerErr(l, "got %d elements, want %d", n, l.length)
		}
		return c.storeElems(l.elem, vs, bs, ptr)
	case component.Record, component.Tuple:
		vs, err := parts(l, v)
		if err != nil {
			return err
		}
		for i, fl := range l.fields {
			if err := c.store(fl, vs[i], ptr+l.offsets[i]); err != nil {
				return err
			}
		}
		return nil
	case component.Variant, component.Option, component.Result:
		disc, payload, err := caseOf(l, v)
		if err != nil {
			return err
		}
		switch l.discSize {
		case 1:
			c.buf[ptr] = byte(disc)
		case 2:
			binary.LittleEndian.PutUint16(c.buf[ptr:], uint16(disc))
		default:
			binary.LittleEndian.PutUint32(c.buf[ptr:], disc)
		}
		if pl := l.cases[disc]; pl != nil {
			return c.store(pl, payload, ptr+l.payOff)
		}
		return nil
	}
	if x, ok, err := c.scalar(l, v); ok {
		if err != nil {
			return err
		}
		putScalar(c.buf[ptr:uint64(ptr)+uint64(l.size)], x)
		return nil
	}
	return lowerErr(l, "unsupported type")
}

// putScalar stores the core value x of a scalar as its len(b) bytes.
func putScalar(b []byte, x uint64) {
	switch len(b) {
	case 1:
		b[0] = byte(x)
	case 2:
		binary.LittleEndian.PutUint16(b, uint16(x))
	case 4:
		binary.LittleEndian.PutUint32(b, uint32(x))
	default:
		binary.LittleEndian.PutUint64(b, x)
	}
}

// getScalar is the core value of a scalar stored as b.
func getScalar(b []byte) uint64 {
	switch len(b) {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.LittleEndian.Uint16(b))
	case 4:
		return uint64(binary.LittleEndian.Uint32(b))
	default:
		return binary.LittleEndian.Uint64(b)
	}
}

func (c *cx) storeElems(e *layout, vs List, bs []byte, ptr uint32) error {
	if bs != nil {
		copy(c.buf[ptr:], bs)
		return nil
	}
	if e.kind == component.String {
		// list<string>: store's case for each element, without its dispatch.
		for i, x := range vs {
			s, ok := x.(string)
			if !ok {
				return formErr(e, x, "string")
			}
			p, n, err := c.lowerString(e, s)
			if err != nil {
				return err
			}
			at := ptr + uint32(i)*8
			binary.LittleEndian.PutUint32(c.buf[at:], p)
			binary.LittleEndian.PutUint32(c.buf[at+4:], n)
		}
		return nil
	}
	for i, x := range vs {
		if err := c.store(e, x, ptr+uint32(i)*e.size); err != nil {
			return err
		}
	}
	return nil
}

// storeList allocates list v, of type l, in memory and stores its
// elements (CanonicalABI.md store_list_into_range).
func (c *cx) storeList(l *layout, v Value) (uint32, uint32, error) {
	vs, bs, n, err := elems(l, v)
	if err != nil {
		return 0, 0, err
	}
	e := l.elem
	size := uint64(n) * uint64(e.size)
	if size > MaxListByteLength {
		return 0, 0, lowerErr(l, "%d elements of %d bytes exceed the list size limit (%d bytes)", n, e.size, MaxListByteLength)
	}
	ptr, err := c.alloc(l, e.align, uint32(size))
	if err != nil {
		return 0, 0, err
	}
	if err := c.storeElems(e, vs, bs, ptr); err != nil {
		return 0, 0, err
	}
	return ptr, uint32(n), nil
}

// lowerString copies s into memory in the component's string encoding
// (CanonicalABI.md store_string_into_range, for a source string in UTF-8)
// and returns its pointer and tagged code units.
func (c *cx) lowerString(l *layout, s string) (uint32, uint32, error) {
	if c.f.utf8 && shortASCIIString(s) {
		// store_string_copy of short ASCII text (valid UTF-8).
		n := uint32(len(s))
		ptr, err := c.alloc(l, 1, n)
		if err != nil {
			return 0, 0, err
		}
		copy(c.buf[ptr:], s)
		return ptr, n, nil
	}
	if len(s) > MaxStringByteLength {
		return 0, 0, lowerErr(l, "%d bytes exceed the string size limit (%d bytes)", len(s), MaxStringByteLength)
	}
	if !shortASCIIString(s) && !utf8.ValidString(s) {
		return 0, 0, lowerErr(l, "the Go string is not valid UTF-8")
	}
	n := uint32(len(s))
	switch c.f.opts.StringEncoding {
	case component.UTF8:
		// store_string_copy
		ptr, err := c.alloc(l, 1, n)
		if err != nil {
			return 0, 0, err
		}
		copy(c.buf[ptr:], s)
		return ptr, n, nil
	case component.UTF16:
		// store_utf8_to_utf16
		worst := 2 * n
		ptr, err := c.alloc(l, 2, worst)
		if err != nil {
			return 0, 0, err
		}
		m := putUTF16(c.buf[ptr:], s)
		if m < worst {
			if ptr, err = c.realloc(l, ptr, worst, 2, m); err != nil {
				return 0, 0, err
			}
		}
		return ptr, m / 2, nil
	case component.Latin1UTF16:
		// store_string_to_latin1_or_utf16
		ptr, err := c.alloc(l, 2, n)
		if err != nil {
			return 0, 0, err
		}
		var m uint32
		for i, r := range s {
			if r < 0x100 {
				c.buf[ptr+m] = byte(r)
				m++
				continue
			}
			worst := 2 * n
			if ptr, err = c.realloc(l, ptr, n, 2, worst); err != nil {
				return 0, 0, err
			}
			b := c.buf[ptr:]
			for j := int(m) - 1; j >= 0; j-- {
				b[2*j] = b[j]
				b[2*j+1] = 0
			}
			total := 2*m + putUTF16(b[2*m:], s[i:])
			if worst > total {
				if ptr, err = c.realloc(l, ptr, worst, 2, total); err != nil {
					return 0, 0, err
				}
			}
			return ptr, total/2 | utf16Tag, nil
		}
		if m < n {
			if ptr, err = c.realloc(l, ptr, n, 2, m); err != nil {
				return 0, 0, err
			}
		}
		return ptr, m, nil
	}
	return 0, 0, lowerErr(l, "unknown string encoding %d", c.f.opts.StringEncoding)
}

// shortText is the length up to which shortASCII and shortASCIIString
// look for ASCII text: utf8.Valid costs more than their loop on short
// strings (names, keys, tags).
const shortText = 32

// shortASCIIString reports whether s is short and ASCII, so valid UTF-8.
func shortASCIIString(s string) bool {
	if len(s) > shortText {
		return false
	}
	var x byte
	for i := 0; i < len(s); i++ {
		x |= s[i]
	}
	return x < utf8.RuneSelf
}

// shortASCII reports whether b is short and ASCII, so valid UTF-8.
func shortASCII(b []byte) bool {
	if len(b) > shortText {
		return false
	}
	var x byte
	for _, c := range b {
		x |= c
	}
	return x < utf8.RuneSelf
}

// putUTF16 writes s as UTF-16LE into b, which has room for 2*len(s)
// bytes, and returns the number of bytes written.
func putUTF16(b []byte, s string) uint32 {
	n := 0
	for _, r := range s {
		if r < 0x10000 {
			binary.LittleEndian.PutUint16(b[n:], uint16(r))
			n += 2
			continue
		}
		r -= 0x10000
		binary.LittleEndian.PutUint16(b[n:], uint16(0xd800+(r>>10)))
		binary.LittleEndian.PutUint16(b[n+2:], uint16(0xdc00+(r&0x3ff)))
		n += 4
	}
	return uint32(n)
}
