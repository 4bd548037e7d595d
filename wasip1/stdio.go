package wasip1

import (
	"context"
	"io"
	"sync"
)

// stdinStream streams the configured stdin. Reads go straight to the reader
// unless poll_oneoff asked for readiness: then one background read fills a
// buffer that the next fd_read drains, so a guest can wait for input with a
// timeout without losing any of it.
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
	if !s.pending {
		s.pending = true
		s.done = make(chan struct{})
		go s.fill(s.done)
	}
	return false, s.done
}

func (s *stdinStream) fill(done chan struct{}) {
	b := make([]byte, 4096)
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

// read reads into p: buffered data first, then one Read of the reader. It
// returns 0, nil at end of input.
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
		if s.pending {
			done := s.done
			s.mu.Unlock()
			select {
			case <-done:
				continue
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}
		s.mu.Unlock()
		// Nothing buffered and no read in flight: read directly, once.
		for {
			n, err := s.r.Read(p)
			if n > 0 {
				if err != nil {
					s.mu.Lock()
					s.err = err
					s.mu.Unlock()
				}
				return n, nil
			}
			if err == io.EOF {
				s.mu.Lock()
				s.err = err
				s.mu.Unlock()
				return 0, nil
			}
			if err != nil {
				return 0, err
			}
		}
	}
}
