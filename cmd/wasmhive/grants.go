package main

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/nats-io/nkeys"
	"github.com/spf13/pflag"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/capability"
	"github.com/wasmhive/wasmhive/engine"
)

// addGrantFlags adds --grant and --data-dir, shared by the verbs that run
// one module.
func addGrantFlags(fl *pflag.FlagSet, grants *[]string, dataDir *string) {
	fl.StringArrayVar(grants, "grant", nil, "grant a capability: `CAP[:KEY=VALUE,...]`, CAP one of "+strings.Join(capability.Names, ", ")+
		" (keyvalue:bucket=NAME, http:allow=GLOB, messaging:subject=PATTERN; repeatable)")
	fl.StringVar(dataDir, "data-dir", "", "where embedded providers keep data (default $XDG_DATA_HOME/wasmhive/apps/<module>)")
}

// parseGrants turns --grant specs (and --allow-host globs, which grant
// http) into Grants.
func parseGrants(specs, allowHosts []string) (wasmhive.Grants, error) {
	var g wasmhive.Grants
	for _, spec := range specs {
		name, opts, _ := strings.Cut(spec, ":")
		if !capability.Known(name) {
			return g, fmt.Errorf("--grant %q: unknown capability %q; known: %s", spec, name, strings.Join(capability.Names, ", "))
		}
		kv := map[string][]string{}
		if opts != "" {
			for _, o := range strings.Split(opts, ",") {
				k, v, ok := strings.Cut(o, "=")
				if !ok || k == "" || v == "" {
					return g, fmt.Errorf("--grant %q: want CAP:KEY=VALUE,...", spec)
				}
				kv[k] = append(kv[k], v)
			}
		}
		allowed := map[string][]string{capability.KeyValue: {"bucket"}, capability.HTTP: {"allow"}, capability.Messaging: {"subject"}}
		for k := range kv {
			if !contains(allowed[name], k) {
				return g, fmt.Errorf("--grant %q: %s takes no option %q", spec, name, k)
			}
		}
		switch name {
		case capability.KeyValue:
			if len(kv["bucket"]) > 1 {
				return g, fmt.Errorf("--grant %q: one bucket per component", spec)
			}
			g.KeyValue = &wasmhive.KeyValueGrant{}
			if b := kv["bucket"]; len(b) == 1 {
				g.KeyValue.Bucket = b[0]
			}
		case capability.HTTP:
			if g.HTTP == nil {
				g.HTTP = &wasmhive.HTTPGrant{}
			}
			g.HTTP.AllowedHosts = append(g.HTTP.AllowedHosts, kv["allow"]...)
		case capability.Messaging:
			if g.Messaging == nil {
				g.Messaging = &wasmhive.MessagingGrant{}
			}
			g.Messaging.Subjects = append(g.Messaging.Subjects, kv["subject"]...)
		case capability.Config:
			g.Config = &wasmhive.ConfigGrant{}
		case capability.Logging:
			g.Logging = &wasmhive.LoggingGrant{}
		}
	}
	if len(allowHosts) > 0 {
		if g.HTTP == nil {
			g.HTTP = &wasmhive.HTTPGrant{}
		}
		g.HTTP.AllowedHosts = append(g.HTTP.AllowedHosts, allowHosts...)
	}
	return g, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// parseConfig parses --config KEY=VALUE flags.
func parseConfig(specs []string) (map[string]string, error) {
	cfg := map[string]string{}
	for _, kv := range specs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--config %q: want KEY=VALUE", kv)
		}
		cfg[k] = v
	}
	return cfg, nil
}

// envMap turns NAME=VALUE entries into a map.
func envMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, e := range env {
		k, v, _ := strings.Cut(e, "=")
		m[k] = v
	}
	return m
}

// dirsOf turns parsed preopens into component directories.
func dirsOf(ps []engine.Preopen) []wasmhive.Dir {
	out := make([]wasmhive.Dir, len(ps))
	for i, p := range ps {
		host, err := filepath.Abs(p.HostPath)
		if err != nil {
			host = p.HostPath
		}
		out[i] = wasmhive.Dir{Host: host, Guest: p.GuestPath, ReadOnly: p.ReadOnly}
	}
	return out
}

