package manifest

import (
	"bytes"
	"cmp"
	"fmt"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/capability"
	httptrigger "github.com/wasmhive/wasmhive/trigger/http"
)

// file is the manifest being decoded, with the lines that validation after
// the walk points at.
type file struct {
	app     App
	version *yaml.Node // nil when absent
	name    *yaml.Node
	// componentsKey is the components key; nil when absent.
	componentsKey *yaml.Node
	components    []component
	routes        []route
	subs          []subscription
}

type component struct {
	key     *yaml.Node // the name
	grants  *yaml.Node // the grants key; nil when absent
	modules []module   // the component's and its libraries'
	links   []linkRef  // its links' targets, to check they exist
}

// linkRef is a link's target as written.
type linkRef struct {
	node   *yaml.Node
	target string
	path   string
}

type module struct {
	path string // absolute; "" when missing or invalid (already reported)
	line int
	file string // the field path
	lib  int    // the index in libraries; -1 for the component's module
}

type route struct {
	path, comp *yaml.Node
}

type subscription struct {
	item, comp *yaml.Node
}

// decodeFile decodes and validates a whole manifest.
func (d *decoder) decodeFile(data []byte) *App {
	root := d.document(data)
	if root == nil {
		return nil
	}
	f := &file{}
	f.app.HTTP.Listen = DefaultListen
	f.app.Providers.KeyValue.Type = "bolt"
	object(d, root, "", "field", nil, appFields, f)
	d.validate(f, root)
	f.app.Version = Version
	f.app.File = d.file
	f.app.Dir = d.dir
	return &f.app
}

var appFields = []field[file]{
	{"version", func(d *decoder, k, v *yaml.Node, p string, f *file) {
		f.version = v
		n, ok := d.integer(v, p)
		switch {
		case !ok:
		case isNull(v):
			f.version = nil
		case n != Version:
			d.add(v.Line, p, "unsupported version %d; this wasmhive reads version %d", n, Version)
		}
	}},
	{"name", func(d *decoder, k, v *yaml.Node, p string, f *file) {
		f.name = v
		s, ok := d.str(v, p)
		if !ok {
			return
		}
		if s == "" {
			f.name = nil
			return
		}
		if msg := checkName(s, "name"); msg != "" {
			d.add(v.Line, p, "%s", msg)
		}
		f.app.Name = s
	}},
	{"data_dir", func(d *decoder, k, v *yaml.Node, p string, f *file) {
		s, ok := d.str(v, p)
		if !ok || s == "" {
			return
		}
		f.app.DataDir = d.abs(s)
		if fi, err := os.Stat(f.app.DataDir); err == nil && !fi.IsDir() {
			d.add(v.Line, p, "%s is a file, not a directory", s)
		}
	}},
	{"http", func(d *decoder, k, v *yaml.Node, p string, f *file) {
		object(d, v, p, "field", nil, httpFields, f)
	}},
	{"messaging", func(d *decoder, k, v *yaml.Node, p string, f *file) {
		object(d, v, p, "field", nil, messagingFields, f)
	}},
	{"providers", func(d *decoder, k, v *yaml.Node, p string, f *file) {
		object(d, v, p, "field", nil, providersFields, &f.app.Providers)
	}},
	{"claims", func(d *decoder, k, v *yaml.Node, p string, f *file) {
		object(d, v, p, "field", nil, claimsFields, &f.app.Claims)
	}},
	{"components", func(d *decoder, k, v *yaml.Node, p string, f *file) {
		f.componentsKey = k
		pairs, _ := d.mapping(v, p)
		for _, e := range pairs {
			name := e.key.Value
			if msg := checkName(name, "component name"); msg != "" {
				d.add(e.key.Line, p, "%s", msg)
			}
			c := component{key: e.key}
			cc := compConfig{d: d, c: &c}
			present, ok := object(d, e.val, join(p, name), "field", nil, componentFields, &cc)
			if ok && present["module"] == nil {
				d.add(e.key.Line, join(join(p, name), "module"), "required: the path of the component's .wasm file")
			}
			d.checkPrivateDirDirs(&cc, join(p, name))
			if g := present["grants"]; g != nil {
				c.grants = g.key
			}
			f.components = append(f.components, c)
			f.app.Components = append(f.app.Components, Component{Name: name, Config: cc.cfg, Placement: cc.placement, Line: e.key.Line})
		}
	}},
}

