package interrupt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive/component"
)

// parallelCorpus returns the core modules of the repository (those of its
// components too, and the Extism Go SDK's plugins when available), by name.
func parallelCorpus(t *testing.T) map[string][]byte {
	files := []string{}
	filepath.WalkDir("../..", func(p string, d fs.DirEntry, err error) error {
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
	cmd := exec.Command("go", "mod", "download", "-json", "github.com/extism/go-sdk")
	cmd.Dir = "../../compat"
	out, _ := cmd.Output()
	var mod struct{ Dir string }
	json.Unmarshal(out, &mod)
	if mod.Dir != "" {
		m, _ := filepath.Glob(filepath.Join(mod.Dir, "wasm", "*.wasm"))
		files = append(files, m...)
	}
	mods := map[string][]byte{}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) < 8 || !bytes.Equal(b[:4], []byte("\x00asm")) {
			continue
		}
		if b[4] == 1 && b[5] == 0 && b[6] == 0 && b[7] == 0 {
			mods[p] = b
			continue
		}
		c, err := component.Decode(b)
		if err != nil {
			continue
		}
		var add func(name string, c *component.Component)
		add = func(name string, c *component.Component) {
			for i, m := range c.Modules {
				mods[fmt.Sprintf("%s core module %d", name, i)] = m.Bytes
			}
			for i, n := range c.Components {
				add(fmt.Sprintf("%s component %d", name, i), n)
			}
		}
		add(p, c)
	}
	return mods
}

// rewriteWith rewrites b (checks: Rewrite, else InlineExtism) with the
// code section on workers goroutines taking chunk bodies at a time (1:
// sequentially).
func rewriteWith(b []byte, checks bool, workers, chunk int) ([]byte, Stats, error) {
	minBytes, w, c := parallelMinBytes, parallelWorkers, parallelChunk
	defer func() { parallelMinBytes, parallelWorkers, parallelChunk = minBytes, w, c }()
	parallelMinBytes, parallelWorkers, parallelChunk = 0, workers, chunk
	return transform(b, checks, 0)
}

// TestParallelSameOutput: a code section rewritten on several goroutines
// is byte for byte what one goroutine makes of it, with the same stats
// and, for broken modules, the same error.
func TestParallelSameOutput(t *testing.T) {
	mods := parallelCorpus(t)
	if len(mods) < 30 {
		t.Fatalf("only %d modules in the corpus", len(mods))
	}
	rnd := rand.New(rand.NewSource(1))
	n, broken, inlined := 0, 0, 0
	names := slices.Sorted(maps.Keys(mods))
	for _, name := range names {
		b := mods[name]
		inputs := [][]byte{b}
		// Broken variants: a byte changed, the module cut short (fewer of
		// big modules).
		variants := 8
		if len(b) > 256<<10 {
			variants = 1
		}
		for range variants {
			x := bytes.Clone(b)
			x[8+rnd.Intn(len(x)-8)] ^= byte(1 + rnd.Intn(255))
			inputs = append(inputs, x)
		}
		inputs = append(inputs, b[:8+rnd.Intn(len(b)-8)])
		big := len(b) > 4<<20
		if big && testing.Short() {
			continue
		}
		for i, in := range inputs {
			for _, checks := range []bool{true, false} {
				want, wst, werr := rewriteWith(in, checks, 1, 1)
				if werr != nil {
					broken++
				} else {
					n++
					if wst.Inlined > 0 {
						inlined++
					}
				}
				for _, c := range [][2]int{{2, 1}, {3, 5}, {8, 1}, {2, 32}} {
					if big && c != [2]int{2, 1} && c != [2]int{3, 5} {
						continue
					}
					got, gst, gerr := rewriteWith(in, checks, c[0], c[1])
					if fmt.Sprint(gerr) != fmt.Sprint(werr) {
						t.Errorf("%s (input %d, checks %v, %d workers, chunk %d): error %v, sequentially %v", name, i, checks, c[0], c[1], gerr, werr)
					} else if !bytes.Equal(got, want) || gst != wst {
						t.Errorf("%s (input %d, checks %v, %d workers, chunk %d): output differs from the sequential rewrite's", name, i, checks, c[0], c[1])
					}
				}
			}
		}
	}
	t.Logf("%d modules, %d rewrites compared (%d with Extism calls inlined), %d errors compared", len(mods), n, inlined, broken)
	if inlined == 0 {
		t.Error("no module had Extism calls inlined")
	}
}

// TestRewriteWorkers: the public entry points, with the default threshold,
// give the same bytes on one goroutine and on several.
func TestRewriteWorkers(t *testing.T) {
	n := 0
	for name, b := range parallelCorpus(t) {
		if len(b) < parallelMinBytes || (testing.Short() && len(b) > 4<<20) {
			continue
		}
		one, err1 := RewriteWorkers(b, 1)
		many, errN := RewriteWorkers(b, 4)
		def, errD := Rewrite(b)
		if fmt.Sprint(err1) != fmt.Sprint(errN) || fmt.Sprint(err1) != fmt.Sprint(errD) {
			t.Errorf("%s: errors %v, %v, %v", name, err1, errN, errD)
		} else if !bytes.Equal(one, many) || !bytes.Equal(one, def) {
			t.Errorf("%s: the parallel rewrite differs from the sequential one", name)
		}
		n++
	}
	t.Logf("%d large modules compared", n)
	if n == 0 {
		t.Error("no module of the corpus is large enough to be rewritten in parallel")
	}
}
