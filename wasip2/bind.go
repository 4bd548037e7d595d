package wasip2

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"time"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/engine"
)

// Version is the WASI version Define registers its interfaces at; the
// linker matches imports of every compatible 0.2.x version.
const Version = "0.2.4"

// stateKey attaches each component instance's State.
var stateKey = engine.NewKey[*State]("wasip2")

// StateOf returns the WASI state of an instance, when Define's hook made
// one.
func StateOf(inst *linker.Instance) (*State, bool) { return stateKey.In(inst.Config()) }

// hostFn is a host function given the calling instance's State.
type hostFn func(ctx context.Context, s *State, args []canonical.Value) (canonical.Value, error)

// registrar is where definitions go: a Linker, or a test's table.
type registrar interface {
	fn(iface, name string, f linker.HostFunc)
	resource(iface, name string, drop linker.DropFunc)
}

// linkerRegistrar defines on a Linker.
type linkerRegistrar struct{ l *linker.Linker }

func (r linkerRegistrar) fn(iface, name string, f linker.HostFunc) {
	r.l.Instance(iface).Func(name, f)
}

func (r linkerRegistrar) resource(iface, name string, drop linker.DropFunc) {
	r.l.Instance(iface).Resource(name, drop)
}

// binder registers the functions and resources of one interface.
type binder struct {
	reg   registrar
	iface string
}

func (b binder) fn(name string, f hostFn) {
	b.reg.fn(b.iface, name, func(ctx context.Context, inst *linker.Instance, args []canonical.Value) (canonical.Value, error) {
		s, ok := stateKey.In(inst.Config())
		if !ok {
			return nil, errors.New("wasip2: the instance has no WASI state (wasip2.Define's hook did not run)")
		}
		return f(ctx, s, args)
	})
}

// resource registers resource name whose values have Go type T.
func resource[T any](b binder, name string) {
	b.reg.resource(b.iface, name, func(ctx context.Context, inst *linker.Instance, rep uint32) error {
		s, ok := stateKey.In(inst.Config())
		if !ok {
			return nil
		}
		return dropResource[T](s, name, rep)
	})
}

func iface(reg registrar, name string) binder {
	return binder{reg, name + "@" + Version}
}

// Define registers WASI 0.2 on l: wasi:cli, wasi:io, wasi:clocks,
// wasi:random, wasi:filesystem and wasi:sockets (whose every operation is
// denied), and a hook that gives every instance its State from its
// engine.InstanceConfig (arguments, environment, stdio, preopens), closed
// with the instance.
func Define(l *linker.Linker) {
	l.OnInstantiate(func(ctx context.Context, inst *linker.Instance) (func(), error) {
		s, err := NewState(inst.Config())
		if err != nil {
			return nil, err
		}
		stateKey.Set(inst.Config(), s)
		return func() { s.Close() }, nil
	})
	define(linkerRegistrar{l})
}

func define(reg registrar) {
	defineCLI(reg)
	defineIO(reg)
	defineClocks(reg)
	defineRandom(reg)
	defineFilesystem(reg)
	defineSockets(reg)
}

// ---- argument and result helpers ----

func arg[T any](args []canonical.Value, i int) (T, error) {
	var zero T
	if i >= len(args) {
		return zero, fmt.Errorf("wasip2: missing argument %d", i)
	}
	v, ok := args[i].(T)
	if !ok {
		return zero, fmt.Errorf("wasip2: argument %d is %T, not %T", i, args[i], zero)
	}
	return v, nil
}

// handle returns the representation of a resource argument (borrowed or
// owned).
func handle(args []canonical.Value, i int) (uint32, error) {
	if i >= len(args) {
		return 0, fmt.Errorf("wasip2: missing argument %d", i)
	}
	switch h := args[i].(type) {
	case canonical.Borrow:
		return h.Rep, nil
	case canonical.Own:
		return h.Rep, nil
	}
	return 0, fmt.Errorf("wasip2: argument %d is %T, not a resource handle", i, args[i])
}

