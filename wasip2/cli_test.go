package wasip2

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/engine"
)

const (
	inS   = streams + "[method]input-stream."
	outS  = streams + "[method]output-stream."
	pollI = "wasi:io/poll#"
)

func TestEnvironment(t *testing.T) {
	e := newEnv(t, engine.InstanceConfig{Args: []string{"prog", "a b"}, Env: []string{"A=1", "B=x=y", "EMPTY"}})
	if got := e.call("wasi:cli/environment#get-arguments"); !slices.Equal(got.(canonical.List), canonical.List{"prog", "a b"}) {
		t.Fatalf("arguments %v", got)
	}
	want := canonical.List{canonical.Tuple{"A", "1"}, canonical.Tuple{"B", "x=y"}, canonical.Tuple{"EMPTY", ""}}
	got := e.call("wasi:cli/environment#get-environment").(canonical.List)
	if len(got) != len(want) {
		t.Fatalf("environment %v", got)
	}
	for i := range want {
		if !slices.Equal(got[i].(canonical.Tuple), want[i].(canonical.Tuple)) {
			t.Fatalf("environment %v, want %v", got, want)
		}
	}
	if got := e.call("wasi:cli/environment#initial-cwd"); got != canonical.None {
		t.Fatalf("initial-cwd %v", got)
	}
	for _, name := range []string{"stdin", "stdout", "stderr"} {
		if got := e.call("wasi:cli/terminal-" + name + "#get-terminal-" + name); got != canonical.None {
			t.Fatalf("terminal %s: %v", name, got)
		}
	}
}

func TestExit(t *testing.T) {
	e := newEnv(t, engine.InstanceConfig{})
	if _, err := e.callCtx(t.Context(), "wasi:cli/exit#exit", canonical.OK(nil)); !isExit(err, 0) {
		t.Fatalf("exit(ok): %v", err)
	}
	if _, err := e.callCtx(t.Context(), "wasi:cli/exit#exit", canonical.Err(nil)); !isExit(err, 1) {
		t.Fatalf("exit(err): %v", err)
	}
	if _, err := e.callCtx(t.Context(), "wasi:cli/exit#exit-with-code", uint8(42)); !isExit(err, 42) {
		t.Fatalf("exit-with-code(42): %v", err)
	}
}