var httpFields = []field[file]{
	{"listen", func(d *decoder, k, v *yaml.Node, p string, f *file) {
		s, ok := d.str(v, p)
		if !ok || s == "" {
			return
		}
		if msg := checkListen(s); msg != "" {
			d.add(v.Line, p, "%s", msg)
		}
		f.app.HTTP.Listen, f.app.HTTP.ListenLine = s, v.Line
	}},
	{"routes", func(d *decoder, k, v *yaml.Node, p string, f *file) {
		items, _ := d.list(v, p)
		for i, it := range items {
			ip := index(p, i)
			r := Route{Line: it.Line}
			rr := routeDec{r: &r}
			present, ok := object(d, it, ip, "field", nil, routeFields, &rr)
			if !ok {
				continue
			}
			if present["path"] == nil {
				d.add(it.Line, join(ip, "path"), "required: the URL path prefix the route serves, e.g. /")
			}
			if present["component"] == nil {
				d.add(it.Line, join(ip, "component"), "required: the component that serves the route")
			}
			switch {
			case r.Convention == httptrigger.WAGI && present["export"] != nil:
				d.add(present["export"].val.Line, join(ip, "export"), "a wagi route runs the module's _start; export applies to the handler convention")
			case r.Convention != httptrigger.WAGI && r.Export == "":
				r.Export = httptrigger.DefaultExport
			}
			f.app.HTTP.Routes = append(f.app.HTTP.Routes, r)
			f.routes = append(f.routes, route{path: rr.path, comp: rr.comp})
		}
	}},
}

// routeDec is a route being decoded, with the nodes validation points at.
type routeDec struct {
	r          *Route
	path, comp *yaml.Node
}

var routeFields = []field[routeDec]{
	{"path", func(d *decoder, k, v *yaml.Node, p string, r *routeDec) {
		s, ok := d.str(v, p)
		if !ok {
			return
		}
		if msg := checkRoutePath(s); msg != "" {
			d.add(v.Line, p, "%s", msg)
			return
		}
		r.r.Path, r.path = s, v
	}},
	{"component", func(d *decoder, k, v *yaml.Node, p string, r *routeDec) {
		s, ok := d.str(v, p)
		switch {
		case ok && s == "":
			d.add(v.Line, p, "required: the component that serves the route")
		case ok:
			r.r.Component, r.comp = s, v
		}
	}},
	{"convention", func(d *decoder, k, v *yaml.Node, p string, r *routeDec) {
		s, ok := d.str(v, p)
		if !ok {
			return
		}
		c, err := httptrigger.ParseConvention(s)
		if err != nil || s == "" {
			d.add(v.Line, p, "unknown convention %s; known: auto, handler, wagi, wasi-http", describe(v))
			return
		}
		r.r.Convention = c
	}},
	{"export", func(d *decoder, k, v *yaml.Node, p string, r *routeDec) {
		s, ok := d.str(v, p)
		if ok && s == "" {
			d.add(v.Line, p, "empty; leave export out for the default, %s", httptrigger.DefaultExport)
		}
		r.r.Export = s
	}},
}

var messagingFields = []field[file]{
	{"subscriptions", func(d *decoder, k, v *yaml.Node, p string, f *file) {
		items, _ := d.list(v, p)
		for i, it := range items {
			ip := index(p, i)
			s := Subscription{Line: it.Line}
			sd := subDec{s: &s}
			present, ok := object(d, it, ip, "field", nil, subscriptionFields, &sd)
			if !ok {
				continue
			}
			if present["subject"] == nil {
				d.add(it.Line, join(ip, "subject"), "required: the NATS subject (or pattern, e.g. jobs.>) to subscribe to")
			}
			if present["component"] == nil {
				d.add(it.Line, join(ip, "component"), "required: the component called for each message")
			}
			if s.Export == "" {
				s.Export = DefaultMessageExport
			}
			f.app.Messaging.Subscriptions = append(f.app.Messaging.Subscriptions, s)
			f.subs = append(f.subs, subscription{item: it, comp: sd.comp})
		}
	}},
}

// subDec is a subscription being decoded.
type subDec struct {
	s    *Subscription
	comp *yaml.Node
}

var subscriptionFields = []field[subDec]{
	{"subject", func(d *decoder, k, v *yaml.Node, p string, s *subDec) {
		str, ok := d.str(v, p)
		if !ok {
			return
		}
		if msg := checkSubject(str); msg != "" {
			d.add(v.Line, p, "%s", msg)
			return
		}
		s.s.Subject = str
	}},
	{"component", func(d *decoder, k, v *yaml.Node, p string, s *subDec) {
		str, ok := d.str(v, p)
		switch {
		case ok && str == "":
			d.add(v.Line, p, "required: the component called for each message")
		case ok:
			s.s.Component, s.comp = str, v
		}
	}},
	{"queue", func(d *decoder, k, v *yaml.Node, p string, s *subDec) {
		str, ok := d.str(v, p)
		if !ok {
			return
		}
		if msg := checkToken(str, "a queue group name"); str != "" && msg != "" {
			d.add(v.Line, p, "%s", msg)
			return
		}
		s.s.Queue = str
	}},
	{"export", func(d *decoder, k, v *yaml.Node, p string, s *subDec) {
		str, ok := d.str(v, p)
		if ok && str == "" {
			d.add(v.Line, p, "empty; leave export out for the default, %s", DefaultMessageExport)
		}
		s.s.Export = str
	}},
}

