package linker_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/wasip2"
)

// Compile a component, instantiate it and call its exports with dynamic
// values (see canonical.Value for the Go form of each WIT type).
// calc.wasm exports, among others (testdata/components/wit-calc/calc.wit):
//
//	greet: func(name: string) -> string;
//	summarize: func(xs: list<f64>) -> stats; // record stats { count: u32, sum: f64, max: option<f64> }
func Example() {
	ctx := context.Background()
	cache, _ := os.MkdirTemp("", "wasmhive-example")
	defer os.RemoveAll(cache)
	rt, err := engine.NewRuntime(ctx, engine.Config{CacheDir: cache})
	if err != nil {
		log.Fatal(err)
	}
	defer rt.Close(ctx)

	wasm, err := os.ReadFile("../../testdata/components/calc.wasm")
	if err != nil {
		log.Fatal(err)
	}
	c, err := linker.Compile(ctx, rt, "calc.wasm", wasm)
	if err != nil {
		log.Fatal(err)
	}
	inst, err := linker.New().Instantiate(ctx, c, engine.InstanceConfig{})
	if err != nil {
		log.Fatal(err)
	}
	defer inst.Close(ctx)

	greet, err := inst.Func("greet")
	if err != nil {
		log.Fatal(err)
	}
	v, err := greet.Call(ctx, "world")
	fmt.Printf("%q %v\n", v, err)

	summarize, _ := inst.Func("summarize")
	v, err = summarize.Call(ctx, canonical.List{1.5, 4.0, -2.0})
	fmt.Printf("%v %v\n", v, err)
	// Output:
	// "hello, world!" <nil>
	// [3 3.5 {true 4}] <nil>
}

// Call an export with Go values: arguments are converted to the
// parameters' types and the result into the Go type asked for (see
// canonical.ToValue for the mapping: structs for records, pointers for
// options, canonical.ResultOf for results, ...).
func ExampleCall() {
	ctx := context.Background()
	cache, _ := os.MkdirTemp("", "wasmhive-example")
	defer os.RemoveAll(cache)
	rt, err := engine.NewRuntime(ctx, engine.Config{CacheDir: cache})
	if err != nil {
		log.Fatal(err)
	}
	defer rt.Close(ctx)
	wasm, err := os.ReadFile("../../testdata/components/calc.wasm")
	if err != nil {
		log.Fatal(err)
	}
	c, err := linker.Compile(ctx, rt, "calc.wasm", wasm)
	if err != nil {
		log.Fatal(err)
	}
	inst, err := linker.New().Instantiate(ctx, c, engine.InstanceConfig{})
	if err != nil {
		log.Fatal(err)
	}
	defer inst.Close(ctx)

	// record stats { count: u32, sum: f64, max: option<f64> }
	type Stats struct {
		Count uint32
		Sum   float64
		Max   *float64
	}
	summarize, _ := inst.Func("summarize")
	s, err := linker.Call[Stats](ctx, summarize, []float64{1.5, 4, -2})
	fmt.Println(s.Count, s.Sum, *s.Max, err)

	// parse-u32: func(s: string) -> result<u32, string>
	parse, _ := inst.Func("parse-u32")
	for _, in := range []string{"42", "4x"} {
		r, err := linker.Call[canonical.ResultOf[uint32, string]](ctx, parse, in)
		fmt.Printf("%+v %v\n", r, err)
	}
	// Output:
	// 3 3.5 4 <nil>
	// {IsErr:false OK:42 Err:} <nil>
	// {IsErr:true OK:0 Err:not a digit: x} <nil>
}

