package engine

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/wasmhive/wasmhive/internal/interrupt"
)

// How interruption works (see package internal/interrupt): every module is
// rewritten to count down a budget at loop headers, at the entry of
// functions that call others, and at least every interrupt.MaxStretch bytes
// of straight-line code, and to call the host function
// wasmhive:interrupt.check when the budget runs out. check stops the guest
// if its call's context is done (the same *TimeoutError or *CanceledError
// as wazero's own termination checks gave) and otherwise returns the next
// budget, sized so that checks come about every checkInterval of guest
// time. Being a Go call, it also lets the Go runtime preempt the goroutine
// (a stop-the-world of the garbage collector waits for every goroutine to
// reach such a point). No goroutine is started per call, and the checks
// cost a load, a decrement, a store and a branch each.
const (
	// checkInterval is the guest time aimed at between two checks.
	checkInterval = 200 * time.Microsecond
	// minBudget and maxBudget bound the budget.
	minBudget = 16
	maxBudget = 1 << 28
)

// clockBase is the origin of the monotonic clock interruptState uses.
var clockBase = time.Now()

// interruptState is one instance's budget: the last one given and when,
// in which call.
type interruptState struct {
	budget int64
	seq    uint64 // the call of the last check
	last   int64  // when the last check was, in ns since clockBase
}

// next returns the budget after a check in call seq: the last one scaled so
// that, at the pace of the last interval, the next check comes after
// checkInterval.
func (s *interruptState) next(seq uint64) uint32 {
	now := int64(time.Since(clockBase))
	b := s.budget
	if b == 0 {
		b = interrupt.InitialBudget
	}
	if s.seq == seq && s.last != 0 {
		dt := max(now-s.last, 1)
		nb := b * int64(checkInterval) / dt
		// Shrink at once (a slow loop must not hold up the next check), grow
		// by at most 4x a check (one fast interval may be a fluke).
		b = min(max(nb, minBudget), b*4, maxBudget)
	}
	s.budget, s.seq, s.last = b, seq, now
	return uint32(b)
}

// interruptHost is the host module instrumented modules import.
type interruptHost struct{}

func (interruptHost) ModuleName() string { return interrupt.ImportModule }

func (interruptHost) Define(rt *Runtime, b wazero.HostModuleBuilder) {
	b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
		stack[0] = uint64(rt.check(ctx, mod))
	}), nil, []api.ValueType{api.ValueTypeI32}).Export(interrupt.ImportName)
}

// check is wasmhive:interrupt.check: it stops the guest when ctx is done,
// else returns the guest's next budget.
func (rt *Runtime) check(ctx context.Context, mod api.Module) uint32 {
	if ctxDone(ctx) {
		// Stops the guest as proc_exit does; Call turns it into a
		// *TimeoutError or *CanceledError. Past the deadline counts even
		// before the context's timer has fired (late on a loaded machine).
		panic(ctxExitError(ctx))
	}
	if mod.IsClosed() {
		// Closed while it runs (Instance.Close, Runtime.Close), as wazero's
		// termination checks see it: the call ends with the close's exit
		// status, 0.
		panic(sys.NewExitError(0))
	}
	inst := rt.Caller(ctx, mod)
	if inst == nil {
		// Instantiation (a start function) or a module not instantiated
		// through the Runtime.
		return interrupt.InitialBudget
	}
	if inst.fuel.metering {
		return inst.fuel.refill(inst)
	}
	return inst.intr.next(inst.seq)
}

// FuelLimit is the name (as the manifest spells it) of the limit a
// *LimitError carries when a call runs out of InstanceConfig.Fuel.
const FuelLimit = "fuel"

// fuelChunk is the most fuel handed to a metered guest at once: the check
// function runs at least this often, so deadlines still stop it.
const fuelChunk = 1 << 16

