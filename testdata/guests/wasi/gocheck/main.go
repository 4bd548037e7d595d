// Command gocheck is a GOOS=wasip1 Go program that uses WASI the way Go's
// standard library does: it prints its args and one environment variable,
// reads a file, lists a directory, writes a file, stats a symlink and
// echoes stdin lines. The wasip1 tests compare its output.
package main

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

func main() {
	fmt.Printf("args %q\n", os.Args[1:])
	fmt.Printf("env %q\n", os.Getenv("GREETING"))
	b, err := os.ReadFile("/data/in.txt")
	fmt.Printf("read %q %v\n", b, err)
	ents, err := os.ReadDir("/data")
	if err != nil {
		fmt.Println("readdir", err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, fmt.Sprintf("%s:%v", e.Name(), e.IsDir()))
	}
	sort.Strings(names)
	fmt.Printf("list %v\n", names)
	err = os.WriteFile("/data/out.txt", []byte("from go"), 0o644)
	fmt.Printf("write %v\n", err)
	fi, err := os.Lstat("/data/link")
	if err == nil {
		fmt.Printf("lstat link symlink=%v\n", fi.Mode()&fs.ModeSymlink != 0)
	}
	target, err := os.Readlink("/data/link")
	fmt.Printf("readlink %q %v\n", target, err)
	var walked []string
	filepath.WalkDir("/data", func(p string, d fs.DirEntry, err error) error {
		if err == nil {
			walked = append(walked, p)
		}
		return nil
	})
	sort.Strings(walked)
	fmt.Printf("walk %v\n", walked)
	if err := os.MkdirAll("/data/x/y", 0o755); err != nil {
		fmt.Println("mkdirall", err)
	}
	if err := os.Rename("/data/out.txt", "/data/x/y/moved.txt"); err != nil {
		fmt.Println("rename", err)
	}
	if err := os.RemoveAll("/data/x"); err != nil {
		fmt.Println("removeall", err)
	}
	_, err = os.Stat("/data/x")
	fmt.Printf("removed %v\n", os.IsNotExist(err))
	t0 := time.Now()
	time.Sleep(5 * time.Millisecond)
	fmt.Printf("slept %v\n", time.Since(t0) >= 5*time.Millisecond)
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		fmt.Printf("line %q\n", sc.Text())
	}
}
