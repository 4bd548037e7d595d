// Command cmd is a Go (GOOS=wasip1) test guest for `wasmhive run`. os.Args[1]
// picks a mode: echo answers each stdin line as it arrives, panic panics,
// args prints its arguments and env its environment.
package main

import (
	"bufio"
	"fmt"
	"os"
)

func main() {
	mode := "args"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	switch mode {
	case "args":
		for i, a := range os.Args {
			fmt.Printf("argv[%d]=%s\n", i, a)
		}
	case "env":
		for _, kv := range os.Environ() {
			fmt.Println(kv)
		}
	case "echo":
		sc := bufio.NewScanner(os.Stdin)
		n := 0
		for sc.Scan() {
			n++
			fmt.Printf("go echo %d: %s\n", n, sc.Text())
		}
		fmt.Printf("go bye after %d lines\n", n)
	case "panic":
		var m map[string]int
		m["boom"]++ // assignment to entry in nil map
	default:
		fmt.Fprintf(os.Stderr, "cmd: unknown mode %s\n", mode)
		os.Exit(64)
	}
}
