package wasip1_test

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/wasip1"
)

// Example defines wasi_snapshot_preview1 on a plain wazero runtime and runs a
// command with its own State. (wasmhive's engine does this wiring itself.)
func Example() {
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)

	var states sync.Map // api.Module -> *wasip1.State
	b := r.NewHostModuleBuilder(wasip1.ModuleName)
	wasip1.HostModule{Lookup: func(_ context.Context, m api.Module) *wasip1.State {
		st, _ := states.Load(m)
		s, _ := st.(*wasip1.State)
		return s
	}}.Define(b)
	if _, err := b.Instantiate(ctx); err != nil {
		fmt.Println(err)
		return
	}

	bin, err := os.ReadFile("../testdata/guests/wasi/hello.wasm")
	if err != nil {
		fmt.Println(err)
		return
	}
	st, err := wasip1.NewState(wasip1.Config{Args: []string{"hello"}, Stdout: os.Stdout})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	// No start function at instantiation: the State is registered first.
	mod, err := r.InstantiateWithConfig(ctx, bin, wazero.NewModuleConfig().WithStartFunctions())
	if err != nil {
		fmt.Println(err)
		return
	}
	states.Store(mod, st)
	if _, err := mod.ExportedFunction("_start").Call(ctx); err != nil {
		fmt.Println(err)
	}
	// Output: hello
}
