package interrupt_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"

	"github.com/wasmhive/wasmhive/internal/interrupt"
	"github.com/wasmhive/wasmhive/internal/wasmbin"
)

// repoRoot is the repository's root (tests run in the package directory).
const repoRoot = "../.."

// host is a wazero runtime with env.add, WASI and, for rewritten modules, a
// check function that counts its calls and stops the guest once stop is
// set.
type host struct {
	rt     wazero.Runtime
	checks atomic.Int64
	stop   atomic.Bool
	budget uint32
}

var errStopped = sys.NewExitError(99)

func newHost(t testing.TB) *host {
	t.Helper()
	ctx := context.Background()
	h := &host{rt: wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler()), budget: 1000}
	t.Cleanup(func() { h.rt.Close(ctx) })
	wasi_snapshot_preview1.MustInstantiate(ctx, h.rt)
	_, err := h.rt.NewHostModuleBuilder("env").
		NewFunctionBuilder().WithFunc(func(a, b int32) int32 { return a + b }).Export("add").
		Instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.rt.NewHostModuleBuilder(interrupt.ImportModule).
		NewFunctionBuilder().WithGoFunction(api.GoFunc(func(ctx context.Context, stack []uint64) {
		h.checks.Add(1)
		if h.stop.Load() {
			panic(errStopped)
		}
		stack[0] = uint64(h.budget)
	}), nil, []api.ValueType{api.ValueTypeI32}).Export(interrupt.ImportName).
		Instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func rewrite(t testing.TB, wasm []byte) []byte {
	t.Helper()
	out, err := interrupt.Rewrite(wasm)
	if err != nil {
		t.Fatalf("rewrite: %v", err)
	}
	return out
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (h *host) instantiate(t testing.TB, wasm []byte) api.Module {
	t.Helper()
	ctx := context.Background()
	m, err := h.rt.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithName(""))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestFeatures calls every export of testdata/features.wasm in the original
// and the rewritten module and compares the results.
func TestFeatures(t *testing.T) {
	orig := readFile(t, "testdata/features.wasm")
	re, st, err := interrupt.RewriteStats(orig)
	if err != nil {
		t.Fatal(err)
	}
	if st.LoopChecks != 4 || st.CheckFuncIdx != 1 || st.BudgetGlobal != 2 {
		t.Errorf("stats %+v: want 4 loop checks, check function 1, budget global 2", st)
	}
	h := newHost(t)
	mo, mr := h.instantiate(t, orig), h.instantiate(t, re)
	ctx := context.Background()
	calls := []struct {
		name   string
		params []uint64
	}{
		{"fib", []uint64{20}},
		{"countdown", []uint64{100000}},
		{"indirect", []uint64{0, 9, 4}},
		{"indirect", []uint64{1, 9, 4}},
		{"indirect", []uint64{2, 9, 4}},
		{"indirect", []uint64{3, 1, 100000}},
		{"global", nil},
		{"via_global", []uint64{6, 7}},
		{"via_ref", []uint64{15}},
		{"switch", []uint64{0}}, {"switch", []uint64{1}}, {"switch", []uint64{2}}, {"switch", []uint64{9}},
		{"simd", []uint64{5}},
		{"bulk", []uint64{0xab}},
		{"misc", []uint64{uint64(math.Float32bits(-3.7))}},
		{"host", []uint64{40, 2}},
	}
	for _, c := range calls {
		want, err := mo.ExportedFunction(c.name).Call(ctx, c.params...)
		if err != nil {
			t.Fatalf("original %s%v: %v", c.name, c.params, err)
		}
		got, err := mr.ExportedFunction(c.name).Call(ctx, c.params...)
		if err != nil {
			t.Fatalf("rewritten %s%v: %v", c.name, c.params, err)
		}
		if !equal(got, want) {
			t.Errorf("%s%v: rewritten %v, original %v", c.name, c.params, got, want)
		}
	}
	if h.checks.Load() == 0 {
		t.Error("the rewritten module never called check")
	}
	// Indirect call 3 (sum 1..100000) loops 10^5 times: ~100 checks at a budget of 1000.
	if n := h.checks.Load(); n < 100 {
		t.Errorf("%d checks, want at least 100", n)
	}
	// The name section names the renumbered functions: the traps' stack
	// traces are the same.
	_, errO := mo.ExportedFunction("trap").Call(ctx)
	_, errR := mr.ExportedFunction("trap").Call(ctx)
	if errO == nil || errR == nil || errO.Error() != errR.Error() || !strings.Contains(errR.Error(), ".boom()") {
		t.Errorf("trap: rewritten %q, original %q", errR, errO)
	}
	// Calling through a table element that rewritten code set up.
	_, errO = mo.ExportedFunction("indirect").Call(ctx, 4, 1, 2) // null entry
	_, errR = mr.ExportedFunction("indirect").Call(ctx, 4, 1, 2)
	if errO == nil || errR == nil || errO.Error() != errR.Error() {
		t.Errorf("null entry: rewritten %q, original %q", errR, errO)
	}
}

func equal(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestStops: a loop without calls, a loop of calls and a recursion without
// loops all reach the check function and stop when it says so.
func TestStops(t *testing.T) {
	re := rewrite(t, readFile(t, "testdata/features.wasm"))
	for _, c := range []struct {
		name   string
		params []uint64
	}{{"spin", nil}, {"spin_calls", nil}, {"fib", []uint64{60}}} {
		t.Run(c.name, func(t *testing.T) {
			h := newHost(t)
			m := h.instantiate(t, re)
			time.AfterFunc(20*time.Millisecond, func() { h.stop.Store(true) })
			done := make(chan error, 1)
			go func() {
				_, err := m.ExportedFunction(c.name).Call(context.Background(), c.params...)
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, errStopped) {
					t.Fatalf("got %v, want the check's exit error", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("the guest was not stopped") // a bound against hanging, not a timing assertion
			}
		})
	}
}

// corpus lists the .wasm files of the repository and of the Extism Go SDK's
// wasm folder (the Extism PDK plugins, when the module is in the module
// cache or can be downloaded).
func corpus(t testing.TB) []string {
	var files []string
	filepath.WalkDir(repoRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules" || d.Name() == "results") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".wasm") {
			files = append(files, p)
		}
		return nil
	})
	if dir := extismWasmDir(); dir != "" {
		m, _ := filepath.Glob(filepath.Join(dir, "*.wasm"))
		files = append(files, m...)
	} else {
		t.Log("the Extism Go SDK's plugins are not available: not in the corpus")
	}
	return files
}

// extismWasmDir returns the wasm folder of the Extism Go SDK that compat/go.mod requires, or "".
func extismWasmDir() string {
	cmd := exec.Command("go", "mod", "download", "-json", "github.com/extism/go-sdk")
	cmd.Dir = filepath.Join(repoRoot, "compat")
	out, _ := cmd.Output()
	var mod struct{ Dir string }
	json.Unmarshal(out, &mod)
	if mod.Dir == "" {
		return ""
	}
	return filepath.Join(mod.Dir, "wasm")
}

// TestCorpus: every core module of the corpus that wazero validates is
// rewritten, and wazero validates the result. (wazero's interpreter
// validates as its compiler does, and compiles big modules much faster.)
func TestCorpus(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer rt.Close(ctx)
	var n, skipped int
	for _, p := range corpus(t) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := wasmbin.ParseModule(b); err != nil {
			skipped++ // components, broken modules, not wasm
			continue
		}
		cm, err := rt.CompileModule(ctx, b)
		if err != nil {
			skipped++
			continue
		}
		cm.Close(ctx)
		re, err := interrupt.Rewrite(b)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		cm, err = rt.CompileModule(ctx, re)
		if err != nil {
			t.Errorf("%s: the rewritten module does not compile: %v", p, err)
			continue
		}
		cm.Close(ctx)
		n++
	}
	t.Logf("%d modules rewritten and compiled, %d skipped", n, skipped)
	if n < 30 {
		t.Errorf("only %d modules in the corpus", n)
	}
}

