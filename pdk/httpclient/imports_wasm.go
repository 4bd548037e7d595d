//go:build wasip1

package httpclient

//go:wasmimport wasmhive:http/outgoing request
func hostRequest(req uint64) uint64
