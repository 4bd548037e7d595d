package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

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
