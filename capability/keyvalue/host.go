package keyvalue

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/wasmhive/wasmhive/capability"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/capwire"
)

// Import modules of the keyvalue capability (docs/capabilities.md).
const (
	StoreModule   = "wasmhive:keyvalue/store"
	AtomicsModule = "wasmhive:keyvalue/atomics"
	BatchModule   = "wasmhive:keyvalue/batch"
)

// Defaults of a Binding's limits.
const (
	DefaultMaxValueBytes  = 1 << 20
	DefaultMaxKeysPerCall = 10000
)

// PageSize is the most keys one list_keys returns (fewer when the Binding's
// MaxKeysPerCall is smaller).
const PageSize = 1000

// Names of the limits a Binding enforces, as the app manifest spells them
// (the Limit of the *engine.LimitError that ends a call past one).
const (
	LimitValueBytes  = "keyvalue_value_bytes"
	LimitKeysPerCall = "keyvalue_keys_per_call"
)

// Binding is what one instance's keyvalue functions reach: its bucket and
// the limits of one call. A guest call that passes a limit ends with an
// *engine.LimitError (the host function panics with it, and the caller
// gets it from the call): a limit is not an ERROR reply for the guest to
// handle.
type Binding struct {
	// Bucket is the component's bucket.
	Bucket Bucket
	// Name is Bucket's name, which wasi:keyvalue's open accepts besides
	// "" and "default" (see Define); empty: only those two.
	Name string
	// MaxValueBytes caps a value set by the guest (set, compare_and_swap,
	// set_many); 0 means DefaultMaxValueBytes.
	MaxValueBytes int
	// MaxKeysPerCall caps the keys one call of the guest reads, writes,
	// deletes or lists, over all its keyvalue functions (a batch counts
	// each of its keys, list_keys the keys it returns); 0 means
	// DefaultMaxKeysPerCall.
	MaxKeysPerCall int
}

// keysPerCall counts the keys of each guest call.
var keysPerCall = engine.NewCallCounter(LimitKeysPerCall)

// countKeys adds n keys to the current call's count, and ends the call
// with a *engine.LimitError when that passes the limit. It runs before
// the store is touched, so a batch over the limit changes nothing.
func (b *Binding) countKeys(ctx context.Context, n int) {
	limit := uint64(b.maxKeys())
	if got := keysPerCall.Add(ctx, uint64(n)); got > limit {
		panic(&engine.LimitError{Limit: LimitKeysPerCall, Max: limit, Got: got})
	}
}

// pageSize is list_keys' page: PageSize, or the whole limit when smaller.
func (b *Binding) pageSize() int { return min(PageSize, b.maxKeys()) }

func (b *Binding) maxValue() int {
	if b.MaxValueBytes > 0 {
		return b.MaxValueBytes
	}
	return DefaultMaxValueBytes
}

func (b *Binding) maxKeys() int {
	if b.MaxKeysPerCall > 0 {
		return b.MaxKeysPerCall
	}
	return DefaultMaxKeysPerCall
}

var bindingKey = engine.NewKey[*Binding]("keyvalue")

// Attach binds b to the instances created from cfg, where the keyvalue
// host functions find it. An instance without a Binding gets an ERROR reply
// from every keyvalue function.
func Attach(cfg *engine.InstanceConfig, b *Binding) { bindingKey.Set(cfg, b) }

// functions lists the keyvalue functions by module, as docs/capabilities.md
// specifies them.
var functions = []struct {
	module, name string
	nargs        int
	f            hostFunc
}{
	{StoreModule, "get", 1, hostGet},
	{StoreModule, "set", 2, hostSet},
	{StoreModule, "delete", 1, hostDelete},
	{StoreModule, "exists", 1, hostExists},
	{StoreModule, "list_keys", 2, hostListKeys},
	{AtomicsModule, "increment", 2, hostIncrement},
	{AtomicsModule, "compare_and_swap", 3, hostCAS},
	{BatchModule, "get_many", 1, hostGetMany},
	{BatchModule, "set_many", 1, hostSetMany},
	{BatchModule, "delete_many", 1, hostDeleteMany},
}