// parseMemory parses a linear memory cap: a size of at least one page.
func parseMemory(s string) (wasmhive.Size, error) {
	n, err := wasmhive.ParseSize(s)
	if err != nil {
		return 0, err
	}
	if n < engine.PageSize {
		return 0, errors.New(s + " is less than one 64 KiB page")
	}
	return n, nil
}

// sandboxFlags are the flags that bound and configure the one module of a
// verb beyond its grants: per-call limits, a private directory, config
// values read from the environment or files (secret or not), and the
// claims policy. Which a verb has is chosen with the with* bits.
type sandboxFlags struct {
	fl *pflag.FlagSet // to tell a flag given 0 from one left out

	kvMaxValue        string
	kvMaxKeys         int
	httpMaxRequests   int
	messagesPerSecond int

	privateDir string

	configEnv, configFile, secretEnv, secretFile []string

	requireClaims  bool
	trustedIssuers []string
}

// The optional groups of sandboxFlags (the config sources and claims flags
// are always added).
const (
	withKeyValueLimits  = 1 << iota // --max-kv-value, --max-kv-keys
	withHTTPLimits                  // --max-http-requests
	withMessagingLimits             // --max-messages-per-second
	withPrivateDir                  // --private-dir
)

// addSandboxFlags adds the groups of sandboxFlags in which to fl.
func addSandboxFlags(fl *pflag.FlagSet, p *sandboxFlags, which int) {
	p.fl = fl
	if which&withKeyValueLimits != 0 {
		fl.StringVar(&p.kvMaxValue, "max-kv-value", "", "cap one keyvalue value written at `SIZE` (default 1MiB)")
		fl.IntVar(&p.kvMaxKeys, "max-kv-keys", 0, "cap the keyvalue keys one call reads, writes or lists at `N` (default 10000)")
	}
	if which&withHTTPLimits != 0 {
		fl.IntVar(&p.httpMaxRequests, "max-http-requests", 0, "cap the outgoing HTTP requests of one call at `N` (default 100)")
	}
	if which&withMessagingLimits != 0 {
		fl.IntVar(&p.messagesPerSecond, "max-messages-per-second", 0, "cap the messages the module publishes or sends at `N` a second (default 1000)")
	}
	if which&withPrivateDir != 0 {
		fl.StringVar(&p.privateDir, "private-dir", "", "give the module a directory of its own at guest path `GUEST_DIR` (e.g. /data), kept in <data dir>/components/<name>")
	}
	fl.StringArrayVar(&p.configEnv, "config-env", nil, "set config `KEY[=VAR]` to wasmhive's environment variable VAR (KEY alone: the variable KEY), read when the module loads (repeatable)")
	fl.StringArrayVar(&p.configFile, "config-file", nil, "set config `KEY=FILE` to the contents of FILE, read when the module loads (repeatable)")
	fl.StringArrayVar(&p.secretEnv, "secret-env", nil, "`KEY[=VAR]` as --config-env, the value kept secret: out of logs, errors and inspect (repeatable)")
	fl.StringArrayVar(&p.secretFile, "secret-file", nil, "`KEY=FILE` as --config-file, the value kept secret: out of logs, errors and inspect (repeatable)")
	addClaimsFlags(fl, p, false)
}

// addClaimsFlags adds --require-claims and --trusted-issuer; manifest says
// how they combine with an app manifest's claims section.
func addClaimsFlags(fl *pflag.FlagSet, p *sandboxFlags, manifest bool) {
	p.fl = fl
	if manifest {
		fl.BoolVar(&p.requireClaims, "require-claims", false, "refuse modules that carry no signed claims (overrides the manifest's claims.require; =false relaxes it)")
		fl.StringArrayVar(&p.trustedIssuers, "trusted-issuer", nil, "accept only modules signed by account public `KEY` (A...), added to the manifest's claims.trusted_issuers (repeatable)")
		return
	}
	fl.BoolVar(&p.requireClaims, "require-claims", false, "refuse a module that carries no signed claims (a module that carries claims always has them verified)")
	fl.StringArrayVar(&p.trustedIssuers, "trusted-issuer", nil, "accept only a module signed by account public `KEY` (A...; repeatable)")
}

