package lattice

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.yaml.in/yaml/v3"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/manifest"
)

// HostInfo is a host's entry in the lattice's hosts bucket, refreshed at
// every heartbeat.
type HostInfo struct {
	ID      string            `json:"id"`
	Lattice string            `json:"lattice"`
	Labels  map[string]string `json:"labels,omitempty"`
	Version string            `json:"version"`
	// NATS is the host's embedded server's client URL (or the external
	// server it is connected to); Cluster its cluster URL.
	NATS    string `json:"nats,omitempty"`
	Cluster string `json:"cluster,omitempty"`
	// HTTP is the address the host serves apps' routes on ("" means each
	// app's own http.listen).
	HTTP    string    `json:"http,omitempty"`
	Started time.Time `json:"started"`
	// LastHeartbeat is when the host last wrote its entry, every
	// Heartbeat.
	LastHeartbeat time.Time     `json:"last_heartbeat"`
	Heartbeat     time.Duration `json:"heartbeat_ns"`
	// Apps are the deployed apps as this host runs them.
	Apps []AppStatus `json:"apps"`
	// Stale is set by Hosts (it is not stored): the host has missed
	// StaleAfter heartbeats.
	Stale bool `json:"stale"`
}

// AppStatus is how a host runs one deployed app.
type AppStatus struct {
	Name string `json:"name"`
	// Revision is the apps bucket revision the host runs.
	Revision uint64 `json:"revision"`
	// State is "running", "failed" (Error says why; the host waits for a
	// new revision) or "refused" (its HTTP routes need the host's HTTP
	// listener, which another app holds).
	State string `json:"state"`
	Error string `json:"error,omitempty"`
	// URL is where the app's HTTP routes answer on this host.
	URL string `json:"url,omitempty"`
	// Placed names the app's components placed on this host at Revision
	// (Placed), also when it failed or was refused; empty when the
	// placement is not known (the deployment could not be materialised).
	Placed     []string          `json:"placed,omitempty"`
	Components []ComponentStatus `json:"components,omitempty"`
}

// ComponentStatus is a component's instance pool on one host.
type ComponentStatus struct {
	Name string `json:"name"`
	// Max is how many instances the host runs at most: its share of the
	// component's placement.instances, else its instances.max.
	Max    int    `json:"max"`
	Active int    `json:"active"`
	Idle   int    `json:"idle"`
	Calls  uint64 `json:"calls"`
	// Errors counts instances discarded (a trap, a timeout, the memory
	// limit), calls refused as saturated and instance creations that
	// failed.
	Errors uint64 `json:"errors"`
	// Links are the component's links on this host (interface, target),
	// with the calls they carried and those that failed.
	Links []wasmhive.LinkStats `json:"links,omitempty"`
}

