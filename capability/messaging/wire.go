package messaging

import (
	"fmt"

	"github.com/wasmhive/wasmhive/internal/capwire"
)

// EncodeMessage encodes msg as the input of a subscribed component's
// handler export (docs/capabilities.md): item subject, item reply subject,
// then the body.
func EncodeMessage(msg Message) []byte {
	b := make([]byte, 0, 8+len(msg.Subject)+len(msg.Reply)+len(msg.Body))
	b = capwire.AppendString(b, msg.Subject)
	b = capwire.AppendString(b, msg.Reply)
	return append(b, msg.Body...)
}

// DecodeMessage decodes what EncodeMessage encodes. The Body aliases b.
func DecodeMessage(b []byte) (Message, error) {
	r := capwire.NewReader(b)
	subject := r.String()
	reply := r.String()
	if err := r.Err(); err != nil {
		return Message{}, fmt.Errorf("decode message: %w", err)
	}
	return Message{Subject: subject, Reply: reply, Body: r.Rest()}, nil
}
