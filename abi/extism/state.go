package extism

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"sort"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/engine"
)

// Default limits, the same as Extism's hosts.
const (
	DefaultMaxVarBytes          = 1 << 20  // variable store cap
	DefaultMaxHTTPResponseBytes = 50 << 20 // http_request response body cap
	DefaultMaxKernelBytes       = 1 << 30  // kernel memory cap of one instance
)

// LevelTrace is the slog level of log_trace messages (below slog.LevelDebug).
const LevelTrace = slog.LevelDebug - 4

// StateConfig configures one instance's kernel state.
type StateConfig struct {
	// Name names the plugin in log records and errors.
	Name string
	// Config holds the values config_get returns.
	Config map[string]string
	// AllowedHosts lists the hosts http_request may reach, as globs matched
	// against the URL's host name ("*.example.com", "127.0.0.1", "*"). Empty
	// denies every request.
	AllowedHosts []string
	// HTTPClient makes http_request's requests; nil means a client like
	// http.DefaultClient whose redirects are checked against AllowedHosts.
	HTTPClient *http.Client
	// MaxHTTPResponseBytes caps a response body; 0 means DefaultMaxHTTPResponseBytes.
	MaxHTTPResponseBytes int64
	// HTTPTimeout bounds one http_request, body included; 0 means only
	// the call's own deadline.
	HTTPTimeout time.Duration
	// MaxHTTPRequestsPerCall caps the http_requests of one call (counted
	// with wasmhive's http capability, see CountHTTPRequest); 0 means no
	// limit. The request past it ends the call with an *engine.LimitError.
	MaxHTTPRequestsPerCall int
	// MaxVarBytes caps the variable store (names, values and per-entry
	// overhead, counted as Extism counts them); 0 means DefaultMaxVarBytes,
	// a negative value disables vars (var_set fails).
	MaxVarBytes int64
	// MaxKernelBytes caps kernel memory; alloc returns 0 past it. 0 means
	// DefaultMaxKernelBytes. In a kernel instance (LinkKernel), a wasm32
	// memory, it is at most 4 GiB less 64 KiB.
	MaxKernelBytes uint64
	// Logger receives log_* messages; nil turns plugin logging off.
	Logger *slog.Logger
	// Vars, when non-nil, is the initial variable store (copied).
	Vars map[string][]byte
}

// block is one allocation in kernel memory.
type block struct {
	off, size, used uint64
	free            bool
}

// State is one instance's Extism kernel state: kernel memory, input, output,
// error, variables, configuration, the last HTTP response and the logger. It
// serves one call at a time, like the instance it belongs to.
type State struct {
	cfg StateConfig

	mem     []byte  // kernel memory; handles are offsets into it
	top     uint64  // bump pointer: mem[:top] is in use
	blocks  []block // sorted by off
	nfree   int     // free blocks in blocks
	input   uint64  // input block, 0 while the input is still inExt
	inLen   uint64
	inExt   []byte // the caller's input, copied into kernel memory only if the plugin asks for its handle
	output  uint64 // output block, 0 while the output is outExt
	outLen  uint64
	outExt  []byte // output written by bulk output_write, outside kernel memory
	outBuf  []byte // reused for outExt by calls whose output is borrowed (CallBorrow)
	borrow  bool   // the current call's output is borrowed
	errH    uint64
	maxKern uint64

	vars       map[string][]byte
	httpStatus int32
	httpHdrs   map[string]string
	logLevel   int32 // Extism's get_log_level value
	client     *http.Client

	initialized bool
	checked     string           // the export Call last checked...
	checkedIn   *engine.Instance // ...on this instance
	hostErr     error            // the error that stopped the last call from inside a host function

	// With a kernel instance (LinkKernel), mem is its linear memory and
	// the globals tell its functions where allocated memory ends and
	// where the input is (see sync).
	kern                 *engine.Instance
	kmem                 api.Memory
	gTop, gInOff, gInLen api.MutableGlobal
	held                 uint64 // kernel memory not given back to the OS (KernelSize)

	// With the kernel in the plugin's own memory (UsePluginMemory), plug
	// holds it; plugWant is the module whose instance the first Call binds.
	plug     *plugMem
	plugWant *engine.Module
}

// first is the lowest handle: 0 stays invalid and blocks are 8-byte aligned.
const first = 8

