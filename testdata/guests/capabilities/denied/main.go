// Command denied is a reactor importing wasmhive:keyvalue/atomics
// (increment): the grant tests of cmd/wasmhive (grant_test.go) run it
// without --grant keyvalue, which wasmhive must refuse at load, and with
// it, when each call of its export bump adds 1 to the key "runs" of its
// bucket and returns the new value (-1 when the store fails).
package main

import "github.com/wasmhive/wasmhive/pdk/keyvalue"

//go:wasmexport bump
func bump() int64 {
	n, err := keyvalue.Increment("runs", 1)
	if err != nil {
		return -1
	}
	return n
}

func main() {}
