package kvcountercomponent_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/internal/testguest"
)

// The components, each served by app.yaml with its module replaced; the JS
// one is what app.yaml names.
var components = []struct{ name, wasm string }{
	{"js", "js/kvcounter-js.wasm"},
	{"c", "c/kvcounter-c.wasm"},
}

var (
	cliOnce sync.Once
	cliDir  string
	cliPath string
	cliErr  error
)

// cli builds cmd/wasmhive once per test binary.
func cli(t *testing.T) string {
	t.Helper()
	cliOnce.Do(func() {
		cliDir, cliErr = os.MkdirTemp("", "kvcounter-component-test")
		if cliErr != nil {
			return
		}
		cliPath = filepath.Join(cliDir, "wasmhive")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", cliPath, "../../cmd/wasmhive")
		if out, err := cmd.CombinedOutput(); err != nil {
			cliErr = fmt.Errorf("build wasmhive: %v\n%s", err, out)
		}
	})
	if cliErr != nil {
		t.Fatal(cliErr)
	}
	return cliPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if cliDir != "" {
		os.RemoveAll(cliDir)
	}
	os.Exit(code)
}

// proc is a running wasmhive process.
type proc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs strings.Builder
	done chan struct{}
}

func (p *proc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// start runs wasmhive args... and waits (at most 3 minutes: the JavaScript
// component is 13 MB of code to compile) for a stderr line matching ready,
// whose first group it returns. The process is stopped at cleanup, and its
// log shown if the test failed.
func start(t *testing.T, ready *regexp.Regexp, args ...string) (*proc, string) {
	t.Helper()
	p := &proc{cmd: exec.Command(cli(t), args...), done: make(chan struct{})}
	// One compilation cache for the test binary's processes.
	p.cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+filepath.Join(cliDir, "cache"), "XDG_DATA_HOME="+filepath.Join(cliDir, "data"))
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.logs.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if m := ready.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr)
		p.cmd.Wait()
	}()
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("wasmhive %s log:\n%s", strings.Join(args, " "), p.log())
		}
	})
	select {
	case v := <-found:
		return p, v
	case <-p.done:
		t.Fatalf("wasmhive %s exited before it was ready:\n%s", strings.Join(args, " "), p.log())
	case <-time.After(3 * time.Minute):
		t.Fatalf("wasmhive %s was not ready within 3 minutes:\n%s", strings.Join(args, " "), p.log())
	}
	return nil, ""
}

// upRE finds the address `wasmhive up` serves in its "up" line.
var upRE = regexp.MustCompile(`msg=up .*url=(http://127\.0\.0\.1:\d+)`)

// up runs `wasmhive up` of manifest on a free port of 127.0.0.1 with its
// own data directory and returns the URL it serves.
func up(t *testing.T, manifest string) string {
	t.Helper()
	_, url := start(t, upRE, "up", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), manifest)
	return url
}

// manifest writes app.yaml with the component's module replaced by wasm
// (as an absolute path) into a temporary directory.
func manifest(t *testing.T, wasm string) string {
	t.Helper()
	b, err := os.ReadFile("app.yaml")
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(wasm)
	if err != nil {
		t.Fatal(err)
	}
	const named = "module: js/kvcounter-js.wasm"
	if !strings.Contains(string(b), named) {
		t.Fatalf("app.yaml does not say %q", named)
	}
	path := filepath.Join(t.TempDir(), "app.yaml")
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), named, "module: "+abs, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// moduleApp is the kvcounter example served by its core module (the Go
// build), the reference answers.
const moduleApp = "../kvcounter/app.yaml"

// answer is what one request got: what the kvcounter contract fixes.
type answer struct {
	Status      int
	ContentType string
	Allow       string
	Body        string
}

var client = &http.Client{Timeout: 30 * time.Second}

func get(t *testing.T, method, url string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Allow"), string(b)}
}

func counter(n string) string { return `{"counter":` + n + "}\n" }

