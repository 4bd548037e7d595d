package wasmhive_test

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

// linkedHost is a Host with the greeter and the caller linked to it.
func linkedHost(t *testing.T, link wasmhive.Link) (*wasmhive.Host, *wasmhive.Component) {
	t.Helper()
	ctx := context.Background()
	h, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{DataDir: t.TempDir(), NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(ctx) })
	// Enough instances for TestReplaceUnderLoad's clients, so that no call
	// waits for one (even while a new version compiles beside them).
	in := wasmhive.Instances{Max: 8, QueueTimeout: -1}
	if _, err := h.AddComponent(ctx, "greeter", wasmhive.ComponentConfig{
		Module: testguest.GoReactor(t, "links/greeter"), Limits: wasmhive.Limits{Timeout: 5 * time.Second}, Instances: in}); err != nil {
		t.Fatal(err)
	}
	if link.Interface == "" {
		link.Interface = "acme:greeter/api"
	}
	if link.Target == "" {
		link.Target = "greeter"
	}
	caller, err := h.AddComponent(ctx, "caller", wasmhive.ComponentConfig{
		Module: testguest.GoReactor(t, "links/caller"), Links: []wasmhive.Link{link}, Instances: in})
	if err != nil {
		t.Fatal(err)
	}
	return h, caller
}

func TestLinkCarriesCalls(t *testing.T) {
	h, _ := linkedHost(t, wasmhive.Link{})
	ctx := context.Background()
	for _, tc := range []struct{ export, input, want string }{
		{"call_hello", "ada", "hello, ada (v1)"},
		{"call_pair", "", "left+right"},
		{"call_none", "", "none"},
	} {
		out, err := h.Invoke(ctx, "caller", tc.export, []byte(tc.input))
		if err != nil || string(out) != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.export, out, err, tc.want)
		}
	}
	_, err := h.Invoke(ctx, "caller", "call_fail", nil)
	if err == nil || !strings.Contains(err.Error(), "callee: greeter says no") {
		t.Errorf("call_fail: %v", err)
	}
	c, _ := h.Component("caller")
	if ls := c.Links(); len(ls) != 1 || ls[0].Calls != 4 || ls[0].Failures != 0 {
		t.Errorf("link stats %+v", ls)
	}
}

func TestLinkFailureIsTheCallersToAnswer(t *testing.T) {
	h, caller := linkedHost(t, wasmhive.Link{Timeout: 100 * time.Millisecond})
	ctx := context.Background()
	_, err := h.Invoke(ctx, "caller", "call_trap", []byte("x"))
	if err == nil || !strings.Contains(err.Error(), "callee: link caller -> greeter (acme:greeter/api)") || !strings.Contains(err.Error(), "trap") {
		t.Fatalf("call_trap: %v", err)
	}
	// The caller's instance survived its callee's trap.
	out, err := h.Invoke(ctx, "caller", "call_after_trap", []byte("bob"))
	if err != nil || string(out) != "hello, bob (v1)" {
		t.Fatalf("after trap: %q, %v", out, err)
	}
	start := time.Now()
	_, err = h.Invoke(ctx, "caller", "call_spin", nil)
	if err == nil || !strings.Contains(err.Error(), "acme:greeter/api#spin stopped: deadline exceeded") {
		t.Fatalf("call_spin: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("spin took %v; the link's timeout is 100ms", d)
	}
	if s := caller.Stats(); s.Discarded != 0 {
		t.Errorf("the caller lost instances to its callee's failures: %+v", s)
	}
	if ls := caller.Links(); ls[0].Failures < 3 {
		t.Errorf("link failures %+v", ls)
	}
}

func TestGenericInvoke(t *testing.T) {
	h, _ := linkedHost(t, wasmhive.Link{})
	ctx := context.Background()
	msg := func(iface, fn, arg string) []byte {
		var b []byte
		b = binary.LittleEndian.AppendUint32(b, uint32(len(iface)))
		b = append(b, iface...)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(fn)))
		b = append(b, fn...)
		return append(b, arg...)
	}
	out, err := h.Invoke(ctx, "caller", "invoke", msg("acme:greeter/api", "hello", "eve"))
	if err != nil || string(out) != "hello, eve (v1)" {
		t.Errorf("invoke linked: %q, %v", out, err)
	}
	_, err = h.Invoke(ctx, "caller", "invoke", msg("wasmhive:keyvalue/store", "get", "k"))
	if err == nil || !strings.Contains(err.Error(), "the keyvalue capability is not granted to caller") {
		t.Errorf("invoke ungranted: %v", err)
	}
	_, err = h.Invoke(ctx, "caller", "invoke", msg("acme:other/api", "x", ""))
	if err == nil || !strings.Contains(err.Error(), "caller has no link for acme:other/api") {
		t.Errorf("invoke unlinked: %v", err)
	}
}

