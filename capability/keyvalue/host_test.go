package keyvalue_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/capability/keyvalue"
	"github.com/wasmhive/wasmhive/capability/keyvalue/boltkv"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

// newRuntime returns a runtime with the Extism kernel and the keyvalue host
// modules.
func newRuntime(t testing.TB) *engine.Runtime {
	t.Helper()
	ctx := context.Background()
	ec := engine.Config{NoCache: true}
	for _, h := range extism.HostModules() {
		ec.HostModules = append(ec.HostModules, h)
	}
	for _, h := range keyvalue.HostModules() {
		ec.HostModules = append(ec.HostModules, h)
	}
	rt, err := engine.NewRuntime(ctx, ec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	return rt
}

// boltBucket opens bucket "test" of a new bolt file.
func boltBucket(t testing.TB) keyvalue.Bucket {
	t.Helper()
	s, err := boltkv.Open(filepath.Join(t.TempDir(), "kv.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	b, err := s.Open(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// plugin is one instance of a guest with its kernel state.
type plugin struct {
	t    testing.TB
	inst *engine.Instance
	st   *extism.State
}

// load instantiates the module at path bound to binding (nil: no Binding).
func load(t testing.TB, rt *engine.Runtime, path string, binding *keyvalue.Binding) *plugin {
	t.Helper()
	ctx := context.Background()
	m, err := rt.CompileFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	return instantiate(t, rt, m, binding)
}

func instantiate(t testing.TB, rt *engine.Runtime, m *engine.Module, binding *keyvalue.Binding) *plugin {
	t.Helper()
	ctx := context.Background()
	st := extism.NewState(extism.StateConfig{Name: "kv"})
	var icfg engine.InstanceConfig
	st.Attach(&icfg)
	if binding != nil {
		keyvalue.Attach(&icfg, binding)
	}
	inst, err := rt.Instantiate(ctx, m, icfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close(ctx) })
	return &plugin{t: t, inst: inst, st: st}
}

func (p *plugin) call(fn string, in []byte) ([]byte, error) {
	return extism.Call(context.Background(), p.inst, p.st, fn, in)
}

type request struct {
	Op      string           `json:"op"`
	Key     string           `json:"key,omitempty"`
	Value   []byte           `json:"value,omitempty"`
	Old     []byte           `json:"old,omitempty"`
	Prefix  string           `json:"prefix,omitempty"`
	Cursor  string           `json:"cursor,omitempty"`
	Delta   int64            `json:"delta,omitempty"`
	Keys    []string         `json:"keys,omitempty"`
	Entries []keyvalue.Entry `json:"entries,omitempty"`
}

type response struct {
	Value   []byte           `json:"value"`
	Found   bool             `json:"found"`
	Keys    []string         `json:"keys"`
	Next    string           `json:"next"`
	N       int64            `json:"n"`
	Swapped bool             `json:"swapped"`
	Entries []keyvalue.Entry `json:"entries"`
}

// kv runs one operation in the Go guest.
func (p *plugin) kv(req request) (response, error) {
	p.t.Helper()
	in, _ := json.Marshal(req)
	out, err := p.call("kv", in)
	if err != nil {
		return response{}, err
	}
	var resp response
	if err := json.Unmarshal(out, &resp); err != nil {
		p.t.Fatalf("%s: bad output %q: %v", req.Op, out, err)
	}
	return resp, nil
}

func (p *plugin) ok(req request) response {
	p.t.Helper()
	resp, err := p.kv(req)
	if err != nil {
		p.t.Fatalf("%s %q: %v", req.Op, req.Key, err)
	}
	return resp
}

// hostError checks that err is the guest's report of a host ERROR reply for
// op whose message contains want.
func hostError(t *testing.T, err error, op, want string) {
	t.Helper()
	var pe *extism.PluginError
	if !errors.As(err, &pe) {
		t.Fatalf("%s: got %v, want an ERROR reply containing %q", op, err, want)
	}
	if !strings.HasPrefix(pe.Message, "kverror: "+op+": ") || !strings.Contains(pe.Message, want) {
		t.Fatalf("%s: guest saw %q, want a *keyvalue.Error containing %q", op, pe.Message, want)
	}
}

// shared is one runtime and the compiled Go guests by build tags, for every
// test (a guest takes a second to compile).
var shared struct {
	mu      sync.Mutex
	rt      *engine.Runtime
	modules map[string]*engine.Module
}

// guest instantiates the Go guest bound to binding (nil: no Binding).
func guest(t testing.TB, binding *keyvalue.Binding) *plugin {
	t.Helper()
	return guestTags(t, binding)
}

// guestTags is guest built with tags.
func guestTags(t testing.TB, binding *keyvalue.Binding, tags ...string) *plugin {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	ctx := context.Background()
	if shared.rt == nil {
		ec := engine.Config{NoCache: true}
		for _, h := range append(extism.HostModules(), keyvalue.HostModules()...) {
			ec.HostModules = append(ec.HostModules, h)
		}
		rt, err := engine.NewRuntime(ctx, ec)
		if err != nil {
			t.Fatal(err)
		}
		shared.rt, shared.modules = rt, map[string]*engine.Module{}
	}
	key := strings.Join(tags, ",")
	m := shared.modules[key]
	if m == nil {
		var err error
		if m, err = shared.rt.CompileFile(ctx, testguest.GoReactorTags(t, "capabilities/keyvalue", tags...)); err != nil {
			t.Fatal(err)
		}
		shared.modules[key] = m
	}
	return instantiate(t, shared.rt, m, binding)
}

func TestGuestStore(t *testing.T) {
	b := boltBucket(t)
	p := guest(t, &keyvalue.Binding{Bucket: b})
	if r := p.ok(request{Op: "get", Key: "k"}); r.Found || r.Value != nil {
		t.Fatalf("get of an absent key = %+v", r)
	}
	p.ok(request{Op: "set", Key: "k", Value: []byte("v\x00\xff")})
	if r := p.ok(request{Op: "get", Key: "k"}); !r.Found || string(r.Value) != "v\x00\xff" {
		t.Fatalf("get = %+v", r)
	}
	if r := p.ok(request{Op: "exists", Key: "k"}); !r.Found {
		t.Fatal("exists = false after set")
	}
	// The guest's bucket is the host's.
	if v, err := b.Get(context.Background(), "k"); err != nil || string(v) != "v\x00\xff" {
		t.Fatalf("host Get = %q, %v", v, err)
	}
	if err := b.Set(context.Background(), "from-host", []byte("h")); err != nil {
		t.Fatal(err)
	}
	if r := p.ok(request{Op: "get", Key: "from-host"}); string(r.Value) != "h" {
		t.Fatalf("guest get of a host value = %+v", r)
	}
	// An empty value is set (handle 0 reads as empty bytes).
	p.ok(request{Op: "set", Key: "empty"})
	if r := p.ok(request{Op: "get", Key: "empty"}); !r.Found || len(r.Value) != 0 {
		t.Fatalf("get of an empty value = %+v", r)
	}
	p.ok(request{Op: "delete", Key: "k"})
	p.ok(request{Op: "delete", Key: "k"})
	if r := p.ok(request{Op: "exists", Key: "k"}); r.Found {
		t.Fatal("exists = true after delete")
	}
	_, err := p.kv(request{Op: "get", Key: ""})
	hostError(t, err, "get", `keyvalue get "": invalid key: empty`)
	_, err = p.kv(request{Op: "set", Key: strings.Repeat("x", keyvalue.MaxKeyBytes+1), Value: []byte("v")})
	hostError(t, err, "set", "invalid key")
}

func TestGuestListKeys(t *testing.T) {
	b := boltBucket(t)
	p := guest(t, &keyvalue.Binding{Bucket: b, MaxKeysPerCall: 3})
	want := []string{"u:1", "u:2", "u:3", "u:4", "u:5", "u:6", "u:7"}
	for _, k := range append(slices.Clone(want), "v:1", "u") {
		p.ok(request{Op: "set", Key: k, Value: []byte("x")})
	}
	var got []string
	cursor, pages := "", 0
	for {
		r := p.ok(request{Op: "list_keys", Prefix: "u:", Cursor: cursor})
		if len(r.Keys) > 3 {
			t.Fatalf("page of %d keys, the host's page size is 3", len(r.Keys))
		}
		got = append(got, r.Keys...)
		pages++
		if r.Next == "" {
			break
		}
		cursor = r.Next
	}
	if !slices.Equal(got, want) || pages != 3 {
		t.Fatalf("listed %q in %d pages", got, pages)
	}
	if r := p.ok(request{Op: "list_keys", Prefix: "none"}); len(r.Keys) != 0 || r.Next != "" {
		t.Fatalf("list_keys of no key = %+v", r)
	}
}

func TestGuestAtomics(t *testing.T) {
	b := boltBucket(t)
	p := guest(t, &keyvalue.Binding{Bucket: b})
	if r := p.ok(request{Op: "increment", Key: "hits", Delta: 5}); r.N != 5 {
		t.Fatalf("increment of an absent key = %d", r.N)
	}
	if r := p.ok(request{Op: "increment", Key: "hits", Delta: -7}); r.N != -2 {
		t.Fatalf("increment = %d", r.N)
	}
	if r := p.ok(request{Op: "get", Key: "hits"}); string(r.Value) != "-2" {
		t.Fatalf("a counter reads %q, want decimal text", r.Value)
	}
	p.ok(request{Op: "set", Key: "text", Value: []byte("abc")})
	_, err := p.kv(request{Op: "increment", Key: "text", Delta: 1})
	hostError(t, err, "increment", `keyvalue increment "text": value is not a decimal integer`)

	if r := p.ok(request{Op: "compare_and_swap", Key: "c", Value: []byte("v1")}); !r.Swapped {
		t.Fatal("compare_and_swap (only if absent) of an absent key did not swap")
	}
	if r := p.ok(request{Op: "compare_and_swap", Key: "c", Value: []byte("v2")}); r.Swapped {
		t.Fatal("compare_and_swap (only if absent) of a present key swapped")
	}
	if r := p.ok(request{Op: "compare_and_swap", Key: "c", Old: []byte("nope"), Value: []byte("v2")}); r.Swapped {
		t.Fatal("compare_and_swap with the wrong old value swapped")
	}
	if r := p.ok(request{Op: "compare_and_swap", Key: "c", Old: []byte("v1"), Value: []byte("v2")}); !r.Swapped {
		t.Fatal("compare_and_swap with the right old value did not swap")
	}
	if v, _ := b.Get(context.Background(), "c"); string(v) != "v2" {
		t.Fatalf("after compare_and_swap: %q", v)
	}
}

func TestGuestBatch(t *testing.T) {
	b := boltBucket(t)
	p := guest(t, &keyvalue.Binding{Bucket: b, MaxKeysPerCall: 4})
	p.ok(request{Op: "set_many", Entries: []keyvalue.Entry{{Key: "a", Value: []byte("1")}, {Key: "b", Value: []byte{}}, {Key: "c", Value: []byte("3")}}})
	r := p.ok(request{Op: "get_many", Keys: []string{"c", "x", "a", "b"}})
	want := []keyvalue.Entry{{Key: "c", Value: []byte("3"), Found: true}, {Key: "x"}, {Key: "a", Value: []byte("1"), Found: true}, {Key: "b", Found: true}}
	if len(r.Entries) != len(want) {
		t.Fatalf("get_many = %+v", r.Entries)
	}
	for i, e := range r.Entries {
		if e.Key != want[i].Key || e.Found != want[i].Found || !bytes.Equal(e.Value, want[i].Value) {
			t.Errorf("get_many[%d] = %+v, want %+v", i, e, want[i])
		}
	}
	p.ok(request{Op: "delete_many", Keys: []string{"a", "c", "x"}})
	es, err := b.GetMany(context.Background(), []string{"a", "b", "c"})
	if err != nil || es[0].Found || !es[1].Found || es[2].Found {
		t.Fatalf("after delete_many: %+v, %v", es, err)
	}
	if r := p.ok(request{Op: "get_many"}); len(r.Entries) != 0 {
		t.Fatalf("get_many of no keys = %+v", r.Entries)
	}
	// A batch over the keys-per-call limit ends the call (limits_test.go
	// covers limits); the instance is then discarded.
	_, err = p.kv(request{Op: "get_many", Keys: []string{"1", "2", "3", "4", "5"}})
	limitError(t, err, keyvalue.LimitKeysPerCall, 4, 5)
	p = guest(t, &keyvalue.Binding{Bucket: b, MaxKeysPerCall: 4})
	_, err = p.kv(request{Op: "set_many", Entries: []keyvalue.Entry{{Key: "ok", Value: []byte("v")}, {Key: ""}}})
	hostError(t, err, "set_many", "invalid key")
	if ok, _ := b.Exists(context.Background(), "ok"); ok {
		t.Fatal("set_many with an invalid key wrote part of the batch")
	}
}

func TestGuestValueLimit(t *testing.T) {
	b := boltBucket(t)
	p := guest(t, &keyvalue.Binding{Bucket: b, MaxValueBytes: 10})
	p.ok(request{Op: "set", Key: "k", Value: make([]byte, 10)})
	// A value over the limit ends the call (the instance is discarded, so
	// each try gets a new one).
	for _, req := range []request{
		{Op: "set", Key: "k", Value: make([]byte, 11)},
		{Op: "compare_and_swap", Key: "k", Old: make([]byte, 10), Value: make([]byte, 11)},
		{Op: "set_many", Entries: []keyvalue.Entry{{Key: "a", Value: []byte("small")}, {Key: "b", Value: make([]byte, 11)}}},
	} {
		p = guest(t, &keyvalue.Binding{Bucket: b, MaxValueBytes: 10})
		_, err := p.kv(req)
		limitError(t, err, keyvalue.LimitValueBytes, 10, 11)
	}
	if ok, _ := b.Exists(context.Background(), "a"); ok {
		t.Fatal("set_many with a value over the limit wrote part of the batch")
	}

	// The default is 1 MiB.
	p = guest(t, &keyvalue.Binding{Bucket: b})
	p.ok(request{Op: "set", Key: "big", Value: make([]byte, keyvalue.DefaultMaxValueBytes)})
	_, err := p.kv(request{Op: "set", Key: "big", Value: make([]byte, keyvalue.DefaultMaxValueBytes+1)})
	limitError(t, err, keyvalue.LimitValueBytes, keyvalue.DefaultMaxValueBytes, keyvalue.DefaultMaxValueBytes+1)
}

// TestGuestNoBinding: an instance with no Binding gets ERROR replies, not a
// crash.
func TestGuestNoBinding(t *testing.T) {
	p := guest(t, nil)
	_, err := p.kv(request{Op: "get", Key: "k"})
	hostError(t, err, "get", "no bucket is bound to this component")
	_, err = p.kv(request{Op: "increment", Key: "k", Delta: 1})
	hostError(t, err, "increment", "no bucket is bound")
}

// TestGuestProviderError: a provider failure is an ERROR reply carrying the
// provider's message.
func TestGuestProviderError(t *testing.T) {
	s, err := boltkv.Open(filepath.Join(t.TempDir(), "kv.db"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Open(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	p := guest(t, &keyvalue.Binding{Bucket: b})
	p.ok(request{Op: "set", Key: "k", Value: []byte("v")})
	s.Close()
	_, err = p.kv(request{Op: "get", Key: "k"})
	hostError(t, err, "get", `keyvalue get "k": keyvalue store is closed`)
}

// TestGuestCanceled: a call whose context is done gets an ERROR reply from
// the keyvalue function (or is stopped by the engine), never a hang.
func TestGuestCanceled(t *testing.T) {
	p := guest(t, &keyvalue.Binding{Bucket: boltBucket(t)})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in, _ := json.Marshal(request{Op: "set", Key: "k", Value: []byte("v")})
	if _, err := extism.Call(ctx, p.inst, p.st, "kv", in); err == nil {
		t.Fatal("a canceled call succeeded")
	}
}

// TestBadSignatures: modules importing keyvalue functions with the wrong
// types are refused at instantiation with the import named.
func TestBadSignatures(t *testing.T) {
	rt := newRuntime(t)
	ctx := context.Background()
	for _, c := range []struct{ file, want string }{
		{"bad_sig.wasm", `wasmhive:keyvalue/store`},
		{"bad_arity.wasm", `wasmhive:keyvalue/atomics`},
	} {
		m, err := rt.CompileFile(ctx, testguest.Path(t, "capabilities/keyvalue/"+c.file))
		if err != nil {
			t.Fatal(err)
		}
		st := extism.NewState(extism.StateConfig{})
		var icfg engine.InstanceConfig
		st.Attach(&icfg)
		keyvalue.Attach(&icfg, &keyvalue.Binding{Bucket: boltBucket(t)})
		_, err = rt.Instantiate(ctx, m, icfg)
		var ue *engine.UnresolvedImportsError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("%s: instantiate = %v, want an *engine.UnresolvedImportsError naming %s", c.file, err, c.want)
		}
	}
}

// TestRawABI drives the host functions with what no PDK would pass.
func TestRawABI(t *testing.T) {
	rt := newRuntime(t)
	b := boltBucket(t)
	path := testguest.Path(t, "capabilities/keyvalue/raw.wasm")

	// Invalid handles stop the call with a *extism.HandleError.
	for _, fn := range []string{"bad_handle", "bad_handle_mid", "bad_value_handle"} {
		p := load(t, rt, path, &keyvalue.Binding{Bucket: b})
		_, err := p.call(fn, nil)
		var he *extism.HandleError
		if !errors.As(err, &he) {
			t.Fatalf("%s: %v, want a *extism.HandleError", fn, err)
		}
	}

	p := load(t, rt, path, &keyvalue.Binding{Bucket: b})
	for _, c := range []struct {
		fn   string
		want []byte // the reply block
	}{
		{"get_k", []byte{1}}, // NONE
		{"set_k", []byte{0}}, // OK, empty: a block of one byte, never handle 0
		{"get_k", []byte("\x00v")},
		{"get_empty_key", []byte("\x02keyvalue get \"\": invalid key: empty")},
		{"short_delta", []byte("\x02keyvalue increment \"k\": delta must be 8 bytes (a little-endian i64), got 3")},
		{"no_delta", []byte("\x02keyvalue increment \"k\": delta must be 8 bytes (a little-endian i64), got 0")},
		{"hostile_list", []byte("\x02keyvalue get_many: malformed list of keys (u32 count, then u32 length and bytes for each key)")},
		{"trailing_list", []byte("\x02keyvalue get_many: malformed list of keys (u32 count, then u32 length and bytes for each key)")},
		{"empty_list", []byte{0}},
		{"short_pairs", []byte("\x02keyvalue set_many: malformed pair list (u32 count, then a key item and a value item for each pair)")},
	} {
		out, err := p.call(c.fn, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.fn, err)
		}
		if !bytes.Equal(out, c.want) {
			t.Errorf("%s: reply %q, want %q", c.fn, out, c.want)
		}
	}
}

func ExampleHostModules() {
	ctx := context.Background()
	// A runtime serving the Extism kernel and the keyvalue capability.
	ec := engine.Config{NoCache: true}
	for _, h := range append(extism.HostModules(), keyvalue.HostModules()...) {
		ec.HostModules = append(ec.HostModules, h)
	}
	rt, err := engine.NewRuntime(ctx, ec)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rt.Close(ctx)
	for _, h := range keyvalue.HostModules() {
		fmt.Println(h.ModuleName())
	}
	// Each instance gets its kernel state and its bucket:
	//
	//	var icfg engine.InstanceConfig
	//	extism.NewState(extism.StateConfig{}).Attach(&icfg)
	//	keyvalue.Attach(&icfg, &keyvalue.Binding{Bucket: bucket})
	//	inst, err := rt.Instantiate(ctx, module, icfg)

	// Output:
	// wasmhive:keyvalue/store
	// wasmhive:keyvalue/atomics
	// wasmhive:keyvalue/batch
}
