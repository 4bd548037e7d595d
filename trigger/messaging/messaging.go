// Package msgtrigger calls components for messages: each subscription of an
// app (a NATS subject pattern, optionally a queue group) delivers its
// messages to a component's export through a trigger.Invoker, and answers
// requests with the call's output. The message reaches the guest in the
// layout of docs/capabilities.md ("Handling messages").
package msgtrigger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/wasmhive/wasmhive/capability/messaging"
	"github.com/wasmhive/wasmhive/trigger"
)

// DefaultExport is the export a subscription calls unless it names another.
const DefaultExport = "handle_message"

// DefaultTimeout bounds one message's call unless Config.Timeout says otherwise.
const DefaultTimeout = 30 * time.Second

// Subscription delivers the messages of Subject to Component.
type Subscription struct {
	Subject   string // a NATS subject pattern: "orders.*", "jobs.>"
	Queue     string // a queue group: each message goes to one member; empty means every subscriber
	Component string
	Export    string // empty means DefaultExport
}

// Config configures a Trigger. Invoker and Broker are required.
type Config struct {
	Invoker       trigger.Invoker
	Broker        messaging.Broker
	Subscriptions []Subscription
	// Timeout bounds each message's call; 0 means DefaultTimeout.
	Timeout time.Duration
	// Logger receives a record per failed call; nil means slog.Default().
	Logger *slog.Logger
}

// Trigger is a set of active subscriptions.
type Trigger struct {
	cfg  Config
	log  *slog.Logger
	subs []messaging.Subscription
}

// Start checks every subscription against its component and subscribes.
func Start(cfg Config) (*Trigger, error) {
	if cfg.Invoker == nil || cfg.Broker == nil {
		return nil, errors.New("msgtrigger: Config.Invoker and Config.Broker are required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	t := &Trigger{cfg: cfg, log: cfg.Logger}
	if t.log == nil {
		t.log = slog.Default()
	}
	for _, s := range cfg.Subscriptions {
		if s.Export == "" {
			s.Export = DefaultExport
		}
		info, err := cfg.Invoker.Describe(s.Component)
		if err != nil {
			t.Close()
			return nil, fmt.Errorf("subscription %s: %w", s.Subject, err)
		}
		if !info.Exports[s.Export] || info.Pattern == "command" {
			t.Close()
			return nil, fmt.Errorf("subscription %s: component %s exports no %s to call for each message", s.Subject, s.Component, s.Export)
		}
		sub, err := cfg.Broker.Subscribe(s.Subject, s.Queue, t.handler(s))
		if err != nil {
			t.Close()
			return nil, fmt.Errorf("subscription %s: %w", s.Subject, err)
		}
		t.subs = append(t.subs, sub)
	}
	return t, nil
}

// handler calls s's component for one message; its output is the reply.
func (t *Trigger) handler(s Subscription) messaging.Handler {
	return func(ctx context.Context, msg messaging.Message) ([]byte, error) {
		ctx, cancel := context.WithTimeout(ctx, t.cfg.Timeout)
		defer cancel()
		out, err := t.cfg.Invoker.Invoke(ctx, s.Component, s.Export, messaging.EncodeMessage(msg))
		if errors.Is(err, messaging.ErrNoReply) {
			return nil, err // the component replied itself
		}
		if err != nil {
			t.log.LogAttrs(ctx, slog.LevelError, "message handler failed", slog.String("subject", msg.Subject),
				slog.String("component", s.Component), slog.String("error", err.Error()))
			return nil, err
		}
		return out, nil
	}
}

// Close unsubscribes, letting calls in flight finish.
func (t *Trigger) Close() error {
	var first error
	for _, s := range t.subs {
		if err := s.Unsubscribe(); err != nil && first == nil {
			first = err
		}
	}
	t.subs = nil
	return first
}
