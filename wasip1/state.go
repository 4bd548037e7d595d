package wasip1

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Preopen is a host directory made visible to the guest.
type Preopen struct {
	HostPath  string // directory on the host
	GuestPath string // name the guest sees, e.g. "/data" or "."
	ReadOnly  bool   // deny every change under it
	// Private tightens the sandbox of a directory that must hold only its
	// own files (a component's private directory): hard links are refused
	// (path_link to or from it: EPERM), and so is opening, or setting the
	// times of, a regular file with more than one link (EPERM: a host-made
	// hard link may name a file outside); nothing is renamed out of it into
	// another preopen (EPERM); the guest may make symbolic links
	// only to targets without a ".." component (EPERM), so that no link it
	// leaves behind points out, even for a host program walking the
	// directory later.
	Private bool
}

// Config is what one instance sees of the world.
type Config struct {
	Args []string // argv, argv[0] first
	Env  []string // "NAME=VALUE" entries ("NAME" alone means an empty value)
	// Stdin, Stdout and Stderr are the standard streams; nil means empty
	// input and discarded output. Reads and writes stream: a guest reading
	// stdin gets each chunk as soon as the reader returns it.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Preopens       []Preopen
}

// State is the WASI state of one instance. Its methods are safe for
// concurrent use; host functions of one instance are normally called from
// one goroutine at a time.
type State struct {
	args, env []string
	epoch     time.Time // monotonic clock origin

	mu     sync.Mutex
	fds    map[uint32]*fdEntry
	low    atomic.Pointer[[]*fdEntry] // snapshot of fds below lowFds, read without locking
	free   []uint32                   // closed numbers, reused highest first (as Wasmtime)
	closed bool
	stdin  *stdinStream
}

// NewState opens the preopened directories of cfg (fds 3, 4, ... in order)
// and returns the instance's state. It fails clearly when a preopen is
// missing or is not a directory. Close it when the instance goes away.
func NewState(cfg Config) (*State, error) {
	env := make([]string, len(cfg.Env))
	for i, kv := range cfg.Env {
		if !strings.Contains(kv, "=") {
			kv += "=" // NAME alone: an empty value
		}
		env[i] = kv
	}
	for _, a := range append(append([]string(nil), cfg.Args...), env...) {
		if strings.IndexByte(a, 0) >= 0 {
			return nil, errors.New("arguments and environment must not contain NUL bytes")
		}
	}
	s := &State{args: cfg.Args, env: env, epoch: time.Now(), fds: map[uint32]*fdEntry{}}
	s.stdin = newStdinStream(cfg.Stdin)
	s.push(&fdEntry{kind: kindStdin, stdio: cfg.Stdin})
	s.push(&fdEntry{kind: kindStdout, stdio: cfg.Stdout, w: writerOrDiscard(cfg.Stdout)})
	s.push(&fdEntry{kind: kindStderr, stdio: cfg.Stderr, w: writerOrDiscard(cfg.Stderr)})
	for _, p := range cfg.Preopens {
		d, err := openPreopen(p)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.push(d)
	}
	return s, nil
}

func openPreopen(p Preopen) (*fdEntry, error) {
	if p.GuestPath == "" {
		return nil, fmt.Errorf("preopen %s: empty guest path", p.HostPath)
	}
	fi, err := os.Stat(p.HostPath)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("preopen %s: directory does not exist", p.HostPath)
		}
		return nil, fmt.Errorf("preopen %s: %w", p.HostPath, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("preopen %s: not a directory", p.HostPath)
	}
	root, err := os.OpenRoot(p.HostPath)
	if err != nil {
		return nil, fmt.Errorf("preopen %s: %w", p.HostPath, err)
	}
	dir, err := root.Open(".")
	if err != nil {
		root.Close()
		return nil, fmt.Errorf("preopen %s: %w", p.HostPath, err)
	}
	return &fdEntry{kind: kindDir, root: root, file: dir, preopen: p.GuestPath, isPreopen: true, readOnly: p.ReadOnly, private: p.Private}, nil
}

