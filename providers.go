package wasmhive

import (
	"context"
	"sync"

	"github.com/wasmhive/wasmhive/engine"
)

// providers opens the Host's capability providers on first use and binds
// components' grants to them.
type providers struct {
	h  *Host
	mu sync.Mutex
}

// capabilityModules returns the host modules of every capability contract.
func capabilityModules() []engine.HostModule { return nil }

// bind opens what cfg's grants need and returns, for each grant, the
// function that attaches its binding to an instance's configuration.
func (p *providers) bind(ctx context.Context, component string, cfg ComponentConfig) ([]func(*engine.InstanceConfig), error) {
	return nil, nil
}

func (p *providers) close() error { return nil }
