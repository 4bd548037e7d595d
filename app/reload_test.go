package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/app"
	"github.com/wasmhive/wasmhive/manifest"
)

// pipelineYAML is examples/pipeline's manifest, its modules in the same
// directory; {ROUTE}, {LINK} and {EXTRA} are replaced by the tests.
const pipelineYAML = `version: 1
name: reload-test
data_dir: data
http:
  listen: 127.0.0.1:0
  routes:
    - path: {ROUTE}
      component: receiver
components:
  receiver:
    module: receiver.wasm
    links:
      wasmhive:http/incoming-handler: {LINK}
  counter:
    module: kvcounter.wasm
    links:
      wasmhive:keyvalue/atomics: {KV}
    limits:
      memory: 64MiB
  kv-sender:
    module: kv-sender.wasm
    grants:
      keyvalue: {bucket: counter}
{EXTRA}`

// pipelineDir copies the pipeline's modules into a temporary directory.
func pipelineDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for to, from := range map[string]string{
		"receiver.wasm":    "../examples/pipeline/receiver.wasm",
		"receiver-v2.wasm": "../examples/pipeline/receiver-v2.wasm",
		"kv-sender.wasm":   "../examples/pipeline/kv-sender.wasm",
		"kvcounter.wasm":   "../examples/kvcounter/kvcounter.wasm",
	} {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, to), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// pipelineManifest writes and loads a variant of pipelineYAML in dir.
