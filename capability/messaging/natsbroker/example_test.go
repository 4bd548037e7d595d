package natsbroker_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/wasmhive/wasmhive/capability/messaging"
	"github.com/wasmhive/wasmhive/capability/messaging/natsbroker"
	"github.com/wasmhive/wasmhive/internal/natsserver"
)

func Example() {
	ctx := context.Background()
	srv, err := natsserver.Start(ctx, natsserver.Config{})
	if err != nil {
		panic(err)
	}
	defer srv.Shutdown(ctx)
	nc, err := srv.Connect("example")
	if err != nil {
		panic(err)
	}
	defer nc.Close()

	b := natsbroker.New(nc, natsbroker.Config{})
	defer b.Close()
	b.Subscribe("greet.*", "greeters", func(_ context.Context, m messaging.Message) ([]byte, error) {
		return []byte("hello " + strings.TrimPrefix(m.Subject, "greet.")), nil
	})
	nc.Flush()
	reply, err := b.Request(ctx, "greet.world", nil, time.Second)
	fmt.Println(string(reply), err)
	// Output: hello world <nil>
}
