// Command count_vowels is a test plugin built with wasmhive's pdk: it counts
// the vowels in its input and keeps a running total in the "total" variable,
// with the same output as Extism's own count_vowels example plugin.
package main

import "github.com/wasmhive/wasmhive/pdk"

// vowels is the default set; the "vowels" config key overrides it.
const vowels = "aeiouAEIOU"

type result struct {
	Count  int    `json:"count"`
	Total  int64  `json:"total"`
	Vowels string `json:"vowels"`
}

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
	return pdk.Return(pdk.OutputJSON(result{Count: n, Total: total, Vowels: set}))
}

func main() {}
