// Command messaging is a test component for wasmhive's messaging
// capability, built with pdk/messaging.
package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/wasmhive/wasmhive/pdk"
	"github.com/wasmhive/wasmhive/pdk/messaging"
)

type args struct {
	Subject   string `json:"subject"`
	Body      string `json:"body"`
	TimeoutMS int    `json:"timeout_ms"`
}

// result reports an outcome to the test: the reply, or the error and
// which kind of error it is.
type result struct {
	Reply string `json:"reply,omitempty"`
	Error string `json:"error,omitempty"`
	Kind  string `json:"kind,omitempty"` // "timeout", "no_responders", "other"
}

func report(reply []byte, err error) int32 {
	r := result{Reply: string(reply)}
	if err != nil {
		r.Error = err.Error()
		var e *messaging.Error
		switch {
		case errors.Is(err, messaging.ErrTimeout):
			r.Kind = "timeout"
		case errors.Is(err, messaging.ErrNoResponders):
			r.Kind = "no_responders"
		case errors.As(err, &e):
			r.Kind = "other"
		default:
			r.Kind = "untyped"
		}
	}
	return pdk.Return(pdk.OutputJSON(r))
}

// publish publishes {"subject","body"}.
//
//go:wasmexport publish
func publish() int32 {
	var a args
	if err := pdk.InputJSON(&a); err != nil {
		return pdk.Return(err)
	}
	return report(nil, messaging.Publish(a.Subject, []byte(a.Body)))
}

// request sends {"subject","body","timeout_ms"} and reports the reply.
//
//go:wasmexport request
func request() int32 {
	var a args
	if err := pdk.InputJSON(&a); err != nil {
		return pdk.Return(err)
	}
	return report(messaging.Request(a.Subject, []byte(a.Body), time.Duration(a.TimeoutMS)*time.Millisecond))
}

// publish_many publishes {"subject","body"} timeout_ms times (a count, for
// benchmarks), stopping at the first error.
//
//go:wasmexport publish_many
func publishMany() int32 {
	var a args
	if err := pdk.InputJSON(&a); err != nil {
		return pdk.Return(err)
	}
	body := []byte(a.Body)
	for i := 0; i < a.TimeoutMS; i++ {
		if err := messaging.Publish(a.Subject, body); err != nil {
			return pdk.Return(err)
		}
	}
	return 0
}

// handle_message answers a message with what it received; a body of
// "fail" makes it fail.
//
//go:wasmexport handle_message
func handleMessage() int32 {
	return messaging.Handle(func(m messaging.Message) ([]byte, error) {
		if string(m.Body) == "fail" {
			return nil, errors.New("asked to fail")
		}
		return fmt.Appendf(nil, "handled subject=%s reply=%t body=%s", m.Subject, m.Reply != "", m.Body), nil
	})
}

func main() {}
