package canonical

import (
	"encoding/binary"
	"math"
	"unicode/utf8"
	"unsafe"

	"github.com/wasmhive/wasmhive/component"
)

const (
	canonicalNaN32 = 0x7fc00000
	canonicalNaN64 = 0x7ff8000000000000
)

// f32 is CanonicalABI.md decode_i32_as_float: a NaN becomes the canonical NaN.
func f32(bits uint32) float32 {
	f := math.Float32frombits(bits)
	if f != f {
		return math.Float32frombits(canonicalNaN32)
	}
	return f
}

func f64(bits uint64) float64 {
	f := math.Float64frombits(bits)
	if f != f {
		return math.Float64frombits(canonicalNaN64)
	}
	return f
}

func (c *cx) char(l *layout, i uint32) (Value, error) {
	if i >= 0x110000 || (i >= 0xd800 && i <= 0xdfff) {
		return nil, liftErr(l, "0x%x is not a Unicode scalar value", i)
	}
	return Char(i), nil
}

func flagsMask(n int) uint32 {
	if n >= 32 {
		return math.MaxUint32
	}
	return 1<<n - 1
}

// liftFlat lifts a value of type l from the flat core values vals,
// returning it and how many values it used (CanonicalABI.md lift_flat).
func (c *cx) liftFlat(l *layout, vals []uint64) (Value, int, error) {
	if len(vals) < len(l.flat) {
		return nil, 0, liftErr(l, "got %d core values, want %d", len(vals), len(l.flat))
	}
	v0 := vals[0]
	switch l.kind {
	case component.Bool:
		return uint32(v0) != 0, 1, nil
	case component.S8:
		return int8(v0), 1, nil
	case component.U8:
		return uint8(v0), 1, nil
	case component.S16:
		return int16(v0), 1, nil
	case component.U16:
		return uint16(v0), 1, nil
	case component.S32:
		return int32(v0), 1, nil
	case component.U32:
		return uint32(v0), 1, nil
	case component.S64:
		return int64(v0), 1, nil
	case component.U64:
		return v0, 1, nil
	case component.F32:
		return f32(uint32(v0)), 1, nil
	case component.F64:
		return f64(v0), 1, nil
	case component.Char:
		v, err := c.char(l, uint32(v0))
		return v, 1, err
	case component.Flags:
		return Flags(uint32(v0) & flagsMask(l.nlabels)), 1, nil
	case component.Own:
		v, err := c.liftOwn(l, uint32(v0))
		return v, 1, err
	case component.Borrow:
		v, err := c.liftBorrow(l, uint32(v0))
		return v, 1, err
	case component.String:
		v, err := c.liftString(l, uint32(v0), uint32(vals[1]))
		return v, 2, err
	case component.List:
		v, err := c.loadList(l, uint32(v0), uint32(vals[1]))
		return v, 2, err
	case component.FixedList:
		out := List(c.values(int(l.length)))
		n := 0
		for i := range out {
			v, k, err := c.liftFlat(l.elem, vals[n:])
			if err != nil {
				return nil, 0, err
			}
			out[i], n = v, n+k
		}
		if l.elem.kind == component.U8 {
			return c.boxBytes(bytesOf(out)), n, nil
		}
		return c.boxList(out), n, nil
	case component.Record, component.Tuple:
		out := c.values(len(l.fields))
		n := 0
		for i, fl := range l.fields {
			v, k, err := c.liftFlat(fl, vals[n:])
			if err != nil {
				return nil, 0, err
			}
			out[i], n = v, n+k
		}
		if l.kind == component.Tuple {
			return c.boxTuple(out), n, nil
		}
		return c.boxRecord(out), n, nil
	case component.Variant, component.Option, component.Result, component.Enum:
		disc := uint32(v0)
		if disc >= l.ncases {
			return nil, 0, liftErr(l, "case %d out of range (%d cases)", disc, l.ncases)
		}
		var payload Value
		if pl := l.cases[disc]; pl != nil {
			// The payload's core values are read from the joined
			// slots: in uint64 form, each 32-bit payload value is the low
			// half of its slot, as wrap_i64_to_i32 and f32 reinterpretation give.
			var err error
			if payload, _, err = c.liftFlat(pl, vals[1:len(l.flat)]); err != nil {
				return nil, 0, err
			}
		}
		return variantValue(l, disc, payload), len(l.flat), nil
	}
	return nil, 0, liftErr(l, "unsupported type")
}

