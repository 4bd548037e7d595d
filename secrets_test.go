package wasmhive_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/testguest"
	"github.com/wasmhive/wasmhive/trigger"
)

// randomSecret returns a value no test output holds by chance.
func randomSecret(t testing.TB) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "s3cr3t-" + hex.EncodeToString(b)
}

// secretEnv sets a fresh environment variable of the test process to a
// random secret and returns its name and value.
func secretEnv(t *testing.T) (name, value string) {
	t.Helper()
	value = randomSecret(t)
	name = "WASMHIVE_TEST_SECRET_" + strings.ToUpper(hex.EncodeToString([]byte(value[7:15])))
	t.Setenv(name, value)
	return name, value
}

// syncBuffer is a bytes.Buffer safe for the Host's concurrent logging.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func call(t *testing.T, c *wasmhive.Component, fn, in string) (string, error) {
	t.Helper()
	out, err := c.Call(context.Background(), fn, []byte(in))
	return string(out), err
}

// TestConfigFromReachesOnlyItsComponent: values from the environment and a
// file reach the component granted them, through Extism's config_get and
// wasmhive:config/store, and no other component of the same Host; the
// component's Config (what the Host was given) holds no value of them.
func TestConfigFromReachesOnlyItsComponent(t *testing.T) {
	ctx := context.Background()
	envName, envSecret := secretEnv(t)
	fileSecret := randomSecret(t)
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(fileSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newTestHost(t, t.TempDir())
	from := map[string]wasmhive.ConfigSource{
		"api_key": {Env: envName, Secret: true},
		"token":   {File: file, Secret: true},
		"user":    {Env: envName}, // the same variable, not marked secret
	}
	plugin := testguest.GoReactor(t, "plugins/config")
	granted, err := h.AddComponent(ctx, "granted", wasmhive.ComponentConfig{Module: plugin, Config: map[string]string{"plain": "p"}, ConfigFrom: from})
	if err != nil {
		t.Fatal(err)
	}
	other, err := h.AddComponent(ctx, "other", wasmhive.ComponentConfig{Module: plugin})
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"api_key": envSecret, "token": fileSecret, "user": envSecret, "plain": "p"} {
		if got, err := call(t, granted, "get_config", key); err != nil || got != want {
			t.Errorf("granted config_get(%s) = %q, %v; want %q", key, got, err, want)
		}
		if got, err := call(t, other, "get_config", key); err == nil {
			t.Errorf("other component config_get(%s) = %q, want not set", key, got)
		}
	}

	store := testguest.GoReactor(t, "capabilities/config")
	grant := wasmhive.Grants{Config: &wasmhive.ConfigGrant{}}
	sc, err := h.AddComponent(ctx, "store", wasmhive.ComponentConfig{Module: store, Grants: grant, ConfigFrom: from})
	if err != nil {
		t.Fatal(err)
	}
	sother, err := h.AddComponent(ctx, "store-other", wasmhive.ComponentConfig{Module: store, Grants: grant, Config: map[string]string{"x": "y"}})
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Value    string            `json:"value"`
		NotFound bool              `json:"not_found"`
		All      map[string]string `json:"all"`
	}
	out, err := call(t, sc, "get", "api_key")
	if err != nil || json.Unmarshal([]byte(out), &r) != nil || r.Value != envSecret {
		t.Errorf("store get(api_key) = %s, %v", out, err)
	}
	out, err = call(t, sc, "get_all", "")
	if err != nil || json.Unmarshal([]byte(out), &r) != nil || r.All["token"] != fileSecret || r.All["api_key"] != envSecret || len(r.All) != 3 {
		t.Errorf("store get_all = %s, %v", out, err)
	}
	r.All = nil
	out, err = call(t, sother, "get_all", "")
	if err != nil || json.Unmarshal([]byte(out), &r) != nil || len(r.All) != 1 || r.All["x"] != "y" {
		t.Errorf("other store get_all = %s, %v; want only its own x", out, err)
	}

	for _, c := range []*wasmhive.Component{granted, sc} {
		js, _ := json.Marshal(c.Config())
		for _, printed := range []string{fmt.Sprintf("%v", c.Config()), fmt.Sprintf("%+v", c.Config()), fmt.Sprintf("%#v", c.Config()), string(js)} {
			if strings.Contains(printed, envSecret) || strings.Contains(printed, fileSecret) {
				t.Errorf("%s: Config() prints a secret: %s", c.Name(), printed)
			}
		}
	}
}

