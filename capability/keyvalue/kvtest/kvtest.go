// Package kvtest is the conformance suite of the keyvalue contract: every
// provider runs it against its real backend, so components see the same
// behaviour whichever store the host uses.
//
//	func TestConformance(t *testing.T) {
//		kvtest.Run(t, func(t *testing.T) keyvalue.Store { return openMyStore(t) })
//	}
package kvtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/capability/keyvalue"
)

// Run checks every Bucket method of the stores newStore makes. newStore is
// called once per subtest; it may return stores sharing one backend (each
// subtest uses buckets of its own) and should close the store at the
// test's cleanup (Run closes it too; Close must tolerate being called
// twice).
func Run(t *testing.T, newStore func(t *testing.T) keyvalue.Store) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			t.Cleanup(func() { s.Close() })
			c.f(t, s)
		})
	}
}

var cases = []struct {
	name string
	f    func(t *testing.T, s keyvalue.Store)
}{
	{"GetSetDelete", testGetSetDelete},
	{"EmptyValue", testEmptyValue},
	{"OddKeysAndBinaryValues", testOddKeys},
	{"InvalidKeys", testInvalidKeys},
	{"LargeValue", testLargeValue},
	{"ListKeysPaging", testListKeysPaging},
	{"ListKeysCursors", testListKeysCursors},
	{"Increment", testIncrement},
	{"IncrementNotInteger", testIncrementNotInteger},
	{"IncrementConcurrent", testIncrementConcurrent},
	{"CompareAndSwap", testCompareAndSwap},
	{"CompareAndSwapConcurrent", testCompareAndSwapConcurrent},
	{"Batch", testBatch},
	{"BucketIsolation", testBucketIsolation},
	{"InvalidBucketNames", testInvalidBuckets},
	{"Context", testContext},
	{"Closed", testClosed},
}

var seq atomic.Int64

