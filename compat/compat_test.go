package compat_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdk "github.com/extism/go-sdk"
	"github.com/tetratelabs/wazero"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

// goSDKDir returns the directory of the Extism Go SDK module, whose wasm/
// folder holds plugins built with Extism's official PDKs (Rust, TinyGo, C,
// Haskell...).
func goSDKDir(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/extism/go-sdk").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Fatalf("locate github.com/extism/go-sdk: %v", err)
	}
	return dir
}

func sdkWasm(t testing.TB, name string) string {
	if strings.HasPrefix(name, "testdata/") {
		return filepath.Join(testguest.Root(t), name)
	}
	return filepath.Join(goSDKDir(t), "wasm", name)
}

// compatCase is one plugin call run on both the Extism Go SDK and wasmhive.
type compatCase struct {
	name     string
	wasm     string   // main module, in the SDK's wasm/ folder (or a path under the repository's testdata/)
	libs     []string // library modules, imported by their base name
	function string
	inputs   []string // one call per input (same instance)
	config   map[string]string
	vars     map[string][]byte
	dirs     map[string]string // host dir (relative to the SDK dir, "ro:" prefix for read-only) -> guest dir
	hosts    func() ([]sdk.HostFunction, []wasmhive.HostFunction)
	timeout  time.Duration
	// want is the expected output of each call ("" to only compare the two
	// hosts), wantErr a substring of the error of each call.
	want    []string
	wantErr string
	// check inspects the results further (both hosts' outputs are equal already).
	check func(t *testing.T, outs [][]byte, sdkVars, hiveVars map[string][]byte)
}