// TestSecretsNeverLogged: a component's secret values do not appear in the
// Host's log, in JSON or text at the lowest level, even when the guest
// logs them (Extism log_*, wasmhive:logging, a panic on stderr) or fails
// or traps with them in the message: they are replaced by [secret]. Its
// call errors keep their types.
func TestSecretsNeverLogged(t *testing.T) {
	for _, format := range []string{"json", "text"} {
		t.Run(format, func(t *testing.T) {
			ctx := context.Background()
			envName, secret := secretEnv(t)
			var logs syncBuffer
			opts := &slog.HandlerOptions{Level: slog.LevelDebug - 8}
			var handler slog.Handler = slog.NewJSONHandler(&logs, opts)
			if format == "text" {
				handler = slog.NewTextHandler(&logs, opts)
			}
			h, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{DataDir: t.TempDir(), NoCache: true, Logger: slog.New(handler)})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close(ctx)
			cfg := func(module string, g wasmhive.Grants) wasmhive.ComponentConfig {
				return wasmhive.ComponentConfig{Module: testguest.GoReactor(t, module), Grants: g,
					ConfigFrom: map[string]wasmhive.ConfigSource{"api_key": {Env: envName, Secret: true}}}
			}
			add := func(name string, cc wasmhive.ComponentConfig) *wasmhive.Component {
				c, err := h.AddComponent(ctx, name, cc)
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			plog := add("plog", cfg("plugins/logging", wasmhive.Grants{}))
			if _, err := call(t, plog, "log_all", "the key is "+secret+"!"); err != nil {
				t.Fatal(err)
			}
			clog := add("clog", cfg("capabilities/logging", wasmhive.Grants{Logging: &wasmhive.LoggingGrant{}}))
			rec, _ := json.Marshal(map[string]string{"level": "debug", "context": "ctx-" + secret, "message": "key=" + secret})
			if out, err := call(t, clog, "log", string(rec)); err != nil || out != "" {
				t.Fatalf("wasmhive:logging log: %q, %v", out, err)
			}
			fail := add("fail", cfg("plugins/errors", wasmhive.Grants{}))
			_, err = call(t, fail, "fail", "bad key "+secret)
			var pe *extism.PluginError
			if err == nil || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "[secret]") || !errors.As(err, &pe) {
				t.Errorf("fail: %v (a *extism.PluginError: %v); want the secret replaced by [secret], the type kept", err, errors.As(err, &pe))
			}
			_, err = call(t, fail, "trap", secret)
			var te *engine.TrapError
			if err == nil || strings.Contains(err.Error(), secret) || !errors.As(err, &te) {
				t.Errorf("trap: %v; want a *engine.TrapError without the secret", err)
			}
			got := logs.String()
			if strings.Contains(got, secret) {
				t.Fatalf("the secret is in the Host's log:\n%s", got)
			}
			// The guest's records are there, redacted: the test looks where
			// the secret would have been.
			for _, want := range []string{"the key is [secret]!", "key=[secret]", "ctx-[secret]", "plugin panicked: [secret]"} {
				if !strings.Contains(got, want) {
					t.Errorf("log lacks %q:\n%s", want, got)
				}
			}
		})
	}
}

