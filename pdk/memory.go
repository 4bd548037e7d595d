package pdk

import (
	"encoding/binary"
	"unsafe"
)

// Memory is a block of host-managed memory: the unit the Extism ABI uses to
// pass data between a plugin and its host. Offset 0 means "no block".
type Memory struct {
	offset uint64
	length uint64
}

// Allocate reserves n bytes of host memory. It returns the zero Memory when n
// is 0; a host that cannot allocate returns offset 0 as well.
func Allocate(n int) Memory {
	if n <= 0 {
		return Memory{}
	}
	return Memory{offset: extismAlloc(uint64(n)), length: uint64(n)}
}

// AllocateBytes allocates a block of host memory holding a copy of b.
func AllocateBytes(b []byte) Memory {
	m := Allocate(len(b))
	if m.offset != 0 {
		store(m.offset, b)
	}
	return m
}

// AllocateString allocates a block of host memory holding a copy of s.
func AllocateString(s string) Memory {
	return AllocateBytes(stringBytes(s))
}

// stringBytes returns s's bytes without copying; callers only read them.
func stringBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// FindMemory returns the block at offset (for example one a host function
// returned), or the zero Memory when offset is not the start of a live block.
func FindMemory(offset uint64) Memory {
	if offset == 0 {
		return Memory{}
	}
	n := extismLength(offset)
	if n == 0 {
		return Memory{}
	}
	return Memory{offset: offset, length: n}
}

// Offset returns the block's offset in host memory (0 for no block).
func (m Memory) Offset() uint64 { return m.offset }

// Length returns the block's size in bytes.
func (m Memory) Length() uint64 { return m.length }

// Load copies the block's first len(dst) bytes into dst; dst must not be
// longer than the block.
func (m Memory) Load(dst []byte) {
	if uint64(len(dst)) > m.length {
		panic("pdk: Memory.Load past the end of the block")
	}
	if len(dst) > 0 {
		load(m.offset, dst)
	}
}

// Store copies src to the start of the block; src must fit in the block.
func (m Memory) Store(src []byte) {
	if uint64(len(src)) > m.length {
		panic("pdk: Memory.Store past the end of the block")
	}
	if len(src) > 0 {
		store(m.offset, src)
	}
}

// Bytes returns a copy of the block's contents.
func (m Memory) Bytes() []byte {
	b := make([]byte, m.length)
	m.Load(b)
	return b
}

// Free returns the block to the host. Freeing the zero Memory is a no-op.
func (m Memory) Free() {
	if m.offset != 0 {
		extismFree(m.offset)
	}
}

// ParamBytes returns a copy of the block at offset, as passed by a host
// function that returns a memory offset; nil when there is no such block.
func ParamBytes(offset uint64) []byte {
	m := FindMemory(offset)
	if m.length == 0 {
		return nil
	}
	return m.Bytes()
}

// ParamString is ParamBytes as a string.
func ParamString(offset uint64) string { return string(ParamBytes(offset)) }

// ParamU64 decodes the little-endian uint64 in the block at offset (0 when the
// block is shorter than 8 bytes).
func ParamU64(offset uint64) uint64 {
	b := ParamBytes(offset)
	if len(b) < 8 {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

// ResultBytes copies b into a new block and returns its offset, for passing
// data to a host function that takes a memory offset. The receiver owns the
// block.
func ResultBytes(b []byte) uint64 { return AllocateBytes(b).offset }

// ResultString is ResultBytes for a string.
func ResultString(s string) uint64 { return AllocateString(s).offset }

// ResultU64 stores v little-endian in a new 8-byte block and returns its offset.
func ResultU64(v uint64) uint64 {
	return ResultBytes(binary.LittleEndian.AppendUint64(nil, v))
}
