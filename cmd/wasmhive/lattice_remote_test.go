package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/internal/testguest"
	"github.com/wasmhive/wasmhive/lattice"
)

// TestLatticeRemoteInvocation: two `wasmhive host` processes, labelled
// role=web and role=worker, their embedded servers clustered; the kvcounter
// deployed with its counter placed on the worker: the web host serves the
// HTTP route by calling the counter on the worker across the lattice, runs
// no component itself, and the worker counts the calls. When the worker
// leaves, the web host answers 503 (no host runs the counter).
func TestLatticeRemoteInvocation(t *testing.T) {
	env := []string{"XDG_DATA_HOME=" + t.TempDir()}
	seed := testguest.FreeAddr(t)
	webAddr, workerAddr := testguest.FreeAddr(t), testguest.FreeAddr(t)
	common := []string{"--nats-listen", "127.0.0.1:0", "--heartbeat", "300ms", "--shutdown-timeout", "5s"}
	web, webReady := spawnHost(t, env, append(common, "--listen", webAddr, "--data-dir", t.TempDir(),
		"--label", "role=web", "--cluster-listen", seed)...)
	worker, workerReady := spawnHost(t, env, append(common, "--listen", workerAddr, "--data-dir", t.TempDir(),
		"--label", "role=worker", "--cluster-listen", "127.0.0.1:0", "--routes", "nats://"+seed)...)
	webReady(60 * time.Second)
	workerReady(60 * time.Second)

	dir := t.TempDir()
	module, _ := filepath.Abs("../../examples/kvcounter/kvcounter.wasm")
	app := filepath.Join(dir, "app.yaml")
	if err := os.WriteFile(app, []byte(fmt.Sprintf(`version: 1
name: remotecounter
http:
  routes:
    - path: /
      component: counter
components:
  counter:
    module: %s
    grants:
      keyvalue: {bucket: remotecounter}
    limits: {memory: 64MiB, timeout: 5s}
    instances: {min: 1, max: 8}
    placement:
      labels: {role: worker}
`, module)), 0o644); err != nil {
		t.Fatal(err)
	}
	if res := runCLIEnv(t, env, nil, "validate", app); res.Code != 0 {
		t.Fatalf("validate: exit %d: %s", res.Code, res.Stderr)
	}
	dep := runCLIEnv(t, env, nil, "deploy", app, "--nats", web.url)
	if dep.Code != 0 {
		t.Fatalf("deploy: exit %d, stdout %q, stderr %q", dep.Code, dep.Stdout, dep.Stderr)
	}
	webURL, workerURL := "http://"+webAddr, "http://"+workerAddr
	waitServing(t, webURL+"/hits?amount=0", 60*time.Second)
	waitServing(t, workerURL+"/hits?amount=0", 60*time.Second)

	// In turn, then at once: one counter, on the worker.
	const n = 20
	for i := range n {
		wantJSON(t, do(t, "GET", webURL+"/hits"), 200, counterBody(i+1))
	}
	var (
		mu   sync.Mutex
		seen []int
		wg   sync.WaitGroup
	)
	const clients, each = 8, 10
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				r, err := fetch("GET", webURL+"/hits")
				if err != nil {
					t.Error(err)
					return
				}
				var v struct{ Counter int }
				if err := json.Unmarshal([]byte(r.body), &v); err != nil || r.status != 200 {
					t.Errorf("GET %s/hits: %d %q", webURL, r.status, r.body)
					return
				}
				mu.Lock()
				seen = append(seen, v.Counter)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	slices.Sort(seen)
	for i, v := range seen {
		if v != n+i+1 {
			t.Fatalf("concurrent increments through the web host: answer #%d is %d, want %d", i+1, v, n+i+1)
		}
	}
	total := n + clients*each
	wantJSON(t, do(t, "GET", workerURL+"/hits?amount=0"), 200, counterBody(total))

	// get hosts --json: the web host serves the route and runs nothing; the
	// worker runs the counter and counted every call.
	var infos []lattice.HostInfo
	waitFor(t, 10*time.Second, "the worker counting the web host's calls in get hosts --json", func() bool {
		res := runCLIEnv(t, env, nil, "get", "hosts", "--json", "--nats", worker.url)
		if res.Code != 0 {
			t.Fatalf("get hosts: exit %d: %s", res.Code, res.Stderr)
		}
		infos = nil
		if err := json.Unmarshal([]byte(res.Stdout), &infos); err != nil {
			t.Fatalf("get hosts --json: %v\n%s", err, res.Stdout)
		}
		if len(infos) != 2 {
			return false
		}
		ok := true
		for _, h := range infos {
			if len(h.Apps) != 1 || h.Apps[0].Name != "remotecounter" || h.Apps[0].State != "running" {
				return false
			}
			a := h.Apps[0]
			switch h.Labels["role"] {
			case "web":
				if len(a.Components) != 0 {
					t.Fatalf("the web host runs %+v; the counter is placed on the worker", a.Components)
				}
				if a.URL != webURL {
					t.Fatalf("the web host serves the app at %q, want %s", a.URL, webURL)
				}
			case "worker":
				ok = ok && len(a.Components) == 1 && a.Components[0].Name == "counter" && a.Components[0].Calls >= uint64(total+2)
			default:
				t.Fatalf("host %s has labels %v", h.ID, h.Labels)
			}
		}
		return ok
	})
	if !strings.Contains(web.log(), `msg="app started" app=remotecounter`) || !strings.Contains(worker.log(), "components=counter") {
		t.Errorf("start lines: web\n%s\nworker\n%s", web.log(), worker.log())
	}

	// The worker leaves: no host runs the counter; the web host says so with
	// a 503 (as for a saturated component), not a hang or a 500.
	worker.stopped(t)
	waitFor(t, 10*time.Second, "503 from the web host without the worker", func() bool {
		r, err := fetch("GET", webURL+"/hits")
		return err == nil && r.status == 503 && r.header.Get("Retry-After") == "1"
	})
	web.stopped(t)
}
