package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/manifest"
)

// newLimits are the limits of issue 8 that a manifest decoder may not know
// yet: prepareManifest drops them (with a note) rather than fail, so that
// the benchmark runs before and after they land.
var newLimits = []string{"request_bytes", "response_bytes", "keyvalue_value_bytes", "keyvalue_keys_per_call", "http_requests_per_call", "messages_per_second"}

// component is what the benchmark takes from a manifest component.
type component struct {
	name      string
	module    string
	instances int           // instances.max, 0 made GOMAXPROCS as the Host does
	memory    wasmhive.Size // limits.memory, 0 made WebAssembly's 4 GiB
}

// prepared is the manifest `up` runs.
type prepared struct {
	path       string      // the file written
	components []component // in file order
	dropped    []string    // limits this build does not decode, dropped
}

// edits are the changes prepareManifest makes to a manifest.
type edits struct {
	healthy       string         // the healthy component's name
	healthyModule string         // its module instead of the manifest's, when not empty
	maxInstances  map[string]int // instances.max of these components
}

// prepareManifest writes src as dir/app.yaml with every module path made
// absolute (relative to src's directory), the edits made, and the limits
// of newLimits that manifest.Parse refuses as unknown dropped. The result
// is checked by manifest.Parse, which `up` also runs.
func prepareManifest(src, dir string, e edits) (*prepared, error) {
	data, err := os.ReadFile(src)
	if err != nil {
		return nil, err
	}
	srcDir, err := filepath.Abs(filepath.Dir(src))
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: not a mapping", src)
	}
	comps := mapValue(doc.Content[0], "components")
	if comps == nil || comps.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: no components", src)
	}
	found := false
	for i := 0; i+1 < len(comps.Content); i += 2 {
		name, c := comps.Content[i].Value, comps.Content[i+1]
		if n, ok := e.maxInstances[name]; ok && c.Kind == yaml.MappingNode {
			inst := mapValue(c, "instances")
			if inst == nil || inst.Kind != yaml.MappingNode {
				inst = &yaml.Node{Kind: yaml.MappingNode}
				deleteKey(c, "instances")
				c.Content = append(c.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "instances"}, inst)
			}
			setKey(inst, "max", strconv.Itoa(n))
			if m := mapValue(inst, "min"); m != nil && m.Kind == yaml.ScalarNode {
				if min, err := strconv.Atoi(m.Value); err == nil && min > n {
					m.Value = strconv.Itoa(n)
				}
			}
		}
		m := mapValue(c, "module")
		if m == nil || m.Kind != yaml.ScalarNode {
			continue // manifest.Parse says what is wrong
		}
		if name == e.healthy {
			found = true
			if e.healthyModule != "" {
				m.Value = e.healthyModule
			}
		}
		if !filepath.IsAbs(m.Value) {
			m.Value = filepath.Join(srcDir, m.Value)
		}
	}
	if !found {
		return nil, fmt.Errorf("%s: no component %q", src, e.healthy)
	}
	out := filepath.Join(dir, "app.yaml")
	p := &prepared{path: out}
	for {
		b, err := yaml.Marshal(&doc)
		if err != nil {
			return nil, err
		}
		app, err := manifest.Parse(out, b)
		if err == nil {
			if err := os.WriteFile(out, b, 0o644); err != nil {
				return nil, err
			}
			for _, c := range app.Components {
				pc := component{name: c.Name, module: c.Config.Module, instances: c.Config.Instances.Max, memory: c.Config.Limits.Memory}
				if pc.instances == 0 {
					pc.instances = runtime.GOMAXPROCS(0)
				}
				if pc.memory == 0 {
					pc.memory = 4 << 30
				}
				p.components = append(p.components, pc)
			}
			return p, nil
		}
		var merr *manifest.Error
		if !errors.As(err, &merr) {
			return nil, err
		}
		dropped := false
		for _, pr := range merr.Problems {
			comp, ok := strings.CutPrefix(pr.Field, "components.")
			comp, ok2 := strings.CutSuffix(comp, ".limits")
			field, ok3 := unknownField(pr.Msg)
			if !ok || !ok2 || !ok3 || !slices.Contains(newLimits, field) {
				continue
			}
			if lim := mapValue(mapValue(comps, comp), "limits"); lim != nil && deleteKey(lim, field) {
				p.dropped = append(p.dropped, "components."+comp+".limits."+field)
				dropped = true
			}
		}
		if !dropped {
			return nil, fmt.Errorf("%s (prepared from %s):\n%w", out, src, err)
		}
	}
}

