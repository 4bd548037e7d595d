// Command httpclient is a test component for wasmhive's http capability,
// built with pdk/httpclient.
package main

import (
	"errors"
	"time"

	"github.com/wasmhive/wasmhive/pdk"
	"github.com/wasmhive/wasmhive/pdk/httpclient"
)

type args struct {
	Method    string              `json:"method"`
	URL       string              `json:"url"`
	Headers   map[string][]string `json:"headers"`
	Body      string              `json:"body"`
	TimeoutMS int                 `json:"timeout_ms"`
}

type result struct {
	Status  int                 `json:"status,omitempty"`
	Headers map[string][]string `json:"headers,omitempty"`
	Body    string              `json:"body,omitempty"`
	Error   string              `json:"error,omitempty"`
	Typed   bool                `json:"typed,omitempty"` // the error is an *httpclient.Error
}

// fetch makes the request {"method","url","headers","body","timeout_ms"}
// and reports {"status","headers","body"} or {"error","typed"}.
//
//go:wasmexport fetch
func fetch() int32 {
	var a args
	if err := pdk.InputJSON(&a); err != nil {
		return pdk.Return(err)
	}
	resp, err := httpclient.Do(httpclient.Request{
		Method:  a.Method,
		URL:     a.URL,
		Header:  httpclient.Header(a.Headers),
		Body:    []byte(a.Body),
		Timeout: time.Duration(a.TimeoutMS) * time.Millisecond,
	})
	if err != nil {
		var e *httpclient.Error
		return pdk.Return(pdk.OutputJSON(result{Error: err.Error(), Typed: errors.As(err, &e)}))
	}
	return pdk.Return(pdk.OutputJSON(result{Status: resp.Status, Headers: resp.Header, Body: string(resp.Body)}))
}

func main() {}