// open opens a bucket whose name no other subtest (or earlier run against
// the same backend) uses.
func open(t *testing.T, s keyvalue.Store, tag string) keyvalue.Bucket {
	t.Helper()
	name := fmt.Sprintf("kvt_%s_%d_%d", tag, time.Now().UnixNano()%1e9, seq.Add(1))
	b, err := s.Open(ctx(t), name)
	if err != nil {
		t.Fatalf("Open(%q): %v", name, err)
	}
	return b
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func mustSet(t *testing.T, b keyvalue.Bucket, k string, v []byte) {
	t.Helper()
	if err := b.Set(ctx(t), k, v); err != nil {
		t.Fatalf("Set(%q): %v", k, err)
	}
}

func wantValue(t *testing.T, b keyvalue.Bucket, k string, want []byte) {
	t.Helper()
	got, err := b.Get(ctx(t), k)
	if err != nil {
		t.Fatalf("Get(%q): %v", k, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%q) = %q, want %q", k, trim(got), trim(want))
	}
	if got == nil {
		t.Fatalf("Get(%q) returned a nil value for a set key", k)
	}
}

func wantAbsent(t *testing.T, b keyvalue.Bucket, k string) {
	t.Helper()
	if v, err := b.Get(ctx(t), k); !errors.Is(err, keyvalue.ErrNotFound) {
		t.Fatalf("Get(%q) = %q, %v; want ErrNotFound", k, trim(v), err)
	}
	if ok, err := b.Exists(ctx(t), k); err != nil || ok {
		t.Fatalf("Exists(%q) = %v, %v; want false", k, ok, err)
	}
}

func trim(b []byte) []byte {
	if len(b) > 64 {
		return append(b[:64:64], "..."...)
	}
	return b
}

func testGetSetDelete(t *testing.T, s keyvalue.Store) {
	b := open(t, s, "gsd")
	wantAbsent(t, b, "k")
	mustSet(t, b, "k", []byte("v1"))
	wantValue(t, b, "k", []byte("v1"))
	if ok, err := b.Exists(ctx(t), "k"); err != nil || !ok {
		t.Fatalf("Exists(k) = %v, %v; want true", ok, err)
	}
	mustSet(t, b, "k", []byte("v2"))
	wantValue(t, b, "k", []byte("v2"))

	// The store keeps its own copy of the value.
	buf := []byte("abc")
	mustSet(t, b, "copy", buf)
	copy(buf, "xyz")
	wantValue(t, b, "copy", []byte("abc"))
	got, _ := b.Get(ctx(t), "copy")
	copy(got, "zzz")
	wantValue(t, b, "copy", []byte("abc"))

	if err := b.Delete(ctx(t), "k"); err != nil {
		t.Fatalf("Delete(k): %v", err)
	}
	wantAbsent(t, b, "k")
	if err := b.Delete(ctx(t), "k"); err != nil {
		t.Fatalf("Delete of an absent key: %v", err)
	}
	if err := b.Delete(ctx(t), "never-set"); err != nil {
		t.Fatalf("Delete of a never-set key: %v", err)
	}
	// A deleted key can be set again.
	mustSet(t, b, "k", []byte("v3"))
	wantValue(t, b, "k", []byte("v3"))
}

func testEmptyValue(t *testing.T, s keyvalue.Store) {
	b := open(t, s, "empty")
	mustSet(t, b, "e", []byte{})
	wantValue(t, b, "e", []byte{})
	mustSet(t, b, "n", nil)
	wantValue(t, b, "n", []byte{})
	if ok, err := b.Exists(ctx(t), "e"); err != nil || !ok {
		t.Fatalf("Exists of an empty value = %v, %v; want true", ok, err)
	}
	keys, _, err := b.ListKeys(ctx(t), "", "", 10)
	if err != nil || !slices.Equal(keys, []string{"e", "n"}) {
		t.Fatalf("ListKeys = %q, %v; want [e n]", keys, err)
	}
	es, err := b.GetMany(ctx(t), []string{"e", "x"})
	if err != nil || !es[0].Found || len(es[0].Value) != 0 || es[1].Found {
		t.Fatalf("GetMany(e, x) = %+v, %v", es, err)
	}
}

// oddKeys are keys that some backend cannot take as they are.
var oddKeys = []string{
	"a", "user:42", "a/b/c", "with space", "dot.ted", ".lead", "trail.", "two..dots", "...",
	"*", ">", "a.*", "a.>", "eq=ual", "=3A", "under_score", "per%cent", "back\\slash",
	"glob[ab]?*", "tab\tnewline\n", "ünïcödé", "日本", "nul\x00byte", "\xff\xfe", "\x01", "-", "_",
	"$KV.x", "CAPS", "caps",
}

func testOddKeys(t *testing.T, s keyvalue.Store) {
	b := open(t, s, "odd")
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	for i, k := range oddKeys {
		mustSet(t, b, k, append([]byte(k), all[:i]...))
	}
	for i, k := range oddKeys {
		wantValue(t, b, k, append([]byte(k), all[:i]...))
	}
	want := slices.Clone(oddKeys)
	sort.Strings(want)
	keys := listAll(t, b, "", 7)
	if !slices.Equal(keys, want) {
		t.Fatalf("ListKeys of odd keys:\n got %q\nwant %q", keys, want)
	}
	for _, p := range []string{"a", "a.", "=", "\xff", "two.", "日", "glob[", "glob[ab]", "*", "a.*", "back\\", "?"} {
		var w []string
		for _, k := range want {
			if strings.HasPrefix(k, p) {
				w = append(w, k)
			}
		}
		if got := listAll(t, b, p, 2); !slices.Equal(got, w) {
			t.Errorf("ListKeys(prefix %q) = %q, want %q", p, got, w)
		}
	}
	// The longest valid key, of the characters that grow most when escaped.
	long := strings.Repeat(":", keyvalue.MaxKeyBytes)
	mustSet(t, b, long, []byte("long"))
	wantValue(t, b, long, []byte("long"))
	if n, err := b.Increment(ctx(t), long, 0); !errors.Is(err, keyvalue.ErrNotInteger) {
		t.Fatalf("Increment of a non-integer long key: %d, %v", n, err)
	}
	if got := listAll(t, b, ":::", 5); !slices.Equal(got, []string{long}) {
		t.Fatalf("ListKeys(:::) = %d keys, want the long key", len(got))
	}
	for _, k := range oddKeys {
		if err := b.Delete(ctx(t), k); err != nil {
			t.Fatalf("Delete(%q): %v", k, err)
		}
		wantAbsent(t, b, k)
	}
}

func testInvalidKeys(t *testing.T, s keyvalue.Store) {
	b := open(t, s, "inv")
	for _, k := range []string{"", strings.Repeat("k", keyvalue.MaxKeyBytes+1)} {
		c := ctx(t)
		check := func(op string, err error) {
			t.Helper()
			if !errors.Is(err, keyvalue.ErrInvalidKey) {
				t.Errorf("%s of a %d-byte key: %v, want ErrInvalidKey", op, len(k), err)
			}
		}
		_, err := b.Get(c, k)
		check("Get", err)
		check("Set", b.Set(c, k, []byte("v")))
		check("Delete", b.Delete(c, k))
		_, err = b.Exists(c, k)
		check("Exists", err)
		_, err = b.Increment(c, k, 1)
		check("Increment", err)
		_, err = b.CompareAndSwap(c, k, nil, []byte("v"))
		check("CompareAndSwap", err)
		_, err = b.GetMany(c, []string{"ok", k})
		check("GetMany", err)
		check("SetMany", b.SetMany(c, []keyvalue.Entry{{Key: "ok", Value: []byte("v")}, {Key: k, Value: []byte("v")}}))
		check("DeleteMany", b.DeleteMany(c, []string{"ok", k}))
	}
	// SetMany refuses the whole batch before writing any of it.
	wantAbsent(t, b, "ok")
	mustSet(t, b, strings.Repeat("k", keyvalue.MaxKeyBytes), []byte("max"))
}

func testLargeValue(t *testing.T, s keyvalue.Store) {
	b := open(t, s, "large")
	v := make([]byte, 1<<20)
	for i := range v {
		v[i] = byte(i * 7)
	}
	mustSet(t, b, "big", v)
	wantValue(t, b, "big", v)
}

// listAll pages through every key with prefix, limit at a time, checking
// each page's size and cursor.
func listAll(t *testing.T, b keyvalue.Bucket, prefix string, limit int) []string {
	t.Helper()
	var all []string
	cursor := ""
	for page := 0; ; page++ {
		keys, next, err := b.ListKeys(ctx(t), prefix, cursor, limit)
		if err != nil {
			t.Fatalf("ListKeys(%q, %q, %d): %v", prefix, cursor, limit, err)
		}
		if len(keys) > limit {
			t.Fatalf("ListKeys(%q, %q, %d) returned %d keys", prefix, cursor, limit, len(keys))
		}
		all = append(all, keys...)
		if next == "" {
			return all
		}
		if len(keys) != limit {
			t.Fatalf("ListKeys(%q, %q, %d): a page of %d keys with more to come (next %q)", prefix, cursor, limit, len(keys), next)
		}
		if next != keys[len(keys)-1] {
			t.Fatalf("ListKeys: next cursor %q is not the page's last key %q", next, keys[len(keys)-1])
		}
		cursor = next
		if page > 10000 {
			t.Fatal("ListKeys does not end")
		}
	}
}

func testListKeysPaging(t *testing.T, s keyvalue.Store) {
	b := open(t, s, "list")
	var want []string
	var entries []keyvalue.Entry
	for i := 0; i < 57; i++ {
		k := fmt.Sprintf("p/%03d", i)
		want = append(want, k)
		entries = append(entries, keyvalue.Entry{Key: k, Value: []byte(strconv.Itoa(i))})
	}
	// Byte order, not insertion or numeric order; keys around the prefix.
	extra := []string{"p", "p/", "p/\xff", "p0", "o/999", "q/000", "P/000"}
	for _, k := range extra {
		entries = append(entries, keyvalue.Entry{Key: k, Value: []byte("x")})
	}
	slices.Reverse(entries)
	if err := b.SetMany(ctx(t), entries); err != nil {
		t.Fatal(err)
	}
	want = append(want, "p/", "p/\xff")
	sort.Strings(want)
	for _, limit := range []int{1, 10, 19, 59, 60, 1000} {
		if got := listAll(t, b, "p/", limit); !slices.Equal(got, want) {
			t.Fatalf("ListKeys(p/, limit %d):\n got %q\nwant %q", limit, got, want)
		}
	}
	all := listAll(t, b, "", 25)
	if len(all) != 57+len(extra) || !sort.StringsAreSorted(all) {
		t.Fatalf("ListKeys(all) = %d keys (sorted %v), want %d", len(all), sort.StringsAreSorted(all), 57+len(extra))
	}
	// Exactly limit keys left: no cursor.
	keys, next, err := b.ListKeys(ctx(t), "p/", "", len(want))
	if err != nil || len(keys) != len(want) || next != "" {
		t.Fatalf("ListKeys with limit = the number of keys: %d keys, next %q, %v", len(keys), next, err)
	}
	// No key with the prefix.
	keys, next, err = b.ListKeys(ctx(t), "zzz", "", 10)
	if err != nil || len(keys) != 0 || next != "" {
		t.Fatalf("ListKeys(zzz) = %q, %q, %v", keys, next, err)
	}
	// limit 0 means 1.
	keys, next, err = b.ListKeys(ctx(t), "p/", "", 0)
	if err != nil || len(keys) != 1 || keys[0] != want[0] || next != want[0] {
		t.Fatalf("ListKeys(limit 0) = %q, %q, %v", keys, next, err)
	}
}

func testListKeysCursors(t *testing.T, s keyvalue.Store) {
	b := open(t, s, "cursor")
	for _, k := range []string{"a1", "a3", "a5", "b1", "b2"} {
		mustSet(t, b, k, []byte("v"))
	}
	for _, c := range []struct {
		prefix, cursor string
		want           []string
	}{
		{"a", "a1", []string{"a3", "a5"}},
		{"a", "a2", []string{"a3", "a5"}}, // a cursor that is not a key
		{"a", "a5", nil},
		{"a", "", []string{"a1", "a3", "a5"}},
		{"b", "a3", []string{"b1", "b2"}}, // a cursor before the prefix
		{"a", "b", nil},                   // a cursor after the prefix
		{"", "a5", []string{"b1", "b2"}},
	} {
		keys, next, err := b.ListKeys(ctx(t), c.prefix, c.cursor, 10)
		if err != nil || !slices.Equal(keys, c.want) || next != "" {
			t.Errorf("ListKeys(%q, %q) = %q, %q, %v; want %q", c.prefix, c.cursor, keys, next, err, c.want)
		}
	}
	// A key added behind the cursor is not seen; one ahead of it is.
	keys, next, _ := b.ListKeys(ctx(t), "a", "", 1)
	mustSet(t, b, "a0", []byte("v"))
	mustSet(t, b, "a4", []byte("v"))
	rest := listAllFrom(t, b, "a", next, 1)
	if got := append(keys, rest...); !slices.Equal(got, []string{"a1", "a3", "a4", "a5"}) {
		t.Fatalf("paging across writes = %q", got)
	}
}

func listAllFrom(t *testing.T, b keyvalue.Bucket, prefix, cursor string, limit int) []string {
	var all []string
	for {
		keys, next, err := b.ListKeys(ctx(t), prefix, cursor, limit)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, keys...)
		if next == "" {
			return all
		}
		cursor = next
	}
}

