// Package benchload is the load generator of the benchmarks under bench/: a
// closed loop of HTTP/1.1 keep-alive connections to one address, each
// sending its request and waiting for the answer before the next, for a
// warm-up and then a measured window. It measures the requests answered as
// expected in the window (req/s, latency percentiles, this process's CPU
// time per request) and counts the others.
//
// It speaks just enough HTTP for servers that answer with a Content-Length
// (net/http does for small bodies): no chunked bodies, no pipelining.
package benchload

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// DefaultMaxBody bounds a response body when Config.MaxBody is 0.
const DefaultMaxBody = 64 << 10

// Config is one load: where, how many connections, how long, what each
// connection sends and how its answers are judged.
type Config struct {
	// Addr is the server's host:port.
	Addr string
	// Conns is the number of connections, each a closed loop.
	Conns int
	// Warmup runs before the measured window; its answers are checked and
	// counted but not measured.
	Warmup time.Duration
	// Duration is the measured window.
	Duration time.Duration
	// Request returns the complete request connection conn sends, again
	// and again (called once per connection).
	Request func(conn int) []byte
	// Check judges one answer of connection conn (called from that
	// connection's goroutine only, in order). nil is a success; an error
	// counts as one, and a *FatalError ends the run with it. Nil Check
	// accepts every 200 and nothing else.
	Check func(conn, status int, body []byte) error
	// StopOnError ends a connection at its first answer Check refuses;
	// otherwise it goes on. A connection always ends at a network or
	// protocol error.
	StopOnError bool
	// MaxBody bounds a response body; 0 means DefaultMaxBody.
	MaxBody int
	// Stop, when not nil, ends the load early when closed (the result
	// covers the measured time until then).
	Stop <-chan struct{}
}

// FatalError is what Check returns for an answer that breaks the
// benchmark's premises (a lost update, a wrong body): Run stops and returns
// Err.
type FatalError struct{ Err error }

func (e *FatalError) Error() string { return e.Err.Error() }
func (e *FatalError) Unwrap() error { return e.Err }

// Result is what a load measured.
type Result struct {
	// Requests is the successful answers of the measured window.
	Requests int
	// Errors is the answers Check refused and the connections that failed,
	// over every phase.
	Errors int
	// FirstErr is the first of those errors, or nil.
	FirstErr error
	// Elapsed is the measured window as it ran.
	Elapsed time.Duration
	// RPS is Requests over Elapsed.
	RPS float64
	// P50 and P99 are latency percentiles of the successful answers of
	// the measured window.
	P50, P99 time.Duration
	// CPU is this process's user+system CPU time over the window divided
	// by Requests (the load generator's share included).
	CPU time.Duration
}

