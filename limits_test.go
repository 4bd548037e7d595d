package wasmhive_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/capability/messaging"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

// logBuffer is a log destination safe for concurrent writes.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *logBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// lines returns the logged lines containing every one of words.
func (s *logBuffer) lines(words ...string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, l := range strings.Split(s.b.String(), "\n") {
		ok := l != ""
		for _, w := range words {
			ok = ok && strings.Contains(l, w)
		}
		if ok {
			out = append(out, l)
		}
	}
	return out
}

// limitsHost is a Host whose logs go to the returned buffer.
func limitsHost(t *testing.T) (*wasmhive.Host, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	h, err := wasmhive.NewHost(context.Background(), wasmhive.HostConfig{
		NoCache: true,
		DataDir: t.TempDir(),
		Logger:  slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(context.Background()) })
	return h, logs
}

func addComponent(t *testing.T, h *wasmhive.Host, name, guest string, cfg wasmhive.ComponentConfig) *wasmhive.Component {
	t.Helper()
	cfg.Module = testguest.GoReactor(t, guest)
	c, err := h.AddComponent(context.Background(), name, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wantLimit checks that err is component's *engine.LimitError for limit,
// reported in one line naming both, that it was counted (count in all),
// and logged.
func wantLimit(t *testing.T, err error, c *wasmhive.Component, logs *logBuffer, limit string, count uint64) *engine.LimitError {
	t.Helper()
	var le *engine.LimitError
	if !errors.As(err, &le) || !errors.Is(err, engine.ErrLimit) {
		t.Fatalf("got %v (%T), want the %s limit", err, err, limit)
	}
	msg := err.Error()
	if le.Limit != limit || le.Module != c.Name() || strings.Contains(msg, "\n") ||
		!strings.HasPrefix(msg, c.Name()+": ") || !strings.Contains(msg, "limit "+limit+" exceeded") {
		t.Fatalf("got %q (%+v), want one line naming component %s and limit %s", msg, le, c.Name(), limit)
	}
	if n := c.Violations()[limit]; n != count {
		t.Fatalf("Violations()[%s] = %d, want %d", limit, n, count)
	}
	if len(logs.lines(`level=WARN msg="limit exceeded" component=`+c.Name()+" limit="+limit)) == 0 {
		t.Fatalf("no warning logged for %s's %s", c.Name(), limit)
	}
	return le
}

func script(t *testing.T, h *wasmhive.Host, component string, steps ...map[string]any) ([]byte, error) {
	t.Helper()
	in, _ := json.Marshal(steps)
	return h.Invoke(context.Background(), component, "script", in)
}

// TestLimitsKeyValue: a call past a keyvalue limit fails with the limit,
// is counted and logged, and neither the next call of the component nor
// another component's calls suffer.
func TestLimitsKeyValue(t *testing.T) {
	h, logs := limitsHost(t)
	kv := addComponent(t, h, "kv", "limits/kv", wasmhive.ComponentConfig{
		Grants:    wasmhive.Grants{KeyValue: &wasmhive.KeyValueGrant{}},
		Limits:    wasmhive.Limits{KeyValueKeysPerCall: 10, KeyValueValueBytes: 100},
		Instances: wasmhive.Instances{Max: 1},
	})
	other := addComponent(t, h, "other", "limits/kv", wasmhive.ComponentConfig{
		Grants: wasmhive.Grants{KeyValue: &wasmhive.KeyValueGrant{}},
	})
	get := func(n int) map[string]any { return map[string]any{"op": "get", "key": "k", "n": n} }
	for i := 1; i <= 2; i++ {
		_, err := script(t, h, "kv", get(6), map[string]any{"op": "get_many", "key": "m", "n": 5})
		le := wantLimit(t, err, kv, logs, wasmhive.LimitKeyValueKeysPerCall, uint64(i))
		if le.Max != 10 || le.Got != 11 || le.Function != "script" {
			t.Errorf("got %+v", le)
		}
		if out, err := script(t, h, "kv", get(10)); err != nil || string(out) != "10" {
			t.Fatalf("the next call, at the limit: %q, %v", out, err)
		}
	}
	if out, err := script(t, h, "other", get(11)); err != nil || string(out) != "11" {
		t.Fatalf("another component's call: %q, %v", out, err)
	}
	_, err := script(t, h, "kv", map[string]any{"op": "set", "key": "v", "n": 1, "size": 101})
	le := wantLimit(t, err, kv, logs, wasmhive.LimitKeyValueValueBytes, 1)
	if le.Max != 100 || le.Got != 101 {
		t.Errorf("got %+v", le)
	}
	if _, err := script(t, h, "kv", map[string]any{"op": "set", "key": "v", "n": 1, "size": 100}); err != nil {
		t.Fatalf("a value at the limit: %v", err)
	}
	// Each violation discarded its instance; none is left broken in the pool.
	if s := kv.Stats(); s.Discarded != 3 {
		t.Errorf("stats %+v: want the 3 instances that passed a limit discarded", s)
	}
	if v := other.Violations(); len(v) != 0 {
		t.Errorf("the other component counts violations %v", v)
	}
}

// TestLimitsRequestResponse: an input over the request limit is refused
// before any instance is taken; an output over the response limit is not
// returned.
func TestLimitsRequestResponse(t *testing.T) {
	h, logs := limitsHost(t)
	c := addComponent(t, h, "io", "limits/kv", wasmhive.ComponentConfig{
		Grants: wasmhive.Grants{KeyValue: &wasmhive.KeyValueGrant{}},
		Limits: wasmhive.Limits{RequestBytes: 1000, ResponseBytes: 2000},
	})
	ctx := context.Background()
	if out, err := h.Invoke(ctx, "io", "echo", make([]byte, 1000)); err != nil || len(out) != 1000 {
		t.Fatalf("input at the limit: %d bytes, %v", len(out), err)
	}
	calls := c.Stats().Calls
	_, err := h.Invoke(ctx, "io", "echo", make([]byte, 1001))
	le := wantLimit(t, err, c, logs, wasmhive.LimitRequestBytes, 1)
	if le.Max != 1000 || le.Got != 1001 || le.Function != "echo" {
		t.Errorf("got %+v", le)
	}
	if s := c.Stats(); s.Calls != calls {
		t.Errorf("an input over the limit took an instance (calls %d -> %d)", calls, s.Calls)
	}
	if out, err := h.Invoke(ctx, "io", "out", []byte("2000")); err != nil || len(out) != 2000 {
		t.Fatalf("output at the limit: %d bytes, %v", len(out), err)
	}
	out, err := c.Call(ctx, "out", []byte("2001"))
	le = wantLimit(t, err, c, logs, wasmhive.LimitResponseBytes, 1)
	if out != nil || le.Max != 2000 || le.Got != 2001 {
		t.Errorf("got %d bytes, %+v", len(out), le)
	}
	if out, err := h.Invoke(ctx, "io", "echo", []byte("still here")); err != nil || string(out) != "still here" {
		t.Fatalf("after the violations: %q, %v", out, err)
	}
	// A dedicated instance (Plugin) has the same limits.
	p, err := c.Instance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	_, err = p.Call(ctx, "echo", make([]byte, 1001))
	wantLimit(t, err, c, logs, wasmhive.LimitRequestBytes, 2)
}

// TestLimitsHTTP: the outgoing requests of one call, through the http
// capability and Extism's http_request together, are capped; the grant's
// timeout bounds an http_request.
func TestLimitsHTTP(t *testing.T) {
	var hits atomic.Int64
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select { // never answers while the request lives
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		hits.Add(1)
		w.Write([]byte("hi"))
	}))
	defer srv.Close()
	defer close(release)
	h, logs := limitsHost(t)
	web := addComponent(t, h, "web", "limits/http", wasmhive.ComponentConfig{
		Grants: wasmhive.Grants{HTTP: &wasmhive.HTTPGrant{AllowedHosts: []string{"127.0.0.1"}, Timeout: 300 * time.Millisecond}},
		Limits: wasmhive.Limits{HTTPRequestsPerCall: 3},
	})
	fetch := func(capability, ext int, path string) ([]byte, error) {
		in, _ := json.Marshal(map[string]any{"url": srv.URL + path, "capability": capability, "extism": ext})
		return h.Invoke(context.Background(), "web", "fetch", in)
	}
	violations := uint64(0)
	for _, tc := range []struct{ capability, extism int }{{3, 0}, {0, 3}, {1, 2}, {2, 1}} {
		if out, err := fetch(tc.capability, tc.extism, "/"); err != nil || string(out) != "3" {
			t.Fatalf("%d + %d requests under a limit of 3: %q, %v", tc.capability, tc.extism, out, err)
		}
	}
	for _, tc := range []struct{ capability, extism int }{{4, 0}, {0, 4}, {2, 2}, {3, 1}} {
		before := hits.Load()
		_, err := fetch(tc.capability, tc.extism, "/")
		violations++
		le := wantLimit(t, err, web, logs, wasmhive.LimitHTTPRequestsPerCall, violations)
		if le.Max != 3 || le.Got != 4 {
			t.Errorf("got %+v", le)
		}
		if n := hits.Load() - before; n != 3 {
			t.Errorf("%d + %d requests: %d reached the server, want 3", tc.capability, tc.extism, n)
		}
		// A call that keeps within the limit, so that the violations are not
		// calls in a row that broke their instance (see TestCrashLoopBackoff).
		if out, err := fetch(1, 0, "/"); err != nil || string(out) != "1" {
			t.Fatalf("a call under the limit after a violation: %q, %v", out, err)
		}
	}
	// The grant's timeout applies to Extism's http_request as to the
	// capability's requests: the call fails, it does not wait for the call's
	// own deadline (none here).
	_, err := fetch(0, 1, "/slow")
	var he *extism.HostError
	if !errors.As(err, &he) || !strings.Contains(err.Error(), "no response within 300ms") {
		t.Fatalf("http_request to a server that does not answer: %v (%T)", err, err)
	}
	if out, err := fetch(1, 1, "/"); err != nil || string(out) != "2" {
		t.Fatalf("after the violations: %q, %v", out, err)
	}
}

