package link_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/link"
)

const i64 = api.ValueTypeI64

func TestInputAndArgs(t *testing.T) {
	if got := link.Input([][]byte{[]byte("raw")}); string(got) != "raw" {
		t.Errorf("one argument: %q, want its bytes unchanged", got)
	}
	two := link.Input([][]byte{[]byte("k"), {1, 0, 0, 0, 0, 0, 0, 0}})
	want := []byte{2, 0, 0, 0, 1, 0, 0, 0, 'k', 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0}
	if !bytes.Equal(two, want) {
		t.Errorf("two arguments: % x\nwant % x", two, want)
	}
	if got := link.Input(nil); !bytes.Equal(got, []byte{0, 0, 0, 0}) {
		t.Errorf("no arguments: % x, want an empty list", got)
	}
	args, err := link.Args(two)
	if err != nil || len(args) != 2 || string(args[0]) != "k" || len(args[1]) != 8 {
		t.Errorf("Args: %q, %v", args, err)
	}
	for _, bad := range [][]byte{{1}, {1, 0, 0, 0}, {1, 0, 0, 0, 9, 0, 0, 0, 'x'}, append(append([]byte(nil), two...), 0)} {
		if _, err := link.Args(bad); err == nil {
			t.Errorf("Args(% x): no error", bad)
		}
	}
}

func FuzzArgs(f *testing.F) {
	f.Add([]byte{})
	f.Add(link.Input([][]byte{[]byte("a"), []byte("bc")}))
	f.Add([]byte{255, 255, 255, 255})
	f.Fuzz(func(t *testing.T, b []byte) {
		args, err := link.Args(b)
		if err != nil || len(b) == 0 {
			return
		}
		// What parses is a list, and encodes back to the same bytes.
		n := len(args)
		got := []byte{byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24)}
		for _, a := range args {
			got = appendItem(got, a)
		}
		if !bytes.Equal(got, b) {
			t.Fatalf("Args(% x) = %q; re-encoded % x", b, args, got)
		}
	})
}

