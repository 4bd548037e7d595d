package main

// Tests of the flags that bound and configure one module beyond its grants
// (sandboxFlags in grants.go): limits, --private-dir, config sources and
// secrets, and the claims policy, on run, call, serve and up.

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nats-io/nkeys"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/app"
)

// accountKey returns a fresh account public key and its seed.
func accountKey(t *testing.T) (pub, seed string) {
	t.Helper()
	kp, err := nkeys.CreateAccount()
	if err != nil {
		t.Fatal(err)
	}
	p, _ := kp.PublicKey()
	s, _ := kp.Seed()
	return p, string(s)
}

// sandboxFixture makes the environment variables and files the flags
// below name: APP_USER and APP_TOKEN set, dir/token and dir/cert files.
func sandboxFixture(t *testing.T) (dir string) {
	t.Helper()
	dir = t.TempDir()
	for _, f := range []string{"token", "cert"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("contents of "+f), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("APP_USER", "user-value")
	t.Setenv("APP_TOKEN", "token-value")
	return dir
}

// TestSandboxFlagsReachConfig: each flag, parsed by the verb's own flag set,
// lands in the ComponentConfig and HostConfig the verb builds. (What the
// Host does with them is tested with the Host.)
func TestSandboxFlagsReachConfig(t *testing.T) {
	dir := sandboxFixture(t)
	k1, _ := accountKey(t)
	k2, _ := accountKey(t)
	token, cert := filepath.Join(dir, "token"), filepath.Join(dir, "cert")
	from := map[string]wasmhive.ConfigSource{
		"user":     {Env: "APP_USER"},
		"APP_USER": {Env: "APP_USER"},
		"cert":     {File: cert},
		"token":    {Env: "APP_TOKEN", Secret: true},
		"key":      {File: token, Secret: true},
	}
	sources := []string{"--config-env", "user=APP_USER", "--config-env", "APP_USER", "--config-file", "cert=" + cert,
		"--secret-env", "token=APP_TOKEN", "--secret-file", "key=" + token, "--config", "greeting=hi"}
	claims := []string{"--require-claims", "--trusted-issuer", k1, "--trusted-issuer", k2, "--trusted-issuer", k1}
	wantClaims := wasmhive.ClaimsPolicy{Require: true, TrustedIssuers: []string{k1, k2}}
	limits := []string{"--max-kv-value", "64KiB", "--max-kv-keys", "100", "--max-http-requests", "5", "--max-messages-per-second", "50"}
	wantLimits := wasmhive.Limits{KeyValueValueBytes: 64 << 10, KeyValueKeysPerCall: 100, HTTPRequestsPerCall: 5, MessagesPerSecond: 50}
	args := append(append(append(limits, sources...), claims...), "--private-dir", "/data", "--dir", dir+"::/files")

	check := func(t *testing.T, cc wasmhive.ComponentConfig, cp wasmhive.ClaimsPolicy, limits wasmhive.Limits, private string) {
		t.Helper()
		if cc.Limits != limits {
			t.Errorf("Limits = %+v, want %+v", cc.Limits, limits)
		}
		if cc.PrivateDir != private {
			t.Errorf("PrivateDir = %q, want %q", cc.PrivateDir, private)
		}
		if !reflect.DeepEqual(cc.Config, map[string]string{"greeting": "hi"}) {
			t.Errorf("Config = %v", cc.Config)
		}
		if !reflect.DeepEqual(cc.ConfigFrom, from) {
			t.Errorf("ConfigFrom = %+v, want %+v", cc.ConfigFrom, from)
		}
		if !reflect.DeepEqual(cp, wantClaims) {
			t.Errorf("claims = %+v, want %+v", cp, wantClaims)
		}
	}

	t.Run("run", func(t *testing.T) {
		f := new(runFlags)
		if err := runCmd(f).ParseFlags(args); err != nil {
			t.Fatal(err)
		}
		cc, cp, _, err := f.configs("m.wasm")
		if err != nil {
			t.Fatal(err)
		}
		check(t, cc, cp, wantLimits, "/data")
	})
	t.Run("serve", func(t *testing.T) {
		f := new(serveFlags)
		if err := serveCmd(f).ParseFlags(args); err != nil {
			t.Fatal(err)
		}
		_, cc, err := f.configs("m.wasm")
		if err != nil {
			t.Fatal(err)
		}
		cp, err := f.sandbox.claims()
		if err != nil {
			t.Fatal(err)
		}
		want := wantLimits
		want.Memory = app.DefaultMemory // serve's --max-memory default
		check(t, cc, cp, want, "/data")
	})
	t.Run("call", func(t *testing.T) {
		f := new(callFlags)
		cmd := callCmd(f)
		if err := cmd.ParseFlags(append(append(append([]string{"--max-http-requests", "5", "--max-output", "1MiB"}, sources...), claims...), "--dir", dir+"::/files")); err != nil {
			t.Fatal(err)
		}
		cfg, _, err := f.pluginConfig(cmd, false)
		if err != nil {
			t.Fatal(err)
		}
		check(t, cfg.Component, cfg.Host.Claims, wasmhive.Limits{HTTPRequestsPerCall: 5, ResponseBytes: 1 << 20}, "")
	})
	t.Run("defaults", func(t *testing.T) {
		f := new(runFlags)
		if err := runCmd(f).ParseFlags(nil); err != nil {
			t.Fatal(err)
		}
		cc, cp, _, err := f.configs("m.wasm")
		if err != nil {
			t.Fatal(err)
		}
		if cc.Limits != (wasmhive.Limits{}) || cc.PrivateDir != "" || cc.Config != nil || cc.ConfigFrom != nil || !reflect.DeepEqual(cp, wasmhive.ClaimsPolicy{}) {
			t.Errorf("no flags: %+v, claims %+v", cc, cp)
		}
	})
	t.Run("up", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			want wasmhive.ClaimsPolicy
		}{
			{nil, wasmhive.ClaimsPolicy{Require: true, TrustedIssuers: []string{k1}}},
			{[]string{"--require-claims=false"}, wasmhive.ClaimsPolicy{TrustedIssuers: []string{k1}}},
			{[]string{"--trusted-issuer", k2, "--trusted-issuer", k1}, wasmhive.ClaimsPolicy{Require: true, TrustedIssuers: []string{k1, k2}}},
		} {
			f := new(upFlags)
			if err := upCmd(f).ParseFlags(c.args); err != nil {
				t.Fatal(err)
			}
			got := wasmhive.ClaimsPolicy{Require: true, TrustedIssuers: []string{k1}} // the manifest's
			if err := f.claims.overrideClaims(&got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("%v: %+v, want %+v", c.args, got, c.want)
			}
		}
		// An app without a claims section: --require-claims requires.
		f := new(upFlags)
		if err := upCmd(f).ParseFlags([]string{"--require-claims"}); err != nil {
			t.Fatal(err)
		}
		var got wasmhive.ClaimsPolicy
		if err := f.claims.overrideClaims(&got); err != nil || !got.Require {
			t.Errorf("--require-claims on no section: %+v, %v", got, err)
		}
	})
}

