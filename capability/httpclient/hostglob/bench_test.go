package hostglob_test

import (
	"path"
	"testing"

	"github.com/wasmhive/wasmhive/capability/httpclient/hostglob"
)

var globs = []string{"api.example.com", "*.cdn.example.net", "10.0.0.*", "*.internal"}

const host = "eu.west.db.internal"

// BenchmarkAllows compares a compiled List with the loop of path.Match the
// Extism ABI used before (the baseline).
func BenchmarkAllows(b *testing.B) {
	l, err := hostglob.Compile(globs)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("hostglob", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if !l.Allows(host) {
				b.Fatal("not allowed")
			}
		}
	})
	b.Run("path.Match", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			ok := false
			for _, g := range globs {
				if m, err := path.Match(g, host); err == nil && m {
					ok = true
					break
				}
			}
			if !ok {
				b.Fatal("not allowed")
			}
		}
	})
}
