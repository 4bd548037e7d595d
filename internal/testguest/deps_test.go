package testguest

import (
	"path/filepath"
	"slices"
	"testing"
)

// TestGuestDepsIncludeImportedRepoPackages: the cache key of a guest covers
// every package of this repository it imports, not only its own directory
// and pdk/ (a change to httpwire alone must rebuild the HTTP handler guests).
func TestGuestDepsIncludeImportedRepoPackages(t *testing.T) {
	root, _ := filepath.Abs(Root(t))
	dir := filepath.Join(root, "testdata", "guests", "http", "hello")
	deps := guestDeps(root, dir, "http/hello", nil)
	for _, want := range []string{dir, filepath.Join(root, "internal", "httpwire"), filepath.Join(root, "pdk", "http"), filepath.Join(root, "pdk")} {
		if !slices.Contains(deps, want) {
			t.Errorf("deps of http/hello lack %s; got %v", want, deps)
		}
	}
}