func incr(t *testing.T, b keyvalue.Bucket, k string, d int64) int64 {
	t.Helper()
	n, err := b.Increment(ctx(t), k, d)
	if err != nil {
		t.Fatalf("Increment(%q, %d): %v", k, d, err)
	}
	return n
}

func testIncrement(t *testing.T, s keyvalue.Store) {
	b := open(t, s, "incr")
	if n := incr(t, b, "c", 5); n != 5 {
		t.Fatalf("Increment of an absent key = %d, want 5", n)
	}
	if n := incr(t, b, "c", 1); n != 6 {
		t.Fatalf("Increment = %d, want 6", n)
	}
	if n := incr(t, b, "c", -10); n != -4 {
		t.Fatalf("Increment = %d, want -4", n)
	}
	if n := incr(t, b, "c", 0); n != -4 {
		t.Fatalf("Increment by 0 = %d, want -4", n)
	}
	wantValue(t, b, "c", []byte("-4")) // decimal ASCII
	if n := incr(t, b, "zero", 0); n != 0 {
		t.Fatalf("Increment of an absent key by 0 = %d", n)
	}
	wantValue(t, b, "zero", []byte("0"))
	mustSet(t, b, "set", []byte("41"))
	if n := incr(t, b, "set", 1); n != 42 {
		t.Fatalf("Increment of a Set \"41\" = %d", n)
	}
	if err := b.Delete(ctx(t), "set"); err != nil {
		t.Fatal(err)
	}
	if n := incr(t, b, "set", 1); n != 1 {
		t.Fatalf("Increment after Delete = %d, want 1", n)
	}
	mustSet(t, b, "max", []byte(strconv.FormatInt(math.MaxInt64-1, 10)))
	if n := incr(t, b, "max", 1); n != math.MaxInt64 {
		t.Fatalf("Increment to MaxInt64 = %d", n)
	}
	if n, err := b.Increment(ctx(t), "max", 1); !errors.Is(err, keyvalue.ErrOverflow) {
		t.Fatalf("Increment past MaxInt64 = %d, %v; want ErrOverflow", n, err)
	}
	wantValue(t, b, "max", []byte(strconv.FormatInt(math.MaxInt64, 10)))
	if n := incr(t, b, "min", math.MinInt64); n != math.MinInt64 {
		t.Fatalf("Increment to MinInt64 = %d", n)
	}
	if n, err := b.Increment(ctx(t), "min", -1); !errors.Is(err, keyvalue.ErrOverflow) {
		t.Fatalf("Increment below MinInt64 = %d, %v; want ErrOverflow", n, err)
	}
}

