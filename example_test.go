package wasmhive_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/wasmhive/wasmhive"
)

// Load a plugin from a file and call one of its functions with bytes in and
// bytes out.
func ExampleLoadFile() {
	ctx := context.Background()
	p, err := wasmhive.LoadFile(ctx, "testdata/guests/plugins/host/kernel.wasm", wasmhive.PluginConfig{})
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

// A PluginConfig is plain data: here, the configuration values the plugin
// reads through config_get, a cap on its linear memory and a timeout for
// each call. Every field left zero means its documented default.
func ExamplePluginConfig() {
	ctx := context.Background()
	p, err := wasmhive.LoadFile(ctx, "testdata/guests/plugins/host/kernel.wasm", wasmhive.PluginConfig{
		Component: wasmhive.ComponentConfig{
			Config: map[string]string{"greeting": "hi there"},
			Limits: wasmhive.Limits{Memory: 16 << 20, Timeout: time.Second},
		},
	})
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
	p, err := wasmhive.LoadFile(ctx, "testdata/guests/plugins/host/kernel.wasm", wasmhive.PluginConfig{})
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

	p, err := wasmhive.LoadFile(ctx, "testdata/guests/plugins/host/hostfn.wasm", wasmhive.PluginConfig{
		Host: wasmhive.HostConfig{HostFunctions: []wasmhive.HostFunction{greet, add}},
	})
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
	c, err := wasmhive.CompileFile(ctx, "testdata/guests/plugins/host/kernel.wasm", wasmhive.PluginConfig{})
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

// Compile a plugin from bytes. Instances.Max bounds the instances
// CompiledPlugin.Call uses and Stats shows them: with one instance, calls
// take turns on it and its variables carry over. Queue and QueueTimeout
// let up to 16 calls wait for the busy instance as long as their context
// allows (by default up to 4 x Max calls wait, at most 1s each, and the
// others fail with ErrSaturated).
func ExampleCompile() {
	ctx := context.Background()
	wasm, err := os.ReadFile("testdata/guests/plugins/host/kernel.wasm")
	if err != nil {
		log.Fatal(err)
	}
	c, err := wasmhive.Compile(ctx, wasm, wasmhive.PluginConfig{
		Name:      "kernel",
		Component: wasmhive.ComponentConfig{Instances: wasmhive.Instances{Max: 1, Queue: 16, QueueTimeout: -1}},
	})
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

// Load a plugin from bytes with initial plugin variables; the plugin's
// changes to them persist from one call to the next.
func ExampleLoad() {
	ctx := context.Background()
	wasm, err := os.ReadFile("testdata/guests/plugins/host/kernel.wasm")
	if err != nil {
		log.Fatal(err)
	}
	p, err := wasmhive.Load(ctx, wasm, wasmhive.PluginConfig{
		Component: wasmhive.ComponentConfig{Vars: map[string][]byte{"count": binary.LittleEndian.AppendUint64(nil, 41)}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close(ctx)

	for range 2 {
		out, err := p.Call(ctx, "count", nil)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(binary.LittleEndian.Uint64(out))
	}
	// Output:
	// 42
	// 43
}

// A Host runs any number of components on one runtime, each with its own
// configuration, grants and pool of warm instances.
func ExampleNewHost() {
	ctx := context.Background()
	h, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close(ctx)

	if _, err := h.AddComponent(ctx, "greeter", wasmhive.ComponentConfig{
		Module: "testdata/guests/plugins/host/kernel.wasm",
		Config: map[string]string{"greeting": "hello from the host"},
	}); err != nil {
		log.Fatal(err)
	}
	out, err := h.Invoke(ctx, "greeter", "config", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(out))
	// Output: hello from the host
}