// HostModules returns the host modules of wasmhive:keyvalue/store,
// /atomics and /batch, to add to a runtime with
// engine.Config.WithHostModule.
func HostModules() []engine.HostModule {
	var mods []engine.HostModule
	for _, name := range []string{StoreModule, AtomicsModule, BatchModule} {
		m := capability.HostModule{Name: name}
		for _, fn := range functions {
			if fn.module == name {
				m.Funcs = append(m.Funcs, capability.Function{Name: fn.name, NArgs: fn.nargs, Func: bound(fn.name, fn.f)})
			}
		}
		mods = append(mods, m)
	}
	return mods
}

// hostFunc is a keyvalue function with its instance's Binding found.
type hostFunc func(ctx context.Context, b *Binding, args [][]byte) []byte

// bound finds the calling instance's Binding for f; without one, or with a
// context already done, the reply is an ERROR.
func bound(name string, f hostFunc) capability.Func {
	return func(ctx context.Context, inst *engine.Instance, args [][]byte) []byte {
		b, _ := bindingKey.Of(inst)
		if b == nil || b.Bucket == nil {
			return capwire.Error("keyvalue " + name + ": no bucket is bound to this component (grant keyvalue in its manifest, or --grant keyvalue)")
		}
		if err := ctx.Err(); err != nil {
			return capwire.Error("keyvalue " + name + ": " + err.Error())
		}
		return f(ctx, b, args)
	}
}

// quote quotes a key for a message, cut to a readable length.
func quote(k string) string {
	if len(k) > 64 {
		return strconv.Quote(k[:64]) + "..."
	}
	return strconv.Quote(k)
}

func fail(op, key string, err error) []byte {
	return capwire.Error(failMsg(op, key, err))
}

// failMsg is the message of op's failure on key.
func failMsg(op, key string, err error) string {
	return fmt.Sprintf("keyvalue %s %s: %v", op, quote(key), err)
}

func failf(op, format string, a ...any) []byte {
	return capwire.Error("keyvalue " + op + ": " + fmt.Sprintf(format, a...))
}

// checkValue ends the call with a *engine.LimitError when v is over the
// value limit.
func (b *Binding) checkValue(v []byte) {
	if len(v) > b.maxValue() {
		panic(&engine.LimitError{Limit: LimitValueBytes, Max: uint64(b.maxValue()), Got: uint64(len(v))})
	}
}

func hostGet(ctx context.Context, b *Binding, args [][]byte) []byte {
	key := string(args[0])
	b.countKeys(ctx, 1)
	v, err := b.Bucket.Get(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return capwire.None()
	}
	if err != nil {
		return fail("get", key, err)
	}
	return capwire.OK(v)
}

func hostSet(ctx context.Context, b *Binding, args [][]byte) []byte {
	key := string(args[0])
	b.checkValue(args[1])
	b.countKeys(ctx, 1)
	if err := b.Bucket.Set(ctx, key, args[1]); err != nil {
		return fail("set", key, err)
	}
	return capwire.OK(nil)
}

func hostDelete(ctx context.Context, b *Binding, args [][]byte) []byte {
	key := string(args[0])
	b.countKeys(ctx, 1)
	if err := b.Bucket.Delete(ctx, key); err != nil {
		return fail("delete", key, err)
	}
	return capwire.OK(nil)
}

