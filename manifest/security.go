package manifest

import (
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/nats-io/nkeys"
	"go.yaml.in/yaml/v3"

	"github.com/wasmhive/wasmhive"
)

// This file decodes what a manifest says about code it does not trust: the
// claims policy, config values taken from the environment or files (and
// marked secret), and a component's private directory.

var claimsFields = []field[wasmhive.ClaimsPolicy]{
	{"require", func(d *decoder, k, v *yaml.Node, p string, c *wasmhive.ClaimsPolicy) {
		c.Require, _ = d.boolean(v, p)
	}},
	{"trusted_issuers", func(d *decoder, k, v *yaml.Node, p string, c *wasmhive.ClaimsPolicy) {
		c.TrustedIssuers = d.strList(v, p, checkIssuer)
	}},
}

// checkIssuer checks a trusted issuer: an nkeys account public key. A seed
// (a private key) is never echoed back.
func checkIssuer(s string) string {
	switch {
	case nkeys.IsValidPublicAccountKey(s):
		return ""
	case isSeed(s):
		return "this is a seed, a private key: never write it here; give its account public key (A..., 56 characters)"
	case nkeys.IsValidPublicKey(s):
		return fmt.Sprintf("%q is a public key of another kind (%c...); a trusted issuer is an account public key (A..., 56 characters)", s, s[0])
	}
	return fmt.Sprintf("%q is not an account public key (A..., 56 characters, as `wasmhive claims keygen` and `wash keys gen account` print)", oneLine(clip(s)))
}

// isSeed reports whether s is an nkeys seed.
func isSeed(s string) bool {
	_, err := nkeys.FromSeed([]byte(strings.TrimSpace(s)))
	return err == nil
}

// clip shortens what a problem quotes back.
func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// configSourceDec is a config value's source being decoded.
type configSourceDec struct {
	src     wasmhive.ConfigSource
	envSet  bool
	fileSet bool
}

// configSourceFields are the fields of a config value written as a
// mapping.
var configSourceFields = []field[configSourceDec]{
	{"env", func(d *decoder, k, v *yaml.Node, p string, c *configSourceDec) {
		c.envSet = true
		s, ok := d.str(v, p)
		if !ok {
			return
		}
		if msg := checkEnvName(s); msg != "" {
			d.add(resolve(v).Line, p, "%s", msg)
			return
		}
		c.src.Env = s
	}},
	{"file", func(d *decoder, k, v *yaml.Node, p string, c *configSourceDec) {
		c.fileSet = true
		s, ok := d.str(v, p)
		if !ok {
			return
		}
		if s == "" {
			d.add(resolve(v).Line, p, "required: the path of the file whose contents are the value")
			return
		}
		c.src.File = d.valueFile(resolve(v).Line, p, s)
	}},
	{"secret", func(d *decoder, k, v *yaml.Node, p string, c *configSourceDec) {
		c.src.Secret, _ = d.boolean(v, p)
	}},
}

// configSourceDecoders are configSourceFields with "value", which only
// explains how a literal is written.
var configSourceDecoders = append(slices.Clip(configSourceFields), field[configSourceDec]{"value", func(d *decoder, k, v *yaml.Node, p string, c *configSourceDec) {
	d.add(k.Line, p, "a literal value is written KEY: VALUE and is never secret (whoever reads the manifest sees it); take a secret from env: NAME or file: PATH")
}})

// checkEnvName checks the name of an environment variable of wasmhive's.
func checkEnvName(s string) string {
	if s == "" {
		return "required: the environment variable (of wasmhive's process) that holds the value"
	}
	if strings.ContainsAny(s, "=\x00") || strings.IndexFunc(s, func(r rune) bool { return r == ' ' || r < 0x20 || r == 0x7f }) >= 0 {
		return fmt.Sprintf("%q is not an environment variable name", s)
	}
	return ""
}

