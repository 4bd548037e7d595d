package wasmhive_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/trigger"
)

// A Component Model component is added like a module. A command (one that
// exports wasi:cli/run) runs with Run, on WASI 0.2.
func ExampleComponent_Run() {
	ctx := context.Background()
	h, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close(ctx)
	c, err := h.AddComponent(ctx, "cmd", wasmhive.ComponentConfig{Module: "testdata/components/cmd.wasm"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.IsComponentModel(), c.Pattern())
	err = c.Run(ctx, trigger.CommandIO{Args: []string{"cmd", "args", "hello"}, Stdout: os.Stdout})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// true component
	// argv[0]=cmd
	// argv[1]=args
	// argv[2]=hello
}

// CallFunc calls one exported function of a component with dynamic values
// (see canonical.Value), on a fresh instance.
func ExampleComponent_CallFunc() {
	ctx := context.Background()
	h, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close(ctx)
	c, err := h.AddComponent(ctx, "calc", wasmhive.ComponentConfig{Module: "testdata/components/calc.wasm"})
	if err != nil {
		log.Fatal(err)
	}
	for _, fn := range c.Funcs() {
		fmt.Println(fn.Path, fn.Type)
	}
	v, err := c.CallFunc(ctx, nil, []string{"greet"}, "world")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(v)
	v, err = c.CallFunc(ctx, nil, []string{"parse-u32"}, "12x")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(v == canonical.Err("not a digit: x"))
	// Output:
	// [add] func(a: s32, b: s32) -> s32
	// [greet] func(name: string) -> string
	// [summarize] func(xs: list<f64>) -> record { count: u32, sum: f64, max: option<f64> }
	// [parse-u32] func(s: string) -> result<u32, string>
	// [echo] func(e: record { name: string, tags: list<string>, note: string }) -> record { name: string, tags: list<string>, note: string }
	// [spin] func()
	// hello, world!
	// true
}
