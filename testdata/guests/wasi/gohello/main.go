// Command gohello prints one line: the Go hello world of the WASI benchmarks.
package main

import "fmt"

func main() { fmt.Println("hello, world") }
