package engine_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/engine"
)

func newRuntime(t *testing.T, cfg engine.Config) *engine.Runtime {
	t.Helper()
	rt, err := engine.NewRuntime(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(context.Background()) })
	return rt
}

func compileFile(t *testing.T, rt *engine.Runtime, path string) *engine.Module {
	t.Helper()
	m, err := rt.CompileFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRunCommandTraps(t *testing.T) {
	rt := newRuntime(t, engine.Config{NoCache: true})
	m := compileFile(t, rt, cmdWasm)
	for _, tc := range []struct{ mode, at, reason string }{
		{"unreachable", "crash_unreachable", "unreachable"},
		{"divzero", "divide", "integer divide by zero"},
		{"oob", "main", "out of bounds memory access"},
		{"recurse", "", "stack overflow (call stack exhausted)"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			err := rt.RunCommand(context.Background(), m, engine.InstanceConfig{Args: []string{"cmd.wasm", tc.mode}})
			var trap *engine.TrapError
			if !errors.As(err, &trap) {
				t.Fatalf("got %v (%T), want a *TrapError", err, err)
			}
			if trap.Module != "cmd.wasm" || trap.Function != "_start" || trap.At != tc.at || trap.Reason != tc.reason {
				t.Errorf("got %+v", trap)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("message is not one line: %q", err)
			}
			if tc.at != "" && (len(trap.Stack) < 2 || !strings.HasPrefix(trap.Stack[0], tc.at+"(")) {
				t.Errorf("stack %q does not start at %s", trap.Stack, tc.at)
			}
		})
	}
}

func TestRunCommandExit(t *testing.T) {
	rt := newRuntime(t, engine.Config{NoCache: true})
	m := compileFile(t, rt, cmdWasm)
	run := func(args ...string) error {
		return rt.RunCommand(context.Background(), m, engine.InstanceConfig{Args: append([]string{"cmd.wasm"}, args...)})
	}
	if err := run("exit", "0"); err != nil {
		t.Errorf("exit 0: %v", err)
	}
	// wazero uses 0xfffffffe and 0xffffffff for "closed by ctx"; from a guest
	// whose ctx is fine they are plain statuses.
	for _, code := range []uint32{1, 255, 0xfffffffe, 0xffffffff} {
		err := run("exit", strconv.FormatUint(uint64(code), 10))
		var exit *engine.ExitError
		if !errors.As(err, &exit) || exit.Code != code {
			t.Errorf("proc_exit(%d): got %v", code, err)
		}
		if errors.Is(err, engine.ErrTimeout) || errors.Is(err, engine.ErrCanceled) {
			t.Errorf("proc_exit(%d) taken for a timeout/cancel: %v", code, err)
		}
	}
}

func TestRunCommandDeadline(t *testing.T) {
	rt := newRuntime(t, engine.Config{NoCache: true})
	m := compileFile(t, rt, cmdWasm)
	for _, mode := range []string{"loop", "sleep"} {
		t.Run(mode, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			var out bytes.Buffer
			err := within(t, 30*time.Second, func() error {
				return rt.RunCommand(ctx, m, engine.InstanceConfig{Args: []string{"cmd.wasm", mode}, Stdout: &out})
			})
			var te *engine.TimeoutError
			if !errors.As(err, &te) || !errors.Is(err, engine.ErrTimeout) || te.Function != "_start" {
				t.Errorf("got %v (%T), want a *TimeoutError", err, err)
			}
			if strings.Contains(out.String(), "woke up") {
				t.Errorf("guest went on after its deadline: %q", out.String())
			}
		})
	}
	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		err := rt.RunCommand(ctx, m, engine.InstanceConfig{Args: []string{"cmd.wasm", "loop"}})
		if !errors.Is(err, engine.ErrCanceled) {
			t.Errorf("got %v, want ErrCanceled", err)
		}
	})
}

// within runs f, failing the test if it has not returned after d (a bound
// against a guest that ignores its deadline, not a timing assertion).
func within(t *testing.T, d time.Duration, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("still running after %s: the deadline did not stop the guest", d)
		return nil
	}
}