// NewState creates one instance's kernel state.
func NewState(cfg StateConfig) *State {
	s := &State{cfg: cfg, top: first, vars: map[string][]byte{}}
	s.maxKern = cfg.MaxKernelBytes
	if s.maxKern == 0 {
		s.maxKern = DefaultMaxKernelBytes
	}
	for k, v := range cfg.Vars {
		s.vars[k] = append([]byte(nil), v...)
	}
	s.logLevel = math.MaxInt32
	if cfg.Logger != nil {
		for i, l := range []slog.Level{LevelTrace, slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError} {
			if cfg.Logger.Enabled(context.Background(), l) {
				s.logLevel = int32(i)
				break
			}
		}
	}
	s.client = cfg.HTTPClient
	if s.client == nil {
		s.client = &http.Client{CheckRedirect: s.checkRedirect}
	}
	s.mem = make([]byte, 4096)
	return s
}

// stateKey attaches a State to its instance.
var stateKey = engine.NewKey[*State]("extism")

// Attach makes s the kernel state of the instances created from cfg, where
// the Extism host functions find it.
func (s *State) Attach(cfg *engine.InstanceConfig) { stateKey.Set(cfg, s) }

// Vars returns a copy of the variable store.
func (s *State) Vars() map[string][]byte {
	m := make(map[string][]byte, len(s.vars))
	for k, v := range s.vars {
		m[k] = append([]byte(nil), v...)
	}
	return m
}

// Config returns the configuration the State was created with.
func (s *State) Config() StateConfig { return s.cfg }

// Var returns the variable name and whether it is set.
func (s *State) Var(name string) ([]byte, bool) { v, ok := s.vars[name]; return v, ok }

// Reset clears kernel memory, input, output and error (variables stay), as
// the reset function does.
func (s *State) Reset() {
	s.refresh()
	s.top = first
	s.blocks = s.blocks[:0]
	s.nfree = 0
	s.input, s.inLen, s.output, s.outLen, s.errH = 0, 0, 0, 0, 0
	s.inExt, s.outExt = nil, nil
	s.sync()
}

// Alloc allocates n bytes of kernel memory and returns the block's handle,
// or 0 when n is 0 or the kernel memory limit is reached. The block is not
// zeroed.
func (s *State) Alloc(n uint64) uint64 {
	if n == 0 {
		return 0
	}
	if s.nfree > 0 {
		for i := range s.blocks {
			b := &s.blocks[i]
			if b.free && b.size >= n {
				b.free, b.used = false, n
				s.nfree--
				return b.off
			}
		}
	}
	if s.plug != nil {
		return s.plugAlloc(n)
	}
	h := (s.top + 7) &^ 7
	if n > s.maxKern || h > s.maxKern-n {
		return 0
	}
	end := h + n
	if s.kern != nil {
		if !s.growKernel(end + kernelPad) {
			return 0
		}
		s.held = max(s.held, min((end+kernelPad+engine.PageSize-1)/engine.PageSize*engine.PageSize, uint64(len(s.mem))))
	} else if end > uint64(len(s.mem)) {
		size := max(uint64(len(s.mem))*2, end)
		size = min(size, s.maxKern)
		mem := make([]byte, size)
		copy(mem, s.mem[:s.top])
		s.mem = mem
	}
	s.top = end
	s.blocks = append(s.blocks, block{off: h, size: n, used: n})
	if s.kern != nil {
		s.gTop.Set(end)
	}
	return h
}

// Write allocates a block holding a copy of b and returns its handle (0 for
// an empty b). It fails when kernel memory is full.
func (s *State) Write(b []byte) (uint64, error) {
	if len(b) == 0 {
		return 0, nil
	}
	h := s.Alloc(uint64(len(b)))
	if h == 0 {
		return 0, ErrKernelMemoryFull
	}
	copy(s.mem[h:], b)
	return h, nil
}

// ErrKernelMemoryFull is returned when an allocation passes StateConfig.MaxKernelBytes.
var ErrKernelMemoryFull = errors.New("extism kernel memory is full")

// find returns the index of the active block starting at h, or -1.
func (s *State) find(h uint64) int {
	n := len(s.blocks)
	if n == 0 || h < first {
		return -1
	}
	if last := n - 1; s.blocks[last].off == h { // the common case: the newest block
		if s.blocks[last].free {
			return -1
		}
		return last
	}
	i := sort.Search(n, func(i int) bool { return s.blocks[i].off >= h })
	if i < n && s.blocks[i].off == h && !s.blocks[i].free {
		return i
	}
	return -1
}

// Length returns the length of the active block at handle h, or 0 when h is
// not the start of an active block.
func (s *State) Length(h uint64) uint64 {
	if i := s.find(h); i >= 0 {
		return s.blocks[i].used
	}
	return 0
}

// Free releases the block at h; invalid handles are ignored.
func (s *State) Free(h uint64) {
	i := s.find(h)
	if i < 0 {
		return
	}
	if h == s.input {
		s.inLen = 0 // as Extism's kernel: the input is gone
	}
	s.blocks[i].free = true
	s.nfree++
	// Give trailing free blocks back to the bump allocator.
	for n := len(s.blocks); n > 0 && s.blocks[n-1].free; n-- {
		s.top = s.blocks[n-1].off
		s.blocks = s.blocks[:n-1]
		s.nfree--
	}
	if len(s.blocks) == 0 {
		s.top = first
	}
	s.sync()
}

