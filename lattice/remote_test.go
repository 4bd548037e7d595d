package lattice_test

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wasmhive/wasmhive/lattice"
)

// TestRemoteLinks: the pipeline (receiver -> counter -> kv-sender) with
// the receiver placed on a web host and the counter and kv-sender on a
// worker: the receiver's link to the counter crosses the lattice, the
// counter's link to the kv-sender stays in-process on the worker. Both
// hosts serve the route (the worker calls the receiver on the web host,
// whose link calls back). A remote invocation naming a component as its
// caller is taken only within that component's links.
func TestRemoteLinks(t *testing.T) {
	p := serveTwo(t, "lk")
	ctx, web, worker, webURL := p.ctx, p.web, p.worker, p.webURL
	p.deploy(t, `version: 1
name: pipeline
http:
  routes:
    - path: /
      component: receiver
components:
  receiver:
    module: %s
    links:
      wasmhive:http/incoming-handler: counter
    placement: {labels: {role: web}}
  counter:
    module: %s
    links:
      wasmhive:keyvalue/atomics: kv-sender
    placement: {labels: {role: worker}}
  kv-sender:
    module: %s
    grants: {keyvalue: {bucket: counter}}
    placement: {labels: {role: worker}}
`, "../examples/pipeline/receiver.wasm", "../examples/kvcounter/kvcounter.wasm", "../examples/pipeline/kv-sender.wasm")
	p.countOnBoth(t)
	// Each host runs what is placed on it; the receiver's link to the
	// counter counted the calls it carried across.
	waitFor(t, 10*time.Second, func() bool {
		hosts, err := web.Hosts(ctx)
		if err != nil || len(hosts) != 2 {
			return false
		}
		for _, h := range hosts {
			if len(h.Apps) != 1 || h.Apps[0].State != "running" {
				return false
			}
			var names []string
			for _, c := range h.Apps[0].Components {
				names = append(names, c.Name)
			}
			switch got := strings.Join(names, ","); h.ID {
			case web.HostID():
				if got != "receiver" {
					t.Fatalf("the web host runs %s", got)
				}
				if l := h.Apps[0].Components[0].Links; len(l) != 1 || l[0].Target != "counter" || l[0].Calls-l[0].Failures < 6 {
					return false
				}
			case worker.HostID():
				if got != "counter,kv-sender" {
					t.Fatalf("the worker runs %s", got)
				}
			}
		}
		return true
	})

	// A request's trace context goes with the calls it makes across the
	// lattice, and the caller is the receiver, on the web host.
	seen, err := web.Conn().SubscribeSync(lattice.InvokeSubject("lk", "pipeline", "counter"))
	if err != nil {
		t.Fatal(err)
	}
	web.Conn().Flush()
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	req, _ := http.NewRequest("GET", webURL+"/hits?amount=0", nil)
	req.Header.Set("traceparent", tp)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET with a traceparent: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	msg, err := seen.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got := msg.Header.Get(lattice.HeaderTraceparent); got != tp {
		t.Errorf("the link's invocation carries traceparent %q, want the request's %q", got, tp)
	}
	if got := msg.Header.Get(lattice.HeaderCaller); got != web.HostID()+"/receiver" {
		t.Errorf("the link's invocation's caller: %q, want %s/receiver", got, web.HostID())
	}
	seen.Unsubscribe()

	// The wire: the counter takes the receiver's link's export, from the
	// receiver only.
	nc := web.Conn()
	subj := lattice.InvokeSubject("lk", "pipeline", "counter")
	call := func(caller, export string) *nats.Msg {
		t.Helper()
		r, err := nc.RequestMsg(&nats.Msg{Subject: subj, Header: nats.Header{lattice.HeaderExport: {export}, lattice.HeaderCaller: {caller}},
			Data: []byte("x")}, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := call(web.HostID()+"/kv-sender", "handle_http"); r.Header.Get(lattice.HeaderStatus) != lattice.StatusDenied ||
		!strings.Contains(r.Header.Get(lattice.HeaderError), "kv-sender of app pipeline has no link to counter") {
		t.Errorf("a call naming kv-sender (no link to the counter): %v", r.Header)
	}
	if r := call(web.HostID()+"/receiver", "wasmhive:keyvalue/atomics#increment"); r.Header.Get(lattice.HeaderStatus) != lattice.StatusDenied {
		t.Errorf("the receiver calling an export outside its link's interface: %v", r.Header)
	}
	if r := call(web.HostID()+"/nobody", "handle_http"); r.Header.Get(lattice.HeaderStatus) != lattice.StatusDenied ||
		!strings.Contains(r.Header.Get(lattice.HeaderError), "no component of app pipeline") {
		t.Errorf("a call naming no component of the app: %v", r.Header)
	}
	// Within the receiver's link: taken (the handler answers the bytes it
	// was given as a request it cannot parse, with a guest error).
	if r := call(web.HostID()+"/receiver", "handle_http"); r.Header.Get(lattice.HeaderStatus) == lattice.StatusDenied {
		t.Errorf("a call within the receiver's link was denied: %v", r.Header)
	}
}

// TestRemoteCommand: WAGI routes whose commands run on another host
// answer as they do where the commands run: the same status, headers and
// body for a request echoed back, a command's non-zero exit and a trap.
func TestRemoteCommand(t *testing.T) {
	p := serveTwo(t, "cmd")
	ctx, web, webURL, workerURL := p.ctx, p.web, p.webURL, p.workerURL
	p.deploy(t, `version: 1
name: cgi
http:
  routes:
    - {path: /echo, component: echo}
    - {path: /bad, component: bad}
components:
  echo:
    module: %s
    placement: {labels: {role: worker}}
  bad:
    module: %s
    limits: {timeout: 2s}
    placement: {labels: {role: worker}}
`, "../testdata/guests/http/wagi_echo.wasm", "../testdata/guests/http/wagi_bad.wasm")
	waitFor(t, 30*time.Second, func() bool { _, err := get(webURL + "/echo"); return err == nil })
	waitFor(t, 30*time.Second, func() bool { _, err := get(workerURL + "/echo"); return err == nil })

	type answer struct {
		status int
		ctype  string
		body   string
	}
	do := func(base, method, path, body string) answer {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("X-Test", "yes")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		// The request id and the remote address differ from host to host.
		lines := strings.Split(string(b), "\n")
		for i, l := range lines {
			if strings.HasPrefix(l, "X_REQUEST_ID=") || strings.HasPrefix(l, "REMOTE_ADDR=") || strings.HasPrefix(l, "SERVER_PORT=") || strings.Contains(l, "request id") {
				lines[i] = "(varies)"
			}
		}
		slices.Sort(lines) // the HTTP_ variables come in no set order
		return answer{resp.StatusCode, resp.Header.Get("Content-Type"), strings.Join(lines, "\n")}
	}
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/echo/x?status", "hello, command"},
		{"GET", "/echo/y?redirect", ""},
		{"GET", "/bad?exit3", ""},
		{"GET", "/bad?trap", ""},
		{"GET", "/bad?stderr", ""},
	} {
		remote, local := do(webURL, c.method, c.path, c.body), do(workerURL, c.method, c.path, c.body)
		if remote != local {
			t.Errorf("%s %s: across the lattice %+v, where it runs %+v", c.method, c.path, remote, local)
		}
		if c.path == "/echo/x?status" && (remote.status != 201 || !strings.Contains(remote.body, "body=hello, command") || !strings.Contains(remote.body, "HTTP_X_TEST=yes")) {
			t.Errorf("the echo across the lattice: %+v", remote)
		}
	}
	// The web host ran no command: the worker did, for both.
	hosts, err := web.Hosts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts {
		if h.ID == web.HostID() && len(h.Apps) == 1 && len(h.Apps[0].Components) != 0 {
			t.Errorf("the web host runs %+v", h.Apps[0].Components)
		}
	}
}