// KeyValue provider types.
var keyValueTypes = []string{"bolt", "nats", "redis"}

var providersFields = []field[wasmhive.Providers]{
	{"keyvalue", func(d *decoder, k, v *yaml.Node, p string, pr *wasmhive.Providers) {
		kv := &pr.KeyValue
		present, ok := object(d, v, p, "field", nil, keyValueProviderFields, kv)
		if !ok {
			return
		}
		if kv.Replicas != 0 && kv.Type != "nats" {
			known := true // an unknown type is reported already
			if t := present["type"]; t != nil {
				r := resolve(t.val)
				known = r != nil && (r.Value == "" || contains(keyValueTypes, r.Value))
			}
			if known {
				d.add(present["replicas"].val.Line, join(p, "replicas"), "only the nats provider keeps replicas (type: nats); %s keeps one copy", cmp.Or(kv.Type, "bolt"))
			}
		}
		switch {
		case kv.Type == "redis" && kv.URL == "":
			d.add(present["type"].val.Line, join(p, "url"), "required for the redis provider (e.g. redis://127.0.0.1:6379/0)")
		case present["url"] == nil || kv.URL == "":
		case kv.Type == "bolt":
			d.add(present["url"].val.Line, join(p, "url"), "the bolt provider takes no url: it keeps its file in data_dir")
		case kv.Type == "redis":
			if msg := checkRedisURL(kv.URL); msg != "" {
				d.add(present["url"].val.Line, join(p, "url"), "%s", msg)
			}
		case kv.Type == "nats":
			if msg := checkNATSURL(kv.URL); msg != "" {
				d.add(present["url"].val.Line, join(p, "url"), "%s", msg)
			}
		}
	}},
	{"messaging", func(d *decoder, k, v *yaml.Node, p string, pr *wasmhive.Providers) {
		m := &pr.Messaging
		present, ok := object(d, v, p, "field", nil, messagingProviderFields, m)
		if ok && m.URL != "" && m.Listen != "" {
			d.add(present["listen"].val.Line, join(p, "listen"), "listen configures the embedded NATS server, and with url set there is none")
		}
	}},
}

var keyValueProviderFields = []field[wasmhive.KeyValueProvider]{
	{"type", func(d *decoder, k, v *yaml.Node, p string, kv *wasmhive.KeyValueProvider) {
		s, ok := d.str(v, p)
		if !ok || s == "" {
			return
		}
		if !contains(keyValueTypes, s) {
			d.add(v.Line, p, "unknown keyvalue provider %q; known: %s", s, strings.Join(keyValueTypes, ", "))
			return
		}
		kv.Type = s
	}},
	{"url", func(d *decoder, k, v *yaml.Node, p string, kv *wasmhive.KeyValueProvider) {
		s, ok := d.str(v, p)
		if !ok || s == "" {
			return
		}
		kv.URL = s // checked against the type by the keyvalue field
	}},
	{"replicas", func(d *decoder, k, v *yaml.Node, p string, kv *wasmhive.KeyValueProvider) {
		if r := resolve(v); r == nil || isNull(r) {
			return // the default, 1
		}
		n, ok := d.integer(v, p)
		if !ok {
			return
		}
		if n < 1 || n > 5 {
			d.add(v.Line, p, "%d replicas: JetStream keeps 1 to 5 (3 survives the loss of one server of three)", n)
			return
		}
		kv.Replicas = n // checked against the type by the keyvalue field
	}},
}

var messagingProviderFields = []field[wasmhive.MessagingProvider]{
	{"url", func(d *decoder, k, v *yaml.Node, p string, m *wasmhive.MessagingProvider) {
		s, ok := d.str(v, p)
		if !ok {
			return
		}
		if msg := checkNATSURL(s); s != "" && msg != "" {
			d.add(v.Line, p, "%s", msg)
			return
		}
		m.URL = s
	}},
	{"listen", func(d *decoder, k, v *yaml.Node, p string, m *wasmhive.MessagingProvider) {
		s, ok := d.str(v, p)
		if !ok {
			return
		}
		if msg := checkListen(s); s != "" && msg != "" {
			d.add(v.Line, p, "%s", msg)
			return
		}
		m.Listen = s
	}},
}

