package canonical

import (
	"fmt"

	"github.com/tetratelabs/wazero/api"
	"github.com/wasmhive/wasmhive/component"
)

// Canonical ABI limits (CanonicalABI.md).
const (
	// MaxFlatParams is the number of flat core parameters beyond which a
	// function's parameters are passed through memory.
	MaxFlatParams = component.MaxFlatParams
	// MaxFlatResults is the number of flat core results beyond which a
	// function's result is passed through memory.
	MaxFlatResults = component.MaxFlatResults
	// MaxStringByteLength is the largest byte length of a string in memory
	// (CanonicalABI.md MAX_STRING_BYTE_LENGTH, 2^28-1).
	MaxStringByteLength = 1<<28 - 1
	// MaxListByteLength is the largest byte length of a list in memory
	// (CanonicalABI.md MAX_LIST_BYTE_LENGTH, 2^28-1).
	MaxListByteLength = 1<<28 - 1
	// MaxHandles is the largest index of a component instance's handle
	// table (CanonicalABI.md Table.MAX_LENGTH, 2^28-1).
	MaxHandles = 1<<28 - 1
	// DefaultMaxHandles is the handle table cap of an Instance whose
	// MaxHandles is 0: far more than real components hold at once, and a
	// bound on what a hostile one can make the host keep.
	DefaultMaxHandles = 1 << 18
	// utf16Tag is the bit that marks a latin1+utf16 string as UTF-16.
	utf16Tag = 1 << 31
	// maxTypeSize bounds the byte size of a type: a larger one could not be
	// in a 32-bit memory.
	maxTypeSize = 1 << 32
	// flatCap caps flattened type lists: a type of more than MaxFlatParams
	// flat values is never passed flat, so only the count matters beyond.
	flatCap = MaxFlatParams + 1
)

// layout is a value type compiled for the canonical ABI: its size,
// alignment and flattening, and its parts'.
type layout struct {
	vt    *component.ValueType
	kind  component.Kind
	size  uint32
	align uint32
	// flat is the type's flattening, cut at flatCap entries; nflat is the
	// full count (saturated at flatCap).
	flat []api.ValueType

	fields  []*layout // Record, Tuple: the parts in order
	offsets []uint32  // Record, Tuple: each part's offset

	cases    []*layout // Variant, Option, Result, Enum: each case's payload (nil: none)
	ncases   uint32
	discSize uint32 // 1, 2 or 4
	payOff   uint32 // offset of the payload from the start of the variant

	elem   *layout // List, FixedList
	length uint32  // FixedList

	nlabels int           // Flags
	rt      *ResourceType // Own, Borrow: the runtime resource type
	name    string        // short type name for errors
}

// compiler compiles value types, memoizing shared parts.
type compiler struct {
	memo    map[*component.ValueType]*layout
	resolve func(*component.ResourceType) (*ResourceType, error)
}

func flatten(vts ...[]api.ValueType) []api.ValueType {
	var out []api.ValueType
	for _, v := range vts {
		for _, t := range v {
			if len(out) >= flatCap {
				return out
			}
			out = append(out, t)
		}
	}
	return out
}

var (
	flatI32 = []api.ValueType{api.ValueTypeI32}
	flatI64 = []api.ValueType{api.ValueTypeI64}
	flatF32 = []api.ValueType{api.ValueTypeF32}
	flatF64 = []api.ValueType{api.ValueTypeF64}
	flatPtr = []api.ValueType{api.ValueTypeI32, api.ValueTypeI32}
)

func alignTo(n, a uint64) uint64 { return (n + a - 1) / a * a }

// typeName is a short name of vt for error messages: its WIT spelling
// when short, else its kind.
func typeName(vt *component.ValueType) string {
	if vt == nil {
		return "_"
	}
	if vt.Kind.Primitive() {
		return vt.Kind.String()
	}
	if s := vt.String(); len(s) <= 48 {
		return s
	}
	return vt.Kind.String()
}

