package messaging_test

import (
	"errors"
	"fmt"
	"testing"

	hostmsg "github.com/wasmhive/wasmhive/capability/messaging"
	"github.com/wasmhive/wasmhive/pdk/messaging"
)

// TestDecodeHostEncoding checks the guest decodes what the host encodes.
func TestDecodeHostEncoding(t *testing.T) {
	for _, m := range []hostmsg.Message{{}, {Subject: "a.b", Reply: "_INBOX.x", Body: []byte("body")}, {Subject: "s", Body: make([]byte, 70000)}} {
		got, err := messaging.DecodeMessage(hostmsg.EncodeMessage(m))
		if err != nil || got.Subject != m.Subject || got.Reply != m.Reply || len(got.Body) != len(m.Body) {
			t.Fatalf("DecodeMessage(EncodeMessage(%q)) = %+v, %v", m.Subject, got, err)
		}
	}
	if _, err := messaging.DecodeMessage([]byte{9, 0, 0, 0}); err == nil {
		t.Fatal("DecodeMessage of a truncated input succeeded")
	}
}

// TestErrorKinds checks that the host's messages map to the typed errors.
func TestErrorKinds(t *testing.T) {
	for _, c := range []struct {
		msg           string
		timeout, none bool
	}{
		{hostmsg.TimeoutPrefix + `no reply on "a" within 5s`, true, false},
		{hostmsg.NoRespondersPrefix + `nobody listens on "a"`, false, true},
		{`request: subject "x" is not allowed`, false, false},
	} {
		var err error = &messaging.Error{Func: "request", Message: c.msg}
		err = fmt.Errorf("wrapped: %w", err)
		if errors.Is(err, messaging.ErrTimeout) != c.timeout || errors.Is(err, messaging.ErrNoResponders) != c.none {
			t.Errorf("%q: timeout %v, no responders %v", c.msg, errors.Is(err, messaging.ErrTimeout), errors.Is(err, messaging.ErrNoResponders))
		}
	}
}
