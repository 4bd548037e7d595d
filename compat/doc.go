// Package compat holds the tests and benchmarks that run plugins on wasmhive
// and on the official Extism Go SDK (github.com/extism/go-sdk) and compare
// the results. It is a module of its own (compat/go.mod) so that the SDK and
// its dependency tree stay out of wasmhive's go.mod: users of the library do
// not inherit them. The go.work file at the repository root puts both
// modules in one workspace, so `go test work` runs these tests too.
package compat
