package wasip2

import (
	"context"
	"errors"
	"io"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/wasmhive/wasmhive/internal/atfile"
)

// maxChunk bounds what one read or write-zeroes moves, so that a guest's
// length (a u64) never sizes a host allocation: reads may return less than
// asked, as the specification allows.
const maxChunk = 1 << 20

// writeBudget is what check-write permits: output streams never block, so
// this is only how much one write should carry.
const writeBudget = 1 << 20

// inputStream is a wasi:io/streams input-stream: stdin, a host reader
// (State.PushInputStream; closer, when not nil, closes it when the stream
// is dropped), or a file read from an offset (read-via-stream).
type inputStream struct {
	stdin  *stdinStream
	closer io.Closer

	mu   sync.Mutex
	file *descriptor
	off  uint64
}

// outputStream is a wasi:io/streams output-stream: stdout or stderr, a
// host StreamWriter (State.PushOutputStream), or a file written at an
// offset (write-via-stream) or appended to (append-via-stream).
type outputStream struct {
	mu     sync.Mutex
	w      io.Writer
	sw     StreamWriter
	file   *descriptor
	off    uint64
	append bool
}

// getStdin returns a new input-stream of stdin.
func (s *State) getStdin() (uint32, error) { return s.push(&inputStream{stdin: s.stdin}) }

// getStdout returns a new output-stream of stdout.
func (s *State) getStdout() (uint32, error) { return s.push(&outputStream{w: s.stdout}) }

// getStderr returns a new output-stream of stderr.
func (s *State) getStderr() (uint32, error) { return s.push(&outputStream{w: s.stderr}) }

func (s *State) inputStream(rep uint32) (*inputStream, error) {
	in, ok := lookup[*inputStream](s, rep)
	if !ok {
		return nil, errNoResource("input-stream", rep)
	}
	return in, nil
}

func (s *State) outputStream(rep uint32) (*outputStream, error) {
	out, ok := lookup[*outputStream](s, rep)
	if !ok {
		return nil, errNoResource("output-stream", rep)
	}
	return out, nil
}

