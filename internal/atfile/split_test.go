package atfile

import "testing"

func TestSplit(t *testing.T) {
	for _, c := range []struct {
		in, parent, base string
		special          bool
	}{
		{"a", ".", "a", false},
		{"a/b", "a", "b", false},
		{"a/b/", "a", "b/", false},
		{"a//b", "a/", "b", false},
		{"a/..", "a", "..", true},
		{".", ".", ".", true},
		{"./", ".", "./", true},
		{"a/./", "a", "./", true},
	} {
		parent, base, special := Split(c.in)
		if parent != c.parent || base != c.base || special != c.special {
			t.Errorf("Split(%q) = %q, %q, %v; want %q, %q, %v", c.in, parent, base, special, c.parent, c.base, c.special)
		}
	}
}
