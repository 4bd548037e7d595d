// Command msg is a test component for wasmhive's limit of messages per
// second: publish sends a number of messages in one call (built on the fly
// by the tests with internal/testguest).
package main

import (
	"fmt"
	"strconv"

	"github.com/wasmhive/wasmhive/pdk"
	"github.com/wasmhive/wasmhive/pdk/messaging"
)

type args struct {
	Subject string `json:"subject"`
	N       int    `json:"n"`
}

// publish publishes {"n"} messages on {"subject"} and outputs how many it
// sent; a failed publish fails the call.
//
//go:wasmexport publish
func publish() int32 {
	var a args
	if err := pdk.InputJSON(&a); err != nil {
		return pdk.Return(err)
	}
	for i := 0; i < a.N; i++ {
		if err := messaging.Publish(a.Subject, []byte(strconv.Itoa(i))); err != nil {
			return pdk.Return(fmt.Errorf("publish %d: %w", i+1, err))
		}
	}
	pdk.OutputString(strconv.Itoa(a.N))
	return 0
}

func main() {}
