package logging

import (
	"slices"
	"testing"

	"github.com/wasmhive/wasmhive/wit"
)

// TestDefineCoversWIT checks Define against the WIT the platform ships
// (wit/deps/logging): one interface with one function, log, at the WIT's
// version, and its level enum in the order witLevels maps.
func TestDefineCoversWIT(t *testing.T) {
	r, pkg, err := wit.ResolveDir("../../wit/deps/logging")
	if err != nil {
		t.Fatal(err)
	}
	if pkg.Name.String() != "wasi:logging@"+WITVersion {
		t.Fatalf("the WIT is package %s, Define serves wasi:logging@%s", pkg.Name, WITVersion)
	}
	var funcs []string
	for _, p := range r.Packages {
		for _, i := range p.Interfaces {
			for _, f := range i.Functions {
				funcs = append(funcs, i.ID()+"#"+f.Name)
			}
		}
	}
	if !slices.Equal(funcs, []string{WITLogging + "#log"}) || witInterfaces[0] != WITLogging {
		t.Errorf("the WIT has %v, Define serves %v#log", funcs, witInterfaces)
	}
	i := r.Interface(WITLogging)
	if i == nil {
		t.Fatalf("no interface %s", WITLogging)
	}
	var labels []string
	for _, td := range i.TypeDefs {
		if td.Name == "level" && td.Interface == i {
			for _, f := range td.Fields {
				labels = append(labels, f.Name)
			}
		}
	}
	if !slices.Equal(labels, witLevels[:]) {
		t.Errorf("the WIT's levels are %v, Define maps %v", labels, witLevels)
	}
}
