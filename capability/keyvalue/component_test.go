package keyvalue_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/capability/keyvalue"
	"github.com/wasmhive/wasmhive/capability/keyvalue/boltkv"
	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/cmtest"
)

// kvComponent is testdata/component/kv.wasm (see its kv.c): each export
// calls one wasi:keyvalue function and describes the result as a string.
type kvComponent struct {
	t    *testing.T
	inst *linker.Instance
}

// newKVComponent instantiates kv.wasm with b attached (none when nil).
func newKVComponent(t *testing.T, b *keyvalue.Binding) *kvComponent {
	t.Helper()
	inst := cmtest.Instantiate(t, "testdata/component/kv.wasm", keyvalue.Define, func(cfg *engine.InstanceConfig) {
		if b != nil {
			keyvalue.Attach(cfg, b)
		}
	})
	return &kvComponent{t: t, inst: inst}
}

// try calls export fn with args (canonical values or their Go forms).
func (k *kvComponent) try(fn string, args ...any) (string, error) {
	f, err := k.inst.Func(fn)
	if err != nil {
		k.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return linker.Call[string](ctx, f, args...)
}

// call is try for a call that must not fail.
func (k *kvComponent) call(fn string, args ...any) string {
	k.t.Helper()
	out, err := k.try(fn, args...)
	if err != nil {
		k.t.Fatalf("%s%v: %v", fn, args, err)
	}
	return out
}

// expect calls fn and checks its description.
func (k *kvComponent) expect(want, fn string, args ...any) {
	k.t.Helper()
	if got := k.call(fn, args...); got != want {
		k.t.Errorf("%s%q = %q, want %q", fn, args, got, want)
	}
}

// newBucket opens bucket name of a bolt store in t.TempDir().
func newBucket(t *testing.T, name string) keyvalue.Bucket {
	t.Helper()
	s, err := boltkv.Open(filepath.Join(t.TempDir(), "kv.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	b, err := s.Open(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func getString(t *testing.T, b keyvalue.Bucket, key string) string {
	t.Helper()
	v, err := b.Get(context.Background(), key)
	if err != nil {
		return "error: " + err.Error()
	}
	return string(v)
}

// TestComponentStore: a component's store operations land in the bucket a
// core module of the same grant reads, and it reads what was written
// there; open gives the one bucket by "", "default" or its name only.
func TestComponentStore(t *testing.T) {
	ctx := context.Background()
	bucket := newBucket(t, "orders")
	k := newKVComponent(t, &keyvalue.Binding{Bucket: bucket, Name: "orders"})

	k.expect("err:no-such-store", "open", "other")
	k.expect("err:no-such-store", "open", "Orders")
	for _, name := range []string{"", "default", "orders"} {
		k.expect("ok", "open", name)
	}
	k.expect("ok", "set", "greeting", []byte("hello"))
	if got := getString(t, bucket, "greeting"); got != "hello" {
		t.Errorf("the bucket has greeting = %q after the component's set", got)
	}
	if err := bucket.Set(ctx, "from-core", []byte{0, 1, 2}); err != nil {
		t.Fatal(err)
	}
	k.expect("some:\x00\x01\x02", "get", "from-core")
	k.expect("ok", "set", "empty", []byte{})
	k.expect("some:", "get", "empty")
	k.expect("none", "get", "absent")
	k.expect("true", "exists", "greeting")
	k.expect("false", "exists", "absent")
	k.expect("ok", "delete", "greeting")
	k.expect("ok", "delete", "greeting") // absent: not an error
	if ok, err := bucket.Exists(ctx, "greeting"); err != nil || ok {
		t.Errorf("greeting exists = %v, %v after the component's delete", ok, err)
	}
	k.expect("none", "get", "greeting")

	// Provider errors are error::other with the host module's message.
	k.expect(`err:other:keyvalue get "": invalid key: empty`, "get", "")
	long := strings.Repeat("k", keyvalue.MaxKeyBytes+1)
	if got := k.call("set", long, []byte("v")); !strings.HasPrefix(got, "err:other:keyvalue set ") || !strings.Contains(got, "invalid key") {
		t.Errorf("set of a %d-byte key = %q", len(long), got)
	}

	// Dropping the handle and opening again works; the data stays.
	k.expect("ok", "close")
	k.expect("ok", "open", "default")
	k.expect("some:\x00\x01\x02", "get", "from-core")
}

// TestComponentOpenWithoutName: a Binding without Name opens by "" and
// "default" only.
func TestComponentOpenWithoutName(t *testing.T) {
	k := newKVComponent(t, &keyvalue.Binding{Bucket: newBucket(t, "b")})
	k.expect("err:no-such-store", "open", "b")
	k.expect("ok", "open", "")
	k.expect("ok", "open", "default")
}

// TestComponentListKeys: list-keys pages through the bucket with
// PageSize keys a page, in byte order, following its cursors to the end;
// a cursor it did not hand out is an error.
func TestComponentListKeys(t *testing.T) {
	ctx := context.Background()
	bucket := newBucket(t, "many")
	const n = 2*keyvalue.PageSize + 17
	var want []string
	var entries []keyvalue.Entry
	for i := range n {
		key := fmt.Sprintf("key-%05d", i)
		want = append(want, key)
		entries = append(entries, keyvalue.Entry{Key: key, Value: []byte("v")})
	}
	if err := bucket.SetMany(ctx, entries); err != nil {
		t.Fatal(err)
	}
	k := newKVComponent(t, &keyvalue.Binding{Bucket: bucket})
	k.expect("ok", "open", "")
	var got []string
	cursor := canonical.None
	pages := 0
	for {
		out := k.call("list-keys", cursor)
		keys, next, ok := strings.Cut(out, ";cursor=")
		if !ok {
			t.Fatalf("list-keys = %.100q", out)
		}
		page := strings.Split(keys, ",")
		pages++
		if len(page) > keyvalue.PageSize {
			t.Fatalf("page %d has %d keys", pages, len(page))
		}
		got = append(got, page...)
		if next == "none" {
			break
		}
		var c uint64
		if _, err := fmt.Sscan(next, &c); err != nil {
			t.Fatalf("cursor %q: %v", next, err)
		}
		cursor = canonical.Some(c)
		if pages > 10 {
			t.Fatal("list-keys does not end")
		}
	}
	if pages != 3 || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%d pages, %d keys; want 3 pages and the %d keys in order", pages, len(got), n)
	}
	if out := k.call("list-keys", canonical.Some(uint64(999))); !strings.HasPrefix(out, "err:other:keyvalue list-keys: unknown cursor 999") {
		t.Errorf("list-keys of an unknown cursor = %q", out)
	}
	// Keys that are not UTF-8 (a core module may set any bytes) are left
	// out, not a trap.
	if err := bucket.Set(ctx, "key-\xff", nil); err != nil {
		t.Fatal(err)
	}
	k.expect("ok", "open", "")
	out := k.call("list-keys", canonical.Some(uint64(2)))
	if !strings.HasSuffix(out, ",key-02016;cursor=none") || strings.Count(out, ",") != n-2*keyvalue.PageSize-1 {
		t.Errorf("the last page with a non-UTF-8 key = ...%q", out[max(0, len(out)-40):])
	}

	// An empty bucket: no keys, no cursor.
	e := newKVComponent(t, &keyvalue.Binding{Bucket: newBucket(t, "empty")})
	e.expect("ok", "open", "")
	e.expect(";cursor=none", "list-keys", canonical.None)
}

// TestComponentIncrement: increment is Bucket.Increment on the same
// counter core modules see, in two's complement; errors are error::other.
func TestComponentIncrement(t *testing.T) {
	ctx := context.Background()
	bucket := newBucket(t, "counters")
	k := newKVComponent(t, &keyvalue.Binding{Bucket: bucket})
	k.expect("ok", "open", "")
	k.expect("5", "increment", "hits", uint64(5))
	if got := getString(t, bucket, "hits"); got != "5" {
		t.Errorf("hits = %q in the bucket", got)
	}
	if n, err := bucket.Increment(ctx, "hits", 10); err != nil || n != 15 {
		t.Fatalf("Bucket.Increment = %d, %v", n, err)
	}
	k.expect("16", "increment", "hits", uint64(1))
	k.expect("16", "increment", "hits", uint64(0))
	if err := bucket.Set(ctx, "text", []byte("abc")); err != nil {
		t.Fatal(err)
	}
	k.expect(`err:other:keyvalue increment "text": value is not a decimal integer`, "increment", "text", uint64(1))
	// u64 is the int64 counter's two's complement: a delta of 2^64-5
	// counts down by 5, a negative counter comes back as its bits.
	k.expect("11", "increment", "hits", ^uint64(4))
	if got := getString(t, bucket, "hits"); got != "11" {
		t.Errorf("hits = %q in the bucket after counting down", got)
	}
	if err := bucket.Set(ctx, "neg", []byte("-10")); err != nil {
		t.Fatal(err)
	}
	k.expect("18446744073709551607", "increment", "neg", uint64(1)) // -9
	k.expect("1", "increment", "neg", uint64(10))
	// Leaving the int64 range is the overflow modules get.
	if err := bucket.Set(ctx, "big", []byte("9223372036854775807")); err != nil {
		t.Fatal(err)
	}
	k.expect(`err:other:keyvalue increment "big": increment would overflow int64`, "increment", "big", uint64(1))
}

// TestComponentBatch: get-many, set-many and delete-many on the shared
// bucket.
func TestComponentBatch(t *testing.T) {
	ctx := context.Background()
	bucket := newBucket(t, "batch")
	k := newKVComponent(t, &keyvalue.Binding{Bucket: bucket})
	k.expect("ok", "open", "")
	entries := canonical.List{
		canonical.Tuple{"a", []byte("1")},
		canonical.Tuple{"b", []byte("22")},
		canonical.Tuple{"c", []byte{}},
	}
	k.expect("ok", "set-many", entries)
	for key, want := range map[string]string{"a": "1", "b": "22", "c": ""} {
		if got := getString(t, bucket, key); got != want {
			t.Errorf("%s = %q in the bucket, want %q", key, got, want)
		}
	}
	if err := bucket.Set(ctx, "d", []byte("core")); err != nil {
		t.Fatal(err)
	}
	k.expect("a=1,-,b=22,c=,d=core", "get-many", canonical.List{"a", "zz", "b", "c", "d"})
	k.expect("", "get-many", canonical.List{})
	k.expect("ok", "delete-many", canonical.List{"a", "zz", "d"})
	k.expect("-,b=22,-", "get-many", canonical.List{"a", "b", "d"})
	if ok, _ := bucket.Exists(ctx, "a"); ok {
		t.Error("a exists after delete-many")
	}
	k.expect(`err:other:keyvalue get-many: invalid key: empty`, "get-many", canonical.List{"b", ""})
}

// TestComponentLimits: the value and keys-per-call limits end the export
// call with the same *engine.LimitError as for core modules, before the
// store is touched; keys are counted per export call.
func TestComponentLimits(t *testing.T) {
	ctx := context.Background()
	bucket := newBucket(t, "limits")
	b := &keyvalue.Binding{Bucket: bucket, MaxValueBytes: 8, MaxKeysPerCall: 3}

	k := newKVComponent(t, b)
	k.expect("ok", "open", "")
	k.expect("ok", "set", "fits", []byte("12345678"))
	_, err := k.try("set", "big", []byte("123456789"))
	limitError(t, err, keyvalue.LimitValueBytes, 8, 9)
	if ok, _ := bucket.Exists(ctx, "big"); ok {
		t.Error("the value over the limit was stored")
	}
	if !k.inst.Broken() {
		t.Error("the instance is usable after a limit")
	}

	k = newKVComponent(t, b)
	k.expect("ok", "open", "")
	// Three keys a call, again and again: each call counts from zero.
	for range 3 {
		k.expect("-,-,-", "get-many", canonical.List{"x", "y", "z"})
	}
	_, err = k.try("set-many", canonical.List{
		canonical.Tuple{"p", []byte("1")}, canonical.Tuple{"q", []byte("1")},
		canonical.Tuple{"r", []byte("1")}, canonical.Tuple{"s", []byte("1")},
	})
	limitError(t, err, keyvalue.LimitKeysPerCall, 3, 4)
	if ok, _ := bucket.Exists(ctx, "p"); ok {
		t.Error("a batch over the limit changed the store")
	}

	// list-keys counts the keys it returns.
	for _, key := range []string{"k1", "k2", "k3", "k4"} {
		if err := bucket.Set(ctx, key, nil); err != nil {
			t.Fatal(err)
		}
	}
	k = newKVComponent(t, &keyvalue.Binding{Bucket: bucket, MaxKeysPerCall: 3})
	k.expect("ok", "open", "")
	k.expect("fits,k1,k2;cursor=1", "list-keys", canonical.None)
	k.expect("k3,k4;cursor=none", "list-keys", canonical.Some(uint64(1)))

	// A value over the limit in set-many.
	k = newKVComponent(t, b)
	k.expect("ok", "open", "")
	_, err = k.try("set-many", canonical.List{canonical.Tuple{"v", []byte("0123456789")}})
	limitError(t, err, keyvalue.LimitValueBytes, 8, 10)
}

// TestComponentNotGranted: without a Binding, open traps with one line
// saying keyvalue is not granted.
func TestComponentNotGranted(t *testing.T) {
	k := newKVComponent(t, nil)
	_, err := k.try("open", "")
	if err == nil || !strings.Contains(err.Error(), "wasi:keyvalue/store@0.2.0-draft#open: keyvalue is not granted to this component") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("open without a binding: %v", err)
	}
	if !k.inst.Broken() {
		t.Error("the instance is usable after the trap")
	}
}