// fuelState meters one instance's calls (InstanceConfig.Fuel). The guest
// counts the budget global down by one at every check site and calls
// check when it reaches zero, having then used exactly the budget it was
// given: the fuel handed out in budgets of at most fuelChunk, less what is
// left in the global when the call ends, is what the call used.
type fuelState struct {
	per      uint64            // fuel per outermost call; 0: unmetered
	budget   api.MutableGlobal // the module's budget global (interrupt.BudgetExport)
	metering bool              // an outermost metered call is running
	left     uint64            // fuel not yet handed to the guest
	given    uint32            // the budget last handed
	used     uint64            // fuel used by the call so far
	last     uint64            // fuel used by the last call
}

func (f *fuelState) init(per uint64, mod api.Module) {
	if per == 0 {
		return
	}
	if g, ok := mod.ExportedGlobal(interrupt.BudgetExport).(api.MutableGlobal); ok {
		f.per, f.budget = per, g
	} else {
		// A module the rewrite left as it was: no loops and no calls, so
		// every call runs in bounded time and uses no fuel.
		f.per = 0
	}
}

// start gives a call its fuel.
func (f *fuelState) start() {
	f.metering, f.left, f.used = true, f.per, 0
	f.hand()
}

// hand sets the next budget from the fuel left.
func (f *fuelState) hand() {
	f.given = uint32(min(f.left, fuelChunk))
	f.left -= uint64(f.given)
	f.budget.Set(uint64(f.given))
}

// refill is check for a metered call: the guest used its budget; it gets
// the next, or the call fails when it has passed more check sites than its
// fuel.
func (f *fuelState) refill(inst *Instance) uint32 {
	f.used += uint64(f.given)
	if f.used > f.per {
		f.given = 0
		panic(&LimitError{Module: inst.module.name, Limit: FuelLimit, Max: f.per})
	}
	if f.left == 0 {
		// All handed out, all used: the call may still return, but the
		// next check site is one too many.
		f.given = 1
		return 1
	}
	f.hand()
	return f.given
}

// end counts what the call left of its last budget.
func (f *fuelState) end() {
	if left := uint32(f.budget.Get()); left <= f.given {
		f.used += uint64(f.given - left)
	} else {
		f.used += uint64(f.given)
	}
	f.metering, f.last = false, f.used
	// Unmetered code between calls (none runs today) would see a full
	// budget rather than zero.
	f.budget.Set(fuelChunk)
}

// FuelConsumed returns the fuel the instance's last outermost call used
// (InstanceConfig.Fuel), or 0 for an unmetered instance.
func (i *Instance) FuelConsumed() uint64 { return i.fuel.last }

// instrumenting reports whether the Runtime rewrites modules for
// interruption: unless NoInterrupts, and unless DebugInfo (the rewrite
// moves code, so DWARF positions would be wrong: with DebugInfo, wazero's
// own termination checks make guests interruptible).
func (cfg *Config) instrumenting() bool { return !cfg.NoInterrupts && !cfg.DebugInfo }

// interruptCacheMagic starts an entry of the rewritten-module cache:
// "wasmhive interrupt", the rewriter version, the module's memory minimum
// (4 bytes, little endian), then the rewritten module.
var interruptCacheMagic = fmt.Appendf(nil, "WHINTR%02d", interrupt.Version)

// instrument returns wasm prechecked and rewritten with interruption
// checks, and its memory minimum in pages. With the on-disk cache, the
// rewritten bytes are kept under the cache directory keyed by the SHA-256
// of wasm and the rewriter's version, so a warm start neither prechecks nor
// rewrites (the entry was made from bytes that passed both).
//
// file and fi, when file is not empty, are the file wasm was read from and
// its stat: the entry is then also indexed by the file's identity (see
// instrumentedByFile).
func (rt *Runtime) instrument(ctx context.Context, wasm []byte, file string, fi os.FileInfo) ([]byte, uint32, error) {
	var path, key string
	if rt.intrDir != "" {
		sum := sha256.Sum256(wasm)
		key = hex.EncodeToString(sum[:])
		path = filepath.Join(rt.intrDir, key+".wasm")
		if b, minPages, ok := readInstrumented(path); ok {
			if file != "" {
				rt.indexByFile(file, fi, key)
			}
			return b, minPages, nil
		}
	}
	pre, minPages, err := precheck(wasm)
	if err != nil {
		return nil, 0, err
	}
	// On as many goroutines as wazero compiles the functions on.
	out, err := interrupt.RewriteWorkers(pre, rt.cfg.CompilationWorkers)
	if err != nil {
		if errors.Is(err, interrupt.ErrReserved) {
			return nil, 0, err
		}
		// Let wazero judge the module first: its error is the one a user
		// expects for an invalid module.
		if cm, cerr := rt.wr.CompileModule(rt.compileCtx(ctx), pre); cerr != nil {
			if lerr := rt.memoryLimitError(cerr); lerr != nil {
				return nil, 0, lerr
			}
			return nil, 0, compileError(cerr)
		} else {
			cm.Close(ctx)
		}
		return nil, 0, fmt.Errorf("cannot add interruption checks (%v); it can only run with interrupts off", err)
	}
	if path != "" {
		rt.storeInstrumented(path, out, minPages)
		if file != "" {
			rt.indexByFile(file, fi, key)
		}
	}
	return out, minPages, nil
}