// Hosts lists the lattice's hosts, by id. A host whose last heartbeat is
// older than StaleAfter of its heartbeat intervals is marked Stale (it is
// not removed: a host that stops deletes its own entry, one that died
// stays listed, stale, until it comes back or the entry is deleted).
func (l *Lattice) Hosts(ctx context.Context) ([]HostInfo, error) {
	keys, err := l.hosts.Keys(ctx)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return []HostInfo{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list hosts: %w", err)
	}
	out := make([]HostInfo, 0, len(keys))
	now := time.Now()
	for _, k := range keys {
		e, err := l.hosts.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // left meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("host %s: %w", k, err)
		}
		var h HostInfo
		if err := json.Unmarshal(e.Value(), &h); err != nil {
			return nil, fmt.Errorf("host %s: bad entry: %w", k, err)
		}
		hb := h.Heartbeat
		if hb <= 0 {
			hb = DefaultHeartbeat
		}
		h.Stale = now.Sub(h.LastHeartbeat) > StaleAfter*hb
		out = append(out, h)
	}
	slices.SortFunc(out, func(a, b HostInfo) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// putHost writes h as this host's entry.
func (l *Lattice) putHost(ctx context.Context, h HostInfo) error {
	h.Stale = false
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	_, err = l.hosts.Put(ctx, h.ID, b)
	return err
}

// App is a deployed app: the document in the apps bucket under its name.
type App struct {
	Name string `json:"name"`
	// Manifest is the app's manifest (YAML) as deployed, with every module
	// path (components' and libraries') replaced by a "sha256:<hex>"
	// reference to the lattice's modules object store.
	Manifest string `json:"manifest"`
	// Modules are the modules the manifest references.
	Modules []Module `json:"modules"`
	// Components names the app's components.
	Components []string `json:"components"`
	// Deployed is when the app was deployed.
	Deployed time.Time `json:"deployed"`
	// Revision is the apps bucket's revision of this version (set when
	// read; JetStream's, increasing with every change of the bucket).
	Revision uint64 `json:"revision"`
}

// Module is a module in the lattice's object store.
type Module struct {
	// SHA256 is the hex digest of the module's bytes, and its name in the
	// object store.
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// DeployResult is what Deploy did.
type DeployResult struct {
	Revision uint64
	Modules  int // modules the app references
	Uploaded int // of which were not in the object store yet
}

// modulePrefix marks a module reference in a deployed manifest.
const modulePrefix = "sha256:"

// Deploy makes m the desired state of its app in the lattice: each of its
// module files is uploaded to the modules object store under its SHA-256
// (unless there already), then the manifest, with module paths rewritten
// to sha256:<hex> references, is put into the apps bucket under the app's
// name. Every host then runs it (Serve). Files other than modules that the
// manifest names (dirs, config files) are not shipped: hosts must have
// them.
func (l *Lattice) Deploy(ctx context.Context, m *manifest.App) (DeployResult, error) {
	var res DeployResult
	src, err := os.ReadFile(m.File)
	if err != nil {
		return res, fmt.Errorf("read %s: %w", m.File, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return res, fmt.Errorf("%s: %w", m.File, err)
	}
	// Every module file of the app, by absolute path, and its digest.
	sums := map[string]string{}
	app := App{Name: m.Name, Deployed: time.Now().UTC()}
	for _, c := range m.Components {
		app.Components = append(app.Components, c.Name)
		paths := []string{c.Config.Module}
		for _, lib := range c.Config.Libraries {
			paths = append(paths, lib.Module)
		}
		for _, p := range paths {
			if p == "" || sums[p] != "" {
				continue
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return res, fmt.Errorf("component %s: %w", c.Name, err)
			}
			d := sha256.Sum256(b)
			sum := hex.EncodeToString(d[:])
			sums[p] = sum
			if !slices.ContainsFunc(app.Modules, func(x Module) bool { return x.SHA256 == sum }) {
				app.Modules = append(app.Modules, Module{SHA256: sum, Size: int64(len(b))})
				up, err := l.upload(ctx, sum, b)
				if err != nil {
					return res, fmt.Errorf("upload %s: %w", p, err)
				}
				if up {
					res.Uploaded++
				}
			}
		}
	}
	res.Modules = len(app.Modules)
	rewritten := map[string]bool{}
	rewriteModules(&doc, func(v string) (string, bool) {
		p := v
		if !filepath.IsAbs(p) {
			p = filepath.Join(m.Dir, p)
		}
		sum, ok := sums[filepath.Clean(p)]
		if ok {
			rewritten[filepath.Clean(p)] = true
		}
		return modulePrefix + sum, ok
	})
	for p := range sums {
		if !rewritten[p] {
			return res, fmt.Errorf("%s: cannot rewrite the module path of %s for the lattice (a module path set through a YAML alias or merge key?)", m.File, p)
		}
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return res, fmt.Errorf("%s: %w", m.File, err)
	}
	app.Manifest = string(out)
	b, err := json.Marshal(app)
	if err != nil {
		return res, err
	}
	if res.Revision, err = l.apps.Put(ctx, m.Name, b); err != nil {
		return res, fmt.Errorf("put app %s: %w", m.Name, err)
	}
	return res, nil
}

// upload puts b into the modules object store under sum, unless an object
// of that name and size is there; it reports whether it uploaded.
func (l *Lattice) upload(ctx context.Context, sum string, b []byte) (bool, error) {
	if info, err := l.modules.GetInfo(ctx, sum); err == nil && info.Size == uint64(len(b)) && !info.Deleted {
		return false, nil
	} else if err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		return false, err
	}
	if _, err := l.modules.PutBytes(ctx, sum, b); err != nil {
		return false, err
	}
	return true, nil
}

// module returns the bytes of the module sum, checked against it.
//
// A read right after the object was stored, or while the store's stream
// changes leader, can come from a replica that has not caught up with all
// its chunks ("received a corrupt object, digests do not match"): such a
// read is tried again, a few times, within ctx.
func (l *Lattice) module(ctx context.Context, sum string) ([]byte, error) {
	var err error
	for attempt, wait := 0, 100*time.Millisecond; attempt < 5; attempt, wait = attempt+1, wait*2 {
		if attempt > 0 {
			sleep(ctx, wait)
			if ctx.Err() != nil {
				break
			}
		}
		var b []byte
		b, err = l.modules.GetBytes(ctx, sum)
		if errors.Is(err, jetstream.ErrDigestMismatch) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("module sha256:%s: %w", sum, err)
		}
		d := sha256.Sum256(b)
		if got := hex.EncodeToString(d[:]); got != sum {
			err = fmt.Errorf("the object store's bytes hash to %s", got)
			continue
		}
		return b, nil
	}
	return nil, fmt.Errorf("module sha256:%s: %w", sum, err)
}

// Undeploy removes the app name from the lattice's desired state: every
// host stops it (draining its requests). Its modules stay in the object
// store.
func (l *Lattice) Undeploy(ctx context.Context, name string) error {
	if _, err := l.apps.Get(ctx, name); errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("no app %q is deployed in lattice %s", name, l.cfg.Name)
	} else if err != nil {
		return fmt.Errorf("app %s: %w", name, err)
	}
	if err := l.apps.Delete(ctx, name); err != nil {
		return fmt.Errorf("undeploy %s: %w", name, err)
	}
	return nil
}

