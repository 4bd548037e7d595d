package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/internal/testguest"
	"github.com/wasmhive/wasmhive/lattice"
)

// TestLatticeGetComponentsLinks: one `wasmhive host` runs the pipeline
// example (receiver -> counter -> kv-sender, wired by links); after a few
// requests through its route, `get components` and `get links` (table and
// --json) show its three components on the host with their calls, and its
// two links with the calls they carried. A second app with routes, refused
// by the host (its HTTP listener is the pipeline's), shows its component
// on the host marked refused.
func TestLatticeGetComponentsLinks(t *testing.T) {
	env := []string{"XDG_DATA_HOME=" + t.TempDir()}
	webAddr := testguest.FreeAddr(t)
	p, ready := spawnHost(t, env, "--nats-listen", "127.0.0.1:0", "--listen", webAddr, "--data-dir", t.TempDir(),
		"--heartbeat", "200ms", "--shutdown-timeout", "5s")
	ready(60 * time.Second)
	cli := func(args ...string) cliResult {
		t.Helper()
		res := runCLIEnv(t, env, nil, append(args, "--nats", p.url)...)
		if res.Code != 0 {
			t.Fatalf("%s: exit %d: %s", strings.Join(args, " "), res.Code, res.Stderr)
		}
		return res
	}
	cli("deploy", "../../examples/pipeline/app.yaml")
	web := "http://" + webAddr
	// Every answered request is one call of the receiver and one call of
	// each link, the readiness polls' (amount=0) too.
	answered := 0
	waitFor(t, 60*time.Second, web+" serving", func() bool {
		r, err := fetch("GET", web+"/x?amount=0")
		if err == nil {
			answered++
		}
		return err == nil && r.status == 200
	})
	const n = 5
	for i := range n {
		wantJSON(t, do(t, "GET", web+"/x"), 200, counterBody(i+1))
	}
	calls := uint64(answered + n)

	// A second app with a route: refused on this host.
	module, _ := filepath.Abs("../../examples/kvcounter/kvcounter.wasm")
	other := filepath.Join(t.TempDir(), "app.yaml")
	if err := os.WriteFile(other, []byte(fmt.Sprintf(`version: 1
name: other
http:
  routes:
    - path: /
      component: counter
components:
  counter:
    module: %s
    grants:
      keyvalue: {bucket: other}
`, module)), 0o644); err != nil {
		t.Fatal(err)
	}
	cli("deploy", other)
	p.waitLog(t, `msg="app refused" app=other`, 30*time.Second)

	var (
		comps []componentRow
		last  string
	)
	defer func() {
		if t.Failed() {
			t.Logf("the last get components --json:\n%s", last)
		}
	}()
	waitFor(t, 15*time.Second, "the pipeline's calls and the refused app in get components --json", func() bool {
		comps, last = nil, cli("get", "components", "--json").Stdout
		if err := json.Unmarshal([]byte(last), &comps); err != nil {
			t.Fatal(err)
		}
		if len(comps) != 4 {
			return false
		}
		for _, c := range comps {
			if len(c.Hosts) != 1 || (c.Component == "receiver" && c.Calls != calls) || (c.App == "other" && c.Hosts[0].State != "refused") {
				return false
			}
		}
		return true
	})
	id := comps[0].Hosts[0].ID
	for i, want := range []struct{ app, comp string }{{"other", "counter"}, {"pipeline", "counter"}, {"pipeline", "kv-sender"}, {"pipeline", "receiver"}} {
		c := comps[i]
		if c.App != want.app || c.Component != want.comp || c.Hosts[0].ID != id {
			t.Fatalf("get components --json row %d: %+v, want %s/%s on %s", i, c, want.app, want.comp, id)
		}
		h := c.Hosts[0]
		if want.app == "other" {
			if h.Error == "" || c.Calls != 0 || c.Active+c.Idle != 0 {
				t.Errorf("the refused app's component: %+v", c)
			}
			continue
		}
		// The receiver's calls are the trigger's; its link targets' calls
		// are counted on the links.
		if h.State != "running" || c.Errors != 0 || h.Calls != c.Calls || h.Active+h.Idle == 0 || c.Idle != h.Idle || c.Active != h.Active || h.Max < 1 || c.Max != h.Max ||
			(want.comp == "receiver" && c.Calls != calls) {
			t.Errorf("get components --json: %+v, want no errors, instances (and %d calls of the receiver)", c, calls)
		}
	}

	var links []linkRow
	if err := json.Unmarshal([]byte(cli("get", "links", "--json").Stdout), &links); err != nil {
		t.Fatal(err)
	}
	wantLinks := []linkRow{
		{App: "pipeline", From: "counter", Interface: "wasmhive:keyvalue/atomics", To: "kv-sender", Hosts: []string{id}, Calls: calls},
		{App: "pipeline", From: "receiver", Interface: "wasmhive:http/incoming-handler", To: "counter", Hosts: []string{id}, Calls: calls},
	}
	if !reflect.DeepEqual(links, wantLinks) {
		t.Errorf("get links --json:\n got %+v\nwant %+v", links, wantLinks)
	}

	// The tables: the same figures, host ids short.
	short := id[:10]
	tab := cli("get", "components").Stdout
	for _, want := range [][]string{
		{"APP", "COMPONENT", "HOSTS", "(ACTIVE/IDLE/MAX)", "MAX", "ACTIVE", "IDLE", "CALLS", "ERRORS"},
		{"other", "counter", short + "(refused)", "0", "0", "0", "0", "0"},
		{"pipeline", "counter", fmt.Sprintf("%s=%d/%d/%d", short, comps[1].Active, comps[1].Idle, comps[1].Max), fmt.Sprint(comps[1].Max), fmt.Sprint(comps[1].Active), fmt.Sprint(comps[1].Idle), fmt.Sprint(comps[1].Calls), "0"},
		{"pipeline", "receiver", fmt.Sprintf("%s=%d/%d/%d", short, comps[3].Active, comps[3].Idle, comps[3].Max), fmt.Sprint(comps[3].Max), fmt.Sprint(comps[3].Active), fmt.Sprint(comps[3].Idle), fmt.Sprint(calls), "0"},
	} {
		if !hasRow(tab, want) {
			t.Errorf("get components: no row %q in\n%s", want, tab)
		}
	}
	tab = cli("get", "links").Stdout
	for _, want := range [][]string{
		{"APP", "FROM", "INTERFACE", "TO", "HOSTS", "CALLS", "FAILURES"},
		{"pipeline", "receiver", "wasmhive:http/incoming-handler", "counter", short, fmt.Sprint(calls), "0"},
		{"pipeline", "counter", "wasmhive:keyvalue/atomics", "kv-sender", short, fmt.Sprint(calls), "0"},
	} {
		if !hasRow(tab, want) {
			t.Errorf("get links: no row %q in\n%s", want, tab)
		}
	}
	if got := strings.Count(tab, "\n"); got != 3 {
		t.Errorf("get links: %d lines, want 3:\n%s", got, tab)
	}
	p.stopped(t)
}

