package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/internal/benchload"
)

// BenchmarkServe serves GET /conn/1?amount=1 in process (no network, one
// request at a time) through ServeHTTP, on the in-memory store: the native
// handler, and each guest through a Host and the HTTP trigger.
//
//	go test ./bench/kvcounter -run '^$' -bench Serve -benchmem
func BenchmarkServe(b *testing.B) {
	ctx := context.Background()
	root, err := benchload.RepoRoot()
	if err != nil {
		b.Fatal(err)
	}
	app, err := loadApp(root)
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, h http.Handler) {
		r := httptest.NewRequest("GET", "http://127.0.0.1/conn/1?amount=1", nil)
		w := &discardWriter{h: http.Header{}}
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			w.status = 0
			h.ServeHTTP(w, r)
			if w.status != 0 && w.status != 200 {
				b.Fatalf("status %d", w.status)
			}
		}
	}
	b.Run("native", func(b *testing.B) {
		bucket, err := newMemStore().Open(ctx, app.bucket)
		if err != nil {
			b.Fatal(err)
		}
		run(b, nativeHandler(bucket))
	})
	// Warn: no access log, as in bench/kvcounter.
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cache := b.TempDir()
	for _, name := range []string{"go", "go-noint", "c", "rust"} {
		b.Run(name, func(b *testing.B) {
			cc := app.cfg
			cc.Module = filepath.Join(root, guests[trimNoInt(name)])
			hc := wasmhive.HostConfig{KeyValue: newMemStore(), CacheDir: filepath.Join(cache, name), DataDir: b.TempDir(), Logger: log, NoInterrupts: name == "go-noint"}
			host, trig, err := serveGuest(ctx, hc, app.component, cc, log)
			if err != nil {
				b.Fatal(err)
			}
			defer host.Close(ctx)
			run(b, trig)
		})
	}
}

// discardWriter is a reusable http.ResponseWriter.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(s int)           { w.status = s }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
