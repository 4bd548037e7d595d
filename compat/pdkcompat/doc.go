// Package pdkcompat holds the cross-host tests and benchmarks of wasmhive's
// Go guest PDK (package pdk): the same plugins, built from
// testdata/guests/plugins, run on wasmhive and on the official Extism Go SDK
// (github.com/extism/go-sdk, required only by the compat module) and must
// give the same results. The benchmarks compare both hosts in one run; see
// README.md.
package pdkcompat
