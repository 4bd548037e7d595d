package pdk

import (
	"encoding/json"
	"errors"
	"fmt"
)

// ErrNoResponse is returned by Send when the host reported no HTTP status.
var ErrNoResponse = errors.New("pdk: http request got no response")

// HTTPRequest is an outgoing HTTP request made through the host
// (http_request). The host decides which hosts a plugin may reach (its
// allowed-hosts list); Extism hosts abort the call when a request is denied
// or fails, so Send only returns when the host produced a response.
type HTTPRequest struct {
	Method  string            // GET when empty
	URL     string            // absolute http:// or https:// URL
	Headers map[string]string // request headers, one value each
	Body    []byte            // request body, none when empty
}

// HTTPResponse is the host's answer to an HTTPRequest.
type HTTPResponse struct {
	Status  int               // HTTP status code
	Headers map[string]string // lower-case names; nil when the host does not report headers
	Body    []byte            // response body
}

// httpRequestMeta is the JSON the http_request import reads.
type httpRequestMeta struct {
	URL     string            `json:"url"`
	Method  string            `json:"method"`
	Headers map[string]string `json:"headers"`
}

// Send performs req through the host and returns its response.
func (req HTTPRequest) Send() (HTTPResponse, error) {
	method := req.Method
	if method == "" {
		method = "GET"
	}
	meta, err := json.Marshal(httpRequestMeta{URL: req.URL, Method: method, Headers: req.Headers})
	if err != nil {
		return HTTPResponse{}, fmt.Errorf("pdk: encode http request: %w", err)
	}
	m := AllocateBytes(meta)
	body := AllocateBytes(req.Body)
	off := extismHTTPRequest(m.offset, body.offset)
	status := int(extismHTTPStatusCode())

	var resp HTTPResponse
	if off != 0 {
		// length_unsafe: the block was just returned by the host, so it is
		// live; this avoids walking the allocator's block list.
		rb := Memory{offset: off, length: extismLengthUnsafe(off)}
		resp.Body = rb.Bytes()
		rb.Free()
	} else {
		resp.Body = []byte{}
	}
	// Extism hosts free the request blocks themselves and may reuse one for
	// the response, so free them only after the response is read (freeing a
	// free block is a no-op).
	if m.offset != off {
		m.Free()
	}
	if body.offset != off {
		body.Free()
	}
	if status == 0 {
		return resp, fmt.Errorf("%w: %s %s", ErrNoResponse, method, req.URL)
	}
	resp.Status = status
	return resp, nil
}

// SendWithHeaders is Send that also fetches the response headers
// (http_headers). Hosts older than the http_headers import cannot load a
// plugin that uses it, which is why Send does not.
func (req HTTPRequest) SendWithHeaders() (HTTPResponse, error) {
	resp, err := req.Send()
	if err != nil {
		return resp, err
	}
	if off := extismHTTPHeaders(); off != 0 {
		hm := FindMemory(off)
		b := hm.Bytes()
		hm.Free()
		if len(b) > 0 {
			if err := json.Unmarshal(b, &resp.Headers); err != nil {
				return resp, fmt.Errorf("pdk: decode response headers: %w", err)
			}
		}
	}
	return resp, nil
}