func appendItem(b, item []byte) []byte {
	n := len(item)
	b = append(b, byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
	return append(b, item...)
}

// node is a component that imports fn of iface (nparams handles) and
// exports exports (Extism functions).
func node(name string, imports map[string][]string, exports []string, links map[string]string) link.Node {
	n := link.Node{Name: name, Exports: map[string]link.Signature{}, Links: links,
		Provided: func(mod string) bool { return mod == "extism:host/env" }}
	for mod, fns := range imports {
		for _, fn := range fns {
			n.Imports = append(n.Imports, link.Import{Module: mod, Name: fn,
				Signature: link.Signature{Params: []api.ValueType{i64, i64}, Results: []api.ValueType{i64}}})
		}
	}
	for _, e := range exports {
		n.Exports[e] = link.Signature{Results: []api.ValueType{api.ValueTypeI32}}
	}
	return n
}

func TestCheck(t *testing.T) {
	known := []link.Interface{{Name: "wasmhive:keyvalue/atomics", Funcs: []link.Func{{Name: "increment", Params: 2}, {Name: "compare_and_swap", Params: 3}}}}
	kv := map[string][]string{"wasmhive:keyvalue/atomics": {"increment"}}
	sender := node("sender", nil, []string{"wasmhive:keyvalue/atomics#increment"}, nil)
	for _, tc := range []struct {
		name  string
		nodes []link.Node
		want  []string
	}{
		{"sound", []link.Node{node("counter", kv, nil, map[string]string{"wasmhive:keyvalue/atomics": "sender"}), sender}, nil},
		{"missing target", []link.Node{node("counter", kv, nil, map[string]string{"wasmhive:keyvalue/atomics": "sendr"}), sender},
			[]string{"link counter -> sendr (wasmhive:keyvalue/atomics): no component sendr"}},
		{"unsatisfied", []link.Node{node("counter", kv, nil, nil)},
			[]string{"component counter imports wasmhive:keyvalue/atomics.increment, which no link or grant satisfies"}},
		{"missing export", []link.Node{node("counter", map[string][]string{"wasmhive:keyvalue/atomics": {"increment", "compare_and_swap"}}, nil,
			map[string]string{"wasmhive:keyvalue/atomics": "sender"}), sender},
			[]string{"link counter -> sender (wasmhive:keyvalue/atomics): imports wasmhive:keyvalue/atomics.compare_and_swap with 2 parameters; the interface's has 3"}},
		{"no such function", []link.Node{node("counter", map[string][]string{"wasmhive:keyvalue/atomics": {"decrement"}}, nil,
			map[string]string{"wasmhive:keyvalue/atomics": "sender"}), sender},
			[]string{"link counter -> sender (wasmhive:keyvalue/atomics): imports wasmhive:keyvalue/atomics.decrement, which the interface does not have"}},
		{"not exported", []link.Node{node("a", map[string][]string{"acme:x/y": {"f", "g"}}, nil, map[string]string{"acme:x/y": "b"}),
			node("b", nil, []string{"acme:x/y#f"}, nil)},
			[]string{"link a -> b (acme:x/y): b does not export acme:x/y#g"}},
		{"exports nothing", []link.Node{node("a", map[string][]string{"acme:x/y": {"f"}}, nil, map[string]string{"acme:x/y": "b"}),
			node("b", nil, []string{"f"}, nil)},
			[]string{"link a -> b (acme:x/y): b exports no function of acme:x/y (a target exports acme:x/y#f)"}},
		{"typo", []link.Node{node("a", nil, nil, map[string]string{"acme:x/z": "b"}), node("b", nil, []string{"acme:x/y#f"}, nil)},
			[]string{"link a -> b (acme:x/z): a imports nothing from acme:x/z"}},
		{"handler", []link.Node{node("recv", map[string][]string{link.HTTPHandler: {"handle"}}, nil, map[string]string{link.HTTPHandler: "app"}),
			node("app", nil, []string{"handle_http"}, nil)}, nil},
		{"cycle", []link.Node{
			node("a", map[string][]string{"acme:x/y": {"f"}}, []string{"acme:z/z#f"}, map[string]string{"acme:x/y": "b"}),
			node("b", map[string][]string{"acme:z/z": {"f"}}, []string{"acme:x/y#f"}, map[string]string{"acme:z/z": "a"})},
			[]string{"link cycle: a -> b -> a"}},
	} {
		var got []string
		for _, err := range (link.Graph{Nodes: tc.nodes, Known: known}).Check() {
			got = append(got, err.Error())
			var le *link.Error
			var ce *link.CycleError
			if !errors.As(err, &le) && !errors.As(err, &ce) {
				t.Errorf("%s: %T is neither a *link.Error nor a *link.CycleError", tc.name, err)
			}
		}
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

func TestSignatureMismatch(t *testing.T) {
	a := node("a", nil, nil, map[string]string{"acme:x/y": "b"})
	a.Imports = []link.Import{{Module: "acme:x/y", Name: "f", Signature: link.Signature{Params: []api.ValueType{api.ValueTypeI32}, Results: []api.ValueType{i64}}}}
	b := node("b", nil, nil, nil)
	b.Exports["acme:x/y#f"] = link.Signature{Params: []api.ValueType{i64}}
	errs := link.Graph{Nodes: []link.Node{a, b}}.Check()
	if len(errs) != 1 || errs[0].Error() != "link a -> b (acme:x/y): imports acme:x/y.f as (i32) -> (i64); a linked function takes i64 handles and returns an i64 reply handle" {
		t.Errorf("importer: %v", errs)
	}
	a.Imports[0].Params = []api.ValueType{i64}
	errs = link.Graph{Nodes: []link.Node{a, b}}.Check()
	if len(errs) != 1 || errs[0].Error() != "link a -> b (acme:x/y): b exports acme:x/y#f as (i64) -> (); a link target's function takes no parameters and returns an i32 (an Extism function)" {
		t.Errorf("target: %v", errs)
	}
}

func TestOrder(t *testing.T) {
	g := link.Graph{Nodes: []link.Node{
		{Name: "receiver", Links: map[string]string{"h": "counter"}},
		{Name: "counter", Links: map[string]string{"kv": "sender"}},
		{Name: "sender"},
		{Name: "other"},
	}}
	got, err := g.Order()
	if err != nil || strings.Join(got, ",") != "sender,counter,receiver,other" {
		t.Errorf("Order: %v, %v", got, err)
	}
	g.Nodes[2].Links = map[string]string{"x": "receiver"}
	if _, err := g.Order(); err == nil || err.Error() != "link cycle: counter -> sender -> receiver -> counter" {
		t.Errorf("cycle: %v", err)
	}
}
