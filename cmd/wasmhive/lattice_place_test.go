package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/internal/testguest"
	"github.com/wasmhive/wasmhive/lattice"
)

// TestLatticeJoinAndReplace: the kvcounter with placement.instances 4 on
// a lattice of two hosts runs 2 instances on each; a host that joins
// later receives its share (4 over 3: 2, 1, 1); a host SIGKILLed goes
// stale and its share is placed again on the two others (2 and 2), which
// then answer every request, counting on.
func TestLatticeJoinAndReplace(t *testing.T) {
	env := []string{"XDG_DATA_HOME=" + t.TempDir()}
	module, err := filepath.Abs("../../examples/kvcounter/kvcounter.wasm")
	if err != nil {
		t.Fatal(err)
	}
	manifestPath := filepath.Join(t.TempDir(), "app.yaml")
	if err := os.WriteFile(manifestPath, []byte(fmt.Sprintf(`version: 1
name: kvcounter
http:
  routes:
    - path: /
      component: counter
components:
  counter:
    module: %s
    grants:
      keyvalue: {bucket: counter}
    instances: {min: 1, max: 32}
    placement: {instances: 4}
`, module)), 0o644); err != nil {
		t.Fatal(err)
	}
	const hb = 300 * time.Millisecond
	var (
		hosts []*serveProc
		webs  []string
	)
	start := func(extra ...string) {
		web := testguest.FreeAddr(t)
		args := append([]string{"--listen", web, "--data-dir", t.TempDir(), "--heartbeat", hb.String(), "--shutdown-timeout", "5s", "--no-access-log"}, extra...)
		p, ready := spawnHost(t, env, args...)
		ready(60 * time.Second)
		hosts, webs = append(hosts, p), append(webs, web)
	}
	// The first host embeds the NATS server; the others join it as an
	// existing NATS system.
	start("--nats-listen", "127.0.0.1:0")
	start("--nats", hosts[0].url)
	if dep := runCLIEnv(t, env, nil, "deploy", manifestPath, "--nats", hosts[0].url); dep.Code != 0 {
		t.Fatalf("deploy: exit %d, stdout %q, stderr %q", dep.Code, dep.Stdout, dep.Stderr)
	}
	for _, w := range webs {
		waitServing(t, "http://"+w+"/hits?amount=0", 60*time.Second)
	}

	// shares reads get components --json: the counter's max per live
	// host, by HTTP address (the hosts' ids, from get hosts).
	var last string
	defer func() {
		if t.Failed() {
			t.Logf("the last get components --json:\n%s", last)
		}
	}()
	shares := func() map[string]int {
		res := runCLIEnv(t, env, nil, "get", "hosts", "--json", "--nats", hosts[0].url)
		var infos []lattice.HostInfo
		if res.Code != 0 || json.Unmarshal([]byte(res.Stdout), &infos) != nil {
			return nil
		}
		byID := map[string]string{}
		for _, h := range infos {
			byID[h.ID] = h.HTTP
		}
		res = runCLIEnv(t, env, nil, "get", "components", "--json", "--nats", hosts[0].url)
		last = res.Stdout
		var rows []componentRow
		if res.Code != 0 || json.Unmarshal([]byte(res.Stdout), &rows) != nil || len(rows) != 1 {
			return nil
		}
		out := map[string]int{}
		for _, h := range rows[0].Hosts {
			if h.State == "running" {
				out[byID[h.ID]] = h.Max
			}
		}
		return out
	}
	// want waits for the shares to be among want's, adding up to 4: the
	// hosts see a join or a death moments apart, and their entries lag by
	// up to a heartbeat, so for a moment the shares may add up to more or
	// less.
	want := func(what string, want map[string][]int) map[string]int {
		t.Helper()
		var got map[string]int
		waitFor(t, 30*time.Second, what, func() bool {
			got = shares()
			if len(got) != len(want) {
				return false
			}
			sum := 0
			for _, n := range got {
				sum += n
			}
			if sum != 4 {
				return false
			}
			for web, ok := range want {
				if !containsInt(ok, got[web]) {
					return false
				}
			}
			return true
		})
		return got
	}
	two := want("4 instances as 2 and 2 over two hosts", map[string][]int{webs[0]: {2}, webs[1]: {2}})
	t.Logf("two hosts: %v", two)

	// A third host joins: it receives its share, and the others give up
	// theirs (4 over 3 is 2, 1, 1; which host keeps 2 is the rendezvous
	// order's).
	start("--nats", hosts[0].url)
	waitServing(t, "http://"+webs[2]+"/hits?amount=0", 60*time.Second)
	three := want("4 instances over three hosts, the new one among them", map[string][]int{webs[0]: {1, 2}, webs[1]: {1, 2}, webs[2]: {1, 2}})
	t.Logf("three hosts: %v", three)
	hosts[2].waitLog(t, `msg="app started" app=kvcounter`, 10*time.Second)

	// Every host serves the one counter.
	base := readCounter(t, "http://"+webs[0])
	for i := range 12 {
		wantJSON(t, do(t, "GET", "http://"+webs[i%3]+"/hits"), 200, counterBody(int(base)+i+1))
	}

	// SIGKILL the second host: once it is stale, its share moves to the
	// two others.
	if err := hosts[1].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	after := want("4 instances as 2 and 2 over the two survivors", map[string][]int{webs[0]: {2}, webs[2]: {2}})
	t.Logf("after the kill: %v, placed again %s after it (heartbeat %s)", after, time.Since(killed).Round(time.Millisecond), hb)
	// A survivor whose share changed swapped its pool, while serving.
	for _, i := range []int{0, 2} {
		if three[webs[i]] != after[webs[i]] && !strings.Contains(hosts[i].log(), `msg="app reloaded" app=kvcounter`) {
			t.Errorf("host %d's share went from %d to %d with no reload logged:\n%s", i, three[webs[i]], after[webs[i]], hosts[i].log())
		}
	}
	// Re-placed: every request answers, the count goes on.
	n := readCounter(t, "http://"+webs[0])
	for i := range 20 {
		wantJSON(t, do(t, "GET", "http://"+webs[[]int{0, 2}[i%2]]+"/hits"), 200, counterBody(int(n)+i+1))
	}
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