// Close closes every descriptor the guest still holds. It is safe to call
// more than once and on a nil State.
func (s *State) Close() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	fds := s.fds
	s.fds = map[uint32]*fdEntry{}
	s.closed = true
	s.publishLocked()
	s.mu.Unlock()
	var first error
	for _, e := range fds {
		if err := e.close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// push adds e under the next free number, as Wasmtime numbers them.
func (s *State) push(e *fdEntry) (uint32, Errno) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, EBADF
	}
	var fd uint32
	if n := len(s.free); n > 0 {
		fd = s.free[n-1]
		s.free = s.free[:n-1]
	} else {
		if len(s.fds) >= 1<<20 {
			return 0, EMFILE
		}
		// Wasmtime: one past the highest number in use.
		fd = 0
		for k := range s.fds {
			if k+1 > fd {
				fd = k + 1
			}
		}
	}
	s.fds[fd] = e
	s.publishLocked()
	return fd, ESUCCESS
}

// lowFds bounds the lock-free snapshot: guests rarely hold more descriptors.
const lowFds = 64

// publishLocked rebuilds the snapshot get reads; s.mu is held.
func (s *State) publishLocked() {
	n := 0
	for fd := range s.fds {
		if fd < lowFds && int(fd) >= n {
			n = int(fd) + 1
		}
	}
	t := make([]*fdEntry, n)
	for fd, e := range s.fds {
		if fd < lowFds {
			t[fd] = e
		}
	}
	s.low.Store(&t)
}

// get returns the entry of fd or EBADF.
func (s *State) get(fd uint32) (*fdEntry, Errno) {
	if fd < lowFds {
		if t := s.low.Load(); t != nil {
			if int(fd) < len(*t) && (*t)[fd] != nil {
				return (*t)[fd], ESUCCESS
			}
			return nil, EBADF
		}
	}
	s.mu.Lock()
	e := s.fds[fd]
	s.mu.Unlock()
	if e == nil {
		return nil, EBADF
	}
	return e, ESUCCESS
}

// remove takes fd out of the table.
func (s *State) remove(fd uint32) (*fdEntry, Errno) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.fds[fd]
	if e == nil {
		return nil, EBADF
	}
	delete(s.fds, fd)
	s.addFree(fd)
	s.publishLocked()
	return e, ESUCCESS
}

func (s *State) addFree(fd uint32) {
	i := sort.Search(len(s.free), func(i int) bool { return s.free[i] >= fd })
	if i < len(s.free) && s.free[i] == fd {
		return
	}
	s.free = append(s.free, 0)
	copy(s.free[i+1:], s.free[i:])
	s.free[i] = fd
}

// renumber moves from onto to, closing what to held. Both must be open
// (EBADF otherwise), as the specification says ("atomically replace a file
// descriptor"; no renumbering to an arbitrary number) and Wasmtime does.
func (s *State) renumber(from, to uint32) Errno {
	s.mu.Lock()
	e := s.fds[from]
	if e == nil {
		s.mu.Unlock()
		return EBADF
	}
	old := s.fds[to]
	if old == nil {
		s.mu.Unlock()
		return EBADF
	}
	if from == to {
		s.mu.Unlock()
		return ESUCCESS
	}
	delete(s.fds, from)
	s.addFree(from)
	s.fds[to] = e
	s.publishLocked()
	s.mu.Unlock()
	if old != nil {
		old.close()
	}
	return ESUCCESS
}

type fdKind uint8

const (
	kindStdin fdKind = iota
	kindStdout
	kindStderr
	kindFile
	kindDir
)

// fdEntry is one open descriptor.
type fdEntry struct {
	kind  fdKind
	stdio any                    // the configured stream, for isatty checks
	w     io.Writer              // stdout, stderr
	wbuf  atomic.Pointer[[]byte] // gathers the iovecs of one fd_write to w

	file *os.File // file or directory
	root *os.Root // directory: every path is resolved inside it

	// files
	mu        sync.Mutex
	pos       uint64
	append    bool   // the host file is in O_APPEND mode
	nonblock  bool   // recorded only: files never block
	syncFlags uint16 // DSYNC, RSYNC and SYNC as given to path_open
	readable  bool
	writable  bool

	// directories
	preopen   string // guest path of a preopen
	isPreopen bool
	readOnly  bool // opened under a read-only preopen
	private   bool // opened under a private preopen (see Preopen.Private)
	dirents   []dirent
}

func (e *fdEntry) close() error {
	var err error
	if e.file != nil {
		err = e.file.Close()
	}
	if e.root != nil {
		if rerr := e.root.Close(); err == nil {
			err = rerr
		}
	}
	return err
}

func writerOrDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// isTTY reports whether a configured stdio stream is a terminal (a
// character device).
func isTTY(v any) bool {
	f, ok := v.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
