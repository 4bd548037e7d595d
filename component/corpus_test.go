package component

import (
	"os"
	"path/filepath"
	"testing"
)

// corpus returns the committed components (testdata/components, built by
// its build.sh) by file name.
func corpus(t testing.TB) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob("../testdata/components/*.wasm")
	if err != nil || len(files) == 0 {
		t.Fatalf("no components in ../testdata/components (%v)", err)
	}
	m := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m[filepath.Base(f)] = b
	}
	return m
}

func TestCorpus(t *testing.T) {
	for name, b := range corpus(t) {
		c, err := Decode(b)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		t.Logf("%s: %d sections, %d core modules, %d components, %d imports, %d exports, %d funcs, %d core funcs, %d types",
			name, len(c.Sections), len(c.Modules), len(c.Components), len(c.Imports), len(c.Exports), len(c.Spaces.Funcs), len(c.Spaces.CoreFuncs), len(c.Spaces.Types))
	}
}
