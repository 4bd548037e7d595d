// Command greeter is a test component that exports the interface
// acme:greeter/api (its functions named "acme:greeter/api#NAME"), for the
// caller to be linked to.
package main

import (
	"encoding/binary"
	"errors"

	"github.com/wasmhive/wasmhive/pdk"
)

var version = "1"

//go:wasmexport acme:greeter/api#hello
func hello() int32 {
	pdk.OutputString("hello, " + pdk.InputString() + " (v" + version + ")")
	return 0
}

// pair gets its two parameters as a list of items.
//
//go:wasmexport acme:greeter/api#pair
func pair() int32 {
	b := pdk.Input()
	if len(b) < 4 || binary.LittleEndian.Uint32(b) != 2 {
		return pdk.Return(errors.New("pair: want a list of 2"))
	}
	b = b[4:]
	var parts []string
	for len(b) >= 4 {
		n := binary.LittleEndian.Uint32(b)
		parts = append(parts, string(b[4:4+n]))
		b = b[4+n:]
	}
	pdk.OutputString(parts[0] + "+" + parts[1])
	return 0
}

//go:wasmexport acme:greeter/api#trap
func trap() int32 { panic("greeter trapped") }

//go:wasmexport acme:greeter/api#spin
func spin() int32 {
	n := 0
	for {
		n++
	}
}

//go:wasmexport acme:greeter/api#none
func none() int32 { return 1 }

//go:wasmexport acme:greeter/api#fail
func fail() int32 { return pdk.Return(errors.New("greeter says no")) }

func main() {}