func flagsArg(args []canonical.Value, i int) (uint32, error) {
	f, err := arg[canonical.Flags](args, i)
	return uint32(f), err
}

// fsResult makes a result<T, error-code>: an ErrorCode is the error case;
// any other error traps.
func fsResult(v canonical.Value, err error) (canonical.Value, error) {
	if err == nil {
		return canonical.OK(v), nil
	}
	if c, ok := err.(ErrorCode); ok {
		return canonical.Err(canonical.Enum(c)), nil
	}
	return nil, err
}

// streamResult makes a result<T, stream-error>: closed, or
// last-operation-failed with a new error resource; any other error traps.
func streamResult(s *State, v canonical.Value, err error) (canonical.Value, error) {
	if err == nil {
		return canonical.OK(v), nil
	}
	if err == errStreamClosed {
		return canonical.Err(canonical.Variant{Case: 1}), nil
	}
	var se *StreamError
	if errors.As(err, &se) {
		rep, perr := s.push(&ioError{err: se.Err})
		if perr != nil {
			return nil, perr
		}
		return canonical.Err(canonical.Variant{Case: 0, Value: canonical.Own{Rep: rep}}), nil
	}
	return nil, err
}

func datetime(t time.Time) canonical.Record {
	ns := t.UnixNano()
	if ns < 0 {
		return canonical.Record{uint64(0), uint32(0)}
	}
	return canonical.Record{uint64(ns / 1e9), uint32(ns % 1e9)}
}

func optDatetime(t *time.Time) canonical.Option {
	if t == nil {
		return canonical.None
	}
	return canonical.Some(datetime(*t))
}

func statValue(st DescriptorStat) canonical.Record {
	return canonical.Record{canonical.Enum(st.Type), st.LinkCount, st.Size,
		optDatetime(st.Atime), optDatetime(st.Mtime), optDatetime(st.Ctime)}
}

// newTimestamp decodes a new-timestamp argument.
func newTimestamp(args []canonical.Value, i int) (NewTimestamp, error) {
	v, err := arg[canonical.Variant](args, i)
	if err != nil {
		return NewTimestamp{}, err
	}
	switch v.Case {
	case 0:
		return NewTimestamp{NoChange: true}, nil
	case 1:
		return NewTimestamp{Now: true}, nil
	case 2:
		r, ok := v.Value.(canonical.Record)
		if ok && len(r) == 2 {
			sec, ok1 := r[0].(uint64)
			ns, ok2 := r[1].(uint32)
			if ok1 && ok2 {
				if ns >= 1e9 || sec > 1<<62/1_000_000_000 {
					return NewTimestamp{}, ErrInvalid
				}
				return NewTimestamp{Time: time.Unix(int64(sec), int64(ns))}, nil
			}
		}
	}
	return NewTimestamp{}, fmt.Errorf("wasip2: argument %d is not a new-timestamp: %v", i, v)
}

// ---- wasi:cli ----