func pipelineManifest(t *testing.T, dir string, subst ...string) *manifest.App {
	t.Helper()
	// subst first: a Replacer uses the first pair of a key.
	r := strings.NewReplacer(append(slices.Clip(subst), "{ROUTE}", "/", "{LINK}", "counter", "{KV}", "kv-sender", "{EXTRA}", "")...)
	path := filepath.Join(dir, "app.yaml")
	if err := os.WriteFile(path, []byte(r.Replace(pipelineYAML)), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// hit GETs /hits and returns the status, the receiver's version header and
// the body.
func hit(t *testing.T, a *app.App) (int, string, string) {
	t.Helper()
	resp, err := http.Get("http://" + a.Addr().String() + "/hits")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Pipeline-Receiver"), string(b)
}

func wantHit(t *testing.T, a *app.App, version, body string) {
	t.Helper()
	if code, v, b := hit(t, a); code != 200 || v != version || b != body {
		t.Fatalf("GET /hits: %d version %q %q; want 200 version %q %q", code, v, b, version, body)
	}
}

// components returns the Host's current *Component of each name.
func components(t *testing.T, h *wasmhive.Host) map[string]*wasmhive.Component {
	t.Helper()
	out := map[string]*wasmhive.Component{}
	for _, n := range h.Components() {
		c, err := h.Component(n)
		if err != nil {
			t.Fatal(err)
		}
		out[n] = c
	}
	return out
}

// wantSame checks that the named components are the very ones of before
// (not reloaded), and the others are not.
func wantSame(t *testing.T, before, after map[string]*wasmhive.Component, same ...string) {
	t.Helper()
	for n, c := range after {
		if was, ok := before[n]; slices.Contains(same, n) != (ok && was == c) {
			t.Errorf("component %s: untouched %v, want %v", n, ok && was == c, slices.Contains(same, n))
		}
	}
}

func wantResult(t *testing.T, got app.ReloadResult, added, replaced, removed, unchanged []string) {
	t.Helper()
	for _, g := range []struct {
		what      string
		got, want []string
	}{{"added", got.Added, added}, {"replaced", got.Replaced, replaced}, {"removed", got.Removed, removed}, {"unchanged", got.Unchanged, unchanged}} {
		// The order among components that do not link to each other is
		// StartOrder's business.
		if !slices.Equal(slices.Sorted(slices.Values(g.got)), slices.Sorted(slices.Values(g.want))) {
			t.Errorf("%s %v, want %v (%s)", g.what, g.got, g.want, got)
		}
	}
}

// TestReload drives App.Reload through the pipeline app while it serves:
// refusals change nothing, unchanged components are left alone, changed
// bytes or configuration replace just that component, and components come
// and go.
func TestReload(t *testing.T) {
	dir := pipelineDir(t)
	ctx := context.Background()
	a, err := app.Start(ctx, pipelineManifest(t, dir), app.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(ctx)
	h := a.Host()
	wantHit(t, a, "1", `{"counter":1}`+"\n")

	t.Run("same manifest", func(t *testing.T) {
		before := components(t, h)
		res, err := a.Reload(ctx, pipelineManifest(t, dir))
		if err != nil {
			t.Fatal(err)
		}
		wantResult(t, res, nil, nil, nil, []string{"kv-sender", "counter", "receiver"})
		wantSame(t, before, components(t, h), "kv-sender", "counter", "receiver")
		if s := res.String(); !strings.HasPrefix(s, "unchanged=kv-sender,counter,receiver took=") {
			t.Errorf("String() = %q", s)
		}
	})

	t.Run("routes changed", func(t *testing.T) {
		before := components(t, h)
		// A changed route, and a changed module beside it: nothing applies.
		copyTo(t, filepath.Join(dir, "receiver-v2.wasm"), filepath.Join(dir, "receiver.wasm"))
		defer copyTo(t, "../examples/pipeline/receiver.wasm", filepath.Join(dir, "receiver.wasm"))
		_, err := a.Reload(ctx, pipelineManifest(t, dir, "{ROUTE}", "/api"))
		want := "reload refused: http.routes changed; restart wasmhive up to apply it (nothing was changed)"
		if err == nil || err.Error() != want {
			t.Fatalf("Reload: %v, want %q", err, want)
		}
		wantSame(t, before, components(t, h), "kv-sender", "counter", "receiver")
		wantHit(t, a, "1", `{"counter":2}`+"\n")
	})

	t.Run("new module bytes", func(t *testing.T) {
		// The same path, new bytes: only the receiver is replaced.
		before := components(t, h)
		copyTo(t, filepath.Join(dir, "receiver-v2.wasm"), filepath.Join(dir, "receiver.wasm"))
		res, err := a.Reload(ctx, pipelineManifest(t, dir))
		if err != nil {
			t.Fatal(err)
		}
		wantResult(t, res, nil, []string{"receiver"}, nil, []string{"kv-sender", "counter"})
		wantSame(t, before, components(t, h), "kv-sender", "counter")
		wantHit(t, a, "2", `{"counter":3}`+"\n")
	})

	t.Run("bad link", func(t *testing.T) {
		// kv-sender exports no handle_http: the new receiver is refused
		// and version 2 serves on.
		before := components(t, h)
		_, err := a.Reload(ctx, pipelineManifest(t, dir, "{LINK}", "kv-sender"))
		if err == nil {
			t.Fatal("Reload linking the receiver to kv-sender succeeded")
		}
		msg := err.Error()
		for _, part := range []string{filepath.Join(dir, "app.yaml") + ":10: components.receiver: new version of receiver refused: ", "kv-sender", "(nothing was changed)"} {
			if !strings.Contains(msg, part) {
				t.Errorf("error %q does not contain %q", msg, part)
			}
		}
		t.Logf("refused: %s", msg)
		if strings.Contains(msg, "\n") {
			t.Errorf("error is not one line: %q", msg)
		}
		wantSame(t, before, components(t, h), "kv-sender", "counter", "receiver")
		wantHit(t, a, "2", `{"counter":4}`+"\n")
	})

	t.Run("add and remove", func(t *testing.T) {
		// A second sender on the same bucket, which the counter now links
		// to: added before the counter is replaced.
		before := components(t, h)
		extra := "  kv2:\n    module: kv-sender.wasm\n    grants:\n      keyvalue: {bucket: counter}\n"
		res, err := a.Reload(ctx, pipelineManifest(t, dir, "{KV}", "kv2", "{EXTRA}", extra))
		if err != nil {
			t.Fatal(err)
		}
		wantResult(t, res, []string{"kv2"}, []string{"counter"}, nil, []string{"kv-sender", "receiver"})
		wantSame(t, before, components(t, h), "kv-sender", "receiver")
		wantHit(t, a, "2", `{"counter":5}`+"\n")
		if n := components(t, h)["counter"].Links()[0]; n.Target != "kv2" || n.Calls != 1 {
			t.Errorf("counter's link: %+v, want 1 call to kv2", n)
		}

		// Back: the counter is replaced first, then kv2 (linked from
		// nothing any more) removed.
		before = components(t, h)
		res, err = a.Reload(ctx, pipelineManifest(t, dir))
		if err != nil {
			t.Fatal(err)
		}
		wantResult(t, res, nil, []string{"counter"}, []string{"kv2"}, []string{"kv-sender", "receiver"})
		wantSame(t, before, components(t, h), "kv-sender", "receiver")
		if got := h.Components(); !slices.Equal(got, []string{"counter", "kv-sender", "receiver"}) {
			t.Errorf("components %v after removing kv2", got)
		}
		wantHit(t, a, "2", `{"counter":6}`+"\n")
	})

	t.Run("config changed", func(t *testing.T) {
		// Only a limit of the counter changes: only it is replaced.
		before := components(t, h)
		m := pipelineManifest(t, dir)
		c, _ := m.Component("counter")
		c.Config.Limits.Timeout = 3e9
		res, err := a.Reload(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		wantResult(t, res, nil, []string{"counter"}, nil, []string{"kv-sender", "receiver"})
		wantSame(t, before, components(t, h), "kv-sender", "receiver")
		wantHit(t, a, "2", `{"counter":7}`+"\n")
		// And back.
		if res, err = a.Reload(ctx, pipelineManifest(t, dir)); err != nil {
			t.Fatal(err)
		}
		wantResult(t, res, nil, []string{"counter"}, nil, []string{"kv-sender", "receiver"})
	})

	t.Run("partly applied", func(t *testing.T) {
		// kv-sender's new configuration applies (it comes first, as the
		// target), then the receiver's bad link stops the reload: the error
		// says what was applied, and the next reload starts from there.
		before := components(t, h)
		m := pipelineManifest(t, dir, "{LINK}", "kv-sender")
		c, _ := m.Component("kv-sender")
		c.Config.Instances.Max = 3
		res, err := a.Reload(ctx, m)
		if err == nil || !strings.HasSuffix(err.Error(), "(applied before it: replaced=kv-sender)") {
			t.Fatalf("Reload: %v, want it refused after replacing kv-sender", err)
		}
		if !slices.Equal(res.Replaced, []string{"kv-sender"}) {
			t.Errorf("replaced %v, want [kv-sender]", res.Replaced)
		}
		wantSame(t, before, components(t, h), "counter", "receiver")
		wantHit(t, a, "2", `{"counter":8}`+"\n")
		res, err = a.Reload(ctx, pipelineManifest(t, dir))
		if err != nil {
			t.Fatal(err)
		}
		wantResult(t, res, nil, []string{"kv-sender"}, nil, []string{"counter", "receiver"})
	})

	t.Run("route limit changed", func(t *testing.T) {
		// The HTTP trigger took the receiver's request cap when it
		// started: changing it needs a restart.
		before := components(t, h)
		m := pipelineManifest(t, dir)
		c, _ := m.Component("receiver")
		c.Config.Limits.RequestBytes = 1 << 10
		_, err := a.Reload(ctx, m)
		want := "reload refused: components.receiver.limits.request_bytes (route /) changed; restart wasmhive up to apply it (nothing was changed)"
		if err == nil || err.Error() != want {
			t.Fatalf("Reload: %v, want %q", err, want)
		}
		wantSame(t, before, components(t, h), "kv-sender", "counter", "receiver")
	})

	t.Run("stopped", func(t *testing.T) {
		if err := a.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Reload(ctx, pipelineManifest(t, dir)); err == nil || err.Error() != "reload refused: the app is stopped" {
			t.Fatalf("Reload after Close: %v", err)
		}
	})
}

func copyTo(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
