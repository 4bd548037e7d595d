package msgtrigger_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/capability/messaging"
	"github.com/wasmhive/wasmhive/capability/messaging/natsbroker"
	"github.com/wasmhive/wasmhive/internal/natsserver"
	"github.com/wasmhive/wasmhive/trigger"
	msgtrigger "github.com/wasmhive/wasmhive/trigger/messaging"
)

// invoker is a trigger.Invoker whose component "echo" answers every call
// with its input upper-cased, and whose "cmd" is a command.
type invoker struct {
	mu    sync.Mutex
	calls []string // component.export:decoded subject
	fail  bool
}

func (i *invoker) Invoke(ctx context.Context, component, export string, payload []byte) ([]byte, error) {
	msg, err := messaging.DecodeMessage(payload)
	if err != nil {
		return nil, err
	}
	i.mu.Lock()
	i.calls = append(i.calls, component+"."+export+":"+msg.Subject)
	fail := i.fail
	i.mu.Unlock()
	if fail {
		return nil, errors.New("guest failed")
	}
	return bytes.ToUpper(msg.Body), nil
}

func (i *invoker) Run(context.Context, string, trigger.CommandIO) error {
	return errors.New("no commands")
}

func (i *invoker) Describe(component string) (trigger.Info, error) {
	switch component {
	case "echo":
		return trigger.Info{Name: "echo", Pattern: "reactor", Exports: map[string]bool{"handle_message": true, "other": true}}, nil
	case "cmd":
		return trigger.Info{Name: "cmd", Pattern: "command", Exports: map[string]bool{"_start": true}}, nil
	}
	return trigger.Info{}, errors.New("no such component " + component)
}

func broker(t *testing.T) *natsbroker.Broker {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv, err := natsserver.Start(ctx, natsserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	nc, err := srv.Connect("test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	b := natsbroker.New(nc, natsbroker.Config{})
	t.Cleanup(func() { b.Close() })
	return b
}

func TestRequestsReachTheComponentAndAreAnswered(t *testing.T) {
	b := broker(t)
	inv := &invoker{}
	tr, err := msgtrigger.Start(msgtrigger.Config{Invoker: inv, Broker: b, Subscriptions: []msgtrigger.Subscription{
		{Subject: "greet.*", Component: "echo"},
		{Subject: "other", Component: "echo", Export: "other", Queue: "q"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	ctx := context.Background()
	reply, err := b.Request(ctx, "greet.bob", []byte("hello bob"), 5*time.Second)
	if err != nil || string(reply) != "HELLO BOB" {
		t.Fatalf("reply %q, %v", reply, err)
	}
	if reply, err := b.Request(ctx, "other", []byte("x"), 5*time.Second); err != nil || string(reply) != "X" {
		t.Fatalf("other: %q, %v", reply, err)
	}
	inv.mu.Lock()
	got := strings.Join(inv.calls, ",")
	inv.mu.Unlock()
	if got != "echo.handle_message:greet.bob,echo.other:other" {
		t.Errorf("calls %s", got)
	}
	// A failing call sends no reply: the requester times out.
	inv.mu.Lock()
	inv.fail = true
	inv.mu.Unlock()
	if _, err := b.Request(ctx, "greet.x", nil, 300*time.Millisecond); !errors.Is(err, messaging.ErrTimeout) {
		t.Errorf("failed handler: %v, want a timeout", err)
	}
	// After Close nobody listens.
	tr.Close()
	if _, err := b.Request(ctx, "greet.bob", nil, time.Second); !errors.Is(err, messaging.ErrNoResponders) {
		t.Errorf("after Close: %v, want no responders", err)
	}
}

func TestStartRefusesBadSubscriptions(t *testing.T) {
	b := broker(t)
	for _, c := range []struct {
		sub  msgtrigger.Subscription
		want string
	}{
		{msgtrigger.Subscription{Subject: "a", Component: "nope"}, "no such component nope"},
		{msgtrigger.Subscription{Subject: "a", Component: "cmd"}, "exports no handle_message"},
		{msgtrigger.Subscription{Subject: "a", Component: "echo", Export: "missing"}, "exports no missing"},
		{msgtrigger.Subscription{Subject: "bad subject", Component: "echo"}, "subscription bad subject"},
	} {
		_, err := msgtrigger.Start(msgtrigger.Config{Invoker: &invoker{}, Broker: b, Subscriptions: []msgtrigger.Subscription{c.sub}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.sub, err, c.want)
		}
	}
	if _, err := msgtrigger.Start(msgtrigger.Config{Broker: b}); err == nil {
		t.Error("no invoker: accepted")
	}
}