// compConfig is a component being decoded.
type compConfig struct {
	d   *decoder
	c   *component
	cfg wasmhive.ComponentConfig
	// guests maps the dirs' guest paths to their lines.
	guests map[string]int
	// dirLines are the lines of cfg.Dirs.
	dirLines []int
	// privateLine is the line of private_dir.
	privateLine int
	// placement is the component's placement field (lattice-level: not
	// part of cfg).
	placement Placement
}

// latticeComponentFields are the fields of componentFields that are the
// lattice's (manifest.Component), not wasmhive.ComponentConfig's.
var latticeComponentFields = []string{"placement"}

var componentFields = []field[compConfig]{
	{"module", func(d *decoder, k, v *yaml.Node, p string, c *compConfig) {
		s, ok := d.str(v, p)
		if !ok {
			return
		}
		if s == "" {
			d.add(v.Line, p, "required: the path of the component's .wasm file")
			return
		}
		c.cfg.Module = d.module(v, p, s)
		c.c.modules = append(c.c.modules, module{path: c.cfg.Module, line: v.Line, file: p, lib: -1})
		if c.cfg.Module == "" {
			c.cfg.Module = s // reported; keep the field non-empty
		}
	}},
	{"config", func(d *decoder, k, v *yaml.Node, p string, c *compConfig) {
		d.config(v, p, &c.cfg)
	}},
	{"env", func(d *decoder, k, v *yaml.Node, p string, c *compConfig) {
		c.cfg.Env = d.strMap(v, p, func(k string) string {
			if k == "" || strings.ContainsAny(k, "=\x00") {
				return fmt.Sprintf("%q is not an environment variable name", k)
			}
			return ""
		})
	}},
	{"dirs", func(d *decoder, k, v *yaml.Node, p string, c *compConfig) {
		items, _ := d.list(v, p)
		for i, it := range items {
			ip := index(p, i)
			var dir wasmhive.Dir
			present, ok := object(d, it, ip, "field", nil, dirFields, &dir)
			if !ok {
				continue
			}
			if dir.Host == "" {
				if present["host"] == nil {
					d.add(it.Line, join(ip, "host"), "required: the host directory to expose")
				}
				continue
			}
			guest := dir.Guest
			if guest == "" {
				guest = dir.Host
			}
			if c.guests == nil {
				c.guests = map[string]int{}
			}
			if first, dup := c.guests[guest]; dup {
				d.add(it.Line, ip, "guest path %s is already mapped at line %d", guest, first)
			} else {
				c.guests[guest] = it.Line
			}
			c.cfg.Dirs = append(c.cfg.Dirs, dir)
			c.dirLines = append(c.dirLines, it.Line)
		}
	}},
	{"private_dir", func(d *decoder, k, v *yaml.Node, p string, c *compConfig) {
		s, ok := d.str(v, p)
		if !ok || s == "" {
			return
		}
		if msg := checkPrivateDir(s); msg != "" {
			d.add(resolve(v).Line, p, "%s", msg)
			return
		}
		c.cfg.PrivateDir, c.privateLine = s, resolve(v).Line
	}},
	{"grants", func(d *decoder, k, v *yaml.Node, p string, c *compConfig) {
		object(d, v, p, "capability", capability.Names, grantFields, &c.cfg.Grants)
	}},
	{"limits", func(d *decoder, k, v *yaml.Node, p string, c *compConfig) {
		object(d, v, p, "field", nil, limitsFields, &c.cfg.Limits)
	}},
	{"instances", func(d *decoder, k, v *yaml.Node, p string, c *compConfig) {
		in := &c.cfg.Instances
		present, ok := object(d, v, p, "field", nil, instancesFields, in)
		if ok && in.Max > 0 && in.Min > in.Max {
			d.add(present["min"].val.Line, join(p, "min"), "min %d is more than max %d", in.Min, in.Max)
		}
	}},
	{"links", func(d *decoder, k, v *yaml.Node, p string, c *compConfig) {
		pairs, _ := d.mapping(v, p)
		for _, pr := range pairs {
			if !d.visit() {
				break
			}
			iface := pr.key.Value
			ip := join(p, iface)
			if msg := checkInterface(iface); msg != "" {
				d.add(pr.key.Line, p, "%s", msg)
				continue
			}
			l := wasmhive.Link{Interface: iface}
			val := resolve(pr.val)
			var targetNode *yaml.Node
			if val != nil && val.Kind == yaml.ScalarNode && !isNull(val) {
				l.Target, _ = d.str(val, ip)
				targetNode = val
			} else {
				present, ok := object(d, val, ip, "field", nil, linkFields, &l)
				if !ok {
					continue
				}
				if present["to"] == nil {
					d.add(pr.key.Line, join(ip, "to"), "required: the component that exports %s", iface)
					continue
				}
				targetNode = present["to"].val
			}
			if l.Target == "" {
				d.add(pr.key.Line, ip, "required: the component that exports %s (links: {%s: COMPONENT})", iface, iface)
				continue
			}
			c.c.links = append(c.c.links, linkRef{node: targetNode, target: l.Target, path: ip})
			c.cfg.Links = append(c.cfg.Links, l)
		}
	}},
	{"libraries", func(d *decoder, k, v *yaml.Node, p string, c *compConfig) {
		items, _ := d.list(v, p)
		seen := map[string]int{}
		for i, it := range items {
			ip := index(p, i)
			lib := libDec{c: c, index: len(c.cfg.Libraries)}
			present, ok := object(d, it, ip, "field", nil, libraryFields, &lib)
			if !ok {
				continue
			}
			if lib.lib.Name == "" && present["name"] == nil {
				d.add(it.Line, join(ip, "name"), "required: the import module name the library serves")
			}
			if lib.lib.Module == "" && present["module"] == nil {
				d.add(it.Line, join(ip, "module"), "required: the path of the library's .wasm file")
			}
			if lib.lib.Name != "" {
				if first, dup := seen[lib.lib.Name]; dup {
					d.add(present["name"].val.Line, join(ip, "name"), "library %q is already defined at line %d", lib.lib.Name, first)
				}
				seen[lib.lib.Name] = it.Line
			}
			c.cfg.Libraries = append(c.cfg.Libraries, lib.lib)
		}
	}},
	{"placement", func(d *decoder, k, v *yaml.Node, p string, c *compConfig) {
		object(d, v, p, "field", nil, placementFields, &c.placement)
	}},
}

