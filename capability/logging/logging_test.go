package logging_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/capability/logging"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

// recorder is a slog.Handler keeping every record with its attributes.
type recorder struct {
	mu      *sync.Mutex
	level   slog.Level
	attrs   []slog.Attr
	records *[]rec
}

type rec struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

func newRecorder(level slog.Level) *recorder {
	return &recorder{mu: &sync.Mutex{}, level: level, records: &[]rec{}}
}

func (r *recorder) Enabled(_ context.Context, l slog.Level) bool { return l >= r.level }
func (r *recorder) Handle(_ context.Context, record slog.Record) error {
	x := rec{level: record.Level, msg: record.Message, attrs: map[string]string{}}
	for _, a := range r.attrs {
		x.attrs[a.Key] = a.Value.String()
	}
	record.Attrs(func(a slog.Attr) bool { x.attrs[a.Key] = a.Value.String(); return true })
	r.mu.Lock()
	*r.records = append(*r.records, x)
	r.mu.Unlock()
	return nil
}
func (r *recorder) WithAttrs(as []slog.Attr) slog.Handler {
	c := *r
	c.attrs = append(append([]slog.Attr(nil), r.attrs...), as...)
	return &c
}
func (r *recorder) WithGroup(string) slog.Handler { return r }

func (r *recorder) take() []rec {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := *r.records
	*r.records = nil
	return out
}

// The runtime and the compiled guest are shared by the package's tests:
// compiling a Go guest takes seconds.
var shared struct {
	once sync.Once
	rt   *engine.Runtime
	mod  *engine.Module
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.rt != nil {
		shared.rt.Close(context.Background())
	}
	os.Exit(code)
}

func load(t *testing.T, b *logging.Binding) func(fn string, in any) string {
	t.Helper()
	ctx := context.Background()
	wasm := testguest.GoReactor(t, "capabilities/logging")
	shared.once.Do(func() {
		ec := engine.Config{NoCache: true}
		for _, h := range append(extism.HostModules(), logging.HostModules()...) {
			ec.HostModules = append(ec.HostModules, h)
		}
		if shared.rt, shared.err = engine.NewRuntime(ctx, ec); shared.err == nil {
			shared.mod, shared.err = shared.rt.CompileFile(ctx, wasm)
		}
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	rt, mod := shared.rt, shared.mod
	var icfg engine.InstanceConfig
	st := extism.NewState(extism.StateConfig{})
	st.Attach(&icfg)
	if b != nil {
		logging.Attach(&icfg, b)
	}
	inst, err := rt.Instantiate(ctx, mod, icfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close(ctx) })
	return func(fn string, in any) string {
		t.Helper()
		b, _ := json.Marshal(in)
		out, err := extism.Call(ctx, inst, st, fn, b)
		if err != nil {
			t.Fatalf("%s(%s): %v", fn, b, err)
		}
		return string(out)
	}
}

type record struct {
	Level   string `json:"level"`
	Context string `json:"context"`
	Message string `json:"message"`
}

func TestRecords(t *testing.T) {
	r := newRecorder(logging.LevelTrace)
	call := load(t, &logging.Binding{Logger: slog.New(r).With("component", "greeter")})
	if out := call("log", record{"warn", "handler", "disk almost full"}); out != "" {
		t.Fatalf("log = %q", out)
	}
	if out := call("log", record{"info", "", "no context"}); out != "" {
		t.Fatalf("log = %q", out)
	}
	got := r.take()
	if len(got) != 2 {
		t.Fatalf("%d records, want 2: %+v", len(got), got)
	}
	if g := got[0]; g.level != slog.LevelWarn || g.msg != "disk almost full" || g.attrs["component"] != "greeter" || g.attrs["context"] != "handler" || len(g.attrs) != 2 {
		t.Errorf("record = %+v", g)
	}
	if g := got[1]; g.level != slog.LevelInfo || g.msg != "no context" || len(g.attrs) != 1 {
		t.Errorf("record without context = %+v", g)
	}

	call("every", nil)
	want := []struct {
		level    slog.Level
		msg      string
		critical bool
	}{{-8, "t", false}, {slog.LevelDebug, "d", false}, {slog.LevelInfo, "i", false}, {slog.LevelWarn, "w", false}, {slog.LevelError, "e", false}, {slog.LevelError, "c", true}}
	got = r.take()
	if len(got) != len(want) {
		t.Fatalf("every level: %d records, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.level != w.level || g.msg != w.msg || (g.attrs["critical"] == "true") != w.critical || g.attrs["component"] != "greeter" {
			t.Errorf("record %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestLevelFilter(t *testing.T) {
	r := newRecorder(slog.LevelInfo)
	call := load(t, &logging.Binding{Logger: slog.New(r)})
	call("every", nil)
	got := r.take()
	if len(got) != 4 || got[0].msg != "i" {
		t.Fatalf("records at info level = %+v, want i, w, e, c", got)
	}
}

func TestBadLevelAndUnbound(t *testing.T) {
	r := newRecorder(logging.LevelTrace)
	call := load(t, &logging.Binding{Logger: slog.New(r)})
	for _, lvl := range []string{"fatal", "INFO", "", "warning"} {
		if out := call("log", record{lvl, "", "x"}); !strings.HasPrefix(out, "typed: ") || !strings.Contains(out, "unknown log level") {
			t.Errorf("log at level %q = %q", lvl, out)
		}
	}
	if got := r.take(); len(got) != 0 {
		t.Errorf("records from bad levels: %+v", got)
	}
	// A nil logger drops records.
	if out := load(t, &logging.Binding{})("log", record{"info", "", "dropped"}); out != "" {
		t.Errorf("log with a nil logger = %q", out)
	}
	if out := load(t, nil)("log", record{"info", "", "x"}); !strings.Contains(out, "not bound") {
		t.Errorf("log without a binding = %q", out)
	}
}

func TestParseLevel(t *testing.T) {
	for name, want := range map[string]slog.Level{"trace": -8, "debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError, "critical": slog.LevelError} {
		l, crit, err := logging.ParseLevel(name)
		if err != nil || l != want || crit != (name == "critical") {
			t.Errorf("ParseLevel(%q) = %v, %v, %v", name, l, crit, err)
		}
	}
}
