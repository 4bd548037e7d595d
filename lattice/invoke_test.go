package lattice_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/lattice"
	"github.com/wasmhive/wasmhive/manifest"
	"github.com/wasmhive/wasmhive/trigger"
)

// spinWasm is a plugin, written by hand: "spin" loops until it is stopped,
// "ok" returns at once.
var spinWasm = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, // type 0: () -> i32
	0x03, 0x03, 0x02, 0x00, 0x00, // two functions of type 0
	0x05, 0x03, 0x01, 0x00, 0x01, // one memory, 1 page
	0x07, 0x16, 0x03, // three exports
	0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00,
	0x04, 's', 'p', 'i', 'n', 0x00, 0x00,
	0x02, 'o', 'k', 0x00, 0x01,
	0x0a, 0x10, 0x02, // code
	0x09, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x41, 0x00, 0x0b, // loop br 0 end; i32.const 0
	0x04, 0x00, 0x41, 0x00, 0x0b, // i32.const 0
}

func TestPlaced(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "spin.wasm"), spinWasm, 0o644)
	path := filepath.Join(dir, "app.yaml")
	os.WriteFile(path, []byte(`version: 1
name: p
components:
  front:
    module: spin.wasm
    placement: {labels: {role: web}}
    links: {acme:x/y: back}
  back:
    module: spin.wasm
    placement: {labels: {role: worker, zone: eu}}
  any:
    module: spin.wasm
`), 0o644)
	m, err := manifest.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		labels map[string]string
		want   string
	}{
		{nil, "any"},
		{map[string]string{"role": "web"}, "any,front"}, // its link to back crosses the lattice
		{map[string]string{"role": "worker"}, "any"},
		{map[string]string{"role": "worker", "zone": "eu", "x": "y"}, "any,back"},
	} {
		var got []string
		for _, n := range []string{"any", "back", "front"} {
			if _, ok := lattice.Placed(m, lattice.Member{ID: "h", Labels: c.labels}, nil)[n]; ok {
				got = append(got, n)
			}
		}
		if s := strings.Join(got, ","); s != c.want {
			t.Errorf("Placed with labels %v: %s, want %s", c.labels, s, c.want)
		}
	}
	// The decoder refuses a bad placement.
	_, err = manifest.Parse(path, []byte("version: 1\nname: p\ncomponents:\n  a:\n    module: spin.wasm\n    placement: {labels: {\"a=b\": x}, zone: eu}\n"))
	if err == nil || !strings.Contains(err.Error(), `label "a=b"`) || !strings.Contains(err.Error(), `unknown field "zone"`) {
		t.Errorf("a bad placement: %v", err)
	}
}

// TestPlacedShares: placement.instances spread over the live matching
// hosts: shares add up to the count, differ by one at most, a host that
// joins takes a share and moves only its own (rendezvous order), and a
// share is the component's instances.max there.
func TestPlacedShares(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "spin.wasm"), spinWasm, 0o644)
	path := filepath.Join(dir, "app.yaml")
	os.WriteFile(path, []byte(`version: 1
name: p
components:
  counter:
    module: spin.wasm
    placement: {instances: 7, labels: {role: worker}}
  one:
    module: spin.wasm
    placement: {instances: 1}
`), 0o644)
	m, err := manifest.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	worker := map[string]string{"role": "worker"}
	members := []lattice.Member{{ID: "a", Labels: worker}, {ID: "b", Labels: worker}, {ID: "c", Labels: worker}, {ID: "web"}}
	shares := func(members []lattice.Member, comp string) map[string]int {
		out := map[string]int{}
		for _, x := range members {
			if n, ok := lattice.Placed(m, x, members)[comp]; ok {
				out[x.ID] = n
			}
		}
		return out
	}
	check := func(got map[string]int, total, hosts int) {
		t.Helper()
		sum, lo, hi := 0, total, 0
		for _, n := range got {
			sum += n
			lo, hi = min(lo, n), max(hi, n)
		}
		if sum != total || len(got) != hosts || hi-lo > 1 || lo < 1 {
			t.Errorf("shares %v: want %d instances over %d hosts, evenly", got, total, hosts)
		}
	}
	three := shares(members, "counter")
	check(three, 7, 3) // web does not match
	if _, ok := three["web"]; ok {
		t.Errorf("web runs counter: %v", three)
	}
	// A fourth worker joins: 7 over 4.
	four := shares(append(members, lattice.Member{ID: "d", Labels: worker}), "counter")
	check(four, 7, 4)
	// A worker leaves: 7 over 2.
	check(shares(members[1:], "counter"), 7, 2)
	// One instance: exactly one host runs it, and the same host whoever computes it.
	one := shares(members, "one")
	check(one, 1, 1)
	// Every host computes the same shares, in whatever order it lists them.
	rev := slices.Clone(members)
	slices.Reverse(rev)
	if got := shares(rev, "counter"); !maps.Equal(got, three) {
		t.Errorf("shares depend on the members' order: %v and %v", got, three)
	}
	// The share is the component's instances.max on that host.
	for id, n := range three {
		if got := lattice.Share("p", "counter", m.Components[0].Placement, id, members); got != n {
			t.Errorf("Share(%s) = %d, Placed says %d", id, got, n)
		}
	}
	// The decoder refuses a bad count.
	if _, err := manifest.Parse(path, []byte("version: 1\nname: p\ncomponents:\n  a:\n    module: spin.wasm\n    placement: {instances: -1}\n")); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Errorf("placement.instances -1: %v", err)
	}
}

