package keyvalue

import (
	"testing"

	"github.com/wasmhive/wasmhive/wit"
)

// TestDefineCoversWIT checks Define's functions and resources against the
// WIT the platform ships (wit/deps/keyvalue): every function and resource
// of every interface is defined, at the WIT's version, and nothing is
// defined that the WIT does not have (a misspelt name would never link).
func TestDefineCoversWIT(t *testing.T) {
	r, pkg, err := wit.ResolveDir("../../wit/deps/keyvalue")
	if err != nil {
		t.Fatal(err)
	}
	if pkg.Name.Namespace != "wasi" || pkg.Name.Name != "keyvalue" || pkg.Name.Version != WITVersion {
		t.Fatalf("the WIT is package %s, Define serves wasi:keyvalue@%s", pkg.Name, WITVersion)
	}
	defined := map[string]bool{}
	for _, f := range witFunctions {
		defined[f.iface+"#"+f.name] = true
	}
	for _, res := range witResources {
		defined[res.iface+"#"+res.name] = true
	}
	want := map[string]bool{}
	for _, p := range r.Packages {
		for _, i := range p.Interfaces {
			for _, f := range i.Functions {
				want[i.ID()+"#"+f.Name] = true
			}
			for _, td := range i.TypeDefs {
				if td.Interface == i && td.Kind == wit.KindResource {
					want[i.ID()+"#"+td.Name] = true
				}
			}
		}
	}
	if len(want) != 11 {
		t.Errorf("the WIT has %d functions and resources, want 11 (open, bucket and its 5 methods, increment, 3 batch functions)", len(want))
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
