package pdk

import (
	"encoding/json"
	"fmt"
	"slices"
)

// Input returns a copy of the call's input.
func Input() []byte {
	n := extismInputLength()
	if n == 0 {
		return []byte{}
	}
	b := make([]byte, n)
	readInput(b)
	return b
}

// AppendInput appends the call's input to dst and returns the extended
// slice. Reusing one buffer across calls (buf = pdk.AppendInput(buf[:0]))
// saves allocating and garbage-collecting a new slice per call, which
// matters for large inputs.
func AppendInput(dst []byte) []byte {
	n := int(extismInputLength())
	if n == 0 {
		return dst
	}
	dst = slices.Grow(dst, n)
	b := dst[len(dst) : len(dst)+n]
	readInput(b)
	return dst[:len(dst)+n]
}

// InputString returns the call's input as a string.
func InputString() string { return string(Input()) }

// InputJSON decodes the call's input as JSON into v.
func InputJSON(v any) error {
	if err := json.Unmarshal(Input(), v); err != nil {
		return fmt.Errorf("decode input: %w", err)
	}
	return nil
}

// Output sets the call's output to a copy of b. The last call wins.
func Output(b []byte) { setOutput(b) }

// OutputString sets the call's output to s.
func OutputString(s string) { setOutput(stringBytes(s)) }

// OutputJSON sets the call's output to the JSON encoding of v.
func OutputJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode output: %w", err)
	}
	Output(b)
	return nil
}

// SetError records err's message as the call's error. The host reports it to
// its caller when the export returns non-zero; Return does both.
func SetError(err error) {
	if err == nil {
		return
	}
	SetErrorString(err.Error())
}

// SetErrorString records msg as the call's error message.
func SetErrorString(msg string) {
	if msg == "" {
		msg = "error"
	}
	// The host keeps the block as the error: it must not be freed.
	extismErrorSet(AllocateString(msg).offset)
}

// Return is the usual last line of an export: it returns 0 when err is nil,
// and otherwise records err with SetError and returns 1.
//
//	//go:wasmexport greet
//	func greet() int32 { return pdk.Return(doGreet()) }
func Return(err error) int32 {
	if err == nil {
		return 0
	}
	SetError(err)
	return 1
}

// GetConfig returns the host-supplied configuration value for key and whether
// it is set. Extism hosts do not distinguish an empty value from a missing
// key: both report false.
func GetConfig(key string) (string, bool) {
	k := AllocateString(key)
	off := extismConfigGet(k.offset)
	v, ok := takeBlock(off, k)
	return string(v), ok
}

// takeBlock reads and frees the block at off that a host function returned
// in exchange for the argument block arg, then frees arg. Some hosts free the
// argument themselves and may hand the same offset back for the result, so
// arg is freed only after the result is read, and only when it is not the
// result (freeing a free block is a no-op on Extism hosts). It reports false
// when off is 0 or not a live block.
func takeBlock(off uint64, arg Memory) ([]byte, bool) {
	if off == 0 {
		arg.Free()
		return nil, false
	}
	// length_unsafe: the block was just returned by the host, so it is live;
	// Extism's kernel answers it without walking its block list.
	m := Memory{offset: off, length: extismLengthUnsafe(off)}
	v := m.Bytes()
	if off != arg.offset {
		arg.Free()
	}
	m.Free()
	return v, m.length != 0
}

// GetVar returns the plugin variable key, or nil when it is not set. Variables
// live in the host and survive from one call to the next on the same plugin.
func GetVar(key string) []byte {
	k := AllocateString(key)
	v, ok := takeBlock(extismVarGet(k.offset), k)
	if !ok || len(v) == 0 {
		return nil
	}
	return v
}

// SetVar sets the plugin variable key to a copy of value. An empty value
// removes the variable (Extism hosts cannot store an empty block).
func SetVar(key string, value []byte) {
	if len(value) == 0 {
		RemoveVar(key)
		return
	}
	k := AllocateString(key)
	v := AllocateBytes(value)
	extismVarSet(k.offset, v.offset)
	k.Free() // a no-op when the host already freed it
}

// RemoveVar removes the plugin variable key.
func RemoveVar(key string) {
	k := AllocateString(key)
	extismVarSet(k.offset, 0)
	k.Free()
}

// GetVarInt returns the variable key decoded as a little-endian int64 (the
// encoding Extism's PDKs use), or 0 when it is unset or not 8 bytes long.
func GetVarInt(key string) int64 {
	k := AllocateString(key)
	off := extismVarGet(k.offset)
	var v int64
	if off != 0 && extismLengthUnsafe(off) == 8 {
		v = int64(extismLoadU64(off)) // one host call, no allocation
	}
	if off != k.offset {
		k.Free()
	}
	if off != 0 {
		extismFree(off)
	}
	return v
}

// SetVarInt stores v as the variable key, little-endian, 8 bytes.
func SetVarInt(key string, v int64) {
	k := AllocateString(key)
	m := Allocate(8)
	extismStoreU64(m.offset, uint64(v))
	extismVarSet(k.offset, m.offset)
	k.Free() // a no-op when the host already freed it
}