var placementFields = []field[Placement]{
	{"labels", func(d *decoder, k, v *yaml.Node, p string, pl *Placement) {
		pl.Labels = d.strMap(v, p, func(k string) string {
			if k == "" || strings.ContainsAny(k, "=,") {
				return fmt.Sprintf("label %q: want a name without '=' or ','", k)
			}
			return ""
		})
	}},
	{"instances", func(d *decoder, k, v *yaml.Node, p string, pl *Placement) {
		pl.Instances = d.count(v, p)
		if pl.Instances > MaxPlacedInstances {
			d.add(resolve(v).Line, p, "%d instances: at most %d", pl.Instances, MaxPlacedInstances)
			pl.Instances = 0
		}
	}},
}

// MaxPlacedInstances bounds placement.instances.
const MaxPlacedInstances = 100000

var dirFields = []field[wasmhive.Dir]{
	{"host", func(d *decoder, k, v *yaml.Node, p string, dir *wasmhive.Dir) {
		s, ok := d.str(v, p)
		if !ok {
			return
		}
		if s == "" {
			d.add(v.Line, p, "required: the host directory to expose")
			return
		}
		abs := d.abs(s)
		fi, err := os.Stat(abs)
		switch {
		case err != nil && os.IsNotExist(err):
			d.add(v.Line, p, "%s", d.missing(s, "directory"))
		case err != nil:
			d.add(v.Line, p, "%s: %v", s, unwrapPath(err))
		case !fi.IsDir():
			d.add(v.Line, p, "%s is a file, not a directory", s)
		}
		dir.Host = abs
	}},
	{"guest", func(d *decoder, k, v *yaml.Node, p string, dir *wasmhive.Dir) {
		s, ok := d.str(v, p)
		if !ok || s == "" {
			return
		}
		if !path.IsAbs(s) {
			d.add(v.Line, p, "guest path %q must be absolute (e.g. /data)", s)
			return
		}
		dir.Guest = s
	}},
	{"read_only", func(d *decoder, k, v *yaml.Node, p string, dir *wasmhive.Dir) {
		dir.ReadOnly, _ = d.boolean(v, p)
	}},
}

// libDec is a library being decoded.
type libDec struct {
	c     *compConfig
	index int
	lib   wasmhive.Library
}

var libraryFields = []field[libDec]{
	{"name", func(d *decoder, k, v *yaml.Node, p string, l *libDec) {
		s, ok := d.str(v, p)
		if ok && s == "" {
			d.add(v.Line, p, "required: the import module name the library serves")
		}
		l.lib.Name = s
	}},
	{"module", func(d *decoder, k, v *yaml.Node, p string, l *libDec) {
		s, ok := d.str(v, p)
		if !ok {
			return
		}
		if s == "" {
			d.add(v.Line, p, "required: the path of the library's .wasm file")
			return
		}
		l.lib.Module = d.module(v, p, s)
		l.c.c.modules = append(l.c.c.modules, module{path: l.lib.Module, line: v.Line, file: p, lib: l.index})
		if l.lib.Module == "" {
			l.lib.Module = s
		}
	}},
}