func TestStdout(t *testing.T) {
	var out, errOut bytes.Buffer
	e := newEnv(t, engine.InstanceConfig{Stdout: &out, Stderr: &errOut})
	o := rep(e.call("wasi:cli/stdout#get-stdout"))
	if n := e.ok(e.call(outS+"check-write", b(o))).(uint64); n == 0 {
		t.Fatal("check-write permits nothing")
	}
	e.ok(e.call(outS+"write", b(o), []byte("hello ")))
	e.ok(e.call(outS+"blocking-write-and-flush", b(o), []byte("world\n")))
	e.ok(e.call(outS+"blocking-flush", b(o)))
	p := rep(e.call(outS+"subscribe", b(o)))
	if e.call(pollI+"[method]pollable.ready", b(p)) != true {
		t.Fatal("stdout is not ready")
	}
	e.ok(e.call(outS+"blocking-write-zeroes-and-flush", b(o), uint64(1)))
	if _, err := e.callCtx(t.Context(), outS+"write-zeroes", b(o), uint64(1)<<40); err == nil {
		t.Fatal("write-zeroes past check-write did not trap")
	}
	if out.String() != "hello world\n\x00" {
		t.Fatalf("stdout %q", out.String())
	}
	eo := rep(e.call("wasi:cli/stderr#get-stderr"))
	e.ok(e.call(outS+"write", b(eo), []byte("oops")))
	if errOut.String() != "oops" {
		t.Fatalf("stderr %q", errOut.String())
	}
	// splice stdin (empty) into stdout: closed.
	in := rep(e.call("wasi:cli/stdin#get-stdin"))
	if r := e.call(outS+"splice", b(o), b(in), uint64(10)).(canonical.Result); !r.Err || r.Value != (canonical.Variant{Case: 1}) {
		t.Fatalf("splice from empty stdin: %#v", r)
	}
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestStreamErrors(t *testing.T) {
	e := newEnv(t, engine.InstanceConfig{Stdout: failWriter{}})
	o := rep(e.call("wasi:cli/stdout#get-stdout"))
	r := e.call(outS+"write", b(o), []byte("x")).(canonical.Result)
	v, ok := r.Value.(canonical.Variant)
	if !r.Err || !ok || v.Case != 0 {
		t.Fatalf("failed write: %#v, want err(last-operation-failed)", r)
	}
	er := rep(v.Value)
	if s := e.call("wasi:io/error#[method]error.to-debug-string", b(er)); !strings.Contains(s.(string), "disk on fire") {
		t.Fatalf("debug string %q", s)
	}
	if c := e.call(fsT+"filesystem-error-code", b(er)); c != canonical.None {
		t.Fatalf("filesystem-error-code of a stdout error: %v", c)
	}
	if err := e.drop("wasi:io/error#error", er); err != nil {
		t.Fatal(err)
	}
	// A file stream's failure carries its error code.
	res, err := streamResult(e.s, nil, &StreamError{Err: ErrInsufficientSpace})
	if err != nil {
		t.Fatal(err)
	}
	er = rep(res.(canonical.Result).Value.(canonical.Variant).Value)
	if c := e.call(fsT+"filesystem-error-code", b(er)); c != canonical.Some(canonical.Enum(ErrInsufficientSpace)) {
		t.Fatalf("filesystem-error-code %v", c)
	}
	// Errors that are neither trap.
	if _, err := streamResult(e.s, nil, errors.New("boom")); err == nil {
		t.Fatal("a host error did not trap")
	}
	if _, err := fsResult(nil, errors.New("boom")); err == nil {
		t.Fatal("a host error did not trap")
	}
}

func TestStdin(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	e := newEnv(t, engine.InstanceConfig{Stdin: pr})
	in := rep(e.call("wasi:cli/stdin#get-stdin"))

	// Nothing there yet: read returns nothing, the pollable is not ready.
	if got := e.ok(e.call(inS+"read", b(in), uint64(10))).([]byte); len(got) != 0 {
		t.Fatalf("read before input: %q", got)
	}
	p := rep(e.call(inS+"subscribe", b(in)))
	if e.call(pollI+"[method]pollable.ready", b(p)) != false {
		t.Fatal("stdin ready before input")
	}

	// A blocked read and a blocked poll stop at their context's deadline.
	for _, call := range []func(ctx context.Context) error{
		func(ctx context.Context) error {
			_, err := e.callCtx(ctx, inS+"blocking-read", b(in), uint64(10))
			return err
		},
		func(ctx context.Context) error {
			_, err := e.callCtx(ctx, pollI+"poll", canonical.List{b(p)})
			return err
		},
		func(ctx context.Context) error {
			_, err := e.callCtx(ctx, pollI+"[method]pollable.block", b(p))
			return err
		},
	} {
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		start := time.Now()
		err := call(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
			t.Fatalf("blocked call: %v after %v", err, time.Since(start))
		}
	}

	// Input arrives: the poll wakes, the read gets it, nothing is lost.
	go pw.Write([]byte("line one\n"))
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if got, err := e.callCtx(ctx, pollI+"poll", canonical.List{b(p)}); err != nil || !slices.Equal(got.(canonical.List), canonical.List{uint32(0)}) {
		t.Fatalf("poll: %v, %v", got, err)
	}
	got := e.ok(e.call(inS+"blocking-read", b(in), uint64(4))).([]byte)
	rest := e.ok(e.call(inS+"read", b(in), uint64(100))).([]byte)
	if string(got)+string(rest) != "line one\n" {
		t.Fatalf("read %q then %q", got, rest)
	}
	go func() { pw.Write([]byte("abc")); pw.Close() }()
	if n := e.ok(e.call(inS+"blocking-skip", b(in), uint64(2))); n != uint64(2) {
		t.Fatalf("blocking-skip = %v", n)
	}
	if got := e.ok(e.call(inS+"blocking-read", b(in), uint64(10))).([]byte); string(got) != "c" {
		t.Fatalf("after skip: %q", got)
	}
	r := e.call(inS+"blocking-read", b(in), uint64(10)).(canonical.Result)
	if !r.Err || r.Value != (canonical.Variant{Case: 1}) {
		t.Fatalf("read at the end of stdin: %#v, want err(closed)", r)
	}
	if e.call(pollI+"[method]pollable.ready", b(p)) != true {
		t.Fatal("stdin at its end is not ready")
	}
}

func TestClocks(t *testing.T) {
	e := newEnv(t, engine.InstanceConfig{})
	const mono = "wasi:clocks/monotonic-clock#"
	t0 := e.call(mono + "now").(uint64)
	if e.call(mono+"resolution") != uint64(1) {
		t.Fatal("resolution")
	}
	soon := rep(e.call(mono+"subscribe-duration", uint64(20*time.Millisecond)))
	never := rep(e.call(mono+"subscribe-duration", uint64(1)<<63))
	past := rep(e.call(mono+"subscribe-instant", t0))
	if e.call(pollI+"[method]pollable.ready", b(past)) != true || e.call(pollI+"[method]pollable.ready", b(soon)) != false {
		t.Fatal("instant readiness")
	}
	start := time.Now()
	got := e.call(pollI+"poll", canonical.List{b(never), b(soon)})
	if !slices.Equal(got.(canonical.List), canonical.List{uint32(1)}) || time.Since(start) < 15*time.Millisecond {
		t.Fatalf("poll = %v after %v", got, time.Since(start))
	}
	if t1 := e.call(mono + "now").(uint64); t1-t0 < uint64(15*time.Millisecond) {
		t.Fatalf("monotonic clock moved %d ns", t1-t0)
	}
	later := rep(e.call(mono+"subscribe-instant", e.call(mono+"now").(uint64)+uint64(10*time.Millisecond)))
	e.call(pollI+"[method]pollable.block", b(later))
	if _, err := e.callCtx(t.Context(), pollI+"poll", canonical.List{}); err == nil {
		t.Fatal("poll of nothing did not trap")
	}
	for _, h := range []uint32{soon, never, past, later} {
		if err := e.drop(pollI+"pollable", h); err != nil {
			t.Fatal(err)
		}
	}
	now := e.call("wasi:clocks/wall-clock#now").(canonical.Record)
	if sec := int64(now[0].(uint64)); time.Since(time.Unix(sec, 0)).Abs() > time.Minute {
		t.Fatalf("wall clock %v", now)
	}
}

func TestRandom(t *testing.T) {
	e := newEnv(t, engine.InstanceConfig{})
	a := e.call("wasi:random/random#get-random-bytes", uint64(32)).([]byte)
	c := e.call("wasi:random/random#get-random-bytes", uint64(32)).([]byte)
	if len(a) != 32 || bytes.Equal(a, c) {
		t.Fatalf("random bytes %x %x", a, c)
	}
	if n := e.call("wasi:random/insecure#get-insecure-random-bytes", uint64(7)).([]byte); len(n) != 7 {
		t.Fatal("insecure bytes")
	}
	if _, err := e.callCtx(t.Context(), "wasi:random/random#get-random-bytes", uint64(1)<<40); err == nil {
		t.Fatal("a terabyte of random bytes did not trap")
	}
	e.call("wasi:random/random#get-random-u64")
	e.call("wasi:random/insecure#get-insecure-random-u64")
	s1 := e.call("wasi:random/insecure-seed#insecure-seed").(canonical.Tuple)
	s2 := e.call("wasi:random/insecure-seed#insecure-seed").(canonical.Tuple)
	if !slices.Equal(s1, s2) {
		t.Fatal("insecure-seed changed")
	}
}

func TestSocketsDenied(t *testing.T) {
	e := newEnv(t, engine.InstanceConfig{})
	nw := e.call("wasi:sockets/instance-network#instance-network")
	denied := canonical.Err(accessDenied)
	for _, call := range [][]canonical.Value{
		{"wasi:sockets/tcp-create-socket#create-tcp-socket", canonical.Enum(0)},
		{"wasi:sockets/udp-create-socket#create-udp-socket", canonical.Enum(1)},
		{"wasi:sockets/ip-name-lookup#resolve-addresses", canonical.Borrow{Rep: rep(nw)}, "example.com"},
		{"wasi:sockets/tcp#[method]tcp-socket.start-connect", canonical.Borrow{Rep: 99}, canonical.Borrow{Rep: rep(nw)}, canonical.Variant{}},
	} {
		if got := e.call(call[0].(string), call[1:]...); got != denied {
			t.Errorf("%s = %#v, want err(access-denied)", call[0], got)
		}
	}
	if _, err := e.callCtx(t.Context(), "wasi:sockets/tcp#[method]tcp-socket.subscribe", canonical.Borrow{Rep: 99}); err == nil {
		t.Error("subscribe on a socket that does not exist did not trap")
	}
	if err := e.drop("wasi:sockets/network#network", rep(nw)); err != nil {
		t.Fatal(err)
	}
}

func TestClose(t *testing.T) {
	dir := t.TempDir()
	e := fsEnv(t, engine.Preopen{HostPath: dir, GuestPath: "."})
	root := e.dirs()["."]
	f := e.open(root, "f", OpenCreate, FlagWrite)
	rep(e.ok(e.call(desc+"write-via-stream", b(f), uint64(0))))
	if err := e.s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.callCtx(t.Context(), "wasi:cli/stdout#get-stdout"); err == nil {
		t.Fatal("a closed state gave out a stream")
	}
	e.wantCode(ErrBadDescriptor, e.call(desc+"stat", b(f)))
}
