package pool_test

import (
	"context"
	"fmt"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/pool"
)

// A pool of warm reactor instances: _initialize runs once per instance, and
// state in guest memory persists from one call to the next.
func Example() {
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, engine.Config{NoCache: true})
	if err != nil {
		panic(err)
	}
	defer rt.Close(ctx)
	mod, err := rt.CompileFile(ctx, "../../testdata/guests/http/reactor.wasm")
	if err != nil {
		panic(err)
	}
	p, err := pool.New(pool.Config{
		New: func(ctx context.Context) (*engine.Instance, error) {
			return rt.Instantiate(ctx, mod, engine.InstanceConfig{})
		},
		Max:          4,                     // at most 4 calls at once
		MinWarm:      1,                     // one instance made ahead, in the background
		IdleTimeout:  time.Minute,           // close instances idle for a minute
		QueueTimeout: 50 * time.Millisecond, // then ErrSaturated
	})
	if err != nil {
		panic(err)
	}
	defer p.Close(ctx)
	for range 3 {
		err := p.Do(ctx, func(inst *engine.Instance) error {
			res, err := inst.Call(ctx, "next")
			if err != nil {
				return err // a trap or timeout: the pool discards the instance
			}
			fmt.Println(api.DecodeI32(res[0]))
			return nil
		})
		if err != nil {
			panic(err)
		}
	}
	// Output:
	// 101
	// 102
	// 103
}

// session is an engine instance with host-side state of its own, kept and
// discarded together with it.
type session struct {
	inst  *engine.Instance
	calls int
}

func (s *session) Broken() bool                    { return s.inst.Broken() }
func (s *session) Close(ctx context.Context) error { return s.inst.Close(ctx) }

// NewOf pools any type that bundles an engine instance with state of its
// own; here each instance counts the calls it served.
func ExampleNewOf() {
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, engine.Config{NoCache: true})
	if err != nil {
		panic(err)
	}
	defer rt.Close(ctx)
	mod, err := rt.CompileFile(ctx, "../../testdata/guests/http/reactor.wasm")
	if err != nil {
		panic(err)
	}
	p, err := pool.NewOf(pool.ConfigOf[*session]{
		New: func(ctx context.Context) (*session, error) {
			inst, err := rt.Instantiate(ctx, mod, engine.InstanceConfig{})
			if err != nil {
				return nil, err
			}
			return &session{inst: inst}, nil
		},
		Max: 1,
	})
	if err != nil {
		panic(err)
	}
	defer p.Close(ctx)
	for range 2 {
		err := p.Do(ctx, func(s *session) error {
			res, err := s.inst.Call(ctx, "next")
			if err != nil {
				return err
			}
			s.calls++
			fmt.Printf("guest counter %d, host counter %d\n", api.DecodeI32(res[0]), s.calls)
			return nil
		})
		if err != nil {
			panic(err)
		}
	}
	// Output:
	// guest counter 101, host counter 1
	// guest counter 102, host counter 2
}