// grantFields decode grants; their names are capability.Names.
var grantFields = []field[wasmhive.Grants]{
	{capability.KeyValue, func(d *decoder, k, v *yaml.Node, p string, g *wasmhive.Grants) {
		g.KeyValue = &wasmhive.KeyValueGrant{}
		object(d, v, p, "field", nil, keyValueGrantFields, g.KeyValue)
	}},
	{capability.HTTP, func(d *decoder, k, v *yaml.Node, p string, g *wasmhive.Grants) {
		g.HTTP = &wasmhive.HTTPGrant{}
		object(d, v, p, "field", nil, httpGrantFields, g.HTTP)
	}},
	{capability.Messaging, func(d *decoder, k, v *yaml.Node, p string, g *wasmhive.Grants) {
		g.Messaging = &wasmhive.MessagingGrant{}
		object(d, v, p, "field", nil, messagingGrantFields, g.Messaging)
	}},
	{capability.Config, func(d *decoder, k, v *yaml.Node, p string, g *wasmhive.Grants) {
		g.Config = &wasmhive.ConfigGrant{}
		object(d, v, p, "field", nil, []field[wasmhive.ConfigGrant]{}, g.Config)
	}},
	{capability.Logging, func(d *decoder, k, v *yaml.Node, p string, g *wasmhive.Grants) {
		g.Logging = &wasmhive.LoggingGrant{}
		object(d, v, p, "field", nil, []field[wasmhive.LoggingGrant]{}, g.Logging)
	}},
}

var keyValueGrantFields = []field[wasmhive.KeyValueGrant]{
	{"bucket", func(d *decoder, k, v *yaml.Node, p string, g *wasmhive.KeyValueGrant) {
		s, ok := d.str(v, p)
		if !ok || s == "" {
			return
		}
		if !bucketName.MatchString(s) {
			d.add(v.Line, p, "bucket %q: use letters, digits, '-' and '_'", s)
			return
		}
		g.Bucket = s
	}},
}

var httpGrantFields = []field[wasmhive.HTTPGrant]{
	{"allowed_hosts", func(d *decoder, k, v *yaml.Node, p string, g *wasmhive.HTTPGrant) {
		g.AllowedHosts = d.strList(v, p, checkHostGlob)
	}},
	{"timeout", func(d *decoder, k, v *yaml.Node, p string, g *wasmhive.HTTPGrant) {
		g.Timeout, _ = d.duration(v, p)
	}},
	{"max_response_bytes", func(d *decoder, k, v *yaml.Node, p string, g *wasmhive.HTTPGrant) {
		g.MaxResponseBytes, _ = d.size(v, p)
	}},
}

var messagingGrantFields = []field[wasmhive.MessagingGrant]{
	{"subjects", func(d *decoder, k, v *yaml.Node, p string, g *wasmhive.MessagingGrant) {
		g.Subjects = d.strList(v, p, checkSubject)
	}},
	{"timeout", func(d *decoder, k, v *yaml.Node, p string, g *wasmhive.MessagingGrant) {
		g.Timeout, _ = d.duration(v, p)
	}},
}

var limitsFields = []field[wasmhive.Limits]{
	{"memory", func(d *decoder, k, v *yaml.Node, p string, l *wasmhive.Limits) {
		s, ok := d.size(v, p)
		if ok && s != 0 && s < 64<<10 {
			d.add(v.Line, p, "%s is less than one WebAssembly page (64KiB)", s)
			return
		}
		l.Memory = s
	}},
	{"timeout", func(d *decoder, k, v *yaml.Node, p string, l *wasmhive.Limits) {
		l.Timeout, _ = d.duration(v, p)
	}},
	{"fuel", func(d *decoder, k, v *yaml.Node, p string, l *wasmhive.Limits) {
		l.Fuel = uint64(d.count(v, p))
	}},
	{"max_var_bytes", func(d *decoder, k, v *yaml.Node, p string, l *wasmhive.Limits) {
		l.MaxVarBytes, _ = d.size(v, p)
	}},
	{"request_bytes", func(d *decoder, k, v *yaml.Node, p string, l *wasmhive.Limits) {
		l.RequestBytes, _ = d.size(v, p)
	}},
	{"response_bytes", func(d *decoder, k, v *yaml.Node, p string, l *wasmhive.Limits) {
		l.ResponseBytes, _ = d.size(v, p)
	}},
	{"keyvalue_value_bytes", func(d *decoder, k, v *yaml.Node, p string, l *wasmhive.Limits) {
		l.KeyValueValueBytes, _ = d.size(v, p)
	}},
	{"keyvalue_keys_per_call", func(d *decoder, k, v *yaml.Node, p string, l *wasmhive.Limits) {
		l.KeyValueKeysPerCall = d.count(v, p)
	}},
	{"http_requests_per_call", func(d *decoder, k, v *yaml.Node, p string, l *wasmhive.Limits) {
		l.HTTPRequestsPerCall = d.count(v, p)
	}},
	{"messages_per_second", func(d *decoder, k, v *yaml.Node, p string, l *wasmhive.Limits) {
		l.MessagesPerSecond = d.count(v, p)
	}},
}

