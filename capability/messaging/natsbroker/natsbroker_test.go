package natsbroker_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wasmhive/wasmhive/capability/messaging"
	"github.com/wasmhive/wasmhive/capability/messaging/natsbroker"
	"github.com/wasmhive/wasmhive/internal/natsserver"
)

func server(t *testing.T, cfg natsserver.Config) *natsserver.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := natsserver.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	return s
}

func broker(t *testing.T, s *natsserver.Server) *natsbroker.Broker {
	t.Helper()
	return brokerWith(t, s, natsbroker.Config{})
}

func brokerWith(t *testing.T, s *natsserver.Server, cfg natsbroker.Config) *natsbroker.Broker {
	t.Helper()
	nc, err := s.Connect(t.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	b := natsbroker.New(nc, cfg)
	t.Cleanup(func() { b.Close() })
	return b
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func flush(t *testing.T, b *natsbroker.Broker) {
	t.Helper()
	if err := b.Conn().Flush(); err != nil {
		t.Fatal(err)
	}
}

func TestPublishSubscribe(t *testing.T) {
	s := server(t, natsserver.Config{})
	pub, sub := broker(t, s), broker(t, s)
	got := make(chan messaging.Message, 10)
	if _, err := sub.Subscribe("orders.*", "", func(_ context.Context, m messaging.Message) ([]byte, error) {
		m.Body = append([]byte(nil), m.Body...)
		got <- m
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	flush(t, sub)
	for _, subj := range []string{"orders.new", "other.new", "orders.new.deep", "orders.paid"} {
		if err := pub.Publish(ctx(t), subj, []byte("body of "+subj)); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{"orders.new", "orders.paid"} {
		select {
		case m := <-got:
			if m.Subject != want || string(m.Body) != "body of "+want || m.Reply != "" {
				t.Fatalf("got %+v, want %s", m, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no message on %s", want)
		}
	}
	select {
	case m := <-got:
		t.Fatalf("unexpected message %+v", m)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestRequestReply(t *testing.T) {
	s := server(t, natsserver.Config{})
	client, svc := broker(t, s), broker(t, s)
	if _, err := svc.Subscribe("svc.upper", "", func(_ context.Context, m messaging.Message) ([]byte, error) {
		if m.Reply == "" {
			return nil, errors.New("no reply subject")
		}
		return []byte(strings.ToUpper(string(m.Body))), nil
	}); err != nil {
		t.Fatal(err)
	}
	flush(t, svc)
	out, err := client.Request(ctx(t), "svc.upper", []byte("hello"), 5*time.Second)
	if err != nil || string(out) != "HELLO" {
		t.Fatalf("request = %q, %v", out, err)
	}
}

func TestRequestErrors(t *testing.T) {
	s := server(t, natsserver.Config{})
	client, svc := broker(t, s), broker(t, s)
	_, err := client.Request(ctx(t), "nobody.here", nil, 5*time.Second)
	if !errors.Is(err, messaging.ErrNoResponders) {
		t.Fatalf("no responders: err = %v", err)
	}
	// A handler that fails sends no reply: the request times out.
	if _, err := svc.Subscribe("svc.fail", "", func(context.Context, messaging.Message) ([]byte, error) {
		return nil, errors.New("cannot")
	}); err != nil {
		t.Fatal(err)
	}
	flush(t, svc)
	start := time.Now()
	_, err = client.Request(ctx(t), "svc.fail", nil, 100*time.Millisecond)
	if !errors.Is(err, messaging.ErrTimeout) {
		t.Fatalf("timeout: err = %v", err)
	}
	if d := time.Since(start); d < 100*time.Millisecond || d > 3*time.Second {
		t.Fatalf("timeout after %s, want about 100ms", d)
	}
	// The caller's context ending first is not a timeout.
	c, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err = client.Request(c, "svc.fail", nil, 5*time.Second)
	if !errors.Is(err, context.Canceled) || errors.Is(err, messaging.ErrTimeout) {
		t.Fatalf("canceled: err = %v", err)
	}
}

func TestQueueGroup(t *testing.T) {
	s := server(t, natsserver.Config{})
	pub := broker(t, s)
	var counts [2]atomic.Int32
	var wg sync.WaitGroup
	const n = 40
	wg.Add(n)
	for i := range counts {
		b := broker(t, s)
		if _, err := b.Subscribe("jobs", "workers", func(context.Context, messaging.Message) ([]byte, error) {
			counts[i].Add(1)
			wg.Done()
			return nil, nil
		}); err != nil {
			t.Fatal(err)
		}
		flush(t, b)
	}
	for i := 0; i < n; i++ {
		if err := pub.Publish(ctx(t), "jobs", []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	waitGroup(t, &wg)
	time.Sleep(50 * time.Millisecond) // no duplicate deliveries trickle in
	if a, b := counts[0].Load(), counts[1].Load(); a+b != n {
		t.Fatalf("queue group delivered %d+%d messages, want %d in all", a, b, n)
	}
}

func waitGroup(t *testing.T, wg *sync.WaitGroup) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("handlers did not all run")
	}
}

func TestConcurrency(t *testing.T) {
	s := server(t, natsserver.Config{})
	pub := broker(t, s)
	for _, c := range []struct{ n, want int32 }{{1, 1}, {4, 4}} {
		b := brokerWith(t, s, natsbroker.Config{Concurrency: int(c.n)})
		var running, peak atomic.Int32
		var wg sync.WaitGroup
		wg.Add(8)
		subj := fmt.Sprint("work.", c.n)
		if _, err := b.Subscribe(subj, "", func(context.Context, messaging.Message) ([]byte, error) {
			r := running.Add(1)
			for p := peak.Load(); r > p && !peak.CompareAndSwap(p, r); p = peak.Load() {
			}
			time.Sleep(30 * time.Millisecond)
			running.Add(-1)
			wg.Done()
			return nil, nil
		}); err != nil {
			t.Fatal(err)
		}
		flush(t, b)
		for i := 0; i < 8; i++ {
			pub.Publish(ctx(t), subj, nil)
		}
		waitGroup(t, &wg)
		if p := peak.Load(); p != c.want {
			t.Errorf("concurrency %d: peak of %d handlers at once, want %d", c.n, p, c.want)
		}
	}
}

func TestCloseDrains(t *testing.T) {
	s := server(t, natsserver.Config{})
	pub, sub := broker(t, s), broker(t, s)
	var handled atomic.Int32
	var ctxErr atomic.Value
	started := make(chan struct{}, 1)
	if _, err := sub.Subscribe("slow", "", func(c context.Context, _ messaging.Message) ([]byte, error) {
		select {
		case started <- struct{}{}:
		default:
		}
		time.Sleep(50 * time.Millisecond)
		if c.Err() != nil {
			ctxErr.Store(c.Err())
		}
		handled.Add(1)
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	flush(t, sub)
	for i := 0; i < 3; i++ {
		pub.Publish(ctx(t), "slow", nil)
	}
	flush(t, pub)
	<-started
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	if n := handled.Load(); n != 3 {
		t.Fatalf("Close returned with %d of 3 received messages handled", n)
	}
	if e := ctxErr.Load(); e != nil {
		t.Fatalf("a handler saw its context end during the drain: %v", e)
	}
	if _, err := sub.Subscribe("x", "", func(context.Context, messaging.Message) ([]byte, error) { return nil, nil }); !errors.Is(err, natsbroker.ErrClosed) {
		t.Fatalf("Subscribe after Close: err = %v", err)
	}
	if err := sub.Publish(ctx(t), "x", nil); !errors.Is(err, natsbroker.ErrClosed) {
		t.Fatalf("Publish after Close: err = %v", err)
	}
	if !sub.Conn().IsConnected() {
		t.Fatal("Close closed the connection it was given")
	}
}

func TestUnsubscribe(t *testing.T) {
	s := server(t, natsserver.Config{})
	pub, sub := broker(t, s), broker(t, s)
	var n atomic.Int32
	h, err := sub.Subscribe("u", "", func(context.Context, messaging.Message) ([]byte, error) { n.Add(1); return nil, nil })
	if err != nil {
		t.Fatal(err)
	}
	flush(t, sub)
	pub.Publish(ctx(t), "u", nil)
	flush(t, pub)
	for end := time.Now().Add(5 * time.Second); n.Load() == 0 && time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
	}
	if err := h.Unsubscribe(); err != nil {
		t.Fatal(err)
	}
	pub.Publish(ctx(t), "u", nil)
	flush(t, pub)
	time.Sleep(50 * time.Millisecond)
	if got := n.Load(); got != 1 {
		t.Fatalf("%d messages handled, want 1 (none after Unsubscribe)", got)
	}
	if err := h.Unsubscribe(); err != nil {
		t.Fatalf("second Unsubscribe: %v", err)
	}
}

func TestSubscribeErrors(t *testing.T) {
	s := server(t, natsserver.Config{})
	b := broker(t, s)
	h := func(context.Context, messaging.Message) ([]byte, error) { return nil, nil }
	for _, c := range []struct{ subject, queue, want string }{
		{"", "", "empty"},
		{"a..b", "", "empty token"},
		{"a.>.b", "", "last token"},
		{"a b", "", "whitespace"},
		{"ok", "bad queue", "queue group"},
	} {
		if _, err := b.Subscribe(c.subject, c.queue, h); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Subscribe(%q, %q): err = %v, want %q", c.subject, c.queue, err, c.want)
		}
	}
	if _, err := b.Subscribe("ok", "", nil); err == nil {
		t.Error("Subscribe with a nil handler succeeded")
	}
}

// TestHandlerPanic: a panicking or failing handler is logged to
// Config.Logger and the subscription goes on.
func TestHandlerPanic(t *testing.T) {
	s := server(t, natsserver.Config{})
	var logs syncBuffer
	client := broker(t, s)
	svc := brokerWith(t, s, natsbroker.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if _, err := svc.Subscribe("p", "", func(_ context.Context, m messaging.Message) ([]byte, error) {
		switch string(m.Body) {
		case "panic":
			panic("boom")
		case "fail":
			return nil, errors.New("cannot")
		}
		return []byte("fine"), nil
	}); err != nil {
		t.Fatal(err)
	}
	flush(t, svc)
	for _, body := range []string{"panic", "fail"} {
		if _, err := client.Request(ctx(t), "p", []byte(body), 100*time.Millisecond); !errors.Is(err, messaging.ErrTimeout) {
			t.Fatalf("request to a handler that does %s: err = %v", body, err)
		}
	}
	// One handler at a time: once "fine" is answered, the two before it
	// have been handled and logged.
	if out, err := client.Request(ctx(t), "p", nil, 5*time.Second); err != nil || string(out) != "fine" {
		t.Fatalf("request after a panic = %q, %v", out, err)
	}
	for _, want := range []string{`msg="message handler panicked" subject=p panic=boom`, `msg="message handler failed" subject=p err=cannot`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the handlers' goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestDial(t *testing.T) {
	s := server(t, natsserver.Config{Listen: "127.0.0.1:0"})
	nc, err := natsbroker.Dial(ctx(t), s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	in := broker(t, s)
	if _, err := in.Subscribe("dial.echo", "", func(_ context.Context, m messaging.Message) ([]byte, error) { return m.Body, nil }); err != nil {
		t.Fatal(err)
	}
	flush(t, in)
	if out, err := natsbroker.New(nc, natsbroker.Config{}).Request(ctx(t), "dial.echo", []byte("tcp"), 5*time.Second); err != nil || string(out) != "tcp" {
		t.Fatalf("request over TCP = %q, %v", out, err)
	}

	// A port nobody listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = natsbroker.Dial(c, "nats://user:secret@"+addr)
	if err == nil || !strings.Contains(err.Error(), addr) || strings.Contains(err.Error(), "secret") {
		t.Fatalf("Dial to a closed port: err = %v, want the address and no password", err)
	}
	if _, err := natsbroker.Dial(c, " "); err == nil || !strings.Contains(err.Error(), "no server URL") {
		t.Fatalf("Dial without a URL: err = %v", err)
	}
	// An expired context stops Dial at once.
	c2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := natsbroker.Dial(c2, s.ClientURL()); !errors.Is(err, context.Canceled) {
		t.Fatalf("Dial with a canceled context: err = %v", err)
	}
}

func TestReplyViaConn(t *testing.T) {
	// A plain nats.go requester gets the handler's reply, headers and all.
	s := server(t, natsserver.Config{})
	svc := broker(t, s)
	if _, err := svc.Subscribe("plain", "", func(_ context.Context, m messaging.Message) ([]byte, error) { return []byte("ok " + m.Subject), nil }); err != nil {
		t.Fatal(err)
	}
	flush(t, svc)
	nc, err := s.Connect("plain")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	m, err := nc.RequestMsg(&nats.Msg{Subject: "plain", Data: []byte("x")}, 5*time.Second)
	if err != nil || string(m.Data) != "ok plain" {
		t.Fatalf("request = %v, %v", m, err)
	}
}
