// Package capwire is the byte layout of wasmhive's capability ABI
// (docs/capabilities.md): the reply block every capability function returns,
// and the length-prefixed items and lists its parameters and payloads are
// made of. It has no dependencies, so the host (package capability) and the
// Go guest SDK (package pdk) share it.
package capwire

import (
	"encoding/binary"
	"errors"
	"math"
)

// Reply statuses: the first byte of every reply block.
const (
	StatusOK    byte = 0 // the payload follows
	StatusNone  byte = 1 // no value (an absent key, an unset config value)
	StatusError byte = 2 // a UTF-8 error message follows
)

// ErrMalformed is returned for bytes that do not follow the layout.
var ErrMalformed = errors.New("malformed capability data")

// OK returns a reply block carrying payload.
func OK(payload []byte) []byte { return append([]byte{StatusOK}, payload...) }

// None returns the reply block for "no value".
func None() []byte { return []byte{StatusNone} }

// Error returns a reply block carrying msg.
func Error(msg string) []byte { return append([]byte{StatusError}, msg...) }

// ParseReply splits a reply block into its status and payload (the message,
// for StatusError).
func ParseReply(b []byte) (status byte, payload []byte, err error) {
	if len(b) == 0 || b[0] > StatusError {
		return 0, nil, ErrMalformed
	}
	return b[0], b[1:], nil
}

// AppendU32 appends v, little-endian.
func AppendU32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }

// AppendI64 appends v, little-endian.
func AppendI64(b []byte, v int64) []byte { return binary.LittleEndian.AppendUint64(b, uint64(v)) }

// AppendBytes appends an item: its length (u32) then its bytes.
func AppendBytes(b, item []byte) []byte {
	b = AppendU32(b, uint32(len(item)))
	return append(b, item...)
}

// AppendString is AppendBytes for a string.
func AppendString(b []byte, s string) []byte {
	b = AppendU32(b, uint32(len(s)))
	return append(b, s...)
}

// AppendList appends a list of items: the count (u32), then each item.
func AppendList(b []byte, items [][]byte) []byte {
	b = AppendU32(b, uint32(len(items)))
	for _, it := range items {
		b = AppendBytes(b, it)
	}
	return b
}

// Reader reads items from a block; the first failure sticks (check Err).
type Reader struct {
	b   []byte
	err error
}

// NewReader returns a Reader of b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// Err returns the first read failure, or nil.
func (r *Reader) Err() error { return r.err }

// Rest returns the unread bytes.
func (r *Reader) Rest() []byte { return r.b }

// Len returns how many bytes are left.
func (r *Reader) Len() int { return len(r.b) }

// U32 reads a little-endian u32.
func (r *Reader) U32() uint32 {
	if r.err != nil || len(r.b) < 4 {
		r.fail()
		return 0
	}
	v := binary.LittleEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v
}

// I64 reads a little-endian i64.
func (r *Reader) I64() int64 {
	if r.err != nil || len(r.b) < 8 {
		r.fail()
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b)
	r.b = r.b[8:]
	return int64(v)
}

// Byte reads one byte.
func (r *Reader) Byte() byte {
	if r.err != nil || len(r.b) < 1 {
		r.fail()
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

// Bytes reads an item (aliasing the block).
func (r *Reader) Bytes() []byte {
	n := r.U32()
	if r.err != nil || uint64(n) > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// String reads an item as a string.
func (r *Reader) String() string { return string(r.Bytes()) }

// Count reads a list's count, checked against the bytes left (each item
// takes at least min bytes), so a hostile count cannot make the caller
// allocate.
func (r *Reader) Count(min int) int {
	n := r.U32()
	if r.err != nil {
		return 0
	}
	if min < 1 {
		min = 1
	}
	if uint64(n) > uint64(len(r.b)/min) || n > math.MaxInt32 {
		r.fail()
		return 0
	}
	return int(n)
}

// List reads a list of items.
func (r *Reader) List() [][]byte {
	n := r.Count(4)
	items := make([][]byte, 0, n)
	for i := 0; i < n && r.err == nil; i++ {
		items = append(items, r.Bytes())
	}
	return items
}

func (r *Reader) fail() {
	if r.err == nil {
		r.err = ErrMalformed
	}
	r.b = nil
}
