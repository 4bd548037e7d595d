package engine_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

// TestDebugInfo: with debug info on (the default), a trap's stack trace has
// the source positions of a module built with DWARF; with it off, only the
// function names. Both settings share one cache directory without mixing
// their entries.
func TestDebugInfo(t *testing.T) {
	ctx := context.Background()
	wasm := testguest.Path(t, "clistart/dbg.wasm")
	dir := t.TempDir()
	for i, on := range []bool{false, true, true, false} {
		cfg := engine.Config{CacheDir: dir, DebugInfo: on}
		rt, err := engine.NewRuntime(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		mod, err := rt.CompileFile(ctx, wasm)
		if err != nil {
			t.Fatal(err)
		}
		err = rt.RunCommand(ctx, mod, engine.InstanceConfig{Args: []string{"dbg", "trap"}, Stdout: io.Discard, Stderr: io.Discard})
		rt.Close(ctx)
		var trap *engine.TrapError
		if !errors.As(err, &trap) {
			t.Fatalf("run %d: got %v, want a trap", i, err)
		}
		stack := strings.Join(trap.Stack, "\n")
		if trap.At != "divide" || !strings.HasPrefix(stack, "divide(i32,i32) i32\n") {
			t.Errorf("run %d: trap at %q, stack %q", i, trap.At, stack)
		}
		if hasPos := strings.Contains(stack, "dbg.c:13:"); hasPos != on {
			t.Errorf("run %d: debug info %v, stack has dbg.c:13: %v\n%s", i, on, hasPos, stack)
		}
	}
}
