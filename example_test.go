package wasmhive_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log"
	"strings"
	"sync"

	"github.com/wasmhive/wasmhive"
)

// Load a plugin from a file and call one of its functions with bytes in and
// bytes out.
func ExampleLoadFile() {
	ctx := context.Background()
	p, err := wasmhive.LoadFile(ctx, "testdata/guests/plugins/host/kernel.wasm")
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close(ctx)

	out, err := p.Call(ctx, "echo", []byte("hello world"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(out))
	// Output: hello world
}

// Configuration values reach the plugin through config_get.
func ExampleWithConfig() {
	ctx := context.Background()
	p, err := wasmhive.LoadFile(ctx, "testdata/guests/plugins/host/kernel.wasm",
		wasmhive.WithConfig(map[string]string{"greeting": "hi there"}))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close(ctx)

	out, err := p.Call(ctx, "config", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(out))
	// Output: hi there
}

// A plugin's failure carries the message it set with error_set.
func ExamplePluginError() {
	ctx := context.Background()
	p, err := wasmhive.LoadFile(ctx, "testdata/guests/plugins/host/kernel.wasm")
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close(ctx)

	_, err = p.Call(ctx, "fail", nil)
	var pe *wasmhive.PluginError
	if errors.As(err, &pe) {
		fmt.Printf("%s returned %d: %s\n", pe.Function, pe.Code, pe.Message)
	}
	// Output: fail returned 1: boom
}

// Host functions: a bytes-in/bytes-out function in the default module
// (extism:host/user) and a raw stack function in a module of your choice.
func ExampleNewHostFunction() {
	ctx := context.Background()
	greet := wasmhive.NewHostFunction("greet", func(ctx context.Context, p *wasmhive.CurrentPlugin, name []byte) ([]byte, error) {
		return []byte("Hello, " + strings.ToUpper(string(name)) + "!"), nil
	})
	add := wasmhive.NewRawHostFunction("add", []wasmhive.ValueType{wasmhive.I32, wasmhive.I32}, []wasmhive.ValueType{wasmhive.I32},
		func(ctx context.Context, p *wasmhive.CurrentPlugin, stack []uint64) {
			stack[0] = uint64(uint32(stack[0]) + uint32(stack[1]))
		}).InModule("env")

	p, err := wasmhive.LoadFile(ctx, "testdata/guests/plugins/host/hostfn.wasm", wasmhive.WithHostFunctions(greet, add))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close(ctx)

	out, err := p.Call(ctx, "greet", []byte("ada"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(out))
	// Output: Hello, ADA!
}

// Compile once, then call from many goroutines: CompiledPlugin.Call runs
// each call on an idle pooled instance.
func ExampleCompiledPlugin_Call() {
	ctx := context.Background()
	c, err := wasmhive.CompileFile(ctx, "testdata/guests/plugins/host/kernel.wasm")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(ctx)

	var wg sync.WaitGroup
	results := make([]string, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := c.Call(ctx, "echo", []byte(fmt.Sprint("call ", i)))
			if err != nil {
				log.Fatal(err)
			}
			results[i] = string(out)
		}()
	}
	wg.Wait()
	fmt.Println(strings.Join(results, ", "))
	// Output: call 0, call 1, call 2, call 3
}

// WithMaxInstances bounds the instances CompiledPlugin.Call uses; Stats
// shows them. With one instance, calls take turns on it and its variables
// carry over.
func ExampleWithMaxInstances() {
	ctx := context.Background()
	c, err := wasmhive.CompileFile(ctx, "testdata/guests/plugins/host/kernel.wasm", wasmhive.WithMaxInstances(1))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(ctx)

	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Call(ctx, "count", nil); err != nil {
				log.Fatal(err)
			}
		}()
	}
	wg.Wait()
	out, err := c.Call(ctx, "count", nil)
	if err != nil {
		log.Fatal(err)
	}
	s := c.Stats()
	fmt.Printf("count %d; %d instance(s) created, %d calls\n", binary.LittleEndian.Uint64(out), s.Created, s.Calls)
	// Output: count 11; 1 instance(s) created, 11 calls
}
