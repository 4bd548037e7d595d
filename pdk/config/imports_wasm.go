//go:build wasip1

package config

//go:wasmimport wasmhive:config/store get
func hostGet(key uint64) uint64

//go:wasmimport wasmhive:config/store get_all
func hostGetAll() uint64
