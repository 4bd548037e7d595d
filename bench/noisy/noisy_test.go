package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/internal/benchload"
	"github.com/wasmhive/wasmhive/manifest"
)

// TestBenchmarkShort runs the whole benchmark for a short bound: a real
// `wasmhive up` built from this tree, the probes and both phases of one
// round, 1 s each, with a few clients. It checks what every route answered
// (each faulty route its error, the healthy route 200s only), that every
// figure of the report was measured and that up stopped cleanly; it
// asserts nothing about speed.
func TestBenchmarkShort(t *testing.T) {
	root, err := benchload.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	bin := filepath.Join(t.TempDir(), "wasmhive")
	if err := buildWasmhive(ctx, root, bin); err != nil {
		t.Fatal(err)
	}
	for _, healthy := range []string{"hello", "kvcounter"} {
		t.Run(healthy, func(t *testing.T) {
			o := options{root: root, healthy: healthy, duration: time.Second, warmup: 200 * time.Millisecond, rounds: 1,
				conns: 2, faultyClients: len(faultyRoutes), faulty: faultyRoutes, sample: 20 * time.Millisecond, bin: bin}
			r, err := run(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			r.print(&out)
			t.Log("\n" + out.String())

			// Alone, each route answers what it should.
			want := append([]string{"healthy", "ok"}, faultyRoutes...)
			var got []string
			for _, p := range r.probes {
				got = append(got, p.route)
				if !r.probeOK(p) {
					t.Errorf("%s alone: %d %q", p.route, p.status, p.body)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("probes of %v, want %v", got, want)
			}

			// Both phases: the healthy route answers 200s only, the faulty
			// routes only their errors (or 503, saturated), and some of each.
			if len(r.alone) != 1 || len(r.noisy) != 1 {
				t.Fatalf("%d and %d phases, want one of each", len(r.alone), len(r.noisy))
			}
			for _, ph := range []phaseResult{r.alone[0], r.noisy[0]} {
				if ph.res.Requests == 0 || ph.res.RPS <= 0 || ph.res.P50 <= 0 || ph.res.P99 < ph.res.P50 {
					t.Errorf("healthy route: %+v", ph.res)
				}
				if ph.res.Errors != 0 {
					t.Errorf("healthy route: %d errors (%s), first: %v", ph.res.Errors, statusList(ph.status), ph.res.FirstErr)
				}
			}
			noisy := r.noisy[0]
			for _, route := range faultyRoutes {
				m := noisy.faulty[route]
				n := 0
				for st, c := range m {
					n += c
					if !expectedStatus(route, st, true) {
						t.Errorf("%s%s under load: %d answers of %d", faultyPrefix, route, c, st)
					}
				}
				if n == 0 {
					t.Errorf("%s%s: no request in phase b", faultyPrefix, route)
				}
			}
			if noisy.faultyN == 0 {
				t.Error("no faulty answer in phase b")
			}
			if u := r.unexpected(); len(u) != 0 {
				t.Errorf("unexpected faulty answers: %v", u)
			}

			// Memory: sampled, and a bound of the manifest's caps.
			var caps int64
			for _, c := range r.prepared.components {
				caps += int64(c.instances) * int64(c.memory)
			}
			if r.idleRSS <= 0 || r.hwm < r.idleRSS || r.rssMax["a"] <= 0 || r.rssMax["b"] <= 0 || r.bound != caps+r.idleRSS+baseSlack {
				t.Errorf("memory: idle %d, peak %d, sampled %v, bound %d (caps %d)", r.idleRSS, r.hwm, r.rssMax, r.bound, caps)
			}
			// The faulty instances that failed were replaced.
			if s := r.pools[faultyComponent]; s.Discarded == 0 || s.Calls == 0 {
				t.Errorf("faulty pool: %+v; want calls and discarded instances", s)
			}
			if r.stopErr != nil {
				t.Errorf("up after SIGTERM: %v", r.stopErr)
			}
			if len(r.goals()) != 3 {
				t.Errorf("goals: %+v", r.goals())
			}
			for _, s := range []string{"b/a:", "Bound:", "Goals:", "/faulty/loop"} {
				if !strings.Contains(out.String(), s) {
					t.Errorf("report lacks %q", s)
				}
			}
		})
	}
}

// The committed manifest prepares into one `up` accepts: modules made
// absolute, and of the limits only those this build does not decode
// dropped. A typo in a limit is not dropped but reported.
func TestPrepareManifest(t *testing.T) {
	root, err := benchload.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(root, "bench", "noisy", "app.yaml")
	p, err := prepareManifest(src, t.TempDir(), edits{healthy: healthyComponent})
	if err != nil {
		t.Fatal(err)
	}
	app, err := manifest.Load(p.path)
	if err != nil {
		t.Fatal(err)
	}
	if len(app.Components) != 2 || len(p.components) != 2 {
		t.Fatalf("components %+v", p.components)
	}
	for _, c := range p.components {
		if !filepath.IsAbs(c.module) || c.memory != 64<<20 || c.instances <= 0 {
			t.Errorf("component %+v", c)
		}
		if _, err := os.Stat(c.module); err != nil {
			t.Error(err)
		}
	}
	for _, d := range p.dropped {
		field := d[strings.LastIndexByte(d, '.')+1:]
		if !slices.Contains(newLimits, field) {
			t.Errorf("dropped %s", d)
		}
	}
	// Whatever was kept is what the committed file says.
	raw, _ := os.ReadFile(src)
	for _, l := range newLimits {
		if bytes.Contains(raw, []byte(l+":")) && !slices.Contains(p.dropped, "components.faulty.limits."+l) {
			prepared, _ := os.ReadFile(p.path)
			if !bytes.Contains(prepared, []byte(l+":")) {
				t.Errorf("limit %s neither kept nor reported dropped", l)
			}
		}
	}

	if p.components[0].module != filepath.Join(root, healthyKinds["hello"].module) {
		t.Errorf("healthy module %s, want hello's", p.components[0].module)
	}
	kv, err := prepareManifest(src, t.TempDir(), edits{healthy: healthyComponent, healthyModule: filepath.Join(root, healthyKinds["kvcounter"].module),
		maxInstances: map[string]int{faultyComponent: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if kv.components[0].module != filepath.Join(root, "examples", "kvcounter", "kvcounter.wasm") {
		t.Errorf("healthy module %s, want kvcounter's", kv.components[0].module)
	}
	if kv.components[1].instances != 1 || kv.components[0].instances != p.components[0].instances {
		t.Errorf("instances.max %d and %d, want the faulty one's 1 and the healthy one's as before", kv.components[1].instances, kv.components[0].instances)
	}

	bad := filepath.Join(t.TempDir(), "app.yaml")
	typo := strings.Replace(string(raw), "timeout: 1s", "timeuot: 1s", 1)
	if err := os.WriteFile(bad, []byte(typo), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := prepareManifest(bad, t.TempDir(), edits{healthy: healthyComponent}); err == nil || !strings.Contains(err.Error(), `unknown field "timeuot"`) {
		t.Errorf("prepare with a typo: %v", err)
	}
	if _, err := prepareManifest(src, t.TempDir(), edits{healthy: "nobody"}); err == nil {
		t.Error("prepare without the healthy component succeeded")
	}
}

func TestProcStatusKB(t *testing.T) {
	status := []byte("Name:\twasmhive\nVmPeak:\t 1234 kB\nVmHWM:\t  227992 kB\nVmRSS:\t   51200 kB\nThreads:\t9\n")
	for field, want := range map[string]int64{"VmHWM": 227992, "VmRSS": 51200, "VmPeak": 1234} {
		if n, ok := procStatusKB(status, field); !ok || n != want {
			t.Errorf("%s = %d, %v; want %d", field, n, ok, want)
		}
	}
	for _, field := range []string{"Threads", "Name", "VmSwap", "Vm"} {
		if n, ok := procStatusKB(status, field); ok {
			t.Errorf("%s = %d, want not found", field, n)
		}
	}
	if _, _, err := memory(os.Getpid()); err != nil {
		t.Error(err)
	}
	if cpuOf(os.Getpid()) < 0 {
		t.Error("negative CPU time")
	}
}

// FuzzProcStatusKB: the /proc status reader never panics and finds only
// what a line of the text says.
func FuzzProcStatusKB(f *testing.F) {
	f.Add([]byte("VmHWM:\t  227992 kB\nVmRSS:\t 51200 kB\n"), "VmRSS")
	f.Add([]byte("VmRSS: -5 kB\n"), "VmRSS")
	f.Add([]byte("VmRSS:\n"), "VmRSS")
	f.Fuzz(func(t *testing.T, data []byte, field string) {
		n, ok := procStatusKB(data, field)
		if !ok {
			return
		}
		if n < 0 || !bytes.Contains(data, []byte(field+":")) {
			t.Fatalf("%s = %d from %q", field, n, data)
		}
	})
}

// TestCommittedGuestIsCurrent checks that guest/faulty.wasm is what
// guest/main.go builds to today (as guest/build.sh builds it): a change to
// the guest or to the Go PDK must come with `bash bench/noisy/guest/build.sh`.
func TestCommittedGuestIsCurrent(t *testing.T) {
	out := filepath.Join(t.TempDir(), "faulty.wasm")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-buildmode=c-shared", "-o", out, ".")
	cmd.Dir = "guest"
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the guest: %v\n%s", err, b)
	}
	fresh, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile(filepath.Join("guest", "faulty.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fresh, committed) {
		t.Fatalf("bench/noisy/guest/faulty.wasm (%d bytes) is not what guest/ builds to now (%d bytes): run bench/noisy/guest/build.sh", len(committed), len(fresh))
	}
}
