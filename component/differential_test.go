package component

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
)

// wasmTools finds wasm-tools ($WASM_TOOLS or on PATH).
func wasmTools(t *testing.T) string {
	if p := os.Getenv("WASM_TOOLS"); p != "" {
		return p
	}
	p, err := exec.LookPath("wasm-tools")
	if err != nil {
		if os.Getenv("WASMHIVE_REQUIRE_WASM_TOOLS") != "" { // CI installs it (.ci/run)
			t.Fatalf("wasm-tools: %v (cargo install wasm-tools --locked)", err)
		}
		t.Skip("wasm-tools is not installed (cargo install wasm-tools --locked)")
	}
	return p
}

// decodeAll is this repository's whole check of a component: Decode, and
// the embedded core modules compiled by wazero (as the engine does).
func decodeAll(b []byte) error {
	c, err := Decode(b)
	if err != nil {
		return err
	}
	return compileModules(c)
}

func compileModules(c *Component) (err error) {
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer rt.Close(ctx)
	for i, m := range c.Modules {
		if _, err := compileCore(ctx, rt, m.Bytes); err != nil {
			return fmt.Errorf("core module %d: %v", i, err)
		}
	}
	for _, nc := range c.Components {
		if err := compileModules(nc); err != nil {
			return err
		}
	}
	return nil
}

// TestDifferentialWasmTools checks that Decode (plus wazero for the core
// modules) and `wasm-tools validate --features all` agree on valid or
// invalid for every committed component and for mutations of them. It
// skips when wasm-tools is absent, unless WASMHIVE_REQUIRE_WASM_TOOLS is
// set (CI installs it: .ci/run).
//
// Known differences, counted but not failures: constructs this package
// refuses as not supported yet (values, async built-ins), and malformed
// "name" custom sections in core modules, which internal/wasmbin (like
// wazero) rejects and wasm-tools ignores, and core modules using features
// wazero does not implement (wasm-tools validates with all of them on).
func TestDifferentialWasmTools(t *testing.T) {
	tool := wasmTools(t)
	dir := t.TempDir()
	n := 100
	if testing.Short() {
		n = 20
	}
	if v, err := strconv.Atoi(os.Getenv("COMPONENT_DIFF_MUTATIONS")); err == nil && v > 0 {
		n = v // a longer run: COMPONENT_DIFF_MUTATIONS=2000
	}
	for name, b := range corpus(t) {
		inputs := append([][]byte{b}, mutations(b, n, uint64(len(b))*7)...)
		inputs = append(inputs, mutationsIn(b, componentRanges(t, b), 2*n, uint64(len(b))*11)...)
		agree, unsupported, coreNames, wazeroGaps := 0, 0, 0, 0
		for i, in := range inputs {
			path := filepath.Join(dir, fmt.Sprintf("%s.%d.wasm", name, i))
			if err := os.WriteFile(path, in, 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			out, werr := exec.CommandContext(ctx, tool, "validate", "--features", "all", path).CombinedOutput()
			cancel()
			derr := decodeAll(in)
			switch {
			case (werr == nil) == (derr == nil):
				agree++
			case werr == nil && strings.Contains(derr.Error(), "not supported"):
				unsupported++
			case werr == nil && isCoreNameSection(derr):
				coreNames++
			case werr == nil && strings.HasPrefix(derr.Error(), "core module "):
				wazeroGaps++ // wazero's core feature set is smaller than wasm-tools' "all"
			default:
				wmsg := strings.Join(strings.Fields(string(out)), " ")
				if len(wmsg) > 300 {
					wmsg = wmsg[:300]
				}
				t.Errorf("%s mutation %d: wasm-tools valid=%v (%s), Decode: %v", name, i, werr == nil, wmsg, derr)
			}
		}
		t.Logf("%s: %d of %d agree, %d refused as not supported, %d malformed core name sections, %d core modules wazero rejects",
			name, agree, len(inputs), unsupported, coreNames, wazeroGaps)
	}
}

// isCoreNameSection reports whether err is internal/wasmbin rejecting a
// core module's malformed "name" section.
func isCoreNameSection(err error) bool {
	var ce *Error
	if !errors.As(err, &ce) || ce.Section != SectionCoreModule {
		return false
	}
	for _, m := range []string{"name is not valid UTF-8", "name subsection", "name count", "name of ", "unexpected end of input"} {
		if strings.Contains(ce.Msg, m) {
			return true
		}
	}
	return false
}

// TestDifferentialHandBuilt checks the hand-built binaries against
// wasm-tools: the valid ones are valid for it, and the invalid ones invalid
// (except what this package refuses as not supported).
func TestDifferentialHandBuilt(t *testing.T) {
	tool := wasmTools(t)
	dir := t.TempDir()
	validate := func(name string, b []byte) (bool, string) {
		path := filepath.Join(dir, strings.NewReplacer(" ", "_", "/", "_").Replace(name)+".wasm")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(tool, "validate", "--features", "all", path).CombinedOutput()
		return err == nil, strings.TrimSpace(string(out))
	}
	for name, b := range validCases() {
		if ok, out := validate(name, b); !ok {
			t.Errorf("valid %s: wasm-tools: %s", name, out)
		}
	}
	for _, tc := range invalidCases() {
		ok, _ := validate(tc.name, tc.bin)
		if ok && !strings.Contains(tc.want, "not supported") && tc.name != "layer" { // "layer" is a core module
			t.Errorf("invalid %s (%s): wasm-tools accepts it", tc.name, tc.want)
		}
	}
}

// compileCore compiles a core module with wazero, turning a wazero panic
// into an error that names it.
func compileCore(ctx context.Context, rt wazero.Runtime, b []byte) (_ wazero.CompiledModule, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("wazero panicked: %v", r)
		}
	}()
	return rt.CompileModule(ctx, b)
}
