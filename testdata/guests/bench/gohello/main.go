// Command gohello is the Go-built command of the start-up benchmarks
// (GOOS=wasip1 GOARCH=wasm, about 2.5 MB): a plain hello world, so the time
// measured is the host's plus the Go runtime's own start-up.
package main

import "fmt"

func main() {
	fmt.Println("hello from Go")
}
