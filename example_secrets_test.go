package wasmhive_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/trigger"
)

// A config value read from the host's environment when the component
// loads, kept secret: the component reads it like any other, and the Host
// never prints it. A source that cannot be read stops the load with an
// error naming the key and the source.
func ExampleConfigSource() {
	ctx := context.Background()
	os.Setenv("EXAMPLE_GREETING", "hello from the environment")
	defer os.Unsetenv("EXAMPLE_GREETING")
	p, err := wasmhive.LoadFile(ctx, "testdata/guests/plugins/host/kernel.wasm", wasmhive.PluginConfig{
		Component: wasmhive.ComponentConfig{ConfigFrom: map[string]wasmhive.ConfigSource{
			"greeting": {Env: "EXAMPLE_GREETING", Secret: true},
		}},
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

	_, err = wasmhive.LoadFile(ctx, "testdata/guests/plugins/host/kernel.wasm", wasmhive.PluginConfig{
		Name: "kernel",
		Component: wasmhive.ComponentConfig{ConfigFrom: map[string]wasmhive.ConfigSource{
			"greeting": {Env: "EXAMPLE_UNSET", Secret: true},
		}},
	})
	var ce *wasmhive.ConfigError
	fmt.Println(errors.As(err, &ce), err)
	// Output:
	// hello from the environment
	// true load kernel: config key greeting: environment variable EXAMPLE_UNSET is not set
}

// A component's private directory: the guest sees it at /data, the host
// keeps it under the data directory, and no other component sees it.
func ExampleHost_PrivateDir() {
	ctx := context.Background()
	dataDir, err := os.MkdirTemp("", "wasmhive-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dataDir)
	h, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{DataDir: dataDir})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close(ctx)
	_, err = h.AddComponent(ctx, "notes", wasmhive.ComponentConfig{
		Module:     "testdata/guests/privatedir/privatedir.wasm",
		PrivateDir: "/data",
	})
	if err != nil {
		log.Fatal(err)
	}
	var out bytes.Buffer
	// The guest writes /data/todo.txt.
	if err := h.Run(ctx, "notes", trigger.CommandIO{Args: []string{"privatedir", "put", "todo.txt", "water the plants"}, Stdout: &out}); err != nil {
		log.Fatal(err)
	}
	dir, err := h.PrivateDir("notes")
	if err != nil {
		log.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "todo.txt"))
	if err != nil {
		log.Fatal(err)
	}
	rel, _ := filepath.Rel(dataDir, dir)
	fmt.Println(rel)
	fmt.Println(string(b))
	// Output:
	// components/notes
	// water the plants
}
