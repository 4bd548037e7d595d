// Command caller is a test component that imports an interface of its own,
// acme:greeter/api, satisfied by a link to another component, and sends
// generic calls with wasmhive:host/invoke.
package main

import (
	"encoding/binary"
	"errors"

	"github.com/wasmhive/wasmhive/pdk"
)

//go:wasmimport acme:greeter/api hello
func hello(name uint64) uint64

//go:wasmimport acme:greeter/api pair
func pair(a, b uint64) uint64

//go:wasmimport acme:greeter/api trap
func trap(in uint64) uint64

//go:wasmimport acme:greeter/api spin
func spin(in uint64) uint64

//go:wasmimport acme:greeter/api none
func none(in uint64) uint64

//go:wasmimport acme:greeter/api fail
func fail(in uint64) uint64

//go:wasmimport wasmhive:host/invoke call
func invoke(iface, fn, args uint64) uint64

// answer turns a reply block into the call's output: the payload for OK,
// "none" for NONE, the message as the call's error for ERROR.
func answer(h uint64) int32 {
	m := pdk.FindMemory(h)
	b := m.Bytes()
	m.Free()
	if len(b) == 0 {
		return pdk.Return(errors.New("empty reply"))
	}
	switch b[0] {
	case 0:
		pdk.Output(b[1:])
	case 1:
		pdk.OutputString("none")
	default:
		pdk.SetErrorString("callee: " + string(b[1:]))
		return 1
	}
	return 0
}

func in() uint64 { return pdk.AllocateBytes(pdk.Input()).Offset() }

//go:wasmexport call_hello
func callHello() int32 { return answer(hello(in())) }

//go:wasmexport call_pair
func callPair() int32 {
	return answer(pair(pdk.AllocateString("left").Offset(), pdk.AllocateString("right").Offset()))
}

//go:wasmexport call_trap
func callTrap() int32 { return answer(trap(in())) }

//go:wasmexport call_spin
func callSpin() int32 { return answer(spin(in())) }

//go:wasmexport call_none
func callNone() int32 { return answer(none(in())) }

//go:wasmexport call_fail
func callFail() int32 { return answer(fail(in())) }

// call_twice calls hello, then trap, then hello: the caller goes on after
// its callee failed.
//
//go:wasmexport call_after_trap
func callAfterTrap() int32 {
	h := trap(in())
	pdk.FindMemory(h).Free()
	return answer(hello(in()))
}

// invoke_hello sends hello as a generic call: interface and function as
// values, the arguments as a list.
//
//go:wasmexport invoke
func invokeExport() int32 {
	// input: item interface, item function, then the rest: one argument.
	b := pdk.Input()
	iface, rest := item(b)
	fn, arg := item(rest)
	args := binary.LittleEndian.AppendUint32(nil, 1)
	args = binary.LittleEndian.AppendUint32(args, uint32(len(arg)))
	args = append(args, arg...)
	return answer(invoke(pdk.AllocateBytes(iface).Offset(), pdk.AllocateBytes(fn).Offset(), pdk.AllocateBytes(args).Offset()))
}

func item(b []byte) ([]byte, []byte) {
	n := binary.LittleEndian.Uint32(b)
	return b[4 : 4+n], b[4+n:]
}

func main() {}
