package wasip2_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive/engine"
)

// TestParityWithPreview1 runs the same C program as a preview 1 core module
// on wasip1 (testdata/guests/cmd/cmd.wasm) and as a component on wasip2
// (testdata/components/cmd.wasm, the same module behind jco's adapter),
// with the same preopens, and compares what each prints: the sandbox
// answers the same, except where WASI 0.2 names another error.
func TestParityWithPreview1(t *testing.T) {
	cc := loadCmd(t)
	ctx := context.Background()
	core, err := cc.rt.CompileFile(ctx, "../testdata/guests/cmd/cmd.wasm")
	if err != nil {
		t.Fatal(err)
	}
	// fixture makes a fresh tree for one run.
	fixture := func(t *testing.T) []engine.Preopen {
		data, ro, outside := t.TempDir(), t.TempDir(), t.TempDir()
		os.WriteFile(filepath.Join(data, "hello.txt"), []byte("hello\n"), 0o644)
		os.Mkdir(filepath.Join(data, "sub"), 0o755)
		os.WriteFile(filepath.Join(ro, "keep.txt"), []byte("keep\n"), 0o644)
		os.WriteFile(filepath.Join(outside, "secret"), []byte("secret\n"), 0o644)
		os.Symlink(filepath.Join(outside, "secret"), filepath.Join(data, "escape"))
		os.Symlink("../"+filepath.Base(outside)+"/secret", filepath.Join(data, "relescape"))
		os.Symlink("hello.txt", filepath.Join(data, "link"))
		return []engine.Preopen{{HostPath: data, GuestPath: "/data"}, {HostPath: ro, GuestPath: "/ro", ReadOnly: true}}
	}
	// WASI 0.2 says read-only where preview 1 (and wasip1) says EPERM.
	knownDiff := map[string][2]string{
		"write /ro/keep.txt x": {"open /ro/keep.txt: Operation not permitted\n", "open /ro/keep.txt: Read-only file system\n"},
		"write /ro/new.txt x":  {"open /ro/new.txt: Operation not permitted\n", "open /ro/new.txt: Read-only file system\n"},
	}
	for _, args := range [][]string{
		{"args", "a", "b c"},
		{"env"},
		{"stderr"},
		{"echo"},
		{"read", "/data/hello.txt"},
		{"read", "/data/link"},
		{"read", "/data/none"},
		{"read", "/data/escape"},
		{"read", "/data/relescape"},
		{"read", "/data/../ro/keep.txt"},
		{"read", "/data/sub"},
		{"read", "/ro/keep.txt"},
		{"read", "/etc/passwd"},
		{"write", "/data/new.txt", "x"},
		{"write", "/data/hello.txt", "over"},
		{"write", "/data/escape", "x"},
		{"write", "/data/sub", "x"},
		{"write", "/data/sub/deeper/x", "x"},
		{"write", "/ro/keep.txt", "x"},
		{"write", "/ro/new.txt", "x"},
		{"exit", "3"},
	} {
		name := strings.Join(args, " ")
		t.Run(name, func(t *testing.T) {
			cfg := engine.InstanceConfig{Args: append([]string{"cmd"}, args...), Env: []string{"X=1"}, Stdin: strings.NewReader("in\n")}

			var out1, err1 bytes.Buffer
			cfg1 := cfg
			cfg1.Preopens, cfg1.Stdin, cfg1.Stdout, cfg1.Stderr = fixture(t), strings.NewReader("in\n"), &out1, &err1
			runErr1 := cc.rt.RunCommand(ctx, core, cfg1)

			cfg2 := cfg
			cfg2.Preopens = fixture(t)
			out2, errOut2, runErr2 := cc.run(t, ctx, cfg2)

			want1, want2 := out1.String(), out1.String()
			if d, ok := knownDiff[name]; ok {
				if want1 != d[0] {
					t.Fatalf("wasip1 now prints %q, not %q: update knownDiff", want1, d[0])
				}
				want2 = d[1]
			}
			if out2 != want2 {
				t.Errorf("stdout: wasip1 %q, wasip2 %q", out1.String(), out2)
			}
			if err1.String() != errOut2 {
				t.Errorf("stderr: wasip1 %q, wasip2 %q", err1.String(), errOut2)
			}
			// The component's exit status is 0 or 1 (see TestComponentCommand).
			var ee1, ee2 *engine.ExitError
			failed1 := runErr1 != nil && errors.As(runErr1, &ee1) && ee1.Code != 0
			failed2 := runErr2 != nil && errors.As(runErr2, &ee2) && ee2.Code != 0
			if failed1 != failed2 || (runErr1 != nil && !failed1) || (runErr2 != nil && !failed2) {
				t.Errorf("result: wasip1 %v, wasip2 %v", runErr1, runErr2)
			}
		})
	}
}
