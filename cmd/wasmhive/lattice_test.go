package main

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wasmhive/wasmhive/internal/testguest"
	"github.com/wasmhive/wasmhive/lattice"
)

// hostRE finds the NATS client URL in `wasmhive host`'s "host" line.
var hostRE = regexp.MustCompile(`msg=host .*nats=(nats://127\.0\.0\.1:\d+)`)

// spawnHost starts `wasmhive host args...` without waiting for it (the
// first hosts of a JetStream cluster wait for each other); ready says when
// its "host" line came, with its NATS URL as p.url. The process is killed
// at cleanup if still running.
func spawnHost(t *testing.T, env []string, args ...string) (p *serveProc, ready func(time.Duration)) {
	t.Helper()
	return spawnProc(t, env, hostRE, append([]string{"host"}, args...)...)
}

// TestLatticeThreeHosts: three `wasmhive host` processes whose embedded
// servers form one NATS cluster run the kvcounter deployed once, each
// serving it on its own HTTP address, all counting in one R3 bucket;
// `get` lists them; an undeploy stops it on every host; a host that stops
// leaves the lattice.
func TestLatticeThreeHosts(t *testing.T) {
	env := []string{"XDG_DATA_HOME=" + t.TempDir()}
	seed := testguest.FreeAddr(t) // the first server's cluster port: fixed, the others route to it
	var (
		hosts  []*serveProc
		readys []func(time.Duration)
		webs   []string
	)
	start := time.Now()
	for i := range 3 {
		web := testguest.FreeAddr(t)
		args := []string{"--nats-listen", "127.0.0.1:0", "--listen", web, "--data-dir", t.TempDir(),
			"--kv-replicas", "3", "--heartbeat", "500ms", "--label", "n=" + string(rune('a'+i)), "--shutdown-timeout", "5s"}
		if i == 0 {
			args = append(args, "--cluster-listen", seed)
		} else {
			args = append(args, "--cluster-listen", "127.0.0.1:0", "--routes", "nats://"+seed)
		}
		p, ready := spawnHost(t, env, args...)
		hosts, readys, webs = append(hosts, p), append(readys, ready), append(webs, "http://"+web)
	}
	for _, ready := range readys {
		ready(60 * time.Second)
	}
	formed := time.Since(start)

	dep := runCLIEnv(t, env, nil, "deploy", "../../examples/kvcounter/app.yaml", "--nats", hosts[0].url)
	if dep.Code != 0 || !strings.HasPrefix(dep.Stdout, "deployed kvcounter to lattice default: revision ") {
		t.Fatalf("deploy: exit %d, stdout %q, stderr %q", dep.Code, dep.Stdout, dep.Stderr)
	}
	deployed := time.Now()
	for _, web := range webs {
		waitServing(t, web+"/hits?amount=0", 60*time.Second)
	}
	serving := time.Since(deployed)
	t.Logf("3-host lattice formed in %s; the kvcounter served by all three %s after deploy", formed.Round(time.Millisecond), serving.Round(time.Millisecond))

	// In turn on each host: one shared counter.
	const n = 30
	for i := range n {
		wantJSON(t, do(t, "GET", webs[i%3]+"/hits"), 200, counterBody(i+1))
	}
	// At once on all three: no increment lost or repeated across hosts.
	var (
		mu   sync.Mutex
		seen []int
		wg   sync.WaitGroup
	)
	const clients, each = 4, 10
	for _, web := range webs {
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					r, err := fetch("GET", web+"/hits")
					if err != nil {
						t.Error(err)
						return
					}
					var v struct{ Counter int }
					if err := json.Unmarshal([]byte(r.body), &v); err != nil || r.status != 200 {
						t.Errorf("GET %s/hits: %d %q", web, r.status, r.body)
						return
					}
					mu.Lock()
					seen = append(seen, v.Counter)
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	total := n + 3*clients*each
	slices.Sort(seen)
	for i, v := range seen {
		if v != n+i+1 {
			t.Fatalf("concurrent increments over 3 hosts: answer #%d is %d, want %d (lost or repeated update)", i+1, v, n+i+1)
		}
	}
	for _, web := range webs {
		wantJSON(t, do(t, "GET", web+"/hits?amount=0"), 200, counterBody(total))
	}
	// The count lives in one bucket of the lattice, with 3 replicas.
	nc, err := nats.Connect(hosts[2].url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	if s, err := js.Stream(ctx, "KV_wasmhive-default-kv-counter"); err != nil {
		t.Fatalf("the counter bucket's stream: %v", err)
	} else if r := s.CachedInfo().Config.Replicas; r != 3 {
		t.Fatalf("the counter bucket's stream has %d replicas, want 3", r)
	}

	// get, from another host's NATS URL.
	var infos []lattice.HostInfo
	waitFor(t, 10*time.Second, "3 hosts running kvcounter in get hosts --json", func() bool {
		res := runCLIEnv(t, env, nil, "get", "hosts", "--json", "--nats", hosts[1].url)
		if res.Code != 0 {
			t.Fatalf("get hosts: exit %d: %s", res.Code, res.Stderr)
		}
		infos = nil
		if err := json.Unmarshal([]byte(res.Stdout), &infos); err != nil {
			t.Fatalf("get hosts --json: %v\n%s", err, res.Stdout)
		}
		if len(infos) != 3 {
			return false
		}
		var calls uint64
		for _, h := range infos {
			if h.Stale || len(h.Apps) != 1 || h.Apps[0].Name != "kvcounter" || h.Apps[0].State != "running" || !slices.Contains(webs, h.Apps[0].URL) {
				return false
			}
			for _, c := range h.Apps[0].Components {
				calls += c.Calls
			}
		}
		return calls >= uint64(total+3) // and the readiness probes
	})
	for _, h := range infos {
		if h.Lattice != "default" || h.Labels["n"] == "" || !strings.HasPrefix(h.NATS, "nats://127.0.0.1:") || !strings.HasPrefix(h.Cluster, "nats://127.0.0.1:") {
			t.Errorf("host entry %+v", h)
		}
	}
	if res := runCLIEnv(t, env, nil, "get", "apps", "--nats", hosts[2].url); res.Code != 0 || !strings.Contains(res.Stdout, "3/3 hosts") {
		t.Errorf("get apps: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	if res := runCLIEnv(t, env, nil, "get", "hosts", "--nats", hosts[0].url); res.Code != 0 || strings.Count(res.Stdout, " ok ") != 3 {
		t.Errorf("get hosts: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}

	// undeploy: every host stops serving.
	if res := runCLIEnv(t, env, nil, "undeploy", "kvcounter", "--nats", hosts[1].url); res.Code != 0 || res.Stdout != "undeployed kvcounter from lattice default\n" {
		t.Fatalf("undeploy: exit %d, %q %q", res.Code, res.Stdout, res.Stderr)
	}
	for _, web := range webs {
		waitFor(t, 30*time.Second, web+" refusing connections", func() bool {
			c, err := net.DialTimeout("tcp", strings.TrimPrefix(web, "http://"), time.Second)
			if err == nil {
				c.Close()
				return false
			}
			return errors.Is(err, syscall.ECONNREFUSED)
		})
	}
	for _, p := range hosts {
		p.waitLog(t, "msg=\"app stopped\" app=kvcounter", 10*time.Second)
	}
	wantOneLine(t, runCLIEnv(t, env, nil, "undeploy", "kvcounter", "--nats", hosts[0].url), 1, `no app "kvcounter" is deployed in lattice default`)

	// A host that stops leaves the lattice; the others go on.
	hosts[2].stopped(t)
	res := runCLIEnv(t, env, nil, "get", "hosts", "--json", "--nats", hosts[0].url)
	if err := json.Unmarshal([]byte(res.Stdout), &infos); err != nil || len(infos) != 2 {
		t.Fatalf("get hosts after one left: %v, %d hosts\n%s%s", err, len(infos), res.Stdout, res.Stderr)
	}
	hosts[1].stopped(t)
	hosts[0].stopped(t)
}

// waitServing waits until url answers 200.
func waitServing(t *testing.T, url string, d time.Duration) {
	t.Helper()
	waitFor(t, d, url+" serving", func() bool {
		r, err := fetch("GET", url)
		return err == nil && r.status == 200
	})
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not %s within %s", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLatticeBadInput: the lattice verbs' problems are one line, exit 2
// for usage and bad manifests, 1 for a lattice that cannot be reached.
func TestLatticeBadInput(t *testing.T) {
	env := []string{"XDG_DATA_HOME=" + t.TempDir()}
	cli := func(args ...string) cliResult { return runCLIEnv(t, env, nil, args...) }
	dead := "nats://" + testguest.FreeAddr(t)
	wantOneLine(t, cli("get", "nodes", "--nats", dead), exitUsage, `get "nodes": want hosts, apps, components or links`)
	wantOneLine(t, cli("get", "hosts", "--lattice", "a.b", "--nats", dead), exitUsage, `--lattice: lattice name "a.b"`)
	wantOneLine(t, cli("get", "hosts", "--nats", dead), 1, "connect to NATS at "+dead)
	wantOneLine(t, cli("deploy", "/no/such/app.yaml", "--nats", dead), exitUsage, "/no/such/app.yaml")
	bad, _ := filepath.Abs("../../testdata/apps/bad/unknown_field.yaml")
	wantOneLine(t, cli("deploy", bad, "--nats", dead), exitUsage, bad+":13:")
	wantOneLine(t, cli("deploy", "../../examples/kvcounter/app.yaml", "--nats", dead), 1, "connect to NATS at "+dead)
	wantOneLine(t, cli("undeploy", "--nats", dead), exitUsage, "accepts 1 arg")
	wantOneLine(t, cli("host", "--label", "zone"), exitUsage, `--label "zone": want KEY=VALUE`)
	wantOneLine(t, cli("host", "--kv-replicas", "2"), exitUsage, "--kv-replicas 2: want 1, 3 or 5")
	wantOneLine(t, cli("host", "--routes", "nats://127.0.0.1:1"), exitUsage, "--routes needs --cluster-listen")
	wantOneLine(t, cli("host", "--nats", dead, "--cluster-listen", "127.0.0.1:0"), exitUsage, "--cluster-listen")
	wantOneLine(t, cli("host", "--creds", "x.creds"), exitUsage, "--creds")
	wantOneLine(t, cli("host", "--listen", "nowhere"), exitUsage, `--listen "nowhere": want HOST:PORT`)

	// A lattice no host joined; a host reaching the wrong NATS.
	p, ready := spawnHost(t, env, "--nats-listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--lattice", "real")
	ready(60 * time.Second)
	wantOneLine(t, cli("get", "apps", "--lattice", "typo", "--nats", p.url), 1, `lattice "typo" not found on `+p.url)
	wantOneLine(t, cli("host", "--nats", dead, "--data-dir", t.TempDir()), 1, "connect to NATS at "+dead)
	p.stopped(t)
}
