package testguest

import "bytes"

// Module returns a core module built by hand for tests of code shapes no
// compiler emits on purpose: every function has type (i32) -> i32 and no
// locals, its body is the given instructions (without the final end), and
// function 0 is exported as "f".
func Module(bodies ...[]byte) []byte {
	o := []byte("\x00asm\x01\x00\x00\x00")
	o = section(o, 1, []byte{1, 0x60, 1, 0x7f, 1, 0x7f})
	fs := uleb(nil, uint32(len(bodies)))
	for range bodies {
		fs = append(fs, 0)
	}
	o = section(o, 3, fs)
	o = section(o, 7, []byte{1, 1, 'f', 0, 0})
	code := uleb(nil, uint32(len(bodies)))
	for _, b := range bodies {
		body := append([]byte{0}, b...)
		body = append(body, 0x0b)
		code = append(uleb(code, uint32(len(body))), body...)
	}
	return section(o, 10, code)
}

// Adds returns n times (i32.const 1; i32.add): 3n bytes of straight-line
// code adding n to the value on the stack.
func Adds(n int) []byte { return bytes.Repeat([]byte{0x41, 0x01, 0x6a}, n) }

// Calls returns local.get 0, then n calls of function fn (below 128).
func Calls(fn byte, n int) []byte {
	return append([]byte{0x20, 0}, bytes.Repeat([]byte{0x10, fn}, n)...)
}

func uleb(o []byte, v uint32) []byte {
	for {
		b := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(o, b)
		}
		o = append(o, b|0x80)
	}
}

func section(o []byte, id byte, payload []byte) []byte {
	return append(uleb(append(o, id), uint32(len(payload))), payload...)
}
