package manifest

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse: any input gives a valid App or an *Error of one-line
// problems, never a panic. The seed corpus (testdata/fuzz/FuzzParse) holds
// the fixtures of testdata/manifests, valid and broken, broken YAML, and
// the claims section, config sources, private_dir and limits, valid and
// broken; it parses as if in testdata/manifests, so the fixtures' modules
// (and valid.yaml as a config file) resolve.
func FuzzParse(f *testing.F) {
	f.Add([]byte(head + "components: {web: {module: worker.wasm}}\n"))
	file := filepath.Join("..", "testdata", "manifests", "fuzz.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		app, err := Parse(file, data)
		if err != nil {
			if app != nil {
				t.Fatal("an App and an error")
			}
			var me *Error
			if !errors.As(err, &me) || len(me.Problems) == 0 {
				t.Fatalf("error %T %v is not an *Error with problems", err, err)
			}
			if lines := strings.Split(err.Error(), "\n"); len(lines) != len(me.Problems) {
				t.Fatalf("%d problems print as %d lines:\n%s", len(me.Problems), len(lines), err)
			}
			for i, p := range me.Problems {
				if p.File != file || p.Line < 0 || p.Msg == "" {
					t.Fatalf("problem %d: %+v", i, p)
				}
				if i > 0 && p.Line < me.Problems[i-1].Line {
					t.Fatalf("problems out of order:\n%s", err)
				}
			}
			return
		}
		if app.Version != Version || checkName(app.Name, "") != "" || len(app.Components) == 0 || !filepath.IsAbs(app.DataDir) || !filepath.IsAbs(app.Dir) {
			t.Fatalf("invalid App: %+v", app)
		}
		for _, c := range app.Components {
			if !filepath.IsAbs(c.Config.Module) || c.Line <= 0 {
				t.Fatalf("component %+v", c)
			}
			if p := c.Config.PrivateDir; p != "" && checkPrivateDir(p) != "" {
				t.Fatalf("component %s: private_dir %q", c.Name, p)
			}
			for k, src := range c.Config.ConfigFrom {
				if _, lit := c.Config.Config[k]; lit || (src.Env == "") == (src.File == "") || (src.File != "" && !filepath.IsAbs(src.File)) {
					t.Fatalf("component %s: config %q from %+v", c.Name, k, src)
				}
			}
		}
		for _, k := range app.Claims.TrustedIssuers {
			if checkIssuer(k) != "" {
				t.Fatalf("trusted issuer %q", k)
			}
		}
		paths := map[string]bool{}
		for _, r := range app.HTTP.Routes {
			if _, ok := app.Component(r.Component); !ok || paths[r.Path] || !strings.HasPrefix(r.Path, "/") {
				t.Fatalf("route %+v", r)
			}
			paths[r.Path] = true
		}
		for _, s := range app.Messaging.Subscriptions {
			if _, ok := app.Component(s.Component); !ok || s.Subject == "" || s.Export == "" {
				t.Fatalf("subscription %+v", s)
			}
		}
	})
}
