package httptrigger_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/wasmhive/wasmhive"
	httptrigger "github.com/wasmhive/wasmhive/trigger/http"
)

// Serving a component over HTTP: the Host runs it, the trigger is an
// http.Handler that routes requests to it.
func Example() {
	ctx := context.Background()
	h, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{NoCache: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		panic(err)
	}
	defer h.Close(ctx) // after the server: the Host owns the instances
	_, err = h.AddComponent(ctx, "hello", wasmhive.ComponentConfig{
		Module:    "../../testdata/guests/http/handler_c.wasm", // exports handle_http: the handler convention
		Instances: wasmhive.Instances{Max: 8, Min: 2},          // warm instances, 8 requests at once
	})
	if err != nil {
		panic(err)
	}
	trig, err := httptrigger.New(httptrigger.Config{
		Invoker: h,
		Routes:  []httptrigger.Route{{Path: "/", Component: "hello"}},
		Logger:  slog.New(slog.DiscardHandler),
	})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(trig) // or http.ListenAndServe(addr, trig)
	defer srv.Close()

	resp, err := srv.Client().Get(srv.URL + "/")
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Print(trig.Convention("/"), " ", resp.Status, " ", string(body))
	// Output: handler 200 OK hello, world
}

// NewServer makes the http.Server for a Trigger, with the time and size
// limits on request heads that `wasmhive serve` and `wasmhive up` use.
func ExampleNewServer() {
	ctx := context.Background()
	h, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{NoCache: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		panic(err)
	}
	defer h.Close(ctx)
	if _, err := h.AddComponent(ctx, "hello", wasmhive.ComponentConfig{Module: "../../testdata/guests/http/handler_c.wasm"}); err != nil {
		panic(err)
	}
	trig, err := httptrigger.New(httptrigger.Config{
		Invoker:       h,
		Routes:        []httptrigger.Route{{Path: "/", Component: "hello"}},
		MaxBodyBytes:  1 << 20,  // 413 past it
		MaxBodyMemory: 64 << 20, // the bodies buffered at once; 503 past it
		Timeout:       5 * time.Second,
		Logger:        slog.New(slog.DiscardHandler),
	})
	if err != nil {
		panic(err)
	}
	srv := httptrigger.NewServer(trig, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(ln)
	defer srv.Shutdown(ctx)

	resp, err := http.Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Print(resp.Status, " ", string(body))
	// Output: 200 OK hello, world
}
