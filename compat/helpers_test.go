package compat_test

import (
	"context"
	"testing"

	"github.com/wasmhive/wasmhive"
)

// load loads a plugin on wasmhive and closes it when the test ends.
func load(t testing.TB, path string, opts ...wasmhive.Option) *wasmhive.Plugin {
	t.Helper()
	p, err := wasmhive.LoadFile(context.Background(), path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}
