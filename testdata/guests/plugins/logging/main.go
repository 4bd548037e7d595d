// Command logging is a test plugin built with wasmhive's pdk: it logs
// through the host.
package main

import "github.com/wasmhive/wasmhive/pdk"

// log_all logs the input once at every level, "<level>: <input>", and
// outputs the host's log level name.
//
//go:wasmexport log_all
func logAll() int32 {
	msg := pdk.InputString()
	for _, l := range []pdk.LogLevel{pdk.LogTrace, pdk.LogDebug, pdk.LogInfo, pdk.LogWarn, pdk.LogError} {
		pdk.Logf(l, "%s: %s", l, msg)
	}
	pdk.OutputString(pdk.GetLogLevel().String())
	return 0
}

func main() {}
