// Package natsbroker is the NATS provider of the messaging capability: a
// messaging.Broker over a nats.go connection, to the embedded server
// (internal/natsserver) or to an external one (Dial).
package natsbroker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wasmhive/wasmhive/capability/messaging"
)

// Broker is a messaging.Broker over one NATS connection. It does not own
// the connection: Close drains the Broker's subscriptions and leaves the
// connection open for whoever made it.
type Broker struct {
	nc          *nats.Conn
	log         *slog.Logger
	concurrency int

	ctx    context.Context // handlers' context; canceled by Close
	cancel context.CancelFunc

	mu     sync.Mutex
	subs   map[*subscription]struct{}
	closed bool
	done   atomic.Bool // closed, read without mu
}

var _ messaging.Broker = (*Broker)(nil)

// Config configures a Broker. It is plain data: the zero value of every
// field means its documented default.
type Config struct {
	// Logger receives handler failures; nil discards them.
	Logger *slog.Logger
	// Concurrency is how many handlers of one subscription may run at
	// once; 0 (or 1) handles a subscription's messages one at a time, in
	// the order they arrive. More trades that order for throughput.
	Concurrency int
}

// New returns a Broker over nc.
func New(nc *nats.Conn, cfg Config) *Broker {
	b := &Broker{nc: nc, log: cfg.Logger, concurrency: max(cfg.Concurrency, 1), subs: map[*subscription]struct{}{}}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	return b
}

// Conn returns the Broker's connection.
func (b *Broker) Conn() *nats.Conn { return b.nc }

// Dial connects to the NATS server(s) at natsURL (a comma-separated list of
// nats:// URLs), within ctx. The connection reconnects forever once made;
// opts come after wasmhive's defaults and may change them.
func Dial(ctx context.Context, natsURL string, opts ...nats.Option) (*nats.Conn, error) {
	shown := redact(natsURL)
	if strings.TrimSpace(natsURL) == "" {
		return nil, errors.New("connect to NATS: no server URL (e.g. nats://127.0.0.1:4222)")
	}
	o := []nats.Option{nats.Name("wasmhive"), nats.MaxReconnects(-1)}
	if dl, ok := ctx.Deadline(); ok {
		o = append(o, nats.Timeout(max(time.Until(dl), time.Millisecond)))
	}
	o = append(o, opts...)
	type result struct {
		nc  *nats.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		nc, err := nats.Connect(natsURL, o...)
		ch <- result{nc, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, fmt.Errorf("connect to NATS at %s: %w", shown, r.err)
		}
		return r.nc, nil
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.nc != nil {
				r.nc.Close()
			}
		}()
		return nil, fmt.Errorf("connect to NATS at %s: %w", shown, ctx.Err())
	}
}

// redact hides the passwords of a server list, for errors.
func redact(list string) string {
	parts := strings.Split(list, ",")
	for i, p := range parts {
		if u, err := url.Parse(strings.TrimSpace(p)); err == nil && u.User != nil {
			parts[i] = u.Redacted()
		}
	}
	return strings.Join(parts, ",")
}

// Publish sends body to subject.
func (b *Broker) Publish(ctx context.Context, subject string, body []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if b.done.Load() {
		return fmt.Errorf("publish to %q: %w", subject, ErrClosed)
	}
	if err := b.nc.Publish(subject, body); err != nil {
		return fmt.Errorf("publish to %q: %w", subject, err)
	}
	return nil
}

// Request sends body to subject and waits up to timeout (and ctx) for one
// reply. A timeout of 0 or less waits as long as ctx allows.
func (b *Broker) Request(ctx context.Context, subject string, body []byte, timeout time.Duration) ([]byte, error) {
	if b.done.Load() {
		return nil, fmt.Errorf("request to %q: %w", subject, ErrClosed)
	}
	rctx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		rctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	m, err := b.nc.RequestWithContext(rctx, subject, body)
	switch {
	case err == nil:
		return m.Data, nil
	case errors.Is(err, nats.ErrNoResponders):
		return nil, fmt.Errorf("request to %q: %w", subject, messaging.ErrNoResponders)
	case ctx.Err() != nil:
		return nil, fmt.Errorf("request to %q: %w", subject, ctx.Err())
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
		return nil, fmt.Errorf("request to %q: %w after %s", subject, messaging.ErrTimeout, timeout)
	}
	return nil, fmt.Errorf("request to %q: %w", subject, err)
}

// ErrClosed is returned by a Broker's methods after Close.
var ErrClosed = errors.New("broker is closed")

