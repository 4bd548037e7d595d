package pool_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/pool"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

// reactor compiles testdata/guests/http/reactor.wasm (a C reactor whose
// constructor runs in _initialize and whose exports keep a counter).
func reactor(t testing.TB, cfg engine.Config) (*engine.Runtime, *engine.Module) {
	t.Helper()
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, noCache(cfg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	mod, err := rt.CompileFile(ctx, testguest.Path(t, "http/reactor.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	return rt, mod
}

func newPool(t testing.TB, cfg pool.Config) (*pool.Pool, *engine.Runtime) {
	t.Helper()
	rt, mod := reactor(t, engine.Config{})
	if cfg.New == nil {
		cfg.New = func(ctx context.Context) (*engine.Instance, error) {
			return rt.Instantiate(ctx, mod, engine.InstanceConfig{})
		}
	}
	p, err := pool.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p, rt
}

func call(ctx context.Context, inst *engine.Instance, name string) (int32, error) {
	res, err := inst.Call(ctx, name)
	if err != nil {
		return 0, err
	}
	if len(res) == 0 {
		return 0, nil
	}
	return api.DecodeI32(res[0]), nil
}

func doCall(t *testing.T, p *pool.Pool, name string) int32 {
	t.Helper()
	var v int32
	err := p.Do(context.Background(), func(inst *engine.Instance) (err error) {
		v, err = call(context.Background(), inst, name)
		return err
	})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// eventually polls cond for up to 10 s: for background work (warming,
// expiry) whose timing the test does not assert.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestReuseKeepsStateAndInitialisesOnce(t *testing.T) {
	p, _ := newPool(t, pool.Config{Max: 1})
	for want := int32(101); want <= 105; want++ {
		if got := doCall(t, p, "next"); got != want {
			t.Fatalf("next = %d, want %d (state must persist on the one instance)", got, want)
		}
	}
	if got := doCall(t, p, "init_count"); got != 1 {
		t.Fatalf("_initialize ran %d times on the instance, want 1", got)
	}
	if s := p.Stats(); s.Created != 1 || s.Calls != 6 || s.Idle != 1 || s.Active != 0 {
		t.Fatalf("stats = %+v, want 1 created, 6 calls, 1 idle", s)
	}
}

func TestFreshPolicyNewInstancePerCall(t *testing.T) {
	p, _ := newPool(t, pool.Config{Policy: pool.Fresh, Max: 2})
	for range 3 {
		if got := doCall(t, p, "next"); got != 101 {
			t.Fatalf("next = %d, want 101 on a fresh instance", got)
		}
	}
	if s := p.Stats(); s.Created != 3 || s.Retired != 3 || s.Idle != 0 {
		t.Fatalf("stats = %+v, want 3 created and 3 retired, none idle", s)
	}
}

func TestConcurrentCallsNeverShareAnInstance(t *testing.T) {
	const max, workers, calls = 3, 16, 40
	p, _ := newPool(t, pool.Config{Max: max, QueueSize: workers, QueueTimeout: time.Minute})
	var inUse sync.Map // *engine.Instance -> struct{}
	var shared atomic.Int32
	last := sync.Map{} // *engine.Instance -> int32 (the counter's last value)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range calls {
				err := p.Do(context.Background(), func(inst *engine.Instance) error {
					if _, busy := inUse.LoadOrStore(inst, struct{}{}); busy {
						shared.Add(1)
					}
					defer inUse.Delete(inst)
					v, err := call(context.Background(), inst, "next")
					if err != nil {
						return err
					}
					if prev, ok := last.Load(inst); ok && v != prev.(int32)+1 {
						return fmt.Errorf("counter went from %d to %d: another call ran on this instance in between", prev, v)
					}
					last.Store(inst, v)
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := shared.Load(); n != 0 {
		t.Fatalf("%d calls ran on an instance already serving another call", n)
	}
	total := 0
	instances := 0
	last.Range(func(_, v any) bool {
		total += int(v.(int32) - 100)
		instances++
		return true
	})
	if total != workers*calls {
		t.Fatalf("instances counted %d calls in guest memory, want %d", total, workers*calls)
	}
	if s := p.Stats(); instances > max || s.Created > max || s.Active != 0 {
		t.Fatalf("%d instances used, stats %+v: want at most Max=%d", instances, s, max)
	}
}

func TestTrapDiscardsInstance(t *testing.T) {
	p, _ := newPool(t, pool.Config{Max: 1})
	doCall(t, p, "next")
	err := p.Do(context.Background(), func(inst *engine.Instance) error {
		_, err := call(context.Background(), inst, "trap")
		return err
	})
	var trap *engine.TrapError
	if !errors.As(err, &trap) {
		t.Fatalf("err = %v, want *engine.TrapError", err)
	}
	if got := doCall(t, p, "next"); got != 101 {
		t.Fatalf("next after a trap = %d, want 101 from a new instance", got)
	}
	if s := p.Stats(); s.Discarded != 1 || s.Created != 2 {
		t.Fatalf("stats = %+v, want 1 discarded, 2 created", s)
	}
}

func TestTimeoutDiscardsInstance(t *testing.T) {
	p, _ := newPool(t, pool.Config{Max: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := p.Do(ctx, func(inst *engine.Instance) error {
		_, err := call(ctx, inst, "spin")
		return err
	})
	if !errors.Is(err, engine.ErrTimeout) {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if got := doCall(t, p, "next"); got != 101 {
		t.Fatalf("next after a timeout = %d, want 101 from a new instance", got)
	}
	if s := p.Stats(); s.Discarded != 1 {
		t.Fatalf("stats = %+v, want 1 discarded", s)
	}
}

func TestMemoryLimitDiscardsInstance(t *testing.T) {
	rt, mod := reactor(t, engine.Config{MaxMemory: 4 * engine.PageSize})
	p, err := pool.New(pool.Config{Max: 1, MemoryLimit: 4 * engine.PageSize, New: func(ctx context.Context) (*engine.Instance, error) {
		return rt.Instantiate(ctx, mod, engine.InstanceConfig{})
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	var grew []int32
	for range 4 {
		p.Do(context.Background(), func(inst *engine.Instance) error {
			res, err := inst.Call(context.Background(), "grow", api.EncodeI32(1))
			if err != nil {
				return err
			}
			grew = append(grew, api.DecodeI32(res[0]))
			return nil
		})
	}
	s := p.Stats()
	if s.Discarded == 0 {
		t.Fatalf("after growing to the limit (results %v), stats = %+v: want the instance discarded", grew, s)
	}
	if got := doCall(t, p, "next"); got != 101 {
		t.Fatalf("next = %d, want 101 from a new instance", got)
	}
}

func TestSaturation(t *testing.T) {
	p, _ := newPool(t, pool.Config{Max: 1, QueueSize: 1, QueueTimeout: 50 * time.Millisecond})
	ctx := context.Background()
	held, err := p.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// One caller waits in the queue for the whole QueueTimeout...
	queued := make(chan error, 1)
	go func() {
		_, err := p.Get(ctx)
		queued <- err
	}()
	eventually(t, "a queued caller", func() bool { return p.Stats().Waiting == 1 })
	// ...so the next one finds the queue full and is refused at once.
	_, err = p.Get(ctx)
	var sat *pool.SaturatedError
	if !errors.As(err, &sat) || sat.Queued {
		t.Fatalf("with the queue full, err = %v, want an immediate *SaturatedError", err)
	}
	err = <-queued
	if !errors.Is(err, pool.ErrSaturated) || !errors.As(err, &sat) || !sat.Queued {
		t.Fatalf("queued caller err = %v, want ErrSaturated after waiting", err)
	}
	p.Put(held)
	if got := doCall(t, p, "next"); got != 101 {
		t.Fatalf("after the pool drained, next = %d, want 101", got)
	}
	if s := p.Stats(); s.Rejected != 2 || s.Created != 1 {
		t.Fatalf("stats = %+v, want 2 rejected and the one instance reused", s)
	}
}

func TestQueuedCallerGetsReleasedInstance(t *testing.T) {
	p, _ := newPool(t, pool.Config{Max: 1, QueueTimeout: time.Minute})
	ctx := context.Background()
	held, err := p.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *engine.Instance, 1)
	go func() {
		inst, err := p.Get(ctx)
		if err != nil {
			t.Error(err)
		}
		got <- inst
	}()
	eventually(t, "a queued caller", func() bool { return p.Stats().Waiting == 1 })
	p.Put(held)
	inst := <-got
	if inst != held {
		t.Fatal("the queued caller did not get the warm instance back")
	}
	p.Put(inst)
}

func TestContextEndsQueueWait(t *testing.T) {
	p, _ := newPool(t, pool.Config{Max: 1, QueueTimeout: time.Minute})
	held, err := p.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Put(held)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = p.Get(ctx)
	var sat *pool.SaturatedError
	if !errors.As(err, &sat) || !errors.Is(sat.Context, context.Canceled) {
		t.Fatalf("err = %v, want *SaturatedError carrying context.Canceled", err)
	}
}

func TestDoneContextDoesNotTakeAnInstance(t *testing.T) {
	p, _ := newPool(t, pool.Config{Max: 1})
	doCall(t, p, "next")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Get(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if got := doCall(t, p, "next"); got != 102 {
		t.Fatalf("next = %d, want 102: the warm instance must be untouched", got)
	}
}

func TestMinWarmCreatedAhead(t *testing.T) {
	p, _ := newPool(t, pool.Config{Max: 4, MinWarm: 2})
	eventually(t, "2 warm instances", func() bool { return p.Stats().Idle == 2 })
	if s := p.Stats(); s.Calls != 0 || s.Created != 2 {
		t.Fatalf("stats = %+v, want 2 created before any call", s)
	}
	doCall(t, p, "next")
	if s := p.Stats(); s.Created != 2 {
		t.Fatalf("a call with warm instances idle created one: %+v", s)
	}
	// A discarded instance is replaced in the background.
	p.Do(context.Background(), func(inst *engine.Instance) error {
		_, err := inst.Call(context.Background(), "trap")
		return err
	})
	eventually(t, "a replacement warm instance", func() bool { return p.Stats().Idle == 2 })
}

func TestFreshPolicyWithMinWarm(t *testing.T) {
	p, _ := newPool(t, pool.Config{Policy: pool.Fresh, Max: 2, MinWarm: 1})
	eventually(t, "1 warm instance", func() bool { return p.Stats().Idle == 1 })
	for range 3 {
		if got := doCall(t, p, "next"); got != 101 {
			t.Fatalf("next = %d, want 101 on a fresh instance", got)
		}
		eventually(t, "a new warm instance", func() bool { return p.Stats().Idle == 1 })
	}
}

func TestIdleTimeout(t *testing.T) {
	p, _ := newPool(t, pool.Config{Max: 2, IdleTimeout: 20 * time.Millisecond})
	doCall(t, p, "next")
	eventually(t, "the idle instance to expire", func() bool { s := p.Stats(); return s.Idle == 0 && s.Retired == 1 })
	if got := doCall(t, p, "next"); got != 101 {
		t.Fatalf("next = %d, want 101 from a new instance", got)
	}
}

func TestIdleTimeoutKeepsMinWarm(t *testing.T) {
	p, _ := newPool(t, pool.Config{Max: 3, MinWarm: 1, IdleTimeout: 10 * time.Millisecond})
	ctx := context.Background()
	a, _ := p.Get(ctx)
	b, _ := p.Get(ctx)
	c, _ := p.Get(ctx)
	p.Put(a)
	p.Put(b)
	p.Put(c)
	eventually(t, "expiry down to MinWarm", func() bool { return p.Stats().Retired >= 2 })
	time.Sleep(50 * time.Millisecond) // several more expiry rounds
	if s := p.Stats(); s.Idle != 1 {
		t.Fatalf("stats = %+v, want MinWarm=1 idle instance kept", s)
	}
}

func TestGetNewIsClosedOnPut(t *testing.T) {
	p, rt := newPool(t, pool.Config{Max: 1})
	mod2, err := rt.CompileFile(context.Background(), testguest.Path(t, "http/reactor.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	inst, err := p.GetNew(context.Background(), func(ctx context.Context) (*engine.Instance, error) {
		return rt.Instantiate(ctx, mod2, engine.InstanceConfig{})
	})
	if err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.Active != 1 {
		t.Fatalf("stats = %+v, want 1 active", s)
	}
	p.Put(inst)
	if !inst.Broken() {
		t.Fatal("an instance from GetNew was not closed by Put")
	}
	if s := p.Stats(); s.Idle != 0 || s.Retired != 1 {
		t.Fatalf("stats = %+v, want it retired, none idle", s)
	}
}

func TestFactoryErrorReleasesSlot(t *testing.T) {
	boom := errors.New("boom")
	p, err := pool.New(pool.Config{Max: 1, New: func(context.Context) (*engine.Instance, error) { return nil, boom }})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	for range 3 {
		if _, err := p.Get(context.Background()); !errors.Is(err, boom) {
			t.Fatalf("err = %v, want the factory's error (and the slot released)", err)
		}
	}
	if s := p.Stats(); s.Failed != 3 || s.Active != 0 {
		t.Fatalf("stats = %+v", s)
	}
}

func TestCloseWakesQueuedCallers(t *testing.T) {
	p, _ := newPool(t, pool.Config{Max: 1, QueueTimeout: time.Minute})
	held, err := p.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := p.Get(context.Background())
		done <- err
	}()
	eventually(t, "a queued caller", func() bool { return p.Stats().Waiting == 1 })
	p.Close(context.Background())
	if err := <-done; !errors.Is(err, pool.ErrClosed) {
		t.Fatalf("queued caller err = %v, want ErrClosed", err)
	}
	p.Put(held)
	if !held.Broken() {
		t.Fatal("an instance returned after Close was not closed")
	}
}

func TestConfigValidation(t *testing.T) {
	f := func(context.Context) (*engine.Instance, error) { return nil, nil }
	for _, cfg := range []pool.Config{
		{},
		{New: f, Max: -1},
		{New: f, Max: 2, MinWarm: 3},
		{New: f, Policy: pool.Policy(9)},
	} {
		if p, err := pool.New(cfg); err == nil {
			p.Close(context.Background())
			t.Errorf("pool.New(%+v) accepted a bad config", cfg)
		}
	}
	if _, err := pool.ParsePolicy("sometimes"); err == nil {
		t.Error("ParsePolicy accepted an unknown policy")
	}
}

// BenchmarkPoolDo measures the pooled call overhead (take an instance, call
// a trivial export, give it back) against calling the same export on one
// instance directly, and the pool's own take-and-return without a call.
func BenchmarkPoolDo(b *testing.B) {
	rt, mod := reactor(b, engine.Config{})
	ctx := context.Background()
	b.Run("direct", func(b *testing.B) {
		inst, err := rt.Instantiate(ctx, mod, engine.InstanceConfig{})
		if err != nil {
			b.Fatal(err)
		}
		defer inst.Close(ctx)
		for b.Loop() {
			if _, err := inst.Call(ctx, "noop"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pool", func(b *testing.B) {
		p, err := pool.New(pool.Config{Max: 4, New: func(ctx context.Context) (*engine.Instance, error) {
			return rt.Instantiate(ctx, mod, engine.InstanceConfig{})
		}})
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close(ctx)
		fn := func(inst *engine.Instance) error { _, err := inst.Call(ctx, "noop"); return err }
		for b.Loop() {
			if err := p.Do(ctx, fn); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pool-take-return-only", func(b *testing.B) {
		p, err := pool.New(pool.Config{Max: 4, New: func(ctx context.Context) (*engine.Instance, error) {
			return rt.Instantiate(ctx, mod, engine.InstanceConfig{})
		}})
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close(ctx)
		fn := func(*engine.Instance) error { return nil }
		for b.Loop() {
			if err := p.Do(ctx, fn); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pool-parallel", func(b *testing.B) {
		p, err := pool.New(pool.Config{Max: 8, New: func(ctx context.Context) (*engine.Instance, error) {
			return rt.Instantiate(ctx, mod, engine.InstanceConfig{})
		}})
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close(ctx)
		fn := func(inst *engine.Instance) error { _, err := inst.Call(ctx, "noop"); return err }
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := p.Do(ctx, fn); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// TestWarmingNeverEvictsTheServingInstance: with Max 1, a call that arrives
// while the warm instance is still being made gets its own instance; when
// both exist, the pool keeps the one that served (its state is in use) and
// drops the surplus.
func TestWarmingNeverEvictsTheServingInstance(t *testing.T) {
	rt, mod := reactor(t, engine.Config{})
	gate := make(chan struct{})
	var calls atomic.Int32
	p, err := pool.New(pool.Config{Max: 1, MinWarm: 1, New: func(ctx context.Context) (*engine.Instance, error) {
		if calls.Add(1) == 1 {
			<-gate // the background warm instance is slow to make
		}
		return rt.Instantiate(ctx, mod, engine.InstanceConfig{})
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	eventually(t, "warming to start", func() bool { return calls.Load() == 1 })
	if got := doCall(t, p, "next"); got != 101 {
		t.Fatalf("next = %d", got)
	}
	close(gate)
	eventually(t, "the surplus warm instance to be dropped", func() bool { s := p.Stats(); return s.Created == 2 && s.Retired == 1 })
	if got := doCall(t, p, "next"); got != 102 {
		t.Fatalf("next = %d, want 102 from the instance that served the first call", got)
	}
	if s := p.Stats(); s.Idle != 1 {
		t.Fatalf("stats %+v: want exactly Max=1 instance", s)
	}
}

// noCache returns cfg with the on-disk compilation cache off.
func noCache(cfg engine.Config) engine.Config { cfg.NoCache = true; return cfg }
