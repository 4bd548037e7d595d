package keyvalue_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/capability/keyvalue"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

// limitError checks that err is the *engine.LimitError of limit, with its
// maximum and what the call asked for, in one line.
func limitError(t *testing.T, err error, limit string, max, got uint64) {
	t.Helper()
	var le *engine.LimitError
	if !errors.As(err, &le) || !errors.Is(err, engine.ErrLimit) {
		t.Fatalf("got %v (%T), want a *engine.LimitError for %s", err, err, limit)
	}
	if le.Limit != limit || le.Max != max || le.Got != got {
		t.Fatalf("got %+v, want limit %s, max %d, got %d", le, limit, max, got)
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, "limit "+limit+" exceeded") {
		t.Fatalf("message %q is not one line naming %s", msg, limit)
	}
}

// limitsGuest instantiates testdata/guests/limits/kv bound to binding.
func limitsGuest(t *testing.T, binding *keyvalue.Binding) *plugin {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	ctx := context.Background()
	if shared.rt == nil {
		ec := engine.Config{NoCache: true, HostModules: append(extism.HostModules(), keyvalue.HostModules()...)}
		rt, err := engine.NewRuntime(ctx, ec)
		if err != nil {
			t.Fatal(err)
		}
		shared.rt, shared.modules = rt, map[string]*engine.Module{}
	}
	m := shared.modules["limits/kv"]
	if m == nil {
		var err error
		if m, err = shared.rt.CompileFile(ctx, testguest.GoReactor(t, "limits/kv")); err != nil {
			t.Fatal(err)
		}
		shared.modules["limits/kv"] = m
	}
	return instantiate(t, shared.rt, m, binding)
}

type step struct {
	Op   string `json:"op"`
	Key  string `json:"key,omitempty"`
	N    int    `json:"n,omitempty"`
	Size int    `json:"size,omitempty"`
}

// script runs steps in one call of the guest and returns the keys it
// touched.
func (p *plugin) script(steps ...step) (int, error) {
	in, _ := json.Marshal(steps)
	out, err := p.call("script", in)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(string(out))
}

// TestKeysPerCall: every keyvalue function counts its keys against one
// per-call total, which starts again with each call; the call that passes
// it ends with a LimitError, before a batch touches the store.
func TestKeysPerCall(t *testing.T) {
	b := boltBucket(t)
	for i := range 4 {
		if err := b.Set(context.Background(), "p:"+strconv.Itoa(i), []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	binding := &keyvalue.Binding{Bucket: b, MaxKeysPerCall: 10}
	p := limitsGuest(t, binding)
	// Up to the limit, in every call: the count starts again each time.
	for call := 0; call < 3; call++ {
		n, err := p.script(step{Op: "get", Key: "a", N: 2}, step{Op: "set", Key: "a", N: 1}, step{Op: "get_many", Key: "m", N: 3}, step{Op: "list", Key: "p:"})
		if err != nil || n != 10 {
			t.Fatalf("call %d: 10 keys under a limit of 10: %d, %v", call, n, err)
		}
	}
	for _, tc := range []struct {
		name  string
		steps []step
		got   uint64
	}{
		{"get", []step{{Op: "get", Key: "a", N: 11}}, 11},
		{"set", []step{{Op: "set", Key: "a", N: 9}, {Op: "set", Key: "b", N: 5}}, 11},
		{"get_many", []step{{Op: "get", Key: "a", N: 8}, {Op: "get_many", Key: "m", N: 5}}, 13},
		{"set_many", []step{{Op: "set_many", Key: "s", N: 11}}, 11},
		{"list", []step{{Op: "get", Key: "a", N: 7}, {Op: "list", Key: "p:"}}, 11},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := limitsGuest(t, binding)
			_, err := p.script(tc.steps...)
			limitError(t, err, keyvalue.LimitKeysPerCall, 10, tc.got)
			if !p.inst.Broken() {
				t.Error("the instance is still usable after its call passed a limit")
			}
		})
	}
	if ok, _ := b.Exists(context.Background(), "s0"); ok {
		t.Error("a set_many over the limit wrote keys")
	}
	// The default.
	p = limitsGuest(t, &keyvalue.Binding{Bucket: b})
	if n, err := p.script(step{Op: "get", Key: "a", N: keyvalue.DefaultMaxKeysPerCall}); err != nil || n != keyvalue.DefaultMaxKeysPerCall {
		t.Fatalf("the default limit of keys: %d, %v", n, err)
	}
	_, err := p.script(step{Op: "get", Key: "a", N: keyvalue.DefaultMaxKeysPerCall}, step{Op: "get", Key: "a", N: 1})
	limitError(t, err, keyvalue.LimitKeysPerCall, keyvalue.DefaultMaxKeysPerCall, keyvalue.DefaultMaxKeysPerCall+1)
}

// TestValueBytes: a value over the limit ends the call, whichever
// function sets it.
func TestValueBytes(t *testing.T) {
	b := boltBucket(t)
	binding := &keyvalue.Binding{Bucket: b, MaxValueBytes: 100}
	p := limitsGuest(t, binding)
	if _, err := p.script(step{Op: "set", Key: "v", N: 1, Size: 100}, step{Op: "set_many", Key: "w", N: 2, Size: 100}); err != nil {
		t.Fatalf("values at the limit: %v", err)
	}
	for _, s := range []step{{Op: "set", Key: "v", N: 1, Size: 101}, {Op: "set_many", Key: "x", N: 3, Size: 101}} {
		p := limitsGuest(t, binding)
		_, err := p.script(s)
		limitError(t, err, keyvalue.LimitValueBytes, 100, 101)
	}
	if ok, _ := b.Exists(context.Background(), "x0"); ok {
		t.Error("a set_many with a value over the limit wrote keys")
	}
}