// TestSandboxFlagErrors: a bad limit, private dir, config source or
// trusted issuer is one line and exit 2 on every verb that takes it,
// before anything loads; a seed or what may be a secret value is never
// echoed.
func TestSandboxFlagErrors(t *testing.T) {
	dir := sandboxFixture(t)
	_, seed := accountKey(t)
	run := []string{"run", "serve"}
	all := []string{"run", "call", "serve"}
	for _, c := range []struct {
		verbs []string
		args  []string
		want  string
	}{
		{run, []string{"--max-kv-value", "0"}, `--max-kv-value: "0": a size must be more than 0`},
		{run, []string{"--max-kv-value", "17179869184GiB"}, `--max-kv-value: "17179869184GiB" is too large a size`},
		{run, []string{"--max-kv-keys", "0"}, `--max-kv-keys 0: want at least 1 (leave it out for the default, 10000)`},
		{run, []string{"--max-kv-keys", "-5"}, `--max-kv-keys -5: want at least 1 (leave it out for the default, 10000)`},
		{all, []string{"--max-http-requests", "-1"}, `--max-http-requests -1: want at least 1 (leave it out for the default, 100)`},
		{all, []string{"--max-http-requests", "many"}, `invalid argument "many" for "--max-http-requests" flag`},
		{run, []string{"--max-messages-per-second", "0"}, `--max-messages-per-second 0: want at least 1 (leave it out for the default, 1000)`},
		{[]string{"call"}, []string{"--max-output", "0"}, `--max-output: "0": a size must be more than 0`},
		{[]string{"call"}, []string{"--max-kv-keys", "5"}, `unknown flag: --max-kv-keys`},
		{[]string{"call"}, []string{"--private-dir", "/data"}, `unknown flag: --private-dir`},

		{run, []string{"--private-dir", "data"}, `--private-dir "data": want an absolute guest path (e.g. /data)`},
		{run, []string{"--private-dir", "/"}, `--private-dir /: that would be the guest's whole file system; give a directory (e.g. /data)`},
		{run, []string{"--private-dir", "/data/"}, `--private-dir "/data/": not a clean path; write "/data"`},
		{run, []string{"--dir", dir + "::/data", "--private-dir", "/data"}, `--private-dir /data: overlaps the guest path /data of the dir ` + dir + `; a private directory must be apart from the dirs`},
		{run, []string{"--ro-dir", dir + "::/srv", "--private-dir", "/srv/state"}, `--private-dir /srv/state: overlaps the guest path /srv of the dir ` + dir},

		{all, []string{"--config-env", "=APP_USER"}, `--config-env "=APP_USER": want KEY[=VARIABLE]`},
		{all, []string{"--config-env", "user=NOT_SET_ANYWHERE"}, `--config-env user=NOT_SET_ANYWHERE: NOT_SET_ANYWHERE is not set in wasmhive's environment`},
		{all, []string{"--config-env", "user=A-B"}, `--config-env "user=A-B": "A-B" is not an environment variable name`},
		{all, []string{"--secret-env", "token=hunter2!"}, `--secret-env token=...: not an environment variable name; give KEY=VARIABLE (a secret's value never goes on the command line)`},
		{all, []string{"--config-file", "cert"}, `--config-file "cert": want KEY=FILE`},
		{all, []string{"--secret-file", "key=" + filepath.Join(dir, "nowhere")}, `--secret-file key=` + filepath.Join(dir, "nowhere") + `: ` + filepath.Join(dir, "nowhere") + `: no such file`},
		{all, []string{"--secret-file", "key=" + dir}, `--secret-file key=` + dir + `: ` + dir + ` is a directory, not a file`},
		{all, []string{"--secret-file", "key=/dev/null"}, `--secret-file key=/dev/null: /dev/null is not a regular file`},
		{all, []string{"--config", "token=x", "--secret-env", "token=APP_TOKEN"}, `--secret-env token=APP_TOKEN: config key "token" is also given by --config`},
		{all, []string{"--config-env", "token=APP_USER", "--secret-file", "token=" + filepath.Join(dir, "token")}, `config key "token" is also given by --config-env`},

		{append(all, "up"), []string{"--trusted-issuer", "ABC"}, `--trusted-issuer "ABC": not an account public key (A..., 56 characters)`},
		{append(all, "up"), []string{"--trusted-issuer", seed}, `--trusted-issuer: that is a seed, a private key: never pass it on a command line; give its account public key (A..., 56 characters)`},
		{append(all, "up"), []string{"--require-claims=maybe"}, `invalid argument "maybe" for "--require-claims" flag`},
	} {
		for _, verb := range c.verbs {
			args := append([]string{verb}, c.args...)
			switch verb {
			case "call":
				args = append(args, kvcounterWasm, "handle_http")
			case "up":
				args = append(args, "app.yaml") // the flags are checked first
			default:
				args = append(args, kvcounterWasm)
			}
			res := runCLI(t, nil, args...)
			wantOneLine(t, res, exitUsage, c.want)
			for _, secret := range []string{seed, "hunter2", "token-value", "user-value", "contents of"} {
				if strings.Contains(res.Stderr, secret) {
					t.Errorf("%v: stderr echoes %q: %s", args, secret, res.Stderr)
				}
			}
		}
	}
}