func variantValue(l *layout, disc uint32, payload Value) Value {
	switch l.kind {
	case component.Option:
		return Option{Some: disc == 1, Value: payload}
	case component.Result:
		return Result{Err: disc == 1, Value: payload}
	case component.Enum:
		return Enum(disc)
	}
	return Variant{Case: disc, Value: payload}
}

func bytesOf(vs List) []byte {
	b := make([]byte, len(vs))
	for i, v := range vs {
		b[i] = v.(uint8)
	}
	return b
}

// load reads a value of type l at ptr, which the caller has checked to be
// aligned and in bounds for l (CanonicalABI.md load).
func (c *cx) load(l *layout, ptr uint32) (Value, error) {
	b := c.buf[ptr : uint64(ptr)+uint64(l.size)]
	switch l.kind {
	case component.Bool:
		return b[0] != 0, nil
	case component.S8:
		return int8(b[0]), nil
	case component.U8:
		return b[0], nil
	case component.S16:
		return int16(binary.LittleEndian.Uint16(b)), nil
	case component.U16:
		return binary.LittleEndian.Uint16(b), nil
	case component.S32:
		return int32(binary.LittleEndian.Uint32(b)), nil
	case component.U32:
		return binary.LittleEndian.Uint32(b), nil
	case component.S64:
		return int64(binary.LittleEndian.Uint64(b)), nil
	case component.U64:
		return binary.LittleEndian.Uint64(b), nil
	case component.F32:
		return f32(binary.LittleEndian.Uint32(b)), nil
	case component.F64:
		return f64(binary.LittleEndian.Uint64(b)), nil
	case component.Char:
		return c.char(l, binary.LittleEndian.Uint32(b))
	case component.String:
		return c.liftString(l, binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:]))
	case component.List:
		return c.loadList(l, binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:]))
	case component.FixedList:
		if l.elem.kind == component.U8 {
			out := make([]byte, len(b))
			copy(out, b)
			return c.boxBytes(out), nil
		}
		return c.boxedElems(l.elem, ptr, l.length)
	case component.Record, component.Tuple:
		out := c.values(len(l.fields))
		for i, fl := range l.fields {
			var v Value
			var err error
			if at := ptr + l.offsets[i]; fl.kind == component.String {
				// load's case, without the call.
				v, err = c.liftString(fl, binary.LittleEndian.Uint32(c.buf[at:]), binary.LittleEndian.Uint32(c.buf[at+4:]))
			} else {
				v, err = c.load(fl, at)
			}
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		if l.kind == component.Tuple {
			return c.boxTuple(out), nil
		}
		return c.boxRecord(out), nil
	case component.Variant, component.Option, component.Result, component.Enum:
		disc := uint32(b[0])
		switch l.discSize {
		case 2:
			disc = uint32(binary.LittleEndian.Uint16(b))
		case 4:
			disc = binary.LittleEndian.Uint32(b)
		}
		if disc >= l.ncases {
			return nil, liftErr(l, "case %d out of range (%d cases)", disc, l.ncases)
		}
		var payload Value
		if pl := l.cases[disc]; pl != nil {
			var err error
			if payload, err = c.load(pl, ptr+l.payOff); err != nil {
				return nil, err
			}
		}
		return variantValue(l, disc, payload), nil
	case component.Flags:
		return Flags(uint32(getScalar(b)) & flagsMask(l.nlabels)), nil
	case component.Own:
		return c.liftOwn(l, binary.LittleEndian.Uint32(b))
	case component.Borrow:
		return c.liftBorrow(l, binary.LittleEndian.Uint32(b))
	}
	return nil, liftErr(l, "unsupported type")
}

