// Command goreactor is a Go reactor (-buildmode=c-shared) exporting one
// function, inspected by the inspect tests.
package main

//go:wasmexport add
func add(a, b int32) int32 { return a + b }

func main() {}
