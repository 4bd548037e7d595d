package lattice_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wasmhive/wasmhive/internal/testguest"
	"github.com/wasmhive/wasmhive/lattice"
	"github.com/wasmhive/wasmhive/manifest"
)

// kvcounter is the example app every test deploys.
const kvcounter = "../examples/kvcounter/app.yaml"

var quiet = slog.New(slog.DiscardHandler)

// join starts a host of lattice name with an embedded server on a free
// port, closed at cleanup.
func join(t *testing.T, cfg lattice.Config) *lattice.Lattice {
	t.Helper()
	return joinLogged(t, cfg, quiet)
}

// joinLogged is join with the lattice's own log (placement, app start and
// failures) going to log.
func joinLogged(t *testing.T, cfg lattice.Config, log *slog.Logger) *lattice.Lattice {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l, err := lattice.Join(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close(context.Background()) })
	return l
}

// connect connects a client to lattice name on url.
func connect(t *testing.T, name, url string) *lattice.Lattice {
	t.Helper()
	c, err := lattice.Connect(context.Background(), lattice.Config{Name: name, NATS: url}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"default", "prod-eu_1", "A", strings.Repeat("x", lattice.MaxNameBytes)} {
		if err := lattice.CheckName(ok); err != nil {
			t.Errorf("CheckName(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a.b", "a b", "a*", "a>", "é", strings.Repeat("x", lattice.MaxNameBytes+1)} {
		if err := lattice.CheckName(bad); err == nil {
			t.Errorf("CheckName(%q) accepted it", bad)
		}
	}
	_, err := lattice.Join(context.Background(), lattice.Config{Name: "a.b", DataDir: t.TempDir()}, quiet)
	if err == nil || !strings.Contains(err.Error(), `lattice name "a.b"`) {
		t.Errorf("Join with a bad name: %v", err)
	}
	if got := lattice.Subject("prod", "hosts", "x"); got != "wasmhive.prod.hosts.x" {
		t.Errorf("Subject: %q", got)
	}
}

// TestHostID: without a HostID, a host makes one, keeps it in its data
// directory and finds it there next time.
func TestHostID(t *testing.T) {
	dir := t.TempDir()
	a := join(t, lattice.Config{DataDir: dir})
	id := a.HostID()
	if !strings.HasPrefix(id, "N") || len(id) != 56 {
		t.Fatalf("host id %q, want an nkey server public key", id)
	}
	a.Close(context.Background())
	b := join(t, lattice.Config{DataDir: dir})
	if b.HostID() != id {
		t.Fatalf("host id %q after a restart on the same data directory, want %q", b.HostID(), id)
	}
}

func TestDeployAppsUndeploy(t *testing.T) {
	ctx := context.Background()
	host := join(t, lattice.Config{Name: "t1"})
	join(t, lattice.Config{Name: "other", NATS: host.ClientURL(), DataDir: t.TempDir()}) // a second lattice on the same NATS
	c := connect(t, "t1", host.ClientURL())
	m, err := manifest.Load(kvcounter)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Deploy(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if res.Revision == 0 || res.Modules != 1 || res.Uploaded != 1 {
		t.Fatalf("first deploy: %+v, want a revision, 1 module, 1 uploaded", res)
	}
	again, err := c.Deploy(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if again.Revision <= res.Revision || again.Uploaded != 0 {
		t.Fatalf("second deploy: %+v after %+v, want a later revision and nothing uploaded", again, res)
	}

	apps, err := c.Apps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) != 1 || apps[0].Name != "kvcounter" || apps[0].Revision != again.Revision || len(apps[0].Modules) != 1 {
		t.Fatalf("apps: %+v", apps)
	}
	wasm, err := os.ReadFile(m.Components[0].Config.Module)
	if err != nil {
		t.Fatal(err)
	}
	d := sha256.Sum256(wasm)
	sum := hex.EncodeToString(d[:])
	a := apps[0]
	if a.Modules[0].SHA256 != sum || a.Modules[0].Size != int64(len(wasm)) {
		t.Fatalf("module %+v, want sha256 %s and %d bytes", a.Modules[0], sum, len(wasm))
	}
	if !strings.Contains(a.Manifest, "module: sha256:"+sum) || strings.Contains(a.Manifest, "kvcounter.wasm") {
		t.Fatalf("the deployed manifest does not reference the module by digest:\n%s", a.Manifest)
	}
	if !strings.Contains(a.Manifest, "bucket: counter") {
		t.Fatalf("the deployed manifest lost its grants:\n%s", a.Manifest)
	}
	// The object store holds the module's bytes under its digest.
	js, _ := jetstream.New(c.Conn())
	obs, err := js.ObjectStore(ctx, "wasmhive-t1-modules")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := obs.GetBytes(ctx, sum); err != nil || string(b) != string(wasm) {
		t.Fatalf("object %s: %d bytes, %v", sum, len(b), err)
	}
	// The other lattice sees none of it.
	o := connect(t, "other", host.ClientURL())
	if apps, err := o.Apps(ctx); err != nil || len(apps) != 0 {
		t.Fatalf("the other lattice's apps: %v, %v", apps, err)
	}

	if err := c.Undeploy(ctx, "kvcounter"); err != nil {
		t.Fatal(err)
	}
	if apps, err := c.Apps(ctx); err != nil || len(apps) != 0 {
		t.Fatalf("apps after undeploy: %v, %v", apps, err)
	}
	if err := c.Undeploy(ctx, "kvcounter"); err == nil || !strings.Contains(err.Error(), `no app "kvcounter" is deployed in lattice t1`) {
		t.Fatalf("undeploy twice: %v", err)
	}

	var nf *lattice.NotFoundError
	if _, err := lattice.Connect(ctx, lattice.Config{Name: "nope", NATS: host.ClientURL()}, quiet); !errors.As(err, &nf) {
		t.Fatalf("Connect to a lattice no host joined: %v, want a *NotFoundError", err)
	}
}

// TestHostsStale: a host entry whose heartbeat is older than 3 of its
// intervals is listed stale; a fresh one is not.
func TestHostsStale(t *testing.T) {
	ctx := context.Background()
	l := join(t, lattice.Config{Name: "t2"})
	js, _ := jetstream.New(l.Conn())
	kv, err := js.KeyValue(ctx, "wasmhive-t2-hosts")
	if err != nil {
		t.Fatal(err)
	}
	put := func(id string, ago time.Duration) {
		b, _ := json.Marshal(lattice.HostInfo{ID: id, Lattice: "t2", Heartbeat: time.Second, LastHeartbeat: time.Now().Add(-ago)})
		if _, err := kv.Put(ctx, id, b); err != nil {
			t.Fatal(err)
		}
	}
	put("fresh", 500*time.Millisecond)
	put("late", 2500*time.Millisecond) // within 3 heartbeats
	put("gone", 4*time.Second)
	hosts, err := l.Hosts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, h := range hosts {
		got[h.ID] = h.Stale
	}
	want := map[string]bool{"fresh": false, "late": false, "gone": true}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("stale by host: %v, want %v", got, want)
	}
}

// TestServe runs one host in-process: a deployed app starts and serves
// with its keyvalue in the lattice's bucket, the host's entry lists it
// with its calls, an undeploy stops it, and a host that stops leaves.
func TestServe(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", filepath.Join(os.TempDir(), "wasmhive-cli-test-cache"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	ctxJoin, cancelJoin := context.WithTimeout(ctx, 30*time.Second)
	defer cancelJoin()
	l, err := lattice.Join(ctxJoin, lattice.Config{Name: "t3", Listen: "127.0.0.1:0", DataDir: t.TempDir(), Heartbeat: 100 * time.Millisecond,
		Labels: map[string]string{"zone": "test"}}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(context.Background())
	addr := testguest.FreeAddr(t)
	served := make(chan error, 1)
	go func() { served <- l.Serve(ctx, lattice.ServeConfig{Listen: addr, Logger: quiet}) }()
	m, err := manifest.Load(kvcounter)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Deploy(ctx, m); err != nil {
		t.Fatal(err)
	}
	url := "http://" + addr
	waitFor(t, 30*time.Second, func() bool { _, err := get(url + "/hits?amount=0"); return err == nil })
	for i := 1; i <= 3; i++ {
		if body, err := get(url + "/hits"); err != nil || body != fmt.Sprintf("{\"counter\":%d}\n", i) {
			t.Fatalf("GET /hits #%d: %q, %v", i, body, err)
		}
	}
	// The count is in the lattice's bucket for the app's bucket "counter".
	js, _ := jetstream.New(l.Conn())
	kv, err := js.KeyValue(ctx, "wasmhive-t3-kv-counter")
	if err != nil {
		t.Fatal(err)
	}
	if keys, err := kv.Keys(ctx); err != nil || len(keys) != 1 {
		t.Fatalf("keys of wasmhive-t3-kv-counter: %v, %v", keys, err)
	}
	waitFor(t, 10*time.Second, func() bool {
		hosts, err := l.Hosts(ctx)
		if err != nil || len(hosts) != 1 || len(hosts[0].Apps) != 1 {
			return false
		}
		h := hosts[0]
		a := h.Apps[0]
		return h.ID == l.HostID() && h.Labels["zone"] == "test" && !h.Stale && a.State == "running" &&
			a.URL == url && len(a.Components) == 1 && a.Components[0].Calls >= 4
	})

	// A new revision that changes a component only is a reload; one that
	// changes the routes, a restart. Either way the count goes on.
	dir := t.TempDir()
	wasm, _ := os.ReadFile(m.Components[0].Config.Module)
	os.WriteFile(filepath.Join(dir, "kvcounter.wasm"), wasm, 0o644)
	src, _ := os.ReadFile(kvcounter)
	redeploy := func(yaml string, want string) {
		t.Helper()
		path := filepath.Join(dir, "app.yaml")
		os.WriteFile(path, []byte(yaml), 0o644)
		m, err := manifest.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Deploy(ctx, m); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 30*time.Second, func() bool { return strings.Contains(logs.String(), want) })
	}
	redeploy(strings.Replace(string(src), "timeout: 5s", "timeout: 4s", 1), `msg="app reloaded" app=kvcounter`)
	if strings.Contains(logs.String(), `msg="app stopped"`) {
		t.Fatalf("a change of a component restarted the app:\n%s", logs.String())
	}
	if body, err := get(url + "/hits"); err != nil || body != "{\"counter\":4}\n" {
		t.Fatalf("GET /hits after the reload: %q, %v", body, err)
	}
	redeploy(strings.Replace(string(src), "- path: /", "- path: /hits", 1), `why="restart for revision`)
	waitFor(t, 30*time.Second, func() bool { body, err := get(url + "/hits"); return err == nil && body == "{\"counter\":5}\n" })
	if _, err := get(url + "/other"); err == nil {
		t.Fatal("GET /other answered after the route became /hits")
	}

	if err := l.Undeploy(ctx, "kvcounter"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, func() bool { _, err := get(url + "/hits"); return err != nil })
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return within 30 s of its context ending")
	}
	if hosts, err := l.Hosts(context.Background()); err != nil || len(hosts) != 0 {
		t.Fatalf("hosts after the host left: %v, %v", hosts, err)
	}
}

// syncBuffer is a bytes.Buffer for a logger and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

var client = &http.Client{Timeout: 10 * time.Second}

func get(url string) (string, error) {
	resp, err := client.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return string(b), fmt.Errorf("status %d", resp.StatusCode)
	}
	return string(b), err
}

