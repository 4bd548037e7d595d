package c_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/capability/config"
	"github.com/wasmhive/wasmhive/capability/httpclient"
	"github.com/wasmhive/wasmhive/capability/keyvalue"
	"github.com/wasmhive/wasmhive/capability/keyvalue/boltkv"
	"github.com/wasmhive/wasmhive/capability/logging"
	"github.com/wasmhive/wasmhive/capability/messaging"
	"github.com/wasmhive/wasmhive/capability/messaging/natsbroker"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/natsserver"
)

// run instantiates testdata/<name>.wasm (built by build.sh) with the Extism
// kernel and the given host modules, lets bind attach the capabilities'
// bindings, calls its export "run" with input and returns the output.
func run(t *testing.T, name string, hosts []engine.HostModule, bind func(*engine.InstanceConfig), input []byte) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ec := engine.Config{NoCache: true}
	for _, h := range append(extism.HostModules(), hosts...) {
		ec.HostModules = append(ec.HostModules, h)
	}
	rt, err := engine.NewRuntime(ctx, ec)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(context.Background())
	m, err := rt.CompileFile(ctx, filepath.Join("testdata", name+".wasm"))
	if err != nil {
		t.Fatal(err)
	}
	var icfg engine.InstanceConfig
	st := extism.NewState(extism.StateConfig{Name: name})
	st.Attach(&icfg)
	bind(&icfg)
	inst, err := rt.Instantiate(ctx, m, icfg)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close(context.Background())
	out, err := extism.Call(ctx, inst, st, "run", input)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestKeyValueHelpers runs testdata/kv.c, which calls every keyvalue helper
