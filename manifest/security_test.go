package manifest

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nats-io/nkeys"

	"github.com/wasmhive/wasmhive"
)

// limitNames lists the limits fields, as an unknown field's problem does.
const limitNames = "memory, timeout, fuel, max_var_bytes, request_bytes, response_bytes, keyvalue_value_bytes, keyvalue_keys_per_call, http_requests_per_call, messages_per_second"

// keys returns a fresh account public key, its seed, and a user public key.
func keys(t *testing.T) (account, seed, user string) {
	t.Helper()
	kp, err := nkeys.CreateAccount()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	s, _ := kp.Seed()
	up, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	u, _ := up.PublicKey()
	return pub, string(s), u
}

// TestSecurityProblems: the limits, private_dir, config sources and the
// claims section give one file:line problem per bad value.
func TestSecurityProblems(t *testing.T) {
	account, seed, user := keys(t)
	for _, c := range []struct{ name, src, want string }{
		{"limits", head + "components:\n  web:\n    module: reactor.wasm\n    limits:\n      request_bytes: 0\n      response_bytes: 1PiB\n      keyvalue_value_bytes: [1]\n      keyvalue_keys_per_call: -1\n      http_requests_per_call: 1.5\n      messages_per_second: \"10\"\n      fuel: -3\n",
			"app.yaml:7: components.web.limits.request_bytes: \"0\": a size must be more than 0\n" +
				"app.yaml:8: components.web.limits.response_bytes: \"1PiB\" is not a size (e.g. 64MiB)\n" +
				"app.yaml:9: components.web.limits.keyvalue_value_bytes: want a size such as 64MiB, got a list\n" +
				"app.yaml:10: components.web.limits.keyvalue_keys_per_call: -1 is negative\n" +
				"app.yaml:11: components.web.limits.http_requests_per_call: want an integer, got 1.5\n" +
				"app.yaml:12: components.web.limits.messages_per_second: want an integer, got \"10\"\n" +
				"app.yaml:13: components.web.limits.fuel: -3 is negative"},
		{"size overflow", head + "components:\n  web:\n    module: reactor.wasm\n    limits: {request_bytes: 17179869184GiB}\n",
			`app.yaml:6: components.web.limits.request_bytes: "17179869184GiB" is too large a size`},

		{"private_dir", head + "components:\n  a: {module: reactor.wasm, private_dir: data}\n  b: {module: reactor.wasm, private_dir: /}\n  c: {module: reactor.wasm, private_dir: /data/}\n  d: {module: reactor.wasm, private_dir: /a/../b}\n  e: {module: reactor.wasm, private_dir: [x]}\n  f: {module: reactor.wasm, private_dir: \"/a\\tb\"}\n",
			"app.yaml:4: components.a.private_dir: guest path \"data\" must be absolute (e.g. /data)\n" +
				"app.yaml:5: components.b.private_dir: / would be the guest's whole file system; give a directory (e.g. /data)\n" +
				"app.yaml:6: components.c.private_dir: \"/data/\" is not a clean path; write \"/data\"\n" +
				"app.yaml:7: components.d.private_dir: \"/a/../b\" is not a clean path; write \"/b\"\n" +
				"app.yaml:8: components.e.private_dir: want a string, got a list\n" +
				"app.yaml:9: components.f.private_dir: \"/a\\tb\" is not a guest path"},
		{"private_dir and dirs", head + "components:\n  web:\n    module: reactor.wasm\n    dirs:\n      - {host: files, guest: /data}\n      - {host: files, guest: /srv/}\n      - {host: files, guest: /data2}\n    private_dir: /data\n  api:\n    module: reactor.wasm\n    private_dir: /srv/state\n    dirs: [{host: files, guest: /srv}, {host: files, guest: /srv/state/x}, {host: files, guest: /}]\n",
			"app.yaml:10: components.web.private_dir: /data is also the guest path of dirs[0] (line 7); a private directory must be apart from the dirs\n" +
				"app.yaml:13: components.api.private_dir: /srv/state is inside the guest path /srv of dirs[0] (line 14); a private directory must be apart from the dirs\n" +
				"app.yaml:13: components.api.private_dir: /srv/state holds the guest path /srv/state/x of dirs[1] (line 14); a private directory must be apart from the dirs\n" +
				"app.yaml:13: components.api.private_dir: /srv/state is inside the guest path / of dirs[2] (line 14); a private directory must be apart from the dirs"},

		{"config sources", head + "components:\n  web:\n    module: reactor.wasm\n    config:\n      a: {env: A, file: secret.txt}\n      b: {secret: true}\n      c: {value: x, secret: true}\n      d: {env: \"\"}\n      e: {env: \"A=B\"}\n      f: {file: nowhere.txt}\n      g: {file: files}\n      h: {file: /dev/null}\n      i: {env: A, secret: yes}\n      j: {env: A, ttl: 5s}\n      k: [a, b]\n      l: {file: \"\"}\n      m: {env: [A]}\n",
			"app.yaml:7: components.web.config.a: give env or file, not both\n" +
				"app.yaml:8: components.web.config.b: want env: NAME (an environment variable of wasmhive's) or file: PATH (a file whose contents are the value), and secret: true to keep it out of logs and errors\n" +
				"app.yaml:9: components.web.config.c.value: a literal value is written KEY: VALUE and is never secret (whoever reads the manifest sees it); take a secret from env: NAME or file: PATH\n" +
				"app.yaml:10: components.web.config.d.env: required: the environment variable (of wasmhive's process) that holds the value\n" +
				"app.yaml:11: components.web.config.e.env: \"A=B\" is not an environment variable name\n" +
				"app.yaml:12: components.web.config.f.file: nowhere.txt: no such file (relative paths start at the manifest's directory, $DIR)\n" +
				"app.yaml:13: components.web.config.g.file: files is a directory, not a file\n" +
				"app.yaml:14: components.web.config.h.file: /dev/null is not a regular file\n" +
				"app.yaml:15: components.web.config.i.secret: want true or false, got \"yes\"\n" +
				"app.yaml:16: components.web.config.j: unknown field \"ttl\"; known: env, file, secret\n" +
				"app.yaml:17: components.web.config.k: want a string, or a mapping {env: NAME} or {file: PATH}, got a list\n" +
				"app.yaml:18: components.web.config.l.file: required: the path of the file whose contents are the value\n" +
				"app.yaml:19: components.web.config.m.env: want a string, got a list"},
		{"config empty key", head + "components:\n  web:\n    module: reactor.wasm\n    config: {\"\": {env: A}}\n",
			`app.yaml:6: components.web.config: a config key must not be empty`},

		{"claims", head + "claims:\n  require: 1\n  trusted_issuers:\n    - " + account + "\n    - " + seed + "\n    - " + user + "\n    - ABC\n    - [x]\n  issuers: []\ncomponents: {web: {module: reactor.wasm}}\n",
			"app.yaml:4: claims.require: want true or false, got 1\n" +
				"app.yaml:7: claims.trusted_issuers[1]: this is a seed, a private key: never write it here; give its account public key (A..., 56 characters)\n" +
				"app.yaml:8: claims.trusted_issuers[2]: \"" + user + "\" is a public key of another kind (U...); a trusted issuer is an account public key (A..., 56 characters)\n" +
				"app.yaml:9: claims.trusted_issuers[3]: \"ABC\" is not an account public key (A..., 56 characters, as `wasmhive claims keygen` and `wash keys gen account` print)\n" +
				"app.yaml:10: claims.trusted_issuers[4]: want a string, got a list\n" +
				"app.yaml:11: claims: unknown field \"issuers\"; known: require, trusted_issuers"},
		{"claims a list", head + "claims: [" + account + "]\ncomponents: {web: {module: reactor.wasm}}\n",
			`app.yaml:3: claims: want a mapping, got a list`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := appDir(t)
			if err := os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("s3cret\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Parse("app.yaml", []byte(c.src))
			want := strings.ReplaceAll(c.want, "$DIR", dir)
			if err == nil || err.Error() != want {
				t.Errorf("got:\n%v\nwant:\n%s", err, want)
			}
			if err != nil && strings.Contains(err.Error(), seed) {
				t.Errorf("a problem prints the seed: %v", err)
			}
		})
	}
}

