package benchload

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// request is a GET of path on srv's address.
func request(srv *httptest.Server, path string) []byte {
	addr := strings.TrimPrefix(srv.URL, "http://")
	return []byte("GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\n\r\n")
}

// Every answer goes to Check with its connection, status and body; the
// accepted ones of the window are the result, the refused ones its errors,
// and a connection goes on after a refused answer unless StopOnError.
func TestRunCountsAndChecks(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/odd" && n.Add(1)%2 == 1 {
			http.Error(w, "odd", 500)
			return
		}
		fmt.Fprintf(w, "path %s", r.URL.Path)
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	for _, stop := range []bool{false, true} {
		n.Store(0) // connection 0's first answer is a 500
		var seen [3]atomic.Int64
		res, err := Run(Config{Addr: addr, Conns: 3, Warmup: 20 * time.Millisecond, Duration: 200 * time.Millisecond,
			Request: func(conn int) []byte {
				if conn == 0 {
					return request(srv, "/odd")
				}
				return request(srv, fmt.Sprintf("/c%d", conn))
			},
			Check: func(conn, status int, body []byte) error {
				seen[conn].Add(1)
				if conn > 0 && string(body) != fmt.Sprintf("path /c%d", conn) {
					return &FatalError{Err: fmt.Errorf("connection %d got %q", conn, body)}
				}
				if status != 200 {
					return fmt.Errorf("status %d", status)
				}
				return nil
			},
			StopOnError: stop,
		})
		if err != nil {
			t.Fatalf("StopOnError %v: %v", stop, err)
		}
		if res.Requests == 0 || res.Errors == 0 || res.FirstErr == nil || res.FirstErr.Error() != "status 500" {
			t.Fatalf("StopOnError %v: %+v; want successes and errors, the first a 500", stop, res)
		}
		if res.RPS <= 0 || res.P50 <= 0 || res.P99 < res.P50 || res.Elapsed <= 0 {
			t.Errorf("StopOnError %v: figures %+v", stop, res)
		}
		if stop && (res.Errors != 1 || seen[0].Load() != 1) {
			t.Errorf("StopOnError: connection 0 saw %d answers, %d errors; want it to stop at its first, a 500", seen[0].Load(), res.Errors)
		}
		if !stop && seen[0].Load() < 2 {
			t.Errorf("connection 0 saw %d answers; want it to go on after its 500", seen[0].Load())
		}
	}
}

// A *FatalError from Check ends the run with its error.
func TestRunFatal(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("x")) }))
	defer srv.Close()
	boom := errors.New("boom")
	_, err := Run(Config{Addr: strings.TrimPrefix(srv.URL, "http://"), Conns: 2, Duration: time.Second,
		Request: func(int) []byte { return request(srv, "/") },
		Check:   func(int, int, []byte) error { return &FatalError{Err: boom} },
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want boom", err)
	}
}

// Without Check only a 200 is a success; a server that answers none gives
// an error naming the first failure; Stop ends the window early.
func TestRunDefaultCheckAndStop(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/teapot" {
			w.WriteHeader(418)
		}
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	_, err := Run(Config{Addr: addr, Conns: 1, Duration: 50 * time.Millisecond,
		Request: func(int) []byte { return request(srv, "/teapot") }})
	if err == nil || !strings.Contains(err.Error(), "no request completed: status 418") {
		t.Fatalf("Run = %v, want no request completed: status 418", err)
	}
	stop := make(chan struct{})
	close(stop)
	res, err := Run(Config{Addr: addr, Conns: 1, Warmup: time.Hour, Duration: time.Hour, Stop: stop,
		Request: func(int) []byte { return request(srv, "/") }})
	// Closed before it started: the window may hold no request at all
	// (without Stop, this would run for two hours).
	if err != nil && !strings.Contains(err.Error(), "no request completed") {
		t.Fatalf("Run with Stop closed = %+v, %v", res, err)
	}
	if _, err := Run(Config{Addr: addr}); err == nil {
		t.Error("Run without connections succeeded")
	}
}

func TestReadResponse(t *testing.T) {
	in := "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhelloHTTP/1.1 504 Gateway Timeout\r\nContent-Length: 2\r\nX: y\r\n\r\nno"
	br := bufio.NewReader(strings.NewReader(in))
	status, body, err := ReadResponse(br, nil, 100)
	if err != nil || status != 200 || string(body) != "hello" {
		t.Fatalf("first = %d %q %v", status, body, err)
	}
	status, body, err = ReadResponse(br, body, 100)
	if err != nil || status != 504 || string(body) != "no" {
		t.Fatalf("second = %d %q %v", status, body, err)
	}
	for _, bad := range []string{
		"HTTP/1.1 200 OK\r\n\r\n",                        // no Content-Length
		"HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n", // over the limit
		"HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabc",
	} {
		if status, body, err := ReadResponse(bufio.NewReader(strings.NewReader(bad)), nil, 100); err == nil {
			t.Errorf("ReadResponse(%q) = %d %q, want an error", bad, status, body)
		}
	}
}

// FuzzReadResponse: the response reader never panics, and what it accepts
// is a status and exactly Content-Length body bytes from its input.
func FuzzReadResponse(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 14\r\nContent-Type: application/json\r\n\r\n{\"counter\":1}\n"))
	f.Add([]byte("HTTP/1.1 503 Service Unavailable\r\ncontent-length: 3\r\n\r\nabc"))
	f.Add([]byte("HTTP/1.1 200 OK\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"))
	f.Add([]byte("HTTP/1.0 2x0\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		status, body, err := ReadResponse(bufio.NewReader(bytes.NewReader(data)), nil, DefaultMaxBody)
		if err != nil {
			return
		}
		if status < 0 || status > 999 {
			t.Fatalf("status %d", status)
		}
		if len(body) > DefaultMaxBody || !bytes.Contains(data, body) {
			t.Fatalf("body %q is not in the input", body)
		}
	})
}

func TestParseCounter(t *testing.T) {
	for body, want := range map[string]int64{"{\"counter\":0}\n": 0, "{\"counter\":-7}\n": -7, "{\"counter\":9223372036854775807}\n": 1<<63 - 1} {
		if n, err := ParseCounter([]byte(body)); err != nil || n != want {
			t.Errorf("ParseCounter(%q) = %d, %v; want %d", body, n, err, want)
		}
	}
	for _, body := range []string{"", "{\"counter\":1}", "{\"counter\":}\n", "{\"counter\":x}\n", "{\"error\":\"x\"}\n", "{\"counter\":1}\n\n"} {
		if n, err := ParseCounter([]byte(body)); err == nil {
			t.Errorf("ParseCounter(%q) = %d, want an error", body, n)
		}
	}
}
