package messaging_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/capability/messaging"
	"github.com/wasmhive/wasmhive/capability/messaging/natsbroker"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/natsserver"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

// env is an embedded NATS server and the test guest's compiled module.
type env struct {
	srv *natsserver.Server
	rt  *engine.Runtime
	mod *engine.Module
}

// The runtime and the compiled guest are shared by the package's tests:
// compiling a Go guest takes seconds.
var shared struct {
	once sync.Once
	rt   *engine.Runtime
	mod  *engine.Module
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.rt != nil {
		shared.rt.Close(context.Background())
	}
	os.Exit(code)
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	wasm := testguest.GoReactor(t, "capabilities/messaging")
	shared.once.Do(func() {
		ec := engine.Config{NoCache: true}
		for _, h := range append(extism.HostModules(), messaging.HostModules()...) {
			ec.HostModules = append(ec.HostModules, h)
		}
		if shared.rt, shared.err = engine.NewRuntime(ctx, ec); shared.err == nil {
			shared.mod, shared.err = shared.rt.CompileFile(ctx, wasm)
		}
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	srv, err := natsserver.Start(ctx, natsserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	return &env{srv: srv, rt: shared.rt, mod: shared.mod}
}

// broker returns a Broker on a new connection to the server.
func (e *env) broker(t testing.TB) *natsbroker.Broker {
	t.Helper()
	nc, err := e.srv.Connect(t.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	b := natsbroker.New(nc, natsbroker.Config{})
	t.Cleanup(func() { b.Close() })
	return b
}

// guest is one instance of the test guest.
type guest struct {
	mu   sync.Mutex
	inst *engine.Instance
	st   *extism.State
}

// instance instantiates the guest with binding b (none when b is nil).
func (e *env) instance(t testing.TB, b *messaging.Binding) *guest {
	t.Helper()
	var icfg engine.InstanceConfig
	st := extism.NewState(extism.StateConfig{Name: "messaging"})
	st.Attach(&icfg)
	if b != nil {
		if err := messaging.Attach(&icfg, b); err != nil {
			t.Fatal(err)
		}
	}
	inst, err := e.rt.Instantiate(context.Background(), e.mod, icfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close(context.Background()) })
	return &guest{inst: inst, st: st}
}

func (g *guest) call(ctx context.Context, fn string, in []byte) ([]byte, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return extism.Call(ctx, g.inst, g.st, fn, in)
}

type result struct {
	Reply string `json:"reply"`
	Error string `json:"error"`
	Kind  string `json:"kind"`
}

// do calls export fn of g with {"subject","body","timeout_ms"}.
func (g *guest) do(t *testing.T, fn, subject, body string, timeoutMS int) result {
	t.Helper()
	in, _ := json.Marshal(map[string]any{"subject": subject, "body": body, "timeout_ms": timeoutMS})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := g.call(ctx, fn, in)
	if err != nil {
		t.Fatalf("%s(%s): %v", fn, in, err)
	}
	var r result
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("%s: output %q: %v", fn, out, err)
	}
	return r
}

func TestPublishSeenBySubscriber(t *testing.T) {
	e := newEnv(t)
	sub := e.broker(t)
	got := make(chan messaging.Message, 1)
	if _, err := sub.Subscribe("orders.>", "", func(_ context.Context, m messaging.Message) ([]byte, error) {
		m.Body = append([]byte(nil), m.Body...)
		got <- m
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	sub.Conn().Flush()
	g := e.instance(t, &messaging.Binding{Broker: e.broker(t), Subjects: []string{"orders.>"}})
	if r := g.do(t, "publish", "orders.eu.new", "order 1", 0); r.Error != "" {
		t.Fatalf("publish: %+v", r)
	}
	select {
	case m := <-got:
		if m.Subject != "orders.eu.new" || string(m.Body) != "order 1" {
			t.Fatalf("subscriber got %+v", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the subscriber got nothing")
	}
}

func TestRequestAnswered(t *testing.T) {
	e := newEnv(t)
	svc := e.broker(t)
	if _, err := svc.Subscribe("svc.greet", "", func(_ context.Context, m messaging.Message) ([]byte, error) {
		return []byte("hello " + string(m.Body)), nil
	}); err != nil {
		t.Fatal(err)
	}
	svc.Conn().Flush()
	g := e.instance(t, &messaging.Binding{Broker: e.broker(t)})
	if r := g.do(t, "request", "svc.greet", "wasm", 2000); r.Error != "" || r.Reply != "hello wasm" {
		t.Fatalf("request: %+v", r)
	}
}

func TestRequestTimeoutAndNoResponders(t *testing.T) {
	e := newEnv(t)
	svc := e.broker(t)
	if _, err := svc.Subscribe("svc.silent", "", func(context.Context, messaging.Message) ([]byte, error) {
		return nil, errors.New("never answers")
	}); err != nil {
		t.Fatal(err)
	}
	svc.Conn().Flush()
	g := e.instance(t, &messaging.Binding{Broker: e.broker(t), Timeout: 150 * time.Millisecond})

	start := time.Now()
	r := g.do(t, "request", "svc.silent", "", 100)
	if r.Kind != "timeout" || !strings.Contains(r.Error, "100ms") {
		t.Fatalf("request with a 100ms timeout: %+v", r)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("timed out after %s", d)
	}
	// The binding's default applies when the guest gives none.
	if r := g.do(t, "request", "svc.silent", "", 0); r.Kind != "timeout" || !strings.Contains(r.Error, "150ms") {
		t.Fatalf("request with the default timeout: %+v", r)
	}
	if r := g.do(t, "request", "svc.nobody", "", 1000); r.Kind != "no_responders" || !strings.Contains(r.Error, "svc.nobody") {
		t.Fatalf("request without responders: %+v", r)
	}
}

func TestDeniedAndInvalidSubjects(t *testing.T) {
	e := newEnv(t)
	b := e.broker(t)
	g := e.instance(t, &messaging.Binding{Broker: b, Subjects: []string{"orders.*", "audit.>"}})
	for _, c := range []struct{ fn, subject, want string }{
		{"publish", "secrets.keys", "not allowed"},
		{"publish", "orders.eu.new", "not allowed"}, // '*' is one token
		{"request", "audit", "not allowed"},         // '>' needs one more token
		{"publish", "", "empty"},
		{"publish", "orders.a b", "whitespace"},
		{"publish", "orders.*", "wildcard"},
		{"request", "audit.>", "wildcard"},
		{"publish", "orders..x", "empty token"},
	} {
		if r := g.do(t, c.fn, c.subject, "x", 100); r.Kind != "other" || !strings.Contains(r.Error, c.want) {
			t.Errorf("%s %q: %+v, want an error containing %q", c.fn, c.subject, r, c.want)
		}
	}
	if r := g.do(t, "publish", "audit.login.ok", "x", 0); r.Error != "" {
		t.Errorf("publish to an allowed subject: %+v", r)
	}
	// With no subjects granted, everything but the server's own APIs is allowed.
	open := e.instance(t, &messaging.Binding{Broker: b})
	if r := open.do(t, "publish", "$JS.API.STREAM.DELETE.KV_other", "", 0); !strings.Contains(r.Error, "not allowed") {
		t.Errorf("publish to $JS.API without a grant naming it: %+v", r)
	}
	if r := open.do(t, "publish", "anything.goes", "", 0); r.Error != "" {
		t.Errorf("publish with no subject limit: %+v", r)
	}
}

func TestBodyLimit(t *testing.T) {
	e := newEnv(t)
	svc := e.broker(t)
	if _, err := svc.Subscribe("big", "", func(context.Context, messaging.Message) ([]byte, error) {
		return []byte(strings.Repeat("r", 17)), nil
	}); err != nil {
		t.Fatal(err)
	}
	svc.Conn().Flush()
	g := e.instance(t, &messaging.Binding{Broker: e.broker(t), MaxBodyBytes: 16})
	if r := g.do(t, "publish", "big", strings.Repeat("b", 17), 0); !strings.Contains(r.Error, "exceeds the limit of 16 bytes") {
		t.Errorf("publish of 17 bytes: %+v", r)
	}
	if r := g.do(t, "request", "big", "small", 2000); !strings.Contains(r.Error, "reply of 17 bytes exceeds the limit of 16 bytes") {
		t.Errorf("request with a 17-byte reply: %+v", r)
	}
}

func TestNotBound(t *testing.T) {
	e := newEnv(t)
	g := e.instance(t, nil)
	if r := g.do(t, "publish", "x", "", 0); !strings.Contains(r.Error, "not bound") {
		t.Fatalf("publish without a binding: %+v", r)
	}
}

func TestAttachErrors(t *testing.T) {
	var icfg engine.InstanceConfig
	if err := messaging.Attach(&icfg, &messaging.Binding{}); err == nil || !strings.Contains(err.Error(), "no broker") {
		t.Errorf("Attach without a broker: %v", err)
	}
	b := natsbroker.New(nil, natsbroker.Config{})
	if err := messaging.Attach(&icfg, &messaging.Binding{Broker: b, Subjects: []string{"a.>.b"}}); err == nil || !strings.Contains(err.Error(), "a.>.b") {
		t.Errorf("Attach with a bad pattern: %v", err)
	}
}

// TestHandleMessage delivers messages to the guest's handle_message export
// as the Host does: a subscription whose handler calls the export with the
// encoded message, the export's output being the reply.
func TestHandleMessage(t *testing.T) {
	e := newEnv(t)
	g := e.instance(t, nil)
	ctx := context.Background()

	out, err := g.call(ctx, "handle_message", messaging.EncodeMessage(messaging.Message{Subject: "direct", Body: []byte("b")}))
	if err != nil || string(out) != "handled subject=direct reply=false body=b" {
		t.Fatalf("handle_message = %q, %v", out, err)
	}

	sub := e.broker(t)
	if _, err := sub.Subscribe("jobs.*", "workers", func(ctx context.Context, m messaging.Message) ([]byte, error) {
		return g.call(ctx, "handle_message", messaging.EncodeMessage(m))
	}); err != nil {
		t.Fatal(err)
	}
	sub.Conn().Flush()
	client := e.broker(t)
	reply, err := client.Request(ctx, "jobs.resize", []byte("img-1"), 20*time.Second)
	if err != nil || string(reply) != "handled subject=jobs.resize reply=true body=img-1" {
		t.Fatalf("request to the component = %q, %v", reply, err)
	}
	// The export failing sends no reply.
	if _, err := client.Request(ctx, "jobs.resize", []byte("fail"), 200*time.Millisecond); !errors.Is(err, messaging.ErrTimeout) {
		t.Fatalf("request the component fails: err = %v, want a timeout", err)
	}
}
