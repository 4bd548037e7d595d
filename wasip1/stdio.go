package wasip1

import (
	"context"
	"io"
	"sync"
)

// stdinStream streams the configured stdin. One background Read at a time
// fills a buffer that fd_read drains: fd_read returns as soon as any input is
// there, poll_oneoff can wait for input with a timeout without losing any of
// it, and a canceled context stops a guest blocked on input.
type stdinStream struct {
	r io.Reader

	mu      sync.Mutex
	buf     []byte // data read ahead by a poll
	err     error  // error (io.EOF) the reader returned, sticky
	pending bool   // a background read is running
	done    chan struct{}
}

func newStdinStream(r io.Reader) *stdinStream {
	return &stdinStream{r: r}
}

// ready reports whether a read would not block, starting a background read
// when none runs. The returned channel is closed when data arrives.
func (s *stdinStream) ready() (bool, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.r == nil || len(s.buf) > 0 || s.err != nil {
		return true, nil
	}
	return false, s.startLocked(4096)
}

// startLocked starts one background Read of up to size bytes unless one is
// running, and returns the channel closed when it finishes.
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

// read reads into p what is available, waiting for at least one byte unless
// the input ended (then it returns 0, nil). The wait is a background Read so
// that a canceled ctx (a timeout, a closed instance) stops it at once.
func (s *stdinStream) read(ctx context.Context, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		s.mu.Lock()
		if s.r == nil {
			s.mu.Unlock()
			return 0, nil
		}
		if len(s.buf) > 0 {
			n := copy(p, s.buf)
			s.buf = s.buf[n:]
			s.mu.Unlock()
			return n, nil
		}
		if s.err != nil {
			err := s.err
			s.mu.Unlock()
			if err == io.EOF {
				return 0, nil
			}
			return 0, err
		}
		done := s.startLocked(min(max(len(p), 512), 64<<10))
		s.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}
