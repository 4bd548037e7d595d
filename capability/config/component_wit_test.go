package config

import (
	"testing"

	"github.com/wasmhive/wasmhive/wit"
)

// TestDefineCoversWIT checks Define's functions against the WIT the
// platform ships (wit/deps/config): the same functions, at the WIT's
// version.
func TestDefineCoversWIT(t *testing.T) {
	r, pkg, err := wit.ResolveDir("../../wit/deps/config")
	if err != nil {
		t.Fatal(err)
	}
	if pkg.Name.String() != "wasi:config@"+WITVersion {
		t.Fatalf("the WIT is package %s, Define serves wasi:config@%s", pkg.Name, WITVersion)
	}
	defined := map[string]bool{}
	for _, f := range witFunctions {
		defined[WITStore+"#"+f.name] = true
	}
	want := map[string]bool{}
	for _, p := range r.Packages {
		for _, i := range p.Interfaces {
			for _, f := range i.Functions {
				want[i.ID()+"#"+f.Name] = true
			}
		}
	}
	if len(want) != 2 {
		t.Errorf("the WIT has %d functions, want 2 (get, get-all)", len(want))
	}
	for k := range want {
		if !defined[k] {
			t.Errorf("%s is in the WIT but not defined", k)
		}
	}
	for k := range defined {
		if !want[k] {
			t.Errorf("%s is defined but not in the WIT", k)
		}
	}
}
