// Command echo is a test plugin built with wasmhive's pdk: its exports move
// bytes in and out, for round-trip tests and throughput benchmarks (build it
// with -tags wasmhive_bulk for the bulk-copy variant).
package main

import "github.com/wasmhive/wasmhive/pdk"

// echo returns its input unchanged.
//
//go:wasmexport echo
func echo() int32 {
	pdk.Output(pdk.Input())
	return 0
}

// length returns the input's length as a decimal string (input only).
//
//go:wasmexport length
func length() int32 {
	pdk.OutputString(itoa(len(pdk.Input())))
	return 0
}

// noop reads nothing and writes nothing: the cost of a call.
//
//go:wasmexport noop
func noop() int32 { return 0 }

// memory_roundtrip copies the input into a host memory block, reads it back
// through Memory.Load and outputs it, exercising Allocate/Store/Load/Free.
//
//go:wasmexport memory_roundtrip
func memoryRoundtrip() int32 {
	in := pdk.Input()
	m := pdk.AllocateBytes(in)
	back := pdk.FindMemory(m.Offset()).Bytes()
	m.Free()
	pdk.Output(back)
	return 0
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

func main() {}

var buf []byte

// echo_reuse is echo reading into a buffer reused across calls
// (pdk.AppendInput), so a call allocates nothing in the guest.
//
//go:wasmexport echo_reuse
func echoReuse() int32 {
	buf = pdk.AppendInput(buf[:0])
	pdk.Output(buf)
	return 0
}

// length_reuse is length reading into the reused buffer.
//
//go:wasmexport length_reuse
func lengthReuse() int32 {
	buf = pdk.AppendInput(buf[:0])
	pdk.OutputString(itoa(len(buf)))
	return 0
}