// applyComponent fills cc's limits, private directory and config sources
// from the flags; cc.Config (the literal values) and cc.Dirs are set
// already.
func (p *sandboxFlags) applyComponent(cc *wasmhive.ComponentConfig) error {
	if p.kvMaxValue != "" {
		n, err := wasmhive.ParseSize(p.kvMaxValue)
		if err != nil {
			return fmt.Errorf("--max-kv-value: %w", err)
		}
		cc.Limits.KeyValueValueBytes = n
	}
	for _, c := range []struct {
		name string
		n    int
		def  int
		to   *int
	}{
		{"max-kv-keys", p.kvMaxKeys, wasmhive.DefaultKeyValueKeysPerCall, &cc.Limits.KeyValueKeysPerCall},
		{"max-http-requests", p.httpMaxRequests, wasmhive.DefaultHTTPRequestsPerCall, &cc.Limits.HTTPRequestsPerCall},
		{"max-messages-per-second", p.messagesPerSecond, wasmhive.DefaultMessagesPerSecond, &cc.Limits.MessagesPerSecond},
	} {
		if c.n < 0 || (c.n == 0 && p.changed(c.name)) {
			return fmt.Errorf("--%s %d: want at least 1 (leave it out for the default, %d)", c.name, c.n, c.def)
		}
		if c.n > 0 {
			*c.to = c.n
		}
	}
	if p.privateDir != "" {
		if err := checkPrivateDir(p.privateDir, cc.Dirs); err != nil {
			return err
		}
		cc.PrivateDir = p.privateDir
	}
	from, err := configSources(cc.Config, p.configEnv, p.configFile, p.secretEnv, p.secretFile)
	if err != nil {
		return err
	}
	cc.ConfigFrom = from
	return nil
}

func (p *sandboxFlags) changed(name string) bool {
	return p.fl != nil && p.fl.Lookup(name) != nil && p.fl.Changed(name)
}

// claims returns the claims policy the flags ask for.
func (p *sandboxFlags) claims() (wasmhive.ClaimsPolicy, error) {
	cp := wasmhive.ClaimsPolicy{Require: p.requireClaims}
	for _, k := range p.trustedIssuers {
		if err := checkIssuer(k); err != nil {
			return cp, err
		}
		if !contains(cp.TrustedIssuers, k) {
			cp.TrustedIssuers = append(cp.TrustedIssuers, k)
		}
	}
	return cp, nil
}

// overrideClaims applies the claims flags to an app manifest's policy:
// --require-claims, when given, replaces require; --trusted-issuer adds
// to trusted_issuers.
func (p *sandboxFlags) overrideClaims(cp *wasmhive.ClaimsPolicy) error {
	fromFlags, err := p.claims()
	if err != nil {
		return err
	}
	if p.changed("require-claims") {
		cp.Require = fromFlags.Require
	}
	for _, k := range fromFlags.TrustedIssuers {
		if !contains(cp.TrustedIssuers, k) {
			cp.TrustedIssuers = append(cp.TrustedIssuers, k)
		}
	}
	return nil
}

// checkIssuer checks a --trusted-issuer: an nkeys account public key. A
// seed (a private key) given by mistake is not echoed back.
func checkIssuer(k string) error {
	switch {
	case nkeys.IsValidPublicAccountKey(k):
		return nil
	case isSeed(k):
		return errors.New("--trusted-issuer: that is a seed, a private key: never pass it on a command line; give its account public key (A..., 56 characters)")
	}
	if len(k) > 80 {
		k = k[:77] + "..."
	}
	return fmt.Errorf("--trusted-issuer %q: not an account public key (A..., 56 characters)", k)
}

func isSeed(s string) bool {
	_, err := nkeys.FromSeed([]byte(strings.TrimSpace(s)))
	return err == nil
}

