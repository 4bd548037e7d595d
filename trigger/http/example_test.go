package httptrigger_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"

	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/pool"
	httptrigger "github.com/wasmhive/wasmhive/trigger/http"
)

// Serving a module over HTTP: the trigger is an http.Handler.
func Example() {
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, engine.NewConfig().WithoutCache().WithHostModule(extism.HostModule()).WithHostModule(extism.BulkHostModule()))
	if err != nil {
		panic(err)
	}
	defer rt.Close(ctx)
	mod, err := rt.CompileFile(ctx, "../../testdata/guests/http/handler_c.wasm")
	if err != nil {
		panic(err)
	}
	trig, err := httptrigger.New(httptrigger.Config{
		Runtime: rt,
		Module:  mod,                             // exports handle_http: the handler convention
		Pool:    pool.Config{Max: 8, MinWarm: 2}, // warm instances, 8 requests at once
		Logger:  slog.New(slog.DiscardHandler),
	})
	if err != nil {
		panic(err)
	}
	defer trig.Close(ctx)
	srv := httptest.NewServer(trig) // or http.ListenAndServe(addr, trig)
	defer srv.Close()

	resp, err := srv.Client().Get(srv.URL + "/")
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Print(trig.Convention(), " ", resp.Status, " ", string(body))
	// Output: handler 200 OK hello, world
}
