//go:build !wasmhive_bulk || !wasip1

package pdk

import "encoding/binary"

// The default copy path speaks only the standard Extism ABI, which moves at
// most 8 bytes per host call. Whole words go through the u64 calls; a tail of
// 1-7 bytes costs one more u64 call that overlaps the previous word (when the
// block holds at least 8 bytes), so no copy ever needs a per-byte loop except
// for blocks shorter than 8 bytes.

// readInput fills dst with the call's input, starting at input byte 0.
func readInput(dst []byte) {
	n := len(dst)
	if n < 8 {
		for i := range n {
			dst[i] = byte(extismInputLoadU8(uint64(i)))
		}
		return
	}
	i := 0
	// Four words per iteration: fewer loop back-edges, which hosts that
	// check for interruption at every loop header make expensive.
	for ; i+32 <= n; i += 32 {
		w := dst[i : i+32 : i+32]
		binary.LittleEndian.PutUint64(w[0:], extismInputLoadU64(uint64(i)))
		binary.LittleEndian.PutUint64(w[8:], extismInputLoadU64(uint64(i+8)))
		binary.LittleEndian.PutUint64(w[16:], extismInputLoadU64(uint64(i+16)))
		binary.LittleEndian.PutUint64(w[24:], extismInputLoadU64(uint64(i+24)))
	}
	for ; i+8 <= n; i += 8 {
		binary.LittleEndian.PutUint64(dst[i:], extismInputLoadU64(uint64(i)))
	}
	if i < n {
		binary.LittleEndian.PutUint64(dst[n-8:], extismInputLoadU64(uint64(n-8)))
	}
}

// load fills dst from host memory starting at offset.
func load(offset uint64, dst []byte) {
	n := len(dst)
	if n < 8 {
		for i := range n {
			dst[i] = byte(extismLoadU8(offset + uint64(i)))
		}
		return
	}
	i := 0
	for ; i+32 <= n; i += 32 {
		w, o := dst[i:i+32:i+32], offset+uint64(i)
		binary.LittleEndian.PutUint64(w[0:], extismLoadU64(o))
		binary.LittleEndian.PutUint64(w[8:], extismLoadU64(o+8))
		binary.LittleEndian.PutUint64(w[16:], extismLoadU64(o+16))
		binary.LittleEndian.PutUint64(w[24:], extismLoadU64(o+24))
	}
	for ; i+8 <= n; i += 8 {
		binary.LittleEndian.PutUint64(dst[i:], extismLoadU64(offset+uint64(i)))
	}
	if i < n {
		binary.LittleEndian.PutUint64(dst[n-8:], extismLoadU64(offset+uint64(n-8)))
	}
}

// store copies src into host memory starting at offset.
func store(offset uint64, src []byte) {
	n := len(src)
	if n < 8 {
		for i := range n {
			extismStoreU8(offset+uint64(i), uint32(src[i]))
		}
		return
	}
	i := 0
	for ; i+32 <= n; i += 32 {
		w, o := src[i:i+32:i+32], offset+uint64(i)
		extismStoreU64(o, binary.LittleEndian.Uint64(w[0:]))
		extismStoreU64(o+8, binary.LittleEndian.Uint64(w[8:]))
		extismStoreU64(o+16, binary.LittleEndian.Uint64(w[16:]))
		extismStoreU64(o+24, binary.LittleEndian.Uint64(w[24:]))
	}
	for ; i+8 <= n; i += 8 {
		extismStoreU64(offset+uint64(i), binary.LittleEndian.Uint64(src[i:]))
	}
	if i < n {
		extismStoreU64(offset+uint64(n-8), binary.LittleEndian.Uint64(src[n-8:]))
	}
}

// setOutput makes a copy of b the call's output.
func setOutput(b []byte) {
	m := AllocateBytes(b)
	extismOutputSet(m.offset, m.length)
}

// Bulk reports whether this build copies data through wasmhive's bulk-copy
// imports (-tags wasmhive_bulk); such a plugin runs only on wasmhive.
const Bulk = false
