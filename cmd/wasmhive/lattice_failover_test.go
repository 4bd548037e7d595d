package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wasmhive/wasmhive/internal/benchload"
	"github.com/wasmhive/wasmhive/internal/testguest"
	"github.com/wasmhive/wasmhive/lattice"
)

// The failover load: how many clients, how long, when the victim is
// killed, the hosts' heartbeat.
const (
	failoverClients = 9
	failoverLoad    = 16 * time.Second
	failoverKillAt  = 2 * time.Second
	failoverHB      = 500 * time.Millisecond
	// failoverElection bounds a JetStream raft election after a member
	// vanished without a word: nats-server's election timeout is random
	// between 4 and 9 s (raft.go, maxElectionTimeoutDefault).
	failoverElection = 9 * time.Second
	// failoverGetTimeout is each `get hosts` attempt's --timeout.
	failoverGetTimeout = 2 * time.Second
)

// hitOutcome is one request of the failover load.
type hitOutcome struct {
	host       int       // the index of the host it went to
	sent, done time.Time // when it was sent, when it ended
	status     int       // the answer's status; 0: no answer (err); -1: a 200 with another body
	value      int64     // the counter of a 200 answer
	body       string    // the body of any other answer
	err        error     // a connection error (dial, write, read)
}

// balancer spreads requests round-robin over the hosts not marked down; a
// connection error marks a host down for good (a load balancer's passive
// health check, without re-admission: the test is too short for one).
type balancer struct {
	addrs []string
	down  []atomic.Bool
	next  atomic.Uint64
}

func (b *balancer) pick() int {
	for range len(b.addrs) {
		h := int(b.next.Add(1) % uint64(len(b.addrs)))
		if !b.down[h].Load() {
			return h
		}
	}
	return -1
}

// hitClient sends GET /hits, one request at a time, each to the host the
// balancer picks, over one keep-alive connection per host, until end. It
// speaks HTTP/1.1 itself (benchload.ReadResponse) so that no request is
// retried behind its back, as net/http's Transport retries an idempotent
// request whose reused connection broke: a retried increment could be
// applied twice for one answer.
func hitClient(b *balancer, end time.Time, record func(hitOutcome)) {
	type conn struct {
		c   net.Conn
		br  *bufio.Reader
		buf []byte
	}
	conns := make([]*conn, len(b.addrs))
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.c.Close()
			}
		}
	}()
	req := []byte("GET /hits HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	for time.Now().Before(end) {
		h := b.pick()
		if h < 0 {
			return
		}
		o := hitOutcome{host: h, sent: time.Now()}
		c := conns[h]
		if c == nil {
			nc, err := net.DialTimeout("tcp", b.addrs[h], time.Second)
			if err != nil {
				o.err, o.done = err, time.Now()
				b.down[h].Store(true)
				record(o)
				continue
			}
			c = &conn{c: nc, br: bufio.NewReader(nc), buf: make([]byte, 0, 256)}
			conns[h] = c
		}
		c.c.SetDeadline(time.Now().Add(15 * time.Second)) // beyond the component's 5 s timeout
		_, err := c.c.Write(req)
		if err == nil {
			o.status, c.buf, err = benchload.ReadResponse(c.br, c.buf, 4<<10)
		}
		o.done = time.Now()
		switch {
		case err != nil:
			o.status, o.err = 0, err
			c.c.Close()
			conns[h] = nil
			b.down[h].Store(true)
		case o.status == 200:
			v, ok := bytes.CutPrefix(c.buf, []byte(`{"counter":`))
			v, ok2 := bytes.CutSuffix(v, []byte("}\n"))
			n, perr := strconv.ParseInt(string(v), 10, 64)
			if !ok || !ok2 || perr != nil {
				o.status, o.body = -1, string(c.buf)
			}
			o.value = n
		default:
			o.body = string(c.buf)
		}
		record(o)
	}
}

