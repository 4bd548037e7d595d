package engine

import (
	"context"
	"crypto/rand"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/wasip1"
)

// wasiHostModule is wasmhive's own WASI preview 1 (package wasip1). Each
// instance's state (fd table, stdio, preopens) is attached under wasiKey.
type wasiHostModule struct{}

var wasiKey = NewKey[*wasip1.State]("wasi")

func (wasiHostModule) ModuleName() string { return wasip1.ModuleName }

func (wasiHostModule) Define(rt *Runtime, b wazero.HostModuleBuilder) {
	wasip1.HostModule{Lookup: func(ctx context.Context, mod api.Module) *wasip1.State {
		s, _ := wasiKey.Get(ctx, rt, mod)
		return s
	}}.Define(b)
}

// wasiModuleConfig opens the instance's WASI state (preopens fail clearly
// here) and configures what wazero itself still needs.
func wasiModuleConfig(mc wazero.ModuleConfig, cfg InstanceConfig) (wazero.ModuleConfig, *wasip1.State, error) {
	preopens := make([]wasip1.Preopen, len(cfg.Preopens))
	for i, p := range cfg.Preopens {
		preopens[i] = wasip1.Preopen(p) // same fields; see Preopen
	}
	st, err := wasip1.NewState(wasip1.Config{
		Args: cfg.Args, Env: cfg.Env,
		Stdin: cfg.Stdin, Stdout: cfg.Stdout, Stderr: cfg.Stderr,
		Preopens: preopens,
	})
	if err != nil {
		return mc, nil, err
	}
	// wasip1 implements random_get itself; giving wazero a ready source stops it
	// seeding a throwaway math/rand source on every instantiation (~8 µs).
	return mc.WithRandSource(rand.Reader), st, nil
}
