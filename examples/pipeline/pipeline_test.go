package pipeline_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wasmhive/wasmhive/app"
	"github.com/wasmhive/wasmhive/manifest"
)

// start runs the manifest at path on a free port with its data in a
// temporary directory, and returns the base URL.
func start(t *testing.T, path string) (*app.App, string) {
	t.Helper()
	m, err := manifest.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := app.Start(ctx, m, app.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), NoCache: true,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Shutdown(ctx) })
	return a, "http://" + a.Addr().String()
}

type answer struct {
	status int
	ctype  string
	allow  string
	body   string
}

func (a answer) String() string {
	return fmt.Sprintf("%d %s allow=%q %q", a.status, a.ctype, a.allow, a.body)
}

func do(t *testing.T, method, url string) (answer, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Allow"), string(b)}, resp.Header
}

// TestPipelineAnswersAsKVCounter runs the four-part pipeline and the plain
// kvcounter app side by side: the same requests get the same answers, byte
// for byte, from the same business-logic module.
func TestPipelineAnswersAsKVCounter(t *testing.T) {
	m, err := manifest.Load("app.yaml")
	if err != nil {
		t.Fatal(err)
	}
	plain, err := manifest.Load("../kvcounter/app.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The business logic is the kvcounter's module, unchanged, and it has
	// no keyvalue grant here: only its link reaches the store.
	counter, _ := m.Component("counter")
	kv, _ := plain.Component("counter")
	if sum(t, counter.Config.Module) != sum(t, kv.Config.Module) {
		t.Fatalf("the pipeline's counter is not examples/kvcounter's module")
	}
	if counter.Config.Grants.KeyValue != nil {
		t.Fatalf("the counter is granted keyvalue; the pipeline must reach the store through its link")
	}
	// Four separate modules, in at least two languages (the manifest wires them).
	files := map[string]bool{}
	for _, c := range m.Components {
		files[sum(t, c.Config.Module)] = true
	}
	if len(files) != len(m.Components) {
		t.Fatalf("the components share modules: %d files for %d components", len(files), len(m.Components))
	}

	_, pipe := start(t, "app.yaml")
	_, direct := start(t, "../kvcounter/app.yaml")
	for _, r := range []struct{ method, path string }{
		{"GET", "/hits?amount=2"}, {"GET", "/hits"}, {"GET", "/hits?amount=-10"}, {"GET", "/hits?amount=lots"},
		{"GET", "/any//path/"}, {"GET", "/any/path?amount=5"}, {"GET", "/"}, {"GET", "/a%20b"},
		{"GET", "/big?amount=9223372036854775807"}, {"GET", "/big"}, {"POST", "/hits"}, {"HEAD", "/hits"},
		{"GET", "/" + strings.Repeat("k", 1100)},
	} {
		got, h := do(t, r.method, pipe+r.path)
		want, _ := do(t, r.method, direct+r.path)
		if got != want {
			t.Errorf("%s %s:\npipeline  %v\nkvcounter %v", r.method, r.path, got, want)
		}
		if v := h.Get("X-Pipeline-Receiver"); v != "1" {
			t.Errorf("%s %s: X-Pipeline-Receiver %q; the receiver did not answer", r.method, r.path, v)
		}
	}
}

// TestPipelineCountsUnderLoad: concurrent requests through the three hops
// lose no increment.
func TestPipelineCountsUnderLoad(t *testing.T) {
	_, base := start(t, "app.yaml")
	const clients, each = 8, 40
	var wg sync.WaitGroup
	errs := make(chan string, clients*each)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				resp, err := http.Get(base + "/load")
				if err != nil {
					errs <- err.Error()
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || !bytes.HasPrefix(b, []byte(`{"counter":`)) {
					errs <- fmt.Sprintf("%d %s", resp.StatusCode, b)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	got, _ := do(t, "GET", base+"/load?amount=0")
	if want := fmt.Sprintf("{\"counter\":%d}\n", clients*each); got.body != want {
		t.Errorf("after %d increments: %q, want %q", clients*each, got.body, want)
	}
}

func sum(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Clean(path))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(b))
}

// TestPipelineFailuresAreAnswers: a hop that fails is an error its caller
// answers with, and the next request is served again.
func TestPipelineFailuresAreAnswers(t *testing.T) {
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	write := func(senderTimeout, counterTimeout string) string {
		dir := t.TempDir()
		y := fmt.Sprintf(`version: 1
name: pipeline-failing
http:
  routes: [{path: /, component: receiver}]
components:
  receiver:
    module: %s
    links:
      wasmhive:http/incoming-handler: {to: counter, timeout: %s}
  counter:
    module: %s
    links:
      wasmhive:keyvalue/atomics: {to: kv-sender, timeout: %s}
  kv-sender:
    module: %s
    grants: {keyvalue: {bucket: counter}}
`, abs("receiver.wasm"), counterTimeout, abs("../kvcounter/kvcounter.wasm"), senderTimeout, abs("kv-sender.wasm"))
		p := filepath.Join(dir, "app.yaml")
		if err := os.WriteFile(p, []byte(y), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The sender never answers in time: the counter answers with its own
	// store-failure response, through the receiver.
	_, base := start(t, write("1ns", "5s"))
	got, _ := do(t, "GET", base+"/hits")
	if got.status != 500 || !strings.Contains(got.body, `{"error":"link counter -> kv-sender (wasmhive:keyvalue/atomics): kv-sender: wasmhive:keyvalue/atomics#increment stopped: deadline exceeded"}`) {
		t.Errorf("sender timing out: %v", got)
	}
	// The counter never answers in time: the receiver answers 502.
	_, base = start(t, write("5s", "1ns"))
	got, _ = do(t, "GET", base+"/hits")
	if got.status != 502 || !strings.Contains(got.body, `link receiver -> counter (wasmhive:http/incoming-handler)`) {
		t.Errorf("counter timing out: %v", got)
	}
	got, _ = do(t, "GET", base+"/hits")
	if got.status != 502 {
		t.Errorf("second request: %v", got)
	}
}