func TestReactorInitializeOnceAndCalls(t *testing.T) {
	rt := newRuntime(t, engine.Config{NoCache: true})
	m := compileFile(t, rt, reactorWasm)
	if m.Pattern() != engine.PatternReactor {
		t.Fatalf("pattern %v", m.Pattern())
	}
	ctx := context.Background()
	inst, err := rt.Instantiate(ctx, m, engine.InstanceConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close(ctx)
	for i := 0; i < 3; i++ {
		res, err := inst.Call(ctx, "init_count")
		if err != nil || api.DecodeI32(res[0]) != 1 {
			t.Fatalf("init_count = %v, %v; want 1", res, err)
		}
	}
	if _, err := inst.Call(ctx, "nope"); !errors.Is(err, engine.ErrNoExport) {
		t.Errorf("unknown export: %v", err)
	}
	if inst.Broken() {
		t.Error("an unknown export broke the instance")
	}
	_, err = inst.Call(ctx, "div", api.EncodeI32(1), 0)
	var trap *engine.TrapError
	if !errors.As(err, &trap) || trap.Function != "div" {
		t.Fatalf("div by zero: %v", err)
	}
	if !inst.Broken() {
		t.Error("not broken after a trap")
	}
	if _, err := inst.Call(ctx, "init_count"); !errors.Is(err, engine.ErrBroken) {
		t.Errorf("call after a trap: %v", err)
	}
	// A second instance gets its own, freshly initialised state.
	inst2, err := rt.Instantiate(ctx, m, engine.InstanceConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer inst2.Close(ctx)
	if res, err := inst2.Call(ctx, "init_count"); err != nil || api.DecodeI32(res[0]) != 1 {
		t.Errorf("second instance init_count = %v, %v", res, err)
	}
}

func TestStartRunsOnce(t *testing.T) {
	rt := newRuntime(t, engine.Config{NoCache: true})
	m := compileFile(t, rt, cmdWasm)
	ctx := context.Background()
	inst, err := rt.Instantiate(ctx, m, engine.InstanceConfig{Args: []string{"cmd.wasm", "args"}})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close(ctx)
	if _, err := inst.Call(ctx, "_start"); err != nil {
		t.Fatal(err)
	}
	if _, err := inst.Call(ctx, "_start"); err == nil {
		t.Error("second _start succeeded")
	}
}

func TestLoadErrors(t *testing.T) {
	rt := newRuntime(t, engine.Config{NoCache: true, MaxMemory: 64 << 20})
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		wasm []byte
		is   error
		msg  string
	}{
		{"text", []byte("hello world"), engine.ErrNotWasm, "not a WebAssembly binary"},
		{"component", []byte{0, 'a', 's', 'm', 0x0d, 0, 1, 0}, engine.ErrComponent, "component"},
		{"short", []byte{0, 'a', 's', 'm', 1}, nil, "truncated"},
		{"version 2", []byte{0, 'a', 's', 'm', 2, 0, 0, 0}, nil, "version"},
	} {
		_, err := rt.Compile(ctx, tc.name, tc.wasm)
		var le *engine.LoadError
		if !errors.As(err, &le) || le.Module != tc.name || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: got %v", tc.name, err)
		}
		if tc.is != nil && !errors.Is(err, tc.is) {
			t.Errorf("%s: %v is not %v", tc.name, err, tc.is)
		}
	}
	// A minimum over the limit fails at compile time, exported memory or not.
	for _, p := range []string{"bigmem.wasm", "bigmem_exported.wasm"} {
		_, err := rt.CompileFile(ctx, filepath.Join("../testdata/guests/cmd", p))
		var le *engine.LoadError
		if !errors.As(err, &le) || !strings.Contains(err.Error(), "125 MiB") || !strings.Contains(err.Error(), "64 MiB") {
			t.Errorf("%s: got %v", p, err)
		}
	}
	_, err := rt.CompileFile(ctx, "testdata/does-not-exist.wasm")
	var le *engine.LoadError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
}

func TestUnresolvedImports(t *testing.T) {
	rt := newRuntime(t, engine.Config{NoCache: true})
	m := compileFile(t, rt, "../testdata/guests/cmd/imports.wasm")
	_, err := rt.Instantiate(context.Background(), m, engine.InstanceConfig{})
	var ue *engine.UnresolvedImportsError
	if !errors.As(err, &ue) || len(ue.Imports) != 2 {
		t.Fatalf("got %v", err)
	}
	if got := ue.Imports[0].Signature() + "; " + ue.Imports[1].Signature(); got != "env.foo(i32) -> (i32); env.bar()" {
		t.Errorf("signatures %q", got)
	}
}

// envHost provides the imports of imports.wasm; foo fails the way a buggy
// host function does, with a Go runtime panic.
type envHost struct{}

func (envHost) ModuleName() string { return "env" }

func (envHost) Define(_ *engine.Runtime, b wazero.HostModuleBuilder) {
	b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(_ context.Context, _ api.Module, stack []uint64) {
		var m map[string]int
		m["x"] = int(stack[0]) // assignment to entry in nil map: a runtime.Error
	}), []api.ValueType{api.ValueTypeI32}, []api.ValueType{api.ValueTypeI32}).Export("foo")
	b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(context.Context, api.Module, []uint64) {}),
		nil, nil).Export("bar")
}

// TestHostPanicIsOneLine: wazero appends a Go stack trace to a host
// function's runtime panic; the engine's error must not carry it.
func TestHostPanicIsOneLine(t *testing.T) {
	rt := newRuntime(t, engine.Config{NoCache: true, HostModules: []engine.HostModule{envHost{}}})
	m := compileFile(t, rt, "../testdata/guests/cmd/imports.wasm")
	err := rt.RunCommand(context.Background(), m, engine.InstanceConfig{})
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") || strings.Contains(msg, "goroutine") || !strings.Contains(msg, "assignment to entry in nil map") ||
		!strings.HasPrefix(msg, "imports.wasm: _start: ") {
		t.Errorf("got %q", msg)
	}
}

