package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestComponentAgainstJco runs the command component under jco (the
// Bytecode Alliance's JavaScript component host, in Node) as a reference
// and checks that wasmhive prints the same and exits the same. jco is found
// as $WASMHIVE_JCO or on PATH; without it the test skips, unless
// WASMHIVE_REQUIRE_JCO=1 (CI installs it).
func TestComponentAgainstJco(t *testing.T) {
	jco := os.Getenv("WASMHIVE_JCO")
	if jco == "" {
		jco, _ = exec.LookPath("jco")
	}
	if jco == "" {
		if os.Getenv("WASMHIVE_REQUIRE_JCO") == "1" {
			t.Fatal("jco not found (WASMHIVE_REQUIRE_JCO=1): set WASMHIVE_JCO or put jco on PATH")
		}
		t.Skip("jco not found: set WASMHIVE_JCO or put jco on PATH to compare with it")
	}
	const comp = "../../testdata/components/cmd.wasm"
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
	}{
		{"args", []string{"args", "a b", "ü"}, ""},
		{"stderr", []string{"stderr"}, ""},
		{"echo", []string{"echo"}, "one\ntwo\n"},
		{"exit 0", []string{"exit", "0"}, ""},
		{"exit 7", []string{"exit", "7"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, jco, append([]string{"run", comp}, tc.args...)...)
			cmd.Stdin = strings.NewReader(tc.stdin)
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			code := 0
			if err := cmd.Run(); err != nil {
				var ee *exec.ExitError
				if !errors.As(err, &ee) {
					t.Fatalf("jco: %v", err)
				}
				code = ee.ExitCode()
			}
			got := runCLI(t, strings.NewReader(tc.stdin), append([]string{"run", comp}, tc.args...)...)
			// jco names argv[0] "cmd"; wasmhive after the file, "cmd.wasm".
			want := strings.ReplaceAll(out.String(), "argv[0]=cmd\n", "argv[0]=cmd.wasm\n")
			if got.Stdout != want || got.Code != code || got.Stderr != errb.String() {
				t.Errorf("wasmhive: stdout %q stderr %q exit %d\njco:      stdout %q stderr %q exit %d",
					got.Stdout, got.Stderr, got.Code, want, errb.String(), code)
			}
		})
	}
}