// loadList lifts list l of length elements at ptr (CanonicalABI.md
// load_list_from_range).
func (c *cx) loadList(l *layout, ptr, length uint32) (Value, error) {
	e := l.elem
	n := uint64(length) * uint64(e.size)
	if n > MaxListByteLength {
		return nil, liftErr(l, "%d elements of %d bytes exceed the list size limit (%d bytes)", length, e.size, MaxListByteLength)
	}
	if !c.fits(ptr, n, e.align) {
		if err := c.check(l, "lift", ptr, n, e.align); err != nil {
			return nil, err
		}
	}
	if e.kind == component.U8 {
		out := make([]byte, n)
		copy(out, c.buf[ptr:])
		return c.boxBytes(out), nil
	}
	if int(length) > c.elems {
		return nil, liftErr(l, "%d elements exceed the host's limit of %d list elements per call (Options.MaxListElements)", length, c.f.maxElems)
	}
	c.elems -= int(length)
	if e.kind != component.String {
		return c.boxedElems(e, ptr, length)
	}
	// list<string>: load's case for each element, without its dispatch.
	out := List(c.values(int(length)))
	for i := range out {
		b := c.buf[ptr+uint32(i)*8:]
		v, err := c.liftString(e, binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:]))
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return c.boxList(out), nil
}

// boxedElems is loadElems as a Value.
func (c *cx) boxedElems(e *layout, ptr, length uint32) (Value, error) {
	vs, err := c.loadElems(e, ptr, length)
	if err != nil {
		return nil, err
	}
	return c.boxList(vs), nil
}