// readInstrumented reads the cache entry at path.
func readInstrumented(path string) ([]byte, uint32, bool) {
	b, err := os.ReadFile(path)
	n := len(interruptCacheMagic)
	if err != nil || len(b) <= n+4 || string(b[:n]) != string(interruptCacheMagic) {
		return nil, 0, false
	}
	return b[n+4:], binary.LittleEndian.Uint32(b[n:]), true
}

// fileIndexPath returns where the index entry of the file at path, with
// stat fi, is kept, or "" when the file cannot be identified without
// reading it.
func (rt *Runtime) fileIndexPath(path string, fi os.FileInfo) (string, time.Time) {
	if rt.intrDir == "" || fi == nil {
		return "", time.Time{}
	}
	id, ctime, ok := fileIdentity(fi)
	if !ok {
		return "", time.Time{}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", time.Time{}
	}
	sum := sha256.Sum256([]byte(abs + "\x00" + id))
	return filepath.Join(rt.intrDir, "by-file", hex.EncodeToString(sum[:16])), ctime
}

// instrumentedByFile returns the rewritten module of the file at path from
// the cache's index by file identity (device, inode, size, modification
// and change times): a warm start reads neither the module nor hashes it
// (SHA-256 of a 2.5 MB Go module is ~1.6 ms, as much as the rest of a warm
// start).
func (rt *Runtime) instrumentedByFile(path string, fi os.FileInfo) ([]byte, uint32, bool) {
	idx, _ := rt.fileIndexPath(path, fi)
	if idx == "" {
		return nil, 0, false
	}
	key, err := os.ReadFile(idx)
	if err != nil || len(key) != 64 {
		return nil, 0, false
	}
	return readInstrumented(filepath.Join(rt.intrDir, string(key)+".wasm"))
}

// indexByFile records that the file at path (stat fi) holds the module of
// cache key key. Only for a file whose last change is over 2 s old: any
// later change then moves its change time past it, so a changed file
// never matches the entry (a change within the file system's timestamp
// granularity of the entry's writing could otherwise go unseen, git's
// "racy" case).
func (rt *Runtime) indexByFile(path string, fi os.FileInfo, key string) {
	idx, ctime := rt.fileIndexPath(path, fi)
	if idx == "" || time.Since(ctime) < 2*time.Second {
		return
	}
	if err := os.MkdirAll(filepath.Dir(idx), 0o700); err != nil {
		return
	}
	f, err := os.CreateTemp(filepath.Dir(idx), ".tmp-*")
	if err != nil {
		return
	}
	_, err = f.WriteString(key)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), idx)
	}
	if err != nil {
		os.Remove(f.Name())
	}
}

// storeInstrumented writes a cache entry atomically (a temporary file
// renamed into place); failures are ignored: the cache only makes starts
// faster.
func (rt *Runtime) storeInstrumented(path string, out []byte, minPages uint32) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return
	}
	var hdr [4]byte
	binary.LittleEndian.PutUint32(hdr[:], minPages)
	_, err = f.Write(append(append([]byte{}, interruptCacheMagic...), hdr[:]...))
	if err == nil {
		_, err = f.Write(out)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
}
