package wasip2

import (
	"slices"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive/wit"
)

// wasiPackages are the packages Define covers, as the WIT in
// wit/testdata/wasi/deps says them.
var wasiPackages = []string{"cli", "clocks", "filesystem", "io", "random", "sockets"}

func resolveWASI(t *testing.T) *wit.Resolve {
	t.Helper()
	r, _, err := wit.ResolveDir("../wit/testdata/wasi")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestDefinesEveryFunction checks Define against the WIT of WASI 0.2.4:
// every function and resource of every stable interface (and the unstable
// functions exit-with-code and network-error-code) is defined, and
// nothing is defined that the WIT does not have (a misspelt name would
// never be matched by an import).
func TestDefinesEveryFunction(t *testing.T) {
	r := resolveWASI(t)
	tab := newTable()
	want := map[string]bool{}
	for _, p := range r.Packages {
		if p.Name.Namespace != "wasi" || !slices.Contains(wasiPackages, p.Name.Name) {
			continue
		}
		if p.Name.Version != Version {
			t.Fatalf("%s: WIT version %s, Define registers %s", p.Name, p.Name.Version, Version)
		}
		for _, i := range p.Interfaces {
			if i.Stability.Unstable != "" || i.Name == "run" {
				continue // wasi:clocks/timezone; wasi:cli/run is an export
			}
			for _, f := range i.Functions {
				key := i.ID() + "#" + f.Name
				want[key] = true
				if tab.funcs[key] == nil {
					t.Errorf("function %s is not defined", key)
				}
			}
			for _, td := range i.TypeDefs {
				if td.Interface == i && td.Kind == wit.KindResource {
					key := i.ID() + "#" + td.Name
					want[key] = true
					if _, ok := tab.drops[key]; !ok {
						t.Errorf("resource %s is not defined", key)
					}
				}
			}
		}
	}
	if len(want) < 100 {
		t.Fatalf("only %d WIT items found: is the WIT there?", len(want))
	}
	for k := range tab.funcs {
		if !want[k] {
			t.Errorf("function %s is defined but not in the WIT", k)
		}
	}
	for k := range tab.drops {
		if !want[k] {
			t.Errorf("resource %s is defined but not in the WIT", k)
		}
	}
}

// TestLabelOrder checks the Go constants against the WIT's declaration
// order, which is what crosses the canonical ABI.
func TestLabelOrder(t *testing.T) {
	r := resolveWASI(t)
	labels := func(iface, name string) []string {
		i := r.Interface(iface)
		if i == nil {
			t.Fatalf("no interface %s", iface)
		}
		for _, td := range i.TypeDefs {
			if td.Name == name && td.Interface == i {
				var out []string
				for _, f := range td.Fields {
					out = append(out, f.Name)
				}
				return out
			}
		}
		t.Fatalf("no type %s in %s", name, iface)
		return nil
	}
	check := func(iface, name string, want []string) {
		t.Helper()
		if got := labels(iface, name); !slices.Equal(got, want) {
			t.Errorf("%s %s: WIT has %v, Go has %v", iface, name, got, want)
		}
	}
	fst := "wasi:filesystem/types@" + Version
	check(fst, "error-code", errorCodeNames[:])
	check(fst, "descriptor-flags", []string{"read", "write", "file-integrity-sync", "data-integrity-sync", "requested-write-sync", "mutate-directory"})
	check(fst, "open-flags", []string{"create", "directory", "exclusive", "truncate"})
	check(fst, "path-flags", []string{"symlink-follow"})
	check(fst, "descriptor-type", []string{"unknown", "block-device", "character-device", "directory", "fifo", "symbolic-link", "regular-file", "socket"})
	check(fst, "descriptor-stat", []string{"type", "link-count", "size", "data-access-timestamp", "data-modification-timestamp", "status-change-timestamp"})
	check(fst, "new-timestamp", []string{"no-change", "now", "timestamp"})
	check(fst, "directory-entry", []string{"type", "name"})
	check(fst, "metadata-hash-value", []string{"lower", "upper"})
	check("wasi:io/streams@"+Version, "stream-error", []string{"last-operation-failed", "closed"})
	check("wasi:clocks/wall-clock@"+Version, "datetime", []string{"seconds", "nanoseconds"})
	net := labels("wasi:sockets/network@"+Version, "error-code")
	if net[accessDenied] != "access-denied" {
		t.Errorf("sockets error-code %d is %s, not access-denied", accessDenied, net[accessDenied])
	}
	// The constants themselves follow the names.
	for c := ErrAccess; c <= ErrCrossDevice; c++ {
		if strings.HasPrefix(c.String(), "error-code(") {
			t.Errorf("code %d has no name", c)
		}
	}
	if ErrCrossDevice.String() != "cross-device" || ErrNotPermitted.String() != "not-permitted" || ErrReadOnly.String() != "read-only" {
		t.Errorf("constants out of order: %s %s %s", ErrCrossDevice, ErrNotPermitted, ErrReadOnly)
	}
	if FlagMutateDirectory != 1<<5 || OpenTruncate != 1<<3 || TypeSocket != 7 {
		t.Error("flag or enum constants out of order")
	}
}
