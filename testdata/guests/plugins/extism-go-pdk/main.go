// Command extism-go-pdk is a test plugin built with Extism's official Go PDK
// (github.com/extism/go-pdk), not wasmhive's, to check that such plugins run
// on wasmhive unmodified. Build: GOOS=wasip1 GOARCH=wasm go build
// -buildmode=c-shared (its own module: the PDK is a guest-only dependency).
package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/extism/go-pdk"
)

//go:wasmimport extism:host/user reverse
func reverse(uint64) uint64

//go:wasmexport greet
func greet() int32 {
	pdk.OutputString("Hello, " + pdk.InputString() + "!")
	return 0
}

//go:wasmexport config
func config() int32 {
	v, ok := pdk.GetConfig("name")
	if !ok {
		v = "<unset>"
	}
	pdk.OutputString(v)
	return 0
}

//go:wasmexport count
func count() int32 {
	n := uint64(0)
	if b := pdk.GetVar("count"); len(b) == 8 {
		n = binary.LittleEndian.Uint64(b)
	}
	n++
	b := binary.LittleEndian.AppendUint64(nil, n)
	pdk.SetVar("count", b)
	pdk.OutputString(fmt.Sprint(n))
	return 0
}

//go:wasmexport fail
func fail() int32 {
	pdk.SetError(errors.New("failed on purpose: " + pdk.InputString()))
	return 1
}

//go:wasmexport log
func log() int32 {
	pdk.Log(pdk.LogDebug, "a debug message")
	pdk.Log(pdk.LogInfo, "an info message")
	pdk.Log(pdk.LogWarn, "a warning")
	return 0
}

//go:wasmexport fetch
func fetch() int32 {
	req := pdk.NewHTTPRequest(pdk.MethodGet, pdk.InputString())
	req.SetHeader("X-Plugin", "go-pdk")
	res := req.Send()
	pdk.OutputString(fmt.Sprintf("%d %s", res.Status(), res.Body()))
	return 0
}

//go:wasmexport upper_reverse
func upperReverse() int32 {
	in := pdk.AllocateString(strings.ToUpper(pdk.InputString()))
	out := pdk.FindMemory(reverse(in.Offset()))
	pdk.Output(out.ReadBytes())
	return 0
}

func main() {}
