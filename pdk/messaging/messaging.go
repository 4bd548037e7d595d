// Package messaging is the guest side of wasmhive's messaging capability
// (wasmhive:messaging/producer, docs/capabilities.md): publish messages,
// send requests, and decode the messages a subscribed component's
// handle_message export receives. The component needs grants.messaging.
package messaging

import (
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"time"

	"github.com/wasmhive/wasmhive/internal/capwire"
	"github.com/wasmhive/wasmhive/pdk"
)

// ErrTimeout is matched (errors.Is) by Request's error when no reply came
// in time.
var ErrTimeout = errors.New("request timed out")

// ErrNoResponders is matched (errors.Is) by Request's error when nobody
// listens on the subject.
var ErrNoResponders = errors.New("no responders on the subject")

// Error is an ERROR reply of the host: a denied subject, a body over the
// limit, a timeout...
type Error struct {
	Func    string // "publish" or "request"
	Message string // the host's message
}

func (e *Error) Error() string { return "messaging " + e.Func + ": " + e.Message }

// Is makes errors.Is(err, ErrTimeout) and errors.Is(err, ErrNoResponders)
// true for the host's timeout and no-responders replies.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrTimeout:
		return strings.HasPrefix(e.Message, "timeout: ")
	case ErrNoResponders:
		return strings.HasPrefix(e.Message, "no responders: ")
	}
	return false
}

// Publish sends body to subject.
func Publish(subject string, body []byte) error {
	s, b := pdk.AllocateString(subject), pdk.AllocateBytes(body)
	_, err := reply("publish", hostPublish(s.Offset(), b.Offset()))
	s.Free()
	b.Free()
	return err
}

// Request sends body to subject and returns the reply's body. timeout
// bounds the wait (at millisecond precision); 0 means the grant's default.
func Request(subject string, body []byte, timeout time.Duration) ([]byte, error) {
	s, b := pdk.AllocateString(subject), pdk.AllocateBytes(body)
	var t pdk.Memory
	if timeout > 0 {
		ms := (timeout + time.Millisecond - 1) / time.Millisecond
		t = pdk.AllocateBytes(binary.LittleEndian.AppendUint32(nil, uint32(min(ms, math.MaxUint32))))
	}
	out, err := reply("request", hostRequest(s.Offset(), b.Offset(), t.Offset()))
	s.Free()
	b.Free()
	t.Free()
	return out, err
}

// reply reads and frees the reply block h.
func reply(fn string, h uint64) ([]byte, error) {
	m := pdk.FindMemory(h)
	b := m.Bytes()
	m.Free()
	status, payload, err := capwire.ParseReply(b)
	switch {
	case err != nil:
		return nil, &Error{Func: fn, Message: "malformed reply from the host"}
	case status == capwire.StatusError:
		return nil, &Error{Func: fn, Message: string(payload)}
	}
	return payload, nil
}

// Message is a message delivered to a subscribed component.
type Message struct {
	Subject string
	Reply   string // the reply subject; "" when no reply is wanted
	Body    []byte
}

// DecodeMessage decodes the input of a handle_message export.
func DecodeMessage(b []byte) (Message, error) {
	r := capwire.NewReader(b)
	subject := r.String()
	replyTo := r.String()
	if r.Err() != nil {
		return Message{}, errors.New("messaging: malformed message input")
	}
	return Message{Subject: subject, Reply: replyTo, Body: r.Rest()}, nil
}

// ReadMessage decodes the current call's input as a message.
func ReadMessage() (Message, error) { return DecodeMessage(pdk.Input()) }

// Handle is the body of a handle_message export: it decodes the message,
// calls h, makes h's result the output (the reply, when the message wants
// one) and returns the export's result.
//
//	//go:wasmexport handle_message
//	func handleMessage() int32 { return messaging.Handle(onMessage) }
func Handle(h func(Message) ([]byte, error)) int32 {
	m, err := ReadMessage()
	if err != nil {
		return pdk.Return(err)
	}
	out, err := h(m)
	if err != nil {
		return pdk.Return(err)
	}
	pdk.Output(out)
	return 0
}
