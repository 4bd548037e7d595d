// Package cmtest holds what the tests of Component Model host packages
// share: compiling a test component and instantiating it on a Linker with
// the package's definitions and an instance configuration.
package cmtest

import (
	"context"
	"os"
	"testing"

	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/engine"
)

// Instantiate compiles the component in file (on a runtime of its own,
// without cache) and instantiates it on a new Linker given its
// definitions by define, with the configuration attach prepares (attach
// may be nil). Everything is closed when the test ends; a failure fails
// the test.
func Instantiate(t testing.TB, file string, define func(*linker.Linker), attach func(*engine.InstanceConfig)) *linker.Instance {
	t.Helper()
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, engine.Config{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	wasm, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	c, err := linker.Compile(ctx, rt, file, wasm)
	if err != nil {
		t.Fatal(err)
	}
	l := linker.New()
	define(l)
	var cfg engine.InstanceConfig
	if attach != nil {
		attach(&cfg)
	}
	inst, err := l.Instantiate(ctx, c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close(ctx) })
	return inst
}
