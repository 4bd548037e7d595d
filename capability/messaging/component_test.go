package messaging_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/capability/messaging"
	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/cmtest"
	"github.com/wasmhive/wasmhive/internal/natsserver"
)

// componentEnv is an embedded NATS server, without the Go test guest.
func componentEnv(t *testing.T) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, err := natsserver.Start(ctx, natsserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	return &env{srv: srv}
}

// msgComponent is an instance of testdata/component/messaging.wasm (see
// messaging.c).
type msgComponent struct {
	t    *testing.T
	inst *linker.Instance
}

// newMsgComponent instantiates messaging.wasm with b attached (none when
// nil).
func newMsgComponent(t *testing.T, b *messaging.Binding) *msgComponent {
	t.Helper()
	inst := cmtest.Instantiate(t, "testdata/component/messaging.wasm", messaging.Define, func(cfg *engine.InstanceConfig) {
		if b != nil {
			if err := messaging.Attach(cfg, b); err != nil {
				t.Fatal(err)
			}
		}
	})
	return &msgComponent{t: t, inst: inst}
}

func (m *msgComponent) try(path []string, args ...canonical.Value) (canonical.Value, error) {
	f, err := m.inst.Func(path...)
	if err != nil {
		m.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return f.Call(ctx, args...)
}

// result calls export fn and returns its result<T, string>.
func (m *msgComponent) result(fn string, args ...canonical.Value) canonical.Result {
	m.t.Helper()
	v, err := m.try([]string{fn}, args...)
	if err != nil {
		m.t.Fatalf("%s: %v", fn, err)
	}
	r, ok := v.(canonical.Result)
	if !ok {
		m.t.Fatalf("%s returned %T", fn, v)
	}
	return r
}

func (m *msgComponent) request(subject, body string, timeoutMS uint32) canonical.Result {
	m.t.Helper()
	return m.result("request", subject, []byte(body), timeoutMS)
}

func (m *msgComponent) publish(subject, body string, replyTo canonical.Option) canonical.Result {
	m.t.Helper()
	return m.result("publish", canonical.Record{subject, []byte(body), replyTo})
}

// errText is the error string of r, or "" for ok.
func errText(r canonical.Result) string {
	if !r.Err {
		return ""
	}
	s, _ := r.Value.(string)
	return s
}

// TestComponentRequest: request reaches a subscriber through the Broker
// and returns its reply as a broker-message; no reply and no responders
// are errors with the host module's prefixes; timeout-ms 0 is the
// Binding's Timeout.
func TestComponentRequest(t *testing.T) {
	e := componentEnv(t)
	svc := e.broker(t)
	if _, err := svc.Subscribe("svc.greet", "", func(_ context.Context, m messaging.Message) ([]byte, error) {
		return []byte("hello " + string(m.Body)), nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Subscribe("svc.silent", "", func(context.Context, messaging.Message) ([]byte, error) {
		return nil, context.Canceled // no reply
	}); err != nil {
		t.Fatal(err)
	}
	svc.Conn().Flush()
	m := newMsgComponent(t, &messaging.Binding{Broker: e.broker(t), Timeout: 150 * time.Millisecond})

	r := m.request("svc.greet", "wasm", 2000)
	want := canonical.OK(canonical.Record{"svc.greet", []byte("hello wasm"), canonical.None})
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("request = %#v, want %#v", r, want)
	}
	if msg := errText(m.request("svc.silent", "", 100)); !strings.HasPrefix(msg, messaging.TimeoutPrefix) || !strings.Contains(msg, "100ms") {
		t.Errorf("request with a 100ms timeout: %q", msg)
	}
	if msg := errText(m.request("svc.silent", "", 0)); !strings.HasPrefix(msg, messaging.TimeoutPrefix) || !strings.Contains(msg, "150ms") {
		t.Errorf("request with the default timeout: %q", msg)
	}
	if msg := errText(m.request("svc.nobody", "", 1000)); !strings.HasPrefix(msg, messaging.NoRespondersPrefix) || !strings.Contains(msg, "svc.nobody") {
		t.Errorf("request without responders: %q", msg)
	}
}

// TestComponentPublish: publish reaches a subscriber; denied and invalid
// subjects, bodies over the limit and reply-to are errors.
func TestComponentPublish(t *testing.T) {
	e := componentEnv(t)
	sub := e.broker(t)
	got := make(chan messaging.Message, 4)
	if _, err := sub.Subscribe("orders.>", "", func(_ context.Context, m messaging.Message) ([]byte, error) {
		m.Body = append([]byte(nil), m.Body...)
		got <- m
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	sub.Conn().Flush()
	m := newMsgComponent(t, &messaging.Binding{Broker: e.broker(t), Subjects: []string{"orders.>"}, MaxBodyBytes: 16})

	if r := m.publish("orders.eu.new", "order 1", canonical.None); r.Err {
		t.Fatalf("publish: %q", errText(r))
	}
	select {
	case msg := <-got:
		if msg.Subject != "orders.eu.new" || string(msg.Body) != "order 1" || msg.Reply != "" {
			t.Fatalf("the subscriber got %+v", msg)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the subscriber got nothing")
	}
	for _, c := range []struct{ subject, body, want string }{
		{"secrets.keys", "x", `publish: subject "secrets.keys" is not allowed (grants.messaging.subjects allows orders.>)`},
		{"orders.*", "x", "wildcard"},
		{"", "x", "empty"},
		{"orders.big", strings.Repeat("b", 17), "publish: body of 17 bytes exceeds the limit of 16 bytes"},
	} {
		if msg := errText(m.publish(c.subject, c.body, canonical.None)); !strings.Contains(msg, c.want) {
			t.Errorf("publish to %q: %q, want an error containing %q", c.subject, msg, c.want)
		}
	}
	if msg := errText(m.publish("orders.x", "x", canonical.Some("orders.replies"))); !strings.Contains(msg, `reply-to ("orders.replies") is not supported`) {
		t.Errorf("publish with a reply-to: %q", msg)
	}
	if msg := errText(m.request("secrets.keys", "", 100)); !strings.Contains(msg, "request: subject \"secrets.keys\" is not allowed") {
		t.Errorf("request to a denied subject: %q", msg)
	}
	select {
	case msg := <-got:
		t.Errorf("the subscriber got %+v from a failed publish", msg)
	case <-time.After(50 * time.Millisecond):
	}
}

// TestComponentRate: the Binding's rate ends the call past it with the
// host module's *engine.LimitError.
func TestComponentRate(t *testing.T) {
	e := componentEnv(t)
	m := newMsgComponent(t, &messaging.Binding{Broker: e.broker(t), Rate: messaging.NewRate(2)})
	for range 2 {
		if r := m.publish("events.x", "", canonical.None); r.Err {
			t.Fatalf("publish: %q", errText(r))
		}
	}
	_, err := m.try([]string{"publish"}, canonical.Record{"events.x", []byte{}, canonical.None})
	var le *engine.LimitError
	if !errors.As(err, &le) || le.Limit != messaging.LimitMessagesPerSecond || le.Max != 2 {
		t.Fatalf("the third publish: %v (%T), want a LimitError of %s", err, err, messaging.LimitMessagesPerSecond)
	}
}

// TestComponentHandler: the component's export of the shipped handler
// interface can be called with a broker-message, and answers through the
// consumer.
func TestComponentHandler(t *testing.T) {
	e := componentEnv(t)
	sub := e.broker(t)
	got := make(chan string, 2)
	if _, err := sub.Subscribe("replies.*", "", func(_ context.Context, m messaging.Message) ([]byte, error) {
		got <- m.Subject + " " + string(m.Body)
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	sub.Conn().Flush()
	m := newMsgComponent(t, &messaging.Binding{Broker: e.broker(t), Subjects: []string{"replies.*"}})
	handler := []string{messaging.WITHandler, "handle-message"}
	v, err := m.try(handler, canonical.Record{"jobs.resize", []byte("img-1"), canonical.Some("replies.7")})
	if err != nil || !reflect.DeepEqual(v, canonical.OK(nil)) {
		t.Fatalf("handle-message = %#v, %v", v, err)
	}
	select {
	case s := <-got:
		if s != "replies.7 img-1" {
			t.Fatalf("the reply subscriber got %q", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no reply")
	}
	// Without a reply-to it publishes to the subject, which is not allowed.
	v, err = m.try(handler, canonical.Record{"jobs.resize", []byte("x"), canonical.None})
	if r, ok := v.(canonical.Result); err != nil || !ok || !strings.Contains(errText(r), "not allowed") {
		t.Fatalf("handle-message without a reply-to = %#v, %v", v, err)
	}
}

// TestComponentNotGranted: without a Binding, the consumer traps with one
// line.
func TestComponentNotGranted(t *testing.T) {
	m := newMsgComponent(t, nil)
	_, err := m.try([]string{"publish"}, canonical.Record{"x", []byte{}, canonical.None})
	if err == nil || !strings.Contains(err.Error(), "wasmcloud:messaging/consumer@0.2.0#publish: messaging is not granted to this component") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("publish without a binding: %v", err)
	}
	if !m.inst.Broken() {
		t.Error("the instance is usable after the trap")
	}
}
