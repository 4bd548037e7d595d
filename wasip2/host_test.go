package wasip2

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/engine"
)

// closeReader records its Close.
type closeReader struct {
	io.Reader
	closed bool
}

func (r *closeReader) Close() error { r.closed = true; return nil }

// TestPushInputStream: a host reader reads as stdin does, ends with
// closed, and is closed when the stream is dropped.
func TestPushInputStream(t *testing.T) {
	e := newEnv(t, engine.InstanceConfig{})
	r := &closeReader{Reader: bytes.NewReader([]byte("hello host"))}
	in, err := e.s.PushInputStream(r)
	if err != nil {
		t.Fatal(err)
	}
	h := canonical.Borrow{Rep: in}
	got := e.ok(e.call("wasi:io/streams#[method]input-stream.blocking-read", h, uint64(5))).([]byte)
	rest := e.ok(e.call("wasi:io/streams#[method]input-stream.blocking-read", h, uint64(100))).([]byte)
	if string(got)+string(rest) != "hello host" {
		t.Fatalf("read %q %q", got, rest)
	}
	if v := e.call("wasi:io/streams#[method]input-stream.blocking-read", h, uint64(1)); v != canonical.Err(canonical.Variant{Case: 1}) {
		t.Fatalf("at the end: %v, want closed", v)
	}
	if err := e.drop("wasi:io/streams#input-stream", in); err != nil || !r.closed {
		t.Fatalf("drop: %v, closed %v", err, r.closed)
	}
	if n := e.s.NumResources(); n != 0 {
		t.Fatalf("%d resources left", n)
	}
}

// recWriter is a StreamWriter recording writes and flushes, failing
// writes after fail.
type recWriter struct {
	buf     bytes.Buffer
	flushes int
	fail    error
	closed  bool
}

func (w *recWriter) Write(p []byte) (int, error) {
	if w.fail != nil {
		return 0, w.fail
	}
	return w.buf.Write(p)
}
func (w *recWriter) Flush() error { w.flushes++; return nil }
func (w *recWriter) Close() error { w.closed = true; return nil }

// TestPushOutputStream: write, flush and blocking-write-and-flush reach
// the StreamWriter; its error is last-operation-failed holding it,
// ErrStreamClosed is closed.
func TestPushOutputStream(t *testing.T) {
	e := newEnv(t, engine.InstanceConfig{})
	w := &recWriter{}
	out, err := e.s.PushOutputStream(w)
	if err != nil {
		t.Fatal(err)
	}
	h := canonical.Borrow{Rep: out}
	e.ok(e.call("wasi:io/streams#[method]output-stream.write", h, []byte("ab")))
	e.ok(e.call("wasi:io/streams#[method]output-stream.flush", h))
	e.ok(e.call("wasi:io/streams#[method]output-stream.blocking-write-and-flush", h, []byte("cd")))
	if w.buf.String() != "abcd" || w.flushes != 2 {
		t.Fatalf("wrote %q, %d flushes", w.buf.String(), w.flushes)
	}
	boom := errors.New("boom")
	w.fail = boom
	v := e.call("wasi:io/streams#[method]output-stream.write", h, []byte("x")).(canonical.Result)
	sv, _ := v.Value.(canonical.Variant)
	if !v.Err || sv.Case != 0 {
		t.Fatalf("failed write: %v", v)
	}
	if got, ok := e.s.IOError(rep(sv.Value)); !ok || !errors.Is(got, boom) {
		t.Fatalf("IOError: %v %v", got, ok)
	}
	w.fail = ErrStreamClosed
	if v := e.call("wasi:io/streams#[method]output-stream.write", h, []byte("x")); v != canonical.Err(canonical.Variant{Case: 1}) {
		t.Fatalf("closed write: %v", v)
	}
	if err := e.drop("wasi:io/streams#output-stream", out); err != nil || !w.closed {
		t.Fatalf("drop: %v, closed %v", err, w.closed)
	}
}

// TestPushPollable: poll waits on the channels of several host pollables
// (and a clock) and returns the ready ones.
func TestPushPollable(t *testing.T) {
	e := newEnv(t, engine.InstanceConfig{})
	var mu sync.Mutex
	ready := map[int]bool{}
	chans := []chan struct{}{make(chan struct{}), make(chan struct{})}
	var reps []uint32
	for i := range chans {
		i := i
		r, err := e.s.PushPollable(func() (bool, <-chan struct{}) {
			mu.Lock()
			defer mu.Unlock()
			if ready[i] {
				return true, nil
			}
			return false, chans[i]
		})
		if err != nil {
			t.Fatal(err)
		}
		reps = append(reps, r)
	}
	clock := rep(e.call("wasi:clocks/monotonic-clock#subscribe-duration", uint64(time.Hour)))
	list := canonical.List{canonical.Borrow{Rep: reps[0]}, canonical.Borrow{Rep: clock}, canonical.Borrow{Rep: reps[1]}}
	go func() {
		time.Sleep(50 * time.Millisecond)
		mu.Lock()
		ready[1] = true
		mu.Unlock()
		close(chans[1]) // the second pollable's, not the first's
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := e.callCtx(ctx, "wasi:io/poll#poll", list)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.(canonical.List); len(got) != 1 || got[0] != uint32(2) {
		t.Fatalf("poll: %v, want [2]", got)
	}
	if e.call("wasi:io/poll#[method]pollable.ready", canonical.Borrow{Rep: reps[0]}) != false {
		t.Fatal("the first pollable is ready")
	}
	// A wait on a pollable that never gets ready ends with the context.
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := e.callCtx(ctx, "wasi:io/poll#[method]pollable.block", canonical.Borrow{Rep: reps[0]}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("block: %v", err)
	}
}
