package lattice_test

import (
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wasmhive/wasmhive/lattice"
)

// TestRemoteComponents: Component Model components across the lattice.
// The kvcounter component (C, wasi:http + wasi:keyvalue) is placed on the
// worker: the web host serves its route by sending each request to the
// worker (HTTPExport) and answers as the worker does. A typed link from
// linkcaller (web) to linktarget (worker) carries its values in WAVE.
func TestRemoteComponents(t *testing.T) {
	p := serveTwo(t, "cm")
	p.deploy(t, `version: 1
name: cmapp
http:
  routes:
    - path: /
      component: counter
components:
  counter:
    module: %s
    grants: {keyvalue: {bucket: counter}}
    placement: {labels: {role: worker}}
  caller:
    module: %s
    links:
      wasmhive:links/greet@0.1.0: target
    placement: {labels: {role: web}}
  target:
    module: %s
    placement: {labels: {role: worker}}
`, "../examples/kvcounter-component/c/kvcounter-c.wasm", "../testdata/components/linkcaller.wasm", "../testdata/components/linktarget.wasm")
	p.countOnBoth(t)
	// get fails on a status other than 200, and returns the body.
	if body, err := get(p.webURL + "/hits?amount=lots"); err == nil || !strings.Contains(err.Error(), "status 400") ||
		body != "{\"error\":\"amount must be an integer, got \\\"lots\\\"\"}\n" {
		t.Fatalf("a bad amount through the web host: %q, %v, want the worker's 400", body, err)
	}

	// The caller runs on the web host; its link's calls cross to the
	// worker. The call reaches the caller as the lattice's remote
	// invocations do, its argument in WAVE.
	nc := p.web.Conn()
	call := func(export, arg string) *nats.Msg {
		t.Helper()
		r, err := nc.RequestMsg(&nats.Msg{Subject: lattice.InvokeSubject("cm", "cmapp", "caller"),
			Header: nats.Header{lattice.HeaderExport: {export}}, Data: []byte(arg)}, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	var r *nats.Msg
	waitFor(t, 30*time.Second, func() bool {
		r = call("hello", `"lattice"`)
		return r.Header.Get(lattice.HeaderStatus) == ""
	})
	if string(r.Data) != `"lattice [a,b]"` {
		t.Fatalf("hello across the lattice: %q %v", r.Data, r.Header)
	}
	if r := call("boom", ""); r.Header.Get(lattice.HeaderStatus) != lattice.StatusError ||
		!strings.Contains(r.Header.Get(lattice.HeaderError), "link caller -> target") {
		t.Fatalf("a trap in the remote target: %v", r.Header)
	}
	if r := call("hello", `"again"`); string(r.Data) != `"again [a,b]"` {
		t.Fatalf("hello after the remote trap: %q %v", r.Data, r.Header)
	}
}
