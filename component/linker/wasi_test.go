package linker_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/wasip2"
)

// TestCommandComponent runs the C command wrapped by the preview1
// adapter: its wasi:cli/run export, with WASI 0.2 from wasip2.
func TestCommandComponent(t *testing.T) {
	ctx := context.Background()
	rt := newRuntime(t)
	c := compileFile(t, rt, "../../testdata/components/cmd.wasm")
	l := linker.New()
	wasip2.Define(l)
	var out bytes.Buffer
	inst, err := l.Instantiate(ctx, c, engine.InstanceConfig{Args: []string{"cmd", "args", "x y"}, Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close(ctx)
	run, err := inst.Func("wasi:cli/run@0.2.0", "run")
	if err != nil {
		t.Fatal(err)
	}
	v, err := run.Call(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v != canonical.OK(nil) {
		t.Errorf("run = %#v", v)
	}
	if want := "argv[0]=cmd\nargv[1]=args\nargv[2]=x y\n"; out.String() != want {
		t.Errorf("stdout %q, want %q", out.String(), want)
	}
}