// Bind an export to Go types once and call it without dynamic values:
// the record is lowered from, and lifted into, the struct directly.
func ExampleTyped() {
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, engine.Config{NoCache: true})
	if err != nil {
		log.Fatal(err)
	}
	defer rt.Close(ctx)
	wasm, err := os.ReadFile("../../testdata/components/calc.wasm")
	if err != nil {
		log.Fatal(err)
	}
	c, err := linker.Compile(ctx, rt, "calc.wasm", wasm)
	if err != nil {
		log.Fatal(err)
	}
	inst, err := linker.New().Instantiate(ctx, c, engine.InstanceConfig{})
	if err != nil {
		log.Fatal(err)
	}
	defer inst.Close(ctx)

	// record entry { name: string, tags: list<string>, note: string }
	// echo: func(e: entry) -> entry
	type Entry struct {
		Name string
		Tags []string
		Note string
	}
	f, _ := inst.Func("echo")
	echo, err := linker.Typed[Entry, Entry](f)
	if err != nil {
		log.Fatal(err)
	}
	e, err := echo.Call(ctx, Entry{Name: "ada", Tags: []string{"math", "engines"}, Note: "first"})
	fmt.Printf("%+v %v\n", e, err)

	// add: func(a: s32, b: s32) -> s32: several parameters are a struct's
	// fields, matched by name.
	f, _ = inst.Func("add")
	add, err := linker.Typed[struct{ A, B int32 }, int32](f)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(add.Call(ctx, struct{ A, B int32 }{40, 2}))
	// Output:
	// {Name:ada Tags:[math engines] Note:first} <nil>
	// 42 <nil>
}

// Implement a component's imports in Go. types.wasm imports
// wasmhive:test/host@0.1.0 (testdata/components/wit/test.wit):
//
//	resource blob { constructor(data: list<u8>); size: func() -> u64; }
//	log: func(msg: string);
//	get-point: func() -> point; // record point { x: s32, y: s32, label: string }
//	check: func(b: borrow<blob>) -> bool;
//
// Its describe export calls each of them. Here the host functions take and
// return dynamic values.
func ExampleHostInstance_Func() {
	ctx := context.Background()
	cache, _ := os.MkdirTemp("", "wasmhive-example")
	defer os.RemoveAll(cache)
	rt, err := engine.NewRuntime(ctx, engine.Config{CacheDir: cache})
	if err != nil {
		log.Fatal(err)
	}
	defer rt.Close(ctx)
	wasm, err := os.ReadFile("../../testdata/components/types.wasm")
	if err != nil {
		log.Fatal(err)
	}
	c, err := linker.Compile(ctx, rt, "types.wasm", wasm)
	if err != nil {
		log.Fatal(err)
	}

	l := linker.New()
	host := l.Instance("wasmhive:test/host@0.1.0")
	host.Func("log", func(_ context.Context, _ *linker.Instance, args []canonical.Value) (canonical.Value, error) {
		fmt.Println("log:", args[0])
		return nil, nil
	})
	host.Func("get-point", func(context.Context, *linker.Instance, []canonical.Value) (canonical.Value, error) {
		return canonical.Record{int32(-7), int32(9), "host"}, nil
	})
	// Blob handles' representations index blobs.
	blobs := map[uint32][]byte{}
	host.Resource("blob", func(_ context.Context, _ *linker.Instance, rep uint32) error {
		fmt.Println("drop blob", rep)
		delete(blobs, rep)
		return nil
	})
	host.Func("[constructor]blob", func(_ context.Context, _ *linker.Instance, args []canonical.Value) (canonical.Value, error) {
		rep := uint32(len(blobs) + 1)
		blobs[rep] = args[0].([]byte)
		return canonical.Own{Rep: rep}, nil
	})
	host.Func("[method]blob.size", func(_ context.Context, _ *linker.Instance, args []canonical.Value) (canonical.Value, error) {
		return uint64(len(blobs[args[0].(canonical.Borrow).Rep])), nil
	})
	host.Func("check", func(_ context.Context, _ *linker.Instance, args []canonical.Value) (canonical.Value, error) {
		_, ok := blobs[args[0].(canonical.Borrow).Rep]
		return ok, nil
	})

	inst, err := l.Instantiate(ctx, c, engine.InstanceConfig{})
	if err != nil {
		log.Fatal(err)
	}
	defer inst.Close(ctx)
	// describe: func(p: point, c: color, f: perms) -> string
	describe, err := inst.Func("wasmhive:test/types@0.1.0", "describe")
	if err != nil {
		log.Fatal(err)
	}
	v, err := describe.Call(ctx, canonical.Record{int32(1), int32(-2), "hi"}, canonical.Enum(2), canonical.Flags(5))
	fmt.Println(v, err)
	// Output:
	// log: hi
	// drop blob 1
	// hi|1,-2|c2|f5|h-7,9,host|b2,1 <nil>
}