// read reads up to n bytes. Without blocking, stdin returns what input is
// there (maybe nothing); a file never blocks. At the end of input the
// error is errStreamClosed; ctx ending stops a blocked read with ctx's
// error (which traps the call).
func (in *inputStream) read(ctx context.Context, n uint64, blocking bool) ([]byte, error) {
	n = min(n, maxChunk)
	if in.stdin != nil {
		if blocking {
			return in.stdin.read(ctx, int(n))
		}
		b, err := in.stdin.take(int(n))
		if b == nil && err == nil {
			b = []byte{}
		}
		return b, err
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if n == 0 {
		return []byte{}, nil
	}
	if in.off > 1<<63-1 {
		return nil, errStreamClosed
	}
	buf := make([]byte, n)
	k, err := in.file.file.ReadAt(buf, int64(in.off))
	in.off += uint64(k)
	if k > 0 {
		return buf[:k], nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return nil, errStreamClosed
	}
	return nil, &StreamError{Err: codeOf(err)}
}

// skip is read without the data: it returns how many bytes were skipped.
func (in *inputStream) skip(ctx context.Context, n uint64, blocking bool) (uint64, error) {
	if in.stdin == nil {
		in.mu.Lock()
		defer in.mu.Unlock()
		fi, err := in.file.file.Stat()
		if err != nil {
			return 0, &StreamError{Err: codeOf(err)}
		}
		size := uint64(max(fi.Size(), 0))
		if in.off >= size {
			if n == 0 {
				return 0, nil
			}
			return 0, errStreamClosed
		}
		k := min(n, size-in.off)
		in.off += k
		return k, nil
	}
	b, err := in.read(ctx, n, blocking)
	return uint64(len(b)), err
}

// pollable returns what subscribe gives: ready when a read would not block.
func (in *inputStream) pollable() *pollable {
	if in.stdin != nil {
		return &pollable{stdin: in.stdin}
	}
	return &pollable{}
}

// checkWrite returns how many bytes the stream takes now.
func (out *outputStream) checkWrite() (uint64, error) { return writeBudget, nil }

// write writes all of b (output streams never block, so write, blocking
// write and flush are one thing).
func (out *outputStream) write(b []byte) error {
	out.mu.Lock()
	defer out.mu.Unlock()
	if out.sw != nil {
		return hostWriteError(out.sw.Write(b))
	}
	if out.file == nil {
		if len(b) == 0 {
			return nil
		}
		if _, err := out.w.Write(b); err != nil {
			return &StreamError{Err: err}
		}
		return nil
	}
	if out.append {
		if _, err := appendFile(out.file.file, b); err != nil {
			return &StreamError{Err: codeOf(err)}
		}
		return nil
	}
	if out.off > 1<<63-1 {
		return &StreamError{Err: ErrFileTooLarge}
	}
	n, err := atfile.Pwrite(out.file.file, b, int64(out.off))
	out.off += uint64(n)
	if err != nil {
		return &StreamError{Err: codeOf(err)}
	}
	return nil
}

// flush flushes a host StreamWriter; the other streams have nothing to
// flush.
func (out *outputStream) flush() error {
	if out.sw == nil {
		return nil
	}
	out.mu.Lock()
	defer out.mu.Unlock()
	return hostWriteError(0, out.sw.Flush())
}

// writeZeroes writes n zero bytes; more than check-write permits is an
// error that traps (the specification: the caller must respect the permit).
func (out *outputStream) writeZeroes(n uint64) error {
	if n > writeBudget {
		return errors.New("wasip2: write-zeroes of more bytes than check-write permits")
	}
	return out.write(make([]byte, n))
}

// splice moves up to n bytes from in to out and returns how many.
func (out *outputStream) splice(ctx context.Context, in *inputStream, n uint64, blocking bool) (uint64, error) {
	b, err := in.read(ctx, min(n, writeBudget), blocking)
	if err != nil {
		return 0, err
	}
	if err := out.write(b); err != nil {
		return 0, err
	}
	return uint64(len(b)), nil
}

// pollable is a wasi:io/poll pollable: a clock deadline, a reader
// stream's input, a host condition (State.PushPollable), or (for
// everything that never blocks) always ready.
type pollable struct {
	deadline time.Time // a clock's, when not zero
	stdin    *stdinStream
	fn       func() (bool, <-chan struct{})
}

// ready reports whether p is ready, and otherwise what to wait on.
func (p *pollable) ready(now time.Time) (ok bool, ch <-chan struct{}, deadline time.Time) {
	switch {
	case !p.deadline.IsZero():
		return !now.Before(p.deadline), nil, p.deadline
	case p.stdin != nil:
		ok, ch := p.stdin.ready()
		return ok, ch, time.Time{}
	case p.fn != nil:
		ok, ch := p.fn()
		return ok, ch, time.Time{}
	}
	return true, nil, time.Time{}
}

// poll waits until at least one of ps is ready and returns the indices of
// the ready ones; ctx ending stops the wait with ctx's error.
func poll(ctx context.Context, ps []*pollable) ([]uint32, error) {
	if len(ps) == 0 {
		return nil, errors.New("wasip2: poll of an empty list")
	}
	for {
		var ready []uint32
		var chans []<-chan struct{}
		var next time.Time
		now := time.Now()
		for i, p := range ps {
			ok, ch, dl := p.ready(now)
			switch {
			case ok:
				ready = append(ready, uint32(i))
			case ch != nil:
				chans = append(chans, ch)
			case !dl.IsZero() && (next.IsZero() || dl.Before(next)):
				next = dl
			}
		}
		if len(ready) > 0 {
			return ready, nil
		}
		if err := wait(ctx, chans, next); err != nil {
			return nil, err
		}
	}
}

// wait returns when one of chans is closed, at deadline (unless zero), or
// with ctx's error when ctx ends first.
func wait(ctx context.Context, chans []<-chan struct{}, deadline time.Time) error {
	var timer <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		timer = t.C
	}
	chans = uniqueChans(chans)
	if len(chans) <= 1 {
		var ch <-chan struct{}
		if len(chans) == 1 {
			ch = chans[0]
		}
		select {
		case <-ch:
		case <-timer:
		case <-ctx.Done():
			return ctx.Err()
		}
		return nil
	}
	cases := make([]reflect.SelectCase, 0, len(chans)+2)
	cases = append(cases,
		reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())},
		reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(timer)})
	for _, ch := range chans {
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ch)})
	}
	if i, _, _ := reflect.Select(cases); i == 0 {
		return ctx.Err()
	}
	return nil
}

// uniqueChans drops repeated channels (the pollables of one stream share
// one).
func uniqueChans(chans []<-chan struct{}) []<-chan struct{} {
	out := chans[:0:0]
	for _, ch := range chans {
		if !slices.Contains(out, ch) {
			out = append(out, ch)
		}
	}
	return out
}

// block waits until p is ready.
func (p *pollable) block(ctx context.Context) error {
	_, err := poll(ctx, []*pollable{p})
	return err
}

// subscribeInstant returns a pollable ready when the monotonic clock
// reaches when.
func (s *State) subscribeInstant(when uint64) *pollable {
	return &pollable{deadline: s.epoch.Add(time.Duration(min(when, 1<<62)))}
}

// subscribeDuration returns a pollable ready d nanoseconds from now.
func (s *State) subscribeDuration(d uint64) *pollable {
	return &pollable{deadline: time.Now().Add(time.Duration(min(d, 1<<62)))}
}

// monotonicNow is the monotonic clock: nanoseconds since the instance
// started.
func (s *State) monotonicNow() uint64 { return uint64(time.Since(s.epoch)) }
