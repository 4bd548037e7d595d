package keyvalue

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/engine"
)

// WITVersion is the version of wasi:keyvalue that Define serves. A
// pre-release version is matched exactly: components built against
// another draft (0.2.0-draft2) do not link.
const WITVersion = "0.2.0-draft"

// The wasi:keyvalue interfaces Define serves (wit/deps/keyvalue).
const (
	WITStore   = "wasi:keyvalue/store@" + WITVersion
	WITAtomics = "wasi:keyvalue/atomics@" + WITVersion
	WITBatch   = "wasi:keyvalue/batch@" + WITVersion
)

// DefaultBucketName is, besides "" and the Binding's Name, the identifier
// wasi:keyvalue's open accepts for the component's bucket.
const DefaultBucketName = "default"

// Cases of wasi:keyvalue/store's error variant, in declaration order.
// access-denied is never returned: a component without the grant is
// refused at load (and traps here).
const (
	witNoSuchStore  = 0
	witAccessDenied = 1
	witOther        = 2
)

// bucketRep is the representation of every bucket handle: a component has
// one bucket, its Binding's.
const bucketRep = 1

// maxCursors is how many list-keys cursors an instance remembers; an older
// cursor is an error.
const maxCursors = 64

// cursors are one component instance's list-keys cursors: the WIT cursor
// is a u64, the Bucket's the last key listed, so the instance keeps the
// keys and hands out their numbers.
type cursors struct {
	next uint64            // the number of the next cursor; cursors start at 1
	keys map[uint64]string // cursor number to the key to list after
}

var cursorsKey = engine.NewKey[*cursors]("keyvalue cursors")

// Define registers wasi:keyvalue 0.2.0-draft on l: the store interface's
// open and bucket resource, atomics' increment and batch's get-many,
// set-many and delete-many. They serve each component instance from the
// Binding attached (with Attach) to the engine.InstanceConfig it was
// instantiated with, with the same bucket, limits and errors as the host module's
// functions: a value over MaxValueBytes or a call past MaxKeysPerCall ends
// the call with an *engine.LimitError, counted per export call as for core
// modules; provider errors are error::other with the same message. An
// instance without a Binding traps: the Host refuses such imports at
// load, this is the belt.
//
// A component has exactly one bucket, its grant's: open of "", "default"
// (DefaultBucketName) or the Binding's Name gives it; any other identifier
// is error::no-such-store. list-keys returns pages of at most PageSize keys
// (fewer when MaxKeysPerCall is smaller), in byte order, leaving out keys
// that are not UTF-8 (core modules may set any bytes; a component string
// cannot hold them, nor could the component name them); its cursors are
// numbers the instance remembers (the last 64 it handed out).
func Define(l *linker.Linker) {
	for _, r := range witResources {
		l.Instance(r.iface).Resource(r.name, nil)
	}
	for _, f := range witFunctions {
		l.Instance(f.iface).Func(f.name, witFunc(f.iface, f.name, f.f))
	}
}

// witResources are the resource types Define defines (their handles need
// no destructor: every handle is the one bucket).
var witResources = []struct{ iface, name string }{
	{WITStore, "bucket"},
}

// witFunctions are the functions Define defines, by interface and
// component-level name.
var witFunctions = []struct {
	iface, name string
	f           witHostFunc
}{
	{WITStore, "open", witOpen},
	{WITStore, "[method]bucket.get", witGet},
	{WITStore, "[method]bucket.set", witSet},
	{WITStore, "[method]bucket.delete", witDelete},
	{WITStore, "[method]bucket.exists", witExists},
	{WITStore, "[method]bucket.list-keys", witListKeys},
	{WITAtomics, "increment", witIncrement},
	{WITBatch, "get-many", witGetMany},
	{WITBatch, "set-many", witSetMany},
	{WITBatch, "delete-many", witDeleteMany},
}

// witHostFunc is a wasi:keyvalue function with its instance's Binding
// found. A returned error traps the caller; failures the component is to
// handle are error variants in the result.
type witHostFunc func(ctx context.Context, b *Binding, inst *linker.Instance, args []canonical.Value) (canonical.Value, error)

