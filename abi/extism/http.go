package extism

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/wasmhive/wasmhive/capability/httpclient/hostglob"
	"github.com/wasmhive/wasmhive/engine"
)

// ErrHostNotAllowed is matched (errors.Is) by the error of a call whose
// plugin made an HTTP request to a host outside StateConfig.AllowedHosts. It
// is the http capability's hostglob.ErrHostNotAllowed, so one test covers
// both ways a guest reaches HTTP.
var ErrHostNotAllowed = hostglob.ErrHostNotAllowed

// HostNotAllowedError reports an HTTP request to a host that no allowed
// glob matches.
type HostNotAllowedError struct {
	URL string
}

func (e *HostNotAllowedError) Error() string {
	return fmt.Sprintf("HTTP request to %s is not allowed (allow its host with an allowed-hosts glob)", e.URL)
}

// Is makes errors.Is(err, ErrHostNotAllowed) true.
func (e *HostNotAllowedError) Is(target error) bool { return target == ErrHostNotAllowed }

// httpRequestJSON is Extism's HttpRequest.
type httpRequestJSON struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
}

// HostAllowed reports whether host matches one of the globs, as package
// hostglob matches them (the http capability's matcher): '*' any run of
// characters, '?' one, case-insensitive; an invalid glob (hostglob.Validate)
// matches nothing.
func HostAllowed(globs []string, host string) bool {
	for _, g := range globs {
		if hostglob.Match(g, host) {
			return true
		}
	}
	return false
}

func (s *State) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if !HostAllowed(s.cfg.AllowedHosts, req.URL.Hostname()) {
		return &HostNotAllowedError{URL: req.URL.String()}
	}
	return nil
}

// LimitHTTPRequestsPerCall is the name (as wasmhive's app manifest spells
// it) of the limit of outgoing HTTP requests per call.
const LimitHTTPRequestsPerCall = "http_requests_per_call"

// httpRequests counts the outgoing HTTP requests of each call: Extism's
// http_request and wasmhive's http capability share it, so one limit
// covers both ways a guest reaches HTTP.
var httpRequests = engine.NewCallCounter(LimitHTTPRequestsPerCall)

// CountHTTPRequest counts one outgoing HTTP request of the call ctx (a
// host function's argument) belongs to and, when limit > 0 and the call's
// requests are then more than limit, ends the call with an
// *engine.LimitError. Host functions that make requests for a guest call
// it before each request.
func CountHTTPRequest(ctx context.Context, limit int) {
	if n := httpRequests.Add(ctx, 1); limit > 0 && n > uint64(limit) {
		panic(&engine.LimitError{Limit: LimitHTTPRequestsPerCall, Max: uint64(limit), Got: n})
	}
}

func (s *State) httpRequest(ctx context.Context, reqH, bodyH uint64) uint64 {
	s.httpStatus = 0
	s.httpHdrs = nil
	raw, ok := s.Bytes(reqH)
	if !ok {
		s.fail(&HandleError{Op: "http_request", What: "request", Handle: reqH})
	}
	var r httpRequestJSON
	if err := json.Unmarshal(raw, &r); err != nil {
		s.fail(fmt.Errorf("http_request: invalid request JSON: %w", err))
	}
	u, err := url.Parse(r.URL)
	if err != nil || u.Host == "" {
		s.fail(fmt.Errorf("http_request: invalid URL %q", r.URL))
	}
	if !HostAllowed(s.cfg.AllowedHosts, u.Hostname()) {
		s.fail(&HostNotAllowedError{URL: r.URL})
	}
	method := strings.ToUpper(r.Method)
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if bodyH != 0 {
		b, ok := s.Bytes(bodyH)
		if !ok {
			s.fail(&HandleError{Op: "http_request", What: "body", Handle: bodyH})
		}
		body = bytes.NewReader(append([]byte(nil), b...))
	}
	CountHTTPRequest(ctx, s.cfg.MaxHTTPRequestsPerCall)
	rctx := ctx
	if d := s.cfg.HTTPTimeout; d > 0 {
		var cancel context.CancelFunc
		rctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(rctx, method, r.URL, body)
	if err != nil {
		s.fail(fmt.Errorf("http_request: %w", err))
	}
	for k, v := range r.Headers {
		req.Header.Set(k, v)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		var hna *HostNotAllowedError
		if errors.As(err, &hna) {
			s.fail(hna)
		}
		if rctx.Err() != nil && ctx.Err() == nil {
			s.fail(fmt.Errorf("http_request: %s %s: no response within %s", method, r.URL, s.cfg.HTTPTimeout))
		}
		s.fail(fmt.Errorf("http_request: %w", err))
	}
	defer resp.Body.Close()
	limit := s.cfg.MaxHTTPResponseBytes
	if limit <= 0 {
		limit = DefaultMaxHTTPResponseBytes
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		if rctx.Err() != nil && ctx.Err() == nil {
			s.fail(fmt.Errorf("http_request: %s %s: response not read within %s", method, r.URL, s.cfg.HTTPTimeout))
		}
		s.fail(fmt.Errorf("http_request: read response: %w", err))
	}
	if int64(len(data)) > limit {
		s.fail(fmt.Errorf("http_request: response exceeds the limit of %d bytes", limit))
	}
	s.httpStatus = int32(resp.StatusCode)
	s.httpHdrs = make(map[string]string, len(resp.Header))
	for k, v := range resp.Header {
		s.httpHdrs[strings.ToLower(k)] = strings.Join(v, ",")
	}
	return s.mustWrite(data)
}