func testIncrementNotInteger(t *testing.T, s keyvalue.Store) {
	b := open(t, s, "notint")
	for i, v := range []string{"abc", "", "1.5", " 1", "1 ", "+1", "01", "-0", "0x10", "9223372036854775808", "1e3"} {
		k := fmt.Sprintf("k%d", i)
		mustSet(t, b, k, []byte(v))
		if n, err := b.Increment(ctx(t), k, 1); !errors.Is(err, keyvalue.ErrNotInteger) {
			t.Errorf("Increment of %q = %d, %v; want ErrNotInteger", v, n, err)
		}
		wantValue(t, b, k, []byte(v))
	}
}

func testIncrementConcurrent(t *testing.T, s keyvalue.Store) {
	b := open(t, s, "conc")
	const workers, per = 32, 25
	seen := make([][]int64, workers)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				n, err := b.Increment(ctx(t), "hits", 1)
				if err != nil {
					errs <- err
					return
				}
				seen[w] = append(seen[w], n)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent Increment: %v", err)
	}
	var all []int64
	for _, s := range seen {
		all = append(all, s...)
	}
	slices.Sort(all)
	for i, n := range all {
		if n != int64(i+1) {
			t.Fatalf("concurrent increments returned %d at rank %d: a lost or duplicated update", n, i)
		}
	}
	wantValue(t, b, "hits", []byte(strconv.Itoa(workers*per)))
}

