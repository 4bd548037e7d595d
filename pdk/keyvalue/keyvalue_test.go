package keyvalue

import (
	"errors"
	"slices"
	"testing"

	"github.com/wasmhive/wasmhive/internal/capwire"
)

func TestParseReply(t *testing.T) {
	if s, p, err := parseReply("get", []byte("\x00abc")); err != nil || s != capwire.StatusOK || string(p) != "abc" {
		t.Fatalf("OK reply: %d %q %v", s, p, err)
	}
	if s, _, err := parseReply("get", []byte{1}); err != nil || s != capwire.StatusNone {
		t.Fatalf("NONE reply: %d %v", s, err)
	}
	_, _, err := parseReply("set", []byte("\x02keyvalue set \"k\": too big"))
	var e *Error
	if !errors.As(err, &e) || e.Op != "set" || e.Error() != `keyvalue set "k": too big` {
		t.Fatalf("ERROR reply: %#v", err)
	}
	for _, bad := range [][]byte{nil, {3}, {0xff, 1}} {
		if _, _, err := parseReply("get", bad); !errors.As(err, &e) || e.Message != "keyvalue get: malformed reply from the host" {
			t.Errorf("reply %q: %v", bad, err)
		}
	}
}

func TestParseListKeys(t *testing.T) {
	p := capwire.AppendString(nil, "b")
	p = capwire.AppendList(p, [][]byte{[]byte("a"), []byte("b")})
	keys, next, err := parseListKeys(p)
	if err != nil || next != "b" || !slices.Equal(keys, []string{"a", "b"}) {
		t.Fatalf("parseListKeys = %q, %q, %v", keys, next, err)
	}
	for _, bad := range [][]byte{nil, p[:len(p)-1], append(p, 0)} {
		if _, _, err := parseListKeys(bad); err == nil {
			t.Errorf("parseListKeys(%q) accepted", bad)
		}
	}
}

func TestParseGetMany(t *testing.T) {
	p := append([]byte{1}, capwire.AppendBytes(nil, []byte("v"))...)
	p = append(p, 0)
	p = capwire.AppendBytes(p, nil)
	es, err := parseGetMany([]string{"a", "x"}, p)
	if err != nil || len(es) != 2 || !es[0].Found || string(es[0].Value) != "v" || es[1].Found || es[1].Value != nil {
		t.Fatalf("parseGetMany = %+v, %v", es, err)
	}
	for _, bad := range [][]byte{p[:len(p)-1], append(p, 9), append([]byte{2}, p[1:]...)} {
		if _, err := parseGetMany([]string{"a", "x"}, bad); err == nil {
			t.Errorf("parseGetMany(%q) accepted", bad)
		}
	}
}

func TestEncode(t *testing.T) {
	r := capwire.NewReader(encodeKeys([]string{"a", "", "ccc"}))
	if got := r.List(); r.Err() != nil || r.Len() != 0 || len(got) != 3 || string(got[2]) != "ccc" {
		t.Fatalf("encodeKeys: %q %v", got, r.Err())
	}
	r = capwire.NewReader(encodePairs([]Entry{{Key: "k", Value: []byte("v")}, {Key: "e"}}))
	if n := r.U32(); n != 2 {
		t.Fatalf("encodePairs count %d", n)
	}
	if k, v, k2, v2 := r.String(), r.String(), r.String(), r.String(); k != "k" || v != "v" || k2 != "e" || v2 != "" || r.Len() != 0 || r.Err() != nil {
		t.Fatalf("encodePairs: %q %q %q %q", k, v, k2, v2)
	}
}

// FuzzParseReplies: the reply decoders never panic, and what they accept
// re-encodes to the same bytes.
func FuzzParseReplies(f *testing.F) {
	p := capwire.AppendString(nil, "b")
	p = capwire.AppendList(p, [][]byte{[]byte("a"), []byte("b")})
	f.Add(p, uint8(2))
	f.Add([]byte{1, 1, 0, 0, 0, 'v', 0, 0, 0, 0, 0}, uint8(2))
	f.Add([]byte("\xff\xff\xff\xff"), uint8(1))
	f.Fuzz(func(t *testing.T, b []byte, n uint8) {
		if keys, next, err := parseListKeys(b); err == nil {
			items := make([][]byte, len(keys))
			for i, k := range keys {
				items[i] = []byte(k)
			}
			if again := capwire.AppendList(capwire.AppendString(nil, next), items); string(again) != string(b) {
				t.Fatalf("parseListKeys(%q) re-encodes as %q", b, again)
			}
		}
		keys := make([]string, n%8)
		if es, err := parseGetMany(keys, b); err == nil {
			var again []byte
			for _, e := range es {
				if e.Found {
					again = append(again, 1)
				} else {
					again = append(again, 0)
				}
				again = capwire.AppendBytes(again, e.Value)
			}
			if string(again) != string(b) && !hasAbsentWithValue(b, len(keys)) {
				t.Fatalf("parseGetMany(%q) re-encodes as %q", b, again)
			}
		}
		parseReply("get", b)
	})
}

// hasAbsentWithValue reports a get_many payload with an absent entry that
// carries bytes anyway (which the decoder drops).
func hasAbsentWithValue(b []byte, n int) bool {
	r := capwire.NewReader(b)
	for i := 0; i < n; i++ {
		f := r.Byte()
		if v := r.Bytes(); f == 0 && len(v) > 0 {
			return true
		}
	}
	return false
}
