//go:build unix

package wasihttp

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/engine"
)

// TestServeAgainstJco serves handler.wasm with `jco serve` (the Bytecode
// Alliance's JavaScript component host) as a reference and checks that
// Serve answers the echo requests as it does: status, the echoed method,
// path, scheme and header, and the body. jco is $WASMHIVE_JCO; without it
// the test skips, unless WASMHIVE_REQUIRE_JCO=1 (CI installs it). (jco's serve stops on an error-code or a trap and folds
// repeated headers, so only the echo is compared.)
func TestServeAgainstJco(t *testing.T) {
	jco := os.Getenv("WASMHIVE_JCO")
	if jco == "" {
		if os.Getenv("WASMHIVE_REQUIRE_JCO") == "1" {
			t.Fatal("WASMHIVE_REQUIRE_JCO=1 but WASMHIVE_JCO is not set (CI installs jco)")
		}
		t.Skip("set WASMHIVE_JCO to a jco (1.35.0 has serve) to compare with it")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, jco, "serve", "--port", strconv.Itoa(port), "--host", "127.0.0.1", "testdata/handler.wasm")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	}()
	listening := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		once := sync.Once{}
		for sc.Scan() {
			if strings.Contains(sc.Text(), "listening") {
				once.Do(func() { close(listening) })
			}
		}
	}()
	select {
	case <-listening:
	case <-time.After(90 * time.Second):
		t.Fatal("jco serve did not start")
	}
	jcoURL := "http://127.0.0.1:" + strconv.Itoa(port)

	inst := instantiate(t, engine.InstanceConfig{})
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if err := Serve(r.Context(), inst, w, r, ServeOptions{}); err != nil {
			http.Error(w, err.Error(), 500)
		}
	}))
	defer srv.Close()

	type answer struct {
		status                       int
		method, path, scheme, header string
		body                         []byte
	}
	do := func(base, method, target string, body []byte, status string) answer {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, base+target, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Echo", "echoed value")
		if status != "" {
			req.Header.Set("X-Status", status)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s%s: %v", method, base, target, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		h := resp.Header
		return answer{resp.StatusCode, h.Get("X-Method"), h.Get("X-Path"), h.Get("X-Scheme"), h.Get("X-Echo"), b}
	}
	for _, tc := range []struct {
		method, target, status string
		body                   []byte
	}{
		{"GET", "/a/b?c=d&e", "", nil},
		{"POST", "/post", "201", []byte("a body")},
		{"PUT", "/big", "", bytes.Repeat([]byte("xyz"), 400_000)},
		{"DELETE", "/d", "404", nil},
		{"PATCH", "/p", "", []byte("patch")},
	} {
		want := do(jcoURL, tc.method, tc.target, tc.body, tc.status)
		got := do(srv.URL, tc.method, tc.target, tc.body, tc.status)
		if got.status != want.status || got.method != want.method || got.path != want.path || got.scheme != want.scheme ||
			got.header != want.header || !bytes.Equal(got.body, want.body) {
			t.Errorf("%s %s: wasmhive %d %s %s %s %q (%d bytes), jco %d %s %s %s %q (%d bytes)", tc.method, tc.target,
				got.status, got.method, got.path, got.scheme, got.header, len(got.body),
				want.status, want.method, want.path, want.scheme, want.header, len(want.body))
		}
	}
}