func waitFor(t *testing.T, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s", d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// webAndWorker is two serving hosts of one lattice (the worker on the
// web host's NATS server), labelled role=web and role=worker, each
// serving HTTP on its own address.
type webAndWorker struct {
	ctx               context.Context
	web, worker       *lattice.Lattice
	webURL, workerURL string
	logs              *syncBuffer
	cancel            context.CancelFunc
	served            chan error
}

// serveTwo starts a webAndWorker in lattice name; its logs are shown when
// the test fails. stop (also at cleanup) stops both and checks that Serve
// returned nil.
func serveTwo(t *testing.T, name string) *webAndWorker {
	t.Helper()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(os.TempDir(), "wasmhive-cli-test-cache"))
	ctx, cancel := context.WithCancel(context.Background())
	p := &webAndWorker{ctx: ctx, cancel: cancel, logs: &syncBuffer{}, served: make(chan error, 2)}
	log := slog.New(slog.NewTextHandler(p.logs, nil))
	// The hosts' own logs (placement, app start, failures) go with the
	// servers' into the log a failing test prints.
	p.web = joinLogged(t, lattice.Config{Name: name, Heartbeat: 100 * time.Millisecond, Labels: map[string]string{"role": "web"}}, log.With("host", "web"))
	p.worker = joinLogged(t, lattice.Config{Name: name, NATS: p.web.ClientURL(), Heartbeat: 100 * time.Millisecond, Labels: map[string]string{"role": "worker"}}, log.With("host", "worker"))
	webAddr, workerAddr := testguest.FreeAddr(t), testguest.FreeAddr(t)
	p.webURL, p.workerURL = "http://"+webAddr, "http://"+workerAddr
	for _, h := range []struct {
		l    *lattice.Lattice
		addr string
	}{{p.web, webAddr}, {p.worker, workerAddr}} {
		go func() {
			p.served <- h.l.Serve(ctx, lattice.ServeConfig{Listen: h.addr, Logger: log, ShutdownTimeout: 2 * time.Second})
		}()
	}
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			t.Logf("logs:\n%s", p.logs.String())
		}
	})
	return p
}

