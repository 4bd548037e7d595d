package compat_test

import (
	"context"
	"testing"

	"github.com/wasmhive/wasmhive"
)

// load loads a plugin on wasmhive and closes it when the test ends.
func load(t testing.TB, path string, cfg wasmhive.PluginConfig) *wasmhive.Plugin {
	t.Helper()
	p, err := wasmhive.LoadFile(context.Background(), path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}

// likeExtism is a plugin compiled as the Extism Go SDK compiles one by
// default, for a fair comparison: without the termination checks that make
// a guest interruptible.
var likeExtism = wasmhive.PluginConfig{Host: wasmhive.HostConfig{NoInterrupts: true}}
