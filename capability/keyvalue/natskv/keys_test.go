package natskv

import (
	"regexp"
	"strings"
	"testing"
)

// validKey is nats.go's rule for KV keys (jetstream.keyValid).
var validKeyRe = regexp.MustCompile(`^[-/_=\.a-zA-Z0-9]+$`)

func validKey(k string) bool {
	return k != "" && k[0] != '.' && k[len(k)-1] != '.' && !strings.Contains(k, "..") && validKeyRe.MatchString(k)
}

func TestEncodeKey(t *testing.T) {
	for _, c := range [][2]string{
		{"plain-key_1/x", "plain-key_1/x"},
		{"orders.eu.42", "orders.eu.42"},
		{"user:42", "user=3A42"},
		{"a b", "a=20b"},
		{"eq=", "eq=3D"},
		{".lead", "=2Elead"},
		{"trail.", "trail=2E"},
		{"a..b", "a.=2Eb"},
		{"...", "=2E.=2E"},
		{".", "=2E"},
		{"*", "=2A"},
		{">", "=3E"},
		{"ü", "=C3=BC"},
		{"\x00", "=00"},
	} {
		got := encodeKey(c[0])
		if got != c[1] {
			t.Errorf("encodeKey(%q) = %q, want %q", c[0], got, c[1])
		}
		if !validKey(got) {
			t.Errorf("encodeKey(%q) = %q is not a valid JetStream key", c[0], got)
		}
		if k, ok := decodeKey(got); !ok || k != c[0] {
			t.Errorf("decodeKey(%q) = %q, %v; want %q", got, k, ok, c[0])
		}
	}
	// Keys other clients may write that are no encoding of ours.
	for _, foreign := range []string{"x=y", "a=3a", "=3", "=", "a=2Eb", "=41", "a=2E=2Eb"} {
		if k, ok := decodeKey(foreign); ok {
			t.Errorf("decodeKey(%q) = %q, want not ours", foreign, k)
		}
	}
}

// FuzzKeyEncoding: every key encodes to a valid JetStream key that decodes
// back to it, and decodeKey accepts only canonical encodings.
func FuzzKeyEncoding(f *testing.F) {
	for _, s := range []string{"a", "user:42", "a..b", "...", ".x.", "=", "=3A", "ü", "a.=2Eb", "x=y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if s != "" {
			e := encodeKey(s)
			if !validKey(e) {
				t.Fatalf("encodeKey(%q) = %q: not a valid JetStream key", s, e)
			}
			if k, ok := decodeKey(e); !ok || k != s {
				t.Fatalf("decodeKey(encodeKey(%q)) = %q, %v", s, k, ok)
			}
		}
		if k, ok := decodeKey(s); ok && encodeKey(k) != s {
			t.Fatalf("decodeKey(%q) = %q, which encodes to %q", s, k, encodeKey(k))
		}
	})
}
