//go:build wasip1

package logging

//go:wasmimport wasmhive:logging/logging log
func hostLog(level, context, message uint64) uint64
