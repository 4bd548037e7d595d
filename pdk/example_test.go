package pdk_test

import (
	"errors"
	"strings"

	"github.com/wasmhive/wasmhive/pdk"
)

// These examples are plugin code: they compile everywhere but run only
// inside a wasm guest built with GOOS=wasip1 GOARCH=wasm -buildmode=c-shared,
// where each would be the body of a //go:wasmexport function.

// A plugin export that turns its input into a greeting.
func Example() {
	greet := func() int32 {
		name := strings.TrimSpace(pdk.InputString())
		if name == "" {
			return pdk.Return(errors.New("no name given"))
		}
		pdk.OutputString("Hello, " + name + "!")
		return 0
	}
	_ = greet // in a plugin: //go:wasmexport greet
}

// JSON in and out.
func ExampleInputJSON() {
	type args struct{ A, B int }
	add := func() int32 {
		var in args
		if err := pdk.InputJSON(&in); err != nil {
			return pdk.Return(err)
		}
		return pdk.Return(pdk.OutputJSON(map[string]int{"sum": in.A + in.B}))
	}
	_ = add
}

// Reading configuration and keeping state between calls in a variable.
func ExampleGetVarInt() {
	count := func() int32 {
		step := int64(1)
		if s, ok := pdk.GetConfig("step"); ok && s == "2" {
			step = 2
		}
		n := pdk.GetVarInt("count") + step
		pdk.SetVarInt("count", n)
		pdk.Logf(pdk.LogDebug, "count is now %d", n)
		return 0
	}
	_ = count
}

// Large inputs: reuse one buffer across calls instead of allocating.
func ExampleAppendInput() {
	var buf []byte
	checksum := func() int32 {
		buf = pdk.AppendInput(buf[:0])
		var sum byte
		for _, c := range buf {
			sum += c
		}
		pdk.Output([]byte{sum})
		return 0
	}
	_ = checksum
}

// An outgoing HTTP request through the host, which must allow the host name.
func ExampleHTTPRequest_Send() {
	fetch := func() int32 {
		resp, err := pdk.HTTPRequest{Method: "GET", URL: "https://example.com/"}.Send()
		if err != nil {
			return pdk.Return(err)
		}
		if resp.Status != 200 {
			return pdk.Return(errors.New("unexpected status"))
		}
		pdk.Output(resp.Body)
		return 0
	}
	_ = fetch
}
