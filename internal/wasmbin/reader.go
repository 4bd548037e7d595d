package wasmbin

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// FormatError reports bytes that are not a well-formed WebAssembly binary.
// Offset is the position, from the start of the outermost binary, of the
// first byte that could not be decoded.
//
// errors.Is(err, ErrNotWasm) is true when the input does not start with the
// WebAssembly magic number at all.
type FormatError struct {
	Offset int
	Msg    string
}

// Error formats the error with its offset; an error at offset 0 (input that
// does not start with the WebAssembly magic number) is just its message.
func (e *FormatError) Error() string {
	if e.Offset == 0 {
		return e.Msg
	}
	return fmt.Sprintf("malformed WebAssembly at byte %d (0x%x): %s", e.Offset, e.Offset, e.Msg)
}

// ErrNotWasm is matched (errors.Is) by the FormatError for input that does
// not start with the WebAssembly magic number.
var ErrNotWasm = errors.New(notWasmMsg)

const notWasmMsg = "not a WebAssembly binary (missing \\0asm magic number)"

// Is makes errors.Is(err, ErrNotWasm) true for a missing magic number.
func (e *FormatError) Is(target error) bool { return target == ErrNotWasm && e.Msg == notWasmMsg }

// reader decodes one window of a binary. base is the window's offset in the
// outermost binary, so errors carry absolute offsets.
type reader struct {
	b    []byte
	pos  int
	base int
}

func (r *reader) remaining() int { return len(r.b) - r.pos }
func (r *reader) offset() int    { return r.base + r.pos }
func (r *reader) eof() bool      { return r.pos >= len(r.b) }

func (r *reader) errorf(format string, args ...any) *FormatError {
	return &FormatError{Offset: r.offset(), Msg: fmt.Sprintf(format, args...)}
}

func (r *reader) errAt(pos int, format string, args ...any) *FormatError {
	return &FormatError{Offset: r.base + pos, Msg: fmt.Sprintf(format, args...)}
}

func (r *reader) byte() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, r.errorf("unexpected end of input")
	}
	c := r.b[r.pos]
	r.pos++
	return c, nil
}

func (r *reader) peek() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, r.errorf("unexpected end of input")
	}
	return r.b[r.pos], nil
}

// bytes returns the next n bytes (no copy).
func (r *reader) bytes(n int) ([]byte, error) {
	if n < 0 || n > r.remaining() {
		return nil, r.errorf("unexpected end of input: need %d bytes, %d left", n, r.remaining())
	}
	s := r.b[r.pos : r.pos+n]
	r.pos += n
	return s, nil
}

func (r *reader) skip(n int) error {
	_, err := r.bytes(n)
	return err
}

// uleb decodes an unsigned LEB128 of at most bits bits.
func (r *reader) uleb(bits uint) (uint64, error) {
	start := r.pos
	var v uint64
	var shift uint
	maxBytes := int((bits + 6) / 7)
	for i := 0; ; i++ {
		if i >= maxBytes {
			return 0, r.errAt(start, "integer representation too long")
		}
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		if i == maxBytes-1 {
			// The last byte may only carry the bits that remain.
			used := bits - shift
			if c&0x80 != 0 || (used < 7 && c>>used != 0) {
				return 0, r.errAt(start, "integer too large (more than %d bits)", bits)
			}
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, nil
		}
		shift += 7
	}
}

func (r *reader) u32() (uint32, error) {
	v, err := r.uleb(32)
	return uint32(v), err
}

func (r *reader) u64() (uint64, error) { return r.uleb(64) }

// sleb decodes a signed LEB128 of at most bits bits.
func (r *reader) sleb(bits uint) (int64, error) {
	start := r.pos
	var v int64
	var shift uint
	maxBytes := int((bits + 6) / 7)
	for i := 0; ; i++ {
		if i >= maxBytes {
			return 0, r.errAt(start, "integer representation too long")
		}
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		if i == maxBytes-1 {
			// Unused high bits of the last byte must all equal the sign bit.
			used := bits - shift // bits carried by this byte, sign included
			if c&0x80 != 0 {
				return 0, r.errAt(start, "integer representation too long")
			}
			if used < 7 {
				rest := int8(c<<1) >> used // the sign bit and the unused bits above it, sign-extended
				if rest != 0 && rest != -1 {
					return 0, r.errAt(start, "integer too large (more than %d bits)", bits)
				}
			}
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v, nil
		}
	}
}

// count reads a vector length and checks that at least minSize bytes per
// element remain, so a hostile length cannot make callers allocate.
func (r *reader) count(what string, minSize int) (int, error) {
	start := r.pos
	n, err := r.u32()
	if err != nil {
		return 0, err
	}
	if minSize > 0 && uint64(n)*uint64(minSize) > uint64(r.remaining()) {
		return 0, r.errAt(start, "%s count %d is larger than the %d bytes that remain", what, n, r.remaining())
	}
	return int(n), nil
}

// name reads a length-prefixed UTF-8 string.
func (r *reader) name() (string, error) {
	start := r.pos
	n, err := r.u32()
	if err != nil {
		return "", err
	}
	if uint64(n) > uint64(r.remaining()) {
		return "", r.errAt(start, "name of %d bytes is longer than the %d bytes that remain", n, r.remaining())
	}
	b, _ := r.bytes(int(n))
	if !utf8.Valid(b) {
		return "", r.errAt(start, "name is not valid UTF-8")
	}
	return string(b), nil
}

// sub returns a reader over the next n bytes and advances past them.
func (r *reader) sub(n int) (*reader, error) {
	start := r.pos
	b, err := r.bytes(n)
	if err != nil {
		return nil, err
	}
	return &reader{b: b, base: r.base + start}, nil
}

// section reads a section's id and size and returns where it starts and a
// reader over its contents; name names section ids in errors.
func (r *reader) section(name func(byte) string) (id byte, start int, sr *reader, err error) {
	start = r.pos
	id, _ = r.byte()
	size, err := r.u32()
	if err != nil {
		return 0, 0, nil, err
	}
	if int64(size) > int64(r.remaining()) {
		return 0, 0, nil, r.errAt(start+1, "section %s of %d bytes runs past the end of the binary (%d bytes remain)", name(id), size, r.remaining())
	}
	sr, _ = r.sub(int(size))
	return id, start, sr, nil
}
