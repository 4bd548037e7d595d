package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/internal/testguest"
)

// extismWasm returns a plugin built by an official Extism PDK, shipped in
// the Extism Go SDK module's wasm/ folder.
func extismWasm(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/extism/go-sdk").Output()
	if err != nil {
		t.Fatalf("locate github.com/extism/go-sdk: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "wasm", name)
}

func kernelWasm(t *testing.T) string { return testguest.Path(t, "plugins/host/kernel.wasm") }

func TestCallInputSources(t *testing.T) {
	wasm := extismWasm(t, "count_vowels.wasm")
	want := `{"count":3,"total":3,"vowels":"aeiouAEIOU"}`
	r := runCLI(t, nil, "call", wasm, "count_vowels", "--input", "hello world")
	if r.Code != 0 || r.Stdout != want {
		t.Fatalf("--input: code %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	r = runCLI(t, strings.NewReader("hello world"), "call", wasm, "count_vowels")
	if r.Code != 0 || r.Stdout != want {
		t.Fatalf("stdin: code %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	file := filepath.Join(t.TempDir(), "in.txt")
	os.WriteFile(file, []byte("hello world"), 0o644)
	r = runCLI(t, nil, "call", "--input-file", file, wasm, "count_vowels")
	if r.Code != 0 || r.Stdout != want {
		t.Fatalf("--input-file: code %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	r = runCLI(t, nil, "call", "--input-file", filepath.Join(t.TempDir(), "nope"), wasm, "count_vowels")
	if r.Code != 2 || !strings.Contains(r.Stderr, "no such file") {
		t.Fatalf("missing --input-file: code %d stderr %q", r.Code, r.Stderr)
	}
}

func TestCallRawOutput(t *testing.T) {
	in := "bytes \x00\x01\xff stay raw"
	file := filepath.Join(t.TempDir(), "in.bin")
	os.WriteFile(file, []byte(in), 0o644)
	r := runCLI(t, nil, "call", kernelWasm(t), "echo", "--input-file", file)
	if r.Code != 0 || r.Stdout != in {
		t.Fatalf("echo: code %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
	}
}

func TestCallPluginError(t *testing.T) {
	r := runCLI(t, nil, "call", extismWasm(t, "fail.wasm"), "run_test")
	if r.Code != 1 || !strings.Contains(r.Stderr, "Some error message") || r.Stdout != "" {
		t.Fatalf("fail: code %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	if strings.Count(strings.TrimSpace(r.Stderr), "\n") != 0 {
		t.Fatalf("error is not one line: %q", r.Stderr)
	}
}

func TestCallConfig(t *testing.T) {
	r := runCLI(t, nil, "call", "--config", "greeting=hi there", kernelWasm(t), "config")
	if r.Code != 0 || r.Stdout != "hi there" {
		t.Fatalf("config: code %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	r = runCLI(t, nil, "call", "--config", "novalue", kernelWasm(t), "config")
	if r.Code != 2 || !strings.Contains(r.Stderr, "KEY=VALUE") {
		t.Fatalf("bad --config: code %d stderr %q", r.Code, r.Stderr)
	}
}

func TestCallTimeout(t *testing.T) {
	r := runCLI(t, nil, "call", "--timeout", "100ms", kernelWasm(t), "busy")
	if r.Code != exitTimeout || !strings.Contains(r.Stderr, "stopped after --timeout 100ms") {
		t.Fatalf("busy: code %d stderr %q", r.Code, r.Stderr)
	}
}

func TestCallLink(t *testing.T) {
	r := runCLI(t, nil, "call", "--link", "lib="+extismWasm(t, "lib.wasm"), extismWasm(t, "main.wasm"), "run_test", "--input", "benjamin")
	if r.Code != 0 || r.Stdout != "Hello, BENJAMIN" {
		t.Fatalf("link: code %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	r = runCLI(t, nil, "call", extismWasm(t, "main.wasm"), "run_test", "--input", "benjamin")
	if r.Code != 2 || !strings.Contains(r.Stderr, "lib.capitalize") {
		t.Fatalf("without --link: code %d stderr %q", r.Code, r.Stderr)
	}
}

func TestCallMissingHostFunction(t *testing.T) {
	r := runCLI(t, nil, "call", extismWasm(t, "host.wasm"), "run_test")
	if r.Code != 2 || !strings.Contains(r.Stderr, "extism:host/user.mult") {
		t.Fatalf("code %d stderr %q", r.Code, r.Stderr)
	}
}

func TestCallHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "pong from "+r.URL.Path)
	}))
	defer srv.Close()
	req, _ := json.Marshal(map[string]string{"url": srv.URL + "/ping"})
	r := runCLI(t, nil, "call", "--allow-host", "127.0.0.1", kernelWasm(t), "http", "--input", string(req))
	if r.Code != 0 || r.Stdout != "pong from /ping" {
		t.Fatalf("allowed: code %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	r = runCLI(t, nil, "call", "--allow-host", "*.example.com", kernelWasm(t), "http", "--input", string(req))
	if r.Code != 1 || !strings.Contains(r.Stderr, "is not allowed") {
		t.Fatalf("denied: code %d stderr %q", r.Code, r.Stderr)
	}
}

func TestCallFiles(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "test.txt"), []byte("hello world!"), 0o644)
	r := runCLI(t, nil, "call", "--dir", dir+"::/mnt", extismWasm(t, "fs.wasm"), "run_test")
	if r.Code != 0 || r.Stdout != "hello world!" {
		t.Fatalf("--dir: code %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	rw := extismWasm(t, "read_write.wasm")
	r = runCLI(t, nil, "call", "--ro-dir", dir+"::/mnt", "--config", "path=/mnt/test.txt", rw, "try_read")
	if r.Code != 0 || r.Stdout != "hello world!" {
		t.Fatalf("--ro-dir read: code %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	r = runCLI(t, nil, "call", "--ro-dir", dir+"::/mnt", "--config", "path=/mnt/test.txt", rw, "try_write", "--input", "overwritten")
	if r.Code != 1 || !strings.Contains(r.Stderr, "Failed to write file") {
		t.Fatalf("--ro-dir write: code %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "test.txt")); string(b) != "hello world!" {
		t.Fatalf("read-only file changed to %q", b)
	}
	r = runCLI(t, nil, "call", "--dir", dir+"::/mnt", "--config", "path=/mnt/test.txt", rw, "try_write", "--input", "overwritten")
	if b, _ := os.ReadFile(filepath.Join(dir, "test.txt")); r.Code != 0 || string(b) != "hello world!overwritten" { // try_write appends
		t.Fatalf("--dir write: code %d stderr %q, file %q", r.Code, r.Stderr, b)
	}
	r = runCLI(t, nil, "call", extismWasm(t, "fs.wasm"), "run_test")
	if r.Code != 1 {
		t.Fatalf("no preopen: code %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	r = runCLI(t, nil, "call", "--dir", filepath.Join(dir, "missing"), extismWasm(t, "fs.wasm"), "run_test")
	if r.Code != 2 || !strings.Contains(r.Stderr, "no such directory") {
		t.Fatalf("missing --dir: code %d stderr %q", r.Code, r.Stderr)
	}
}

func TestCallLogLevel(t *testing.T) {
	r := runCLI(t, nil, "call", "--log-level", "info", kernelWasm(t), "log")
	if r.Code != 0 || !strings.Contains(r.Stderr, "hello from the plugin") {
		t.Fatalf("code %d stderr %q", r.Code, r.Stderr)
	}
	r = runCLI(t, nil, "call", kernelWasm(t), "log")
	if r.Code != 0 || strings.Contains(r.Stderr, "hello from the plugin") {
		t.Fatalf("logging off: code %d stderr %q", r.Code, r.Stderr)
	}
	r = runCLI(t, nil, "call", "--log-level", "loud", kernelWasm(t), "log")
	if r.Code != 2 {
		t.Fatalf("bad level: code %d stderr %q", r.Code, r.Stderr)
	}
}

func TestCallBadInput(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"call", kernelWasm(t)}, 2, "accepts 2 arg"},
		{[]string{"call", kernelWasm(t), "nope"}, 2, `exports no function "nope"`},
		{[]string{"call", filepath.Join(t.TempDir(), "missing.wasm"), "f"}, 2, "no such file"},
		{[]string{"call", kernelWasm(t), "garbage_output"}, 1, "out of bounds"},
		{[]string{"call", kernelWasm(t), "add"}, 1, "take no parameters"},
		{[]string{"call", "--link", "nolib", kernelWasm(t), "echo"}, 2, "NAME=FILE"},
	} {
		r := runCLI(t, nil, c.args...)
		if r.Code != c.code || !strings.Contains(r.Stderr, c.want) || strings.Contains(r.Stderr, "goroutine") {
			t.Errorf("%v: code %d stderr %q; want code %d and %q", c.args[1:], r.Code, r.Stderr, c.code, c.want)
		}
	}
}

func TestCallExitStatus(t *testing.T) {
	exit := extismWasm(t, "exit.wasm")
	r := runCLI(t, nil, "call", "--config", "code=7", exit, "_start")
	if r.Code != 7 {
		t.Fatalf("proc_exit(7): code %d stderr %q", r.Code, r.Stderr)
	}
	r = runCLI(t, nil, "call", "--config", "code=500", exit, "_start")
	if r.Code != 1 || !strings.Contains(r.Stderr, "status 500") {
		t.Fatalf("proc_exit(500): code %d stderr %q", r.Code, r.Stderr)
	}
	r = runCLI(t, nil, "call", "--config", "code=0", exit, "_start")
	if r.Code != 0 {
		t.Fatalf("proc_exit(0): code %d stderr %q", r.Code, r.Stderr)
	}
}

// TestCallInputLimits: the input is bounded in size (--max-input) and read
// under --timeout, so `yes |` or a pipe that never closes cannot take the
// host down or hold it past the timeout.
func TestCallInputLimits(t *testing.T) {
	k := kernelWasm(t)
	big := strings.NewReader(strings.Repeat("y\n", 1000))
	r := runCLI(t, big, "call", "--max-input", "1KiB", k, "echo")
	if r.Code != exitUsage || !strings.Contains(r.Stderr, "larger than --max-input (1KiB)") || strings.Count(r.Stderr, "\n") != 1 {
		t.Errorf("stdin over --max-input: %+v", r)
	}
	r = runCLI(t, nil, "call", "--max-input", "4", "--input", "hello", k, "echo")
	if r.Code != exitUsage || !strings.Contains(r.Stderr, "--input is larger than --max-input") {
		t.Errorf("--input over --max-input: %+v", r)
	}
	if r := runCLI(t, strings.NewReader("fits"), "call", "--max-input", "4", k, "echo"); r.Code != 0 || r.Stdout != "fits" {
		t.Errorf("input at --max-input: %+v", r)
	}
	// A pipe whose writer never closes it: the timeout still ends the call.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	defer pr.Close()
	start := time.Now()
	r = runCLI(t, pr, "call", "--timeout", "300ms", k, "echo")
	if r.Code != exitTimeout || time.Since(start) > 20*time.Second {
		t.Errorf("a pipe that never closes: exit %d after %s, stderr %q", r.Code, time.Since(start), r.Stderr)
	}
}
