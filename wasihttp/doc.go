// Package wasihttp implements wasi:http 0.2 on the host: the
// wasi:http/types and wasi:http/outgoing-handler interfaces (at 0.2.4; the
// linker matches imports of any 0.2.x) as Go host functions on a
// component/linker.Linker, and Serve, which answers a net/http request
// with a wasi:http/proxy component's exported incoming-handler, as
// `wasmtime serve` does.
//
//	l := linker.New()
//	wasip2.Define(l)   // wasi:io streams and pollables, wasi:cli, clocks...
//	wasihttp.Define(l)
//	inst, err := l.Instantiate(ctx, c, cfg)
//	err = wasihttp.Serve(ctx, inst, w, r, wasihttp.ServeOptions{})
//
// Each instance gets a table of its http resources (fields, requests,
// responses, bodies, futures: a resource's representation is its number
// there), made by a hook and emptied when the instance closes. Body
// streams and pollables are wasi:io's, made in the instance's
// wasip2.State (State.PushInputStream, PushOutputStream, PushPollable).
//
// # Serving
//
// The incoming request carries the method (other methods as other), the
// path with query, the scheme (ServeOptions.Scheme), the authority
// (Request.Host), the headers (lower-case names, host included,
// immutable) and the body, an input-stream reading Request.Body as stdin
// is read (the caller caps its size). It has no trailers: its
// future-trailers answers none.
//
// The response head is written lazily, at the first write or flush of the
// response body, at outgoing-body.finish, or when handle returns, not at
// response-outparam.set as in Wasmtime: so a trap, an error-code, a
// response never set or a body never finished before any byte of the body
// went out leave the ResponseWriter untouched and Serve returns an error
// the caller maps to a status (see Serve). A body written before the
// response is set is buffered (up to 50 MiB). A Content-Length the guest
// sets is kept: writing past it fails the write and finishing short of it
// fails finish (HTTP-response-body-size), both failing the response.
// Trailers given to outgoing-body.finish are sent as HTTP trailers (with
// chunked encoding; they are lost when the response has a
// Content-Length). HEAD, 204 and 304 responses drop body bytes. Output
// streams never block: check-write always permits 1 MiB and a write goes
// to the ResponseWriter at once; flush flushes it (http.Flusher).
//
// An instance serves any number of requests, one at a time, when its
// guest can: handler.c in testdata does; componentize-js (StarlingMonkey)
// components answer only the first request of an instance (under jco
// serve as well), so they need an instance per request, as wasmtime serve
// makes.
//
// # Fields
//
// fields is complete: names are checked as HTTP tokens and values as
// field values (no control characters but tab): invalid-syntax; the
// names Wasmtime forbids (connection, keep-alive, proxy-authenticate,
// proxy-authorization, proxy-connection, te, transfer-encoding, upgrade,
// host, http2-settings) are forbidden; headers of requests and responses
// are immutable. Names are lower-cased, as in Wasmtime; entries groups the
// values of a name in the order names first appeared.
//
// # Outgoing requests
//
// outgoing-handler.handle sends requests through the http capability's
// client the host attached to the instance (capability/httpclient
// BindingOf): its allowed hosts, timeout, size limits, redirect policy
// and requests-per-call limit. Without a binding every request is
// HTTP-request-denied, so that components importing the handler without
// using it (componentize-js ones do) still load. A host not allowed is
// HTTP-request-denied at handle; scheme defaults to https, path to "/";
// an authority is required (HTTP-request-URI-invalid). The request body
// is buffered (up to 50 MiB) until outgoing-body.finish, and the request
// sent then (or at handle, when the body was finished or never taken), in
// a goroutine bounded by the context of the guest call that sent it: a
// request in flight when the call (Serve's handle) ends is canceled. The
// whole response is read (within the client's limits) before the future
// is ready; its body is then an input-stream over it. Errors map to
// error-code: host not allowed HTTP-request-denied, timeout
// connection-timeout, DNS DNS-error, refused connection-refused, reset
// connection-terminated, TLS certificates TLS-certificate-error, response
// too large HTTP-response-body-size, anything else internal-error with
// the message. A write error of an output stream carries its error-code:
// http-error-code finds it.
//
// # What is not there
//
//   - request-options: the timeouts are kept and read back; connect plus
//     first-byte timeout, when set, shortens the client's timeout of the
//     whole request; between-bytes is not applied.
//   - Incoming trailers (request and response) are always none; outgoing
//     request trailers are ignored (the client sends none).
//   - response-outparam.send-informational (unstable) is not defined.
//   - The rule that a child resource (headers, body stream) must be
//     dropped before its parent is not enforced: dropping the parent
//     first does not trap.
//   - Responses of outgoing requests are read whole before get answers
//     (no streaming of an incoming response).
package wasihttp