// Run runs the load and returns what it measured. It fails when no request
// completed in the window, or with the error of a *FatalError.
func Run(cfg Config) (Result, error) {
	if cfg.Conns <= 0 {
		return Result{}, errors.New("benchload: no connections")
	}
	check := cfg.Check
	if check == nil {
		check = func(_, status int, _ []byte) error {
			if status != 200 {
				return fmt.Errorf("status %d", status)
			}
			return nil
		}
	}
	maxBody := cfg.MaxBody
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	var phase atomic.Int32 // 0 warm-up, 1 measured, 2 stop
	lat := make([][]time.Duration, cfg.Conns)
	errs := make([]int, cfg.Conns)
	var firstErr, fatal atomic.Value
	var wg sync.WaitGroup
	for i := range cfg.Conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := cfg.Request(i)
			c, err := net.Dial("tcp", cfg.Addr)
			if err != nil {
				firstErr.CompareAndSwap(nil, err)
				errs[i]++
				return
			}
			defer c.Close()
			br := bufio.NewReaderSize(c, 16<<10)
			buf := make([]byte, 0, 1024)
			samples := make([]time.Duration, 0, 1<<16)
			for {
				ph := phase.Load()
				if ph == 2 {
					break
				}
				start := time.Now()
				if _, err := c.Write(req); err != nil {
					firstErr.CompareAndSwap(nil, err)
					errs[i]++
					break
				}
				var status int
				var err error
				status, buf, err = ReadResponse(br, buf, maxBody)
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					errs[i]++
					break
				}
				if err := check(i, status, buf); err != nil {
					var f *FatalError
					if errors.As(err, &f) {
						fatal.CompareAndSwap(nil, f.Err)
						break
					}
					firstErr.CompareAndSwap(nil, err)
					errs[i]++
					if cfg.StopOnError {
						break
					}
					continue
				}
				if ph == 1 && phase.Load() == 1 {
					samples = append(samples, time.Since(start))
				}
			}
			lat[i] = samples
		}()
	}
	wait := func(d time.Duration) {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-cfg.Stop:
		}
	}
	wait(cfg.Warmup)
	phase.Store(1)
	t0 := time.Now()
	cpu0 := CPUTime()
	wait(cfg.Duration)
	phase.Store(2)
	elapsed := time.Since(t0)
	cpu := CPUTime() - cpu0
	wg.Wait()
	if err, _ := fatal.Load().(error); err != nil {
		return Result{}, err
	}
	var all []time.Duration
	nerr := 0
	for i := range lat {
		all = append(all, lat[i]...)
		nerr += errs[i]
	}
	first, _ := firstErr.Load().(error)
	if len(all) == 0 {
		return Result{Errors: nerr, FirstErr: first}, fmt.Errorf("no request completed: %v", first)
	}
	slices.Sort(all)
	return Result{Requests: len(all), Errors: nerr, FirstErr: first, Elapsed: elapsed,
		RPS: float64(len(all)) / elapsed.Seconds(), P50: all[len(all)/2], P99: all[len(all)*99/100],
		CPU: cpu / time.Duration(len(all))}, nil
}

// ReadResponse reads one HTTP/1.1 response with a Content-Length of at
// most maxBody bytes and returns its status and body (in buf, reused).
func ReadResponse(br *bufio.Reader, buf []byte, maxBody int) (int, []byte, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, buf, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, buf, fmt.Errorf("status line %q", line)
	}
	status := 0
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return 0, buf, fmt.Errorf("status line %q", line)
		}
		status = status*10 + int(c-'0')
	}
	n := -1
	for {
		line, err = br.ReadSlice('\n')
		if err != nil {
			return 0, buf, err
		}
		if len(line) <= 2 {
			break
		}
		if len(line) > 16 && bytes.EqualFold(line[:15], []byte("Content-Length:")) {
			n, err = strconv.Atoi(string(bytes.TrimSpace(line[15:])))
			if err != nil {
				return 0, buf, err
			}
		}
	}
	if n < 0 {
		return 0, buf, errors.New("response without Content-Length")
	}
	if n > maxBody {
		return 0, buf, fmt.Errorf("response of %d bytes; the limit is %d", n, maxBody)
	}
	buf = slices.Grow(buf[:0], n)[:n]
	if _, err := io.ReadFull(br, buf); err != nil {
		return 0, buf, err
	}
	return status, buf, nil
}

// CPUTime returns this process's user+system CPU time.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// RepoRoot returns the wasmhive repository the benchmark runs in: the first
// directory holding a go.mod, from the working directory up.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run from inside the wasmhive repository")
		}
		dir = parent
	}
}

// ParseCounter parses the kvcounter's answer, {"counter":N} and a newline.
func ParseCounter(body []byte) (int64, error) {
	digits, ok := bytes.CutPrefix(body, []byte(`{"counter":`))
	if ok {
		digits, ok = bytes.CutSuffix(digits, []byte("}\n"))
	}
	n, err := strconv.ParseInt(string(digits), 10, 64)
	if !ok || err != nil {
		return 0, fmt.Errorf("unexpected body %q", body)
	}
	return n, nil
}

// ReadCounter reads the kvcounter's counter of path on addr with
// ?amount=0, which changes nothing.
func ReadCounter(ctx context.Context, client *http.Client, addr, path string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+addr+path+"?amount=0", nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != 200 {
		return 0, fmt.Errorf("status %d: %s", resp.StatusCode, bytes.TrimSpace(b))
	}
	return ParseCounter(b)
}
