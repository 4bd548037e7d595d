package extism_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

// load compiles the hand-written kernel plugin and instantiates it with a
// new State from cfg.
func load(t *testing.T, cfg extism.StateConfig) (*engine.Instance, *extism.State) {
	t.Helper()
	ctx := context.Background()
	ec := engine.Config{NoCache: true}
	for _, h := range extism.HostModules() {
		ec.HostModules = append(ec.HostModules, h)
	}
	rt, err := engine.NewRuntime(ctx, ec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	m, err := rt.CompileFile(ctx, testguest.Path(t, "plugins/host/kernel.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	st := extism.NewState(cfg)
	libs := map[string]*engine.Instance{}
	if pluginMem {
		if !m.KernelInlined() || !extism.UsePluginMemory(st, m) {
			t.Fatalf("UsePluginMemory refused %s (KernelInlined %v)", m.Name(), m.KernelInlined())
		}
	} else if !goKernel {
		k, err := extism.LinkKernel(ctx, rt, st, libs, m)
		if err != nil || k == nil {
			t.Fatalf("LinkKernel = %v, %v", k, err)
		}
		t.Cleanup(func() { k.Close(ctx) })
	}
	inst, err := rt.InstantiateLinked(ctx, m, attached(st), libs)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Kernel() != nil; got == (goKernel || pluginMem) {
		t.Fatalf("State.Kernel() != nil is %v with goKernel %v, pluginMem %v", got, goKernel, pluginMem)
	}
	return inst, st
}

// pluginMem runs the tests with the kernel in the plugin's own memory
// (UsePluginMemory), the third way TestMain runs them.
var pluginMem bool

// goKernel runs the tests with the kernel memory in Go (no LinkKernel);
// TestMain runs every test both ways.
var goKernel bool

func TestMain(m *testing.M) {
	fmt.Fprintln(os.Stderr, "=== kernel memory in a kernel instance (LinkKernel)")
	if code := m.Run(); code != 0 {
		os.Exit(code)
	}
	fmt.Fprintln(os.Stderr, "=== kernel memory in Go")
	goKernel = true
	if code := m.Run(); code != 0 {
		os.Exit(code)
	}
	fmt.Fprintln(os.Stderr, "=== kernel in the plugin's memory")
	goKernel, pluginMem = false, true
	os.Exit(m.Run())
}

func TestEcho(t *testing.T) {
	inst, st := load(t, extism.StateConfig{})
	for _, fn := range []string{"echo", "echo_offset", "bulk_echo"} {
		for _, in := range [][]byte{nil, []byte("a"), []byte("hello world"), bytes.Repeat([]byte("0123456789abcdef"), 4096)} {
			out, err := extism.Call(context.Background(), inst, st, fn, in)
			if err != nil {
				t.Fatalf("%s(%d bytes): %v", fn, len(in), err)
			}
			if !bytes.Equal(out, in) {
				t.Fatalf("%s(%d bytes) = %d bytes, want the input back", fn, len(in), len(out))
			}
		}
	}
}

func TestPluginError(t *testing.T) {
	inst, st := load(t, extism.StateConfig{})
	_, err := extism.Call(context.Background(), inst, st, "fail", nil)
	var pe *extism.PluginError
	if !errors.As(err, &pe) || pe.Message != "boom" || pe.Code != 1 || err.Error() != "boom" {
		t.Fatalf("fail: err = %v (%#v), want PluginError boom code 1", err, pe)
	}
	_, err = extism.Call(context.Background(), inst, st, "fail_silent", nil)
	if !errors.As(err, &pe) || pe.Code != 7 || pe.Message != "" || !strings.Contains(err.Error(), "fail_silent returned 7") {
		t.Fatalf("fail_silent: err = %v", err)
	}
	// The instance is still usable after a plugin error.
	if out, err := extism.Call(context.Background(), inst, st, "echo", []byte("ok")); err != nil || string(out) != "ok" {
		t.Fatalf("echo after fail = %q, %v", out, err)
	}
}

func TestConfig(t *testing.T) {
	inst, st := load(t, extism.StateConfig{Config: map[string]string{"greeting": "hi there"}})
	out, err := extism.Call(context.Background(), inst, st, "config", nil)
	if err != nil || string(out) != "hi there" {
		t.Fatalf("config = %q, %v", out, err)
	}
	inst, st = load(t, extism.StateConfig{})
	out, err = extism.Call(context.Background(), inst, st, "config", nil)
	if err != nil || len(out) != 0 {
		t.Fatalf("config unset = %q, %v; want empty", out, err)
	}
}

func TestVarsPersistAcrossCalls(t *testing.T) {
	inst, st := load(t, extism.StateConfig{})
	for want := uint64(1); want <= 3; want++ {
		out, err := extism.Call(context.Background(), inst, st, "count", nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := binary.LittleEndian.Uint64(out); got != want {
			t.Fatalf("call %d: count = %d", want, got)
		}
	}
	if v, ok := st.Var("count"); !ok || binary.LittleEndian.Uint64(v) != 3 {
		t.Fatalf("Var(count) = %v, %v", v, ok)
	}
}

func TestVarsCap(t *testing.T) {
	inst, st := load(t, extism.StateConfig{MaxVarBytes: 1000})
	if _, err := extism.Call(context.Background(), inst, st, "big_var", make([]byte, 500)); err != nil {
		t.Fatalf("500-byte var under a 1000-byte cap: %v", err)
	}
	_, err := extism.Call(context.Background(), inst, st, "big_var", make([]byte, 2000))
	if !errors.Is(err, extism.ErrVarsFull) {
		t.Fatalf("2000-byte var over a 1000-byte cap: err = %v, want ErrVarsFull", err)
	}
	inst, st = load(t, extism.StateConfig{MaxVarBytes: -1})
	if _, err := extism.Call(context.Background(), inst, st, "big_var", []byte("x")); !errors.Is(err, extism.ErrVarsDisabled) {
		t.Fatalf("vars disabled: err = %v", err)
	}
}

func TestLog(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	inst, st := load(t, extism.StateConfig{Name: "kernel", Logger: logger})
	if _, err := extism.Call(context.Background(), inst, st, "log", nil); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); !strings.Contains(got, `level=INFO msg="hello from the plugin" plugin=kernel`) {
		t.Fatalf("log output = %q", got)
	}
	// Logging off: nothing is written and the call still succeeds.
	inst, st = load(t, extism.StateConfig{})
	if _, err := extism.Call(context.Background(), inst, st, "log", nil); err != nil {
		t.Fatal(err)
	}
}

func TestGarbageIsAnErrorNotACrash(t *testing.T) {
	for _, fn := range []string{"garbage_output", "garbage_load", "garbage_store", "garbage_bulk"} {
		inst, st := load(t, extism.StateConfig{})
		_, err := extism.Call(context.Background(), inst, st, fn, []byte("x"))
		var he *extism.HostError
		if !errors.As(err, &he) || !strings.Contains(err.Error(), "out of bounds") {
			t.Errorf("%s: err = %v, want a HostError about an out-of-bounds access", fn, err)
		}
	}
	for _, fn := range []string{"garbage_alloc", "garbage_free"} {
		inst, st := load(t, extism.StateConfig{})
		if _, err := extism.Call(context.Background(), inst, st, fn, nil); err != nil {
			t.Errorf("%s: %v", fn, err)
		}
	}
}

func TestTimeoutAndCancel(t *testing.T) {
	inst, st := load(t, extism.StateConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := extism.Call(ctx, inst, st, "busy", nil); !errors.Is(err, engine.ErrTimeout) {
		t.Fatalf("busy with a deadline: err = %v, want ErrTimeout", err)
	}
	inst, st = load(t, extism.StateConfig{})
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	if _, err := extism.Call(ctx, inst, st, "busy", nil); !errors.Is(err, engine.ErrCanceled) {
		t.Fatalf("busy canceled: err = %v, want ErrCanceled", err)
	}
}

func TestBadExport(t *testing.T) {
	inst, st := load(t, extism.StateConfig{})
	if _, err := extism.Call(context.Background(), inst, st, "nope", nil); !errors.Is(err, engine.ErrNoExport) {
		t.Fatalf("missing export: err = %v", err)
	}
	if _, err := extism.Call(context.Background(), inst, st, "add", nil); err == nil || !strings.Contains(err.Error(), "take no parameters") {
		t.Fatalf("export with params: err = %v", err)
	}
}

func TestHostAllowed(t *testing.T) {
	for _, c := range []struct {
		globs []string
		host  string
		want  bool
	}{
		{nil, "example.com", false},
		{[]string{"example.com"}, "example.com", true},
		{[]string{"*.example.com"}, "api.example.com", true},
		{[]string{"*.example.com"}, "example.com", false},
		{[]string{"*"}, "anything.org", true},
		{[]string{"127.0.0.1"}, "127.0.0.2", false},
		{[]string{"API.Example.com"}, "api.example.com", true},
		{[]string{"[a-z].example.com"}, "a.example.com", false}, // invalid: no character classes
		{[]string{"[bad", "ok.example.com"}, "ok.example.com", true},
	} {
		if got := extism.HostAllowed(c.globs, c.host); got != c.want {
			t.Errorf("HostAllowed(%q, %q) = %v", c.globs, c.host, got)
		}
	}
}

func TestKernelMemoryIsReusedAndReleased(t *testing.T) {
	inst, st := load(t, extism.StateConfig{})
	big := bytes.Repeat([]byte{7}, 16<<20)
	if out, err := extism.Call(context.Background(), inst, st, "echo_offset", big); err != nil || !bytes.Equal(out, big) {
		t.Fatalf("16 MiB echo: %d bytes, %v", len(out), err)
	}
	before := st.KernelSize()
	if out, err := extism.Call(context.Background(), inst, st, "echo_offset", []byte("small")); err != nil || string(out) != "small" {
		t.Fatalf("small echo after a big one = %q, %v", out, err)
	}
	if after := st.KernelSize(); after >= before || after > 4<<20 {
		t.Fatalf("kernel memory %d bytes after a small call (was %d), want at most 4 MiB", after, before)
	}
}

func TestResetFromThePlugin(t *testing.T) {
	inst, st := load(t, extism.StateConfig{})
	out, err := extism.Call(context.Background(), inst, st, "reset", []byte("some input"))
	if err != nil || len(out) != 8 || binary.LittleEndian.Uint64(out) != 0 {
		t.Fatalf("reset = %v, %v; want the input length after reset, 0", out, err)
	}
}

func TestGetLogLevel(t *testing.T) {
	for _, c := range []struct {
		level slog.Level
		want  uint32
	}{{extism.LevelTrace, 0}, {slog.LevelDebug, 1}, {slog.LevelInfo, 2}, {slog.LevelWarn, 3}, {slog.LevelError, 4}} {
		logger := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: c.level}))
		inst, st := load(t, extism.StateConfig{Logger: logger})
		out, err := extism.Call(context.Background(), inst, st, "log_level", nil)
		if err != nil || binary.LittleEndian.Uint32(out) != c.want {
			t.Errorf("logger at %v: get_log_level = %v, %v; want %d", c.level, out, err, c.want)
		}
	}
	inst, st := load(t, extism.StateConfig{})
	if out, err := extism.Call(context.Background(), inst, st, "log_level", nil); err != nil || binary.LittleEndian.Uint32(out) != math.MaxInt32 {
		t.Errorf("no logger: get_log_level = %v, %v; want MaxInt32 (off)", out, err)
	}
}

func TestBulkOutputHandle(t *testing.T) {
	inst, st := load(t, extism.StateConfig{})
	out, err := extism.Call(context.Background(), inst, st, "bulk_then_offset", []byte("?hello"))
	if err != nil || string(out) != "!hello" {
		t.Fatalf("bulk_then_offset = %q, %v; want !hello", out, err)
	}
}

func attached(st *extism.State) engine.InstanceConfig {
	var cfg engine.InstanceConfig
	st.Attach(&cfg)
	return cfg
}