// TestSandboxFlagsHelp: each verb lists the flags it takes in --help.
func TestSandboxFlagsHelp(t *testing.T) {
	configs := []string{"--config-env", "--config-file", "--secret-env", "--secret-file", "--require-claims", "--trusted-issuer"}
	for verb, flags := range map[string][]string{
		"run":   append([]string{"--max-kv-value", "--max-kv-keys", "--max-http-requests", "--max-messages-per-second", "--private-dir", "--config"}, configs...),
		"serve": append([]string{"--max-kv-value", "--max-kv-keys", "--max-http-requests", "--max-messages-per-second", "--private-dir", "--max-body", "--max-response"}, configs...),
		"call":  append([]string{"--max-http-requests", "--max-input", "--max-output"}, configs...),
		"up":    {"--require-claims", "--trusted-issuer"},
	} {
		res := runCLI(t, nil, verb, "--help")
		if res.Code != 0 {
			t.Fatalf("%s --help: exit %d, %s", verb, res.Code, res.Stderr)
		}
		for _, f := range flags {
			if !strings.Contains(res.Stdout, f+" ") {
				t.Errorf("%s --help does not list %s", verb, f)
			}
		}
	}
}

// TestCallMaxOutput: an output over --max-output fails the call with the
// limit's message (exit 1) and writes nothing to stdout.
func TestCallMaxOutput(t *testing.T) {
	wasm := extismWasm(t, "count_vowels.wasm")
	want := `{"count":3,"total":3,"vowels":"aeiouAEIOU"}`
	res := runCLI(t, nil, "call", "--max-output", "10", wasm, "count_vowels", "--input", "hello world")
	wantOneLine(t, res, 1, "count_vowels", "limit response_bytes exceeded (43, the limit is 10)")
	if res.Stdout != "" {
		t.Errorf("stdout %q, want nothing", res.Stdout)
	}
	res = runCLI(t, nil, "call", "--max-output", "43", wasm, "count_vowels", "--input", "hello world")
	if res.Code != 0 || res.Stdout != want {
		t.Errorf("--max-output 43: exit %d, stdout %q, stderr %q", res.Code, res.Stdout, res.Stderr)
	}
}

