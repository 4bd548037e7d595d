package natskv

import "strings"

// JetStream KV keys are NATS subject tokens: only [-/_=.a-zA-Z0-9], no
// leading or trailing '.', no "..". A keyvalue key is any byte string, so
// natskv stores key k under encodeKey(k):
//
//   - ASCII letters, digits, '-', '/' and '_' stand for themselves;
//   - '.' stands for itself where the result stays a valid key (not first,
//     not last, not right after another literal '.'), so dotted keys such
//     as "orders.eu.42" keep their NATS meaning for other NATS clients;
//   - every other byte, '=' included, is '=' and two upper-case hex
//     digits: "user:42" is stored as "user=3A42", "a b" as "a=20b".
//
// The mapping is one-to-one; keys of the bucket that are not the encoding
// of any key (written by another client, e.g. "x=y" or "a=3a") are ignored
// by ListKeys and cannot be reached through natskv.

const hexDigits = "0123456789ABCDEF"

func plain(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '/' || c == '_'
}

// encodeKey returns the JetStream key that stores k (see above).
func encodeKey(k string) string {
	n := 0
	for i := 0; i < len(k); i++ {
		if !plain(k[i]) {
			n++
		}
	}
	if n == 0 {
		return k
	}
	var b strings.Builder
	b.Grow(len(k) + 2*n)
	last := byte(0) // the last byte written
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case plain(c):
			b.WriteByte(c)
			last = c
		case c == '.' && b.Len() > 0 && last != '.' && i < len(k)-1:
			b.WriteByte('.')
			last = '.'
		default:
			b.WriteByte('=')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
			last = hexDigits[c&15]
		}
	}
	return b.String()
}

// decodeKey returns the key that s stores, and false when s is not the
// encoding of a key (then it was not written by natskv).
func decodeKey(s string) (string, bool) {
	if !strings.Contains(s, "=") {
		if encodeKey(s) != s {
			return "", false
		}
		return s, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '=' {
			b = append(b, c)
			continue
		}
		if i+2 >= len(s) {
			return "", false
		}
		hi, lo := unhex(s[i+1]), unhex(s[i+2])
		if hi < 0 || lo < 0 {
			return "", false
		}
		b = append(b, byte(hi<<4|lo))
		i += 2
	}
	k := string(b)
	if encodeKey(k) != s { // only the canonical spelling is ours
		return "", false
	}
	return k, true
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}