func (c *compiler) compile(vt *component.ValueType) (*layout, error) {
	if vt == nil {
		return nil, nil
	}
	if l, ok := c.memo[vt]; ok {
		if l == nil {
			return nil, fmt.Errorf("type %s is recursive", typeName(vt))
		}
		return l, nil
	}
	c.memo[vt] = nil
	l := &layout{vt: vt, kind: vt.Kind, name: typeName(vt)}
	var size uint64
	switch vt.Kind {
	case component.Bool, component.S8, component.U8:
		size, l.align, l.flat = 1, 1, flatI32
	case component.S16, component.U16:
		size, l.align, l.flat = 2, 2, flatI32
	case component.S32, component.U32, component.Char:
		size, l.align, l.flat = 4, 4, flatI32
	case component.S64, component.U64:
		size, l.align, l.flat = 8, 8, flatI64
	case component.F32:
		size, l.align, l.flat = 4, 4, flatF32
	case component.F64:
		size, l.align, l.flat = 8, 8, flatF64
	case component.String:
		size, l.align, l.flat = 8, 4, flatPtr
	case component.List:
		e, err := c.compile(vt.Elem)
		if err != nil {
			return nil, err
		}
		if e == nil {
			return nil, fmt.Errorf("list without element type")
		}
		l.elem = e
		size, l.align, l.flat = 8, 4, flatPtr
	case component.FixedList:
		e, err := c.compile(vt.Elem)
		if err != nil {
			return nil, err
		}
		if e == nil || vt.Len == 0 {
			return nil, fmt.Errorf("fixed-size list without element type or length")
		}
		l.elem, l.length, l.align = e, vt.Len, e.align
		size = uint64(e.size) * uint64(vt.Len)
		for i := uint32(0); i < vt.Len && len(l.flat) < flatCap; i++ {
			l.flat = flatten(l.flat, e.flat)
		}
	case component.Record, component.Tuple:
		var parts []*component.ValueType
		for _, f := range vt.Fields {
			parts = append(parts, f.Type)
		}
		if vt.Kind == component.Tuple {
			parts = vt.Types
		}
		if len(parts) == 0 {
			return nil, fmt.Errorf("%s without fields", vt.Kind)
		}
		l.align = 1
		for _, p := range parts {
			pl, err := c.compile(p)
			if err != nil {
				return nil, err
			}
			if pl == nil {
				return nil, fmt.Errorf("%s with a missing field type", vt.Kind)
			}
			size = alignTo(size, uint64(pl.align))
			l.fields = append(l.fields, pl)
			l.offsets = append(l.offsets, uint32(min(size, maxTypeSize)))
			size += uint64(pl.size)
			l.align = max(l.align, pl.align)
			l.flat = flatten(l.flat, pl.flat)
			if size > maxTypeSize {
				break
			}
		}
		size = alignTo(size, uint64(l.align))
	case component.Variant, component.Option, component.Result, component.Enum:
		var cases []*component.ValueType
		switch vt.Kind {
		case component.Variant:
			for _, cs := range vt.Cases {
				cases = append(cases, cs.Type)
			}
		case component.Option:
			cases = []*component.ValueType{nil, vt.Elem}
		case component.Result:
			cases = []*component.ValueType{vt.OK, vt.Err}
		case component.Enum:
			cases = make([]*component.ValueType, len(vt.Labels))
		}
		n := uint64(len(cases))
		if n == 0 || n >= 1<<32 {
			return nil, fmt.Errorf("%s with %d cases", vt.Kind, n)
		}
		l.ncases = uint32(n)
		switch {
		case n <= 1<<8:
			l.discSize = 1
		case n <= 1<<16:
			l.discSize = 2
		default:
			l.discSize = 4
		}
		maxAlign, maxSize := uint32(1), uint64(0)
		var joined []api.ValueType
		l.cases = make([]*layout, len(cases))
		for i, ct := range cases {
			cl, err := c.compile(ct)
			if err != nil {
				return nil, err
			}
			l.cases[i] = cl
			if cl == nil {
				continue
			}
			maxAlign = max(maxAlign, cl.align)
			maxSize = max(maxSize, uint64(cl.size))
			for j, ft := range cl.flat {
				if j < len(joined) {
					joined[j] = join(joined[j], ft)
				} else if len(joined) < flatCap-1 {
					joined = append(joined, ft)
				}
			}
		}
		l.align = max(l.discSize, maxAlign)
		off := alignTo(uint64(l.discSize), uint64(maxAlign))
		l.payOff = uint32(off)
		size = alignTo(off+maxSize, uint64(l.align))
		l.flat = flatten(flatI32, joined)
	case component.Flags:
		n := len(vt.Labels)
		if n == 0 || n > 32 {
			return nil, fmt.Errorf("flags with %d labels (1 to 32 are allowed)", n)
		}
		l.nlabels = n
		switch {
		case n <= 8:
			size, l.align = 1, 1
		case n <= 16:
			size, l.align = 2, 2
		default:
			size, l.align = 4, 4
		}
		l.flat = flatI32
	case component.Own, component.Borrow:
		size, l.align, l.flat = 4, 4, flatI32
		if c.resolve == nil {
			return nil, fmt.Errorf("%s: no resource resolver in the options", l.name)
		}
		if vt.Resource == nil {
			return nil, fmt.Errorf("%s without resource type", vt.Kind)
		}
		rt, err := c.resolve(vt.Resource)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", l.name, err)
		}
		if rt == nil {
			return nil, fmt.Errorf("%s: the resolver knows no runtime resource type for it", l.name)
		}
		l.rt = rt
	case component.ErrorContext, component.Stream, component.Future:
		return nil, fmt.Errorf("%s is an async type; only the synchronous canonical ABI is supported", vt.Kind)
	default:
		return nil, fmt.Errorf("unknown value type kind %s", vt.Kind)
	}
	if size > maxTypeSize-1 {
		return nil, fmt.Errorf("type %s is too large for a 32-bit memory", l.name)
	}
	l.size = uint32(size)
	c.memo[vt] = l
	return l, nil
}

func join(a, b api.ValueType) api.ValueType {
	if a == b {
		return a
	}
	if (a == api.ValueTypeI32 && b == api.ValueTypeF32) || (a == api.ValueTypeF32 && b == api.ValueTypeI32) {
		return api.ValueTypeI32
	}
	return api.ValueTypeI64
}

// Layout is the canonical ABI memory layout and flattening of a value type.
type Layout struct {
	Size, Align uint32
	// Flat is the type's flattening (CanonicalABI.md flatten_type), cut
	// after MaxFlatParams+1 core types: beyond that, the type never travels flat.
	Flat []api.ValueType
}

// LayoutOf returns the canonical ABI layout of vt (CanonicalABI.md
// alignment, elem_size and flatten_type). It fails for the async types and
// malformed ones (a flags type of more than 32 labels, say).
func LayoutOf(vt *component.ValueType) (Layout, error) {
	c := &compiler{memo: map[*component.ValueType]*layout{}, resolve: func(*component.ResourceType) (*ResourceType, error) {
		return &ResourceType{}, nil
	}}
	l, err := c.compile(vt)
	if err != nil {
		return Layout{}, err
	}
	if l == nil {
		return Layout{}, fmt.Errorf("no type")
	}
	return Layout{Size: l.size, Align: l.align, Flat: l.flat}, nil
}
