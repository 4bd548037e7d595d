package messaging

import (
	"bytes"
	"testing"
)

func TestMessageEncoding(t *testing.T) {
	for _, m := range []Message{
		{},
		{Subject: "a", Body: []byte("body")},
		{Subject: "orders.new", Reply: "_INBOX.x.y", Body: bytes.Repeat([]byte{0, 1, 2}, 1000)},
	} {
		b := EncodeMessage(m)
		got, err := DecodeMessage(b)
		if err != nil || got.Subject != m.Subject || got.Reply != m.Reply || !bytes.Equal(got.Body, m.Body) {
			t.Fatalf("round trip of %+v = %+v, %v", m, got, err)
		}
	}
	want := []byte{1, 0, 0, 0, 's', 0, 0, 0, 0, 'b'}
	if b := EncodeMessage(Message{Subject: "s", Body: []byte("b")}); !bytes.Equal(b, want) {
		t.Fatalf("EncodeMessage = %v, want %v", b, want)
	}
	for _, b := range [][]byte{nil, {1, 0, 0}, {5, 0, 0, 0, 'a'}, {1, 0, 0, 0, 'a', 9, 0, 0, 0}} {
		if _, err := DecodeMessage(b); err == nil {
			t.Errorf("DecodeMessage(%v) succeeded", b)
		}
	}
}

func FuzzDecodeMessage(f *testing.F) {
	f.Add(EncodeMessage(Message{Subject: "orders.new", Reply: "_INBOX.1", Body: []byte("hello")}))
	f.Add(EncodeMessage(Message{}))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMessage(b)
		if err != nil {
			return
		}
		if again := EncodeMessage(m); !bytes.Equal(again, b) {
			t.Fatalf("DecodeMessage(%v) = %+v, which encodes as %v", b, m, again)
		}
	})
}
