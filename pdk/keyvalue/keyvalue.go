// Package keyvalue is the guest side of wasmhive's keyvalue capability
// (wasmhive:keyvalue/store, /atomics and /batch, docs/capabilities.md) for
// Go plugins built with package pdk:
//
//	n, err := keyvalue.Increment("hits", 1)
//	if err != nil {
//		return pdk.Return(err)
//	}
//
// Every function works on the component's own bucket, which the host
// chooses (grants.keyvalue.bucket in the app manifest). A component must be
// granted keyvalue: the host refuses to load a module importing these
// functions otherwise. Failures the host reports (a provider error, a limit
// passed) are *Error values carrying the host's message.
//
// Parameters and replies travel through the Extism kernel's memory blocks
// (alloc, length, free) and wasmhive's bulk copies (wasmhive:host/bulk):
// every wasmhive host has both, and a module importing wasmhive:keyvalue
// runs on wasmhive only anyway, so a call with one parameter costs seven
// host calls whatever the pdk's build tags. Replies the caller does not keep
// (Increment, Set, Exists...) are read into a buffer of the package, so those
// functions cost no allocation when they succeed.
//
// Outside GOOS=wasip1 the package compiles but its functions panic.
package keyvalue

import (
	"encoding/binary"
	"errors"
	"runtime"
	"unsafe"

	"github.com/wasmhive/wasmhive/internal/capwire"
)

// Error is a failure the host reported (an ERROR reply): a provider error,
// an invalid key, a value over the host's limit, a value Increment cannot
// add to...
type Error struct {
	Op      string // the function: "get", "increment", ...
	Message string // the host's message
}

// Error returns the host's message.
func (e *Error) Error() string { return e.Message }

// ErrMalformedReply is wrapped by the *Error for a reply that does not
// follow the ABI (a host speaking another version).
var ErrMalformedReply = errors.New("malformed reply from the host")

// Entry is one key and its value, for the batch functions.
type Entry struct {
	Key   string
	Value []byte
	Found bool // GetMany: whether the key is set
}

// ErrKernelMemoryFull is wrapped by the *Error of a call whose parameters
// did not fit in the host's kernel memory.
var ErrKernelMemoryFull = errors.New("the host's kernel memory is full")

// arg copies b into a new kernel block and returns its handle (0 for
// empty b, as the ABI reads it).
func arg(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	h := kernelAlloc(uint64(len(b)))
	if h == 0 {
		return 0, false
	}
	bulkWrite(h, uint64(uintptr(unsafe.Pointer(unsafe.SliceData(b)))), uint64(len(b)))
	runtime.KeepAlive(b)
	return h, true
}

// argString is arg for a string, without copying it first.
func argString(s string) (uint64, bool) {
	if len(s) == 0 {
		return 0, true
	}
	h := kernelAlloc(uint64(len(s)))
	if h == 0 {
		return 0, false
	}
	bulkWrite(h, uint64(uintptr(unsafe.Pointer(unsafe.StringData(s)))), uint64(len(s)))
	runtime.KeepAlive(s)
	return h, true
}

func release(h uint64) {
	if h != 0 {
		kernelFree(h)
	}
}

func noMemory(op string) error {
	return &Error{Op: op, Message: "keyvalue " + op + ": " + ErrKernelMemoryFull.Error()}
}

// reply reads and frees the reply block h of the function op, into new
// memory (the payload may be kept). An ERROR reply becomes an *Error.
func reply(op string, h uint64) (byte, []byte, error) {
	var b []byte
	if h != 0 {
		if n := kernelLength(h); n > 0 {
			b = make([]byte, n)
			bulkRead(h, uint64(uintptr(unsafe.Pointer(unsafe.SliceData(b)))), n)
		}
		kernelFree(h)
	}
	return parseReply(op, b)
}

// scratch receives the small replies whose payload the caller does not
// keep (Increment, Set, Exists...): reading them costs no allocation, which
// in a guest run with interruption checks costs dearly. A module is
// single-threaded and no call reads scratch after another one started.
var scratch [64]byte

