package config_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/capability/config"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

type result struct {
	Value    string            `json:"value"`
	NotFound bool              `json:"not_found"`
	All      map[string]string `json:"all"`
	Error    string            `json:"error"`
	Typed    bool              `json:"typed"`
}

// The runtime and the compiled guest are shared by the package's tests:
// compiling a Go guest takes seconds.
var shared struct {
	once sync.Once
	rt   *engine.Runtime
	mod  *engine.Module
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.rt != nil {
		shared.rt.Close(context.Background())
	}
	os.Exit(code)
}

// load instantiates the test guest with b (unbound when b is nil).
func load(t *testing.T, b *config.Binding) func(fn, in string) result {
	t.Helper()
	ctx := context.Background()
	wasm := testguest.GoReactor(t, "capabilities/config")
	shared.once.Do(func() {
		ec := engine.Config{NoCache: true}
		for _, h := range append(extism.HostModules(), config.HostModules()...) {
			ec.HostModules = append(ec.HostModules, h)
		}
		if shared.rt, shared.err = engine.NewRuntime(ctx, ec); shared.err == nil {
			shared.mod, shared.err = shared.rt.CompileFile(ctx, wasm)
		}
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	rt, mod := shared.rt, shared.mod
	var icfg engine.InstanceConfig
	st := extism.NewState(extism.StateConfig{})
	st.Attach(&icfg)
	if b != nil {
		config.Attach(&icfg, b)
	}
	inst, err := rt.Instantiate(ctx, mod, icfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close(ctx) })
	return func(fn, in string) result {
		t.Helper()
		out, err := extism.Call(ctx, inst, st, fn, []byte(in))
		if err != nil {
			t.Fatalf("%s(%q): %v", fn, in, err)
		}
		var r result
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("%s output %q: %v", fn, out, err)
		}
		return r
	}
}

func TestConfig(t *testing.T) {
	values := map[string]string{"greeting": "hello", "empty": "", "ünïcode key": "välue\x00with nul"}
	call := load(t, &config.Binding{Values: values})
	values["greeting"] = "changed after Attach" // Attach copied the values
	for k, want := range map[string]string{"greeting": "hello", "empty": "", "ünïcode key": "välue\x00with nul"} {
		if r := call("get", k); r.Error != "" || r.Value != want {
			t.Errorf("get %q = %+v, want %q", k, r, want)
		}
	}
	if r := call("get", "missing"); !r.NotFound || r.Typed {
		t.Errorf("get of an unset key = %+v, want ErrNotFound", r)
	}
	r := call("get_all", "")
	if r.Error != "" || len(r.All) != 3 || r.All["greeting"] != "hello" || r.All["empty"] != "" || r.All["ünïcode key"] != "välue\x00with nul" {
		t.Errorf("get_all = %+v", r)
	}
}

func TestEmptyAndUnbound(t *testing.T) {
	if r := load(t, &config.Binding{})("get_all", ""); r.Error != "" || len(r.All) != 0 {
		t.Errorf("get_all of no values = %+v", r)
	}
	call := load(t, nil)
	if r := call("get", "x"); !r.Typed || !strings.Contains(r.Error, "not bound") {
		t.Errorf("get without a binding = %+v", r)
	}
	if r := call("get_all", ""); !r.Typed || !strings.Contains(r.Error, "not bound") {
		t.Errorf("get_all without a binding = %+v", r)
	}
}
