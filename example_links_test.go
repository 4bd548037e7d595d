package wasmhive_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"log"
	"os"

	"github.com/wasmhive/wasmhive"
)

// Link components by contract: the kvcounter module imports
// wasmhive:keyvalue/atomics, and here a component that exports it (the
// pipeline's keyvalue sender, in Rust) serves it instead of a provider.
// The counter has no keyvalue grant: only the sender reaches the store.
func ExampleLink() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "wasmhive-example")
	defer os.RemoveAll(dir)
	h, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{DataDir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close(ctx)
	// Link targets first.
	if _, err := h.AddComponent(ctx, "kv-sender", wasmhive.ComponentConfig{
		Module: "examples/pipeline/kv-sender.wasm",
		Grants: wasmhive.Grants{KeyValue: &wasmhive.KeyValueGrant{Bucket: "counter"}},
	}); err != nil {
		log.Fatal(err)
	}
	if _, err := h.AddComponent(ctx, "counter", wasmhive.ComponentConfig{
		Module: "examples/kvcounter/kvcounter.wasm",
		Links:  []wasmhive.Link{{Interface: "wasmhive:keyvalue/atomics", Target: "kv-sender"}},
	}); err != nil {
		log.Fatal(err)
	}
	for range 2 {
		out, err := h.Invoke(ctx, "counter", "handle_http", getRequest("/hits"))
		if err != nil {
			log.Fatal(err)
		}
		status, body := httpResponse(out)
		fmt.Print(status, " ", body)
	}
	// Output:
	// 200 {"counter":1}
	// 200 {"counter":2}
}

// Replace a linked component with a new version while it serves: new calls
// go to the new version, calls in flight finish on the old one. A version
// that does not link is refused, and the old one keeps serving.
func ExampleHost_ReplaceComponent() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "wasmhive-example")
	defer os.RemoveAll(dir)
	h, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{DataDir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close(ctx)
	sender := wasmhive.ComponentConfig{
		Module: "examples/pipeline/kv-sender.wasm",
		Grants: wasmhive.Grants{KeyValue: &wasmhive.KeyValueGrant{Bucket: "counter"}},
	}
	if _, err := h.AddComponent(ctx, "kv-sender", sender); err != nil {
		log.Fatal(err)
	}
	counter := wasmhive.ComponentConfig{
		Module: "examples/kvcounter/kvcounter.wasm",
		Links:  []wasmhive.Link{{Interface: "wasmhive:keyvalue/atomics", Target: "kv-sender"}},
	}
	if _, err := h.AddComponent(ctx, "counter", counter); err != nil {
		log.Fatal(err)
	}
	// The sender's new version (here the same file, with a timeout).
	sender.Limits.Timeout = 2e9
	if _, err := h.ReplaceComponent(ctx, "kv-sender", sender); err != nil {
		log.Fatal(err)
	}
	// A "new version" that does not export the interface is refused.
	_, err = h.ReplaceComponent(ctx, "kv-sender", wasmhive.ComponentConfig{Module: "bench/link/guest/callee.wasm"})
	fmt.Println(err)
	out, _ := h.Invoke(ctx, "counter", "handle_http", getRequest("/hits"))
	status, body := httpResponse(out)
	fmt.Print(status, " ", body)
	// Output:
	// new version of kv-sender refused: link counter -> kv-sender (wasmhive:keyvalue/atomics): kv-sender exports no function of wasmhive:keyvalue/atomics (a target exports wasmhive:keyvalue/atomics#increment)
	// 200 {"counter":1}
}

// getRequest is a GET of path in the HTTP wire format handlers take
// (docs/http-wire-format.md): version 1, method, path, query, no headers,
// an empty body.
func getRequest(path string) []byte {
	b := []byte{1}
	for _, s := range []string{"GET", path, ""} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return append(b, 0, 0) // no headers, empty body
}

// httpResponse reads a response in the HTTP wire format: its status and
// body.
func httpResponse(b []byte) (int, string) {
	b = b[1:] // the version
	next := func() uint64 {
		v, n := binary.Uvarint(b)
		b = b[n:]
		return v
	}
	str := func() string {
		n := next()
		s := string(b[:n])
		b = b[n:]
		return s
	}
	status := int(next())
	for range next() {
		str()
		str()
	}
	return status, str()
}
