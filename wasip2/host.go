package wasip2

import (
	"errors"
	"io"
)

// This file is the State's API for other host packages (wasi:http, say):
// they make wasi:io streams and pollables in an instance's table and hand
// the guest their numbers as canonical.Own handles of the wasi:io
// resource types, which wasip2's functions then serve and drop.

// ErrStreamClosed is what a StreamWriter returns when its output takes no
// more: the guest sees stream-error closed. Any other error a StreamWriter
// returns is last-operation-failed, with a wasi:io/error holding it (see
// State.IOError).
var ErrStreamClosed = errStreamClosed

// StreamWriter is the destination of an output-stream made by
// PushOutputStream. write and blocking-write-and-flush call Write (with
// all the bytes; the stream never blocks, so check-write always permits
// 1 MiB, subscribe is always ready), flush and blocking-flush call Flush.
// When the StreamWriter is also an io.Closer, Close runs when the guest
// drops the stream (or the instance closes).
type StreamWriter interface {
	io.Writer
	Flush() error
}

// PushInputStream adds an input-stream that reads r, as stdin is read:
// one background Read at a time fills a buffer, read returns what is
// there (maybe nothing), blocking-read waits for some, its pollable is
// ready when input or its end is there, and a blocked call stops when the
// call's context ends. io.EOF is the end of the stream (stream-error
// closed); another error is last-operation-failed. When r is an
// io.Closer, Close runs when the guest drops the stream (a background
// Read may still be running then). It returns the stream's
// representation, for a canonical.Own of wasi:io/streams' input-stream.
func (s *State) PushInputStream(r io.Reader) (rep uint32, err error) {
	if r == nil {
		return 0, errors.New("wasip2: nil reader")
	}
	in := &inputStream{stdin: newStdinStream(r)}
	if c, ok := r.(io.Closer); ok {
		in.closer = c
	}
	return s.push(in)
}

// PushOutputStream adds an output-stream that writes to w (see
// StreamWriter) and returns its representation, for a canonical.Own of
// wasi:io/streams' output-stream.
func (s *State) PushOutputStream(w StreamWriter) (rep uint32, err error) {
	if w == nil {
		return 0, errors.New("wasip2: nil stream writer")
	}
	return s.push(&outputStream{sw: w})
}

// PushPollable adds a pollable whose readiness ready says: true when it
// is ready; otherwise a channel that is closed (or receives) when it may
// have become ready, after which ready is asked again (nil: ask again
// only when another pollable of the same poll wakes it). ready must not
// block. It returns the pollable's representation, for a canonical.Own of
// wasi:io/poll's pollable.
func (s *State) PushPollable(ready func() (bool, <-chan struct{})) (rep uint32, err error) {
	if ready == nil {
		return 0, errors.New("wasip2: nil ready function")
	}
	return s.push(&pollable{fn: ready})
}

// IOError returns the error that wasi:io/error resource rep holds: for a
// stream made by PushOutputStream or PushInputStream, the error its
// StreamWriter or reader returned.
func (s *State) IOError(rep uint32) (error, bool) {
	e, ok := lookup[*ioError](s, rep)
	if !ok {
		return nil, false
	}
	return e.err, true
}

// PushIOError adds a wasi:io/error resource holding err and returns its
// representation, for a canonical.Own of wasi:io/error's error.
func (s *State) PushIOError(err error) (rep uint32, _ error) {
	if err == nil {
		return 0, errors.New("wasip2: nil error")
	}
	return s.push(&ioError{err: err})
}

// NumResources is how many resources (streams, pollables, errors,
// descriptors...) the instance's table holds.
func (s *State) NumResources() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.table)
}

// hostWriteError maps what a StreamWriter returned to a stream error.
func hostWriteError(_ int, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errStreamClosed):
		return errStreamClosed
	}
	return &StreamError{Err: err}
}
