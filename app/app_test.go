package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/wasmhive/wasmhive/app"
	"github.com/wasmhive/wasmhive/manifest"
)

// kvcounterApp writes a manifest running the C kvcounter in dir.
func kvcounterApp(t testing.TB, dir string) *manifest.App {
	t.Helper()
	wasm, err := filepath.Abs("../examples/kvcounter/c/kvcounter-c.wasm")
	if err != nil {
		t.Fatal(err)
	}
	yaml := fmt.Sprintf(`version: 1
name: counter-test
data_dir: %s
http:
  listen: 127.0.0.1:0
  routes:
    - path: /
      component: counter
components:
  counter:
    module: %s
    grants:
      keyvalue: {}
`, dir, wasm)
	m, err := manifest.Parse(filepath.Join(dir, "app.yaml"), []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d %s", resp.StatusCode, b)
}

func TestStartServeShutdownRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	for round, want := range []string{"200 {\"counter\":2}\n", "200 {\"counter\":4}\n"} {
		a, err := app.Start(ctx, kvcounterApp(t, dir), app.Config{Logger: log, NoCache: true})
		if err != nil {
			t.Fatal(err)
		}
		url := "http://" + a.Addr().String() + "/hits?amount=2"
		if got := get(t, url); got != want {
			t.Errorf("round %d: %q, want %q", round, got, want)
		}
		if err := a.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := http.Get(url); err == nil {
			t.Fatalf("round %d: still serving after Shutdown", round)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "keyvalue.bolt")); err != nil {
		t.Errorf("the store is not in the data directory: %v", err)
	}
}

func TestStartUndoesWhatStartedOnFailure(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	a, err := app.Start(ctx, kvcounterApp(t, dir), app.Config{Logger: log, NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown(ctx)
	// A second app on the same listener fails, and releases the store it
	// opened: once the first stops, a third can start on the same data.
	m := kvcounterApp(t, t.TempDir())
	if _, err := app.Start(ctx, m, app.Config{Logger: log, NoCache: true, Listen: a.Addr().String()}); err == nil {
		t.Fatal("a second app on a listener in use started")
	}
	b, err := app.Start(ctx, m, app.Config{Logger: log, NoCache: true})
	if err != nil {
		t.Fatalf("the failed start kept its data directory: %v", err)
	}
	b.Shutdown(ctx)
}
