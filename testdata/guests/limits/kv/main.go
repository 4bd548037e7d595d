// Command kv is a test component for wasmhive's per-call limits: its
// exports use the keyvalue capability many times in one call, grow memory,
// size their output and loop on demand (built on the fly by the tests with
// internal/testguest).
package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/wasmhive/wasmhive/pdk"
	"github.com/wasmhive/wasmhive/pdk/keyvalue"
)

// op is one step of a script.
type op struct {
	Op   string `json:"op"`   // get, set, get_many, set_many, list
	Key  string `json:"key"`  // the key (get, set), or the prefix (list)
	N    int    `json:"n"`    // how many times (get, set) or keys (get_many, set_many)
	Size int    `json:"size"` // the size of the value set (set, set_many)
}

// script runs a list of ops in one call and outputs how many keys they
// touched; a keyvalue error fails the call with its message.
//
//go:wasmexport script
func script() int32 {
	var ops []op
	if err := pdk.InputJSON(&ops); err != nil {
		return pdk.Return(err)
	}
	touched := 0
	for _, o := range ops {
		value := make([]byte, o.Size)
		keys := make([]string, o.N)
		for i := range keys {
			keys[i] = o.Key + strconv.Itoa(i)
		}
		var err error
		switch o.Op {
		case "get":
			for i := 0; i < o.N && err == nil; i++ {
				_, _, err = keyvalue.Get(o.Key)
				touched++
			}
		case "set":
			for i := 0; i < o.N && err == nil; i++ {
				err = keyvalue.Set(o.Key, value)
				touched++
			}
		case "get_many":
			_, err = keyvalue.GetMany(keys)
			touched += len(keys)
		case "set_many":
			entries := make([]keyvalue.Entry, len(keys))
			for i, k := range keys {
				entries[i] = keyvalue.Entry{Key: k, Value: value}
			}
			err = keyvalue.SetMany(entries)
			touched += len(keys)
		case "list":
			var page []string
			page, _, err = keyvalue.ListKeys(o.Key, "")
			touched += len(page)
		default:
			err = fmt.Errorf("unknown op %q", o.Op)
		}
		if err != nil {
			return pdk.Return(err)
		}
	}
	pdk.OutputString(strconv.Itoa(touched))
	return 0
}

// echo outputs its input.
//
//go:wasmexport echo
func echo() int32 {
	pdk.Output(pdk.Input())
	return 0
}

// out outputs as many bytes as its decimal input says.
//
//go:wasmexport out
func out() int32 {
	n, err := strconv.Atoi(pdk.InputString())
	if err != nil {
		return pdk.Return(err)
	}
	pdk.OutputString(strings.Repeat("x", n))
	return 0
}

var kept [][]byte

// grow allocates (and keeps) as many MiB as its decimal input says, a MiB
// at a time, touching every page: past the memory limit the Go runtime
// fails ("out of memory") and exits.
//
//go:wasmexport grow
func grow() int32 {
	n, err := strconv.Atoi(pdk.InputString())
	if err != nil {
		return pdk.Return(err)
	}
	for i := 0; i < n; i++ {
		b := make([]byte, 1<<20)
		for j := 0; j < len(b); j += 4096 {
			b[j] = 1
		}
		kept = append(kept, b)
	}
	pdk.OutputString(strconv.Itoa(len(kept)))
	return 0
}

var spins int

// spin loops until the host stops it (a timeout).
//
//go:wasmexport spin
func spin() int32 {
	for {
		spins++
	}
}

func main() {}
