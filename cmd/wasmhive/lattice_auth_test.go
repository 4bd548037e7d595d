package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nkeys"

	"github.com/wasmhive/wasmhive/internal/testguest"
)

// TestLatticeExternalNATSAuth: a lattice on an existing NATS system that
// authenticates every connection (a real nats-server process, built from
// the pinned module, with nkey users in accounts): each host joins with
// its own nkey, deploy and get with an operator's; a host without
// credentials, or with a user of another account (another lattice's:
// accounts isolate lattices), is refused with one line.
func TestLatticeExternalNATSAuth(t *testing.T) {
	dir := t.TempDir()
	server := filepath.Join(dir, "nats-server")
	build := exec.Command("go", "build", "-o", server, "github.com/nats-io/nats-server/v2")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build nats-server: %v\n%s", err, out)
	}
	user := func(name string) (pub, seedFile string) {
		kp, err := nkeys.CreateUser()
		if err != nil {
			t.Fatal(err)
		}
		pub, _ = kp.PublicKey()
		seed, _ := kp.Seed()
		seedFile = filepath.Join(dir, name+".nk")
		if err := os.WriteFile(seedFile, seed, 0o600); err != nil {
			t.Fatal(err)
		}
		return pub, seedFile
	}
	hostA, seedA := user("host-a")
	hostB, seedB := user("host-b")
	ops, seedOps := user("ops")
	other, seedOther := user("other")
	addr := testguest.FreeAddr(t)
	conf := filepath.Join(dir, "nats.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf(`listen: %q
jetstream { store_dir: %q }
accounts {
  LATTICE: {
    jetstream: enabled
    users: [ {nkey: %s}, {nkey: %s}, {nkey: %s} ]
  }
  OTHER: { users: [ {nkey: %s} ] }
}
`, addr, filepath.Join(dir, "js"), hostA, hostB, ops, other)), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := exec.CommandContext(ctx, server, "-c", conf)
	var srvLog syncedBuilder
	srv.Stdout, srv.Stderr = &srvLog, &srvLog
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		srv.Wait()
		if t.Failed() {
			t.Logf("nats-server:\n%s", srvLog.String())
		}
	}()
	waitFor(t, 20*time.Second, "nats-server listening on "+addr, func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	url := "nats://" + addr
	env := []string{"XDG_DATA_HOME=" + t.TempDir()}

	// Refused: no credentials, and another account's user.
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no credentials", nil, "Authorization Violation"},
		{"another account", []string{"--nkey", seedOther}, "JetStream"},
	} {
		res := runCLIEnv(t, env, nil, append([]string{"host", "--nats", url, "--data-dir", t.TempDir(), "--join-timeout", "5s", "--listen", testguest.FreeAddr(t)}, c.args...)...)
		if res.Code == 0 || !strings.Contains(res.Stderr, c.want) || strings.Count(strings.TrimSpace(res.Stderr), "\n") != 0 || strings.Contains(res.Stderr, "goroutine") {
			t.Errorf("a host with %s: exit %d, stderr %q, want one line saying %q", c.name, res.Code, res.Stderr, c.want)
		}
		t.Logf("a host with %s: exit %d: %s", c.name, res.Code, strings.TrimSpace(res.Stderr))
	}

	// Two hosts, each with its own nkey; the operator deploys.
	var webs []string
	for _, seed := range []string{seedA, seedB} {
		web := testguest.FreeAddr(t)
		_, ready := spawnHost(t, env, "--nats", url, "--nkey", seed, "--listen", web, "--data-dir", t.TempDir(), "--shutdown-timeout", "5s")
		ready(60 * time.Second)
		webs = append(webs, "http://"+web)
	}
	if res := runCLIEnv(t, env, nil, "deploy", "../../examples/kvcounter/app.yaml", "--nats", url, "--nkey", seedOps); res.Code != 0 {
		t.Fatalf("deploy: exit %d %q %q", res.Code, res.Stdout, res.Stderr)
	}
	for _, w := range webs {
		waitServing(t, w+"/hits?amount=0", 60*time.Second)
	}
	for i := range 4 {
		wantJSON(t, do(t, "GET", webs[i%2]+"/hits"), 200, counterBody(i+1))
	}
	if res := runCLIEnv(t, env, nil, "get", "hosts", "--nats", url, "--nkey", seedOps); res.Code != 0 || strings.Count(res.Stdout, " ok ") != 2 {
		t.Errorf("get hosts as the operator: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	// Another account sees none of it.
	if res := runCLIEnv(t, env, nil, "get", "hosts", "--nats", url, "--nkey", seedOther, "--timeout", "3s"); res.Code == 0 || strings.Contains(res.Stdout, "kvcounter") {
		t.Errorf("get hosts from another account: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
}

// syncedBuilder is a strings.Builder safe for a process's two streams.
type syncedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncedBuilder) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncedBuilder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