func compatCases() []compatCase {
	le := func(n uint32) []byte { b := make([]byte, 4); binary.LittleEndian.PutUint32(b, n); return b }
	return []compatCase{
		{name: "rust count_vowels", wasm: "count_vowels.wasm", function: "count_vowels",
			inputs: []string{"hello world", "aaa", "bbba"},
			want:   []string{`{"count":3,"total":3,"vowels":"aeiouAEIOU"}`, `{"count":3,"total":6,"vowels":"aeiouAEIOU"}`, `{"count":1,"total":7,"vowels":"aeiouAEIOU"}`}},
		{name: "assemblyscript pdk", wasm: "testdata/guests/plugins/extism-as-pdk/plugin.wasm", function: "count_vowels",
			inputs: []string{"hello world", "aeiou"}, config: map[string]string{"greeting": "hi"},
			want: []string{`{"count": 3, "total": 3, "greeting": "hi"}`, `{"count": 5, "total": 8, "greeting": "hi"}`}},
		{name: "assemblyscript pdk echo", wasm: "testdata/guests/plugins/extism-as-pdk/plugin.wasm", function: "echo",
			inputs: []string{"", "x", strings.Repeat("0123456789", 10000)}},
		{name: "config set", wasm: "config.wasm", function: "run_test", inputs: []string{""},
			config: map[string]string{"thing": "hello"}, want: []string{`{"config": "hello"}`}},
		{name: "config unset", wasm: "config.wasm", function: "run_test", inputs: []string{""},
			want: []string{`{"config": "<unset by host>"}`}},
		{name: "fail", wasm: "fail.wasm", function: "run_test", inputs: []string{""}, wantErr: "Some error message"},
		{name: "hello", wasm: "hello.wasm", function: "run_test", inputs: []string{""}, want: []string{"Hello, world!"}},
		{name: "alloc", wasm: "alloc.wasm", function: "run_test", inputs: []string{""}},
		{name: "input_offset", wasm: "input_offset.wasm", function: "input_offset_length", inputs: []string{"hello world"},
			check: func(t *testing.T, outs [][]byte, _, _ map[string][]byte) {
				if len(outs[0]) == 0 || outs[0][0] != 11 {
					t.Errorf("input_offset_length = %v, want first byte 11", outs[0])
				}
			}},
		{name: "var", wasm: "var.wasm", function: "run_test", inputs: []string{"", ""}, vars: map[string][]byte{"a": le(10)},
			check: func(t *testing.T, _ [][]byte, sdkVars, hiveVars map[string][]byte) {
				if got := binary.LittleEndian.Uint32(hiveVars["a"]); got != 40 || !bytes.Equal(sdkVars["a"], hiveVars["a"]) {
					t.Errorf("var a = %d on wasmhive, %v on the SDK; want 40 on both", got, sdkVars["a"])
				}
			}},
		{name: "host function (raw)", wasm: "host.wasm", function: "run_test", inputs: []string{""}, want: []string{"42 x 2 = 84"},
			hosts: func() ([]sdk.HostFunction, []wasmhive.HostFunction) {
				mult := func(stack []uint64) { stack[0] = uint64(int64(int32(stack[0]) * int32(stack[1]))) }
				return []sdk.HostFunction{sdk.NewHostFunctionWithStack("mult", func(_ context.Context, _ *sdk.CurrentPlugin, s []uint64) { mult(s) }, []sdk.ValueType{sdk.ValueTypePTR, sdk.ValueTypePTR}, []sdk.ValueType{sdk.ValueTypePTR})},
					[]wasmhive.HostFunction{wasmhive.NewRawHostFunction("mult", []wasmhive.ValueType{wasmhive.I64, wasmhive.I64}, []wasmhive.ValueType{wasmhive.I64}, func(_ context.Context, _ *wasmhive.CurrentPlugin, s []uint64) { mult(s) })}
			}},
		{name: "host function (bytes, own module)", wasm: "host_memory.wasm", function: "run_test", inputs: []string{"Frodo"}, want: []string{"HELLO FRODO!"},
			hosts: func() ([]sdk.HostFunction, []wasmhive.HostFunction) {
				f := sdk.NewHostFunctionWithStack("to_upper", func(_ context.Context, p *sdk.CurrentPlugin, s []uint64) {
					b, err := p.ReadBytes(s[0])
					if err != nil {
						panic(err)
					}
					p.Free(s[0])
					if s[0], err = p.WriteBytes(bytes.ToUpper(b)); err != nil {
						panic(err)
					}
				}, []sdk.ValueType{sdk.ValueTypePTR}, []sdk.ValueType{sdk.ValueTypePTR})
				f.SetNamespace("host")
				return []sdk.HostFunction{f}, []wasmhive.HostFunction{wasmhive.NewHostFunction("to_upper", func(_ context.Context, _ *wasmhive.CurrentPlugin, in []byte) ([]byte, error) {
					return bytes.ToUpper(in), nil
				}).InModule("host")}
			}},
		{name: "http denied", wasm: "http.wasm", function: "run_test", inputs: []string{""}, wantErr: "HTTP request to"},
		{name: "http denied by glob", wasm: "http.wasm", function: "run_test", inputs: []string{""}, wantErr: "is not allowed"},
		{name: "fs", wasm: "fs.wasm", function: "run_test", inputs: []string{""}, dirs: map[string]string{"testdata": "/mnt"}, want: []string{"hello world!"}},
		{name: "fs read-only read", wasm: "read_write.wasm", function: "try_read", inputs: []string{""},
			dirs: map[string]string{"ro:testdata": "/mnt"}, config: map[string]string{"path": "/mnt/test.txt"}, want: []string{"hello world!"}},
		{name: "fs read-only write denied", wasm: "read_write.wasm", function: "try_write", inputs: []string{"hello hello!"},
			dirs: map[string]string{"ro:testdata": "/mnt"}, config: map[string]string{"path": "/mnt/test.txt"}, wantErr: "Failed to write file"},
		{name: "fs without preopen", wasm: "fs.wasm", function: "run_test", inputs: []string{""}, wantErr: "run_test returned 1"},
		{name: "haskell", wasm: "hello_haskell.wasm", function: "testing", inputs: []string{"John"},
			config: map[string]string{"greeting": "Howdy"}, want: []string{"Howdy, John"}},
		{name: "linking", wasm: "main.wasm", libs: []string{"lib.wasm"}, function: "run_test", inputs: []string{"benjamin", "ada"},
			want: []string{"Hello, BENJAMIN", "Hello, ADA"}},
		{name: "timeout", wasm: "sleep.wasm", function: "run_test", inputs: []string{""},
			config: map[string]string{"duration": "3"}, timeout: 100 * time.Millisecond, wantErr: "deadline exceeded"},
	}
}