func badAmount(v string) string {
	b, _ := json.Marshal(`amount must be an integer, got "` + v + `"`)
	return `{"error":` + string(b) + "}\n"
}

func notAllowed(m string) string {
	return `{"error":"method ` + m + ` is not allowed; use GET"}` + "\n"
}

// longPath is over the keyvalue contract's 1024-byte keys.
var longPath = "/" + strings.Repeat("k", 1100)

// cases are requests in order, each with the answer the README gives;
// status 500 is checked against the module's answer only (the message is
// the host's). Every one of them mirrors a case of examples/kvcounter's
// tests.
var cases = []struct {
	method, target string
	status         int
	body           string // "" for a 405 to HEAD, whose body is dropped
}{
	// Counting up and down (TestCounter).
	{"GET", "/hits", 200, counter("1")},
	{"GET", "/hits?amount=2", 200, counter("3")},
	{"GET", "/hits?amount=-5", 200, counter("-2")},
	{"GET", "/hits?x=1&amount=%2B4&amount=100", 200, counter("2")},
	{"GET", "/hits?amou%6Et=%2D3", 200, counter("-1")},
	{"GET", "/hits?amount=0", 200, counter("-1")},
	{"GET", "/any/path?amount=10", 200, counter("10")},
	{"GET", "/any//path/", 200, counter("11")},
	{"GET", "/", 200, counter("1")},
	{"GET", "/big?amount=9223372036854775807", 200, counter("9223372036854775807")},
	{"GET", "/small?amount=-9223372036854775808", 200, counter("-9223372036854775808")},
	// Keys: the decoded path, ':' kept, a %2F a slash.
	{"GET", "/a%20b", 200, counter("1")},
	{"GET", "/a:b", 200, counter("1")},
	{"GET", "/a/b", 200, counter("2")},
	{"GET", "/a%2Fb", 200, counter("3")},
	{"GET", "/caf%C3%A9?amount=7", 200, counter("7")},
	{"GET", "/caf%c3%a9", 200, counter("8")},
	// Bad amounts: 400, nothing stored (TestBadAmount).
	{"GET", "/hits?amount=abc", 400, badAmount("abc")},
	{"GET", "/hits?amount=", 400, badAmount("")},
	{"GET", "/hits?amount", 400, badAmount("")},
	{"GET", "/hits?amount=1.5", 400, badAmount("1.5")},
	{"GET", "/hits?amount=1e3", 400, badAmount("1e3")},
	{"GET", "/hits?amount=%2B", 400, badAmount("+")},
	{"GET", "/hits?amount=+1", 400, badAmount(" 1")},
	{"GET", "/hits?amount=%201", 400, badAmount(" 1")},
	{"GET", "/hits?amount=9223372036854775808", 400, badAmount("9223372036854775808")},
	{"GET", "/hits?amount=-9223372036854775809", 400, badAmount("-9223372036854775809")},
	{"GET", "/hits?amount=%22%5C%0A%01%7F", 400, badAmount("\"\\\n\x01\x7f")},
	{"GET", "/hits?amount=%zz%e2%82%ac", 400, badAmount("%zz€")},
	{"GET", "/hits?amount=0", 200, counter("-1")},
	// Refused methods: 405 with Allow, nothing counted (TestMethodNotAllowed).
	{"POST", "/hits", 405, notAllowed("POST")},
	{"PUT", "/hits", 405, notAllowed("PUT")},
	{"DELETE", "/hits", 405, notAllowed("DELETE")},
	{"PATCH", "/hits", 405, notAllowed("PATCH")},
	{"HEAD", "/hits", 405, ""},
	{"get", "/hits", 405, notAllowed("get")},
	{"GET", "/hits?amount=0", 200, counter("-1")},
	// Store failures: 500 with the host's message (TestOverflowIsAStoreFailure).
	{"GET", "/big", 500, ""},
	{"GET", "/big?amount=0", 200, counter("9223372036854775807")},
	{"GET", "/small?amount=-1", 500, ""},
	{"GET", longPath, 500, ""},
}

