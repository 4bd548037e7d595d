// Command logging is a test component for wasmhive's logging capability,
// built with pdk/logging.
package main

import (
	"errors"

	"github.com/wasmhive/wasmhive/pdk"
	"github.com/wasmhive/wasmhive/pdk/logging"
)

type record struct {
	Level   string `json:"level"`
	Context string `json:"context"`
	Message string `json:"message"`
}

// log sends the record {"level","context","message"} and outputs the error
// message, if any (prefixed with "typed: " for a *logging.HostError).
//
//go:wasmexport log
func log() int32 {
	var r record
	if err := pdk.InputJSON(&r); err != nil {
		return pdk.Return(err)
	}
	if err := logging.Log(logging.Level(r.Level), r.Context, r.Message); err != nil {
		var he *logging.HostError
		if errors.As(err, &he) {
			pdk.OutputString("typed: " + err.Error())
		} else {
			pdk.OutputString(err.Error())
		}
	}
	return 0
}

// every logs one record at each level with the shorthand functions.
//
//go:wasmexport every
func every() int32 {
	logging.Trace("t")
	logging.Debug("d")
	logging.Info("i")
	logging.Warn("w")
	logging.Error("e")
	logging.Critical("c")
	return 0
}

func main() {}
