package wasmhive_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

func kernel(t testing.TB) string { return testguest.Path(t, "plugins/host/kernel.wasm") }

func load(t testing.TB, path string, cfg wasmhive.PluginConfig) *wasmhive.Plugin {
	t.Helper()
	p, err := wasmhive.LoadFile(context.Background(), path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}

// noInterrupts compiles without termination checks, as the Extism Go SDK.
var noInterrupts = wasmhive.PluginConfig{Host: wasmhive.HostConfig{NoInterrupts: true}}

func withTimeout(d time.Duration) wasmhive.PluginConfig {
	return wasmhive.PluginConfig{Component: wasmhive.ComponentConfig{Limits: wasmhive.Limits{Timeout: d}}}
}

func withMemory(n wasmhive.Size) wasmhive.PluginConfig {
	return wasmhive.PluginConfig{Component: wasmhive.ComponentConfig{Limits: wasmhive.Limits{Memory: n}}}
}

// allowHosts grants HTTP to the hosts matching globs (none when empty).
func allowHosts(globs ...string) wasmhive.PluginConfig {
	return wasmhive.PluginConfig{Component: wasmhive.ComponentConfig{Grants: wasmhive.Grants{HTTP: &wasmhive.HTTPGrant{AllowedHosts: globs}}}}
}

func withLibrary(name, path string) wasmhive.PluginConfig {
	return wasmhive.PluginConfig{Component: wasmhive.ComponentConfig{Libraries: []wasmhive.Library{{Name: name, Module: path}}}}
}

func count(t *testing.T, p interface {
	Call(context.Context, string, []byte) ([]byte, error)
}) uint64 {
	t.Helper()
	out, err := p.Call(context.Background(), "count", nil)
	if err != nil {
		t.Fatal(err)
	}
	return binary.LittleEndian.Uint64(out)
}

func TestVarsPersistAndSurviveATrap(t *testing.T) {
	p := load(t, kernel(t), withTimeout(time.Second))
	if a, b := count(t, p), count(t, p); a != 1 || b != 2 {
		t.Fatalf("counts %d, %d; want 1, 2", a, b)
	}
	// An out-of-bounds access stops the call and breaks the instance...
	if _, err := p.Call(context.Background(), "garbage_load", nil); err == nil {
		t.Fatal("garbage_load succeeded")
	}
	// ...the next call runs on a new instance with the same variables.
	if c := count(t, p); c != 3 {
		t.Fatalf("count after a failed call = %d, want 3", c)
	}
}

func TestTimeout(t *testing.T) {
	p := load(t, kernel(t), withTimeout(50*time.Millisecond))
	_, err := p.Call(context.Background(), "busy", nil)
	var te *engine.TimeoutError
	if !errors.As(err, &te) || !errors.Is(err, engine.ErrTimeout) {
		t.Fatalf("busy: err = %v, want a TimeoutError", err)
	}
	if out, err := p.Call(context.Background(), "echo", []byte("alive")); err != nil || string(out) != "alive" {
		t.Fatalf("echo after a timeout = %q, %v", out, err)
	}
}

func TestCancel(t *testing.T) {
	p := load(t, kernel(t), wasmhive.PluginConfig{}) // interruptible by default
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel)
	if _, err := p.Call(ctx, "busy", nil); !errors.Is(err, engine.ErrCanceled) {
		t.Fatalf("busy canceled: err = %v", err)
	}
	// Without interrupts, a context already done still stops a call before it starts.
	q := load(t, kernel(t), noInterrupts)
	if _, err := q.Call(ctx, "echo", nil); !errors.Is(err, engine.ErrCanceled) {
		t.Fatalf("call with a canceled context: err = %v", err)
	}
	dctx, dcancel := context.WithTimeout(context.Background(), 0)
	defer dcancel()
	if _, err := q.Call(dctx, "echo", nil); !errors.Is(err, engine.ErrTimeout) {
		t.Fatalf("call with an expired context: err = %v", err)
	}
}

