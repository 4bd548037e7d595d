// Command count_vowels is a test plugin built with wasmhive's pdk: it counts
// the vowels in its input and keeps a running total in the "total" variable,
// with the same output as Extism's own count_vowels example plugin:
//
//	{"count":3,"total":3,"vowels":"aeiouAEIOU"}
//
// It is the plugin of the small-call benchmark, so it writes its JSON by hand:
// encoding/json's reflection costs several microseconds per call in a wasm
// guest, more than everything else the call does.
package main

import (
	"strconv"
	"unicode/utf8"

	"github.com/wasmhive/wasmhive/pdk"
)

// vowels is the default set; the "vowels" config key overrides it.
const vowels = "aeiouAEIOU"

var out []byte // reused across calls

//go:wasmexport count_vowels
func countVowels() int32 {
	set, ok := pdk.GetConfig("vowels")
	if !ok {
		set = vowels
	}
	var isVowel [256]bool
	for i := 0; i < len(set); i++ {
		isVowel[set[i]] = true
	}
	n := 0
	for _, c := range pdk.Input() {
		if isVowel[c] {
			n++
		}
	}
	total := pdk.GetVarInt("total") + int64(n)
	pdk.SetVarInt("total", total)

	out = append(out[:0], `{"count":`...)
	out = strconv.AppendInt(out, int64(n), 10)
	out = append(out, `,"total":`...)
	out = strconv.AppendInt(out, total, 10)
	out = append(out, `,"vowels":`...)
	out = appendJSONString(out, set)
	out = append(out, '}')
	pdk.Output(out)
	return 0
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced by U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
			i++
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			i++
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			b = utf8.AppendRune(b, r)
			i += size
		}
	}
	return append(b, '"')
}

func main() {}
