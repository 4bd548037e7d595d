package wave_test

import (
	"fmt"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component"
	"github.com/wasmhive/wasmhive/wave"
)

func Example() {
	// func(name: string, tags: list<string>, limit: option<u32>) -> result<u32, string>
	ft := &component.FuncType{
		Params: []component.Param{
			{Name: "name", Type: component.Prim(component.String)},
			{Name: "tags", Type: &component.ValueType{Kind: component.List, Elem: component.Prim(component.String)}},
			{Name: "limit", Type: &component.ValueType{Kind: component.Option, Elem: component.Prim(component.U32)}},
		},
		Result: &component.ValueType{Kind: component.Result, OK: component.Prim(component.U32), Err: component.Prim(component.String)},
	}

	call, err := wave.ParseCall(`count("hive", ["a", "b"])`)
	if err != nil {
		fmt.Println(err)
		return
	}
	args, err := call.Args(ft) // limit, an option left out at the end, is none
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s %q %#v\n", call.Name, args[0], args[2])

	out, _ := wave.FormatResult(canonical.OK(uint32(2)), ft.Result)
	fmt.Println(out)

	call, _ = wave.ParseCall(`count("hive", ["a", 2])`)
	_, err = call.Args(ft)
	fmt.Println(err)
	// Output:
	// count "hive" canonical.Option{Some:false, Value:interface {}(nil)}
	// ok(2)
	// wave: column 21: argument 2 (tags: list<string>): expected a string like "x", found 2
}
