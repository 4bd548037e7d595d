package messaging_test

import (
	"fmt"

	"github.com/wasmhive/wasmhive/capability/messaging"
)

func ExampleMatch() {
	fmt.Println(messaging.Match("orders.*", "orders.new"))
	fmt.Println(messaging.Match("orders.*", "orders.new.eu"))
	fmt.Println(messaging.Match("orders.>", "orders.new.eu"))
	fmt.Println(messaging.Match(">", "$JS.API.INFO"))
	// Output:
	// true
	// false
	// true
	// false
}

func ExampleEncodeMessage() {
	in := messaging.EncodeMessage(messaging.Message{Subject: "jobs.resize", Reply: "_INBOX.1", Body: []byte("img-1")})
	m, err := messaging.DecodeMessage(in)
	fmt.Printf("%s %s %s %v\n", m.Subject, m.Reply, m.Body, err)
	// Output: jobs.resize _INBOX.1 img-1 <nil>
}
