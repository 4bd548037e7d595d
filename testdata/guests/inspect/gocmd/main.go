// Command gocmd is a Go WASI command inspected by the inspect tests.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Println("hello from Go,", len(os.Args), "args")
}