// replyTemp is reply for a payload the caller uses before its next call of
// the package and then drops: small replies are read into scratch.
func replyTemp(op string, h uint64) (byte, []byte, error) {
	var n uint64
	if h != 0 {
		n = kernelLength(h)
	}
	if n > uint64(len(scratch)) || n == 0 {
		return replyLarge(op, h, n)
	}
	b := scratch[:n]
	bulkRead(h, uint64(uintptr(unsafe.Pointer(&scratch))), n)
	kernelFree(h)
	if b[0] > capwire.StatusNone {
		return parseReply(op, b) // an ERROR or a malformed reply
	}
	return b[0], b[1:], nil
}

// replyLarge is replyTemp for a reply that does not fit in scratch (or is
// empty, which is malformed).
//
//go:noinline
func replyLarge(op string, h, n uint64) (byte, []byte, error) {
	var b []byte
	if n > 0 {
		b = make([]byte, n)
		bulkRead(h, uint64(uintptr(unsafe.Pointer(unsafe.SliceData(b)))), n)
	}
	if h != 0 {
		kernelFree(h)
	}
	return parseReply(op, b)
}

func parseReply(op string, b []byte) (byte, []byte, error) {
	status, payload, err := capwire.ParseReply(b)
	if err != nil {
		return 0, nil, &Error{Op: op, Message: "keyvalue " + op + ": " + ErrMalformedReply.Error()}
	}
	if status == capwire.StatusError {
		return 0, nil, &Error{Op: op, Message: string(payload)}
	}
	return status, payload, nil
}

func malformed(op string) error {
	return &Error{Op: op, Message: "keyvalue " + op + ": " + ErrMalformedReply.Error()}
}

// Get returns the value of key and whether it is set.
func Get(key string) ([]byte, bool, error) {
	k, ok := argString(key)
	if !ok {
		return nil, false, noMemory("get")
	}
	status, v, err := reply("get", hostGet(k))
	release(k)
	if err != nil {
		return nil, false, err
	}
	if status == capwire.StatusNone {
		return nil, false, nil
	}
	return v, true, nil
}

// Set stores value under key.
func Set(key string, value []byte) error {
	k, ok1 := argString(key)
	v, ok2 := arg(value)
	if !ok1 || !ok2 {
		release(v)
		release(k)
		return noMemory("set")
	}
	_, _, err := replyTemp("set", hostSet(k, v))
	release(v)
	release(k)
	return err
}

// Delete removes key; deleting an absent key is not an error.
func Delete(key string) error {
	k, ok := argString(key)
	if !ok {
		return noMemory("delete")
	}
	_, _, err := replyTemp("delete", hostDelete(k))
	release(k)
	return err
}

// Exists reports whether key is set.
func Exists(key string) (bool, error) {
	k, ok := argString(key)
	if !ok {
		return false, noMemory("exists")
	}
	_, p, err := replyTemp("exists", hostExists(k))
	release(k)
	if err != nil {
		return false, err
	}
	return parseBool("exists", p)
}

func parseBool(op string, p []byte) (bool, error) {
	if len(p) != 1 || p[0] > 1 {
		return false, malformed(op)
	}
	return p[0] == 1, nil
}

// ListKeys returns the keys starting with prefix, in byte order, one page
// (the host's page size, 1000 by default) after cursor; pass "" to start
// and the returned cursor to continue. The cursor is "" after the last
// page.
func ListKeys(prefix, cursor string) (keys []string, next string, err error) {
	p, ok1 := argString(prefix)
	c, ok2 := argString(cursor)
	if !ok1 || !ok2 {
		release(c)
		release(p)
		return nil, "", noMemory("list_keys")
	}
	_, payload, err := reply("list_keys", hostListKeys(p, c))
	release(c)
	release(p)
	if err != nil {
		return nil, "", err
	}
	return parseListKeys(payload)
}

func parseListKeys(p []byte) ([]string, string, error) {
	r := capwire.NewReader(p)
	next := r.String()
	n := r.Count(4)
	keys := make([]string, 0, n)
	for i := 0; i < n && r.Err() == nil; i++ {
		keys = append(keys, r.String())
	}
	if r.Err() != nil || r.Len() != 0 {
		return nil, "", malformed("list_keys")
	}
	return keys, next, nil
}

