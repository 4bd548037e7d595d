package interrupt

import (
	"errors"
	"fmt"
)

// reader decodes the binary format; every read is bounded by the bytes left.
type reader struct {
	b   []byte
	pos int
}

var errEOF = errors.New("unexpected end")

func (r *reader) eof() bool      { return r.pos >= len(r.b) }
func (r *reader) remaining() int { return len(r.b) - r.pos }

func (r *reader) byte() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, r.errorf("%w", errEOF)
	}
	c := r.b[r.pos]
	r.pos++
	return c, nil
}

func (r *reader) peek() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, r.errorf("%w", errEOF)
	}
	return r.b[r.pos], nil
}

func (r *reader) errorf(format string, args ...any) error {
	return fmt.Errorf("at byte %d: %w", r.pos, fmt.Errorf(format, args...))
}

func (r *reader) bytes(n int) ([]byte, error) {
	if n < 0 || n > r.remaining() {
		return nil, r.errorf("%w (%d bytes wanted, %d left)", errEOF, n, r.remaining())
	}
	b := r.b[r.pos : r.pos+n]
	r.pos += n
	return b, nil
}

func (r *reader) skip(n int) error {
	_, err := r.bytes(n)
	return err
}

func (r *reader) uleb(bits uint) (uint64, error) {
	maxBytes := int(bits+6) / 7
	var v uint64
	for i := 0; ; i++ {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		if i == maxBytes-1 {
			if c&0x80 != 0 {
				return 0, r.errorf("integer representation too long")
			}
			if c>>(bits-uint(7*i)) != 0 {
				return 0, r.errorf("integer too large")
			}
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			return v, nil
		}
	}
}

func (r *reader) u32() (uint32, error) {
	v, err := r.uleb(32)
	return uint32(v), err
}

func (r *reader) sleb(bits uint) (int64, error) {
	var v int64
	var shift uint
	for {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		if shift < 64 {
			v |= int64(c&0x7f) << shift
		}
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v, nil
		}
		if shift >= (bits+6)/7*7 {
			return 0, r.errorf("integer representation too long")
		}
	}
}