// valueFile checks a config value's file: it must exist and be a regular
// file (a symlink to one is fine, as Kubernetes mounts secrets). It is
// not read: its contents are the value, and may be secret.
func (d *decoder) valueFile(line int, field, p string) string {
	abs := d.abs(p)
	fi, err := os.Stat(abs)
	switch {
	case err != nil && os.IsNotExist(err):
		d.add(line, field, "%s", d.missing(p, "file"))
	case err != nil:
		d.add(line, field, "%s: %v", p, unwrapPath(err))
	case fi.IsDir():
		d.add(line, field, "%s is a directory, not a file", p)
	case !fi.Mode().IsRegular():
		d.add(line, field, "%s is not a regular file", p)
	default:
		return abs
	}
	return ""
}

// config decodes a component's config: each value is a string (a literal,
// into Config) or a mapping {env: NAME} or {file: PATH}, with an optional
// secret: true (into ConfigFrom).
func (d *decoder) config(v *yaml.Node, p string, cfg *wasmhive.ComponentConfig) {
	pairs, _ := d.mapping(v, p)
	for _, e := range pairs {
		if !d.visit() {
			break
		}
		key := e.key.Value
		if key == "" {
			d.add(e.key.Line, p, "a config key must not be empty")
			continue
		}
		kp := join(p, key)
		switch val := resolve(e.val); {
		case val.Kind == yaml.MappingNode:
			if src, ok := d.configSource(val, kp); ok {
				if cfg.ConfigFrom == nil {
					cfg.ConfigFrom = map[string]wasmhive.ConfigSource{}
				}
				cfg.ConfigFrom[key] = src
			}
		case val.Kind == yaml.SequenceNode:
			d.add(val.Line, kp, "want a string, or a mapping {env: NAME} or {file: PATH}, got a list")
		default:
			if s, ok := d.str(val, kp); ok {
				if cfg.Config == nil {
					cfg.Config = map[string]string{}
				}
				cfg.Config[key] = s
			}
		}
	}
}

// configSource decodes a config value's source; ok is false when it has a
// problem (recorded).
func (d *decoder) configSource(n *yaml.Node, p string) (wasmhive.ConfigSource, bool) {
	before := len(d.probs) + d.dropped
	var c configSourceDec
	present, _ := object(d, n, p, "field", names(configSourceFields), configSourceDecoders, &c)
	switch {
	case c.envSet && c.fileSet:
		d.add(present["file"].key.Line, p, "give env or file, not both")
	case !c.envSet && !c.fileSet && present["value"] == nil:
		d.add(n.Line, p, "want env: NAME (an environment variable of wasmhive's) or file: PATH (a file whose contents are the value), and secret: true to keep it out of logs and errors")
	}
	return c.src, len(d.probs)+d.dropped == before
}

// checkPrivateDir checks the guest path of a private directory.
func checkPrivateDir(s string) string {
	switch {
	case strings.ContainsRune(s, 0) || strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
		return fmt.Sprintf("%q is not a guest path", s)
	case !path.IsAbs(s):
		return fmt.Sprintf("guest path %q must be absolute (e.g. /data)", s)
	case s == "/":
		return "/ would be the guest's whole file system; give a directory (e.g. /data)"
	case path.Clean(s) != s:
		return fmt.Sprintf("%q is not a clean path; write %q", s, path.Clean(s))
	}
	return ""
}

// within reports whether guest path a is b or inside it.
func within(a, b string) bool {
	return a == b || b == "/" || strings.HasPrefix(a, b+"/")
}

// checkPrivateDirDirs reports a private directory whose guest path is one
// of the component's dirs, or inside one, or holds one: the guest could
// not tell which it reaches.
func (d *decoder) checkPrivateDirDirs(c *compConfig, p string) {
	priv := c.cfg.PrivateDir
	if priv == "" {
		return
	}
	for i, dir := range c.cfg.Dirs {
		guest := dir.Guest
		if guest == "" {
			guest = dir.Host
		}
		guest = path.Clean(guest)
		var how string
		switch {
		case guest == priv:
			how = "is also the guest path of"
		case within(priv, guest):
			how = "is inside the guest path " + guest + " of"
		case within(guest, priv):
			how = "holds the guest path " + guest + " of"
		default:
			continue
		}
		d.add(c.privateLine, join(p, "private_dir"), "%s %s dirs[%d] (line %d); a private directory must be apart from the dirs", priv, how, i, c.dirLines[i])
	}
}