// TestConfigFromLoadErrors: a value that cannot be had stops the load with
// one line naming the key and the source, never the value.
func TestConfigFromLoadErrors(t *testing.T) {
	ctx := context.Background()
	secret := randomSecret(t)
	dir := t.TempDir()
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, []byte(strings.Repeat(secret, wasmhive.MaxConfigFileBytes/len(secret)+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	unset := "WASMHIVE_TEST_UNSET_" + strings.ToUpper(hex.EncodeToString([]byte(secret[7:13])))
	os.Unsetenv(unset)
	envName, envSecret := secretEnv(t)
	plugin := testguest.GoReactor(t, "plugins/config")
	store := testguest.GoReactor(t, "capabilities/config")
	cases := []struct {
		name   string
		cfg    wasmhive.ComponentConfig
		want   string // the whole message after "load x: "
		config bool   // a *wasmhive.ConfigError
	}{
		{"env not set", wasmhive.ComponentConfig{ConfigFrom: map[string]wasmhive.ConfigSource{"api_key": {Env: unset, Secret: true}}},
			"config key api_key: environment variable " + unset + " is not set", true},
		{"file missing", wasmhive.ComponentConfig{ConfigFrom: map[string]wasmhive.ConfigSource{"token": {File: filepath.Join(dir, "nope"), Secret: true}}},
			"config key token: file " + filepath.Join(dir, "nope") + " does not exist", true},
		{"file too large", wasmhive.ComponentConfig{ConfigFrom: map[string]wasmhive.ConfigSource{"token": {File: big, Secret: true}}},
			"config key token: file " + big + " is larger than 1MiB, the most a config value may be", true},
		{"not a file", wasmhive.ComponentConfig{ConfigFrom: map[string]wasmhive.ConfigSource{"token": {File: dir, Secret: true}}},
			"config key token: file " + dir + " is not a regular file", true},
		{"two sources", wasmhive.ComponentConfig{ConfigFrom: map[string]wasmhive.ConfigSource{"k": {Env: envName, File: big, Secret: true}}},
			"config key k has two sources, env and file; give one", true},
		{"no source", wasmhive.ComponentConfig{ConfigFrom: map[string]wasmhive.ConfigSource{"k": {Secret: true}}},
			"config key k has no source; give env or file", true},
		{"bad env name", wasmhive.ComponentConfig{ConfigFrom: map[string]wasmhive.ConfigSource{"k": {Env: "A=B"}}},
			`config key k: environment variable "A=B" is not a valid name`, true},
		{"empty key", wasmhive.ComponentConfig{ConfigFrom: map[string]wasmhive.ConfigSource{"": {Env: envName}}},
			`config key "" is not a config key: a key must not be empty`, true},
		{"key twice", wasmhive.ComponentConfig{Config: map[string]string{"api_key": "literal"}, ConfigFrom: map[string]wasmhive.ConfigSource{"api_key": {Env: envName, Secret: true}}},
			"config key api_key is both a value (Config) and read from a source (ConfigFrom); give one", true},
		// Read, then the load fails for another reason.
		{"grant missing", wasmhive.ComponentConfig{Module: store, ConfigFrom: map[string]wasmhive.ConfigSource{"api_key": {Env: envName, Secret: true}}},
			"", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newTestHost(t, t.TempDir())
			cfg := tc.cfg
			if cfg.Module == "" {
				cfg.Module = plugin
			}
			_, err := h.AddComponent(ctx, "x", cfg)
			if err == nil {
				t.Fatal("AddComponent succeeded")
			}
			msg := err.Error()
			if strings.Contains(msg, secret) || strings.Contains(msg, envSecret) || strings.Contains(msg, "\n") {
				t.Fatalf("error holds a secret or more than a line: %s", msg)
			}
			if tc.want != "" && msg != "load x: "+tc.want {
				t.Errorf("error:\n %s\nwant:\n load x: %s", msg, tc.want)
			}
			var ce *wasmhive.ConfigError
			if errors.As(err, &ce) != tc.config {
				t.Errorf("errors.As(*ConfigError) = %v, want %v", !tc.config, tc.config)
			}
		})
	}
}

// TestSecretsOutOfCommandStderr: what a command writes to its standard
// error has the component's secrets redacted, whether the caller gives the
// stream (as the WAGI trigger does, which logs it) or it goes to the
// Host's log.
func TestSecretsOutOfCommandStderr(t *testing.T) {
	ctx := context.Background()
	envName, secret := secretEnv(t)
	var logs syncBuffer
	h, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{DataDir: t.TempDir(), NoCache: true,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(ctx)
	if _, err := h.AddComponent(ctx, "cmd", wasmhive.ComponentConfig{Module: testguest.GoCommand(t, "go/cmd"),
		ConfigFrom: map[string]wasmhive.ConfigSource{"api_key": {Env: envName, Secret: true}}}); err != nil {
		t.Fatal(err)
	}
	// The guest's unknown-mode message echoes its argument to stderr.
	var stderr bytes.Buffer
	err = h.Run(ctx, "cmd", trigger.CommandIO{Args: []string{"cmd", "mode-" + secret}, Stderr: &stderr})
	var ee *engine.ExitError
	if !errors.As(err, &ee) || ee.Code != 64 {
		t.Fatalf("run: %v, want exit 64", err)
	}
	if got, want := stderr.String(), "cmd: unknown mode mode-[secret]\n"; got != want {
		t.Errorf("stderr %q, want %q", got, want)
	}
	err = h.Run(ctx, "cmd", trigger.CommandIO{Args: []string{"cmd", secret}})
	if !errors.As(err, &ee) {
		t.Fatalf("run: %v", err)
	}
	if got := logs.String(); strings.Contains(got, secret) || !strings.Contains(got, "cmd: unknown mode [secret]") {
		t.Errorf("log:\n%s\nwant the guest's line with the secret redacted", got)
	}
}