// Implement imports as typed Go functions: DefineFunc converts the
// arguments and the result by the import's types. The same imports as
// for ExampleHostInstance_Func.
func ExampleDefineFunc() {
	ctx := context.Background()
	cache, _ := os.MkdirTemp("", "wasmhive-example")
	defer os.RemoveAll(cache)
	rt, err := engine.NewRuntime(ctx, engine.Config{CacheDir: cache})
	if err != nil {
		log.Fatal(err)
	}
	defer rt.Close(ctx)
	wasm, err := os.ReadFile("../../testdata/components/types.wasm")
	if err != nil {
		log.Fatal(err)
	}
	c, err := linker.Compile(ctx, rt, "types.wasm", wasm)
	if err != nil {
		log.Fatal(err)
	}

	type Point struct {
		X, Y  int32
		Label string
	}
	l := linker.New()
	host := l.Instance("wasmhive:test/host@0.1.0")
	blobs := map[uint32][]byte{}
	for name, fn := range map[string]any{
		"log":       func(_ context.Context, msg string) { fmt.Println("log:", msg) },
		"get-point": func(context.Context) Point { return Point{-7, 9, "host"} },
		"[constructor]blob": func(_ context.Context, data []byte) canonical.Own {
			rep := uint32(len(blobs) + 1)
			blobs[rep] = data
			return canonical.Own{Rep: rep}
		},
		"[method]blob.size": func(_ context.Context, b canonical.Borrow) uint64 { return uint64(len(blobs[b.Rep])) },
		"check": func(_ context.Context, b canonical.Borrow) (bool, error) {
			_, ok := blobs[b.Rep]
			return ok, nil
		},
	} {
		if err := linker.DefineFunc(host, name, fn); err != nil {
			log.Fatal(err)
		}
	}
	host.Resource("blob", func(_ context.Context, _ *linker.Instance, rep uint32) error {
		delete(blobs, rep)
		return nil
	})

	inst, err := l.Instantiate(ctx, c, engine.InstanceConfig{})
	if err != nil {
		log.Fatal(err)
	}
	defer inst.Close(ctx)
	describe, err := inst.Func("wasmhive:test/types@0.1.0", "describe")
	if err != nil {
		log.Fatal(err)
	}
	// color is an enum (a label or an index), perms flags (labels or a bitmask).
	s, err := linker.Call[string](ctx, describe, Point{1, -2, "hi"}, "blue", []string{"read", "exec"})
	fmt.Println(s, err)
	// Output:
	// log: hi
	// hi|1,-2|c2|f5|h-7,9,host|b2,1 <nil>
}

// Run a WASI 0.2 command: a component exporting wasi:cli/run, with the
// WASI interfaces from wasip2. cmd.wasm's first argument picks what it
// does; "args" prints its arguments.
func Example_command() {
	ctx := context.Background()
	cache, _ := os.MkdirTemp("", "wasmhive-example")
	defer os.RemoveAll(cache)
	rt, err := engine.NewRuntime(ctx, engine.Config{CacheDir: cache})
	if err != nil {
		log.Fatal(err)
	}
	defer rt.Close(ctx)
	wasm, err := os.ReadFile("../../testdata/components/cmd.wasm")
	if err != nil {
		log.Fatal(err)
	}
	c, err := linker.Compile(ctx, rt, "cmd.wasm", wasm)
	if err != nil {
		log.Fatal(err)
	}
	l := linker.New()
	wasip2.Define(l)
	inst, err := l.Instantiate(ctx, c, engine.InstanceConfig{
		Args:   []string{"cmd", "args", "component world"},
		Stdout: os.Stdout,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer inst.Close(ctx)
	run, err := inst.Func("wasi:cli/run@0.2.0", "run")
	if err != nil {
		log.Fatal(err)
	}
	// run: func() -> result; exit status 0 is ok.
	v, err := run.Call(ctx)
	fmt.Printf("%+v %v\n", v, err)
	// Output:
	// argv[0]=cmd
	// argv[1]=args
	// argv[2]=component world
	// {Err:false Value:<nil>} <nil>
}
