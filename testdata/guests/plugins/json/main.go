// Command json is a test plugin built with wasmhive's pdk: JSON in, JSON out.
package main

import (
	"errors"
	"strings"

	"github.com/wasmhive/wasmhive/pdk"
)

type greetIn struct {
	Name  string   `json:"name"`
	Langs []string `json:"langs"`
}

type greetOut struct {
	Greeting string         `json:"greeting"`
	Chars    int            `json:"chars"`
	Langs    map[string]int `json:"langs"`
}

// greet turns {"name":"Ada","langs":["go","c"]} into
// {"greeting":"Hello, Ada!","chars":3,"langs":{"c":1,"go":1}}; an empty name
// or invalid JSON fails.
//
//go:wasmexport greet
func greet() int32 {
	var in greetIn
	if err := pdk.InputJSON(&in); err != nil {
		return pdk.Return(err)
	}
	if strings.TrimSpace(in.Name) == "" {
		return pdk.Return(errors.New("name is required"))
	}
	out := greetOut{Greeting: "Hello, " + in.Name + "!", Chars: len([]rune(in.Name)), Langs: map[string]int{}}
	for _, l := range in.Langs {
		out.Langs[l]++
	}
	return pdk.Return(pdk.OutputJSON(out))
}

func main() {}
