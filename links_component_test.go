package wasmhive_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/engine"
)

// The two ends of a typed link between Component Model components
// (testdata/components/wit-link/link.wit).
var (
	linkTarget = filepath.Join("testdata", "components", "linktarget.wasm")
	linkCaller = filepath.Join("testdata", "components", "linkcaller.wasm")
	linkBad    = filepath.Join("testdata", "components", "linkbad.wasm")
)

func newLinkedComponents(t *testing.T, iface string) (*wasmhive.Host, *wasmhive.Component) {
	t.Helper()
	ctx := context.Background()
	h, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{DataDir: t.TempDir(), NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(ctx) })
	if _, err := h.AddComponent(ctx, "target", wasmhive.ComponentConfig{Module: linkTarget}); err != nil {
		t.Fatal(err)
	}
	caller, err := h.AddComponent(ctx, "caller", wasmhive.ComponentConfig{Module: linkCaller,
		Links: []wasmhive.Link{{Interface: iface, Target: "target"}}})
	if err != nil {
		t.Fatal(err)
	}
	return h, caller
}

func TestComponentLinkCarriesTypedValues(t *testing.T) {
	for _, iface := range []string{"wasmhive:links/greet@0.1.0", "wasmhive:links/greet"} {
		t.Run(iface, func(t *testing.T) {
			ctx := context.Background()
			_, caller := newLinkedComponents(t, iface)
			for i := range 3 { // warm instances of the target serve every call
				v, err := caller.CallFunc(ctx, nil, []string{"hello"}, "world")
				if err != nil {
					t.Fatal(err)
				}
				if v != "world [a,b]" {
					t.Fatalf("call %d: hello(world) = %#v, want %q", i, v, "world [a,b]")
				}
			}
			v, err := caller.CallFunc(ctx, nil, []string{"total"}, canonical.List{uint32(1), uint32(2), uint32(39)})
			if err != nil {
				t.Fatal(err)
			}
			if v != uint32(42) {
				t.Fatalf("total = %#v, want 42", v)
			}
			st := caller.Links()
			if len(st) != 1 || st[0].Calls != 4 || st[0].Failures != 0 || st[0].Target != "target" {
				t.Fatalf("link stats %+v, want 4 calls to target, no failure", st)
			}
		})
	}
}

func TestComponentLinkFailureIsolated(t *testing.T) {
	ctx := context.Background()
	_, caller := newLinkedComponents(t, "wasmhive:links/greet@0.1.0")
	_, err := caller.CallFunc(ctx, nil, []string{"boom"})
	var trap *engine.TrapError
	if err == nil || !errors.As(err, &trap) {
		t.Fatalf("boom: %v, want the caller's call trapped", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "link caller -> target") || strings.Contains(msg, "\n") {
		t.Fatalf("boom: %q, want one line naming the link", msg)
	}
	// The target's broken instance is gone; the next call gets another.
	v, err := caller.CallFunc(ctx, nil, []string{"hello"}, "again")
	if err != nil || v != "again [a,b]" {
		t.Fatalf("hello after a failure: %#v, %v", v, err)
	}
	if st := caller.Links(); st[0].Failures != 1 {
		t.Fatalf("link stats %+v, want 1 failure", st)
	}
}

func TestComponentLinkTypeMismatchRefused(t *testing.T) {
	ctx := context.Background()
	h, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{DataDir: t.TempDir(), NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(ctx)
	if _, err := h.AddComponent(ctx, "bad", wasmhive.ComponentConfig{Module: linkBad}); err != nil {
		t.Fatal(err)
	}
	_, err = h.AddComponent(ctx, "caller", wasmhive.ComponentConfig{Module: linkCaller,
		Links: []wasmhive.Link{{Interface: "wasmhive:links/greet@0.1.0", Target: "bad"}}})
	var le *wasmhive.LinkError
	if !errors.As(err, &le) {
		t.Fatalf("link to a mismatched target: %v, want a LinkError", err)
	}
	msg := err.Error()
	for _, want := range []string{"caller", "bad", "greet", "tags", "labels"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not name %q", msg, want)
		}
	}
	// A core module is no typed link's target.
	if _, err := h.AddComponent(ctx, "module", wasmhive.ComponentConfig{Module: filepath.Join("testdata", "guests", "cmd", "reactor.wasm")}); err != nil {
		t.Fatal(err)
	}
	_, err = h.AddComponent(ctx, "caller2", wasmhive.ComponentConfig{Module: linkCaller,
		Links: []wasmhive.Link{{Interface: "wasmhive:links/greet@0.1.0", Target: "module"}}})
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "core module") {
		t.Fatalf("link to a core module: %v, want a LinkError saying so", err)
	}
}

func TestComponentLinkHotSwap(t *testing.T) {
	ctx := context.Background()
	h, caller := newLinkedComponents(t, "wasmhive:links/greet@0.1.0")
	if _, err := caller.CallFunc(ctx, nil, []string{"hello"}, "x"); err != nil {
		t.Fatal(err)
	}
	// A new version of the target whose types do not match is refused,
	// naming the link, and the old one keeps serving.
	_, err := h.ReplaceComponent(ctx, "target", wasmhive.ComponentConfig{Module: linkBad})
	if err == nil || !strings.Contains(err.Error(), "labels") {
		t.Fatalf("replace the target with a mismatched one: %v", err)
	}
	// A matching new version takes the calls.
	if _, err := h.ReplaceComponent(ctx, "target", wasmhive.ComponentConfig{Module: linkTarget, Env: map[string]string{"V": "2"}}); err != nil {
		t.Fatal(err)
	}
	v, err := caller.CallFunc(ctx, nil, []string{"hello"}, "y")
	if err != nil || v != "y [a,b]" {
		t.Fatalf("after the swap: %#v, %v", v, err)
	}
}

func TestComponentCallInWAVE(t *testing.T) {
	// What a typed link's call to another host of a lattice is: the
	// export INTERFACE#FUNCTION, the arguments in WAVE.
	ctx := context.Background()
	h, _ := newLinkedComponents(t, "wasmhive:links/greet@0.1.0")
	out, err := h.Invoke(ctx, "target", "wasmhive:links/greet#greet", []byte(`{name: "n", tags: ["x", "y"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `"n [x,y]"` {
		t.Fatalf("greet in WAVE = %s", out)
	}
	if _, err := h.Invoke(ctx, "target", "wasmhive:links/greet#greet", []byte(`{name: 1}`)); err == nil {
		t.Fatal("a malformed WAVE argument was accepted")
	}
}
