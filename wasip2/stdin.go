package wasip2

import (
	"context"
	"io"
	"sync"
)

// stdinStream streams the configured stdin, or any host reader
// (State.PushInputStream). One background Read at a time
// fills a buffer that reads drain: a blocking read returns as soon as any
// input is there, a pollable can wait for input without losing any of it,
// and a canceled context stops a guest blocked on input (the background
// Read goes on until the reader returns; its data stays buffered).
type stdinStream struct {
	r io.Reader

	mu      sync.Mutex
	buf     []byte
	err     error // what the reader returned (io.EOF at the end), sticky
	pending bool  // a background read is running
	done    chan struct{}
}

func newStdinStream(r io.Reader) *stdinStream { return &stdinStream{r: r} }

// ready reports whether a read would not block, starting a background read
// when none runs; the channel is closed when that read finishes.
func (s *stdinStream) ready() (bool, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.r == nil || len(s.buf) > 0 || s.err != nil {
		return true, nil
	}
	return false, s.startLocked(4096)
}

func (s *stdinStream) startLocked(size int) <-chan struct{} {
	if !s.pending {
		s.pending = true
		s.done = make(chan struct{})
		go s.fill(s.done, size)
	}
	return s.done
}

func (s *stdinStream) fill(done chan struct{}, size int) {
	b := make([]byte, size)
	n, err := s.r.Read(b)
	s.mu.Lock()
	s.buf = append(s.buf, b[:n]...)
	if err != nil {
		s.err = err
	}
	s.pending = false
	s.mu.Unlock()
	close(done)
}

// take returns up to n buffered bytes without waiting: (nil, nil) when no
// input is there yet (a background read is started), errStreamClosed at
// the end of input, a *StreamError when the reader failed.
func (s *stdinStream) take(n int) ([]byte, error) {
	if n <= 0 {
		return []byte{}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.r == nil {
		return nil, errStreamClosed
	}
	if len(s.buf) > 0 {
		k := min(n, len(s.buf))
		out := append([]byte(nil), s.buf[:k]...)
		s.buf = s.buf[k:]
		return out, nil
	}
	if s.err != nil {
		if s.err == io.EOF {
			return nil, errStreamClosed
		}
		return nil, &StreamError{Err: s.err}
	}
	s.startLocked(min(max(n, 512), 64<<10))
	return nil, nil
}

// read waits until input (or its end) is there and returns up to n bytes
// of it; ctx ending stops the wait with ctx's error.
func (s *stdinStream) read(ctx context.Context, n int) ([]byte, error) {
	if n <= 0 {
		return []byte{}, nil
	}
	for {
		b, err := s.take(n)
		if err != nil || len(b) > 0 {
			return b, err
		}
		ok, ch := s.ready()
		if ok {
			continue
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