func defineCLI(l registrar) {
	env := iface(l, "wasi:cli/environment")
	env.fn("get-environment", func(_ context.Context, s *State, _ []canonical.Value) (canonical.Value, error) {
		list := canonical.List{}
		for _, kv := range s.environment() {
			list = append(list, canonical.Tuple{kv[0], kv[1]})
		}
		return list, nil
	})
	env.fn("get-arguments", func(_ context.Context, s *State, _ []canonical.Value) (canonical.Value, error) {
		list := canonical.List{}
		for _, a := range s.arguments() {
			list = append(list, a)
		}
		return list, nil
	})
	env.fn("initial-cwd", func(context.Context, *State, []canonical.Value) (canonical.Value, error) {
		return canonical.None, nil
	})

	exit := iface(l, "wasi:cli/exit")
	exit.fn("exit", func(_ context.Context, _ *State, args []canonical.Value) (canonical.Value, error) {
		r, err := arg[canonical.Result](args, 0)
		if err != nil {
			return nil, err
		}
		code := uint32(0)
		if r.Err {
			code = 1
		}
		return nil, &engine.ExitError{Code: code}
	})
	exit.fn("exit-with-code", func(_ context.Context, _ *State, args []canonical.Value) (canonical.Value, error) {
		c, err := arg[uint8](args, 0)
		if err != nil {
			return nil, err
		}
		return nil, &engine.ExitError{Code: uint32(c)}
	})

	for _, std := range []struct {
		iface, fn string
		get       func(*State) (uint32, error)
	}{
		{"wasi:cli/stdin", "get-stdin", (*State).getStdin},
		{"wasi:cli/stdout", "get-stdout", (*State).getStdout},
		{"wasi:cli/stderr", "get-stderr", (*State).getStderr},
	} {
		get := std.get
		iface(l, std.iface).fn(std.fn, func(_ context.Context, s *State, _ []canonical.Value) (canonical.Value, error) {
			rep, err := get(s)
			if err != nil {
				return nil, err
			}
			return canonical.Own{Rep: rep}, nil
		})
	}

	// The host is no terminal: no terminal handle is ever given out.
	resource[*terminal](iface(l, "wasi:cli/terminal-input"), "terminal-input")
	resource[*terminal](iface(l, "wasi:cli/terminal-output"), "terminal-output")
	for _, t := range []struct{ iface, fn string }{
		{"wasi:cli/terminal-stdin", "get-terminal-stdin"},
		{"wasi:cli/terminal-stdout", "get-terminal-stdout"},
		{"wasi:cli/terminal-stderr", "get-terminal-stderr"},
	} {
		iface(l, t.iface).fn(t.fn, func(context.Context, *State, []canonical.Value) (canonical.Value, error) {
			return canonical.None, nil
		})
	}
}

// terminal is a terminal-input or terminal-output (never made).
type terminal struct{}

// ---- wasi:io ----