func (r *reader) name() (string, error) {
	n, err := r.u32()
	if err != nil {
		return "", err
	}
	b, err := r.bytes(int(n))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// valType reads a value type: a number, vector or reference type byte, or
// (function references) ref/ref null and a heap type.
func (r *reader) valType() error {
	c, err := r.byte()
	if err != nil {
		return err
	}
	switch c {
	case 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f, 0x69, 0x6e, 0x6d, 0x6c, 0x6b, 0x6a, 0x71, 0x72, 0x73, 0x74:
		return nil
	case 0x63, 0x64:
		return r.heapType()
	}
	return r.errorf("unknown value type 0x%02x", c)
}

// heapType reads a heap type (a type index or an abstract type), as s33.
func (r *reader) heapType() error {
	_, err := r.sleb(33)
	return err
}

// blockType reads a block type: empty, a value type, or a type index (s33).
func (r *reader) blockType() error {
	c, err := r.peek()
	if err != nil {
		return err
	}
	if c == 0x40 {
		r.pos++
		return nil
	}
	if c&0x80 == 0 && c&0x40 != 0 { // a negative single byte: a value type
		return r.valType()
	}
	v, err := r.sleb(33)
	if err != nil {
		return err
	}
	if v < 0 {
		return r.errorf("invalid block type %d", v)
	}
	return nil
}

// blockParams reads a block type and returns how many parameters it takes
// (typeParams has the parameter count of each function type).
func (r *reader) blockParams(typeParams []uint32) (uint32, error) {
	c, err := r.peek()
	if err != nil {
		return 0, err
	}
	if c == 0x40 || (c&0x80 == 0 && c&0x40 != 0) {
		return 0, r.blockType()
	}
	v, err := r.sleb(33)
	if err != nil {
		return 0, err
	}
	if v < 0 || v >= int64(len(typeParams)) {
		return 0, r.errorf("invalid block type %d", v)
	}
	return typeParams[v], nil
}

func (r *reader) limits() error {
	flags, err := r.byte()
	if err != nil {
		return err
	}
	if flags > 7 {
		return r.errorf("unknown limits flags 0x%02x", flags)
	}
	if _, err := r.uleb(64); err != nil {
		return err
	}
	if flags&1 != 0 {
		if _, err := r.uleb(64); err != nil {
			return err
		}
	}
	return nil
}

func (r *reader) tableType() error {
	if err := r.valType(); err != nil {
		return err
	}
	return r.limits()
}

func (r *reader) memarg() error {
	align, err := r.u32()
	if err != nil {
		return err
	}
	if align&0x40 != 0 { // multi-memory: a memory index follows
		if _, err := r.u32(); err != nil {
			return err
		}
	}
	_, err = r.uleb(64)
	return err
}

func (r *reader) u32s(n int) error {
	for i := 0; i < n; i++ {
		if _, err := r.u32(); err != nil {
			return err
		}
	}
	return nil
}

// immediates skips the immediates of opcode op (read already). Opcodes the
// rewriter changes (call, return_call, ref.func, loop) are handled by the
// caller.
func (r *reader) immediates(op byte) error {
	switch {
	case op == 0x00 || op == 0x01 || op == 0x05 || op == 0x0f || op == 0x1a || op == 0x1b ||
		op == 0x0a || op == 0x19 || (op >= 0x45 && op <= 0xc4) || op == 0xd1 || op == 0xd3 || op == 0xd4:
		return nil
	case op == 0x02 || op == 0x04 || op == 0x06: // block, if, try
		return r.blockType()
	case op == 0x0c || op == 0x0d || op == 0x07 || op == 0x08 || op == 0x09 || op == 0x18 ||
		op == 0xd5 || op == 0xd6 || op == 0x14 || op == 0x15: // br, br_if, catch, throw, rethrow, delegate, br_on_(non_)null, call_ref
		_, err := r.u32()
		return err
	case op == 0x0e: // br_table
		n, err := r.u32()
		if err != nil {
			return err
		}
		if int(n) > r.remaining() {
			return r.errorf("br_table: %d labels, more than the bytes left", n)
		}
		return r.u32s(int(n) + 1)
	case op == 0x11 || op == 0x13: // call_indirect, return_call_indirect
		return r.u32s(2)
	case op == 0x1c: // select t*
		n, err := r.u32()
		if err != nil {
			return err
		}
		if int(n) > r.remaining() {
			return r.errorf("select: %d types, more than the bytes left", n)
		}
		for i := uint32(0); i < n; i++ {
			if err := r.valType(); err != nil {
				return err
			}
		}
		return nil
	case op == 0x1f: // try_table bt vec(catch)
		if err := r.blockType(); err != nil {
			return err
		}
		n, err := r.u32()
		if err != nil {
			return err
		}
		if int(n) > r.remaining() {
			return r.errorf("try_table: %d catches, more than the bytes left", n)
		}
		for i := uint32(0); i < n; i++ {
			k, err := r.byte()
			if err != nil {
				return err
			}
			switch k {
			case 0, 1:
				err = r.u32s(2)
			case 2, 3:
				err = r.u32s(1)
			default:
				return r.errorf("unknown catch kind %d", k)
			}
			if err != nil {
				return err
			}
		}
		return nil
	case op >= 0x20 && op <= 0x26: // local.*, global.*, table.get/set
		_, err := r.u32()
		return err
	case op >= 0x28 && op <= 0x3e: // loads and stores
		return r.memarg()
	case op == 0x3f || op == 0x40: // memory.size, memory.grow
		_, err := r.u32()
		return err
	case op == 0x41:
		_, err := r.sleb(32)
		return err
	case op == 0x42:
		_, err := r.sleb(64)
		return err
	case op == 0x43:
		return r.skip(4)
	case op == 0x44:
		return r.skip(8)
	case op == 0xd0: // ref.null
		return r.heapType()
	case op == 0xfc:
		return r.prefixFC()
	case op == 0xfd:
		return r.prefixFD()
	case op == 0xfe:
		return r.prefixFE()
	}
	return r.errorf("unknown opcode 0x%02x", op)
}

func (r *reader) prefixFC() error {
	sub, err := r.u32()
	if err != nil {
		return err
	}
	switch {
	case sub <= 7: // saturating truncations
		return nil
	case sub == 8 || sub == 10 || sub == 12 || sub == 14: // memory.init, memory.copy, table.init, table.copy
		return r.u32s(2)
	case sub == 9 || sub == 11 || sub == 13 || (sub >= 15 && sub <= 17): // data.drop, memory.fill, elem.drop, table.grow/size/fill
		return r.u32s(1)
	}
	return r.errorf("unknown opcode 0xfc %d", sub)
}

func (r *reader) prefixFD() error {
	sub, err := r.u32()
	if err != nil {
		return err
	}
	switch {
	case sub <= 11 || sub == 92 || sub == 93: // loads, store, load_zero
		return r.memarg()
	case sub == 12 || sub == 13: // v128.const, i8x16.shuffle
		return r.skip(16)
	case sub >= 21 && sub <= 34: // extract/replace lane
		return r.skip(1)
	case sub >= 84 && sub <= 91: // load/store lane
		if err := r.memarg(); err != nil {
			return err
		}
		return r.skip(1)
	case sub <= 0x113: // every other SIMD and relaxed SIMD opcode has no immediate
		return nil
	}
	return r.errorf("unknown opcode 0xfd %d", sub)
}

func (r *reader) prefixFE() error {
	sub, err := r.u32()
	if err != nil {
		return err
	}
	switch {
	case sub == 3: // atomic.fence
		return r.skip(1)
	case sub <= 2 || (sub >= 0x10 && sub <= 0x4e):
		return r.memarg()
	}
	return r.errorf("unknown opcode 0xfe %d", sub)
}

// appendU32 appends v as unsigned LEB128.
func appendU32(o []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			o = append(o, c|0x80)
			continue
		}
		return append(o, c)
	}
}

// appendS64 appends v as signed LEB128.
func appendS64(o []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(o, c)
		}
		o = append(o, c|0x80)
	}
}

func appendName(o []byte, s string) []byte {
	o = appendU32(o, uint32(len(s)))
	return append(o, s...)
}