// witFunc finds the calling instance's Binding for f; without one, the
// call traps.
func witFunc(iface, name string, f witHostFunc) linker.HostFunc {
	return func(ctx context.Context, inst *linker.Instance, args []canonical.Value) (canonical.Value, error) {
		b, _ := bindingKey.In(inst.Config())
		if b == nil || b.Bucket == nil {
			return nil, fmt.Errorf("%s#%s: keyvalue is not granted to this component (grant keyvalue in its manifest, or --grant keyvalue)", iface, name)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return f(ctx, b, inst, args)
	}
}

// witErr is err(error::other(msg)).
func witErr(msg string) canonical.Result {
	return canonical.Err(canonical.Variant{Case: witOther, Value: msg})
}

// argOf returns argument i as a T, or an error (which traps: the linker
// lifted the argument by the import's type, so a mismatch means the
// component imports the function with another type).
func argOf[T any](args []canonical.Value, i int) (T, error) {
	var zero T
	if i >= len(args) {
		return zero, fmt.Errorf("keyvalue: missing argument %d", i)
	}
	v, ok := args[i].(T)
	if !ok {
		return zero, fmt.Errorf("keyvalue: argument %d is %T, not %T", i, args[i], zero)
	}
	return v, nil
}

// checkBucketArg checks that argument i is a bucket handle.
func checkBucketArg(args []canonical.Value, i int) error {
	if i < len(args) {
		switch args[i].(type) {
		case canonical.Borrow, canonical.Own:
			return nil
		}
	}
	return fmt.Errorf("keyvalue: argument %d is not a bucket handle", i)
}

// keyArg returns the key argument (argument 1 of a
// method: argument 0 is the bucket).
func keyArg(args []canonical.Value) (string, error) {
	if err := checkBucketArg(args, 0); err != nil {
		return "", err
	}
	return argOf[string](args, 1)
}

func witOpen(_ context.Context, b *Binding, _ *linker.Instance, args []canonical.Value) (canonical.Value, error) {
	name, err := argOf[string](args, 0)
	if err != nil {
		return nil, err
	}
	if name != "" && name != DefaultBucketName && name != b.Name {
		return canonical.Err(canonical.Variant{Case: witNoSuchStore}), nil
	}
	return canonical.OK(canonical.Own{Rep: bucketRep}), nil
}

func witGet(ctx context.Context, b *Binding, _ *linker.Instance, args []canonical.Value) (canonical.Value, error) {
	key, err := keyArg(args)
	if err != nil {
		return nil, err
	}
	b.countKeys(ctx, 1)
	v, err := b.Bucket.Get(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return canonical.OK(canonical.None), nil
	}
	if err != nil {
		return witErr(failMsg("get", key, err)), nil
	}
	return canonical.OK(canonical.Some(v)), nil
}

func witSet(ctx context.Context, b *Binding, _ *linker.Instance, args []canonical.Value) (canonical.Value, error) {
	key, err := keyArg(args)
	if err != nil {
		return nil, err
	}
	v, err := argOf[[]byte](args, 2)
	if err != nil {
		return nil, err
	}
	b.checkValue(v)
	b.countKeys(ctx, 1)
	if err := b.Bucket.Set(ctx, key, v); err != nil {
		return witErr(failMsg("set", key, err)), nil
	}
	return canonical.OK(nil), nil
}

func witDelete(ctx context.Context, b *Binding, _ *linker.Instance, args []canonical.Value) (canonical.Value, error) {
	key, err := keyArg(args)
	if err != nil {
		return nil, err
	}
	b.countKeys(ctx, 1)
	if err := b.Bucket.Delete(ctx, key); err != nil {
		return witErr(failMsg("delete", key, err)), nil
	}
	return canonical.OK(nil), nil
}

func witExists(ctx context.Context, b *Binding, _ *linker.Instance, args []canonical.Value) (canonical.Value, error) {
	key, err := keyArg(args)
	if err != nil {
		return nil, err
	}
	b.countKeys(ctx, 1)
	ok, err := b.Bucket.Exists(ctx, key)
	if err != nil {
		return witErr(failMsg("exists", key, err)), nil
	}
	return canonical.OK(ok), nil
}

func witListKeys(ctx context.Context, b *Binding, inst *linker.Instance, args []canonical.Value) (canonical.Value, error) {
	if err := checkBucketArg(args, 0); err != nil {
		return nil, err
	}
	opt, err := argOf[canonical.Option](args, 1)
	if err != nil {
		return nil, err
	}
	cs, _ := cursorsKey.In(inst.Config())
	if cs == nil {
		cs = &cursors{next: 1, keys: map[uint64]string{}}
		cursorsKey.Set(inst.Config(), cs)
	}
	after := ""
	if opt.Some {
		n, ok := opt.Value.(uint64)
		if !ok {
			return nil, fmt.Errorf("keyvalue: list-keys cursor is %T, not u64", opt.Value)
		}
		after, ok = cs.keys[n]
		if !ok {
			return witErr(fmt.Sprintf("keyvalue list-keys: unknown cursor %d (cursors are those this instance's list-keys returned, the last %d of them)", n, maxCursors)), nil
		}
	}
	keys, next, err := b.Bucket.ListKeys(ctx, "", after, b.pageSize())
	if err != nil {
		return witErr("keyvalue list-keys: " + err.Error()), nil
	}
	b.countKeys(ctx, len(keys))
	list := make(canonical.List, 0, len(keys))
	for _, k := range keys {
		if utf8.ValidString(k) { // a component's strings are UTF-8: it could not name the others
			list = append(list, k)
		}
	}
	cursor := canonical.None
	if next != "" {
		n := cs.next
		cs.next++
		cs.keys[n] = next
		delete(cs.keys, n-maxCursors)
		cursor = canonical.Some(n)
	}
	return canonical.OK(canonical.Record{list, cursor}), nil
}

func witIncrement(ctx context.Context, b *Binding, _ *linker.Instance, args []canonical.Value) (canonical.Value, error) {
	key, err := keyArg(args)
	if err != nil {
		return nil, err
	}
	delta, err := argOf[uint64](args, 2)
	if err != nil {
		return nil, err
	}
	// The store's counters are int64 (the same counters modules see), and
	// the draft's u64 is their two's complement: a delta of 2^64-5 counts
	// down by 5, as u64 arithmetic modulo 2^64 does, and a negative
	// counter reads back as its bits. Leaving the int64 range is
	// ErrOverflow, as for modules.
	b.countKeys(ctx, 1)
	n, err := b.Bucket.Increment(ctx, key, int64(delta))
	if err != nil {
		return witErr(failMsg("increment", key, err)), nil
	}
	return canonical.OK(uint64(n)), nil
}

// keyListArg is argument i, a list<string>, counted against the call's
// limit before it is copied.
func (b *Binding) keyListArg(ctx context.Context, args []canonical.Value, i int) ([]string, error) {
	list, err := argOf[canonical.List](args, i)
	if err != nil {
		return nil, err
	}
	b.countKeys(ctx, len(list))
	keys := make([]string, len(list))
	for k, v := range list {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("keyvalue: key %d is %T, not a string", k, v)
		}
		keys[k] = s
	}
	return keys, nil
}

