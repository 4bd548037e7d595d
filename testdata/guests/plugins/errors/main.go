// Command errors is a test plugin built with wasmhive's pdk: its exports fail
// in the ways a plugin can.
package main

import (
	"errors"

	"github.com/wasmhive/wasmhive/pdk"
)

// fail sets the input as the error message and returns 1.
//
//go:wasmexport fail
func fail() int32 { return pdk.Return(errors.New(pdk.InputString())) }

// fail_code returns 7 without setting an error message.
//
//go:wasmexport fail_code
func failCode() int32 { return 7 }

// output_then_fail sets an output, then fails: hosts report the error.
//
//go:wasmexport output_then_fail
func outputThenFail() int32 {
	pdk.OutputString("partial")
	return pdk.Return(errors.New("failed after output"))
}

// trap panics, which traps the instance.
//
//go:wasmexport trap
func trap() int32 { panic("plugin panicked: " + pdk.InputString()) }

func main() {}