func hostExists(ctx context.Context, b *Binding, args [][]byte) []byte {
	key := string(args[0])
	b.countKeys(ctx, 1)
	ok, err := b.Bucket.Exists(ctx, key)
	if err != nil {
		return fail("exists", key, err)
	}
	return []byte{capwire.StatusOK, boolByte(ok)}
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

func hostListKeys(ctx context.Context, b *Binding, args [][]byte) []byte {
	prefix, cursor := string(args[0]), string(args[1])
	keys, next, err := b.Bucket.ListKeys(ctx, prefix, cursor, b.pageSize())
	if err != nil {
		return fail("list_keys", prefix, err)
	}
	b.countKeys(ctx, len(keys))
	n := 1 + 4 + len(next) + 4
	for _, k := range keys {
		n += 4 + len(k)
	}
	out := make([]byte, 1, n)
	out[0] = capwire.StatusOK
	out = capwire.AppendString(out, next)
	out = capwire.AppendU32(out, uint32(len(keys)))
	for _, k := range keys {
		out = capwire.AppendString(out, k)
	}
	return out
}

func hostIncrement(ctx context.Context, b *Binding, args [][]byte) []byte {
	key := string(args[0])
	if len(args[1]) != 8 {
		return fail("increment", key, fmt.Errorf("delta must be 8 bytes (a little-endian i64), got %d", len(args[1])))
	}
	b.countKeys(ctx, 1)
	delta := capwire.NewReader(args[1]).I64()
	n, err := b.Bucket.Increment(ctx, key, delta)
	if err != nil {
		return fail("increment", key, err)
	}
	return capwire.AppendI64([]byte{capwire.StatusOK}, n)
}

func hostCAS(ctx context.Context, b *Binding, args [][]byte) []byte {
	key := string(args[0])
	old := args[1]
	if len(old) == 0 {
		old = nil // handle 0: only if absent
	}
	b.checkValue(args[2])
	b.countKeys(ctx, 1)
	ok, err := b.Bucket.CompareAndSwap(ctx, key, old, args[2])
	if err != nil {
		return fail("compare_and_swap", key, err)
	}
	return []byte{capwire.StatusOK, boolByte(ok)}
}

// keyList decodes a list of keys (empty bytes: no keys), counting them
// against the call's limit before anything is allocated for them.
func (b *Binding) keyList(ctx context.Context, op string, arg []byte) ([]string, []byte) {
	if len(arg) == 0 {
		return nil, nil
	}
	r := capwire.NewReader(arg)
	n := r.Count(4)
	if r.Err() == nil {
		b.countKeys(ctx, n)
	}
	keys := make([]string, 0, n)
	for i := 0; i < n && r.Err() == nil; i++ {
		keys = append(keys, r.String())
	}
	if r.Err() != nil || r.Len() != 0 {
		return nil, failf(op, "malformed list of keys (u32 count, then u32 length and bytes for each key)")
	}
	return keys, nil
}

func hostGetMany(ctx context.Context, b *Binding, args [][]byte) []byte {
	keys, bad := b.keyList(ctx, "get_many", args[0])
	if bad != nil {
		return bad
	}
	es, err := b.Bucket.GetMany(ctx, keys)
	if err != nil {
		return failf("get_many", "%v", err)
	}
	if len(es) != len(keys) {
		return failf("get_many", "the store returned %d entries for %d keys", len(es), len(keys))
	}
	n := 1
	for _, e := range es {
		n += 1 + 4 + len(e.Value)
	}
	out := make([]byte, 1, n)
	out[0] = capwire.StatusOK
	for _, e := range es {
		out = append(out, boolByte(e.Found))
		out = capwire.AppendBytes(out, e.Value)
	}
	return out
}

func hostSetMany(ctx context.Context, b *Binding, args [][]byte) []byte {
	var entries []Entry
	if len(args[0]) > 0 {
		r := capwire.NewReader(args[0])
		n := r.Count(8)
		if r.Err() == nil {
			b.countKeys(ctx, n)
		}
		entries = make([]Entry, 0, n)
		for i := 0; i < n && r.Err() == nil; i++ {
			k := r.String()
			v := r.Bytes()
			entries = append(entries, Entry{Key: k, Value: v})
		}
		if r.Err() != nil || r.Len() != 0 {
			return failf("set_many", "malformed pair list (u32 count, then a key item and a value item for each pair)")
		}
	}
	for _, e := range entries {
		b.checkValue(e.Value)
	}
	if err := b.Bucket.SetMany(ctx, entries); err != nil {
		return failf("set_many", "%v", err)
	}
	return capwire.OK(nil)
}

func hostDeleteMany(ctx context.Context, b *Binding, args [][]byte) []byte {
	keys, bad := b.keyList(ctx, "delete_many", args[0])
	if bad != nil {
		return bad
	}
	if err := b.Bucket.DeleteMany(ctx, keys); err != nil {
		return failf("delete_many", "%v", err)
	}
	return capwire.OK(nil)
}