var linkFields = []field[wasmhive.Link]{
	{"to", func(d *decoder, k, v *yaml.Node, p string, l *wasmhive.Link) {
		l.Target, _ = d.str(v, p)
	}},
	{"timeout", func(d *decoder, k, v *yaml.Node, p string, l *wasmhive.Link) {
		l.Timeout, _ = d.duration(v, p)
	}},
	{"instances", func(d *decoder, k, v *yaml.Node, p string, l *wasmhive.Link) {
		in := &l.Instances
		present, ok := object(d, v, p, "field", nil, instancesFields, in)
		if ok && in.Max > 0 && in.Min > in.Max {
			d.add(present["min"].val.Line, join(p, "min"), "min %d is more than max %d", in.Min, in.Max)
		}
	}},
}

// checkInterface checks a linked interface's name: an import module name,
// such as wasmhive:keyvalue/atomics or acme:orders/pricing.
func checkInterface(s string) string {
	switch {
	case s == "":
		return "a link needs an interface: the import module name (e.g. wasmhive:keyvalue/atomics)"
	case len(s) > 256:
		return fmt.Sprintf("interface name of %d bytes; at most 256", len(s))
	case strings.ContainsAny(s, " \t\r\n#\x00"):
		return fmt.Sprintf("%q is not an interface name: no spaces, control characters or '#'", s)
	}
	return ""
}

var instancesFields = []field[wasmhive.Instances]{
	{"min", func(d *decoder, k, v *yaml.Node, p string, in *wasmhive.Instances) {
		in.Min = d.count(v, p)
	}},
	{"max", func(d *decoder, k, v *yaml.Node, p string, in *wasmhive.Instances) {
		in.Max = d.count(v, p)
	}},
	{"fresh", func(d *decoder, k, v *yaml.Node, p string, in *wasmhive.Instances) {
		in.Fresh, _ = d.boolean(v, p)
	}},
	{"idle_timeout", func(d *decoder, k, v *yaml.Node, p string, in *wasmhive.Instances) {
		in.IdleTimeout, _ = d.duration(v, p)
	}},
	{"queue", func(d *decoder, k, v *yaml.Node, p string, in *wasmhive.Instances) {
		in.Queue, _ = d.integer(v, p) // negative means no call may wait (0: 4 x max)
	}},
	{"queue_timeout", func(d *decoder, k, v *yaml.Node, p string, in *wasmhive.Instances) {
		in.QueueTimeout, _ = d.anyDuration(v, p, true) // negative means as long as the caller's context allows
	}},
}

// count reads a non-negative integer.
func (d *decoder) count(v *yaml.Node, p string) int {
	n, ok := d.integer(v, p)
	if ok && n < 0 {
		d.add(resolve(v).Line, p, "%d is negative", n)
		return 0
	}
	return n
}

// abs resolves a path of the manifest against its directory.
func (d *decoder) abs(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(d.dir, p)
}

// missing words a path that does not exist.
func (d *decoder) missing(p, what string) string {
	if filepath.IsAbs(p) {
		return fmt.Sprintf("%s: no such %s", p, what)
	}
	return fmt.Sprintf("%s: no such %s (relative paths start at the manifest's directory, %s)", p, what, d.dir)
}

// wasmMagic starts every WebAssembly binary, module or component.
var wasmMagic = []byte("\x00asm")

