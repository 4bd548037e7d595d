package main

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/internal/testguest"
)

// upLineRE finds the URL in the "up" line of `wasmhive up --log-format
// format`.
func upLineRE(format string) *regexp.Regexp {
	if format == "json" {
		return regexp.MustCompile(`"msg":"up".*"url":"(http://127\.0\.0\.1:\d+)"`)
	}
	return upURLRE
}

// cliSecret returns a random value no output holds by chance.
func cliSecret(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "s3cr3t-" + hex.EncodeToString(b)
}

// noSecret fails when any of outs holds one of secrets.
func noSecret(t *testing.T, what string, secrets []string, outs ...string) {
	t.Helper()
	for _, out := range outs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s prints a secret:\n%s", what, out)
			}
		}
	}
}

// TestSecretsNotPrinted: secret config values, from the environment and a
// file, reach the module, and are in none of what wasmhive prints itself:
// `call -v` and `run` logs and errors (even when the guest echoes them
// to stderr or in its error), `inspect`, `validate`, and `up -v` logs in
// text and JSON, WAGI stderr included.
func TestSecretsNotPrinted(t *testing.T) {
	envSecret, fileSecret := cliSecret(t), cliSecret(t)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(fileSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const envVar = "WASMHIVE_CLI_TEST_SECRET"
	env := []string{envVar + "=" + envSecret}
	secrets := []string{envSecret, fileSecret}
	config := testguest.GoReactor(t, "plugins/config")
	errs := testguest.GoReactor(t, "plugins/errors")
	goCmd := testguest.GoCommand(t, "go/cmd")
	from := []string{"--secret-env", "api_key=" + envVar, "--secret-file", "token=" + tokenFile}

	t.Run("call", func(t *testing.T) {
		for key, want := range map[string]string{"api_key": envSecret, "token": fileSecret} {
			r := runCLIEnv(t, env, nil, append(append([]string{"call", "-v"}, from...), config, "get_config", "--input", key)...)
			if r.Code != 0 || r.Stdout != want {
				t.Fatalf("call get_config %s: exit %d, stdout %q, stderr %s", key, r.Code, r.Stdout, r.Stderr)
			}
			noSecret(t, "call -v", secrets, r.Stderr)
		}
		r := runCLIEnv(t, env, nil, append(append([]string{"call", "-v"}, from...), errs, "fail", "--input", "bad key "+envSecret)...)
		if r.Code != 1 || !strings.Contains(r.Stderr, "bad key [secret]") {
			t.Errorf("call fail: exit %d, stderr %s; want 1 and the guest's error with [secret]", r.Code, r.Stderr)
		}
		noSecret(t, "call fail", secrets, r.Stdout, r.Stderr)
		r = runCLIEnv(t, env, nil, append(append([]string{"call", "-v"}, from...), errs, "trap", "--input", fileSecret)...)
		if r.Code != 134 {
			t.Errorf("call trap: exit %d, stderr %s; want 134", r.Code, r.Stderr)
		}
		noSecret(t, "call trap", secrets, r.Stdout, r.Stderr)
	})
	t.Run("run", func(t *testing.T) {
		r := runCLIEnv(t, env, nil, append(append([]string{"run", "-v"}, from...), goCmd, "mode-"+envSecret)...)
		if r.Code != 64 || !strings.Contains(r.Stderr, "cmd: unknown mode mode-[secret]") {
			t.Errorf("run: exit %d, stderr %s; want 64 and the guest's line with [secret]", r.Code, r.Stderr)
		}
		noSecret(t, "run", secrets, r.Stdout, r.Stderr)
	})
	t.Run("load error", func(t *testing.T) {
		big := filepath.Join(dir, "big")
		if err := os.WriteFile(big, []byte(strings.Repeat(fileSecret, 40000)), 0o600); err != nil {
			t.Fatal(err)
		}
		r := runCLIEnv(t, env, nil, "call", "--secret-file", "token="+big, config, "get_config", "--input", "token")
		if r.Code != 2 || !strings.Contains(r.Stderr, "config key token: file "+big+" is larger than 1MiB") {
			t.Errorf("exit %d, stderr %s", r.Code, r.Stderr)
		}
		noSecret(t, "a failing load", secrets, r.Stdout, r.Stderr)
	})
	t.Run("inspect", func(t *testing.T) {
		for _, args := range [][]string{{"inspect", config}, {"inspect", "--json", config}} {
			r := runCLIEnv(t, env, nil, args...)
			if r.Code != 0 {
				t.Fatalf("%v: exit %d %s", args, r.Code, r.Stderr)
			}
			noSecret(t, strings.Join(args, " "), secrets, r.Stdout, r.Stderr)
		}
	})

	app := filepath.Join(dir, "app.yaml")
	copyFile(t, goCmd, filepath.Join(dir, "cmd.wasm"))
	copyFile(t, config, filepath.Join(dir, "config.wasm"))
	manifest := `version: 1
name: secrets
components:
  cmd:
    module: cmd.wasm
    config:
      api_key: {env: ` + envVar + `, secret: true}
      token: {file: token, secret: true}
  other:
    module: config.wasm
    config:
      api_key: {env: ` + envVar + `, secret: true}
      plain: visible
http:
  routes:
    - {path: /cmd, component: cmd, convention: wagi}
`
	if err := os.WriteFile(app, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("validate", func(t *testing.T) {
		r := runCLIEnv(t, env, nil, "validate", app)
		if r.Code != 0 {
			t.Fatalf("validate: exit %d %s", r.Code, r.Stderr)
		}
		noSecret(t, "validate", secrets, r.Stdout, r.Stderr)
	})
	for _, format := range []string{"text", "json"} {
		t.Run("up -v "+format, func(t *testing.T) {
			p := startProc(t, append(env, "XDG_DATA_HOME="+t.TempDir()), upLineRE(format),
				"up", "-v", "--log-format", format, "--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), app)
			// The guest echoes its unknown mode to stderr, which the WAGI
			// trigger logs.
			r := do(t, "GET", p.url+"/cmd?"+envSecret)
			if r.status == 200 {
				t.Errorf("GET /cmd?<secret>: %d %q, want a failure", r.status, r.body)
			}
			p.waitLog(t, "unknown mode [secret]", 30*time.Second)
			if code := p.stop(t, syscall.SIGTERM); code != 0 {
				t.Errorf("exit %d after SIGTERM\n%s", code, p.log())
			}
			noSecret(t, "up -v", secrets, p.log(), r.body)
		})
	}
}