// TestLatticeFailover: three hosts whose embedded servers form one NATS
// cluster serve the kvcounter (keyvalue in an R3 bucket) under a load of
// failoverClients clients spread over their HTTP addresses; one host is
// SIGKILLed mid-load. Requests that reach the dead host get connection
// errors, counted apart, and the load moves to the others (a client-side
// load balancer). Checks: requests that failed on the live hosts stay
// under 1%, and none fails once the survivors answer again; no
// acknowledged increment is lost or counted twice (every 200's value is
// unique, the final count covers them and exceeds them by at most the
// requests that got no 200); the dead host's entry stops and `get hosts`
// shows it stale.
//
// The victim is the host whose server leads the counter bucket's raft
// group, the worst case for the counts: the increments in flight were at
// its server, and the bucket takes none until the two others elect a new
// leader. WASMHIVE_FAILOVER_VICTIM=follower kills another host instead.
func TestLatticeFailover(t *testing.T) {
	env := []string{"XDG_DATA_HOME=" + t.TempDir()}
	seed := testguest.FreeAddr(t)
	var (
		hosts  []*serveProc
		readys []func(time.Duration)
		addrs  []string
	)
	for i := range 3 {
		web := testguest.FreeAddr(t)
		// -v: the embedded servers' notices (leader elections) are in the logs.
		args := []string{"--nats-listen", "127.0.0.1:0", "--listen", web, "--data-dir", t.TempDir(),
			"--kv-replicas", "3", "--heartbeat", failoverHB.String(), "--shutdown-timeout", "5s", "--no-access-log", "-v"}
		if i == 0 {
			args = append(args, "--cluster-listen", seed)
		} else {
			args = append(args, "--cluster-listen", "127.0.0.1:0", "--routes", "nats://"+seed)
		}
		p, ready := spawnHost(t, env, args...)
		hosts, readys, addrs = append(hosts, p), append(readys, ready), append(addrs, web)
	}
	for _, ready := range readys {
		ready(60 * time.Second)
	}
	if dep := runCLIEnv(t, env, nil, "deploy", "../../examples/kvcounter/app.yaml", "--nats", hosts[0].url); dep.Code != 0 {
		t.Fatalf("deploy: exit %d, stdout %q, stderr %q", dep.Code, dep.Stdout, dep.Stderr)
	}
	for i, a := range addrs {
		// A host that failed to start the app says so at once: fail then
		// with its line rather than after waitServing's minute.
		waitFor(t, 60*time.Second, a+" serving", func() bool {
			if line := logLine(hosts[i].log(), `msg="app failed"`); line != "" {
				t.Fatalf("host %d: %s", i, line)
			}
			r, err := fetch("GET", "http://"+a+"/hits?amount=0")
			return err == nil && r.status == 200
		})
	}

	// Who is who, and who leads what.
	ids := hostIDs(t, env, hosts)
	nc, err := nats.Connect(hosts[1].url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	counterStream := "KV_" + lattice.KeyValueBucket("default", "counter")
	counterLeader := streamLeader(t, nc, counterStream)
	hostsLeader := streamLeader(t, nc, "KV_wasmhive-default-hosts")
	victim := slices.Index(ids, counterLeader)
	if victim < 0 {
		t.Fatalf("the counter bucket's leader %q is none of the hosts %v", counterLeader, ids)
	}
	if os.Getenv("WASMHIVE_FAILOVER_VICTIM") == "follower" {
		victim = (victim + 1) % 3
	}
	survivor := (victim + 1) % 3
	meta := "?"
	for i, p := range hosts {
		if strings.Contains(p.log(), "Self is new JetStream cluster metadata leader") {
			meta = strconv.Itoa(i)
		}
	}
	t.Logf("victim: host %d (the seed: %v; leads the counter bucket: %v, the hosts bucket: %v; the JetStream meta leader is host %s)",
		victim, victim == 0, ids[victim] == counterLeader, ids[victim] == hostsLeader, meta)
	ncS, err := nats.Connect(hosts[survivor].url) // not through the victim
	if err != nil {
		t.Fatal(err)
	}
	defer ncS.Close()
	js, err := jetstream.New(ncS)
	if err != nil {
		t.Fatal(err)
	}
	hostsKV, err := js.KeyValue(context.Background(), "wasmhive-default-hosts")
	if err != nil {
		t.Fatal(err)
	}
	base := readCounter(t, "http://"+addrs[survivor])

	// The load; the kill.
	b := &balancer{addrs: addrs, down: make([]atomic.Bool, len(addrs))}
	var (
		mu  sync.Mutex
		out []hitOutcome
		wg  sync.WaitGroup
	)
	start := time.Now()
	end := start.Add(failoverLoad)
	for range failoverClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hitClient(b, end, func(o hitOutcome) {
				mu.Lock()
				out = append(out, o)
				mu.Unlock()
			})
		}()
	}
	time.Sleep(time.Until(start.Add(failoverKillAt)))
	if err := hosts[victim].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()

	// Meanwhile, from a survivor: the victim's entry (direct gets, which
	// any replica answers) until it is stale by Hosts' rule, and `get
	// hosts` until it shows it stale.
	var (
		entryStale, getStale time.Duration = -1, -1
		lastBeat             time.Time
		gets                 []string // each attempt: began after the kill, took, said
		bad                  []string // attempts that began when the victim was surely stale, and said it is not
		watch                sync.WaitGroup
	)
	watch.Add(2)
	go func() {
		defer watch.Done()
		for time.Since(killed) < 2*staleWindow()+2*time.Second {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			e, err := hostsKV.Get(ctx, ids[victim])
			cancel()
			var h lattice.HostInfo
			if err == nil && json.Unmarshal(e.Value(), &h) == nil {
				lastBeat = h.LastHeartbeat
				if time.Since(h.LastHeartbeat) > staleWindow() {
					entryStale = time.Since(killed)
					return
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	go func() {
		defer watch.Done()
		lastSaid := ""
		for time.Since(killed) < staleWindow()+failoverElection+2*failoverGetTimeout {
			began := time.Now()
			res := runCLIEnv(t, env, nil, "get", "hosts", "--json", "--timeout", failoverGetTimeout.String(), "--nats", hosts[survivor].url)
			var infos []lattice.HostInfo
			said := fmt.Sprintf("exit %d: %.200s", res.Code, strings.TrimSpace(res.Stderr))
			if res.Code == 0 && json.Unmarshal([]byte(res.Stdout), &infos) == nil {
				said = "victim missing"
				for _, h := range infos {
					if h.ID == ids[victim] {
						said = "ok"
						if h.Stale {
							said = "stale"
						}
					}
				}
				if said != "stale" && began.Sub(killed) > staleWindow()+failoverHB {
					bad = append(bad, fmt.Sprintf("%s after the kill: %s", began.Sub(killed).Round(time.Millisecond), said))
				}
			}
			shown := said
			if len(gets) > 0 && said == lastSaid {
				shown = "the same"
			}
			lastSaid = said
			gets = append(gets, fmt.Sprintf("%s+%s %s", began.Sub(killed).Round(time.Millisecond), time.Since(began).Round(time.Millisecond), shown))
			if said == "stale" {
				getStale = time.Since(killed)
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	wg.Wait()
	watch.Wait()

	// The figures.
	var (
		toDead, failures, failAfter, reqAfter, okAfter int
		values                                         []int64
		okTimes                                        []time.Time
		samples                                        []string
		statuses                                       = map[string]int{}
		firstOK                                        = make([]time.Time, len(hosts)) // each survivor's first 200 to a request sent after the kill
	)
	for _, o := range out {
		after := o.done.After(killed)
		if o.host == victim && o.err != nil && after {
			toDead++
			continue
		}
		if after {
			reqAfter++
		}
		if o.status == 200 {
			values = append(values, o.value)
			if o.host != victim {
				okTimes = append(okTimes, o.done)
				if f := &firstOK[o.host]; o.sent.After(killed) && (f.IsZero() || o.done.Before(*f)) {
					*f = o.done
				}
			}
			if after {
				okAfter++
			}
			continue
		}
		failures++
		if after {
			failAfter++
		}
		what := fmt.Sprintf("%d %.150q", o.status, strings.TrimSpace(o.body))
		if o.err != nil {
			what = o.err.Error()
			statuses["error"]++
		} else {
			statuses[strconv.Itoa(o.status)]++
		}
		if len(samples) < 6 {
			samples = append(samples, fmt.Sprintf("host %d, sent %s after the kill, took %s: %s",
				o.host, o.sent.Sub(killed).Round(time.Millisecond), o.done.Sub(o.sent).Round(time.Millisecond), what))
		}
	}
	// recovered is when every survivor had answered a request sent after
	// the kill (zero: one never did).
	var recovered time.Time
	for i, f := range firstOK {
		if i == victim {
			continue
		}
		if f.IsZero() {
			recovered = time.Time{}
			break
		}
		if f.After(recovered) {
			recovered = f
		}
	}
	var lateFail []hitOutcome // failed requests sent once the survivors answered again
	for _, o := range out {
		if o.status != 200 && !(o.host == victim && o.err != nil) && !recovered.IsZero() && o.sent.After(recovered) {
			lateFail = append(lateFail, o)
		}
	}
	reqs, live := len(out), len(out)-toDead
	rate := 100 * float64(failures) / float64(max(live, 1))
	gap, gapAt := longestGap(okTimes, start, end)
	final := readCounter(t, "http://"+addrs[survivor])
	counted := final - base
	newLeader := slices.Index(ids, streamLeader(t, ncS, counterStream))
	election := "none logged"
	for i, p := range hosts {
		if i == victim {
			continue
		}
		if at := noticeAfter(p.log(), "new stream leader for '$G > "+counterStream+"'", killed); at > 0 {
			election = fmt.Sprintf("%s after the kill (host %d)", at.Round(time.Millisecond), i)
		}
	}
	t.Logf("load: %d clients over 3 hosts for %s; host %d SIGKILLed at %s, %s into the load",
		failoverClients, failoverLoad, victim, killed.Format("15:04:05.000"), killed.Sub(start).Round(time.Millisecond))
	t.Logf("requests %d: 200 %d, failed %d (%.3f%% of the %d to live hosts), to the dead host %d (connection errors)",
		reqs, len(values), failures, rate, live, toDead)
	t.Logf("after the kill: %d requests to live hosts, %d answered 200, %d failed; both survivors answer again %s after the kill, failures after that: %d",
		reqAfter, okAfter, failAfter, durAfter(recovered, killed), len(lateFail))
	t.Logf("failed requests by status: %v; longest gap without a 200 from a surviving host: %s, from %s after the kill",
		statuses, gap.Round(time.Millisecond), gapAt.Sub(killed).Round(time.Millisecond))
	t.Logf("the counter bucket's leader after the load: host %d; its election notice: %s", newLeader, election)
	t.Logf("counter: %d before the load, %d after (+%d) for %d 200 answers and %d requests without one",
		base, final, counted, len(values), failures+toDead)
	t.Logf("the victim's entry (last heartbeat %s before the kill) stale by the %d-heartbeat rule %s after the kill; get hosts showed it stale %s after the kill (heartbeat %s)",
		killed.Sub(lastBeat).Round(time.Millisecond), lattice.StaleAfter, entryStale.Round(time.Millisecond), getStale.Round(time.Millisecond), failoverHB)
	t.Logf("get hosts attempts (began after the kill + took, said): %s", strings.Join(gets, "; "))
	for _, s := range samples {
		t.Logf("failed: %s", s)
	}

	// (1) Under 1% of the requests to live hosts failed, and none once
	// the survivors answered again.
	if failures*100 >= live {
		t.Errorf("%d of %d requests to live hosts failed (%.2f%%), want under 1%%", failures, live, rate)
	}
	if recovered.IsZero() {
		t.Errorf("a surviving host answered no request sent after the kill with a 200 within the load")
	}
	for i, o := range lateFail {
		if i == 3 {
			t.Errorf("... %d failures in all after the survivors answered again", len(lateFail))
			break
		}
		t.Errorf("request to host %d sent %s after the kill (%s after the survivors answered again) failed: %d %q %v",
			o.host, o.sent.Sub(killed).Round(time.Millisecond), o.sent.Sub(recovered).Round(time.Millisecond), o.status, o.body, o.err)
	}
	if newLeader == victim {
		t.Errorf("the dead host %d still leads the counter bucket", victim)
	}
	// (2) No acknowledged increment lost or counted twice.
	slices.Sort(values)
	for i := 1; i < len(values); i++ {
		if values[i] == values[i-1] {
			t.Errorf("two 200 answers with the counter at %d: one increment acknowledged twice", values[i])
			break
		}
	}
	if len(values) > 0 && (values[0] <= base || values[len(values)-1] > final) {
		t.Errorf("200 answers from %d to %d, outside %d..%d, the counter's values during the load", values[0], values[len(values)-1], base+1, final)
	}
	if counted < int64(len(values)) {
		t.Errorf("the counter rose by %d, but %d increments were acknowledged: increments lost", counted, len(values))
	}
	if unacked := int64(failures + toDead); counted > int64(len(values))+unacked {
		t.Errorf("the counter rose by %d: more than the %d acknowledged increments and the %d requests without an answer", counted, len(values), unacked)
	}
	// (3) The victim's entry goes stale after 3 heartbeats; get hosts says
	// so once the lattice's JetStream answers it again.
	if lim := staleWindow() + 2*time.Second; entryStale < 0 || entryStale > lim {
		t.Errorf("the killed host's entry was stale by the %d-heartbeat rule %s after the kill, want within %s", lattice.StaleAfter, entryStale, lim)
	}
	if lim := staleWindow() + failoverElection + failoverGetTimeout; getStale < 0 || getStale > lim {
		t.Errorf("get hosts showed the killed host stale %s after the kill (-1: not at all), want within %s (%d heartbeats, a raft election and one attempt)", getStale, lim, lattice.StaleAfter)
	}
	for _, s := range bad {
		t.Errorf("get hosts did not show the killed host stale although it had missed %d heartbeats: %s", lattice.StaleAfter+1, s)
	}
}

// staleWindow is how long a host may miss heartbeats before it is stale.
func staleWindow() time.Duration { return lattice.StaleAfter * failoverHB }

// durAfter formats t's time after since, or "never".
func durAfter(t, since time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Sub(since).Round(time.Millisecond).String()
}

// hostIDs returns the ids of hosts, in their order (matched by NATS URL).
func hostIDs(t *testing.T, env []string, hosts []*serveProc) []string {
	t.Helper()
	ids := make([]string, len(hosts))
	waitFor(t, 10*time.Second, "every host in get hosts", func() bool {
		res := runCLIEnv(t, env, nil, "get", "hosts", "--json", "--nats", hosts[0].url)
		var infos []lattice.HostInfo
		if res.Code != 0 || json.Unmarshal([]byte(res.Stdout), &infos) != nil {
			return false
		}
		n := 0
		for _, h := range infos {
			for i, p := range hosts {
				if h.NATS == p.url {
					ids[i] = h.ID
					n++
				}
			}
		}
		return n == len(hosts)
	})
	return ids
}

// streamLeader returns the name of the server leading stream.
func streamLeader(t *testing.T, nc *nats.Conn, stream string) string {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	var leader string
	waitFor(t, 10*time.Second, "a leader of stream "+stream, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		s, err := js.Stream(ctx, stream)
		if err != nil {
			return false
		}
		if c := s.CachedInfo().Cluster; c != nil {
			leader = c.Leader
		}
		return leader != ""
	})
	return leader
}

// readCounter reads the /hits counter through base (amount=0: an
// increment by 0, which the bucket's leader checks against the revision)
// until two reads in a row agree.
func readCounter(t *testing.T, base string) int64 {
	t.Helper()
	last := int64(-1)
	var n int64
	waitFor(t, 20*time.Second, "a stable counter at "+base, func() bool {
		r, err := fetch("GET", base+"/hits?amount=0")
		if err != nil || r.status != 200 {
			last = -1
			return false
		}
		if _, err := fmt.Sscanf(r.body, "{\"counter\":%d}\n", &n); err != nil {
			t.Fatalf("GET %s/hits?amount=0: body %q", base, r.body)
		}
		if n == last {
			return true
		}
		last = n
		time.Sleep(100 * time.Millisecond)
		return false
	})
	return n
}

// longestGap returns the longest stretch of [from, to] without one of
// times, and where it began.
func longestGap(times []time.Time, from, to time.Time) (time.Duration, time.Time) {
	ts := slices.Clone(times)
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	ts = append(ts, to)
	prev, gap, at := from, time.Duration(0), from
	for _, x := range ts {
		if x.After(to) {
			x = to
		}
		if d := x.Sub(prev); d > gap {
			gap, at = d, prev
		}
		prev = x
	}
	return gap, at
}

// logLine returns the first line of log containing what, or "".
func logLine(log, what string) string {
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, what) {
			return line
		}
	}
	return ""
}

// logTimeRE finds a log line's time (slog's text format, UTC).
var logTimeRE = regexp.MustCompile(`^time=(\S+)`)

// noticeAfter returns how long after since the first log line containing
// what was written, or 0 when none was after since.
func noticeAfter(log, what string, since time.Time) time.Duration {
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, what) {
			continue
		}
		m := logTimeRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, m[1])
		if err == nil && at.After(since) {
			return at.Sub(since)
		}
	}
	return 0
}
