package pdkcompat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	extism "github.com/extism/go-sdk"
	"github.com/tetratelabs/wazero"

	"github.com/wasmhive/wasmhive"
	abi "github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

// logLine is one message a plugin logged, as either host reported it.
type logLine struct {
	Level string // trace, debug, info, warn, error
	Msg   string
}

// options configures a plugin the same way on both hosts.
type options struct {
	Config       map[string]string
	AllowedHosts []string
	Logs         *[]logLine // when set, receives every message at trace and up

	interrupts bool // compile with wazero's CloseOnContextDone (see onWasmhiveIntr)
}

// host is one plugin instance on one host.
type host interface {
	// Call calls function with input. rc is the export's return value (0 on
	// success); err is the plugin's error message or the host's failure.
	Call(function string, input []byte) (out []byte, rc uint32, err error)
	Close()
}

// hostKind names a host in test and benchmark names.
type hostKind string

const (
	onWasmhive hostKind = "wasmhive"
	onExtism   hostKind = "extism-go-sdk"
)

// The "+interrupts" variants compile guests with wazero's CloseOnContextDone,
// which lets a context's deadline or cancellation stop a running guest at
// the price of a check at every loop iteration: wasmhive's default (the
// plain "wasmhive" kind sets HostConfig.NoInterrupts to turn it off),
// PluginConfig.RuntimeConfig on the Extism SDK (which also turns it on when
// the manifest sets a timeout; it is off by default). Benchmarks include
// them so that each host is compared with the other on the same setting.
const (
	onWasmhiveIntr hostKind = "wasmhive+interrupts"
	onExtismIntr   hostKind = "extism-go-sdk+interrupts"
)

var hostKinds = []hostKind{onWasmhive, onExtism}

func open(tb testing.TB, kind hostKind, wasmPath string, o options) host {
	tb.Helper()
	var h host
	var err error
	switch kind {
	case onWasmhive:
		h, err = openWasmhive(wasmPath, o)
	case onExtism:
		h, err = openExtism(wasmPath, o)
	case onWasmhiveIntr:
		o.interrupts = true
		h, err = openWasmhive(wasmPath, o)
	case onExtismIntr:
		o.interrupts = true
		h, err = openExtism(wasmPath, o)
	}
	if err != nil {
		tb.Fatalf("%s: load %s: %v", kind, filepath.Base(wasmPath), err)
	}
	tb.Cleanup(h.Close)
	return h
}

// --- wasmhive -------------------------------------------------------------

// wasmhiveHost runs a plugin through wasmhive's public embedding API.
type wasmhiveHost struct{ p *wasmhive.Plugin }

func openWasmhive(path string, o options) (*wasmhiveHost, error) {
	// As the Extism SDK here: logs and WASI output dropped unless captured,
	// no termination checks unless asked for.
	cfg := wasmhive.PluginConfig{
		Component: wasmhive.ComponentConfig{Config: o.Config},
		Host: wasmhive.HostConfig{
			NoInterrupts: !o.interrupts,
			Logger:       slog.New(slog.DiscardHandler),
			Stdout:       io.Discard,
			Stderr:       io.Discard,
		},
	}
	if len(o.AllowedHosts) > 0 {
		cfg.Component.Grants.HTTP = &wasmhive.HTTPGrant{AllowedHosts: o.AllowedHosts}
	}
	if o.Logs != nil {
		cfg.Host.Logger = slog.New(&captureHandler{lines: o.Logs})
	}
	p, err := wasmhive.LoadFile(context.Background(), path, cfg)
	if err != nil {
		return nil, err
	}
	return &wasmhiveHost{p: p}, nil
}

func (h *wasmhiveHost) Call(function string, input []byte) ([]byte, uint32, error) {
	out, err := h.p.Call(context.Background(), function, input)
	var pe *wasmhive.PluginError
	if errors.As(err, &pe) {
		return nil, pe.Code, err
	}
	if err != nil {
		return nil, 1, err
	}
	return out, 0, nil
}

func (h *wasmhiveHost) Close() { h.p.Close(context.Background()) }

// captureHandler is a slog.Handler that records messages as logLines.
type captureHandler struct {
	mu    sync.Mutex
	lines *[]logLine
}

func (c *captureHandler) Enabled(context.Context, slog.Level) bool { return true }
func (c *captureHandler) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *captureHandler) WithGroup(string) slog.Handler            { return c }
func (c *captureHandler) Handle(_ context.Context, r slog.Record) error {
	level := map[slog.Level]string{abi.LevelTrace: "trace", slog.LevelDebug: "debug", slog.LevelInfo: "info",
		slog.LevelWarn: "warn", slog.LevelError: "error"}[r.Level]
	c.mu.Lock()
	*c.lines = append(*c.lines, logLine{Level: level, Msg: r.Message})
	c.mu.Unlock()
	return nil
}

// --- Extism Go SDK --------------------------------------------------------

type extismHost struct{ p *extism.Plugin }

func openExtism(path string, o options) (*extismHost, error) {
	m := extism.Manifest{
		Wasm:         []extism.Wasm{extism.WasmFile{Path: path}},
		Config:       o.Config,
		AllowedHosts: o.AllowedHosts,
	}
	pc := extism.PluginConfig{EnableWasi: true, EnableHttpResponseHeaders: true}
	if o.interrupts {
		pc.RuntimeConfig = wazero.NewRuntimeConfig().WithCloseOnContextDone(true)
	}
	p, err := extism.NewPlugin(context.Background(), m, pc, nil)
	if err != nil {
		return nil, err
	}
	if o.Logs != nil {
		// The SDK's log level is process-wide; tests that log do not run in parallel.
		extism.SetLogLevel(extism.LogLevelTrace)
		p.SetLogger(func(l extism.LogLevel, msg string) {
			*o.Logs = append(*o.Logs, logLine{Level: strings.ToLower(l.String()), Msg: msg})
		})
	}
	return &extismHost{p: p}, nil
}

func (h *extismHost) Call(function string, input []byte) ([]byte, uint32, error) {
	rc, out, err := h.p.Call(function, input)
	if err == nil && rc != 0 {
		err = fmt.Errorf("%s returned %d", function, rc)
	}
	if err != nil {
		return nil, rc, err
	}
	return out, rc, nil
}

func (h *extismHost) Close() { h.p.Close(context.Background()) }

// --- guests -----------------------------------------------------------------

// plugin builds testdata/guests/plugins/<name> with the default PDK build.
func plugin(tb testing.TB, name string) string {
	tb.Helper()
	return testguest.GoReactor(tb, "plugins/"+name)
}

// bulkPlugin builds testdata/guests/plugins/<name> with -tags wasmhive_bulk.
func bulkPlugin(tb testing.TB, name string) string {
	tb.Helper()
	return testguest.GoReactorTags(tb, "plugins/"+name, "wasmhive_bulk")
}

// extismPrebuilt returns the path of a plugin shipped with the Extism Go SDK
// module (built by Extism with its Rust PDK), e.g. "count_vowels.wasm".
func extismPrebuilt(tb testing.TB, name string) string {
	tb.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/extism/go-sdk").Output()
	if err != nil {
		tb.Fatalf("locate github.com/extism/go-sdk: %v", err)
	}
	p := filepath.Join(strings.TrimSpace(string(out)), "wasm", name)
	if _, err := os.Stat(p); err != nil {
		tb.Fatal(err)
	}
	return p
}
