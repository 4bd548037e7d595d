// Package messaging is the messaging capability: the contract (Broker,
// shaped after wasi:messaging), its NATS provider (an embedded nats-server
// by default, or an external one), and the host module that serves it to
// guests (docs/capabilities.md).
package messaging

import (
	"context"
	"errors"
	"time"
)

// Broker is a messaging provider. Implementations are safe for concurrent
// use. Publish and Request do not keep body after they return (callers pass
// bytes that alias guest memory).
type Broker interface {
	// Publish sends body to subject.
	Publish(ctx context.Context, subject string, body []byte) error
	// Request sends body to subject and waits up to timeout (and ctx) for
	// one reply. No responder gives ErrNoResponders; the wait running out
	// gives ErrTimeout; ctx ending first gives ctx's error.
	Request(ctx context.Context, subject string, body []byte, timeout time.Duration) ([]byte, error)
	// Subscribe calls h for each message on subject (a NATS pattern). With
	// a non-empty queue, each message goes to one subscriber of the queue
	// group. h's reply, when the message asks for one, is sent back.
	Subscribe(subject, queue string, h Handler) (Subscription, error)
	// Close drains every subscription, waits for the handlers in flight,
	// and releases what the Broker itself opened (a connection it dialled,
	// an embedded server it started); a connection it was given stays open
	// for its owner to close.
	Close() error
}

// Message is one received message.
type Message struct {
	Subject string
	Reply   string // the reply subject; "" when no reply is wanted
	Body    []byte
}

// Handler handles one message; its result is the reply when msg.Reply is
// set. An error sends no reply; the Broker logs it. ctx ends when the
// Broker closes.
type Handler func(ctx context.Context, msg Message) ([]byte, error)

// Subscription is an active subscription.
type Subscription interface {
	// Unsubscribe stops deliveries, letting handlers in flight finish.
	Unsubscribe() error
}

// ErrNoReply is what a Handler returns when it sent no reply on purpose
// (a Component Model component's handler replies itself, by publishing to
// the message's reply subject): the Broker then sends none and logs
// nothing.
var ErrNoReply = errors.New("the handler sends no reply")

// ErrTimeout is returned by Request when no reply came in time.
var ErrTimeout = errors.New("request timed out")

// ErrNoResponders is returned by Request when nobody listens on the subject.
var ErrNoResponders = errors.New("no responders on the subject")
