package httptrigger

import (
	"encoding/binary"
	"errors"
	"io"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMaxBodyMemory is Config.MaxBodyMemory's default (or MaxBodyBytes,
// when that is larger).
const DefaultMaxBodyMemory = 256 << 20

const (
	// pooledMax is the largest request buffer kept for the next request:
	// larger ones are dropped, so that a burst of large bodies leaves no
	// memory behind in a sync.Pool.
	pooledMax = 64 << 10
	// returnMemoryAt: when the body memory in use passed it, the trigger
	// returns the freed memory to the OS once no body is buffered any more.
	returnMemoryAt = 32 << 20
	// chunkMin is the first buffer size of a body of unknown length.
	chunkMin = 16 << 10
)

// bodyMemory is the budget of request body bytes a Trigger buffers at once,
// shared by all its requests. Requests reserve before they buffer and
// release when they end; a request that does not fit is refused (503), it
// never waits.
type bodyMemory struct {
	max  int64
	used atomic.Int64
	// high is set when used passed returnMemoryAt; the release that brings
	// used back to 0 clears it and returns the freed memory to the OS.
	high atomic.Bool
	// returning is set while that runs; again asks it to run once more.
	returning, again atomic.Bool
}

// reserve takes n bytes of the budget, or reports false.
func (m *bodyMemory) reserve(n int64) bool {
	for {
		u := m.used.Load()
		if n > m.max-u {
			return false
		}
		if m.used.CompareAndSwap(u, u+n) {
			if u+n >= returnMemoryAt && !m.high.Load() {
				m.high.Store(true)
			}
			return true
		}
	}
}

// release gives n reserved bytes back.
func (m *bodyMemory) release(n int64) {
	if n == 0 {
		return
	}
	if m.used.Add(-n) == 0 && m.high.Load() && m.high.CompareAndSwap(true, false) {
		m.returnToOS()
	}
}

// returnToOS collects the buffers of the bodies that ended and returns
// their memory to the OS, in the background. Without it the Go runtime
// would keep it until its next collection, which an idle server may not
// run for minutes.
func (m *bodyMemory) returnToOS() {
	m.again.Store(true)
	if !m.returning.CompareAndSwap(false, true) {
		return
	}
	go func() {
		for m.again.Swap(false) {
			debug.FreeOSMemory()
		}
		m.returning.Store(false)
	}()
}

// statusError is an answer the trigger gives itself, before or instead of
// running the module: 408, 413, 503 for the body memory, 400.
type statusError struct {
	status int
	msg    string
	// abandon: the body is left unread; the connection is closed after the
	// answer, without waiting for the rest.
	abandon bool
}

func (e *statusError) Error() string { return e.msg }

var errBodyMemory = &statusError{
	status:  http.StatusServiceUnavailable,
	msg:     "the server's memory for request bodies is in use; try again later",
	abandon: true,
}

// tooLarge is the 413 of a body over limit (got is 0 when unknown).
func tooLarge(got, limit int64) *statusError {
	msg := "request body exceeds the limit of " + strconv.FormatInt(limit, 10) + " bytes"
	if got > 0 {
		msg = "request body of " + strconv.FormatInt(got, 10) + " bytes exceeds the limit of " + strconv.FormatInt(limit, 10)
	}
	return &statusError{status: http.StatusRequestEntityTooLarge, msg: msg, abandon: true}
}

// readError is the answer to a body that could not be read: 408 when it
// did not arrive before the request's deadline, 400 otherwise (the client
// went away, or framed it badly).
func (t *Trigger) readError(err error) *statusError {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return &statusError{status: http.StatusRequestTimeout, msg: "the request body was not received within " + t.cfg.Timeout.String(), abandon: true}
	}
	return &statusError{status: http.StatusBadRequest, msg: "cannot read the request body: " + err.Error(), abandon: true}
}

// readBody reads r's body, at most limit bytes, into buf after its len(buf)
// bytes and room more, reserving the memory the body takes from t.mem
// before it is read: its length when known, else as the buffer grows. It
// returns the buffer (buf, or a larger copy), the body's length and the
// bytes reserved, which the caller releases when the request ends; the
// body is buf[len(buf)+room:][:n].
func (t *Trigger) readBody(r *http.Request, buf []byte, room int, limit int64) (out []byte, n, reserved int64, err error) {
	start := len(buf) + room
	if r.ContentLength > 0 {
		if r.ContentLength > limit {
			return buf, 0, 0, tooLarge(r.ContentLength, limit)
		}
		n = r.ContentLength
		if !t.mem.reserve(n) {
			return buf, 0, 0, errBodyMemory
		}
		need := start + int(n)
		if cap(buf) < need {
			nb := make([]byte, need)
			copy(nb, buf)
			buf = nb
		}
		buf = buf[:need]
		if _, err := io.ReadFull(r.Body, buf[start:]); err != nil {
			return buf, 0, n, t.readError(err)
		}
		return buf, n, n, nil
	}
	// Unknown length (chunked): grow as it comes, reserving each growth.
	if cap(buf) < start+chunkMin {
		nb := make([]byte, len(buf), start+chunkMin)
		copy(nb, buf)
		buf = nb
	}
	reserved = int64(cap(buf) - start)
	if !t.mem.reserve(reserved) {
		return buf, 0, 0, errBodyMemory
	}
	buf = buf[:start]
	for {
		if len(buf) == cap(buf) {
			have := int64(cap(buf) - start)
			if have > limit {
				return buf, 0, reserved, tooLarge(0, limit)
			}
			grow := min(2*have, limit+1) - have
			if !t.mem.reserve(grow) {
				return buf, 0, reserved, errBodyMemory
			}
			reserved += grow
			nb := make([]byte, len(buf), cap(buf)+int(grow))
			copy(nb, buf)
			buf = nb
		}
		m, rerr := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return buf, 0, reserved, t.readError(rerr)
		}
	}
	if n = int64(len(buf) - start); n > limit {
		return buf, 0, reserved, tooLarge(0, limit)
	}
	return buf, n, reserved, nil
}

// encodeBody completes a handler request encoded in buf: its head (all
// but the body) in buf[:head], then binary.MaxVarintLen64 bytes of room,
// then the body's n bytes. It moves the head up against the body's length
// and returns the encoded request.
func encodeBody(buf []byte, head int, n int64) []byte {
	var lb [binary.MaxVarintLen64]byte
	k := binary.PutUvarint(lb[:], uint64(n))
	off := binary.MaxVarintLen64 - k
	copy(buf[off:], buf[:head])
	copy(buf[off+head:], lb[:k])
	return buf[off : head+binary.MaxVarintLen64+int(n)]
}

// abandonBody closes the connection after the answer to a request whose
// body is left unread, without reading more of it.
func abandonBody(w http.ResponseWriter) {
	w.Header().Set("Connection", "close")
	http.NewResponseController(w).SetReadDeadline(time.Now())
}

// stdin is a WAGI script's standard input: the request body, until the
// request ends. The WASI layer may read stdin from a goroutine that
// outlives the script; once closed, it reads nothing more from the body's
// buffer, which the next request reuses.
type stdin struct {
	mu     sync.Mutex
	b      []byte
	closed bool
}

func (s *stdin) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || len(s.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.b)
	s.b = s.b[n:]
	return n, nil
}

func (s *stdin) close() {
	s.mu.Lock()
	s.closed, s.b = true, nil
	s.mu.Unlock()
}