// TestExtismCompat runs plugins built by Extism's official PDKs on the
// Extism Go SDK and on wasmhive and expects the same results.
func TestExtismCompat(t *testing.T) {
	for _, c := range compatCases() {
		t.Run(c.name, func(t *testing.T) {
			sdkOuts, sdkErrs, sdkVars := runOnSDK(t, c)
			hiveOuts, hiveErrs, hiveVars := runOnHive(t, c)
			for i := range c.inputs {
				if c.wantErr != "" {
					if sdkErrs[i] == nil || !strings.Contains(sdkErrs[i].Error(), c.wantErr) {
						t.Errorf("call %d on the Extism SDK: err = %v, want %q", i, sdkErrs[i], c.wantErr)
					}
					if hiveErrs[i] == nil || !strings.Contains(hiveErrs[i].Error(), c.wantErr) {
						t.Errorf("call %d on wasmhive: err = %v, want %q", i, hiveErrs[i], c.wantErr)
					}
					continue
				}
				if sdkErrs[i] != nil || hiveErrs[i] != nil {
					t.Fatalf("call %d: Extism SDK err = %v, wasmhive err = %v", i, sdkErrs[i], hiveErrs[i])
				}
				if !bytes.Equal(sdkOuts[i], hiveOuts[i]) {
					t.Errorf("call %d: wasmhive output %q, Extism SDK output %q", i, hiveOuts[i], sdkOuts[i])
				}
				if i < len(c.want) && string(hiveOuts[i]) != c.want[i] {
					t.Errorf("call %d: output %q, want %q", i, hiveOuts[i], c.want[i])
				}
			}
			if c.check != nil {
				c.check(t, hiveOuts, sdkVars, hiveVars)
			}
		})
	}
}

func runOnSDK(t *testing.T, c compatCase) (outs [][]byte, errs []error, vars map[string][]byte) {
	ctx := context.Background()
	m := sdk.Manifest{Config: map[string]string{}, AllowedPaths: map[string]string{}, Timeout: uint64(c.timeout.Milliseconds())}
	for _, l := range c.libs {
		m.Wasm = append(m.Wasm, sdk.WasmFile{Path: sdkWasm(t, l), Name: strings.TrimSuffix(l, ".wasm")})
	}
	m.Wasm = append(m.Wasm, sdk.WasmFile{Path: sdkWasm(t, c.wasm), Name: "main"})
	for k, v := range c.config {
		m.Config[k] = v
	}
	for h, g := range c.dirs {
		ro := strings.HasPrefix(h, "ro:")
		h = filepath.Join(goSDKDir(t), strings.TrimPrefix(h, "ro:"))
		if ro {
			h = "ro:" + h
		}
		m.AllowedPaths[h] = g
	}
	var fns []sdk.HostFunction
	if c.hosts != nil {
		fns, _ = c.hosts()
	}
	cp, err := sdk.NewCompiledPlugin(ctx, m, sdk.PluginConfig{EnableWasi: true}, fns)
	if err != nil {
		t.Fatalf("Extism SDK: %v", err)
	}
	defer cp.Close(ctx)
	p, err := cp.Instance(ctx, sdk.PluginInstanceConfig{ModuleConfig: wazero.NewModuleConfig().WithSysWalltime()})
	if err != nil {
		t.Fatalf("Extism SDK instance: %v", err)
	}
	defer p.Close(ctx)
	for k, v := range c.vars {
		p.Var[k] = append([]byte(nil), v...)
	}
	for _, in := range c.inputs {
		rc, out, err := p.Call(c.function, []byte(in))
		if err == nil && rc != 0 {
			err = fmt.Errorf("%s returned %d", c.function, rc)
		}
		outs, errs = append(outs, out), append(errs, err)
	}
	return outs, errs, p.Var
}

