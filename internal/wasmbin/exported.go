package wasmbin

// Reader exposes the binary reader (LEB128, names, core types) to decoders
// of formats layered on WebAssembly, such as the component package. Errors
// are *FormatError with offsets from the start of the outermost binary.
type Reader struct{ r reader }

// NewReader reads b, whose first byte is at offset base of the outermost binary.
func NewReader(b []byte, base int) *Reader { return &Reader{r: reader{b: b, base: base}} }

// Offset is the absolute offset of the next byte.
func (r *Reader) Offset() int { return r.r.offset() }

// EOF reports whether every byte has been read.
func (r *Reader) EOF() bool { return r.r.eof() }

// Remaining is how many bytes are left.
func (r *Reader) Remaining() int { return r.r.remaining() }

// Byte reads one byte.
func (r *Reader) Byte() (byte, error) { return r.r.byte() }

// Peek returns the next byte without consuming it.
func (r *Reader) Peek() (byte, error) { return r.r.peek() }

// Bytes reads the next n bytes (not copied).
func (r *Reader) Bytes(n int) ([]byte, error) { return r.r.bytes(n) }

// U32 reads an unsigned 32-bit LEB128.
func (r *Reader) U32() (uint32, error) { return r.r.u32() }

// Count reads a vector length, checking that minSize bytes per element remain.
func (r *Reader) Count(what string, minSize int) (int, error) { return r.r.count(what, minSize) }

// Name reads a length-prefixed UTF-8 string.
func (r *Reader) Name() (string, error) { return r.r.name() }

// Sub returns a reader over the next n bytes and advances past them.
func (r *Reader) Sub(n int) (*Reader, error) {
	s, err := r.r.sub(n)
	if err != nil {
		return nil, err
	}
	return &Reader{r: *s}, nil
}

// ValType reads a core value type.
func (r *Reader) ValType() (ValType, error) { return readValType(&r.r) }

// CompType reads a core composite type (func, struct or array) after its form byte is peeked.
func (r *Reader) CompType() (TypeDef, error) { return readCompType(&r.r) }

// Table reads a core table type.
func (r *Reader) Table() (Table, error) { return readTable(&r.r) }

// Memory reads a core memory type.
func (r *Reader) Memory() (Memory, error) { return readMemory(&r.r) }

// GlobalType reads a core global type.
func (r *Reader) GlobalType() (GlobalType, error) { return readGlobalType(&r.r) }

// Tag reads a core tag type (attribute and type index).
func (r *Reader) Tag() (uint32, error) { return readTag(&r.r) }

// ParseModuleAt decodes a core module whose first byte is at offset base of
// the outermost binary (a module nested in a component).
func ParseModuleAt(b []byte, base int) (*Module, error) { return parseModule(b, base) }

// S33 reads a signed 33-bit LEB128 (component value types and core heap types).
func (r *Reader) S33() (int64, error) { return r.r.sleb(33) }