// TestCommands runs command guests of the repository, original and
// rewritten, and compares their output and exit status.
func TestCommands(t *testing.T) {
	for _, c := range []struct {
		path string
		args []string
	}{
		{"testdata/guests/cmd/cmd.wasm", []string{"cmd", "args", "a", "b"}},
		{"testdata/guests/cmd/cmd.wasm", []string{"cmd", "stderr"}},
		{"testdata/guests/cmd/cmd.wasm", []string{"cmd", "exit", "3"}},
		{"testdata/guests/cmd/cmd.wasm", []string{"cmd", "recurse"}},
		{"testdata/guests/cmd/cmd.wasm", []string{"cmd", "divzero"}},
		{"testdata/guests/bench/hello.wasm", []string{"hello"}},
		{"testdata/guests/wasi/hello.wasm", []string{"hello"}},
		{"testdata/guests/wasi/checks.wasm", []string{"checks"}},
		{"examples/hello/hello.wasm", []string{"hello"}},
		{"bench/noisy/guest/faulty.wasm", []string{"faulty"}},
	} {
		t.Run(filepath.Base(c.path)+"-"+strings.Join(c.args[1:], "-"), func(t *testing.T) {
			path := filepath.Join(repoRoot, c.path)
			if _, err := os.Stat(path); err != nil {
				t.Skip(err)
			}
			orig := readFile(t, path)
			wantOut, wantErr, wantCode := runCommand(t, orig, c.args)
			gotOut, gotErr, gotCode := runCommand(t, rewrite(t, orig), c.args)
			if gotOut != wantOut || gotErr != wantErr || gotCode != wantCode {
				t.Errorf("rewritten: exit %d, stdout %q, stderr %q\noriginal: exit %d, stdout %q, stderr %q",
					gotCode, trim(gotOut), trim(gotErr), wantCode, trim(wantOut), trim(wantErr))
			}
		})
	}
}

var missingModule = regexp.MustCompile(`module\[[^\]]*\] not instantiated`)

func trim(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

// runCommand runs wasm's _start with args, no files and a 10 s bound, and
// returns its stdout, stderr (trap messages lose their stack traces, whose
// function numbers differ) and exit code (-1: a trap).
func runCommand(t *testing.T, wasm []byte, args []string) (string, string, int) {
	h := newHost(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	cfg := wazero.NewModuleConfig().WithArgs(args...).WithStdout(&out).WithStderr(&errb).WithName("")
	_, err := h.rt.InstantiateWithConfig(ctx, wasm, cfg)
	code := 0
	var exit *sys.ExitError
	switch {
	case errors.As(err, &exit):
		code = int(exit.ExitCode())
	case err != nil:
		code = -1
		head, _, _ := strings.Cut(err.Error(), "\n")
		// wazero names one of the missing import modules, not always the same.
		head = missingModule.ReplaceAllString(head, "module[...] not instantiated")
		errb.WriteString("trap: " + head)
	}
	return out.String(), errb.String(), code
}