// TestSecurityDecode: the new fields reach the component's config and the
// App: limits, private_dir, config from the environment and files (paths
// made absolute against the manifest's directory), the claims policy.
func TestSecurityDecode(t *testing.T) {
	dir := appDir(t)
	account, _, _ := keys(t)
	sub := filepath.Join(dir, "secrets")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "token"), []byte("tok"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A symlink to a regular file, as Kubernetes mounts secrets, is fine.
	if err := os.Symlink("secrets/token", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	src := head + "claims:\n  require: true\n  trusted_issuers: [" + account + "]\n" +
		"components:\n  web:\n    module: reactor.wasm\n    private_dir: /data\n    dirs: [{host: files, guest: /files}, {host: files, guest: /database}]\n" +
		"    config:\n      greeting: hello\n      port: 8080\n      token: {file: secrets/token, secret: true}\n      linked: {file: link}\n      user: {env: APP_USER}\n      password: {env: APP_PASSWORD, secret: true}\n      nothing:\n" +
		"    limits:\n      request_bytes: 1MiB\n      response_bytes: 2MiB\n      keyvalue_value_bytes: 64KiB\n      keyvalue_keys_per_call: 100\n      http_requests_per_call: 5\n      messages_per_second: 50\n" +
		"  api:\n    module: reactor.wasm\n    config: {only: {env: X}}\n    limits: {keyvalue_keys_per_call: 0}\n"
	app, err := Parse("app.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if want := (wasmhive.ClaimsPolicy{Require: true, TrustedIssuers: []string{account}}); !reflect.DeepEqual(app.Claims, want) {
		t.Errorf("Claims = %+v, want %+v", app.Claims, want)
	}
	web := app.Components[0].Config
	if web.PrivateDir != "/data" {
		t.Errorf("PrivateDir = %q", web.PrivateDir)
	}
	if want := map[string]string{"greeting": "hello", "port": "8080", "nothing": ""}; !reflect.DeepEqual(web.Config, want) {
		t.Errorf("Config = %v, want %v", web.Config, want)
	}
	wantFrom := map[string]wasmhive.ConfigSource{
		"token":    {File: filepath.Join(dir, "secrets", "token"), Secret: true},
		"linked":   {File: filepath.Join(dir, "link")},
		"user":     {Env: "APP_USER"},
		"password": {Env: "APP_PASSWORD", Secret: true},
	}
	if !reflect.DeepEqual(web.ConfigFrom, wantFrom) {
		t.Errorf("ConfigFrom = %+v, want %+v", web.ConfigFrom, wantFrom)
	}
	wantLimits := wasmhive.Limits{RequestBytes: 1 << 20, ResponseBytes: 2 << 20, KeyValueValueBytes: 64 << 10, KeyValueKeysPerCall: 100, HTTPRequestsPerCall: 5, MessagesPerSecond: 50}
	if web.Limits != wantLimits {
		t.Errorf("Limits = %+v, want %+v", web.Limits, wantLimits)
	}
	api := app.Components[1].Config
	if api.Config != nil || !reflect.DeepEqual(api.ConfigFrom, map[string]wasmhive.ConfigSource{"only": {Env: "X"}}) || api.Limits != (wasmhive.Limits{}) || api.PrivateDir != "" {
		t.Errorf("api: Config %v, ConfigFrom %v, Limits %+v, PrivateDir %q", api.Config, api.ConfigFrom, api.Limits, api.PrivateDir)
	}

	// Without a claims section, nothing is required.
	app, err = Parse("app.yaml", []byte(head+"components: {web: {module: reactor.wasm}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if app.Claims.Require || app.Claims.TrustedIssuers != nil {
		t.Errorf("default Claims = %+v", app.Claims)
	}
}

// TestSecretNeverPrinted: the manifest never reads a value's file, so
// neither its problems nor its summary can hold the value; nor do they
// hold an environment variable's value.
func TestSecretNeverPrinted(t *testing.T) {
	dir := appDir(t)
	const fileSecret, envSecret = "file-s3cret-value", "env-s3cret-value"
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(fileSecret), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("APP_TOKEN", envSecret)
	good := head + "components:\n  web:\n    module: reactor.wasm\n    config:\n      a: {file: token, secret: true}\n      b: {env: APP_TOKEN, secret: true}\n"
	app, err := Parse("app.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	bad := good + "      c: {file: token, env: APP_TOKEN, secret: true}\n      d: {file: token/x}\n    limits: {memory: 1}\n"
	_, perr := Parse("app.yaml", []byte(bad))
	if perr == nil {
		t.Fatal("the bad manifest parsed")
	}
	for _, out := range []string{app.Summary(), perr.Error(), formatAll(app)} {
		if strings.Contains(out, fileSecret) || strings.Contains(out, envSecret) {
			t.Errorf("a secret is printed: %s", out)
		}
	}
	// What a ConfigSource holds is where the value is, not the value.
	if got := app.Components[0].Config.ConfigFrom["a"]; got.File != filepath.Join(dir, "token") || !got.Secret {
		t.Errorf("ConfigFrom[a] = %+v", got)
	}
}

// formatAll prints the whole App as %+v does, components included.
func formatAll(a *App) string {
	out := fmt.Sprintf("%+v", *a)
	for _, c := range a.Components {
		out += fmt.Sprintf(" %+v", c.Config)
	}
	return out
}