func (c *cx) loadElems(e *layout, ptr, length uint32) (List, error) {
	out := List(c.values(int(length)))
	for i := range out {
		v, err := c.load(e, ptr+uint32(i)*e.size)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// liftString lifts a string of tagged code units at ptr (CanonicalABI.md
// load_string_from_range).
func (c *cx) liftString(l *layout, ptr, tagged uint32) (Value, error) {
	if n := uint64(tagged); c.f.utf8 && n <= shortText && c.fits(ptr, n, 1) {
		// Short UTF-8 text, in bounds: valid if ASCII, else as below.
		if b := c.buf[ptr : uint64(ptr)+n]; shortASCII(b) {
			return c.liftStr(b), nil
		}
	}
	enc := c.f.opts.StringEncoding
	var n uint64
	var align uint32 = 2
	utf16 := false
	switch enc {
	case component.UTF8:
		n, align = uint64(tagged), 1
	case component.UTF16:
		n, utf16 = 2*uint64(tagged), true
	case component.Latin1UTF16:
		if tagged&utf16Tag != 0 {
			n, utf16 = 2*uint64(tagged^utf16Tag), true
		} else {
			n = uint64(tagged)
		}
	default:
		return nil, liftErr(l, "unknown string encoding %d", enc)
	}
	if n > MaxStringByteLength {
		return nil, liftErr(l, "%d bytes exceed the string size limit (%d bytes)", n, MaxStringByteLength)
	}
	if !c.fits(ptr, n, align) {
		if err := c.check(l, "lift", ptr, n, align); err != nil {
			return nil, err
		}
	}
	b := c.buf[ptr : uint64(ptr)+n]
	switch {
	case enc == component.UTF8:
		if !shortASCII(b) && !utf8.Valid(b) {
			return nil, liftErr(l, "%d bytes at 0x%x are not valid UTF-8", n, ptr)
		}
		return c.liftStr(b), nil
	case utf16:
		var ok bool
		if c.scratch, ok = decodeUTF16(c.scratch[:0], b); !ok {
			return nil, liftErr(l, "%d bytes at 0x%x are not valid UTF-16 (unpaired surrogate)", n, ptr)
		}
		return c.liftStr(c.scratch), nil
	}
	c.scratch = decodeLatin1(c.scratch[:0], b)
	return c.liftStr(c.scratch), nil
}

// Strings up to arenaMax bytes share arena chunks of arenaChunk bytes.
const (
	arenaMax   = 64
	arenaChunk = 512
)

// liftPool holds the chunks that lifted values share, so that lifting a
// small value allocates nothing most of the time: small strings (their
// headers and bytes), the elements of small records, tuples and lists,
// and the boxes that make slices Values. A chunk's parts are handed out
// once and never written again, so values lifted by earlier calls stay
// valid; a chunk lives as long as any value that uses a part of it. Each
// canonical Instance has one (it runs one call at a time; calls nested in
// a call take their parts from the same chunks, one after the other).
//
// Each chunk is handed out from its start up to a cursor (the arena's
// bytes from its end down to another): an index, so that taking a part
// stores no pointer and costs no write barrier.
type liftPool struct {
	arena  []byte
	vals   []Value
	boxes  []box
	nhdrs  int // arena[:nhdrs] holds string headers handed out
	nbytes int // arena[nbytes:] holds string bytes handed out
	nvals  int // vals[:nvals] is handed out
	nboxes int // boxes[:nboxes] is handed out
}

// box is the data word of a slice held in a Value: the slice's header.
type box struct {
	p    unsafe.Pointer
	n, c int
}

// Boxes and value slices of up to valuesMax elements share chunks of
// boxChunk and valuesChunk.
const (
	boxChunk    = 32
	valuesMax   = 8
	valuesChunk = 32
)

// eface is the layout of an empty interface (a Value).
type eface struct{ typ, data unsafe.Pointer }

func typeOf(v Value) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

// The dynamic types boxed by liftStr and boxSlice.
var (
	stringType = typeOf("")
	listType   = typeOf(List(nil))
	recordType = typeOf(Record(nil))
	tupleType  = typeOf(Tuple(nil))
	bytesType  = typeOf([]byte(nil))
)

// box returns an unused box.
func (c *cx) box() *box {
	p := c.pool
	if p.nboxes >= len(p.boxes) {
		p.boxes, p.nboxes = make([]box, boxChunk), 0
	}
	b := &p.boxes[p.nboxes]
	p.nboxes++
	return b
}

// boxed returns the Value of dynamic type typ whose data is b, as the
// compiler's conversion to an interface would, without allocating.
func boxed(typ, data unsafe.Pointer) Value {
	var v Value
	e := (*eface)(unsafe.Pointer(&v))
	e.typ, e.data = typ, data
	return v
}

// liftStr returns a copy of b as a string Value. The string's header
// (the Value's data word) and its bytes share one allocation of memory
// that holds no pointers for the garbage collector: for a small string, a
// part of the arena; the header's pointer leads into the same memory, so
// it keeps nothing alive that the Value does not already.
func (c *cx) liftStr(b []byte) Value {
	n := len(b)
	if n == 0 {
		return ""
	}
	const hdr = int(unsafe.Sizeof(""))
	var h, data unsafe.Pointer
	if n <= arenaMax {
		// An arena chunk takes headers from its start and bytes from its
		// end, so that neither is padded for the other's alignment.
		p := c.pool
		if p.nhdrs+hdr > p.nbytes-n {
			p.arena, p.nhdrs, p.nbytes = make([]byte, arenaChunk), 0, arenaChunk
		}
		p.nbytes -= n
		// The arena's bytes are never written again once a Value holds them.
		copy(p.arena[p.nbytes:p.nbytes+n], b)
		h, data = unsafe.Pointer(&p.arena[p.nhdrs]), unsafe.Pointer(&p.arena[p.nbytes])
		p.nhdrs += hdr
	} else {
		m := make([]byte, hdr+n)
		copy(m[hdr:], b)
		h, data = unsafe.Pointer(&m[0]), unsafe.Pointer(&m[hdr])
	}
	// The header is written as words: a pointer stored into memory the
	// collector does not scan needs no write barrier (the bytes it points
	// to are the same allocation, which the Value keeps alive).
	*(*[2]uintptr)(h) = [2]uintptr{uintptr(data), uintptr(n)}
	return boxed(stringType, h)
}

// boxList, boxRecord, boxTuple and boxBytes return a slice as a Value.
func (c *cx) boxList(vs List) Value     { return c.boxSlice(listType, unsafe.Pointer(&vs)) }
func (c *cx) boxRecord(vs Record) Value { return c.boxSlice(recordType, unsafe.Pointer(&vs)) }
func (c *cx) boxTuple(vs Tuple) Value   { return c.boxSlice(tupleType, unsafe.Pointer(&vs)) }
func (c *cx) boxBytes(bs []byte) Value  { return c.boxSlice(bytesType, unsafe.Pointer(&bs)) }

// boxSlice boxes the slice header at h (of a slice type whose type word
// is typ).
func (c *cx) boxSlice(typ, h unsafe.Pointer) Value {
	b := c.box()
	*(*[]byte)(unsafe.Pointer(b)) = *(*[]byte)(h) // the header alone: the same layout for every slice type
	return boxed(typ, unsafe.Pointer(b))
}

// values returns a new slice of n values, from a shared chunk when n is
// small; its capacity is n, so that appending to it cannot reach the
// values of another slice.
func (c *cx) values(n int) []Value {
	if n == 0 {
		return []Value{}
	}
	if n > valuesMax {
		return make([]Value, n)
	}
	p := c.pool
	off := p.nvals
	if off+n > len(p.vals) {
		p.vals, off = make([]Value, valuesChunk), 0
	}
	p.nvals = off + n
	return p.vals[off : off+n : off+n]
}

// decodeLatin1 appends Latin-1 text b to out as UTF-8.
func decodeLatin1(out, b []byte) []byte {
	for _, x := range b {
		if x < 0x80 {
			out = append(out, x)
		} else {
			out = append(out, 0xc0|x>>6, 0x80|x&0x3f)
		}
	}
	return out
}

// decodeUTF16 appends UTF-16LE text b to out as UTF-8; it fails on an
// unpaired surrogate.
func decodeUTF16(out, b []byte) ([]byte, bool) {
	for i := 0; i+1 < len(b); i += 2 {
		u := rune(binary.LittleEndian.Uint16(b[i:]))
		switch {
		case u < 0xd800 || u > 0xdfff:
			out = utf8.AppendRune(out, u)
		case u <= 0xdbff && i+3 < len(b):
			u2 := rune(binary.LittleEndian.Uint16(b[i+2:]))
			if u2 < 0xdc00 || u2 > 0xdfff {
				return out, false
			}
			out = utf8.AppendRune(out, 0x10000+(u-0xd800)<<10+(u2-0xdc00))
			i += 2
		default:
			return out, false
		}
	}
	return out, true
}

func (c *cx) liftOwn(l *layout, i uint32) (Value, error) {
	h, err := c.inst.get(i, l.rt)
	if err != nil {
		return nil, liftErr(l, "%v", err)
	}
	if !h.own {
		return nil, liftErr(l, "handle %d is borrowed, not owned", i)
	}
	if h.lends != 0 {
		return nil, liftErr(l, "handle %d is lent to %d calls in progress", i, h.lends)
	}
	rep := h.rep
	c.inst.remove(i)
	return Own{Rep: rep}, nil
}

func (c *cx) liftBorrow(l *layout, i uint32) (Value, error) {
	if c.call.export {
		return nil, liftErr(l, "a borrow cannot be returned from a call")
	}
	h, err := c.inst.get(i, l.rt)
	if err != nil {
		return nil, liftErr(l, "%v", err)
	}
	h.lends++
	c.call.lenders = append(c.call.lenders, i)
	return Borrow{Rep: h.rep}, nil
}
