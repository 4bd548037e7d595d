package main

import (
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive/internal/testguest"
)

// TestCallLinkTo: --link-to serves an interface the plugin imports with
// another component, a separate instance; --link stays the library kind.
func TestCallLinkTo(t *testing.T) {
	caller := testguest.GoReactor(t, "links/caller")
	greeter := testguest.GoReactor(t, "links/greeter")
	r := runCLI(t, nil, "call", "--link-to", "acme:greeter/api="+greeter, caller, "call_hello", "--input", "ada")
	if r.Code != 0 || r.Stdout != "hello, ada (v1)" {
		t.Fatalf("code %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	// A trap in the callee is the caller's to answer: here it fails with it.
	r = runCLI(t, nil, "call", "--link-to", "acme:greeter/api="+greeter, caller, "call_trap", "--input", "x")
	if r.Code != 1 || !strings.Contains(r.Stderr, "callee: link ") || !strings.Contains(r.Stderr, "trap in acme:greeter/api#trap") {
		t.Errorf("trap: code %d stderr %q", r.Code, r.Stderr)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--link-to", "acme:greeter/api"}, "--link-to \"acme:greeter/api\": want INTERFACE=FILE"},
		{[]string{}, "acme:greeter/api.hello(i64) -> (i64)"},
		{[]string{"--link-to", "acme:greeter/api=" + kernelWasm(t)}, "exports no function of acme:greeter/api"},
		{[]string{"--link-to", "acme:greeter/api=nowhere.wasm"}, "nowhere.wasm: no such file"},
	} {
		args := append(append([]string{"call"}, tc.args...), caller, "call_hello", "--input", "x")
		r := runCLI(t, nil, args...)
		if r.Code != 2 || !strings.Contains(r.Stderr, tc.want) || strings.Count(strings.TrimSpace(r.Stderr), "\n") > 0 {
			t.Errorf("%v: code %d stderr %q; want exit 2 and one line with %q", tc.args, r.Code, r.Stderr, tc.want)
		}
	}
}
