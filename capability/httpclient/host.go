package httpclient

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/capability"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/capwire"
)

// Module is the import module of the outgoing interface.
const Module = "wasmhive:http/outgoing"

// LimitRequestsPerCall is the name (as the app manifest spells it) of the
// limit of outgoing requests per call, shared with Extism's http_request.
const LimitRequestsPerCall = extism.LimitHTTPRequestsPerCall

// Binding is what one component's instances reach through
// wasmhive:http/outgoing: a Client made from the component's grant
// (allowed hosts, timeout, response limit).
type Binding struct {
	Client *Client
	// MaxRequestsPerCall caps the requests of one call of the guest, made
	// through this interface and Extism's http_request together; 0 means
	// no limit. The request past it ends the call with an
	// *engine.LimitError.
	MaxRequestsPerCall int
}

var bindingKey = engine.NewKey[*Binding]("http")

// Attach makes b the binding of the instances created from cfg.
func Attach(cfg *engine.InstanceConfig, b *Binding) { bindingKey.Set(cfg, b) }

// BindingOf returns the binding Attach made for the instances created
// from cfg; false when there is none (the component was not granted http).
func BindingOf(cfg *engine.InstanceConfig) (*Binding, bool) {
	b, ok := bindingKey.In(cfg)
	return b, ok && b != nil && b.Client != nil
}

// HostModules returns the http interfaces' host modules, for
// engine.Config.WithHostModule.
func HostModules() []engine.HostModule {
	return []engine.HostModule{capability.HostModule{Name: Module, Funcs: []capability.Function{
		{Name: "request", NArgs: 1, Func: request},
	}}}
}

func request(ctx context.Context, inst *engine.Instance, args [][]byte) []byte {
	b, ok := bindingKey.Of(inst)
	if !ok || b == nil || b.Client == nil {
		return capwire.Error("http is not bound for this component (grant it with grants.http)")
	}
	req, err := decodeRequest(args[0])
	if err != nil {
		return capwire.Error(err.Error())
	}
	extism.CountHTTPRequest(ctx, b.MaxRequestsPerCall)
	resp, err := b.Client.Do(ctx, req)
	if err != nil {
		return capwire.Error(err.Error())
	}
	return encodeResponse(capwire.OK(nil), resp)
}

// decodeRequest reads the request block of docs/capabilities.md: item
// method, item URL, u32 timeout (ms), a pair list of headers, the body.
// The body aliases b.
func decodeRequest(b []byte) (Request, error) {
	r := capwire.NewReader(b)
	req := Request{Method: r.String(), URL: r.String()}
	if ms := r.U32(); ms > 0 {
		req.Timeout = time.Duration(ms) * time.Millisecond
	}
	n := r.Count(8)
	if n > 0 {
		req.Header = make(http.Header, n)
	}
	for i := 0; i < n && r.Err() == nil; i++ {
		k, v := r.String(), r.String()
		req.Header[k] = append(req.Header[k], v)
	}
	if r.Err() != nil {
		return Request{}, fmt.Errorf("malformed request block (want item method, item URL, u32 timeout, pair list of headers, body)")
	}
	req.Body = r.Rest()
	return req, nil
}

// encodeResponse appends the response block: u32 status, a pair list of
// headers (lower-case names, sorted, one pair per value), the body.
func encodeResponse(b []byte, resp *Response) []byte {
	b = capwire.AppendU32(b, uint32(resp.Status))
	names := make([]string, 0, len(resp.Header))
	n := 0
	for k, vs := range resp.Header {
		names = append(names, k)
		n += len(vs)
	}
	sort.Slice(names, func(i, j int) bool { return strings.ToLower(names[i]) < strings.ToLower(names[j]) })
	b = capwire.AppendU32(b, uint32(n))
	for _, k := range names {
		lk := strings.ToLower(k)
		for _, v := range resp.Header[k] {
			b = capwire.AppendString(b, lk)
			b = capwire.AppendString(b, v)
		}
	}
	return append(b, resp.Body...)
}