// Bytes returns the contents of the active block at h (aliasing kernel
// memory: valid until the next allocation), or false when h is not a block.
func (s *State) Bytes(h uint64) ([]byte, bool) {
	i := s.find(h)
	if i < 0 {
		return nil, false
	}
	b := s.blocks[i]
	return s.mem[b.off : b.off+b.used : b.off+b.used], true
}

// String returns the contents of the block at h as a string ("" when h is
// not a block).
func (s *State) String(h uint64) string {
	b, _ := s.Bytes(h)
	return string(b)
}

// Range returns kernel memory [h, h+n), or an *AccessError when it is not
// inside allocated kernel memory.
func (s *State) Range(h, n uint64) ([]byte, error) {
	lo, end := s.bounds()
	if h < lo || h > end || n > end-h {
		return nil, &AccessError{Op: "access", Handle: h, Len: n, Size: end, lo: lo}
	}
	return s.mem[h : h+n : h+n], nil
}

// KernelSize returns the bytes of kernel memory the State holds. With a
// kernel instance or in the plugin's memory, which cannot shrink, it
// leaves out the pages given back to the OS after a large call.
func (s *State) KernelSize() int {
	if s.kern != nil || s.plug != nil {
		return int(s.held)
	}
	return len(s.mem)
}

// Input returns the current input.
func (s *State) Input() []byte {
	if s.input == 0 {
		return s.inExt[:s.inLen]
	}
	return s.mem[s.input : s.input+s.inLen]
}

// inputHandle returns the input's block, copying the input into kernel
// memory the first time a plugin asks for it.
func (s *State) inputHandle() uint64 {
	if s.input == 0 && s.inLen > 0 {
		h := s.Alloc(s.inLen)
		if h == 0 {
			s.fail(ErrKernelMemoryFull)
		}
		copy(s.mem[h:], s.inExt[:s.inLen])
		s.input, s.inExt = h, nil
		s.sync()
	}
	return s.input
}

// outputHandle returns the output's block, copying a bulk-written output
// into kernel memory the first time a plugin asks for it.
func (s *State) outputHandle() uint64 {
	if s.output == 0 && s.outExt != nil {
		h := s.Alloc(s.outLen)
		if h == 0 {
			s.fail(ErrKernelMemoryFull)
		}
		copy(s.mem[h:], s.outExt)
		s.output, s.outExt = h, nil
	}
	return s.output
}

// dropInput forgets the caller's input after a call, so the State does not
// keep the caller's memory alive.
func (s *State) dropInput() {
	if s.input == 0 {
		s.inExt, s.inLen = nil, 0
		s.sync()
	}
}

// retainBytes is how much kernel memory an idle State keeps: a call that
// needed more gives the excess back when the next call starts.
const retainBytes = 4 << 20

// SetInput resets kernel memory and makes in the input. The input is read in
// place (not copied) until the plugin asks for its kernel memory handle; the
// caller must not change in during the call.
func (s *State) SetInput(in []byte) error {
	s.Reset()
	switch {
	case s.plug != nil:
		if s.held > retainBytes && len(in) < retainBytes/2 {
			s.plugRelease()
		}
	case s.kern != nil:
		if s.held > retainBytes && len(in) < retainBytes/2 && s.kern.ReleaseMemory(retainBytes) {
			s.held = retainBytes
		}
	case len(s.mem) > retainBytes && len(in) < retainBytes/2:
		s.mem = make([]byte, retainBytes)
	}
	if cap(s.outBuf) > retainBytes {
		s.outBuf = nil
	}
	if uint64(len(in)) > s.maxKern-first {
		return fmt.Errorf("input of %d bytes: %w (limit %d bytes)", len(in), ErrKernelMemoryFull, s.maxKern)
	}
	s.inExt, s.inLen = in, uint64(len(in))
	if (s.kern != nil || s.plug != nil) && len(in) > 0 && len(in) <= eagerInput {
		// A small input is copied into kernel memory at once: cheaper than
		// the kernel module asking for it (a host call) on its first load.
		h := s.Alloc(s.inLen)
		if h == 0 {
			return fmt.Errorf("input of %d bytes: %w", len(in), ErrKernelMemoryFull)
		}
		copy(s.mem[h:], in)
		s.input, s.inExt = h, nil
	}
	s.sync()
	return nil
}

// eagerInput is the largest input SetInput copies into a kernel
// instance's memory before the call; a larger one is copied on the first
// input load, if any (a plugin reading it with bulk input_read never
// needs it there).
const eagerInput = 4 << 10

