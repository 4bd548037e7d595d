package wasmhive_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wasmhive/wasmhive"
)

// httpComponent is a wasi:http/proxy component (wasihttp/testdata).
var httpComponent = filepath.Join("wasihttp", "testdata", "handler.wasm")

// TestServeHTTPHotSwap: requests to a wasi:http component keep being
// answered while it is replaced, by the old version and then the new one;
// a trap on one instance does not fail the others.
func TestServeHTTPHotSwap(t *testing.T) {
	ctx := context.Background()
	h, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{DataDir: t.TempDir(), NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(ctx)
	if _, err := h.AddComponent(ctx, "web", wasmhive.ComponentConfig{Module: httpComponent}); err != nil {
		t.Fatal(err)
	}
	serve := func(path, body string) (int, string, error) {
		r := httptest.NewRequest("POST", path, strings.NewReader(body))
		w := httptest.NewRecorder()
		err := h.ServeHTTP(ctx, "web", w, r)
		return w.Code, w.Body.String(), err
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if code, body, err := serve("/echo", "x"); err != nil || code != 200 || body != "x" {
					t.Errorf("during the swap: %d %q %v", code, body, err)
					return
				}
			}
		}()
	}
	for i := range 3 {
		if _, err := h.ReplaceComponent(ctx, "web", wasmhive.ComponentConfig{Module: httpComponent,
			Env: map[string]string{"V": string(rune('1' + i))}}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := serve("/trap", ""); err == nil {
			t.Fatal("/trap answered")
		}
	}
	close(stop)
	wg.Wait()
	if code, body, err := serve("/echo", "after"); err != nil || code != 200 || body != "after" {
		t.Fatalf("after the swaps: %d %q %v", code, body, err)
	}
}
