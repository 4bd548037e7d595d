package natsserver_test

import (
	"context"
	"fmt"

	"github.com/wasmhive/wasmhive/internal/natsserver"
)

func ExampleStart() {
	ctx := context.Background()
	srv, err := natsserver.Start(ctx, natsserver.Config{}) // in-process only, no JetStream
	if err != nil {
		panic(err)
	}
	defer srv.Shutdown(ctx)
	nc, err := srv.Connect("example")
	if err != nil {
		panic(err)
	}
	defer nc.Close()
	fmt.Println(nc.IsConnected(), srv.ClientURL() == "")
	// Output: true true
}