// module checks that the module file p (the value v) is a WebAssembly
// binary and returns its absolute path, or "" (recorded).
func (d *decoder) module(v *yaml.Node, field, p string) string {
	abs := d.abs(p)
	fi, err := os.Stat(abs)
	switch {
	case err != nil && os.IsNotExist(err):
		d.add(v.Line, field, "%s", d.missing(p, "file"))
		return ""
	case err != nil:
		d.add(v.Line, field, "%s: %v", p, unwrapPath(err))
		return ""
	case fi.IsDir():
		d.add(v.Line, field, "%s is a directory, not a .wasm file", p)
		return ""
	case !fi.Mode().IsRegular():
		d.add(v.Line, field, "%s is not a regular file", p)
		return ""
	}
	fh, err := os.Open(abs)
	if err != nil {
		d.add(v.Line, field, "%s: %v", p, unwrapPath(err))
		return ""
	}
	defer fh.Close()
	head := make([]byte, len(wasmMagic))
	if n, _ := fh.Read(head); n < len(head) || !bytes.Equal(head, wasmMagic) {
		d.add(v.Line, field, "%s is not a WebAssembly binary (it does not start with \\0asm)", p)
		return ""
	}
	return abs
}

// unwrapPath drops the path of a *PathError (the message names it already).
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

var (
	namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	bucketName  = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

// checkName checks an app or component name (what names it).
func checkName(s, what string) string {
	if !namePattern.MatchString(s) || len(s) > 63 {
		return fmt.Sprintf("%q is not a valid %s: use lowercase letters, digits and '-', starting with a letter or digit, at most 63 characters", s, what)
	}
	return ""
}

// checkListen checks a TCP listen address.
func checkListen(s string) string {
	host, port, err := net.SplitHostPort(s)
	n, perr := strconv.Atoi(port)
	if err != nil || perr != nil || n < 0 || n > 65535 || strings.ContainsAny(host, " \t/") {
		return fmt.Sprintf("%q is not host:port (e.g. 127.0.0.1:8080, :8080, [::1]:8080)", s)
	}
	return ""
}

// checkRoutePath checks a route's path prefix.
func checkRoutePath(s string) string {
	switch {
	case s == "":
		return "required: the URL path prefix the route serves, e.g. /"
	case !strings.HasPrefix(s, "/"):
		return fmt.Sprintf("%q must start with /", s)
	case strings.ContainsAny(s, "?#") || strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return fmt.Sprintf("%q is not a URL path prefix (no query, fragment or spaces)", s)
	case path.Clean(s) != s:
		return fmt.Sprintf("%q is not a clean path; write %q (it also matches everything under it)", s, path.Clean(s))
	case s == httptrigger.HealthPath || strings.HasPrefix(s, httptrigger.HealthPath+"/"):
		return fmt.Sprintf("%s is wasmhive's own health check", s)
	}
	return ""
}

// checkToken checks a NATS name (queue group) for what breaks the protocol.
func checkToken(s, what string) string {
	if s == "" || strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return fmt.Sprintf("%q is not %s (no spaces)", s, what)
	}
	return ""
}

// checkSubject checks a NATS subject or subject pattern.
func checkSubject(s string) string {
	if msg := checkToken(s, "a NATS subject"); msg != "" {
		return msg
	}
	toks := strings.Split(s, ".")
	for i, t := range toks {
		switch {
		case t == "":
			return fmt.Sprintf("%q is not a NATS subject (empty token)", s)
		case t == ">" && i != len(toks)-1:
			return fmt.Sprintf("%q is not a NATS subject pattern: > must be the last token", s)
		case t != "*" && t != ">" && strings.ContainsAny(t, "*>"):
			return fmt.Sprintf("%q is not a NATS subject pattern: * and > are whole tokens (jobs.*, jobs.>)", s)
		}
	}
	return ""
}

// checkHostGlob checks an allowed_hosts entry.
func checkHostGlob(s string) string {
	if s == "" || strings.Contains(s, "://") || strings.ContainsAny(s, "/ \t") {
		return fmt.Sprintf("%q is not a host name or glob (api.example.com, *.example.com, *)", s)
	}
	return ""
}

// checkNATSURL checks a NATS server URL, or a comma-separated list of them.
func checkNATSURL(s string) string {
	for _, u := range strings.Split(s, ",") {
		u = strings.TrimSpace(u)
		if !strings.Contains(u, "://") {
			if _, _, err := net.SplitHostPort(u); err != nil {
				return fmt.Sprintf("%q is not a NATS URL (nats://host:4222)", s)
			}
			continue
		}
		pu, err := url.Parse(u)
		if err != nil || pu.Host == "" || !contains([]string{"nats", "tls", "ws", "wss"}, pu.Scheme) {
			return fmt.Sprintf("%q is not a NATS URL (nats://host:4222)", s)
		}
	}
	return ""
}

// checkRedisURL checks a Redis URL.
func checkRedisURL(s string) string {
	pu, err := url.Parse(s)
	if err != nil || !(((pu.Scheme == "redis" || pu.Scheme == "rediss") && pu.Host != "") || (pu.Scheme == "unix" && pu.Path != "")) {
		return fmt.Sprintf("%q is not a redis URL (redis://host:6379/0)", s)
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