// TestLimitsMessagesPerSecond: the component's publishes share one token
// bucket across its instances; a burst past it fails with the limit, and
// the bucket refills.
func TestLimitsMessagesPerSecond(t *testing.T) {
	h, logs := limitsHost(t)
	pub := addComponent(t, h, "pub", "limits/msg", wasmhive.ComponentConfig{
		Grants: wasmhive.Grants{Messaging: &wasmhive.MessagingGrant{Subjects: []string{"limits.>"}}},
		Limits: wasmhive.Limits{MessagesPerSecond: 5},
	})
	ctx := context.Background()
	broker, err := h.Broker(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var received atomic.Int64
	sub, err := broker.Subscribe("limits.>", "", func(context.Context, messaging.Message) ([]byte, error) {
		received.Add(1)
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	publish := func(p interface {
		Call(context.Context, string, []byte) ([]byte, error)
	}, n int) error {
		in, _ := json.Marshal(map[string]any{"subject": "limits.test", "n": n})
		out, err := p.Call(ctx, "publish", in)
		if err == nil && string(out) != strconv.Itoa(n) {
			return fmt.Errorf("published %q, want %d", out, n)
		}
		return err
	}
	// A burst of 50 in one call: the bucket holds 5 (more only if the 50
	// publishes took seconds).
	le := wantLimit(t, publish(pub, 50), pub, logs, wasmhive.LimitMessagesPerSecond, 1)
	if le.Max != 5 {
		t.Errorf("got %+v", le)
	}
	// Two instances draw from the same bucket: after a wait that refills
	// it, 4 publishes on one leave too few for 4 on the other.
	a, err := pub.Instance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(ctx)
	b, err := pub.Instance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(ctx)
	time.Sleep(1100 * time.Millisecond)
	if err := publish(a, 4); err != nil {
		t.Fatalf("4 publishes after a refill: %v", err)
	}
	wantLimit(t, publish(b, 4), pub, logs, wasmhive.LimitMessagesPerSecond, 2)
	// Later calls publish again.
	time.Sleep(1100 * time.Millisecond)
	if err := publish(pub, 5); err != nil {
		t.Fatalf("a burst of 5 after the bucket refilled: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for received.Load() < 5+4+1+5 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := received.Load(); n < 5+4+1+5 || n >= 50+4+4+5 {
		t.Errorf("%d messages delivered, want those the bucket allowed (at least 15, not all 63)", n)
	}
}

// TestLimitsMemoryAndTimeout: a guest that runs out of memory at its cap
// fails with the memory limit (not the Go runtime's exit status), one that
// runs past its timeout with the timeout; both are counted, and the
// component serves the next call.
func TestLimitsMemoryAndTimeout(t *testing.T) {
	h, logs := limitsHost(t)
	c := addComponent(t, h, "mem", "limits/kv", wasmhive.ComponentConfig{
		Grants: wasmhive.Grants{KeyValue: &wasmhive.KeyValueGrant{}},
		Limits: wasmhive.Limits{Memory: 32 << 20, Timeout: 200 * time.Millisecond},
	})
	ctx := context.Background()
	if out, err := c.Call(ctx, "grow", []byte("8")); err != nil || string(out) != "8" {
		t.Fatalf("8 MiB under a 32 MiB cap: %q, %v", out, err)
	}
	_, err := c.Call(ctx, "grow", []byte("64"))
	le := wantLimit(t, err, c, logs, wasmhive.LimitMemory, 1)
	if le.Max != 32<<20 || le.Got <= 32<<20 || le.Function != "grow" {
		t.Errorf("got %+v", le)
	}
	if out, err := c.Call(ctx, "grow", []byte("1")); err != nil || string(out) != "1" {
		t.Fatalf("after running out of memory, a new instance: %q, %v", out, err)
	}
	_, err = c.Call(ctx, "spin", nil)
	if !errors.Is(err, engine.ErrTimeout) || c.Violations()[wasmhive.LimitTimeout] != 1 ||
		len(logs.lines("level=INFO", "limit exceeded", "component=mem", "limit=timeout")) != 1 {
		t.Fatalf("spin past the timeout: %v, violations %v", err, c.Violations())
	}
	if out, err := c.Call(ctx, "echo", []byte("ok")); err != nil || string(out) != "ok" {
		t.Fatalf("after the timeout: %q, %v", out, err)
	}
}

// A call past a limit fails with a *LimitError naming it, and the
// component counts it.
func ExampleComponent_Violations() {
	ctx := context.Background()
	h, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{NoCache: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close(ctx)
	c, err := h.AddComponent(ctx, "echo", wasmhive.ComponentConfig{
		Module: "testdata/guests/plugins/host/kernel.wasm",
		Limits: wasmhive.Limits{RequestBytes: 8},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, in := range []string{"hello", "hello, world"} {
		out, err := h.Invoke(ctx, "echo", "echo", []byte(in))
		var le *wasmhive.LimitError
		fmt.Printf("%q %v %v %v\n", out, err, errors.Is(err, wasmhive.ErrLimit), errors.As(err, &le) && le.Limit == wasmhive.LimitRequestBytes)
	}
	fmt.Println(c.Violations())
	// Output:
	// "hello" <nil> false false
	// "" echo: echo: limit request_bytes exceeded (12, the limit is 8) true true
	// map[request_bytes:1]
}

// TestLimitsFuel: a spinning call past limits.fuel fails with the fuel
// limit (counted, logged at info level as a timeout is), well before the
// timeout, and the component's next call runs on a new instance.
func TestLimitsFuel(t *testing.T) {
	h, logs := limitsHost(t)
	c := addComponent(t, h, "metered", "limits/kv", wasmhive.ComponentConfig{
		Grants: wasmhive.Grants{KeyValue: &wasmhive.KeyValueGrant{}},
		Limits: wasmhive.Limits{Fuel: 5_000_000, Timeout: time.Minute},
	})
	ctx := context.Background()
	start := time.Now()
	_, err := c.Call(ctx, "spin", nil)
	var le *engine.LimitError
	if !errors.As(err, &le) || le.Limit != wasmhive.LimitFuel || le.Max != 5_000_000 || le.Module != "metered" ||
		c.Violations()[wasmhive.LimitFuel] != 1 || len(logs.lines("level=INFO", "limit exceeded", "component=metered", "limit=fuel")) != 1 {
		t.Fatalf("spin with 5M units of fuel: %v (%+v), violations %v", err, le, c.Violations())
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("the fuel limit took %v, as long as the timeout", d)
	}
	if out, err := c.Call(ctx, "echo", []byte("ok")); err != nil || string(out) != "ok" {
		t.Fatalf("after running out of fuel: %q, %v", out, err)
	}
}