func cas(t *testing.T, b keyvalue.Bucket, k string, old, new []byte) bool {
	t.Helper()
	ok, err := b.CompareAndSwap(ctx(t), k, old, new)
	if err != nil {
		t.Fatalf("CompareAndSwap(%q, %q, %q): %v", k, old, new, err)
	}
	return ok
}

func testCompareAndSwap(t *testing.T, s keyvalue.Store) {
	b := open(t, s, "cas")
	if cas(t, b, "k", []byte("x"), []byte("y")) {
		t.Fatal("CAS with an old value swapped an absent key")
	}
	if cas(t, b, "k", []byte{}, []byte("y")) {
		t.Fatal("CAS with an empty (non-nil) old value swapped an absent key")
	}
	wantAbsent(t, b, "k")
	if !cas(t, b, "k", nil, []byte("v1")) {
		t.Fatal("CAS(absent) did not create the key")
	}
	wantValue(t, b, "k", []byte("v1"))
	if cas(t, b, "k", nil, []byte("v2")) {
		t.Fatal("CAS(absent) swapped a present key")
	}
	if cas(t, b, "k", []byte("wrong"), []byte("v2")) {
		t.Fatal("CAS with a mismatching old value swapped")
	}
	wantValue(t, b, "k", []byte("v1"))
	if !cas(t, b, "k", []byte("v1"), []byte("v2")) {
		t.Fatal("CAS with the right old value did not swap")
	}
	wantValue(t, b, "k", []byte("v2"))
	if !cas(t, b, "k", []byte("v2"), nil) {
		t.Fatal("CAS to an empty value did not swap")
	}
	wantValue(t, b, "k", []byte{})
	if !cas(t, b, "k", []byte{}, []byte("v3")) {
		t.Fatal("CAS from an empty value did not swap")
	}
	wantValue(t, b, "k", []byte("v3"))
	if err := b.Delete(ctx(t), "k"); err != nil {
		t.Fatal(err)
	}
	if cas(t, b, "k", []byte("v3"), []byte("v4")) {
		t.Fatal("CAS swapped a deleted key")
	}
	if !cas(t, b, "k", nil, []byte("v4")) {
		t.Fatal("CAS(absent) did not create a deleted key")
	}
	wantValue(t, b, "k", []byte("v4"))
}