// checkPrivateDir checks --private-dir's guest path: absolute, clean, not
// "/", and apart from every --dir and --ro-dir guest path.
func checkPrivateDir(guest string, dirs []wasmhive.Dir) error {
	switch {
	case strings.IndexFunc(guest, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
		return fmt.Errorf("--private-dir %q: not a guest path", guest)
	case !path.IsAbs(guest):
		return fmt.Errorf("--private-dir %q: want an absolute guest path (e.g. /data)", guest)
	case guest == "/":
		return errors.New("--private-dir /: that would be the guest's whole file system; give a directory (e.g. /data)")
	case path.Clean(guest) != guest:
		return fmt.Errorf("--private-dir %q: not a clean path; write %q", guest, path.Clean(guest))
	}
	for _, d := range dirs {
		g := d.Guest
		if g == "" {
			g = d.Host
		}
		g = path.Clean(g)
		if within(guest, g) || within(g, guest) {
			return fmt.Errorf("--private-dir %s: overlaps the guest path %s of the dir %s; a private directory must be apart from the dirs", guest, g, d.Host)
		}
	}
	return nil
}

// within reports whether guest path a is b or inside it.
func within(a, b string) bool {
	return a == b || b == "/" || strings.HasPrefix(a, b+"/")
}

// envName is the form of the environment variables config values are
// read from.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// configSources turns --config-env, --config-file, --secret-env and
// --secret-file into config sources. A key may be given once across them
// and --config (literal). Variables must be set and files must be regular
// files; neither is read here, and no value is ever printed.
func configSources(literal map[string]string, env, file, secretEnv, secretFile []string) (map[string]wasmhive.ConfigSource, error) {
	out := map[string]wasmhive.ConfigSource{}
	by := map[string]string{}
	for k := range literal {
		by[k] = "--config"
	}
	add := func(flag, spec string, fromFile, secret bool) error {
		if strings.IndexFunc(spec, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
			return fmt.Errorf("%s: a control character in the argument; want KEY=...", flag)
		}
		key, ref, ok := strings.Cut(spec, "=")
		if !ok && !fromFile {
			ref = key
		}
		if secret && !fromFile && ok && !envName.MatchString(ref) {
			// What follows = may be the secret itself: not echoed.
			spec = key + "=..."
		}
		switch {
		case key == "" || ref == "":
			if fromFile {
				return fmt.Errorf("%s %q: want KEY=FILE", flag, spec)
			}
			return fmt.Errorf("%s %q: want KEY[=VARIABLE]", flag, spec)
		case by[key] != "":
			return fmt.Errorf("%s %s: config key %q is also given by %s", flag, spec, key, by[key])
		}
		src := wasmhive.ConfigSource{Secret: secret}
		if fromFile {
			abs, err := filepath.Abs(ref)
			if err != nil {
				return fmt.Errorf("%s %s: %v", flag, spec, err)
			}
			fi, err := os.Stat(abs)
			switch {
			case errors.Is(err, os.ErrNotExist):
				return fmt.Errorf("%s %s: %s: no such file", flag, spec, ref)
			case err != nil:
				return fmt.Errorf("%s %s: %v", flag, spec, cleanErr(err))
			case fi.IsDir():
				return fmt.Errorf("%s %s: %s is a directory, not a file", flag, spec, ref)
			case !fi.Mode().IsRegular():
				return fmt.Errorf("%s %s: %s is not a regular file", flag, spec, ref)
			}
			src.File = abs
		} else {
			if !envName.MatchString(ref) {
				if secret {
					return fmt.Errorf("%s %s: not an environment variable name; give KEY=VARIABLE (a secret's value never goes on the command line)", flag, spec)
				}
				return fmt.Errorf("%s %q: %q is not an environment variable name", flag, spec, ref)
			}
			if _, set := os.LookupEnv(ref); !set {
				return fmt.Errorf("%s %s: %s is not set in wasmhive's environment", flag, spec, ref)
			}
			src.Env = ref
		}
		by[key] = flag
		out[key] = src
		return nil
	}
	for _, g := range []struct {
		flag           string
		specs          []string
		fromFile, secr bool
	}{
		{"--config-env", env, false, false},
		{"--config-file", file, true, false},
		{"--secret-env", secretEnv, false, true},
		{"--secret-file", secretFile, true, true},
	} {
		for _, s := range g.specs {
			if err := add(g.flag, s, g.fromFile, g.secr); err != nil {
				return nil, err
			}
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
