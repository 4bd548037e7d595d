package app

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/inspect"
	"github.com/wasmhive/wasmhive/manifest"
	httptrigger "github.com/wasmhive/wasmhive/trigger/http"
)

// ReloadResult is what a reload did, by component name (in the order it
// did it).
type ReloadResult struct {
	Added     []string      // new in the manifest: added to the Host
	Replaced  []string      // configuration or module bytes changed: a new version swapped in
	Removed   []string      // gone from the manifest: taken off the Host
	Unchanged []string      // left as they were
	Took      time.Duration // how long the whole reload took
}

// String formats r as "replaced=receiver unchanged=counter,kv-sender
// took=12ms", leaving out the empty groups.
func (r ReloadResult) String() string {
	var b strings.Builder
	for _, kv := range r.pairs(true) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(kv[0] + "=" + kv[1])
	}
	return b.String()
}

// Attrs returns r as log attributes (key, value, ...), as String groups
// them.
func (r ReloadResult) Attrs() []any {
	var out []any
	for _, kv := range r.pairs(true) {
		out = append(out, kv[0], kv[1])
	}
	return out
}

// pairs are r's groups as key and value, and how long it took when took.
func (r ReloadResult) pairs(took bool) [][2]string {
	var out [][2]string
	for _, g := range []struct {
		key   string
		names []string
	}{{"added", r.Added}, {"replaced", r.Replaced}, {"removed", r.Removed}, {"unchanged", r.Unchanged}} {
		if len(g.names) > 0 {
			out = append(out, [2]string{g.key, strings.Join(g.names, ",")})
		}
	}
	if took {
		out = append(out, [2]string{"took", r.Took.Round(time.Millisecond).String()})
	}
	return out
}

// loadedComponent is what a component of the Host was last loaded from:
// its configuration and the digest of its modules' bytes.
type loadedComponent struct {
	cfg wasmhive.ComponentConfig
	sum string
}