func testCompareAndSwapConcurrent(t *testing.T, s keyvalue.Store) {
	b := open(t, s, "casc")
	const workers, per = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				for try := 0; ; try++ {
					cur, err := b.Get(ctx(t), "n")
					var old []byte
					n := 0
					if err == nil {
						old = cur
						n, _ = strconv.Atoi(string(cur))
					} else if !errors.Is(err, keyvalue.ErrNotFound) {
						errs <- err
						return
					}
					ok, err := b.CompareAndSwap(ctx(t), "n", old, []byte(strconv.Itoa(n+1)))
					if err != nil {
						errs <- err
						return
					}
					if ok {
						break
					}
					if try > 10000 {
						errs <- errors.New("CAS loop does not converge")
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent CAS: %v", err)
	}
	wantValue(t, b, "n", []byte(strconv.Itoa(workers*per)))
}

func testBatch(t *testing.T, s keyvalue.Store) {
	b := open(t, s, "batch")
	c := ctx(t)
	if err := b.SetMany(c, nil); err != nil {
		t.Fatalf("SetMany(nil): %v", err)
	}
	if es, err := b.GetMany(c, nil); err != nil || len(es) != 0 {
		t.Fatalf("GetMany(nil) = %v, %v", es, err)
	}
	if err := b.DeleteMany(c, nil); err != nil {
		t.Fatalf("DeleteMany(nil): %v", err)
	}
	err := b.SetMany(c, []keyvalue.Entry{
		{Key: "a", Value: []byte("1")},
		{Key: "b", Value: []byte{}},
		{Key: "c", Value: []byte("3")},
		{Key: "a", Value: []byte("1bis")}, // the last one wins
	})
	if err != nil {
		t.Fatal(err)
	}
	es, err := b.GetMany(c, []string{"c", "x", "a", "b", "a"})
	if err != nil {
		t.Fatal(err)
	}
	want := []keyvalue.Entry{
		{Key: "c", Value: []byte("3"), Found: true},
		{Key: "x"},
		{Key: "a", Value: []byte("1bis"), Found: true},
		{Key: "b", Value: []byte{}, Found: true},
		{Key: "a", Value: []byte("1bis"), Found: true},
	}
	if len(es) != len(want) {
		t.Fatalf("GetMany returned %d entries, want %d", len(es), len(want))
	}
	for i := range want {
		if es[i].Key != want[i].Key || es[i].Found != want[i].Found || !bytes.Equal(es[i].Value, want[i].Value) {
			t.Errorf("GetMany[%d] = %+v, want %+v", i, es[i], want[i])
		}
		if !es[i].Found && es[i].Value != nil {
			t.Errorf("GetMany[%d]: absent key with value %q", i, es[i].Value)
		}
	}
	if err := b.DeleteMany(c, []string{"a", "x", "c"}); err != nil {
		t.Fatal(err)
	}
	wantAbsent(t, b, "a")
	wantAbsent(t, b, "c")
	wantValue(t, b, "b", []byte{})
	// A bigger batch.
	var many []keyvalue.Entry
	var names []string
	for i := 0; i < 300; i++ {
		k := fmt.Sprintf("m%03d", i)
		many = append(many, keyvalue.Entry{Key: k, Value: []byte(k)})
		names = append(names, k)
	}
	if err := b.SetMany(c, many); err != nil {
		t.Fatal(err)
	}
	es, err = b.GetMany(c, names)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range es {
		if !e.Found || string(e.Value) != names[i] {
			t.Fatalf("GetMany of 300: entry %d = %+v", i, e)
		}
	}
	if got := listAll(t, b, "m", 100); !slices.Equal(got, names) {
		t.Fatalf("ListKeys after SetMany: %d keys", len(got))
	}
	if err := b.DeleteMany(c, names); err != nil {
		t.Fatal(err)
	}
	if got := listAll(t, b, "m", 100); len(got) != 0 {
		t.Fatalf("ListKeys after DeleteMany: %q", got)
	}
}

func testBucketIsolation(t *testing.T, s keyvalue.Store) {
	a := open(t, s, "isoa")
	b := open(t, s, "isob")
	mustSet(t, a, "k", []byte("in a"))
	mustSet(t, b, "k", []byte("in b"))
	mustSet(t, a, "only-a", []byte("x"))
	wantValue(t, a, "k", []byte("in a"))
	wantValue(t, b, "k", []byte("in b"))
	wantAbsent(t, b, "only-a")
	if got := listAll(t, b, "", 10); !slices.Equal(got, []string{"k"}) {
		t.Fatalf("ListKeys of b = %q", got)
	}
	incr(t, a, "n", 3)
	if n := incr(t, b, "n", 1); n != 1 {
		t.Fatalf("Increment in b saw a's counter: %d", n)
	}
	if err := a.DeleteMany(context.Background(), []string{"k"}); err != nil {
		t.Fatal(err)
	}
	wantValue(t, b, "k", []byte("in b"))

	// Opening a name again reaches the same keys.
	name := fmt.Sprintf("kvt_again_%d_%d", time.Now().UnixNano()%1e9, seq.Add(1))
	x, err := s.Open(ctx(t), name)
	if err != nil {
		t.Fatal(err)
	}
	mustSet(t, x, "shared", []byte("yes"))
	y, err := s.Open(ctx(t), name)
	if err != nil {
		t.Fatal(err)
	}
	wantValue(t, y, "shared", []byte("yes"))
}

func testInvalidBuckets(t *testing.T, s keyvalue.Store) {
	for _, name := range []string{"", "a.b", "a:b", "a b", "a/b", "*", ">", "ü", strings.Repeat("b", keyvalue.MaxBucketBytes+1)} {
		if _, err := s.Open(ctx(t), name); !errors.Is(err, keyvalue.ErrInvalidBucket) {
			t.Errorf("Open(%q): %v, want ErrInvalidBucket", name, err)
		}
	}
	name := fmt.Sprintf("%s%012d", strings.Repeat("B", keyvalue.MaxBucketBytes-12), time.Now().UnixNano()%1e12)
	if _, err := s.Open(ctx(t), name); err != nil {
		t.Errorf("Open of a %d-byte name: %v", len(name), err)
	}
}

func testContext(t *testing.T, s keyvalue.Store) {
	b := open(t, s, "ctx")
	mustSet(t, b, "k", []byte("v"))
	c, cancel := context.WithCancel(context.Background())
	cancel()
	check := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context: %v, want context.Canceled", op, err)
		}
	}
	_, err := b.Get(c, "k")
	check("Get", err)
	check("Set", b.Set(c, "k2", []byte("v")))
	_, err = b.Increment(c, "n", 1)
	check("Increment", err)
	_, _, err = b.ListKeys(c, "", "", 10)
	check("ListKeys", err)
	_, err = b.CompareAndSwap(c, "k", []byte("v"), []byte("w"))
	check("CompareAndSwap", err)
	// Nothing was written.
	wantAbsent(t, b, "k2")
	wantAbsent(t, b, "n")
	wantValue(t, b, "k", []byte("v"))
}

func testClosed(t *testing.T, s keyvalue.Store) {
	b := open(t, s, "closed")
	mustSet(t, b, "k", []byte("v"))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	c := ctx(t)
	check := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, keyvalue.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", op, err)
		}
	}
	_, err := b.Get(c, "k")
	check("Get", err)
	check("Set", b.Set(c, "k", []byte("v")))
	_, err = b.Increment(c, "n", 1)
	check("Increment", err)
	_, _, err = b.ListKeys(c, "", "", 10)
	check("ListKeys", err)
	_, err = b.GetMany(c, []string{"k"})
	check("GetMany", err)
	_, err = s.Open(c, "another")
	check("Open", err)
}
