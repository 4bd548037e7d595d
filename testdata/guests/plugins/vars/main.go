// Command vars is a test plugin built with wasmhive's pdk: it reads and
// writes plugin variables, which persist between calls.
package main

import (
	"strconv"

	"github.com/wasmhive/wasmhive/pdk"
)

// counter adds one to the "count" variable and outputs the new value.
//
//go:wasmexport counter
func counter() int32 {
	n := pdk.GetVarInt("count") + 1
	pdk.SetVarInt("count", n)
	pdk.OutputString(strconv.FormatInt(n, 10))
	return 0
}

type setArgs struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// set_var sets variable key to value, from the JSON input {"key":..,"value":..};
// an empty value removes it.
//
//go:wasmexport set_var
func setVar() int32 {
	var a setArgs
	if err := pdk.InputJSON(&a); err != nil {
		return pdk.Return(err)
	}
	pdk.SetVar(a.Key, []byte(a.Value))
	return 0
}

// get_var outputs the variable named by the input, or "<unset>".
//
//go:wasmexport get_var
func getVar() int32 {
	v := pdk.GetVar(pdk.InputString())
	if v == nil {
		pdk.OutputString("<unset>")
		return 0
	}
	pdk.Output(v)
	return 0
}

// remove_var removes the variable named by the input.
//
//go:wasmexport remove_var
func removeVar() int32 {
	pdk.RemoveVar(pdk.InputString())
	return 0
}

func main() {}