// check sends the cases to the module app at ref and the component app at
// url, and compares each answer with the README's and with the module's.
func check(t *testing.T, ref, url string) {
	t.Helper()
	for _, c := range cases {
		want := get(t, c.method, ref+c.target)
		got := get(t, c.method, url+c.target)
		name := c.method + " " + c.target
		if len(name) > 60 {
			name = name[:60] + "..."
		}
		switch {
		case got != want:
			t.Errorf("%s: the component answered %d %q (Allow %q), the module %d %q (Allow %q)", name, got.Status, got.Body, got.Allow, want.Status, want.Body, want.Allow)
		case got.Status != c.status || (c.status != 500 && got.Body != c.body):
			t.Errorf("%s: both answered %d %q, the README says %d %q", name, got.Status, got.Body, c.status, c.body)
		}
		if got.ContentType != "application/json" {
			t.Errorf("%s: Content-Type %q, want application/json", name, got.ContentType)
		}
		if (got.Allow == "GET") != (c.status == 405) {
			t.Errorf("%s: Allow %q", name, got.Allow)
		}
		if c.status == 500 {
			var e struct{ Error string }
			if err := json.Unmarshal([]byte(got.Body), &e); err != nil || e.Error == "" {
				t.Errorf("%s: 500 body %q is not {\"error\": MESSAGE}", name, got.Body)
			}
		}
	}
}

// concurrent sends n increments of /c to url at once, from 8 clients, and
// checks that the answers are 1..n: no update lost or repeated.
func concurrent(t *testing.T, url string, n int) {
	t.Helper()
	var (
		mu   sync.Mutex
		seen []int
		wg   sync.WaitGroup
	)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				resp, err := client.Get(url + "/c")
				if err != nil {
					t.Error(err)
					return
				}
				var v struct{ Counter int }
				err = json.NewDecoder(resp.Body).Decode(&v)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					t.Errorf("GET /c: %d (%v)", resp.StatusCode, err)
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
		if v != i+1 {
			t.Fatalf("concurrent increments: answer #%d is %d, want %d (a lost or repeated update)", i+1, v, i+1)
		}
	}
	if len(seen) != n {
		t.Fatalf("%d answers, want %d", len(seen), n)
	}
}

// TestUp serves each component with `wasmhive up` beside the kvcounter
// module app and sends both the same requests: the answers must be the
// same, status, Content-Type, Allow and body.
func TestUp(t *testing.T) {
	for _, c := range components {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ref := up(t, moduleApp)
			url := up(t, manifest(t, c.wasm))
			check(t, ref, url)
			concurrent(t, url, 64)
		})
	}
}

// hostRE finds the NATS URL in `wasmhive host`'s "host" line.
var hostRE = regexp.MustCompile(`msg=host .*nats=(nats://127\.0\.0\.1:\d+)`)

// TestLattice deploys each component to a one-host lattice (`wasmhive
// host`, its counters in the lattice's JetStream bucket) and compares its
// answers with the module app's on one host.
func TestLattice(t *testing.T) {
	for _, c := range components {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ref := up(t, moduleApp)
			web := testguest.FreeAddr(t)
			_, nats := start(t, hostRE, "host", "--nats-listen", "127.0.0.1:0", "--listen", web, "--data-dir", t.TempDir(),
				"--heartbeat", "500ms", "--shutdown-timeout", "5s")
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, cli(t), "deploy", manifest(t, c.wasm), "--nats", nats)
			cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+filepath.Join(cliDir, "cache"))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("deploy: %v\n%s", err, out)
			}
			url := "http://" + web
			deadline := time.Now().Add(3 * time.Minute)
			for {
				resp, err := client.Get(url + "/ready?amount=0")
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode == 200 {
						break
					}
				}
				if time.Now().After(deadline) {
					t.Fatalf("the lattice did not serve the component within 3 minutes (last: %v)", err)
				}
				time.Sleep(100 * time.Millisecond)
			}
			check(t, ref, url)
			concurrent(t, url, 64)
		})
	}
}
