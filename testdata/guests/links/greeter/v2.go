//go:build v2

package main

// The v2 build (go build -tags v2) is the greeter's next version.
func init() { version = "2" }
