package wasmhive_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/capability/keyvalue/boltkv"
	"github.com/wasmhive/wasmhive/link"
)

// kvComponent calls one wasi:keyvalue function per export
// (capability/keyvalue/testdata/component/kv.wit).
var kvComponent = filepath.Join("capability", "keyvalue", "testdata", "component", "kv.wasm")

// TestComponentGrants: a Component Model component importing wasi:keyvalue
// is refused without the keyvalue grant, as a module is; with it, its
// bucket is the grant's, in the Host's store, where modules see the same
// keys.
func TestComponentGrants(t *testing.T) {
	ctx := context.Background()
	store, err := boltkv.Open(filepath.Join(t.TempDir(), "kv.bolt"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	h, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{DataDir: t.TempDir(), NoCache: true, KeyValue: store})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(ctx)
	_, err = h.AddComponent(ctx, "kv", wasmhive.ComponentConfig{Module: kvComponent})
	var ge *wasmhive.GrantError
	if !errors.As(err, &ge) || ge.Capability != "keyvalue" || !strings.HasPrefix(ge.Import, "wasi:keyvalue/") {
		t.Fatalf("without the grant: %v, want a GrantError for wasi:keyvalue", err)
	}
	if _, err := h.AddComponent(ctx, "kv", wasmhive.ComponentConfig{Module: kvComponent,
		Grants:    wasmhive.Grants{KeyValue: &wasmhive.KeyValueGrant{Bucket: "shared"}},
		Instances: wasmhive.Instances{Max: 1}}); err != nil {
		t.Fatal(err)
	}
	call := func(fn string, args ...string) string {
		t.Helper()
		in := make([][]byte, len(args))
		for i, a := range args {
			in[i] = []byte(a)
		}
		out, err := h.Invoke(ctx, "kv", fn, link.Input(in))
		if err != nil {
			t.Fatalf("%s: %v", fn, err)
		}
		return string(out)
	}
	for _, open := range []string{`""`, `"shared"`} {
		if got := call("open", open); got != `"ok"` {
			t.Fatalf("open(%s) = %s", open, got)
		}
		if got := call("set", `"greeting"`, `[104, 105]`); got != `"ok"` {
			t.Fatalf("set = %s", got)
		}
	}
	b, err := store.Open(ctx, "shared")
	if err != nil {
		t.Fatal(err)
	}
	v, err := b.Get(ctx, "greeting")
	if err != nil || string(v) != "hi" {
		t.Fatalf("the bucket has %q, %v; want the component's write", v, err)
	}
	if _, err := b.Increment(ctx, "n", 40); err != nil {
		t.Fatal(err)
	}
	if got := call("increment", `"n"`, `2`); !strings.Contains(got, "42") {
		t.Fatalf("increment after a host write = %s, want 42", got)
	}
	if got := call("open", `"other"`); !strings.Contains(got, "no-such-store") {
		t.Fatalf("open of another bucket = %s, want no-such-store", got)
	}
}