func runOnHive(t *testing.T, c compatCase) (outs [][]byte, errs []error, vars map[string][]byte) {
	ctx := context.Background()
	cfg := wasmhive.PluginConfig{Component: wasmhive.ComponentConfig{Config: c.config, Vars: c.vars, Limits: wasmhive.Limits{Timeout: c.timeout}}}
	for _, l := range c.libs {
		cfg.Component.Libraries = append(cfg.Component.Libraries, wasmhive.Library{Name: strings.TrimSuffix(l, ".wasm"), Module: sdkWasm(t, l)})
	}
	for h, g := range c.dirs {
		dir, ro := strings.CutPrefix(h, "ro:")
		cfg.Component.Dirs = append(cfg.Component.Dirs, wasmhive.Dir{Host: filepath.Join(goSDKDir(t), dir), Guest: g, ReadOnly: ro})
	}
	if c.hosts != nil {
		_, cfg.Host.HostFunctions = c.hosts()
	}
	p, err := wasmhive.LoadFile(ctx, sdkWasm(t, c.wasm), cfg)
	if err != nil {
		t.Fatalf("wasmhive: %v", err)
	}
	defer p.Close(ctx)
	for _, in := range c.inputs {
		out, err := p.Call(ctx, c.function, []byte(in))
		outs, errs = append(outs, out), append(errs, err)
	}
	vars = map[string][]byte{}
	for k := range c.vars {
		vars[k], _ = p.Var(k)
	}
	return outs, errs, vars
}

