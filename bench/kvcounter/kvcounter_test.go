package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/capability/keyvalue"
	"github.com/wasmhive/wasmhive/capability/keyvalue/kvtest"
	"github.com/wasmhive/wasmhive/internal/benchload"
)

// The in-memory store keeps the keyvalue contract, as every provider does.
func TestMemStoreConformance(t *testing.T) {
	kvtest.Run(t, func(t *testing.T) keyvalue.Store { return newMemStore() })
}

// The native contender answers what the three guests answer, byte for byte,
// for the requests of examples/kvcounter/README.md: the benchmark compares
// the same work.
func TestNativeMatchesGuests(t *testing.T) {
	ctx := context.Background()
	root, err := benchload.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	app, err := loadApp(root)
	if err != nil {
		t.Fatal(err)
	}
	requests := []struct{ method, target string }{
		{"GET", "/hits"},
		{"GET", "/hits?amount=2"},
		{"GET", "/hits?amount=-10"},
		{"GET", "/hits?amount=lots"},
		{"GET", "/hits?amount="},
		{"GET", "/hits?amount"},
		{"GET", "/hits?x=1&amount=%2D5&amount=7"},
		{"GET", "/hits?amount=+1"},
		{"GET", "/hits?amount=9223372036854775808"},
		{"GET", "/hits?amount=0"},
		{"GET", "/any//path/"},
		{"GET", "/any/path"},
		{"GET", "/"},
		{"GET", "/a%20b"},
		{"GET", "/a:b"},
		{"GET", "/big?amount=9223372036854775807"},
		{"GET", "/big"},
		{"GET", "/q?amount=%22%5C%0A%01"},
		{"GET", "/" + strings.Repeat("k", keyvalue.MaxKeyBytes)},
		{"POST", "/hits"},
		{"HEAD", "/hits"},
		{"DELETE", "/hits"},
	}
	type answer struct {
		status             int
		contentType, allow string
		body               string
	}
	serve := func(h http.Handler) []answer {
		var out []answer
		for _, r := range requests {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(r.method, "http://127.0.0.1"+r.target, nil))
			out = append(out, answer{w.Code, w.Header().Get("Content-Type"), w.Header().Get("Allow"), w.Body.String()})
		}
		return out
	}
	nb, err := newMemStore().Open(ctx, app.bucket)
	if err != nil {
		t.Fatal(err)
	}
	want := serve(nativeHandler(nb))
	if want[0].body != "{\"counter\":1}\n" || want[1].body != "{\"counter\":3}\n" {
		t.Fatalf("native handler: %q, %q", want[0].body, want[1].body)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cache := t.TempDir()
	for name, rel := range guests {
		t.Run(name, func(t *testing.T) {
			cc := app.cfg
			cc.Module = filepath.Join(root, rel)
			host, trig, err := serveGuest(ctx, wasmhive.HostConfig{KeyValue: newMemStore(), CacheDir: cache, DataDir: t.TempDir(), Logger: log}, app.component, cc, log)
			if err != nil {
				t.Fatal(err)
			}
			defer host.Close(ctx)
			got := serve(trig)
			for i := range requests {
				if requests[i].method == http.MethodHead && got[i].body == "" {
					// wasi:http drops a HEAD response's body, as HTTP says
					// and as net/http does on the wire (the recorder keeps it).
					got[i].body = want[i].body
				}
				if got[i] != want[i] {
					t.Errorf("%s %s:\n guest  %+v\n native %+v", requests[i].method, requests[i].target, got[i], want[i])
				}
			}
		})
	}
}