// of wasmhive.h, against the real host module over a bbolt store, and
// compares its transcript (one line per call: the reply's status, its
// decoded payload) with what docs/capabilities.md says each call returns.
func TestKeyValueHelpers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	store, err := boltkv.Open(filepath.Join(t.TempDir(), "kv.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	bucket, err := store.Open(ctx, "check")
	if err != nil {
		t.Fatal(err)
	}
	out := run(t, "kv", keyvalue.HostModules(), func(cfg *engine.InstanceConfig) {
		keyvalue.Attach(cfg, &keyvalue.Binding{Bucket: bucket})
	}, nil)
	want := `set a: OK []
get a: OK [1]
get zz: NONE
exists a: OK 1
exists zz: OK 0
set empty: OK []
get empty: OK []
delete a: OK []
delete a again: OK []
exists a: OK 0
increment n 5: OK 5
increment n -7: OK -2
get n: OK [-2]
cas k absent v1: OK 1
cas k absent v2: OK 0
cas k v2 v3: OK 0
cas k v1 v2: OK 1
get k: OK [v2]
increment k: ERROR
set_many: OK []
get_many: [x] absent[] [] OK
list p:: next [] keys p:1 p:2 p:3
list all: next [] keys empty k n p:1 p:2 p:3
delete_many: OK []
list p:: next [] keys p:3
get empty key: ERROR
`
	if out != want {
		t.Errorf("transcript:\n%s\nwant:\n%s", out, want)
	}
	// The guest's writes are in the bucket.
	for key, v := range map[string]string{"n": "-2", "k": "v2", "p:3": "zzz", "empty": ""} {
		got, err := bucket.Get(ctx, key)
		if err != nil || string(got) != v {
			t.Errorf("bucket %q = %q, %v; want %q", key, got, err, v)
		}
	}
}

// TestMessagingHelpers runs testdata/msg.c against the messaging host module
// on an embedded NATS server, with a responder on c.echo and a subscriber on
// c.events, the component allowed c.> only.
func TestMessagingHelpers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, err := natsserver.Start(ctx, natsserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	peer, err := srv.Connect("peer")
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	if _, err := peer.Subscribe("c.echo", func(m *nats.Msg) { m.Respond(append([]byte("pong:"), m.Data...)) }); err != nil {
		t.Fatal(err)
	}
	events, err := peer.SubscribeSync("c.events")
	if err != nil {
		t.Fatal(err)
	}
	if err := peer.FlushWithContext(ctx); err != nil {
		t.Fatal(err)
	}
	nc, err := srv.Connect("guest")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	broker := natsbroker.New(nc, natsbroker.Config{})
	defer broker.Close()

	out := run(t, "msg", messaging.HostModules(), func(cfg *engine.InstanceConfig) {
		if err := messaging.Attach(cfg, &messaging.Binding{Broker: broker, Subjects: []string{"c.>"}}); err != nil {
			t.Fatal(err)
		}
	}, nil)
	t.Logf("transcript:\n%s", out)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	want := []string{
		"publish c.events: OK []",
		"request c.echo: OK [pong:ping]",
		"request c.echo default timeout: OK [pong:again]",
		"request c.echo empty body: OK [pong:]",
		"request c.nobody: ERROR [" + messaging.NoRespondersPrefix,
		"publish other.x: ERROR [",
	}
	if len(lines) != len(want) {
		t.Fatalf("transcript:\n%s\nwant %d lines", out, len(want))
	}
	for i, w := range want {
		if strings.HasSuffix(w, "[") || strings.HasSuffix(w, messaging.NoRespondersPrefix) {
			if !strings.HasPrefix(lines[i], w) || !strings.HasSuffix(lines[i], "]") || len(lines[i]) == len(w)+1 {
				t.Errorf("line %d: %q, want %q then a message", i+1, lines[i], w)
			}
		} else if lines[i] != w {
			t.Errorf("line %d: %q, want %q", i+1, lines[i], w)
		}
	}
	if !strings.Contains(lines[5], "other.x") {
		t.Errorf("the denial %q does not name the subject", lines[5])
	}
	m, err := events.NextMsg(5 * time.Second)
	if err != nil || string(m.Data) != "hello" {
		t.Fatalf("subscriber of c.events: %v, %v; want hello", m, err)
	}
}

// TestHTTPHelpers runs testdata/http.c against the http host module and a
// server on 127.0.0.1, the only host the component may reach.
func TestHTTPHelpers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Add("X-Reply", "a")
		w.Header().Add("X-Reply", "b")
		w.Header().Set("X-Method", r.Method)
		w.Header().Set("X-Test", strings.Join(r.Header.Values("X-Test"), ","))
		w.WriteHeader(201)
		w.Write(append([]byte("got:"), body...))
	}))
	defer srv.Close()
	client, err := httpclient.New(httpclient.Config{AllowedHosts: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	out := run(t, "http", httpclient.HostModules(), func(cfg *engine.InstanceConfig) {
		httpclient.Attach(cfg, &httpclient.Binding{Client: client})
	}, []byte(srv.URL+"/path"))
	t.Logf("transcript:\n%s", out)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	want := []string{
		"post: status 201 headers x-method=POST x-reply=a x-reply=b x-test=one,two body [got:payload]",
		"get: status 201 headers x-method=GET x-reply=a x-reply=b x-test= body [got:]",
	}
	if len(lines) != 3 || lines[0] != want[0] || lines[1] != want[1] {
		t.Errorf("transcript:\n%s\nwant:\n%s\n%s\ndenied: ERROR [...]", out, want[0], want[1])
	}
	if len(lines) == 3 && (!strings.HasPrefix(lines[2], "denied: ERROR [") || !strings.Contains(lines[2], "denied.invalid")) {
		t.Errorf("denied request: %q, want an ERROR naming the host", lines[2])
	}
}

// TestConfigAndLoggingHelpers runs testdata/cfglog.c against the config and
// logging host modules, with its records going to a JSON logger at debug
// level (so trace is dropped, and still OK).
func TestConfigAndLoggingHelpers(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	hosts := append(config.HostModules(), logging.HostModules()...)
	out := run(t, "cfglog", hosts, func(cfg *engine.InstanceConfig) {
		config.Attach(cfg, &config.Binding{Values: map[string]string{"greeting": "hello", "empty": "", "z": "last"}})
		logging.Attach(cfg, &logging.Binding{Logger: logger.With("component", "cfglog")})
	}, nil)
	want := `get greeting: OK [hello]
get empty: OK []
get missing: NONE
get_all: empty= greeting=hello z=last
log trace: OK
log debug: OK
log info: OK
log warn: OK
log error: OK
log critical: OK
log loud: ERROR
`
	if out != want {
		t.Errorf("transcript:\n%s\nwant:\n%s", out, want)
	}
	wantLogs := `{"level":"DEBUG","msg":"a debug record","component":"cfglog"}
{"level":"INFO","msg":"hello from C","component":"cfglog","context":"check"}
{"level":"WARN","msg":"a warning","component":"cfglog","context":"check"}
{"level":"ERROR","msg":"an error","component":"cfglog"}
{"level":"ERROR","msg":"on fire","component":"cfglog","context":"disk","critical":true}
`
	if logs.String() != wantLogs {
		t.Errorf("log records:\n%s\nwant:\n%s", logs.String(), wantLogs)
	}
}