// Reload applies m, a new version of the running app's manifest (loaded
// and validated by manifest.Load), to the running app, while it serves.
//
// Only components are reloaded. Anything else that differs from the
// running manifest (the name, data_dir, http.listen and routes, messaging
// subscriptions, providers, claims, or a limit the HTTP trigger took from
// a route's component when it started) refuses the whole reload up front,
// with nothing changed: those need a restart.
//
// Then, targets of links before the components that link to them
// (StartOrder): a component new in m is added; one whose configuration or
// module bytes (its module's and its libraries', compared by SHA-256 with
// what was last loaded) changed is replaced by a new version
// (wasmhive.Host.ReplaceComponent: calls in flight finish on the old one);
// the others are left alone. Last, the components gone from m are
// removed. Triggers call components by name, so they reach the new
// versions from the next call on.
//
// Each component swaps on its own: the first one that fails to load or to
// link stops the reload with one line naming it and its manifest line,
// and the old version keeps serving, but the components swapped before it
// stay swapped (the error says which). A later Reload starts from what
// runs. Reloads run one at a time.
func (a *App) Reload(ctx context.Context, m *manifest.App) (ReloadResult, error) {
	start := time.Now()
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	h := a.host
	if h == nil {
		return ReloadResult{}, errors.New("reload refused: the app is stopped")
	}
	if changed := a.fixedChanges(m); len(changed) > 0 {
		return ReloadResult{}, refused(changed)
	}
	order, err := StartOrder(m)
	if err != nil {
		return ReloadResult{}, fmt.Errorf("%s: components: %w (nothing was changed)", m.File, err)
	}

	// Plan every step before taking any, so that an unreadable module or a
	// change the triggers cannot follow changes nothing.
	type step struct {
		c       manifest.Component
		cfg     wasmhive.ComponentConfig
		sum     string
		add     bool
		replace bool
	}
	steps := make([]step, 0, len(order))
	for _, c := range order {
		cfg := WithDefaultMemory(c.Config)
		sum, err := moduleSum(cfg)
		if err != nil {
			return ReloadResult{}, m.Errorf(c.Line, "components."+c.Name, "%v (nothing was changed)", err)
		}
		s := step{c: c, cfg: cfg, sum: sum}
		if old, ok := a.loaded[c.Name]; !ok {
			s.add = true
		} else {
			s.replace = old.sum != sum || !reflect.DeepEqual(old.cfg, cfg)
		}
		steps = append(steps, s)
	}
	var changed []string
	for _, s := range steps {
		if s.replace {
			more, err := a.routeChanges(h, s.c.Name, s.cfg)
			if err != nil {
				return ReloadResult{}, m.Errorf(s.c.Line, "components."+s.c.Name, "%v (nothing was changed)", err)
			}
			changed = append(changed, more...)
		}
	}
	if len(changed) > 0 {
		return ReloadResult{}, refused(changed)
	}
	running := a.loadedComponents()
	if rev, err := StartOrder(&manifest.App{Components: running}); err == nil {
		running = rev // the Host checked every link: this cannot fail
	}
	var gone []string
	for i := len(running) - 1; i >= 0; i-- { // importers before their targets
		if _, ok := m.Component(running[i].Name); !ok {
			gone = append(gone, running[i].Name)
		}
	}

	var res ReloadResult
	fail := func(line int, name string, err error) (ReloadResult, error) {
		res.Took = time.Since(start)
		done := "nothing was changed"
		if applied := (ReloadResult{Added: res.Added, Replaced: res.Replaced, Removed: res.Removed}).pairs(false); len(applied) > 0 {
			done = "applied before it:"
			for _, kv := range applied {
				done += " " + kv[0] + "=" + kv[1]
			}
		}
		return res, m.Errorf(line, "components."+name, "%v (%s)", err, done)
	}
	for _, s := range steps {
		switch {
		case s.add:
			if _, err := h.AddComponent(ctx, s.c.Name, s.cfg); err != nil {
				return fail(s.c.Line, s.c.Name, err)
			}
			res.Added = append(res.Added, s.c.Name)
		case s.replace:
			if _, err := h.ReplaceComponent(ctx, s.c.Name, s.cfg); err != nil {
				return fail(s.c.Line, s.c.Name, err)
			}
			res.Replaced = append(res.Replaced, s.c.Name)
		default:
			res.Unchanged = append(res.Unchanged, s.c.Name)
			continue
		}
		a.loaded[s.c.Name] = loadedComponent{cfg: s.cfg, sum: s.sum}
	}
	for _, name := range gone {
		if err := h.RemoveComponent(ctx, name); err != nil {
			return fail(0, name, fmt.Errorf("cannot remove it: %w", err))
		}
		delete(a.loaded, name)
		res.Removed = append(res.Removed, name)
	}
	a.m = m
	if len(res.Added)+len(res.Replaced) > 0 {
		checkAppMemory(a.log, m)
	}
	res.Took = time.Since(start)
	return res, nil
}

// refused is the error of a reload refused up front.
func refused(changed []string) error {
	what := changed[0]
	if n := len(changed); n > 1 {
		what = strings.Join(changed[:n-1], ", ") + " and " + changed[n-1]
	}
	it := "it"
	if len(changed) > 1 {
		it = "them"
	}
	return fmt.Errorf("reload refused: %s changed; restart wasmhive up to apply %s (nothing was changed)", what, it)
}

// fixedChanges lists what differs between the running manifest and m
// outside its components: what a reload cannot apply.
func (a *App) fixedChanges(m *manifest.App) []string {
	o := a.m
	var out []string
	if o.Version != m.Version {
		out = append(out, "version")
	}
	if o.Name != m.Name {
		out = append(out, "name")
	}
	if a.cfg.DataDir == "" && o.DataDir != m.DataDir { // --data-dir overrides data_dir
		out = append(out, "data_dir")
	}
	if a.cfg.Listen == "" && o.HTTP.Listen != m.HTTP.Listen { // and --listen http.listen
		out = append(out, "http.listen")
	}
	if !reflect.DeepEqual(routesOf(o), routesOf(m)) {
		out = append(out, "http.routes")
	}
	if !reflect.DeepEqual(subsOf(o), subsOf(m)) {
		out = append(out, "messaging.subscriptions")
	}
	if !reflect.DeepEqual(o.Providers, m.Providers) {
		out = append(out, "providers")
	}
	if !reflect.DeepEqual(o.Claims, m.Claims) {
		out = append(out, "claims")
	}
	return out
}

// routesOf and subsOf are m's routes and subscriptions without their
// lines, which move when the file is edited elsewhere.
func routesOf(m *manifest.App) []manifest.Route {
	out := make([]manifest.Route, len(m.HTTP.Routes))
	for i, r := range m.HTTP.Routes {
		r.Line = 0
		out[i] = r
	}
	return out
}

