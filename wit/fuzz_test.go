package wit_test

import (
	"testing"

	"github.com/wasmhive/wasmhive/wit"
)

// FuzzParse parses arbitrary text; whatever resolves must print as WIT that
// resolves again and prints the same (the printer's fixed point).
func FuzzParse(f *testing.F) {
	f.Add([]byte("package a:b;\ninterface i { f: func(x: list<u8>) -> result<u32, string>; }\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := wit.Parse("fuzz.wit", src)
		if err != nil {
			if _, ok := err.(*wit.Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		r, main, err := wit.ResolveFiles(file)
		if err != nil {
			return
		}
		text := wit.Print(r, main)
		r2, main2, err := wit.ResolveSource("printed.wit", []byte(text))
		if err != nil {
			t.Fatalf("printed WIT does not resolve: %v\n%s", err, text)
		}
		if again := wit.Print(r2, main2); again != text {
			t.Fatalf("print is not a fixed point:\n%s\n---\n%s", text, again)
		}
	})
}