// unknownField returns X of a manifest problem `unknown field "X"; ...`.
func unknownField(msg string) (string, bool) {
	rest, ok := strings.CutPrefix(msg, `unknown field "`)
	if !ok {
		return "", false
	}
	name, _, ok := strings.Cut(rest, `"`)
	return name, ok
}

// mapValue returns the value of key in mapping n, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// setKey sets key to the scalar value in mapping n.
func setKey(n *yaml.Node, key, value string) {
	if v := mapValue(n, key); v != nil {
		*v = yaml.Node{Kind: yaml.ScalarNode, Value: value}
		return
	}
	n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, &yaml.Node{Kind: yaml.ScalarNode, Value: value})
}

// deleteKey removes key from mapping n.
func deleteKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content = slices.Delete(n.Content, i, i+2)
			return true
		}
	}
	return false
}

// buildWasmhive builds cmd/wasmhive from the working tree under root into
// out, as a release is built (CGO_ENABLED=0).
func buildWasmhive(ctx context.Context, root, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/wasmhive")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build wasmhive: %v\n%s", err, b)
	}
	return nil
}

// upProcess is a running `wasmhive up`.
type upProcess struct {
	cmd  *exec.Cmd
	addr string // host:port of its HTTP trigger
	done chan struct{}
	err  error // Wait's, once done is closed
	logs *logCounts
}

// logCounts counts up's log records by level, and keeps the first error.
type logCounts struct {
	mu         sync.Mutex
	byLevel    map[string]int
	firstError string
}

func (l *logCounts) add(level, line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.byLevel[level]++
	if level == "ERROR" && l.firstError == "" {
		l.firstError = line
	}
}

func (l *logCounts) snapshot() (map[string]int, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.byLevel), l.firstError
}