// TestExtismCompatExit compares proc_exit statuses of a TinyGo plugin.
func TestExtismCompatExit(t *testing.T) {
	ctx := context.Background()
	for _, code := range []string{"500", "abc", "", "0"} {
		m := sdk.Manifest{Wasm: []sdk.Wasm{sdk.WasmFile{Path: sdkWasm(t, "exit.wasm")}}, Config: map[string]string{}}
		cfg := map[string]string{}
		if code != "" {
			m.Config["code"] = code
			cfg["code"] = code
		}
		sp, err := sdk.NewPlugin(ctx, m, sdk.PluginConfig{EnableWasi: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		sdkCode, _, sdkErr := sp.Call("_start", nil)
		sp.Close(ctx)

		p, err := wasmhive.LoadFile(ctx, sdkWasm(t, "exit.wasm"), wasmhive.PluginConfig{Component: wasmhive.ComponentConfig{Config: cfg}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Call(ctx, "_start", nil)
		p.Close(ctx)
		var pe *wasmhive.PluginError
		var got uint32
		if errors.As(err, &pe) {
			got = pe.Code
			var exit *engine.ExitError
			if !errors.As(err, &exit) || exit.Code != got {
				t.Errorf("code %q: PluginError %v does not wrap the exit status", code, err)
			}
		} else if err != nil {
			t.Fatalf("code %q: err = %v, want a PluginError", code, err)
		}
		if got != sdkCode || (got == 0) != (sdkErr == nil) {
			t.Errorf("code %q: wasmhive exit %d (err %v), Extism SDK exit %d (err %v)", code, got, err, sdkCode, sdkErr)
		}
	}
}

// TestExtismCompatHostMultiple: several host functions in one module.
func TestExtismCompatHostMultiple(t *testing.T) {
	ctx := context.Background()
	msg := func(prefix string) wasmhive.BytesFunc {
		return func(_ context.Context, _ *wasmhive.CurrentPlugin, in []byte) ([]byte, error) {
			return append([]byte(prefix), in...), nil
		}
	}
	p, err := wasmhive.LoadFile(ctx, sdkWasm(t, "host_multiple.wasm"), wasmhive.PluginConfig{Host: wasmhive.HostConfig{HostFunctions: []wasmhive.HostFunction{
		wasmhive.NewHostFunction("hostGreenMessage", msg("🟢:")),
		wasmhive.NewHostFunction("hostPurpleMessage", msg("🟣:")),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	for fn, want := range map[string]string{"say_green": "🟢:🫱 Hey from say_green John Doe", "say_purple": "🟣:👋 Hello from say_purple John Doe"} {
		out, err := p.Call(ctx, fn, []byte("John Doe"))
		if err != nil || string(out) != want {
			t.Errorf("%s = %q, %v; want %q", fn, out, err, want)
		}
	}
}

// TestExtismCompatLog: a plugin's logs reach the slog.Logger at its levels,
// filtered by the logger's level (the plugin sees it through get_log_level).
func TestExtismCompatLog(t *testing.T) {
	ctx := context.Background()
	var buf bytes.Buffer
	p, err := wasmhive.LoadFile(ctx, sdkWasm(t, "log.wasm"), wasmhive.PluginConfig{Host: wasmhive.HostConfig{Logger: newTextLogger(&buf, "WARN")}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	if _, err := p.Call(ctx, "run_test", nil); err != nil {
		t.Fatal(err)
	}
	logs := buf.String()
	for _, want := range []string{"level=WARN msg=\"this is a warning log\"", "level=ERROR msg=\"this is an error log\""} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	for _, not := range []string{"trace log", "debug log", "info log"} {
		if strings.Contains(logs, not) {
			t.Errorf("logs contain %q below the WARN level:\n%s", not, logs)
		}
	}
}

// TestExtismCompatStdCommand: a Go (wasip1) command reading its input from
// the Extism ABI inside _start.
func TestExtismCompatStdCommand(t *testing.T) {
	ctx := context.Background()
	p, err := wasmhive.LoadFile(ctx, sdkWasm(t, "std_command.wasm"), wasmhive.PluginConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	out, err := p.Call(ctx, "_start", []byte("ben"))
	if err != nil || string(out) != "hello ben" {
		t.Fatalf("_start = %q, %v; want hello ben", out, err)
	}
}

// TestExtismCompatHTTP: a Rust PDK plugin making HTTP requests to a local
// server, allowed and denied, on both hosts.
func TestExtismCompatHTTP(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Test", "yes")
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "hi")
	}))
	defer srv.Close()
	req, _ := json.Marshal(map[string]string{"url": srv.URL + "/x"})

	// Allowed.
	m := sdk.Manifest{Wasm: []sdk.Wasm{sdk.WasmFile{Path: sdkWasm(t, "http_headers.wasm")}}, AllowedHosts: []string{"127.0.0.*"}}
	sp, err := sdk.NewPlugin(ctx, m, sdk.PluginConfig{EnableWasi: true, EnableHttpResponseHeaders: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close(ctx)
	_, sdkOut, sdkErr := sp.Call("http_get", req)
	p, err := wasmhive.LoadFile(ctx, sdkWasm(t, "http_headers.wasm"), allowHosts("127.0.0.*"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	out, err := p.Call(ctx, "http_get", req)
	if err != nil || sdkErr != nil {
		t.Fatalf("allowed: wasmhive err %v, Extism SDK err %v", err, sdkErr)
	}
	var got, want map[string]string
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("headers %q: %v", out, err)
	}
	json.Unmarshal(sdkOut, &want)
	if got["x-test"] != "yes" || got["content-type"] != "text/plain" || got["x-test"] != want["x-test"] || got["content-type"] != want["content-type"] {
		t.Fatalf("headers on wasmhive %v, on the Extism SDK %v", got, want)
	}

	// Denied: no glob matches.
	p2, err := wasmhive.LoadFile(ctx, sdkWasm(t, "http_headers.wasm"), allowHosts("example.com"))
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close(ctx)
	if _, err := p2.Call(ctx, "http_get", req); !errors.Is(err, wasmhive.ErrHostNotAllowed) || !strings.Contains(err.Error(), srv.URL) {
		t.Fatalf("denied: err = %v, want ErrHostNotAllowed naming the URL", err)
	}
	// The plugin survives a denied request.
	p2.Close(ctx)
}

// allowHosts is a plugin allowed HTTP requests to the hosts matching globs.
func allowHosts(globs ...string) wasmhive.PluginConfig {
	return wasmhive.PluginConfig{Component: wasmhive.ComponentConfig{Grants: wasmhive.Grants{HTTP: &wasmhive.HTTPGrant{AllowedHosts: globs}}}}
}

// newTextLogger returns a text slog.Logger writing to w at level ("DEBUG", "WARN"...).
func newTextLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		panic(err)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}