// TestRemoteInvocation: two hosts of one lattice (the second on the
// first's NATS server), labelled role=web and role=worker; the app's
// components are placed on the worker; the web host serves the HTTP route
// by calling the counter across the lattice, runs none of the
// components, and remote failures come back as the local errors.
func TestRemoteInvocation(t *testing.T) {
	p := serveTwo(t, "inv")
	ctx, web, worker, webURL := p.ctx, p.web, p.worker, p.webURL
	dir := t.TempDir()
	counter, _ := filepath.Abs("../examples/kvcounter/kvcounter.wasm")
	kernel, _ := filepath.Abs("../testdata/guests/plugins/host/kernel.wasm")
	os.WriteFile(filepath.Join(dir, "spin.wasm"), spinWasm, 0o644)
	path := filepath.Join(dir, "app.yaml")
	os.WriteFile(path, []byte(fmt.Sprintf(`version: 1
name: remote
http:
  routes:
    - path: /
      component: counter
components:
  counter:
    module: %s
    grants: {keyvalue: {bucket: counter}}
    placement: {labels: {role: worker}}
  echo:
    module: %s
    placement: {labels: {role: worker}}
  spin:
    module: spin.wasm
    limits: {timeout: 400ms}
    instances: {max: 1, queue: -1}
    placement: {labels: {role: worker}}
`, counter, kernel)), 0o644)
	m, err := manifest.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := web.Deploy(ctx, m); err != nil {
		t.Fatal(err)
	}
	p.countOnBoth(t)
	// The web host runs no component of the app; the worker runs the three
	// and counted the web host's calls.
	waitFor(t, 10*time.Second, func() bool {
		hosts, err := web.Hosts(ctx)
		if err != nil || len(hosts) != 2 {
			return false
		}
		for _, h := range hosts {
			if len(h.Apps) != 1 || h.Apps[0].State != "running" {
				return false
			}
			a := h.Apps[0]
			switch h.ID {
			case web.HostID():
				if len(a.Components) != 0 {
					t.Fatalf("the web host runs %+v", a.Components)
				}
			case worker.HostID():
				if len(a.Components) != 3 || a.Components[0].Name != "counter" || a.Components[0].Calls < 6 {
					return false
				}
			}
		}
		return true
	})

	// Calls across the lattice: from either host (the worker's too goes
	// over NATS with Lattice.Invoke), and their failures.
	payload := bytes.Repeat([]byte("0123456789abcdef"), 64)
	for _, l := range []*lattice.Lattice{web, worker} {
		if out, err := l.Invoke(ctx, "remote", "echo", "echo", payload); err != nil || !bytes.Equal(out, payload) {
			t.Fatalf("Invoke echo: %q, %v", out, err)
		}
	}
	var re *lattice.RemoteError
	_, err = web.Invoke(ctx, "remote", "echo", "fail", []byte("x"))
	if !errors.As(err, &re) || re.Status != lattice.StatusError || re.Host != worker.HostID() || errors.Is(err, trigger.ErrSaturated) {
		t.Errorf("a failing export: %v (%+v)", err, re)
	}
	_, err = web.Invoke(ctx, "remote", "nope", "x", nil)
	if !errors.Is(err, trigger.ErrSaturated) || !strings.Contains(err.Error(), "no host of lattice inv runs it") {
		t.Errorf("a component no host runs: %v", err)
	}
	_, err = web.Invoke(ctx, "remote", "echo", "echo", make([]byte, 2<<20))
	var lim *engine.LimitError
	if !errors.As(err, &lim) || lim.Limit != "request_bytes" || !strings.Contains(err.Error(), "max_payload") {
		t.Errorf("an input over NATS's max payload: %v", err)
	}
	// The component's own timeout, at the far end.
	start := time.Now()
	_, err = web.Invoke(ctx, "remote", "spin", "spin", nil)
	if !errors.As(err, &re) || re.Status != lattice.StatusTimeout || !errors.Is(err, engine.ErrTimeout) {
		t.Errorf("spin past its timeout: %v", err)
	}
	if d := time.Since(start); d < 350*time.Millisecond || d > 3*time.Second {
		t.Errorf("spin stopped after %s, want its 400ms timeout", d)
	}
	// The caller's deadline, at the far end: the instance is free again
	// when the caller's deadline, not the component's timeout, has passed.
	dctx, dcancel := context.WithTimeout(ctx, 100*time.Millisecond)
	_, err = web.Invoke(dctx, "remote", "spin", "spin", nil)
	dcancel()
	if !errors.Is(err, engine.ErrTimeout) {
		t.Errorf("spin past the caller's deadline: %v", err)
	}
	waitFor(t, 250*time.Millisecond, func() bool { _, err := web.Invoke(ctx, "remote", "spin", "ok", nil); return err == nil })
	// Busy: the only instance spins; no call may wait: every try is busy.
	spinning := make(chan error, 1)
	go func() { _, err := web.Invoke(ctx, "remote", "spin", "spin", nil); spinning <- err }()
	waitFor(t, 2*time.Second, func() bool {
		_, err = web.Invoke(ctx, "remote", "spin", "ok", nil)
		return errors.As(err, &re) && re.Status == lattice.StatusBusy
	})
	if !errors.Is(err, trigger.ErrSaturated) {
		t.Errorf("busy: %v", err)
	}
	<-spinning

	// The wire, as another client speaks it: an RFC 3339 deadline and a
	// traceparent are taken; a deadline passed, a missing export refused.
	nc := web.Conn()
	subj := lattice.InvokeSubject("inv", "remote", "echo")
	if subj != "wasmhive.inv.invoke.remote.echo" {
		t.Errorf("InvokeSubject: %s", subj)
	}
	req := func(h nats.Header) *nats.Msg {
		t.Helper()
		r, err := nc.RequestMsg(&nats.Msg{Subject: subj, Header: h, Data: []byte("hi")}, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := req(nats.Header{lattice.HeaderExport: {"echo"}, lattice.HeaderDeadline: {time.Now().Add(time.Second).Format(time.RFC3339Nano)},
		lattice.HeaderTraceparent: {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}, lattice.HeaderInvocation: {"t-1"}, lattice.HeaderCaller: {"test"}})
	if string(r.Data) != "hi" || r.Header.Get(lattice.HeaderStatus) != "" {
		t.Errorf("a raw invocation: %q %v", r.Data, r.Header)
	}
	r = req(nats.Header{lattice.HeaderExport: {"echo"}, lattice.HeaderDeadline: {fmt.Sprint(time.Now().Add(-time.Second).UnixNano())}})
	if r.Header.Get(lattice.HeaderStatus) != lattice.StatusTimeout {
		t.Errorf("a deadline passed: %v", r.Header)
	}
	r = req(nats.Header{})
	if r.Header.Get(lattice.HeaderStatus) != lattice.StatusError || !strings.Contains(r.Header.Get(lattice.HeaderError), lattice.HeaderExport) {
		t.Errorf("no export: %v", r.Header)
	}

	// Undeploy: both hosts stop; the worker's subscriptions go.
	if err := web.Undeploy(ctx, "remote"); err != nil {
		t.Fatal(err)
	}
	var e1, e2 error
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, e1 = get(webURL + "/hits")
		ictx, icancel := context.WithTimeout(ctx, 5*time.Second)
		_, e2 = web.Invoke(ictx, "remote", "echo", "echo", nil)
		icancel()
		if errors.Is(e2, engine.ErrTimeout) {
			t.Fatalf("an invocation got no answer while the app stopped: %v", e2)
		}
		if e1 != nil && errors.Is(e2, trigger.ErrSaturated) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("30s after the undeploy: GET %s/hits: %v; invoke echo: %v", webURL, e1, e2)
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.stop(t)
}