// TestValidateNeverPrintsSecrets: `wasmhive validate` of a manifest whose
// config comes from a file and the environment, valid or not, never
// prints the values (it does not read them).
func TestValidateNeverPrintsSecrets(t *testing.T) {
	dir := t.TempDir()
	const fileSecret, envSecret = "file-s3cret-value", "env-s3cret-value"
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(fileSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	wasm, err := os.ReadFile(kvcounterWasm)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kv.wasm"), wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	good := "version: 1\nname: app\ncomponents:\n  web:\n    module: kv.wasm\n    grants: {keyvalue: {}}\n" +
		"    private_dir: /data\n    config:\n      token: {file: token, secret: true}\n      password: {env: APP_PASSWORD, secret: true}\n"
	bad := good + "      both: {file: token, env: APP_PASSWORD}\n      literal: {value: " + envSecret + "x, secret: true}\n"
	env := []string{"APP_PASSWORD=" + envSecret, "XDG_DATA_HOME=" + t.TempDir()}
	for name, src := range map[string]string{"good.yaml": good, "bad.yaml": bad} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res := runCLIEnv(t, env, nil, "validate", filepath.Join(dir, "good.yaml"))
	if res.Code != 0 || res.Stdout != filepath.Join(dir, "good.yaml")+": ok (1 component, 0 routes, 0 subscriptions)\n" {
		t.Errorf("good: exit %d, stdout %q, stderr %q", res.Code, res.Stdout, res.Stderr)
	}
	bres := runCLIEnv(t, env, nil, "validate", filepath.Join(dir, "bad.yaml"))
	if bres.Code != exitUsage || !strings.Contains(bres.Stderr, "bad.yaml:11: components.web.config.both: give env or file, not both") ||
		!strings.Contains(bres.Stderr, "bad.yaml:12: components.web.config.literal.value: a literal value is written KEY: VALUE and is never secret") {
		t.Errorf("bad: exit %d, stderr %q", bres.Code, bres.Stderr)
	}
	for _, out := range []string{res.Stdout, res.Stderr, bres.Stdout, bres.Stderr} {
		if strings.Contains(out, fileSecret) || strings.Contains(out, envSecret) {
			t.Errorf("a secret is printed: %q", out)
		}
	}
}

// FuzzSandboxFlags: any argument to --config-env, --config-file,
// --secret-env, --secret-file, --private-dir or --trusted-issuer gives a
// result or one line, never a panic; the sources given are well formed, a
// seed is never echoed, nor what follows = in a --secret-env that is not a
// variable name.
func FuzzSandboxFlags(f *testing.F) {
	for _, s := range []string{"token=APP_TOKEN", "APP_TOKEN", "=x", "k=", "k=hunter2!", "k=/dev/null", "k=sandbox_flags_test.go",
		"lit=hunter2!", "/data", "/", "data", "/a/../b", "ABY3IWM4PX4267ETIJTKZR3OYOJ4Z7JCOVTPUMPOZFXGZVDHKVCE3CJU", "a\nb=APP_TOKEN"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		t.Setenv("APP_TOKEN", "token-value")
		oneLine := func(what string, err error) {
			if err != nil && (strings.ContainsAny(err.Error(), "\n\r") || err.Error() == "") {
				t.Fatalf("%s %q: %q is not one line", what, spec, err)
			}
		}
		for i, flag := range []string{"--config-env", "--config-file", "--secret-env", "--secret-file"} {
			lists := make([][]string, 4)
			lists[i] = []string{spec}
			from, err := configSources(map[string]string{"lit": "x"}, lists[0], lists[1], lists[2], lists[3])
			oneLine(flag, err)
			if key, ref, ok := strings.Cut(spec, "="); ok && flag == "--secret-env" && ref != "" && !envName.MatchString(ref) {
				// What follows = may be the secret: the error is the same
				// whatever it is.
				marker := "#marker#"
				if strings.IndexFunc(ref, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
					marker = "#\x01#"
				}
				_, err2 := configSources(map[string]string{"lit": "x"}, nil, nil, []string{key + "=" + marker}, nil)
				if err == nil || err2 == nil || err.Error() != err2.Error() {
					t.Fatalf("--secret-env %q: %v, but with another value: %v", spec, err, err2)
				}
			}
			for k, src := range from {
				if k == "" || k == "lit" || (src.Env == "") == (src.File == "") || src.Secret != (i >= 2) || (src.File != "" && !filepath.IsAbs(src.File)) {
					t.Fatalf("%s %q: source %q = %+v", flag, spec, k, src)
				}
			}
		}
		err := checkPrivateDir(spec, []wasmhive.Dir{{Host: "/tmp", Guest: "/files"}})
		oneLine("--private-dir", err)
		if err == nil && (!strings.HasPrefix(spec, "/") || spec == "/" || within(spec, "/files") || within("/files", spec)) {
			t.Fatalf("--private-dir %q accepted", spec)
		}
		err = checkIssuer(spec)
		oneLine("--trusted-issuer", err)
		if err != nil && isSeed(spec) && strings.Contains(err.Error(), strings.TrimSpace(spec)) {
			t.Fatalf("a seed is echoed: %v", err)
		}
		if err == nil && !nkeys.IsValidPublicAccountKey(spec) {
			t.Fatalf("--trusted-issuer %q accepted", spec)
		}
	})
}
