// Command http is a test plugin built with wasmhive's pdk: it makes an
// outgoing HTTP request through the host.
package main

import "github.com/wasmhive/wasmhive/pdk"

type request struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

type response struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body"`
}

func do(withHeaders bool) int32 {
	var r request
	if err := pdk.InputJSON(&r); err != nil {
		return pdk.Return(err)
	}
	req := pdk.HTTPRequest{Method: r.Method, URL: r.URL, Headers: r.Headers, Body: []byte(r.Body)}
	send := req.Send
	if withHeaders {
		send = req.SendWithHeaders
	}
	resp, err := send()
	if err != nil {
		return pdk.Return(err)
	}
	return pdk.Return(pdk.OutputJSON(response{Status: resp.Status, Headers: resp.Headers, Body: string(resp.Body)}))
}

// fetch performs the request described by the JSON input
// {"method","url","headers","body"} and outputs {"status","body"}.
//
//go:wasmexport fetch
func fetch() int32 { return do(false) }

// fetch_headers is fetch that also outputs the response headers.
//
//go:wasmexport fetch_headers
func fetchHeaders() int32 { return do(true) }

func main() {}