func subsOf(m *manifest.App) []manifest.Subscription {
	out := make([]manifest.Subscription, len(m.Messaging.Subscriptions))
	for i, s := range m.Messaging.Subscriptions {
		s.Line = 0
		out[i] = s
	}
	return out
}

// routeChanges lists what the HTTP trigger fixed when it started, from
// component name, that its new version cfg would change: the request and
// response caps its routes took from its limits, and the convention an
// auto route picked from its exports.
func (a *App) routeChanges(h *wasmhive.Host, name string, cfg wasmhive.ComponentConfig) ([]string, error) {
	old := a.loaded[name].cfg
	var out []string
	var info *inspectedExports
	for _, r := range a.m.HTTP.Routes {
		if r.Component != name {
			continue
		}
		if old.Limits.RequestBytes != cfg.Limits.RequestBytes {
			out = append(out, "components."+name+".limits.request_bytes (route "+r.Path+")")
		}
		if old.Limits.ResponseBytes != cfg.Limits.ResponseBytes {
			out = append(out, "components."+name+".limits.response_bytes (route "+r.Path+")")
		}
		if r.Convention != httptrigger.Auto {
			continue // the manifest checked the new module against it
		}
		t, err := h.Describe(name)
		if err != nil {
			return nil, err
		}
		if info == nil {
			if info, err = exportsOf(cfg); err != nil {
				return nil, err
			}
		}
		if info.component {
			continue // checked when it loads
		}
		switch {
		case t.Exports[r.Export] && !info.exports[r.Export]:
			return nil, fmt.Errorf("route %s calls %s's %s, which its new version does not export; restart wasmhive up to serve it another way", r.Path, name, r.Export)
		case !t.Exports[r.Export] && !info.exports["_start"]:
			return nil, fmt.Errorf("route %s runs %s's _start (wagi), which its new version does not export; restart wasmhive up to serve it another way", r.Path, name)
		}
	}
	return out, nil
}

// inspectedExports are the function exports of a module.
type inspectedExports struct {
	exports   map[string]bool
	component bool // a Component Model binary
}

func exportsOf(cfg wasmhive.ComponentConfig) (*inspectedExports, error) {
	b := cfg.Wasm
	if b == nil {
		var err error
		if b, err = os.ReadFile(cfg.Module); err != nil {
			return nil, err
		}
	}
	r, err := inspect.Inspect(b)
	if err != nil {
		return nil, fmt.Errorf("not a valid WebAssembly binary: %v", err)
	}
	out := &inspectedExports{exports: map[string]bool{}, component: r.Kind == "component"}
	for _, e := range r.Exports {
		if e.Kind == "func" {
			out.exports[e.Name] = true
		}
	}
	return out, nil
}

// loadedComponents returns the components of the Host as manifest
// components (name and configuration), for their link order.
func (a *App) loadedComponents() []manifest.Component {
	out := make([]manifest.Component, 0, len(a.loaded))
	for _, c := range a.m.Components { // file order first, for a stable order
		if l, ok := a.loaded[c.Name]; ok {
			out = append(out, manifest.Component{Name: c.Name, Config: l.cfg})
		}
	}
	for name, l := range a.loaded {
		if _, ok := a.m.Component(name); !ok {
			out = append(out, manifest.Component{Name: name, Config: l.cfg})
		}
	}
	return out
}

// moduleSum is the SHA-256 of the bytes of cfg's module and libraries, in
// order, each preceded by its length.
func moduleSum(cfg wasmhive.ComponentConfig) (string, error) {
	d := sha256.New()
	if err := sumModule(d, cfg.Module, cfg.Wasm); err != nil {
		return "", err
	}
	for _, l := range cfg.Libraries {
		if err := sumModule(d, l.Module, l.Wasm); err != nil {
			return "", fmt.Errorf("library %s: %w", l.Name, err)
		}
	}
	return hex.EncodeToString(d.Sum(nil)), nil
}

func sumModule(d hash.Hash, path string, wasm []byte) error {
	var n [8]byte
	if wasm != nil || path == "" {
		binary.LittleEndian.PutUint64(n[:], uint64(len(wasm)))
		d.Write(n[:])
		d.Write(wasm)
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	binary.LittleEndian.PutUint64(n[:], uint64(fi.Size()))
	d.Write(n[:])
	_, err = io.Copy(d, f)
	return err
}
