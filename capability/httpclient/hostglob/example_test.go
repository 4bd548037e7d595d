package hostglob_test

import (
	"fmt"

	"github.com/wasmhive/wasmhive/capability/httpclient/hostglob"
)

func ExampleCompile() {
	l, err := hostglob.Compile([]string{"api.example.com", "*.internal"})
	if err != nil {
		panic(err)
	}
	fmt.Println(l.Allows("API.example.com"), l.Allows("db.eu.internal"), l.Allows("example.com"))

	_, err = hostglob.Compile([]string{"[ab].example.com"})
	fmt.Println(err)
	// Output:
	// true true false
	// host glob "[ab].example.com": character classes ('[') are not supported; use '*' or '?', or list each host
}
