package wit_test

import (
	"fmt"

	"github.com/wasmhive/wasmhive/wit"
)

func ExampleResolveSource() {
	src := `package example:greeter@1.0.0;

interface greet {
  record person { name: string, age: u8 }
  hello: func(who: person) -> string;
}

world greeter {
  export greet;
}
`
	r, pkg, err := wit.ResolveSource("greeter.wit", []byte(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(pkg.Worlds[0].Exports[0].Key())
	fmt.Print(wit.Print(r, pkg))
	// Output:
	// example:greeter/greet@1.0.0
	// package example:greeter@1.0.0;
	//
	// interface greet {
	//   record person {
	//     name: string,
	//     age: u8,
	//   }
	//
	//   hello: func(who: person) -> string;
	// }
	//
	// world greeter {
	//   export greet;
	// }
}
