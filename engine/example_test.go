package engine_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/engine"
)

// The guests used here are committed under testdata/guests/cmd (C sources
// beside them).
const (
	cmdWasm     = "../testdata/guests/cmd/cmd.wasm"
	reactorWasm = "../testdata/guests/cmd/reactor.wasm"
)

// Compile a module and look at what kind of module it is.
func ExampleRuntime_CompileFile() {
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, engine.Config{NoCache: true})
	if err != nil {
		log.Fatal(err)
	}
	defer rt.Close(ctx)

	for _, path := range []string{cmdWasm, reactorWasm} {
		m, err := rt.CompileFile(ctx, path)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(m.Name(), m.Pattern(), m.HasExport("_start"))
	}
	// Output:
	// cmd.wasm command true
	// reactor.wasm reactor false
}

// Run a command: one instance, _start once, with arguments, environment and
// stdio of your choosing.
func ExampleRuntime_RunCommand() {
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, engine.Config{NoCache: true})
	if err != nil {
		log.Fatal(err)
	}
	defer rt.Close(ctx)
	m, err := rt.CompileFile(ctx, cmdWasm)
	if err != nil {
		log.Fatal(err)
	}

	err = rt.RunCommand(ctx, m, engine.InstanceConfig{
		Args:   []string{"cmd.wasm", "env"},
		Env:    []string{"GREETING=hello"},
		Stdout: os.Stdout,
	})
	fmt.Println("error:", err)

	// A non-zero exit status comes back as an *engine.ExitError.
	err = rt.RunCommand(ctx, m, engine.InstanceConfig{Args: []string{"cmd.wasm", "exit", "3"}})
	var exit *engine.ExitError
	if errors.As(err, &exit) {
		fmt.Println("exit status:", exit.Code)
	}
	// Output:
	// GREETING=hello
	// env count=1
	// error: <nil>
	// exit status: 3
}

// A trap is an *engine.TrapError naming the export called, the function
// that trapped and why.
func ExampleTrapError() {
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, engine.Config{NoCache: true})
	if err != nil {
		log.Fatal(err)
	}
	defer rt.Close(ctx)
	m, err := rt.CompileFile(ctx, cmdWasm)
	if err != nil {
		log.Fatal(err)
	}

	err = rt.RunCommand(ctx, m, engine.InstanceConfig{Args: []string{"cmd.wasm", "divzero"}})
	var trap *engine.TrapError
	if errors.As(err, &trap) {
		fmt.Println(trap.Function, trap.At, trap.Reason)
		fmt.Println(err)
	}
	// Output:
	// _start divide integer divide by zero
	// cmd.wasm: trap in _start (at divide): integer divide by zero
}

// Instantiate a reactor (its _initialize runs once, here) and call its
// exports as often as needed.
func ExampleInstance_Call() {
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, engine.Config{NoCache: true})
	if err != nil {
		log.Fatal(err)
	}
	defer rt.Close(ctx)
	m, err := rt.CompileFile(ctx, reactorWasm)
	if err != nil {
		log.Fatal(err)
	}
	inst, err := rt.Instantiate(ctx, m, engine.InstanceConfig{})
	if err != nil {
		log.Fatal(err)
	}
	defer inst.Close(ctx)

	for i := int32(1); i <= 3; i++ {
		res, err := inst.Call(ctx, "add_i32", api.EncodeI32(i), api.EncodeI32(-10))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(api.DecodeI32(res[0]))
	}
	res, err := inst.Call(ctx, "mul_f64", api.EncodeF64(1.5), api.EncodeF64(4))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(api.DecodeF64(res[0]))
	res, _ = inst.Call(ctx, "init_count")
	fmt.Println("_initialize ran", api.DecodeI32(res[0]), "time(s)")
	// Output:
	// -9
	// -8
	// -7
	// 6
	// _initialize ran 1 time(s)
}

// Limit memory: growth past the cap fails inside the guest (malloc returns
// NULL), and a module that needs more than the cap does not load.
func ExampleConfig_maxMemory() {
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, engine.Config{NoCache: true, MaxMemory: 64 << 20})
	if err != nil {
		log.Fatal(err)
	}
	defer rt.Close(ctx)

	_, err = rt.CompileFile(ctx, "../testdata/guests/cmd/bigmem.wasm")
	fmt.Println(err)
	// Output:
	// load bigmem.wasm: its memory needs at least 125 MiB (2000 pages), more than the memory limit of 64 MiB
}

// Fuel meters a call deterministically: the same loop uses the same fuel
// on every run, and a call given less stops with the fuel limit.
func ExampleInstance_FuelConsumed() {
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, engine.Config{NoCache: true})
	if err != nil {
		log.Fatal(err)
	}
	defer rt.Close(ctx)
	m, err := rt.CompileFile(ctx, "testdata/fuel/fuel.wasm")
	if err != nil {
		log.Fatal(err)
	}
	for _, fuel := range []uint64{10_000, 500} {
		inst, err := rt.Instantiate(ctx, m, engine.InstanceConfig{Fuel: fuel})
		if err != nil {
			log.Fatal(err)
		}
		_, err = inst.Call(ctx, "count", 1000) // a loop of 1000 iterations
		fmt.Println(inst.FuelConsumed(), errors.Is(err, engine.ErrLimit))
		inst.Close(ctx)
	}
	// Output:
	// 1001 false
	// 501 true
}