// Output returns a copy of the output the plugin set with output_set.
func (s *State) Output() ([]byte, error) {
	if s.outLen == 0 {
		return []byte{}, nil
	}
	if s.output == 0 && s.outExt != nil {
		out := s.outExt // already a private copy, or the borrowed buffer
		s.outExt = nil
		s.outLen = 0
		return out, nil
	}
	b, err := s.Range(s.output, s.outLen)
	if err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	if s.borrow {
		return b, nil
	}
	return append([]byte(nil), b...), nil
}

// SetOutput copies out into kernel memory and makes it the output, as a host
// function may do on the plugin's behalf.
func (s *State) SetOutput(out []byte) error {
	h, err := s.Write(out)
	if err != nil {
		return err
	}
	s.output, s.outLen, s.outExt = h, uint64(len(out)), nil
	return nil
}

// ErrorMessage returns the message set with error_set, or "".
func (s *State) ErrorMessage() string {
	if s.errH == 0 {
		return ""
	}
	if b, ok := s.Bytes(s.errH); ok {
		return string(b)
	}
	// A handle inside a block but not at its start: read to the end of memory
	// is unsafe; report what we can.
	return ""
}

// AccessError reports a kernel memory access outside allocated memory.
type AccessError struct {
	Op     string // e.g. "load_u64"
	Handle uint64
	Len    uint64
	Size   uint64 // allocated kernel memory at the time
	lo     uint64 // the lowest valid handle, when not first (the kernel in the plugin's memory)
}

func (e *AccessError) Error() string {
	return fmt.Sprintf("%s: kernel memory access out of bounds: [%d, %d+%d) outside [%d, %d)", e.Op, e.Handle, e.Handle, e.Len, max(e.lo, first), e.Size)
}

// bounds returns the range of addresses kernel accesses may touch:
// allocated kernel memory, or with the kernel in the plugin's memory, the
// plugin's memory from the first kernel block on (see plugin.go).
func (s *State) bounds() (lo, end uint64) {
	if s.plug != nil {
		return s.plugBounds()
	}
	return first, s.top
}

func (s *State) loadU64(op string, h uint64) uint64 {
	lo, end := s.bounds()
	if h < lo || h > end || end-h < 8 {
		s.fail(&AccessError{Op: op, Handle: h, Len: 8, Size: end, lo: lo})
	}
	return binary.LittleEndian.Uint64(s.mem[h:])
}

func (s *State) loadU8(op string, h uint64) byte {
	lo, end := s.bounds()
	if h < lo || h >= end {
		s.fail(&AccessError{Op: op, Handle: h, Len: 1, Size: end, lo: lo})
	}
	return s.mem[h]
}

func (s *State) storeU64(h, v uint64) {
	lo, end := s.bounds()
	if h < lo || h > end || end-h < 8 {
		s.fail(&AccessError{Op: "store_u64", Handle: h, Len: 8, Size: end, lo: lo})
	}
	binary.LittleEndian.PutUint64(s.mem[h:], v)
}

func (s *State) storeU8(h uint64, v byte) {
	lo, end := s.bounds()
	if h < lo || h >= end {
		s.fail(&AccessError{Op: "store_u8", Handle: h, Len: 1, Size: end, lo: lo})
	}
	s.mem[h] = v
}

// fail records err as the reason the call stops and panics with it; wazero
// turns the panic into the call's error.
func (s *State) fail(err error) {
	s.hostErr = err
	panic(err)
}

// varsSize counts the variable store as Extism does (names, values and a
// per-entry overhead of a string and a slice header).
func (s *State) varsSize() int64 {
	const overhead = 16 + 24
	var n int64
	for k, v := range s.vars {
		n += int64(len(k)+len(v)) + overhead
	}
	return n
}

// ErrVarsFull is the reason var_set fails when the store would pass its cap.
var ErrVarsFull = errors.New("variable store is full")

// ErrVarsDisabled is the reason var_set fails when vars are disabled.
var ErrVarsDisabled = errors.New("vars are disabled by this host")

func (s *State) setVar(name string, value []byte) error {
	limit := s.cfg.MaxVarBytes
	if limit < 0 {
		return ErrVarsDisabled
	}
	if limit == 0 {
		limit = DefaultMaxVarBytes
	}
	size := s.varsSize() + int64(len(name)+len(value)) + 16 + 24
	if old, ok := s.vars[name]; ok {
		size -= int64(len(name)+len(old)) + 16 + 24
	}
	if size > limit {
		return fmt.Errorf("%w: setting %q would use %d bytes of %d", ErrVarsFull, name, size, limit)
	}
	s.vars[name] = append([]byte(nil), value...)
	return nil
}
