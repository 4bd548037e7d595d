package wasip2

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/wasmhive/wasmhive/engine"
)

// State is the WASI 0.2 state of one component instance: its arguments and
// environment, its standard streams, its preopened directories and the
// table of the host resources (descriptors, streams, pollables, errors...)
// it holds handles to. A resource's representation (canonical.Own.Rep) is
// its number in the table. Methods are safe for concurrent use.
type State struct {
	args     []string
	env      [][2]string
	stdin    *stdinStream
	stdout   io.Writer
	stderr   io.Writer
	preopens []preopen
	epoch    time.Time // monotonic clock origin
	seed     [2]uint64 // insecure-seed

	mu     sync.Mutex
	table  map[uint32]any
	next   uint32
	closed bool
}

// preopen is one preopened directory, opened once; get-directories hands
// out descriptors of it.
type preopen struct {
	root      *os.Root
	guestPath string
	readOnly  bool
	private   bool
}

// maxHandles bounds an instance's table.
const maxHandles = 1 << 20

// NewState opens the preopened directories of cfg and returns the
// instance's state. It fails clearly when a preopen is missing or is not a
// directory. Close it when the instance goes away.
func NewState(cfg *engine.InstanceConfig) (*State, error) {
	s := &State{args: append([]string(nil), cfg.Args...), epoch: time.Now(), table: map[uint32]any{}, next: 1}
	for _, kv := range cfg.Env {
		k, v, _ := strings.Cut(kv, "=")
		s.env = append(s.env, [2]string{k, v})
	}
	s.stdin = newStdinStream(cfg.Stdin)
	s.stdout, s.stderr = orDiscard(cfg.Stdout), orDiscard(cfg.Stderr)
	var b [16]byte
	rand.Read(b[:])
	s.seed = [2]uint64{binary.LittleEndian.Uint64(b[:]), binary.LittleEndian.Uint64(b[8:])}
	for _, p := range cfg.Preopens {
		po, err := openPreopen(p)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.preopens = append(s.preopens, po)
	}
	return s, nil
}

func openPreopen(p engine.Preopen) (preopen, error) {
	if p.GuestPath == "" {
		return preopen{}, fmt.Errorf("preopen %s: empty guest path", p.HostPath)
	}
	fi, err := os.Stat(p.HostPath)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return preopen{}, fmt.Errorf("preopen %s: directory does not exist", p.HostPath)
		}
		return preopen{}, fmt.Errorf("preopen %s: %w", p.HostPath, err)
	}
	if !fi.IsDir() {
		return preopen{}, fmt.Errorf("preopen %s: not a directory", p.HostPath)
	}
	root, err := os.OpenRoot(p.HostPath)
	if err != nil {
		return preopen{}, fmt.Errorf("preopen %s: %w", p.HostPath, err)
	}
	return preopen{root: root, guestPath: p.GuestPath, readOnly: p.ReadOnly, private: p.Private}, nil
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// Close closes every resource the instance still holds and its
// preopens. It is safe to call more than once and on a nil State.
func (s *State) Close() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	t := s.table
	s.table = map[uint32]any{}
	s.closed = true
	pre := s.preopens
	s.preopens = nil
	s.mu.Unlock()
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	for _, r := range t {
		keep(release(r))
	}
	for _, p := range pre {
		keep(p.root.Close())
	}
	return first
}

// errClosedState is what a call on a closed State gets.
var errClosedState = errors.New("wasip2: instance closed")

// push adds r to the table and returns its representation.
func (s *State) push(r any) (uint32, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, errClosedState
	}
	if len(s.table) >= maxHandles {
		return 0, errors.New("wasip2: too many open resources")
	}
	for s.table[s.next] != nil || s.next == 0 {
		s.next++
	}
	rep := s.next
	s.next++
	s.table[rep] = r
	return rep, nil
}

// lookup returns resource rep when it is of type T.
func lookup[T any](s *State, rep uint32) (T, bool) {
	s.mu.Lock()
	r, ok := s.table[rep].(T)
	s.mu.Unlock()
	return r, ok
}

// drop removes resource rep when it is of type T, and reports whether it was.
func drop[T any](s *State, rep uint32) (T, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.table[rep].(T)
	if ok {
		delete(s.table, rep)
	}
	return r, ok
}

// errNoResource is the trap of a call given a handle that is not in the
// table (or of another type): the linker checks handles, so it means a
// host bug or a resource of another host.
func errNoResource(kind string, rep uint32) error {
	return fmt.Errorf("wasip2: no %s with handle %d", kind, rep)
}

// dropResource is the destructor of every resource type: it removes rep,
// closing what it holds.
func dropResource[T any](s *State, kind string, rep uint32) error {
	r, ok := drop[T](s, rep)
	if !ok {
		return errNoResource(kind, rep)
	}
	release(r)
	return nil
}

// release closes what resource r holds: a descriptor's host file, or a
// file stream's reference to its descriptor.
func release(r any) error {
	switch r := r.(type) {
	case *descriptor:
		return r.release()
	case *inputStream:
		if r.file != nil {
			return r.file.release()
		}
		if r.closer != nil {
			return r.closer.Close()
		}
	case *outputStream:
		if r.file != nil {
			return r.file.release()
		}
		if c, ok := r.sw.(io.Closer); ok {
			return c.Close()
		}
	}
	return nil
}

// ioError is a wasi:io/error resource: an error a stream operation
// returned.
type ioError struct {
	err error
}

func (e *ioError) debugString() string { return e.err.Error() }

// code returns the filesystem error code of a file stream's error.
func (e *ioError) code() (ErrorCode, bool) {
	var c ErrorCode
	if errors.As(e.err, &c) {
		return c, true
	}
	return 0, false
}

// environment returns the environment as name, value pairs.
func (s *State) environment() [][2]string { return s.env }

// arguments returns the arguments, argv[0] first.
func (s *State) arguments() []string { return s.args }
