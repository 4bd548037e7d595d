package httptrigger

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/wasmhive/wasmhive/internal/version"
	"github.com/wasmhive/wasmhive/trigger"
)

// serveWAGI runs one request through the WAGI convention: the route's
// component runs as a CGI 1.1 script (RFC 3875) on a fresh instance.
func (t *Trigger) serveWAGI(ctx context.Context, rt *route, w http.ResponseWriter, r *http.Request, id string, body []byte) error {
	stdout := &limitedBuffer{limit: rt.maxResp + 64<<10}
	var stderr guestStderr
	in := &stdin{b: body}
	err := t.cfg.Invoker.Run(ctx, rt.Component, trigger.CommandIO{
		Args:   CGIArgs(rt.info.Name, r.URL.RawQuery),
		Env:    CGIEnv(r, rt.Path, id, len(body)),
		Stdin:  in,
		Stdout: stdout,
		Stderr: &stderr,
	})
	in.close() // the body's buffer goes to the next request
	t.logStderr(ctx, rt, id, &stderr)
	if err != nil {
		return err
	}
	if stdout.exceeded {
		return tooBig(WAGI, rt.maxResp)
	}
	status, header, respBody, err := ParseCGI(stdout.Bytes())
	if err != nil {
		return &BadResponseError{Convention: WAGI, Reason: err.Error()}
	}
	if int64(len(respBody)) > rt.maxResp {
		return tooBig(WAGI, rt.maxResp)
	}
	for name, values := range header {
		for _, v := range values {
			if err := checkHeader(WAGI, name, v); err != nil {
				return err
			}
		}
	}
	h := w.Header()
	for name, values := range header {
		if skipResponseHeader(name) {
			continue
		}
		h[name] = append(h[name], values...)
	}
	t.respond(w, status, respBody)
	return nil
}

// serverSoftware is the SERVER_SOFTWARE variable, computed once (reading the
// build information costs microseconds).
var serverSoftware = sync.OnceValue(func() string { return "SERVER_SOFTWARE=wasmhive/" + version.String() })

// CGIArgs returns a CGI script's argv: the script name, then, when the
// query string holds no '=', its '+'-separated search words, decoded (RFC
// 3875 section 4.4).
func CGIArgs(script, rawQuery string) []string {
	args := []string{script}
	if rawQuery == "" || strings.Contains(rawQuery, "=") {
		return args
	}
	for _, word := range strings.Split(rawQuery, "+") {
		if dec, err := urlUnescape(word); err == nil {
			args = append(args, dec)
		} else {
			return args[:1] // a malformed search string gives no arguments
		}
	}
	return args
}

func urlUnescape(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", errors.New("bad escape")
		}
		v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", errors.New("bad escape")
		}
		b.WriteByte(byte(v))
		i += 2
	}
	return b.String(), nil
}

