// Package httpclient is the http capability: outgoing HTTP requests for
// components (wasmhive:http/outgoing, shaped after wasi:http's outgoing
// handler), limited to the hosts the component was granted, with timeouts
// and size limits, and the host module that serves it to guests
// (docs/capabilities.md).
package httpclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wasmhive/wasmhive/capability/httpclient/hostglob"
)

// Defaults of a Config's zero fields.
const (
	DefaultTimeout          = 30 * time.Second
	DefaultMaxResponseBytes = 50 << 20
	DefaultMaxRequestBytes  = 50 << 20
	DefaultMaxRedirects     = 10
)

// Config configures a Client. Only AllowedHosts has no default: empty
// allows no host.
type Config struct {
	// AllowedHosts are globs of the host names requests and their
	// redirects may reach (package hostglob: "api.example.com",
	// "*.example.com", "*").
	AllowedHosts []string
	// Timeout bounds one request, body included; a request may ask for
	// less, not more. 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxResponseBytes caps a response body; 0 means DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// MaxRequestBytes caps a request body; 0 means DefaultMaxRequestBytes.
	MaxRequestBytes int64
	// MaxRedirects caps the redirects followed; 0 means
	// DefaultMaxRedirects, negative follows none (the redirect response is
	// returned as it is).
	MaxRedirects int
	// Transport makes the requests; nil means a clone of
	// http.DefaultTransport. Share one between Clients to share connections.
	Transport http.RoundTripper
}

// Client makes outgoing requests within its Config's limits. It is safe
// for concurrent use.
type Client struct {
	hosts        *hostglob.List
	timeout      time.Duration
	maxResponse  int64
	maxRequest   int64
	maxRedirects int
	hc           *http.Client
}

// New returns a Client. An invalid glob or a negative limit is an error.
func New(cfg Config) (*Client, error) {
	hosts, err := hostglob.Compile(cfg.AllowedHosts)
	if err != nil {
		return nil, fmt.Errorf("http allowed hosts: %w", err)
	}
	if cfg.Timeout < 0 || cfg.MaxResponseBytes < 0 || cfg.MaxRequestBytes < 0 {
		return nil, errors.New("http client: negative timeout or size limit")
	}
	c := &Client{
		hosts:        hosts,
		timeout:      or(cfg.Timeout, DefaultTimeout),
		maxResponse:  or(cfg.MaxResponseBytes, DefaultMaxResponseBytes),
		maxRequest:   or(cfg.MaxRequestBytes, DefaultMaxRequestBytes),
		maxRedirects: or(cfg.MaxRedirects, DefaultMaxRedirects),
	}
	t := cfg.Transport
	if t == nil {
		t = http.DefaultTransport.(*http.Transport).Clone()
	}
	c.hc = &http.Client{Transport: t, CheckRedirect: c.checkRedirect}
	return c, nil
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Allows reports whether the client may reach host.
func (c *Client) Allows(host string) bool { return c.hosts.Allows(host) }

// Timeout returns the client's bound on one request.
func (c *Client) Timeout() time.Duration { return c.timeout }

// Request is one outgoing request.
type Request struct {
	Method  string      // GET when empty
	URL     string      // absolute http:// or https:// URL
	Header  http.Header // a "Host" entry sets the Host header
	Body    []byte
	Timeout time.Duration // shortens the Client's timeout; 0 keeps it
}

// Response is the answer to a Request.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Errors matched with errors.Is.
var (
	// ErrHostNotAllowed: the URL, or a redirect, names a host no allowed
	// glob matches (a *HostNotAllowedError).
	ErrHostNotAllowed = hostglob.ErrHostNotAllowed
	// ErrTimeout: the request took longer than its timeout.
	ErrTimeout = errors.New("request timed out")
	// ErrResponseTooLarge: the response body passes MaxResponseBytes.
	ErrResponseTooLarge = errors.New("response body too large")
	// ErrRequestTooLarge: the request body passes MaxRequestBytes.
	ErrRequestTooLarge = errors.New("request body too large")
)

// HostNotAllowedError reports a request, or a redirect, to a host outside
// the allow-list.
type HostNotAllowedError struct {
	URL      string
	Host     string
	Redirect bool // a redirect led there
}

func (e *HostNotAllowedError) Error() string {
	what := "request to"
	if e.Redirect {
		what = "redirect to"
	}
	return fmt.Sprintf("%s %s: host %q not allowed (allow it in grants.http.allowed_hosts)", what, e.URL, e.Host)
}

// Is makes errors.Is(err, ErrHostNotAllowed) true.
func (e *HostNotAllowedError) Is(target error) bool { return target == ErrHostNotAllowed }

func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if c.maxRedirects < 0 {
		return http.ErrUseLastResponse
	}
	if len(via) > c.maxRedirects {
		return fmt.Errorf("stopped after %d redirects", c.maxRedirects)
	}
	if host := req.URL.Hostname(); !c.hosts.Allows(host) {
		return &HostNotAllowedError{URL: req.URL.Redacted(), Host: host, Redirect: true}
	}
	return nil
}

// Do sends req and reads the whole response, within ctx, the timeout and
// the size limits.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	u, err := url.Parse(req.URL)
	if err != nil {
		return nil, fmt.Errorf("invalid URL %q: %w", req.URL, errors.Unwrap(err))
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return nil, fmt.Errorf("invalid URL %q: want an absolute http:// or https:// URL", req.URL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("invalid URL %q: no host", req.URL)
	}
	shown := u.Redacted()
	if host := u.Hostname(); !c.hosts.Allows(host) {
		return nil, &HostNotAllowedError{URL: shown, Host: host}
	}
	if int64(len(req.Body)) > c.maxRequest {
		return nil, fmt.Errorf("request to %s: %w: %d bytes, the limit is %d", shown, ErrRequestTooLarge, len(req.Body), c.maxRequest)
	}
	timeout := c.timeout
	if req.Timeout > 0 && req.Timeout < timeout {
		timeout = req.Timeout
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if len(req.Body) > 0 {
		body = bytes.NewReader(req.Body)
	}
	hr, err := http.NewRequestWithContext(rctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("request to %s: %w", shown, err)
	}
	for k, vs := range req.Header {
		if http.CanonicalHeaderKey(k) == "Host" {
			if len(vs) > 0 {
				hr.Host = vs[0]
			}
			continue
		}
		for _, v := range vs {
			hr.Header.Add(k, v)
		}
	}
	fail := func(err error) (*Response, error) {
		var hna *HostNotAllowedError
		switch {
		case errors.As(err, &hna):
			return nil, hna
		case ctx.Err() != nil:
			return nil, fmt.Errorf("request to %s: %w", shown, ctx.Err())
		case errors.Is(err, context.DeadlineExceeded):
			return nil, fmt.Errorf("request to %s: %w after %s", shown, ErrTimeout, timeout)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("request to %s: %w", shown, err)
	}
	resp, err := c.hc.Do(hr)
	if err != nil {
		return fail(err)
	}
	defer resp.Body.Close()
	if resp.ContentLength > c.maxResponse {
		return nil, fmt.Errorf("request to %s: %w: %d bytes announced, the limit is %d", shown, ErrResponseTooLarge, resp.ContentLength, c.maxResponse)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxResponse+1))
	if err != nil {
		return fail(err)
	}
	if int64(len(data)) > c.maxResponse {
		return nil, fmt.Errorf("request to %s: %w: more than the limit of %d bytes", shown, ErrResponseTooLarge, c.maxResponse)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}