func witGetMany(ctx context.Context, b *Binding, _ *linker.Instance, args []canonical.Value) (canonical.Value, error) {
	if err := checkBucketArg(args, 0); err != nil {
		return nil, err
	}
	keys, err := b.keyListArg(ctx, args, 1)
	if err != nil {
		return nil, err
	}
	es, err := b.Bucket.GetMany(ctx, keys)
	if err != nil {
		return witErr("keyvalue get-many: " + err.Error()), nil
	}
	if len(es) != len(keys) {
		return witErr(fmt.Sprintf("keyvalue get-many: the store returned %d entries for %d keys", len(es), len(keys))), nil
	}
	out := make(canonical.List, len(es))
	for i, e := range es {
		if e.Found {
			out[i] = canonical.Some(canonical.Tuple{keys[i], e.Value})
		} else {
			out[i] = canonical.None
		}
	}
	return canonical.OK(out), nil
}

func witSetMany(ctx context.Context, b *Binding, _ *linker.Instance, args []canonical.Value) (canonical.Value, error) {
	if err := checkBucketArg(args, 0); err != nil {
		return nil, err
	}
	list, err := argOf[canonical.List](args, 1)
	if err != nil {
		return nil, err
	}
	b.countKeys(ctx, len(list))
	entries := make([]Entry, len(list))
	for i, v := range list {
		t, ok := v.(canonical.Tuple)
		if !ok || len(t) != 2 {
			return nil, fmt.Errorf("keyvalue: set-many entry %d is %T, not a (key, value) tuple", i, v)
		}
		k, ok1 := t[0].(string)
		val, ok2 := t[1].([]byte)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("keyvalue: set-many entry %d is (%T, %T), not (string, list<u8>)", i, t[0], t[1])
		}
		entries[i] = Entry{Key: k, Value: val}
	}
	for _, e := range entries {
		b.checkValue(e.Value)
	}
	if err := b.Bucket.SetMany(ctx, entries); err != nil {
		return witErr("keyvalue set-many: " + err.Error()), nil
	}
	return canonical.OK(nil), nil
}

func witDeleteMany(ctx context.Context, b *Binding, _ *linker.Instance, args []canonical.Value) (canonical.Value, error) {
	if err := checkBucketArg(args, 0); err != nil {
		return nil, err
	}
	keys, err := b.keyListArg(ctx, args, 1)
	if err != nil {
		return nil, err
	}
	if err := b.Bucket.DeleteMany(ctx, keys); err != nil {
		return witErr("keyvalue delete-many: " + err.Error()), nil
	}
	return canonical.OK(nil), nil
}