func TestDefaultCacheDir(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir, err := engine.DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	base, _ := os.UserCacheDir()
	rel, err := filepath.Rel(base, dir)
	if err != nil || !strings.HasPrefix(rel, "wasmhive"+string(filepath.Separator)) {
		t.Fatalf("%s is not under %s/wasmhive", dir, base)
	}
	if want := "-" + runtime.GOOS + "-" + runtime.GOARCH; !strings.HasSuffix(dir, want) {
		t.Errorf("%s does not end in %s", dir, want)
	}
	// A runtime with the cache on writes entries there (code compiled
	// without DWARF, the default, under nodwarf/); wazero keys them by its
	// own version in a subdirectory.
	rt := newRuntime(t, engine.Config{})
	compileFile(t, rt, reactorWasm)
	entries, err := filepath.Glob(filepath.Join(dir, "nodwarf", "wazero-*", "*"))
	if err != nil || len(entries) == 0 {
		t.Errorf("no cache entry under %s: %v", dir, err)
	}
}

// TestHostModulesDefinedOnFirstImport: a declared host module is compiled
// and instantiated when the first module importing it is compiled, not
// before: a Runtime whose guests import only WASI does not pay for the
// others.
func TestHostModulesDefinedOnFirstImport(t *testing.T) {
	ctx := context.Background()
	rt := newRuntime(t, engine.Config{NoCache: true, HostModules: []engine.HostModule{envHost{}}})
	if !rt.HasHostModule("env") {
		t.Fatal("HasHostModule(env) = false for a declared module")
	}
	compileFile(t, rt, reactorWasm) // imports WASI only
	if rt.Wazero().Module("env") != nil {
		t.Fatal("env was instantiated before a module importing it was compiled")
	}
	m := compileFile(t, rt, "../testdata/guests/cmd/imports.wasm")
	if rt.Wazero().Module("env") == nil {
		t.Fatal("env not instantiated after compiling a module that imports it")
	}
	if err := rt.CheckImports(m); err != nil {
		t.Fatalf("imports of a module whose host module is defined: %v", err)
	}
	inst, err := rt.HostInstance(ctx, "env")
	if err != nil || inst == nil || inst != rt.Wazero().Module("env") {
		t.Fatalf("HostInstance(env) = %v, %v", inst, err)
	}
	if inst, err := rt.HostInstance(ctx, "nope"); inst != nil || err != nil {
		t.Fatalf("HostInstance(nope) = %v, %v; want nil, nil", inst, err)
	}
}

// TestDuplicateHostModule: two host modules of one name are refused when
// the Runtime is made, not when a guest first imports them.
func TestDuplicateHostModule(t *testing.T) {
	_, err := engine.NewRuntime(context.Background(), engine.Config{NoCache: true, HostModules: []engine.HostModule{envHost{}, envHost{}}})
	if err == nil || !strings.Contains(err.Error(), `host module "env" defined twice`) {
		t.Fatalf("got %v", err)
	}
}

// TestCallContextDoneLater: a context reused call after call is asked
// again whether it is done, unless it can never be (no Done channel, no
// deadline): after calls under it, a call under the same context once
// canceled, or past its deadline, does not run; a context that can never
// be done, derived from one that can (WithoutCancel), calls as usual.
func TestCallContextDoneLater(t *testing.T) {
	rt := limitsRuntime(t)
	inst := instantiateFile(t, rt, limitsDir+"counter.wasm", engine.InstanceConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	for call := 0; call < 2; call++ {
		if res, err := inst.Call(ctx, "twice", 2, 5); err != nil || res[0] != 7 {
			t.Fatalf("call %d: %v, %v", call, res, err)
		}
	}
	cancel()
	var ce *engine.CanceledError
	if _, err := inst.Call(ctx, "twice", 2, 5); !errors.As(err, &ce) {
		t.Fatalf("call under the same context, canceled: %v (%T), want a *CanceledError", err, err)
	}

	inst = instantiateFile(t, rt, limitsDir+"counter.wasm", engine.InstanceConfig{})
	quiet := context.WithoutCancel(ctx)
	for call := 0; call < 2; call++ {
		if res, err := inst.Call(quiet, "twice", 2, 5); err != nil || res[0] != 7 {
			t.Fatalf("call %d under a context without cancellation: %v, %v", call, res, err)
		}
	}
	dl, stop := context.WithDeadline(context.Background(), time.Now().Add(100*time.Millisecond))
	defer stop()
	if res, err := inst.Call(dl, "twice", 2, 5); err != nil || res[0] != 7 {
		t.Fatalf("call before the deadline: %v, %v", res, err)
	}
	time.Sleep(150 * time.Millisecond)
	var te *engine.TimeoutError
	if _, err := inst.Call(dl, "twice", 2, 5); !errors.As(err, &te) {
		t.Fatalf("call under the same context, past its deadline: %v (%T), want a *TimeoutError", err, err)
	}
}