// Subscribe calls h for each message on subject (a NATS pattern), in a
// queue group when queue is not empty. When a message has a reply subject,
// h's result is sent back; h's error sends nothing and is logged.
func (b *Broker) Subscribe(subject, queue string, h messaging.Handler) (messaging.Subscription, error) {
	if err := messaging.ValidatePattern(subject); err != nil {
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	if strings.ContainsFunc(queue, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return nil, fmt.Errorf("subscribe to %q: invalid queue group %q: contains whitespace or a control character", subject, queue)
	}
	if h == nil {
		return nil, fmt.Errorf("subscribe to %q: nil handler", subject)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, fmt.Errorf("subscribe to %q: %w", subject, ErrClosed)
	}
	s := &subscription{b: b, h: h, sem: make(chan struct{}, b.concurrency)}
	s.ctx, s.cancel = context.WithCancel(b.ctx)
	var err error
	s.sub, err = b.nc.QueueSubscribe(subject, queue, s.deliver)
	if err != nil {
		return nil, fmt.Errorf("subscribe to %q: %w", subject, err)
	}
	b.subs[s] = struct{}{}
	return s, nil
}

// Close drains every subscription as Unsubscribe does (messages already
// received are still handled, handlers in flight finish), then cancels the
// handlers' context. The connection stays open.
func (b *Broker) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.done.Store(true)
	subs := make([]*subscription, 0, len(b.subs))
	for s := range b.subs {
		subs = append(subs, s)
	}
	b.mu.Unlock()
	var wg sync.WaitGroup
	errs := make([]error, len(subs))
	for i, s := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.drain()
		}()
	}
	wg.Wait()
	b.cancel()
	return errors.Join(errs...)
}

// subscription is one Subscribe.
type subscription struct {
	b        *Broker
	h        messaging.Handler
	sub      *nats.Subscription
	ctx      context.Context // handlers' context: the Broker's, canceled when draining times out
	cancel   context.CancelFunc
	sem      chan struct{} // bounds handlers in flight
	inflight sync.WaitGroup
	once     sync.Once
	err      error
}

func (s *subscription) deliver(m *nats.Msg) {
	s.inflight.Add(1)
	if cap(s.sem) == 1 {
		defer s.inflight.Done()
		s.handle(m)
		return
	}
	s.sem <- struct{}{}
	go func() {
		defer func() { <-s.sem; s.inflight.Done() }()
		s.handle(m)
	}()
}

func (s *subscription) handle(m *nats.Msg) {
	defer func() {
		if r := recover(); r != nil {
			s.b.log.Error("message handler panicked", "subject", m.Subject, "panic", fmt.Sprint(r))
		}
	}()
	out, err := s.h(s.ctx, messaging.Message{Subject: m.Subject, Reply: m.Reply, Body: m.Data})
	if errors.Is(err, messaging.ErrNoReply) {
		return
	}
	if err != nil {
		s.b.log.Error("message handler failed", "subject", m.Subject, "err", err)
		return
	}
	if m.Reply != "" {
		if err := m.Respond(out); err != nil {
			s.b.log.Error("reply to a message", "subject", m.Subject, "err", err)
		}
	}
}

// Unsubscribe drains the subscription: it stops deliveries, lets messages
// already received be handled and waits for them. Past the connection's
// drain timeout, it cancels the handlers' context and waits for them to
// return.
func (s *subscription) Unsubscribe() error {
	err := s.drain()
	s.b.mu.Lock()
	delete(s.b.subs, s)
	s.b.mu.Unlock()
	return err
}

func (s *subscription) drain() error {
	s.once.Do(func() {
		timeout := s.b.nc.Opts.DrainTimeout
		if timeout <= 0 {
			timeout = nats.DefaultDrainTimeout
		}
		closed := s.sub.StatusChanged(nats.SubscriptionClosed)
		if err := s.sub.Drain(); err != nil {
			if !errors.Is(err, nats.ErrConnectionClosed) && !errors.Is(err, nats.ErrBadSubscription) {
				s.err = fmt.Errorf("drain subscription %q: %w", s.sub.Subject, err)
			}
		} else {
			t := time.NewTimer(timeout)
			defer t.Stop()
			select {
			case <-closed:
			case <-t.C:
				s.err = fmt.Errorf("drain subscription %q: not drained after %s; canceled its handlers", s.sub.Subject, timeout)
				s.cancel()
			}
		}
		s.inflight.Wait()
		s.cancel()
	})
	return s.err
}