// startUp starts `bin up` on app with its data in dataDir, listening on a
// free port of 127.0.0.1, and waits until its health check answers. Its
// logs (JSON, no access log) go to logFile.
func startUp(ctx context.Context, bin, app, dataDir, logFile string) (*upProcess, error) {
	lf, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "up", "--listen", "127.0.0.1:0", "--data-dir", dataDir,
		"--no-access-log", "--log-format", "json", "--shutdown-timeout", "10s", app)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		lf.Close()
		return nil, err
	}
	cmd.Stdout = lf
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, err
	}
	u := &upProcess{cmd: cmd, done: make(chan struct{}), logs: &logCounts{byLevel: map[string]int{}}}
	addrc := make(chan string, 1)
	var scanned sync.WaitGroup
	scanned.Add(1)
	go func() {
		defer scanned.Done()
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			lf.Write(line)
			lf.Write([]byte{'\n'})
			var rec struct {
				Level, Msg, URL string
			}
			if json.Unmarshal(line, &rec) != nil {
				u.logs.add("TEXT", string(line)) // not a record: a panic, a usage error...
				continue
			}
			u.logs.add(rec.Level, string(line))
			if rec.Msg == "up" && rec.URL != "" {
				select {
				case addrc <- strings.TrimPrefix(rec.URL, "http://"):
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	go func() {
		scanned.Wait() // Wait closes the pipe: read it all first
		u.err = cmd.Wait()
		lf.Close()
		close(u.done)
	}()
	fail := func(err error) (*upProcess, error) {
		u.kill()
		_, first := u.logs.snapshot()
		if first != "" {
			err = fmt.Errorf("%w; its log: %s", err, first)
		}
		return nil, fmt.Errorf("wasmhive up: %w (log in %s)", err, logFile)
	}
	select {
	case u.addr = <-addrc:
	case <-u.done:
		return fail(fmt.Errorf("exited before serving: %v", u.err))
	case <-time.After(2 * time.Minute):
		return fail(errors.New("no \"up\" log line within 2 minutes"))
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	deadline := time.Now().Add(time.Minute)
	for {
		st, _, err := get(ctx, "http://"+u.addr+"/.well-known/wasmhive/health")
		if err == nil && st == 200 {
			return u, nil
		}
		if time.Now().After(deadline) {
			return fail(fmt.Errorf("health check: %d, %v", st, err))
		}
		select {
		case <-u.done:
			return fail(fmt.Errorf("exited: %v", u.err))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM (a graceful shutdown) and waits for the exit, killing
// the process if it takes longer than timeout.
func (u *upProcess) stop(timeout time.Duration) error {
	u.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-u.done:
		return u.err
	case <-time.After(timeout):
		u.kill()
		return fmt.Errorf("still running %s after SIGTERM: killed", timeout)
	}
}

func (u *upProcess) kill() {
	u.cmd.Process.Kill()
	<-u.done
}

var client = &http.Client{Timeout: 30 * time.Second}

// get fetches url and returns its status and body.
func get(ctx context.Context, url string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, b, err
}

// poolStats is one route's pool counters in up's health answer.
type poolStats struct {
	Active, Idle, Waiting                                int
	Created, Discarded, Retired, Failed, Calls, Rejected int64
}

// health reads the pools of up's routes by component.
func health(ctx context.Context, addr string) (map[string]poolStats, error) {
	st, b, err := get(ctx, "http://"+addr+"/.well-known/wasmhive/health")
	if err != nil {
		return nil, err
	}
	if st != 200 {
		return nil, fmt.Errorf("health check: status %d", st)
	}
	var h struct {
		Routes []struct {
			Component string
			Pool      poolStats
		}
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("health check: %w", err)
	}
	out := map[string]poolStats{}
	for _, r := range h.Routes {
		out[r.Component] = r.Pool
	}
	return out, nil
}

// procStatusKB returns the value in kB of field (e.g. "VmRSS") in the text
// of /proc/PID/status.
func procStatusKB(status []byte, field string) (int64, bool) {
	for line := range bytes.Lines(status) {
		rest, ok := bytes.CutPrefix(line, []byte(field+":"))
		if !ok {
			continue
		}
		num, ok := bytes.CutSuffix(bytes.TrimSpace(rest), []byte(" kB"))
		if !ok {
			return 0, false
		}
		n, err := strconv.ParseInt(string(bytes.TrimSpace(num)), 10, 64)
		if err != nil || n < 0 || n > 1<<40 {
			return 0, false
		}
		return n, true
	}
	return 0, false
}

// memory reads VmRSS and VmHWM of pid, in bytes.
func memory(pid int) (rss, hwm int64, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, err
	}
	r, ok1 := procStatusKB(b, "VmRSS")
	h, ok2 := procStatusKB(b, "VmHWM")
	if !ok1 || !ok2 {
		return 0, 0, fmt.Errorf("/proc/%d/status: no VmRSS or VmHWM", pid)
	}
	return r << 10, h << 10, nil
}

// cpuOf returns the user+system CPU time of pid from /proc/PID/stat.
func cpuOf(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the command (in parentheses, which may hold spaces):
	// state is the 3rd field, utime the 14th and stime the 15th.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	const clockTick = 100 // USER_HZ on Linux
	return time.Duration(u+s) * time.Second / clockTick
}

// rssSampler samples a process's VmRSS, keeping the highest per label.
type rssSampler struct {
	pid   int
	label atomic.Value // string
	mu    sync.Mutex
	max   map[string]int64
	stop  chan struct{}
	done  chan struct{}
}

func startSampler(pid int, every time.Duration) *rssSampler {
	s := &rssSampler{pid: pid, max: map[string]int64{}, stop: make(chan struct{}), done: make(chan struct{})}
	s.label.Store("start")
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *rssSampler) sample() {
	rss, _, err := memory(s.pid)
	if err != nil {
		return
	}
	l := s.label.Load().(string)
	s.mu.Lock()
	s.max[l] = max(s.max[l], rss)
	s.mu.Unlock()
}

// phase labels the samples from now on.
func (s *rssSampler) phase(label string) {
	s.sample() // the end of the previous phase
	s.label.Store(label)
}

// highest returns the highest VmRSS sampled under label, or under every
// label for "".
func (s *rssSampler) highest(label string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if label != "" {
		return s.max[label]
	}
	var m int64
	for _, v := range s.max {
		m = max(m, v)
	}
	return m
}

func (s *rssSampler) close() {
	close(s.stop)
	<-s.done
}
