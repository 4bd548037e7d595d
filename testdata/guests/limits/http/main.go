// Command http is a test component for wasmhive's per-call limit of
// outgoing HTTP requests: fetch makes requests through the http capability
// and through Extism's http_request in one call (built on the fly by the
// tests with internal/testguest).
package main

import (
	"fmt"
	"strconv"

	"github.com/wasmhive/wasmhive/pdk"
	"github.com/wasmhive/wasmhive/pdk/httpclient"
)

type args struct {
	URL        string `json:"url"`
	Capability int    `json:"capability"` // requests through wasmhive:http/outgoing
	Extism     int    `json:"extism"`     // then through Extism's http_request
}

// fetch makes {"capability"} requests then {"extism"} requests to {"url"}
// and outputs how many answered 200; a failed request fails the call.
//
//go:wasmexport fetch
func fetch() int32 {
	var a args
	if err := pdk.InputJSON(&a); err != nil {
		return pdk.Return(err)
	}
	ok := 0
	for i := 0; i < a.Capability; i++ {
		resp, err := httpclient.Get(a.URL)
		if err != nil {
			return pdk.Return(fmt.Errorf("capability request %d: %w", i+1, err))
		}
		if resp.Status == 200 {
			ok++
		}
	}
	for i := 0; i < a.Extism; i++ {
		resp, err := pdk.HTTPRequest{URL: a.URL}.Send()
		if err != nil {
			return pdk.Return(fmt.Errorf("http_request %d: %w", i+1, err))
		}
		if resp.Status == 200 {
			ok++
		}
	}
	pdk.OutputString(strconv.Itoa(ok))
	return 0
}

func main() {}
