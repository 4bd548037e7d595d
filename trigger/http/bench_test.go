package httptrigger_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/internal/testguest"
	httptrigger "github.com/wasmhive/wasmhive/trigger/http"
)

// The handler benchmarks serve GET / in process (no network), one request
// at a time, through the trigger's ServeHTTP, and compare the Go guest
// testdata/guests/http/hello (pdk/http) and the C guest handler_c.c with
// a native net/http handler answering the same body: what a request costs
// the server beyond HTTP parsing, which none of them include. Run them
// together, as the machine's load changes their figures alike:
//
//	go test ./trigger/http -run '^$' -bench 'Handler|Native' -benchmem

var benchBody = []byte("hello, world\n")

// benchRequest is the load generator's request of bench/http.
func benchRequest() *http.Request {
	r := httptest.NewRequest("GET", "http://127.0.0.1:8080/", nil)
	r.Header.Set("User-Agent", "wasmhive-bench")
	return r
}

// discardWriter is a reusable http.ResponseWriter that checks nothing but
// the body's size.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(s int)   { w.status = s }
func (w *discardWriter) Write(b []byte) (int, error) {
	w.n += len(b)
	return len(b), nil
}

func benchServe(b *testing.B, h http.Handler) {
	r := benchRequest()
	w := &discardWriter{h: http.Header{}}
	serve := func() {
		clear(w.h)
		w.status, w.n = 0, 0
		h.ServeHTTP(w, r)
		if w.n != len(benchBody) || (w.status != 0 && w.status != 200) {
			b.Fatalf("status %d, %d body bytes", w.status, w.n)
		}
	}
	for range 100 {
		serve()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		serve()
	}
}

func benchTrigger(b *testing.B, path string) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	h, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{CacheDir: testCacheDir, Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close(ctx)
	if _, err := h.AddComponent(ctx, "app", wasmhive.ComponentConfig{Module: path, Instances: wasmhive.Instances{Max: 1, Min: 1}}); err != nil {
		b.Fatal(err)
	}
	trig, err := httptrigger.New(httptrigger.Config{Invoker: h,
		Routes: []httptrigger.Route{{Path: "/", Component: "app"}},
		Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	benchServe(b, trig)
}

// BenchmarkNative is the ceiling: a native handler answering the same body.
func BenchmarkNative(b *testing.B) {
	benchServe(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(benchBody)
	}))
}

// BenchmarkHandlerGo serves with the Go guest hello (pdk/http).
func BenchmarkHandlerGo(b *testing.B) { benchTrigger(b, testguest.GoReactor(b, "http/hello")) }

// BenchmarkHandlerC serves with the C guest handler_c.c.
func BenchmarkHandlerC(b *testing.B) {
	benchTrigger(b, testguest.Path(b, "http/handler_c.wasm"))
}