func TestLinkChecks(t *testing.T) {
	ctx := context.Background()
	h, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{DataDir: t.TempDir(), NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(ctx)
	caller := testguest.GoReactor(t, "links/caller")
	greeter := testguest.GoReactor(t, "links/greeter")
	add := func(name, mod string, links ...wasmhive.Link) error {
		_, err := h.AddComponent(ctx, name, wasmhive.ComponentConfig{Module: mod, Links: links})
		return err
	}
	for _, tc := range []struct {
		links []wasmhive.Link
		want  string
	}{
		{nil, "imports 6 function(s) no host provides: acme:greeter/api.hello(i64) -> (i64)"},
		{[]wasmhive.Link{{Interface: "acme:greeter/api", Target: "nosuch"}}, "link caller -> nosuch (acme:greeter/api): no component nosuch"},
		{[]wasmhive.Link{{Interface: "acme:greeter/api", Target: "greeter"}, {Interface: "acme:typo/api", Target: "greeter"}},
			"link caller -> greeter (acme:typo/api): caller imports nothing from acme:typo/api"},
		{[]wasmhive.Link{{Interface: "acme:greeter/api", Target: "plain"}},
			"link caller -> plain (acme:greeter/api): plain exports no function of acme:greeter/api (a target exports acme:greeter/api#hello)"},
	} {
		if err := add("greeter", greeter); err != nil && !strings.Contains(err.Error(), "added twice") {
			t.Fatal(err)
		}
		if err := add("plain", testguest.GoReactor(t, "plugins/errors")); err != nil && !strings.Contains(err.Error(), "added twice") {
			t.Fatal(err)
		}
		err := add("caller", caller, tc.links...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("links %v: %v\nwant %s", tc.links, err, tc.want)
		}
		var le *wasmhive.LinkError
		if err != nil && tc.links != nil && !errors.As(err, &le) {
			t.Errorf("links %v: %T is not a *LinkError", tc.links, err)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("more than one line: %q", err)
		}
	}
}

// TestLinkTargetLimit: a limit the target passes is an ERROR reply for
// the caller, not the caller's failure.
func TestLinkTargetLimit(t *testing.T) {
	ctx := context.Background()
	h, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{DataDir: t.TempDir(), NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(ctx)
	if _, err := h.AddComponent(ctx, "greeter", wasmhive.ComponentConfig{Module: testguest.GoReactor(t, "links/greeter"),
		Limits: wasmhive.Limits{ResponseBytes: 8}}); err != nil {
		t.Fatal(err)
	}
	caller, err := h.AddComponent(ctx, "caller", wasmhive.ComponentConfig{Module: testguest.GoReactor(t, "links/caller"),
		Links: []wasmhive.Link{{Interface: "acme:greeter/api", Target: "greeter"}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.Invoke(ctx, "caller", "call_hello", []byte("a long name"))
	if err == nil || !strings.Contains(err.Error(), "callee: link caller -> greeter (acme:greeter/api): greeter: acme:greeter/api#hello: limit response_bytes") {
		t.Fatalf("over the target's response_bytes: %v", err)
	}
	if errors.Is(err, wasmhive.ErrLimit) {
		t.Errorf("the caller's call is reported as the caller's own limit: %v", err)
	}
	g, _ := h.Component("greeter")
	if v := g.Violations()["response_bytes"]; v != 1 {
		t.Errorf("the target's violations: %v", g.Violations())
	}
	if v := caller.Violations(); len(v) != 0 {
		t.Errorf("the caller's violations: %v", v)
	}
	// The caller's instance lived on: it answers the next call.
	if out, err := h.Invoke(ctx, "caller", "call_none", nil); err != nil || string(out) != "none" {
		t.Errorf("after the limit: %q, %v", out, err)
	}
	if s := caller.Stats(); s.Discarded != 0 {
		t.Errorf("the caller lost an instance: %+v", s)
	}
}
