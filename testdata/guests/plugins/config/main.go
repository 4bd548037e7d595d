// Command config is a test plugin built with wasmhive's pdk: it reads the
// host-supplied configuration.
package main

import (
	"fmt"

	"github.com/wasmhive/wasmhive/pdk"
)

// get_config outputs the value of the config key named by the input, and
// fails when it is not set.
//
//go:wasmexport get_config
func getConfig() int32 {
	key := pdk.InputString()
	v, ok := pdk.GetConfig(key)
	if !ok {
		return pdk.Return(fmt.Errorf("config key %q is not set", key))
	}
	pdk.OutputString(v)
	return 0
}

func main() {}