func TestConcurrentCalls(t *testing.T) {
	ctx := context.Background()
	c, err := wasmhive.CompileFile(ctx, kernel(t), wasmhive.PluginConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	p, err := c.Instance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	const goroutines, calls = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*calls)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range calls {
				in := []byte(fmt.Sprintf("goroutine %d call %d", g, i))
				for _, call := range []func(context.Context, string, []byte) ([]byte, error){p.Call, c.Call} {
					out, err := call(ctx, "echo", in)
					if err != nil || !bytes.Equal(out, in) {
						errs <- fmt.Errorf("echo %q = %q, %v", in, out, err)
						return
					}
				}
				if _, err := p.Call(ctx, "count", nil); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Calls on one Plugin are serialised: no increment was lost.
	if n := count(t, p); n != goroutines*calls+1 {
		t.Fatalf("count = %d, want %d", n, goroutines*calls+1)
	}
}

// TestCompiledPluginPool: CompiledPlugin.Call runs on at most
// Instances.Max instances, keeps healthy ones warm with their own
// variables, replaces one that trapped, and a call waiting for a busy
// instance ends with its context.
func TestCompiledPluginPool(t *testing.T) {
	ctx := context.Background()
	c, err := wasmhive.CompileFile(ctx, kernel(t), wasmhive.PluginConfig{
		Component: wasmhive.ComponentConfig{Instances: wasmhive.Instances{Max: 1, QueueTimeout: -1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	// One instance, kept warm: its variables carry from call to call.
	if a, b := count(t, c), count(t, c); a != 1 || b != 2 {
		t.Fatalf("pooled counts %d, %d; want 1, 2 from the one warm instance", a, b)
	}
	// Instance makes a separate one, with its own variables.
	p, err := c.Instance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	if n := count(t, p); n != 1 {
		t.Fatalf("count on a new Instance = %d, want 1", n)
	}
	// A trap discards the pooled instance; the next call gets a new one.
	if _, err := c.Call(ctx, "garbage_load", nil); err == nil {
		t.Fatal("garbage_load succeeded")
	}
	if n := count(t, c); n != 1 {
		t.Fatalf("count after a trap = %d, want 1 from a new instance", n)
	}
	if s := c.Stats(); s.Created != 2 || s.Discarded != 1 || s.Calls != 4 || s.Idle != 1 || s.Active != 0 {
		t.Fatalf("stats = %+v, want 2 created, 1 discarded, 4 calls, 1 idle", s)
	}

	// With the one instance busy, a second call waits until its context ends.
	bctx, stop := context.WithCancel(ctx)
	busy := make(chan error, 1)
	go func() { _, err := c.Call(bctx, "busy", nil); busy <- err }()
	for c.Stats().Active != 1 {
		time.Sleep(time.Millisecond)
	}
	wctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := c.Call(wctx, "echo", nil); !errors.Is(err, engine.ErrTimeout) {
		t.Fatalf("call waiting for a busy instance: err = %v, want a timeout", err)
	}
	stop()
	if err := <-busy; !errors.Is(err, engine.ErrCanceled) {
		t.Fatalf("busy: err = %v, want canceled", err)
	}
	if s := c.Stats(); s.Created > 3 || s.Rejected != 1 {
		t.Fatalf("stats = %+v, want at most 3 created (Max 1 at a time), 1 rejected", s)
	}

	// Many goroutines share the one instance: every call is served, in turn.
	const goroutines, calls = 4, 25
	var wg sync.WaitGroup
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range calls {
				if _, err := c.Call(ctx, "count", nil); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := count(t, c); n != goroutines*calls+1 {
		t.Fatalf("count = %d, want %d: with Max 1 every call ran on the same instance", n, goroutines*calls+1)
	}
}

// TestQueue: with every instance busy, CompiledPlugin.Call waits as
// Instances.Queue and QueueTimeout allow (by default 1s), then fails with
// ErrSaturated.
func TestQueue(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name      string
		in        wasmhive.Instances
		min, maxW time.Duration
	}{
		{"default", wasmhive.Instances{Max: 1}, time.Second, 10 * time.Second},
		{"QueueTimeout", wasmhive.Instances{Max: 1, QueueTimeout: 50 * time.Millisecond}, 50 * time.Millisecond, 900 * time.Millisecond},
		{"no queue", wasmhive.Instances{Max: 1, Queue: -1}, 0, 900 * time.Millisecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			cp, err := wasmhive.CompileFile(ctx, kernel(t), wasmhive.PluginConfig{Component: wasmhive.ComponentConfig{Instances: c.in}})
			if err != nil {
				t.Fatal(err)
			}
			defer cp.Close(ctx)
			bctx, stop := context.WithCancel(ctx)
			busy := make(chan error, 1)
			go func() { _, err := cp.Call(bctx, "busy", nil); busy <- err }()
			for cp.Stats().Active != 1 {
				time.Sleep(time.Millisecond)
			}
			start := time.Now()
			_, err = cp.Call(ctx, "echo", nil)
			waited := time.Since(start)
			stop()
			if !errors.Is(err, wasmhive.ErrSaturated) || waited < c.min || waited > c.maxW {
				t.Errorf("call with the one instance busy: %v after %v, want ErrSaturated after %v to %v", err, waited, c.min, c.maxW)
			}
			if err := <-busy; !errors.Is(err, engine.ErrCanceled) {
				t.Errorf("busy: err = %v, want canceled (guests are interruptible by default)", err)
			}
		})
	}
}

// TestName: a plugin is named after its file unless PluginConfig.Name says
// otherwise, and "plugin" when it has no file.
func TestName(t *testing.T) {
	ctx := context.Background()
	p := load(t, kernel(t), wasmhive.PluginConfig{})
	q := load(t, kernel(t), wasmhive.PluginConfig{Name: "k"})
	wasm, err := os.ReadFile(kernel(t))
	if err != nil {
		t.Fatal(err)
	}
	r, err := wasmhive.Load(ctx, wasm, wasmhive.PluginConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	if p.Name() != "kernel.wasm" || q.Name() != "k" || r.Name() != "plugin" {
		t.Fatalf("names %q, %q, %q; want kernel.wasm, k, plugin", p.Name(), q.Name(), r.Name())
	}
	_, err = q.Call(ctx, "nope", nil)
	if err == nil || !strings.HasPrefix(err.Error(), "k: ") {
		t.Fatalf("missing export: err = %v, want one starting k:", err)
	}
}

func TestMissingHostFunction(t *testing.T) {
	_, err := wasmhive.LoadFile(context.Background(), testguest.Path(t, "plugins/host/hostfn.wasm"), wasmhive.PluginConfig{})
	var ue *engine.UnresolvedImportsError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "extism:host/user.greet(i64) -> (i64)") || !strings.Contains(err.Error(), "env.add") {
		t.Fatalf("err = %v, want an UnresolvedImportsError naming extism:host/user.greet and env.add", err)
	}
}

var errNoName = errors.New("no name given")

func hostfnPlugin(t *testing.T) *wasmhive.Plugin {
	greet := wasmhive.NewHostFunction("greet", func(_ context.Context, _ *wasmhive.CurrentPlugin, in []byte) ([]byte, error) {
		if len(in) == 0 {
			return nil, errNoName
		}
		return []byte("Hello, " + string(in) + "!"), nil
	})
	add := wasmhive.NewRawHostFunction("add", []wasmhive.ValueType{wasmhive.I32, wasmhive.I32}, []wasmhive.ValueType{wasmhive.I32},
		func(_ context.Context, _ *wasmhive.CurrentPlugin, stack []uint64) {
			stack[0] = uint64(uint32(stack[0]) + uint32(stack[1]))
		}).InModule("env")
	return load(t, testguest.Path(t, "plugins/host/hostfn.wasm"), wasmhive.PluginConfig{Host: wasmhive.HostConfig{HostFunctions: []wasmhive.HostFunction{greet, add}}})
}

func TestHostFunctions(t *testing.T) {
	p := hostfnPlugin(t)
	if out, err := p.Call(context.Background(), "greet", []byte("Ada")); err != nil || string(out) != "Hello, Ada!" {
		t.Fatalf("greet = %q, %v", out, err)
	}
	if out, err := p.Call(context.Background(), "add", nil); err != nil || len(out) != 1 || out[0] != 42 {
		t.Fatalf("add = %v, %v", out, err)
	}
	_, err := p.Call(context.Background(), "greet", nil)
	var he *wasmhive.HostError
	if !errors.As(err, &he) || !errors.Is(err, errNoName) || !strings.Contains(err.Error(), "host function greet: no name given") {
		t.Fatalf("greet with no input: err = %v, want a HostError wrapping errNoName", err)
	}
}

func TestHostFunctionRegistrationErrors(t *testing.T) {
	for _, fns := range [][]wasmhive.HostFunction{
		{wasmhive.NewHostFunction("x", nil)},
		{wasmhive.NewRawHostFunction("alloc", nil, nil, func(context.Context, *wasmhive.CurrentPlugin, []uint64) {}).InModule(extism.EnvModule)},
		{wasmhive.NewHostFunction("greet", func(context.Context, *wasmhive.CurrentPlugin, []byte) ([]byte, error) { return nil, nil }),
			wasmhive.NewHostFunction("greet", func(context.Context, *wasmhive.CurrentPlugin, []byte) ([]byte, error) { return nil, nil })},
	} {
		if _, err := wasmhive.LoadFile(context.Background(), kernel(t), wasmhive.PluginConfig{Host: wasmhive.HostConfig{HostFunctions: fns}}); err == nil {
			t.Errorf("%s.%s: loaded, want an error", fns[0].Module, fns[0].Name)
		}
	}
}

func TestHTTP(t *testing.T) {
	var hits int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "http://localhost.invalid/elsewhere", http.StatusFound)
			return
		}
		body, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusTeapot)
		fmt.Fprintf(w, "%s %s %s", r.Method, r.URL.Path, r.Header.Get("X-Plugin"))
		_ = body
	}))
	defer srv.Close()
	req := func(path string) []byte {
		b, _ := json.Marshal(map[string]any{"method": "post", "url": srv.URL + path, "headers": map[string]string{"X-Plugin": "kernel"}})
		return b
	}
	p := load(t, kernel(t), allowHosts("127.0.0.1"))
	out, err := p.Call(context.Background(), "http", req("/hello"))
	if err != nil || string(out) != "POST /hello kernel" {
		t.Fatalf("http = %q, %v", out, err)
	}
	// http_status_code: the export returns the status, so 418 is a plugin error with code 418.
	_, err = p.Call(context.Background(), "http_status", req("/status"))
	var pe *wasmhive.PluginError
	if !errors.As(err, &pe) || pe.Code != http.StatusTeapot {
		t.Fatalf("http_status: err = %v, want code 418", err)
	}
	// A redirect to a host that is not allowed is denied.
	if _, err := p.Call(context.Background(), "http", req("/redirect")); !errors.Is(err, wasmhive.ErrHostNotAllowed) {
		t.Fatalf("redirect: err = %v, want ErrHostNotAllowed", err)
	}
	// Denied: no request reaches the server.
	mu.Lock()
	before := hits
	mu.Unlock()
	for _, cfg := range []wasmhive.PluginConfig{{}, allowHosts(), allowHosts("*.example.com", "localhost")} {
		d := load(t, kernel(t), cfg)
		if _, err := d.Call(context.Background(), "http", req("/denied")); !errors.Is(err, wasmhive.ErrHostNotAllowed) {
			t.Fatalf("denied: err = %v", err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if hits != before {
		t.Fatalf("a denied request reached the server")
	}
}

func TestMemoryLimit(t *testing.T) {
	p := load(t, kernel(t), withMemory(256<<10))
	if out, err := p.Call(context.Background(), "echo", make([]byte, 64<<10)); err != nil || len(out) != 64<<10 {
		t.Fatalf("64 KiB echo under a 256 KiB limit: %d bytes, %v", len(out), err)
	}
	if _, err := p.Call(context.Background(), "echo", make([]byte, 512<<10)); !errors.Is(err, extism.ErrKernelMemoryFull) {
		t.Fatalf("512 KiB input over a 256 KiB limit: err = %v, want ErrKernelMemoryFull", err)
	}
	// A module whose memory minimum exceeds the limit fails to load.
	if _, err := wasmhive.LoadFile(context.Background(), kernel(t), withMemory(64<<10)); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("2-page module under a 1-page limit: err = %v", err)
	}
}

func TestGarbageLengths(t *testing.T) {
	p := load(t, kernel(t), wasmhive.PluginConfig{})
	for _, fn := range []string{"garbage_output", "garbage_load", "garbage_store", "garbage_bulk"} {
		_, err := p.Call(context.Background(), fn, []byte("x"))
		var he *wasmhive.HostError
		if !errors.As(err, &he) || !strings.Contains(err.Error(), "out of bounds") {
			t.Errorf("%s: err = %v, want an out-of-bounds HostError", fn, err)
		}
	}
	for _, fn := range []string{"garbage_alloc", "garbage_free"} {
		if _, err := p.Call(context.Background(), fn, nil); err != nil {
			t.Errorf("%s: %v", fn, err)
		}
	}
	if _, err := p.Call(context.Background(), "nope", nil); !errors.Is(err, engine.ErrNoExport) {
		t.Errorf("missing export: err = %v", err)
	}
}

func TestClosed(t *testing.T) {
	p, err := wasmhive.LoadFile(context.Background(), kernel(t), wasmhive.PluginConfig{})
	if err != nil {
		t.Fatal(err)
	}
	p.Close(context.Background())
	if _, err := p.Call(context.Background(), "echo", nil); !errors.Is(err, wasmhive.ErrClosed) {
		t.Fatalf("call after close: err = %v", err)
	}
	c, err := wasmhive.CompileFile(context.Background(), kernel(t), wasmhive.PluginConfig{})
	if err != nil {
		t.Fatal(err)
	}
	q, err := c.Instance(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c.Close(context.Background())
	if _, err := q.Call(context.Background(), "echo", nil); !errors.Is(err, wasmhive.ErrClosed) {
		t.Fatalf("call after the CompiledPlugin closed: err = %v", err)
	}
	if _, err := c.Call(context.Background(), "echo", nil); !errors.Is(err, wasmhive.ErrClosed) {
		t.Fatalf("CompiledPlugin.Call after close: err = %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := wasmhive.Load(ctx, []byte("not wasm"), wasmhive.PluginConfig{}); !errors.Is(err, engine.ErrNotWasm) {
		t.Errorf("garbage bytes: err = %v", err)
	}
	if _, err := wasmhive.LoadFile(ctx, "/nonexistent/plugin.wasm", wasmhive.PluginConfig{}); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: err = %v", err)
	}
	if _, err := wasmhive.Load(ctx, nil, wasmhive.PluginConfig{}); !errors.Is(err, engine.ErrNotWasm) {
		t.Errorf("no bytes: err = %v", err)
	}
	if _, err := wasmhive.LoadFile(ctx, kernel(t), wasmhive.PluginConfig{Component: wasmhive.ComponentConfig{Module: "other.wasm"}}); err == nil || !strings.Contains(err.Error(), "must be empty") {
		t.Errorf("Component.Module set: err = %v", err)
	}
	if _, err := wasmhive.LoadFile(ctx, kernel(t), withLibrary("lib", "/nonexistent/lib.wasm")); err == nil || !strings.Contains(err.Error(), "library lib") {
		t.Errorf("missing library: err = %v", err)
	}
	if _, err := wasmhive.LoadFile(ctx, kernel(t), wasmhive.PluginConfig{Component: wasmhive.ComponentConfig{Dirs: []wasmhive.Dir{{Host: "/nonexistent/dir", Guest: "/data"}}}}); err == nil || !strings.Contains(err.Error(), "/nonexistent/dir") {
		t.Errorf("missing preopen: err = %v", err)
	}
}

// TestLinkingManyInstances: the same main and library modules instantiated
// several times in one CompiledPlugin, each instance with its own library.
func TestLinkingManyInstances(t *testing.T) {
	ctx := context.Background()
	c, err := wasmhive.CompileFile(ctx, sdkWasm(t, "main.wasm"), withLibrary("lib", sdkWasm(t, "lib.wasm")))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var plugins []*wasmhive.Plugin
	for range 3 {
		p, err := c.Instance(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close(ctx)
		plugins = append(plugins, p)
	}
	for i, p := range plugins {
		for _, name := range []string{"benjamin", "grace"} {
			out, err := p.Call(ctx, "run_test", []byte(name))
			if want := "Hello, " + strings.ToUpper(name); err != nil || string(out) != want {
				t.Fatalf("instance %d: run_test(%q) = %q, %v; want %q", i, name, out, err, want)
			}
		}
	}
	if _, err := wasmhive.CompileFile(ctx, sdkWasm(t, "main.wasm"), withLibrary("lib", kernel(t))); err == nil || !strings.Contains(err.Error(), "lib.capitalize") {
		t.Fatalf("a library without the import: err = %v, want one naming lib.capitalize", err)
	}
}

// TestHTTPTimeout: a plugin waiting on a slow server is stopped by the
// call's timeout, reported as a timeout.
func TestHTTPTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	req, _ := json.Marshal(map[string]string{"url": srv.URL})
	timeout := allowHosts("127.0.0.1")
	timeout.Component.Limits.Timeout = 100 * time.Millisecond
	for _, cfg := range []wasmhive.PluginConfig{timeout, allowHosts("127.0.0.1")} {
		p := load(t, kernel(t), cfg)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		_, err := p.Call(ctx, "http", req)
		cancel()
		if !errors.Is(err, engine.ErrTimeout) {
			t.Fatalf("slow server: err = %v, want a timeout", err)
		}
	}
	// Without interrupts the context still stops the blocked host call.
	cfg := allowHosts("127.0.0.1")
	cfg.Host.NoInterrupts = true
	p := load(t, kernel(t), cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := p.Call(ctx, "http", req); !errors.Is(err, engine.ErrTimeout) {
		t.Fatalf("slow server, no interrupts: err = %v, want a timeout", err)
	}
}

// TestWasmCallCtors: a WASI module without _initialize has its
// __wasm_call_ctors run once, before the first call.
func TestWasmCallCtors(t *testing.T) {
	p := load(t, testguest.Path(t, "plugins/host/ctors.wasm"), wasmhive.PluginConfig{})
	for range 2 {
		out, err := p.Call(context.Background(), "ctors", nil)
		if err != nil || len(out) != 1 || out[0] != 1 {
			t.Fatalf("ctors = %v, %v; want [1]", out, err)
		}
	}
}