// stop stops both hosts (once) and checks that Serve returned nil.
func (p *webAndWorker) stop(t *testing.T) {
	t.Helper()
	if p.served == nil {
		return
	}
	p.cancel()
	for range 2 {
		select {
		case err := <-p.served:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("Serve did not return")
		}
	}
	p.served = nil
}

// deploy writes manifest (a format with %s for each of modules, made
// absolute) and deploys it from the web host.
func (p *webAndWorker) deploy(t *testing.T, manifestText string, modules ...string) {
	t.Helper()
	args := make([]any, len(modules))
	for i, m := range modules {
		a, err := filepath.Abs(m)
		if err != nil {
			t.Fatal(err)
		}
		args[i] = a
	}
	path := filepath.Join(t.TempDir(), "app.yaml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(manifestText, args...)), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.web.Deploy(p.ctx, m); err != nil {
		t.Fatal(err)
	}
}

// countOnBoth waits for both hosts to serve the kvcounter's route, then
// counts 1 to 4 on them in turn: one counter, whichever host answers.
func (p *webAndWorker) countOnBoth(t *testing.T) {
	t.Helper()
	waitFor(t, 30*time.Second, func() bool { _, err := get(p.webURL + "/hits?amount=0"); return err == nil })
	waitFor(t, 30*time.Second, func() bool { _, err := get(p.workerURL + "/hits?amount=0"); return err == nil })
	for i, url := range []string{p.webURL, p.webURL, p.workerURL, p.webURL} {
		if body, err := get(url + "/hits"); err != nil || body != fmt.Sprintf("{\"counter\":%d}\n", i+1) {
			t.Fatalf("GET %s/hits (#%d): %q, %v", url, i+1, body, err)
		}
	}
}