// Increment adds delta to the integer stored at key (absent counts as 0)
// and returns the new value, atomically against every other caller. The
// value is stored as decimal text: Get reads "42".
func Increment(key string, delta int64) (int64, error) {
	k, ok := argString(key)
	// The delta travels in an 8-byte block, written by one store_u64.
	d := kernelAlloc(8)
	if !ok || d == 0 {
		return 0, incrementNoMemory(k, d)
	}
	kernelStoreU64(d, uint64(delta))
	_, p, err := replyTemp("increment", hostIncrement(k, d))
	kernelFree(d)
	release(k)
	if err != nil || len(p) != 8 {
		return 0, incrementFailed(err)
	}
	return int64(binary.LittleEndian.Uint64(p)), nil
}

//go:noinline
func incrementNoMemory(k, d uint64) error {
	release(d)
	release(k)
	return noMemory("increment")
}

//go:noinline
func incrementFailed(err error) error {
	if err != nil {
		return err
	}
	return malformed("increment")
}

// CompareAndSwap sets key to new if its value is old, atomically, and
// reports whether it did. An empty old means "only if key is absent" (so a
// key holding the empty value cannot be swapped from it).
func CompareAndSwap(key string, old, new []byte) (bool, error) {
	k, ok1 := argString(key)
	o, ok2 := arg(old)
	n, ok3 := arg(new)
	if !ok1 || !ok2 || !ok3 {
		release(n)
		release(o)
		release(k)
		return false, noMemory("compare_and_swap")
	}
	_, p, err := replyTemp("compare_and_swap", hostCompareAndSwap(k, o, n))
	release(n)
	release(o)
	release(k)
	if err != nil {
		return false, err
	}
	return parseBool("compare_and_swap", p)
}

func encodeKeys(keys []string) []byte {
	n := 4
	for _, k := range keys {
		n += 4 + len(k)
	}
	b := capwire.AppendU32(make([]byte, 0, n), uint32(len(keys)))
	for _, k := range keys {
		b = capwire.AppendString(b, k)
	}
	return b
}

// GetMany returns the values of keys, in order; Found tells which are set.
// The keys count against the component's keyvalue_keys_per_call limit
// (10000 by default); past it the call ends.
func GetMany(keys []string) ([]Entry, error) {
	m, ok := arg(encodeKeys(keys))
	if !ok {
		return nil, noMemory("get_many")
	}
	_, p, err := reply("get_many", hostGetMany(m))
	release(m)
	if err != nil {
		return nil, err
	}
	return parseGetMany(keys, p)
}

func parseGetMany(keys []string, p []byte) ([]Entry, error) {
	r := capwire.NewReader(p)
	out := make([]Entry, len(keys))
	for i := range keys {
		found := r.Byte()
		v := r.Bytes()
		if r.Err() != nil || found > 1 {
			return nil, malformed("get_many")
		}
		out[i] = Entry{Key: keys[i], Found: found == 1}
		if found == 1 {
			out[i].Value = v
		}
	}
	if r.Len() != 0 {
		return nil, malformed("get_many")
	}
	return out, nil
}

func encodePairs(entries []Entry) []byte {
	n := 4
	for _, e := range entries {
		n += 8 + len(e.Key) + len(e.Value)
	}
	b := capwire.AppendU32(make([]byte, 0, n), uint32(len(entries)))
	for _, e := range entries {
		b = capwire.AppendString(b, e.Key)
		b = capwire.AppendBytes(b, e.Value)
	}
	return b
}

// SetMany stores every entry's Value under its Key (not atomically as a
// whole). The keys count against the component's keyvalue_keys_per_call
// limit (10000 by default); past it the call ends.
func SetMany(entries []Entry) error {
	m, ok := arg(encodePairs(entries))
	if !ok {
		return noMemory("set_many")
	}
	_, _, err := replyTemp("set_many", hostSetMany(m))
	release(m)
	return err
}

// DeleteMany removes keys. The keys count against the component's
// keyvalue_keys_per_call limit (10000 by default); past it the call ends.
func DeleteMany(keys []string) error {
	m, ok := arg(encodeKeys(keys))
	if !ok {
		return noMemory("delete_many")
	}
	_, _, err := replyTemp("delete_many", hostDeleteMany(m))
	release(m)
	return err
}
