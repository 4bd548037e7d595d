//go:build wasip1

package messaging

//go:wasmimport wasmhive:messaging/producer publish
func hostPublish(subject, body uint64) uint64

//go:wasmimport wasmhive:messaging/producer request
func hostRequest(subject, body, timeout uint64) uint64
