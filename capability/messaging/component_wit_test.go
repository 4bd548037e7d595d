package messaging

import (
	"slices"
	"testing"

	"github.com/wasmhive/wasmhive/wit"
)

// TestDefineCoversWIT checks Define against the WIT the platform ships
// (wit/deps/messaging): the consumer's functions are those Define defines,
// at the WIT's version, and the handler (an export) has handle-message.
func TestDefineCoversWIT(t *testing.T) {
	r, pkg, err := wit.ResolveDir("../../wit/deps/messaging")
	if err != nil {
		t.Fatal(err)
	}
	if pkg.Name.String() != "wasmcloud:messaging@"+WITVersion {
		t.Fatalf("the WIT is package %s, Define serves wasmcloud:messaging@%s", pkg.Name, WITVersion)
	}
	funcs := func(iface string) []string {
		i := r.Interface(iface)
		if i == nil {
			t.Fatalf("the WIT has no interface %s", iface)
		}
		var names []string
		for _, f := range i.Functions {
			names = append(names, f.Name)
		}
		slices.Sort(names)
		return names
	}
	var defined []string
	for _, f := range witFunctions {
		defined = append(defined, f.name)
	}
	slices.Sort(defined)
	if got := funcs(WITConsumer); !slices.Equal(got, defined) {
		t.Errorf("the WIT's consumer has %v, Define defines %v", got, defined)
	}
	if got := funcs(WITHandler); !slices.Equal(got, []string{"handle-message"}) {
		t.Errorf("the WIT's handler has %v", got)
	}
}