// Apps lists the deployed apps, by name.
func (l *Lattice) Apps(ctx context.Context) ([]App, error) {
	keys, err := l.apps.Keys(ctx)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return []App{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list apps: %w", err)
	}
	out := make([]App, 0, len(keys))
	for _, k := range keys {
		e, err := l.apps.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("app %s: %w", k, err)
		}
		a, err := decodeApp(e)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b App) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// decodeApp reads an apps bucket entry.
func decodeApp(e jetstream.KeyValueEntry) (App, error) {
	var a App
	if err := json.Unmarshal(e.Value(), &a); err != nil {
		return a, fmt.Errorf("app %s: bad entry: %w", e.Key(), err)
	}
	a.Revision = e.Revision()
	return a, nil
}

// rewriteModules replaces the value of every module field of the
// manifest doc (components.*.module, components.*.libraries[].module) by
// what f returns for it, when f says ok.
func rewriteModules(doc *yaml.Node, f func(string) (string, bool)) {
	root := deref(doc)
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = deref(root.Content[0])
	}
	comps := mapValue(root, "components")
	if comps == nil || comps.Kind != yaml.MappingNode {
		return
	}
	for i := 1; i < len(comps.Content); i += 2 {
		c := deref(comps.Content[i])
		if v := mapValue(c, "module"); v != nil && v.Kind == yaml.ScalarNode {
			if s, ok := f(v.Value); ok {
				v.Value, v.Tag, v.Style = s, "!!str", 0
			}
		}
		libs := mapValue(c, "libraries")
		if libs == nil || libs.Kind != yaml.SequenceNode {
			continue
		}
		for _, it := range libs.Content {
			if v := mapValue(deref(it), "module"); v != nil && v.Kind == yaml.ScalarNode {
				if s, ok := f(v.Value); ok {
					v.Value, v.Tag, v.Style = s, "!!str", 0
				}
			}
		}
	}
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// mapValue returns the value of key in mapping n (nil when absent).
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return deref(n.Content[i+1])
		}
	}
	return nil
}

// materialise writes app's manifest and modules under dir (dir/app.yaml,
// dir/modules/<sha256>.wasm, each module checked against its digest) and
// loads the manifest.
func (l *Lattice) materialise(ctx context.Context, a App, dir string) (*manifest.App, error) {
	if err := os.MkdirAll(filepath.Join(dir, "modules"), 0o700); err != nil {
		return nil, err
	}
	for _, mod := range a.Modules {
		path := filepath.Join(dir, "modules", mod.SHA256+".wasm")
		if b, err := os.ReadFile(path); err == nil {
			if d := sha256.Sum256(b); hex.EncodeToString(d[:]) == mod.SHA256 {
				continue
			}
		}
		b, err := l.module(ctx, mod.SHA256)
		if err != nil {
			return nil, err
		}
		if err := writeFile(path, b); err != nil {
			return nil, err
		}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(a.Manifest), &doc); err != nil {
		return nil, fmt.Errorf("deployed manifest: %w", err)
	}
	var bad []string
	rewriteModules(&doc, func(v string) (string, bool) {
		sum, ok := strings.CutPrefix(v, modulePrefix)
		if !ok || !slices.ContainsFunc(a.Modules, func(m Module) bool { return m.SHA256 == sum }) {
			bad = append(bad, v)
			return "", false
		}
		return filepath.Join("modules", sum+".wasm"), true
	})
	if len(bad) > 0 {
		return nil, fmt.Errorf("deployed manifest: module %q is not a module of the deployment", bad[0])
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "app.yaml")
	if err := writeFile(path, out); err != nil {
		return nil, err
	}
	m, err := manifest.Load(path)
	if err != nil {
		return nil, err
	}
	if m.Name != a.Name {
		return nil, fmt.Errorf("deployed under %q, but the manifest's name is %q", a.Name, m.Name)
	}
	return m, nil
}

// writeFile writes b to path through a temporary file and a rename.
func writeFile(path string, b []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b) {
		return nil
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