// CGIEnv returns the CGI 1.1 meta-variables (RFC 3875 section 4.1) of r for
// a script mounted at the route prefix mount ("/" or "/api"): SCRIPT_NAME is
// the prefix ("" for "/"), PATH_INFO the rest of the path; plus WAGI's X_FULL_URL and X_RAW_PATH_INFO and
// wasmhive's X_REQUEST_ID. Each request header becomes HTTP_<NAME> (upper
// case, '-' as '_'), except Content-Type and Content-Length (CONTENT_TYPE,
// CONTENT_LENGTH), Authorization (credentials are not passed, as the RFC
// advises; AUTH_TYPE carries its scheme) and Proxy (the "httpoxy" attack).
func CGIEnv(r *http.Request, mount, id string, bodyLen int) []string {
	script, pathInfo := "", r.URL.Path
	if mount != "/" && mount != "" {
		script, pathInfo = mount, strings.TrimPrefix(r.URL.Path, mount)
	}
	rawInfo := strings.TrimPrefix(r.URL.EscapedPath(), script)
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
		port = "80"
		if r.TLS != nil {
			port = "443"
		}
	}
	remoteAddr, remotePort, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		remoteAddr = r.RemoteAddr
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	env := make([]string, 0, 20+len(r.Header))
	env = append(env,
		"GATEWAY_INTERFACE=CGI/1.1",
		serverSoftware(),
		"SERVER_PROTOCOL="+r.Proto,
		"SERVER_NAME="+host,
		"SERVER_PORT="+port,
		"REQUEST_METHOD="+r.Method,
		"SCRIPT_NAME="+script,
		"PATH_INFO="+pathInfo,
		"QUERY_STRING="+r.URL.RawQuery,
		"REMOTE_ADDR="+remoteAddr,
		"REMOTE_HOST="+remoteAddr,
		"REMOTE_PORT="+remotePort,
		"REQUEST_URI="+r.URL.RequestURI(),
		"X_FULL_URL="+scheme+"://"+r.Host+r.URL.RequestURI(),
		"X_RAW_PATH_INFO="+rawInfo,
		"X_MATCHED_ROUTE="+script+"/...",
		"X_REQUEST_ID="+id,
	)
	if r.Method != http.MethodGet && r.Method != http.MethodHead || bodyLen > 0 {
		env = append(env, "CONTENT_LENGTH="+strconv.Itoa(bodyLen))
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		env = append(env, "CONTENT_TYPE="+ct)
	}
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, _, _ := strings.Cut(auth, " ")
		env = append(env, "AUTH_TYPE="+scheme)
	}
	for name, values := range r.Header {
		switch name {
		case "Content-Type", "Content-Length", "Authorization", "Proxy", "Proxy-Authorization":
			continue
		}
		env = append(env, "HTTP_"+cgiName(name)+"="+strings.Join(values, ", "))
	}
	return env
}

// cgiName turns a header name into a meta-variable suffix: "X-Forwarded-For"
// becomes "X_FORWARDED_FOR".
func cgiName(name string) string {
	b := []byte(name)
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z':
			b[i] = c - 'a' + 'A'
		case c == '-':
			b[i] = '_'
		}
	}
	return string(b)
}

// ParseCGI parses a CGI script's output (RFC 3875 section 6): header lines
// "Name: value" ended by LF or CRLF, a blank line, then the body. At least
// one CGI field (Content-Type, Location or Status) is required. "Status:
// 404 Not Found" sets the status; a Location without a Status answers 302;
// otherwise the status is 200. The returned body aliases out.
func ParseCGI(out []byte) (status int, header http.Header, body []byte, err error) {
	header = http.Header{}
	status = 0
	sawCGIField := false
	rest := out
	for {
		nl := bytes.IndexByte(rest, '\n')
		if nl < 0 {
			if len(out) == 0 {
				return 0, nil, nil, errors.New("no output at all")
			}
			return 0, nil, nil, errors.New("no blank line ends the CGI headers")
		}
		line := rest[:nl]
		rest = rest[nl+1:]
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return 0, nil, nil, errors.New("header line " + strconv.Quote(truncate(string(line), 60)) + " is not \"Name: value\"")
		}
		name := string(line[:colon])
		if !validHeaderName(name) {
			return 0, nil, nil, errors.New("invalid header name " + strconv.Quote(truncate(name, 60)))
		}
		value := strings.TrimSpace(string(line[colon+1:]))
		switch key := http.CanonicalHeaderKey(name); key {
		case "Status":
			code, _, _ := strings.Cut(value, " ")
			n, err := strconv.Atoi(code)
			if err != nil || len(code) != 3 || n < 200 || n > 999 {
				return 0, nil, nil, errors.New("Status " + strconv.Quote(truncate(value, 60)) + " is not a 3-digit final status code")
			}
			status = n
			sawCGIField = true
		case "Content-Type", "Location":
			sawCGIField = true
			header.Add(key, value)
		default:
			header.Add(key, value)
		}
	}
	if !sawCGIField {
		return 0, nil, nil, errors.New("the headers hold none of Content-Type, Location or Status")
	}
	if status == 0 {
		status = http.StatusOK
		if header.Get("Location") != "" {
			status = http.StatusFound
		}
	}
	return status, header, rest, nil
}

func validHeaderName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return s != ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