func defineIO(l registrar) {
	ioerr := iface(l, "wasi:io/error")
	resource[*ioError](ioerr, "error")
	ioerr.fn("[method]error.to-debug-string", func(_ context.Context, s *State, args []canonical.Value) (canonical.Value, error) {
		rep, err := handle(args, 0)
		if err != nil {
			return nil, err
		}
		e, ok := lookup[*ioError](s, rep)
		if !ok {
			return nil, errNoResource("error", rep)
		}
		return e.debugString(), nil
	})

	p := iface(l, "wasi:io/poll")
	resource[*pollable](p, "pollable")
	p.fn("[method]pollable.ready", func(_ context.Context, s *State, args []canonical.Value) (canonical.Value, error) {
		pl, err := pollableArg(s, args, 0)
		if err != nil {
			return nil, err
		}
		ok, _, _ := pl.ready(time.Now())
		return ok, nil
	})
	p.fn("[method]pollable.block", func(ctx context.Context, s *State, args []canonical.Value) (canonical.Value, error) {
		pl, err := pollableArg(s, args, 0)
		if err != nil {
			return nil, err
		}
		return nil, pl.block(ctx)
	})
	p.fn("poll", func(ctx context.Context, s *State, args []canonical.Value) (canonical.Value, error) {
		list, err := arg[canonical.List](args, 0)
		if err != nil {
			return nil, err
		}
		ps := make([]*pollable, len(list))
		for i := range list {
			if ps[i], err = pollableArg(s, list, i); err != nil {
				return nil, err
			}
		}
		ready, err := poll(ctx, ps)
		if err != nil {
			return nil, err
		}
		out := make(canonical.List, len(ready))
		for i, r := range ready {
			out[i] = r
		}
		return out, nil
	})

	st := iface(l, "wasi:io/streams")
	resource[*inputStream](st, "input-stream")
	resource[*outputStream](st, "output-stream")
	in := func(name string, f func(ctx context.Context, s *State, in *inputStream, args []canonical.Value) (canonical.Value, error)) {
		st.fn("[method]input-stream."+name, func(ctx context.Context, s *State, args []canonical.Value) (canonical.Value, error) {
			rep, err := handle(args, 0)
			if err != nil {
				return nil, err
			}
			is, err := s.inputStream(rep)
			if err != nil {
				return nil, err
			}
			return f(ctx, s, is, args)
		})
	}
	for _, blocking := range []bool{false, true} {
		prefix := ""
		if blocking {
			prefix = "blocking-"
		}
		in(prefix+"read", func(ctx context.Context, s *State, is *inputStream, args []canonical.Value) (canonical.Value, error) {
			n, err := arg[uint64](args, 1)
			if err != nil {
				return nil, err
			}
			b, err := is.read(ctx, n, blocking)
			return streamResult(s, b, err)
		})
		in(prefix+"skip", func(ctx context.Context, s *State, is *inputStream, args []canonical.Value) (canonical.Value, error) {
			n, err := arg[uint64](args, 1)
			if err != nil {
				return nil, err
			}
			k, err := is.skip(ctx, n, blocking)
			return streamResult(s, k, err)
		})
	}
	in("subscribe", func(_ context.Context, s *State, is *inputStream, _ []canonical.Value) (canonical.Value, error) {
		return pushOwn(s, is.pollable())
	})

	out := func(name string, f func(ctx context.Context, s *State, out *outputStream, args []canonical.Value) (canonical.Value, error)) {
		st.fn("[method]output-stream."+name, func(ctx context.Context, s *State, args []canonical.Value) (canonical.Value, error) {
			rep, err := handle(args, 0)
			if err != nil {
				return nil, err
			}
			os, err := s.outputStream(rep)
			if err != nil {
				return nil, err
			}
			return f(ctx, s, os, args)
		})
	}
	out("check-write", func(_ context.Context, s *State, os *outputStream, _ []canonical.Value) (canonical.Value, error) {
		n, err := os.checkWrite()
		return streamResult(s, n, err)
	})
	write := func(_ context.Context, s *State, os *outputStream, args []canonical.Value) (canonical.Value, error) {
		b, err := arg[[]byte](args, 1)
		if err != nil {
			return nil, err
		}
		return streamResult(s, nil, os.write(b))
	}
	out("write", write)
	out("blocking-write-and-flush", func(ctx context.Context, s *State, os *outputStream, args []canonical.Value) (canonical.Value, error) {
		v, err := write(ctx, s, os, args)
		if err != nil || v.(canonical.Result).Err {
			return v, err
		}
		return streamResult(s, nil, os.flush())
	})
	flush := func(_ context.Context, s *State, os *outputStream, _ []canonical.Value) (canonical.Value, error) {
		return streamResult(s, nil, os.flush())
	}
	out("flush", flush)
	out("blocking-flush", flush)
	out("subscribe", func(_ context.Context, s *State, _ *outputStream, _ []canonical.Value) (canonical.Value, error) {
		return pushOwn(s, &pollable{})
	})
	zeroes := func(_ context.Context, s *State, os *outputStream, args []canonical.Value) (canonical.Value, error) {
		n, err := arg[uint64](args, 1)
		if err != nil {
			return nil, err
		}
		return streamResult(s, nil, os.writeZeroes(n))
	}
	out("write-zeroes", zeroes)
	out("blocking-write-zeroes-and-flush", zeroes)
	for _, blocking := range []bool{false, true} {
		name := "splice"
		if blocking {
			name = "blocking-splice"
		}
		out(name, func(ctx context.Context, s *State, os *outputStream, args []canonical.Value) (canonical.Value, error) {
			src, err := handle(args, 1)
			if err != nil {
				return nil, err
			}
			is, err := s.inputStream(src)
			if err != nil {
				return nil, err
			}
			n, err := arg[uint64](args, 2)
			if err != nil {
				return nil, err
			}
			k, err := os.splice(ctx, is, n, blocking)
			return streamResult(s, k, err)
		})
	}
}

