package extism_test

import (
	"context"
	"slices"
	"testing"

	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

// TestKernelExportsTheWholeABI: a plugin linked to the kernel module
// resolves all its extism:host/env imports there, so the kernel must
// export every function the Go host module defines, with its signature.
func TestKernelExportsTheWholeABI(t *testing.T) {
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, engine.Config{NoCache: true, HostModules: extism.HostModules()})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	m, err := rt.CompileFile(ctx, testguest.Path(t, "plugins/host/kernel.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	st := extism.NewState(extism.StateConfig{})
	libs := map[string]*engine.Instance{}
	k, err := extism.LinkKernel(ctx, rt, st, libs, m)
	if err != nil || k == nil || libs[extism.EnvModule] != k || st.Kernel() != k {
		t.Fatalf("LinkKernel = %v, %v; libs %v", k, err, libs)
	}
	defer k.Close(ctx)
	host := rt.Wazero().Module(extism.EnvModule).ExportedFunctionDefinitions()
	kern := k.Wazero().ExportedFunctionDefinitions()
	if len(host) < 30 {
		t.Fatalf("the Go host module defines %d functions, want the whole ABI", len(host))
	}
	for name, d := range host {
		kd, ok := kern[name]
		if !ok {
			t.Errorf("kernel does not export %s", name)
			continue
		}
		if !slices.Equal(kd.ParamTypes(), d.ParamTypes()) || !slices.Equal(kd.ResultTypes(), d.ResultTypes()) {
			t.Errorf("kernel %s: %v -> %v, host %v -> %v", name, kd.ParamTypes(), kd.ResultTypes(), d.ParamTypes(), d.ResultTypes())
		}
	}
	// The per-8-byte functions are wasm, the rest the Go functions.
	for _, name := range []string{"load_u8", "load_u64", "store_u8", "store_u64", "input_load_u8", "input_load_u64", "input_length"} {
		if _, _, imported := kern[name].Import(); imported {
			t.Errorf("kernel %s is an import, want a wasm function", name)
		}
	}
	if _, _, imported := kern["alloc"].Import(); !imported {
		t.Errorf("kernel alloc is not the Go host function")
	}
	// A second kernel for the same State is refused.
	if _, err := extism.LinkKernel(ctx, rt, st, map[string]*engine.Instance{}, m); err != extism.ErrKernelLinked {
		t.Errorf("second LinkKernel: err = %v, want ErrKernelLinked", err)
	}
}

// TestLinkKernelSkips: nothing is linked for modules that do not import
// the Extism ABI, or import a function the kernel does not have (the
// engine then reports the import as usual).
func TestLinkKernelSkips(t *testing.T) {
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, engine.Config{NoCache: true, HostModules: extism.HostModules()})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	for name, wasm := range map[string][]byte{
		"no imports":     {0, 'a', 's', 'm', 1, 0, 0, 0},
		"unknown import": unknownImport,
	} {
		m, err := rt.Compile(ctx, name, wasm)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		libs := map[string]*engine.Instance{}
		k, err := extism.LinkKernel(ctx, rt, extism.NewState(extism.StateConfig{}), libs, m)
		if k != nil || err != nil || len(libs) != 0 {
			t.Errorf("%s: LinkKernel = %v, %v, libs %v; want nothing linked", name, k, err, libs)
		}
	}
}

// unknownImport imports extism:host/env.nope () -> ().
var unknownImport = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type 0: () -> ()
	0x02, 0x18, 0x01, // import section, 1 import
	0x0f, 'e', 'x', 't', 'i', 's', 'm', ':', 'h', 'o', 's', 't', '/', 'e', 'n', 'v',
	0x04, 'n', 'o', 'p', 'e', 0x00, 0x00,
}
