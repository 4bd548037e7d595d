package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/app"
	"github.com/wasmhive/wasmhive/capability/messaging/natsbroker"
	"github.com/wasmhive/wasmhive/internal/natsserver"
	"github.com/wasmhive/wasmhive/manifest"
)

// TestComponentSubscription: a subscription delivers messages to a
// Component Model component exporting wasmcloud:messaging/handler; the
// component answers a request by publishing to its reply-to through
// wasmcloud:messaging/consumer (its messaging grant), and the trigger
// sends no reply of its own.
func TestComponentSubscription(t *testing.T) {
	ctx := context.Background()
	srv, err := natsserver.Start(ctx, natsserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(ctx)
	nc, err := srv.Connect("app")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	client, err := srv.Connect("client")
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	wasm, err := filepath.Abs("../capability/messaging/testdata/component/messaging.wasm")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	m, err := manifest.Parse(filepath.Join(dir, "app.yaml"), []byte(fmt.Sprintf(`version: 1
name: echoer
data_dir: %s
messaging:
  subscriptions:
    - subject: echo.>
      component: echo
components:
  echo:
    module: %s
    grants:
      messaging:
        subjects: [_INBOX.>, echo.>]
`, dir, wasm)))
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Start(ctx, m, app.Config{Logger: slog.New(slog.DiscardHandler), NoCache: true,
		Messaging: natsbroker.New(nc, natsbroker.Config{})})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown(ctx)
	if err := nc.Flush(); err != nil { // the subscription reached the server
		t.Fatal(err)
	}
	for i := range 3 {
		body := fmt.Sprintf("ping %d", i)
		msg, err := client.Request("echo.x", []byte(body), 10*time.Second)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if string(msg.Data) != body {
			t.Fatalf("request %d: reply %q, want %q", i, msg.Data, body)
		}
	}
}
