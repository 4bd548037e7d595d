package wasmhive_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/wasmhive/wasmhive/internal/testguest"
)

// sdkWasm returns the path of a plugin built with an official Extism PDK and
// shipped in the wasm/ folder of the Extism Go SDK module, e.g.
// "count_vowels.wasm". The SDK is a dependency of the compat module
// (compat/go.mod), not of this one, so the module is located (and
// downloaded if needed) from there.
func sdkWasm(t testing.TB, name string) string {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", "github.com/extism/go-sdk")
	cmd.Dir = filepath.Join(testguest.Root(t), "compat")
	out, err := cmd.Output() // on failure, the JSON names the error
	var mod struct{ Dir, Error string }
	json.Unmarshal(out, &mod)
	if mod.Dir == "" {
		t.Fatalf("locate github.com/extism/go-sdk from compat/go.mod: %v %s", err, mod.Error)
	}
	p := filepath.Join(mod.Dir, "wasm", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}
