package messaging

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/wasmhive/wasmhive/capability"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/capwire"
)

// Module is the import module of the producer interface.
const Module = "wasmhive:messaging/producer"

// Defaults of a Binding's zero fields.
const (
	DefaultTimeout      = 5 * time.Second
	DefaultMaxBodyBytes = 1 << 20
)

// Error messages of a request that got no reply start with these words
// (docs/capabilities.md), so that guests can tell the cases apart.
const (
	TimeoutPrefix      = "timeout: "
	NoRespondersPrefix = "no responders: "
)

// Binding is what one component's instances reach through the producer
// interface: a Broker, limited to some subjects.
type Binding struct {
	// Broker carries the messages.
	Broker Broker
	// Subjects are the NATS patterns the component may publish and send
	// requests to (grants.messaging.subjects); empty allows any subject
	// except the server's own APIs (see Allowed).
	Subjects []string
	// Timeout is a request's wait when the guest gives none; 0 means
	// DefaultTimeout.
	Timeout time.Duration
	// MaxBodyBytes caps the body of a message sent and of a reply
	// received; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int
	// Rate, when not nil, caps the messages (publishes and requests) of
	// every instance the Binding is attached to, together: a token bucket
	// (NewRate). The message past it ends its call with an
	// *engine.LimitError (LimitMessagesPerSecond); later calls send again
	// as the bucket refills.
	Rate *rate.Limiter
}

// LimitMessagesPerSecond is the name (as the app manifest spells it) of the
// limit a Binding's Rate enforces.
const LimitMessagesPerSecond = "messages_per_second"

// NewRate returns a Binding.Rate of perSecond messages a second, with a
// burst of as many.
func NewRate(perSecond int) *rate.Limiter { return rate.NewLimiter(rate.Limit(perSecond), perSecond) }

// take takes a message from the rate, or ends the call at the limit.
func (b *Binding) take() {
	if b.Rate != nil && !b.Rate.Allow() {
		panic(&engine.LimitError{Limit: LimitMessagesPerSecond, Max: uint64(b.Rate.Limit())})
	}
}

var bindingKey = engine.NewKey[*Binding]("messaging")

// allows is Allowed for a valid subject and the patterns Attach checked.
func (b *Binding) allows(subject string) bool {
	if len(b.Subjects) == 0 {
		return subject[0] != '$'
	}
	for _, p := range b.Subjects {
		if match(p, subject) {
			return true
		}
	}
	return false
}

// Attach makes b the binding of the instances created from cfg. It checks b
// first: a nil Broker or an invalid subject pattern is an error.
func Attach(cfg *engine.InstanceConfig, b *Binding) error {
	if b == nil || b.Broker == nil {
		return errors.New("messaging binding: no broker")
	}
	for _, p := range b.Subjects {
		if err := ValidatePattern(p); err != nil {
			return fmt.Errorf("messaging binding: %w", err)
		}
	}
	if b.Timeout < 0 || b.MaxBodyBytes < 0 {
		return errors.New("messaging binding: negative timeout or body limit")
	}
	c := *b
	c.Subjects = append([]string(nil), b.Subjects...)
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	bindingKey.Set(cfg, &c)
	return nil
}

// HostModules returns the messaging interfaces' host modules, for
// engine.Config.WithHostModule.
func HostModules() []engine.HostModule {
	return []engine.HostModule{capability.HostModule{Name: Module, Funcs: []capability.Function{
		{Name: "publish", NArgs: 2, Func: publish},
		{Name: "request", NArgs: 3, Func: request},
	}}}
}

func binding(inst *engine.Instance) (*Binding, []byte) {
	b, ok := bindingKey.Of(inst)
	if !ok {
		return nil, capwire.Error("messaging is not bound for this component (grant it with grants.messaging)")
	}
	return b, nil
}

// check validates an outgoing message and returns its subject, or the
// error message.
func (b *Binding) check(op string, subj, body []byte) (string, string) {
	s := string(subj)
	if err := ValidateSubject(s); err != nil {
		return "", op + ": " + err.Error()
	}
	if !b.allows(s) {
		allowed := "any subject but $-prefixed ones"
		if len(b.Subjects) > 0 {
			allowed = strings.Join(b.Subjects, ", ")
		}
		return "", fmt.Sprintf("%s: subject %q is not allowed (grants.messaging.subjects allows %s)", op, s, allowed)
	}
	if len(body) > b.MaxBodyBytes {
		return "", fmt.Sprintf("%s: body of %d bytes exceeds the limit of %d bytes", op, len(body), b.MaxBodyBytes)
	}
	return s, ""
}

func publish(ctx context.Context, inst *engine.Instance, args [][]byte) []byte {
	b, errReply := binding(inst)
	if b == nil {
		return errReply
	}
	if msg := b.publish(ctx, args[0], args[1]); msg != "" {
		return capwire.Error(msg)
	}
	return capwire.OK(nil)
}

// publish publishes body to subj for a guest: "" when it was sent, or the
// error message. Past the Binding's rate it ends the call.
func (b *Binding) publish(ctx context.Context, subj, body []byte) string {
	s, msg := b.check("publish", subj, body)
	if msg != "" {
		return msg
	}
	b.take()
	if err := b.Broker.Publish(ctx, s, body); err != nil {
		return fmt.Sprintf("publish to %q: %v", s, err)
	}
	return ""
}

func request(ctx context.Context, inst *engine.Instance, args [][]byte) []byte {
	b, errReply := binding(inst)
	if b == nil {
		return errReply
	}
	reply, msg := b.request(ctx, args[0], args[1], args[2])
	if msg != "" {
		return capwire.Error(msg)
	}
	return capwire.OK(reply)
}

// request sends body to subj for a guest and returns the reply, or the
// error message (starting with TimeoutPrefix or NoRespondersPrefix when
// no reply came). timeout is empty (the Binding's Timeout) or a u32 of
// milliseconds, little-endian (0: the Binding's). Past the Binding's rate
// it ends the call.
func (b *Binding) request(ctx context.Context, subj, body, t []byte) ([]byte, string) {
	s, msg := b.check("request", subj, body)
	if msg != "" {
		return nil, msg
	}
	b.take()
	timeout := b.Timeout
	switch len(t) {
	case 0:
	case 4:
		if ms := binary.LittleEndian.Uint32(t); ms != 0 {
			timeout = time.Duration(ms) * time.Millisecond
		}
	default:
		return nil, fmt.Sprintf("request: timeout must be empty or 4 bytes (u32 milliseconds), got %d bytes", len(t))
	}
	reply, err := b.Broker.Request(ctx, s, body, timeout)
	switch {
	case errors.Is(err, ErrTimeout):
		return nil, fmt.Sprintf("%sno reply on %q within %s", TimeoutPrefix, s, timeout)
	case errors.Is(err, ErrNoResponders):
		return nil, fmt.Sprintf("%snobody listens on %q", NoRespondersPrefix, s)
	case err != nil:
		return nil, fmt.Sprintf("request to %q: %v", s, err)
	case len(reply) > b.MaxBodyBytes:
		return nil, fmt.Sprintf("request to %q: reply of %d bytes exceeds the limit of %d bytes", s, len(reply), b.MaxBodyBytes)
	}
	return reply, ""
}
