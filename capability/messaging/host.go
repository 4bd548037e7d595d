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
// ERROR reply.
func (b *Binding) check(op string, subj, body []byte) (string, []byte) {
	s := string(subj)
	if err := ValidateSubject(s); err != nil {
		return "", capwire.Error(op + ": " + err.Error())
	}
	if !b.allows(s) {
		allowed := "any subject but $-prefixed ones"
		if len(b.Subjects) > 0 {
			allowed = strings.Join(b.Subjects, ", ")
		}
		return "", capwire.Error(fmt.Sprintf("%s: subject %q is not allowed (grants.messaging.subjects allows %s)", op, s, allowed))
	}
	if len(body) > b.MaxBodyBytes {
		return "", capwire.Error(fmt.Sprintf("%s: body of %d bytes exceeds the limit of %d bytes", op, len(body), b.MaxBodyBytes))
	}
	return s, nil
}

func publish(ctx context.Context, inst *engine.Instance, args [][]byte) []byte {
	b, errReply := binding(inst)
	if b == nil {
		return errReply
	}
	subj, errReply := b.check("publish", args[0], args[1])
	if errReply != nil {
		return errReply
	}
	b.take()
	if err := b.Broker.Publish(ctx, subj, args[1]); err != nil {
		return capwire.Error(fmt.Sprintf("publish to %q: %v", subj, err))
	}
	return capwire.OK(nil)
}

func request(ctx context.Context, inst *engine.Instance, args [][]byte) []byte {
	b, errReply := binding(inst)
	if b == nil {
		return errReply
	}
	subj, errReply := b.check("request", args[0], args[1])
	if errReply != nil {
		return errReply
	}
	b.take()
	timeout := b.Timeout
	switch t := args[2]; len(t) {
	case 0:
	case 4:
		if ms := binary.LittleEndian.Uint32(t); ms != 0 {
			timeout = time.Duration(ms) * time.Millisecond
		}
	default:
		return capwire.Error(fmt.Sprintf("request: timeout must be empty or 4 bytes (u32 milliseconds), got %d bytes", len(t)))
	}
	reply, err := b.Broker.Request(ctx, subj, args[1], timeout)
	switch {
	case errors.Is(err, ErrTimeout):
		return capwire.Error(fmt.Sprintf("%sno reply on %q within %s", TimeoutPrefix, subj, timeout))
	case errors.Is(err, ErrNoResponders):
		return capwire.Error(fmt.Sprintf("%snobody listens on %q", NoRespondersPrefix, subj))
	case err != nil:
		return capwire.Error(fmt.Sprintf("request to %q: %v", subj, err))
	case len(reply) > b.MaxBodyBytes:
		return capwire.Error(fmt.Sprintf("request to %q: reply of %d bytes exceeds the limit of %d bytes", subj, len(reply), b.MaxBodyBytes))
	}
	return capwire.OK(reply)
}
