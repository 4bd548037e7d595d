// Package counter is the one definition of a keyvalue counter that every
// provider shares: a value is an integer when it is the canonical decimal
// text of an int64 (what strconv.FormatInt writes, and what Redis' INCRBY
// accepts: no sign but '-', no leading zeros, no spaces, no "-0").
package counter

import (
	"math/bits"
	"strconv"

	"github.com/wasmhive/wasmhive/capability/keyvalue"
)

// Parse returns the integer b holds, or keyvalue.ErrNotInteger.
func Parse(b []byte) (int64, error) {
	if len(b) == 0 || len(b) > 20 {
		return 0, keyvalue.ErrNotInteger
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, keyvalue.ErrNotInteger
	}
	// Canonical form only: ParseInt accepts "+1", "007" and "-0".
	var buf [20]byte
	if string(strconv.AppendInt(buf[:0], n, 10)) != string(b) {
		return 0, keyvalue.ErrNotInteger
	}
	return n, nil
}

// Add returns v+delta, or keyvalue.ErrOverflow when it does not fit an int64.
func Add(v, delta int64) (int64, error) {
	s, _ := bits.Add64(uint64(v), uint64(delta), 0)
	r := int64(s)
	// Signed overflow: both operands have the same sign and the result's differs.
	if (v >= 0) == (delta >= 0) && (r >= 0) != (v >= 0) {
		return 0, keyvalue.ErrOverflow
	}
	return r, nil
}

// Apply adds delta to the counter stored as old (nil or absent: 0) and
// returns the new value and its text.
func Apply(old []byte, found bool, delta int64) (int64, []byte, error) {
	var v int64
	if found {
		var err error
		if v, err = Parse(old); err != nil {
			return 0, nil, err
		}
	}
	n, err := Add(v, delta)
	if err != nil {
		return 0, nil, err
	}
	return n, strconv.AppendInt(nil, n, 10), nil
}
