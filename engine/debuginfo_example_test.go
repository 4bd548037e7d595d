package engine_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"path"

	"github.com/wasmhive/wasmhive/engine"
)

// Trap stack traces carry source positions only with debug info on (the
// default) and only for modules built with DWARF, such as this C guest
// built with clang -g (testdata/guests/clistart).
func ExampleConfig_debugInfo() {
	ctx := context.Background()
	for _, on := range []bool{true, false} {
		rt, err := engine.NewRuntime(ctx, engine.Config{NoCache: true, DebugInfo: on})
		if err != nil {
			log.Fatal(err)
		}
		mod, err := rt.CompileFile(ctx, "../testdata/guests/clistart/dbg.wasm")
		if err != nil {
			log.Fatal(err)
		}
		err = rt.RunCommand(ctx, mod, engine.InstanceConfig{Args: []string{"dbg", "trap"}, Stdout: io.Discard})
		rt.Close(ctx)
		var trap *engine.TrapError
		if !errors.As(err, &trap) || len(trap.Stack) < 2 {
			log.Fatalf("want a trap with a stack trace, got %v", err)
		}
		// The frame after the innermost function: its source position, or
		// without debug info the caller.
		fmt.Printf("debug info %v: %s, then %s\n", on, trap.Stack[0], path.Base(trap.Stack[1]))
	}
	// Output:
	// debug info true: divide(i32,i32) i32, then dbg.c:13:12
	// debug info false: divide(i32,i32) i32, then main(i32,i32) i32
}
