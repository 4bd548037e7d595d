package messaging

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component/linker"
)

// WITVersion is the version of wasmcloud:messaging that Define serves;
// imports of any 0.2.x match it.
const WITVersion = "0.2.0"

// The wasmcloud:messaging interfaces (wit/deps/messaging): Define serves
// the consumer; the handler is what a subscribed component exports.
const (
	WITConsumer = "wasmcloud:messaging/consumer@" + WITVersion
	WITHandler  = "wasmcloud:messaging/handler@" + WITVersion
)

// witFunctions are the functions Define defines on WITConsumer.
var witFunctions = []struct {
	name string
	f    func(ctx context.Context, b *Binding, args []canonical.Value) (canonical.Value, error)
}{
	{"request", witRequest},
	{"publish", witPublish},
}

// Define registers wasmcloud:messaging 0.2.0's consumer on l: request and
// publish go through the Broker of the Binding attached to the instance's
// configuration, with the same subject permissions, body limit, timeouts
// and rate as the host module's functions; their failures are the
// result's error string, with the host module's messages (a request
// without a reply says "timeout: ..." or "no responders: ..."), and a
// message past the rate ends the call with an *engine.LimitError. A
// request's timeout-ms of 0 means the Binding's Timeout. The reply of a
// request is a broker-message with the request's subject and no reply-to
// (the Broker does not say which inbox it came on). publish of a message
// with a reply-to is an error: the Broker publishes without one. An
// instance without a Binding traps: the Host refuses such imports at
// load, this is the belt.
func Define(l *linker.Linker) {
	h := l.Instance(WITConsumer)
	for _, fn := range witFunctions {
		name, f := fn.name, fn.f
		h.Func(name, func(ctx context.Context, inst *linker.Instance, args []canonical.Value) (canonical.Value, error) {
			b, _ := bindingKey.In(inst.Config())
			if b == nil {
				return nil, fmt.Errorf("%s#%s: messaging is not granted to this component (grant it with grants.messaging, or --grant messaging)", WITConsumer, name)
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			return f(ctx, b, args)
		})
	}
}

func witRequest(ctx context.Context, b *Binding, args []canonical.Value) (canonical.Value, error) {
	if len(args) != 3 {
		return nil, fmt.Errorf("messaging: request takes 3 arguments, got %d", len(args))
	}
	subject, ok1 := args[0].(string)
	body, ok2 := args[1].([]byte)
	ms, ok3 := args[2].(uint32)
	if !ok1 || !ok2 || !ok3 {
		return nil, fmt.Errorf("messaging: request arguments are (%T, %T, %T), not (string, list<u8>, u32)", args[0], args[1], args[2])
	}
	reply, msg := b.request(ctx, []byte(subject), body, binary.LittleEndian.AppendUint32(nil, ms))
	if msg != "" {
		return canonical.Err(msg), nil
	}
	if reply == nil {
		reply = []byte{}
	}
	return canonical.OK(canonical.Record{subject, reply, canonical.None}), nil
}

func witPublish(ctx context.Context, b *Binding, args []canonical.Value) (canonical.Value, error) {
	m, replyTo, err := brokerMessage(args)
	if err != nil {
		return nil, err
	}
	if replyTo.Some {
		return canonical.Err(fmt.Sprintf("publish: a message with a reply-to (%q) is not supported; use request to wait for a reply", replyTo.Value)), nil
	}
	if msg := b.publish(ctx, []byte(m.Subject), m.Body); msg != "" {
		return canonical.Err(msg), nil
	}
	return canonical.OK(nil), nil
}

// brokerMessage is the single broker-message argument: its subject and
// body, and its reply-to.
func brokerMessage(args []canonical.Value) (Message, canonical.Option, error) {
	if len(args) == 1 {
		if r, ok := args[0].(canonical.Record); ok && len(r) == 3 {
			subject, ok1 := r[0].(string)
			body, ok2 := r[1].([]byte)
			replyTo, ok3 := r[2].(canonical.Option)
			if ok1 && ok2 && ok3 {
				return Message{Subject: subject, Body: body}, replyTo, nil
			}
		}
	}
	return Message{}, canonical.None, fmt.Errorf("messaging: the argument is not a broker-message: %v", args)
}
