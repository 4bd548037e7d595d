package testguest_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/wasmhive/wasmhive/internal/testguest"
)

// TestGoReactorTags: build tags reach the build (the echo plugin compiles
// another copy path under wasmhive_bulk), and each set of tags is cached
// apart from the plain build.
func TestGoReactorTags(t *testing.T) {
	plain := testguest.GoReactor(t, "plugins/echo")
	tagged := testguest.GoReactorTags(t, "plugins/echo", "wasmhive_bulk")
	if plain == tagged {
		t.Fatalf("the tagged build shares the plain build's cache entry %s", plain)
	}
	a, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(tagged)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) {
		t.Fatal("building with -tags wasmhive_bulk gave the same module: the tags were not passed")
	}
	if again := testguest.GoReactorTags(t, "plugins/echo", "wasmhive_bulk"); again != tagged {
		t.Fatalf("second tagged build = %s, want the cached %s", again, tagged)
	}
}