func pollableArg(s *State, args []canonical.Value, i int) (*pollable, error) {
	rep, err := handle(args, i)
	if err != nil {
		return nil, err
	}
	p, ok := lookup[*pollable](s, rep)
	if !ok {
		return nil, errNoResource("pollable", rep)
	}
	return p, nil
}

// pushOwn adds r to the table and returns an owned handle to it.
func pushOwn(s *State, r any) (canonical.Value, error) {
	rep, err := s.push(r)
	if err != nil {
		return nil, err
	}
	return canonical.Own{Rep: rep}, nil
}

// ---- wasi:clocks ----

func defineClocks(l registrar) {
	mono := iface(l, "wasi:clocks/monotonic-clock")
	mono.fn("now", func(_ context.Context, s *State, _ []canonical.Value) (canonical.Value, error) {
		return s.monotonicNow(), nil
	})
	mono.fn("resolution", func(context.Context, *State, []canonical.Value) (canonical.Value, error) {
		return uint64(1), nil
	})
	mono.fn("subscribe-instant", func(_ context.Context, s *State, args []canonical.Value) (canonical.Value, error) {
		when, err := arg[uint64](args, 0)
		if err != nil {
			return nil, err
		}
		return pushOwn(s, s.subscribeInstant(when))
	})
	mono.fn("subscribe-duration", func(_ context.Context, s *State, args []canonical.Value) (canonical.Value, error) {
		d, err := arg[uint64](args, 0)
		if err != nil {
			return nil, err
		}
		return pushOwn(s, s.subscribeDuration(d))
	})

	wall := iface(l, "wasi:clocks/wall-clock")
	wall.fn("now", func(context.Context, *State, []canonical.Value) (canonical.Value, error) {
		return datetime(time.Now()), nil
	})
	wall.fn("resolution", func(context.Context, *State, []canonical.Value) (canonical.Value, error) {
		return canonical.Record{uint64(0), uint32(1)}, nil
	})
}

// ---- wasi:random ----

// maxRandom bounds one get-random-bytes: a larger request traps rather
// than sizing a host allocation by a guest's u64.
const maxRandom = 64 << 20

func randomBytes(args []canonical.Value, fill func([]byte)) (canonical.Value, error) {
	n, err := arg[uint64](args, 0)
	if err != nil {
		return nil, err
	}
	if n > maxRandom {
		return nil, fmt.Errorf("wasip2: %d random bytes asked, more than the %d one call gives", n, maxRandom)
	}
	b := make([]byte, n)
	fill(b)
	return b, nil
}

func defineRandom(l registrar) {
	r := iface(l, "wasi:random/random")
	r.fn("get-random-bytes", func(_ context.Context, _ *State, args []canonical.Value) (canonical.Value, error) {
		return randomBytes(args, func(b []byte) { crand.Read(b) })
	})
	r.fn("get-random-u64", func(context.Context, *State, []canonical.Value) (canonical.Value, error) {
		var b [8]byte
		crand.Read(b[:])
		return leU64(b[:]), nil
	})
	in := iface(l, "wasi:random/insecure")
	in.fn("get-insecure-random-bytes", func(_ context.Context, _ *State, args []canonical.Value) (canonical.Value, error) {
		return randomBytes(args, func(b []byte) {
			for i := range b {
				b[i] = byte(mrand.Uint32())
			}
		})
	})
	in.fn("get-insecure-random-u64", func(context.Context, *State, []canonical.Value) (canonical.Value, error) {
		return mrand.Uint64(), nil
	})
	iface(l, "wasi:random/insecure-seed").fn("insecure-seed", func(_ context.Context, s *State, _ []canonical.Value) (canonical.Value, error) {
		return canonical.Tuple{s.seed[0], s.seed[1]}, nil
	})
}

func leU64(b []byte) uint64 {
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}
