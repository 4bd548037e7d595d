package component

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// checkDecode decodes b and checks the contract: no panic, errors are one
// line *Error values, and success is deterministic.
func checkDecode(t testing.TB, b []byte) (*Component, error) {
	c, err := Decode(b)
	if err != nil {
		var ce *Error
		if !errors.As(err, &ce) {
			t.Fatalf("error %v is a %T, not a *Error", err, err)
		}
		if strings.ContainsAny(err.Error(), "\n\r") {
			t.Fatalf("error spans lines: %q", err)
		}
		if ce.Offset < 0 || ce.Offset > len(b) {
			t.Fatalf("error offset %d outside the %d-byte input: %v", ce.Offset, len(b), err)
		}
		return nil, err
	}
	if c.Size != len(b) {
		t.Fatalf("Size = %d, want %d", c.Size, len(b))
	}
	return c, nil
}

func FuzzDecode(f *testing.F) {
	f.Add(validAdd())
	f.Add(comp())
	for _, b := range corpus(f) {
		if len(b) < 4096 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkDecode(t, b)
	})
}

// mutations returns n deterministic mutations of b: flipped, replaced,
// inserted and deleted bytes, and truncations.
func mutations(b []byte, n int, seed uint64) [][]byte {
	return mutationsIn(b, [][2]int{{8, len(b)}}, n, seed)
}

// componentRanges are the byte ranges of b's top-level sections other than
// core modules: mutations there exercise this package's own rules.
func componentRanges(t testing.TB, b []byte) [][2]int {
	c, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	var rs [][2]int
	for _, s := range c.Sections {
		if s.ID != SectionCoreModule && s.ID != SectionCustom {
			rs = append(rs, [2]int{s.Offset, s.Offset + 1 + s.Size})
		}
	}
	return rs
}

// mutationsIn mutates bytes at positions inside ranges.
func mutationsIn(b []byte, ranges [][2]int, n int, seed uint64) [][]byte {
	rng := rand.New(rand.NewPCG(seed, 0x636f6d70))
	var out [][]byte
	for range n {
		m := append([]byte(nil), b...)
		r := ranges[rng.IntN(len(ranges))]
		i := r[0] + rng.IntN(r[1]-r[0])
		if i >= len(m) {
			i = len(m) - 1
		}
		switch rng.IntN(5) {
		case 0:
			m[i] ^= 1 << rng.IntN(8)
		case 1:
			m[i] = byte(rng.IntN(256))
		case 2:
			m = append(m[:i], append([]byte{byte(rng.IntN(256))}, m[i:]...)...)
		case 3:
			m = append(m[:i], m[i+1:]...)
		case 4:
			m = m[:i]
		}
		out = append(out, m)
	}
	return out
}

// TestMutations decodes mutations of every committed component: the
// decoder must hold its contract on all of them, and reject some.
func TestMutations(t *testing.T) {
	for name, b := range corpus(t) {
		rejected := 0
		muts := mutations(b, 300, uint64(len(b)))
		for _, m := range muts {
			if _, err := checkDecode(t, m); err != nil {
				rejected++
			}
		}
		if rejected == 0 {
			t.Errorf("%s: all %d mutations decoded", name, len(muts))
		}
		t.Logf("%s: %d of %d mutations rejected", name, rejected, len(muts))
	}
}
