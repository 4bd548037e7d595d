//go:build !wasip1

package pdkhttp

// canonical returns CanonicalName(name). Outside WebAssembly, where handlers
// run only in tests and goroutines run in parallel, there is no cache.
func canonical(name string) string { return CanonicalName(name) }