// hasRow reports whether a line of table has exactly the fields want.
func hasRow(table string, want []string) bool {
	for line := range strings.SplitSeq(table, "\n") {
		if reflect.DeepEqual(strings.Fields(line), want) {
			return true
		}
	}
	return false
}

// TestLatticeComponentsStale: a host that stopped heartbeating is listed
// for the components it ran, marked stale, its calls counted but not its
// instances; a host where the app failed before its placement was known
// is listed, failed, for every component of the app.
func TestLatticeComponentsStale(t *testing.T) {
	apps := []lattice.App{{Name: "a", Components: []string{"x", "y"}}}
	hosts := []lattice.HostInfo{
		{ID: "HOSTLIVE0001", Apps: []lattice.AppStatus{{Name: "a", State: "running", Placed: []string{"x"},
			Components: []lattice.ComponentStatus{{Name: "x", Max: 4, Active: 1, Idle: 2, Calls: 10, Errors: 1,
				Links: []wasmhive.LinkStats{{Interface: "i:f/g", Target: "y", Calls: 4, Failures: 1}}}}}}},
		{ID: "HOSTSTALE002", Stale: true, Apps: []lattice.AppStatus{{Name: "a", State: "running",
			Components: []lattice.ComponentStatus{{Name: "x", Max: 8, Active: 3, Idle: 4, Calls: 5,
				Links: []wasmhive.LinkStats{{Interface: "i:f/g", Target: "y", Calls: 2}}}}}}},
		{ID: "HOSTFAIL0003", Apps: []lattice.AppStatus{{Name: "a", State: "failed", Error: "materialise: boom"}}},
	}
	got := latticeComponents(apps, hosts)
	want := []componentRow{
		{App: "a", Component: "x", Max: 4, Active: 1, Idle: 2, Calls: 15, Errors: 1, Hosts: []componentHost{
			{ID: "HOSTLIVE0001", State: "running", Max: 4, Active: 1, Idle: 2, Calls: 10, Errors: 1},
			{ID: "HOSTSTALE002", State: "stale", Max: 8, Active: 3, Idle: 4, Calls: 5},
			{ID: "HOSTFAIL0003", State: "failed", Error: "materialise: boom"}}},
		{App: "a", Component: "y", Hosts: []componentHost{{ID: "HOSTFAIL0003", State: "failed", Error: "materialise: boom"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("latticeComponents:\n got %+v\nwant %+v", got, want)
	}
	var b strings.Builder
	componentsTable(&b, got)
	if !hasRow(b.String(), []string{"a", "x", "HOSTLIVE00=1/2/4,HOSTSTALE0=3/4/8(stale),HOSTFAIL00(failed)", "4", "1", "2", "15", "1"}) {
		t.Errorf("get components table:\n%s", b.String())
	}
	links := latticeLinks(hosts)
	if len(links) != 1 || links[0].Calls != 6 || links[0].Failures != 1 || len(links[0].Hosts) != 2 {
		t.Errorf("latticeLinks: %+v", links)
	}
}
