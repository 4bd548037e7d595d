package app_test

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/app"
	httptrigger "github.com/wasmhive/wasmhive/trigger/http"
)

// A component without a memory cap gets the serving verbs' default; the
// memory its instances may take at once is then checked against the
// machine's (a warning on the log when it is over).
func ExampleCheckMemory() {
	cc := app.WithDefaultMemory(wasmhive.ComponentConfig{Module: "handler.wasm", Instances: wasmhive.Instances{Max: 16}})
	use := app.ComponentMemory("handler", cc)
	fmt.Printf("%s: %d x %s\n", use.Name, use.Count, use.Each)
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	app.CheckMemory(log, use, app.BodyMemory(httptrigger.Config{}))
	// Output: handler: 16 x 256MiB
}
