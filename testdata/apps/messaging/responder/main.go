// Command responder is the subscribed component of the messaging app of the
// `wasmhive up` tests (cmd/wasmhive/up_test.go, ../app.yaml). Its
// handle_message export answers a message on "greet" with "hello, BODY",
// and stores a message on "notes" under the key last-note of the bucket it
// shares with ../greeter (no reply).
package main

import (
	"github.com/wasmhive/wasmhive/pdk/keyvalue"
	"github.com/wasmhive/wasmhive/pdk/messaging"
)

//go:wasmexport handle_message
func handleMessage() int32 {
	return messaging.Handle(func(m messaging.Message) ([]byte, error) {
		if m.Subject == "notes" {
			return nil, keyvalue.Set("last-note", m.Body)
		}
		return append([]byte("hello, "), m.Body...), nil
	})
}

func main() {}
