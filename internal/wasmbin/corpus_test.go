package wasmbin_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/wasmhive/wasmhive/internal/wasmbin"
)

var writeCorpus = flag.Bool("write-corpus", false, "rewrite the committed seed corpora of FuzzParse, FuzzInspect and FuzzCompile")

// TestWriteSeedCorpus (with -write-corpus) writes the seed corpora the fuzz
// targets start from: small real modules, a component, and truncations of
// them at and just inside section boundaries. Without the flag it checks
// that the committed FuzzParse corpus is there and parses without panic.
func TestWriteSeedCorpus(t *testing.T) {
	dirs := []string{
		filepath.Join("testdata", "fuzz", "FuzzParse"),
		filepath.Join("..", "..", "inspect", "testdata", "fuzz", "FuzzInspect"),
		filepath.Join("..", "..", "engine", "testdata", "fuzz", "FuzzCompile"),
	}
	if !*writeCorpus {
		entries, err := os.ReadDir(dirs[0])
		if err != nil || len(entries) < 20 {
			t.Fatalf("seed corpus %s: %d entries, %v (regenerate with -write-corpus)", dirs[0], len(entries), err)
		}
		return
	}
	seeds := map[string][]byte{"component": testComponent(), "core-run": coreRun}
	for _, name := range []string{"kinds", "library", "unstable", "memories", "tags"} {
		b := readGuest(t, "inspect/"+name+".wasm")
		seeds[name] = b
		m, err := wasmbin.ParseModule(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range m.Sections {
			seeds[fmt.Sprintf("%s-cut-%d", name, s.Offset+1)] = b[:s.Offset+1]
			seeds[fmt.Sprintf("%s-cut-%d", name, s.Offset+s.Size)] = b[:s.Offset+s.Size]
		}
	}
	c := testComponent()
	seeds["component-cut-half"] = c[:len(c)/2]
	for _, dir := range dirs {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range seeds {
			body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n"
			if err := os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
