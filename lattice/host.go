package lattice

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	goruntime "runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/app"
	"github.com/wasmhive/wasmhive/capability/keyvalue"
	"github.com/wasmhive/wasmhive/capability/keyvalue/natskv"
	"github.com/wasmhive/wasmhive/capability/messaging/natsbroker"
	"github.com/wasmhive/wasmhive/internal/version"
	"github.com/wasmhive/wasmhive/manifest"
	"github.com/wasmhive/wasmhive/trigger"
)

// ServeConfig configures Serve. The zero value is the defaults.
type ServeConfig struct {
	// Listen is the address the host serves apps' HTTP routes on, instead
	// of their manifests' http.listen; "" keeps theirs. One app with
	// routes per host: a second one is refused (logged, and "refused" in
	// the host's entry).
	Listen string
	// KeyValueReplicas is how many servers of a clustered JetStream keep
	// each keyvalue bucket the apps open (1, 3 or 5); 0 means 1. A bucket
	// that exists keeps its own.
	KeyValueReplicas int
	// Logger receives the apps' logs; nil means Join's logger.
	Logger *slog.Logger
	// AccessLog receives a line per HTTP request; nil means Logger.
	AccessLog *slog.Logger
	// NoCache turns the compilation cache off.
	NoCache bool
	// ShutdownTimeout bounds the drain of an app's requests in flight when
	// it stops; 0 means 30s.
	ShutdownTimeout time.Duration
}

// Serve runs this host until ctx is done: it heartbeats its HostInfo into
// the hosts bucket and reconciles the apps it runs with the apps bucket.
// A host runs the components of a deployed app that are placed on it
// (Placed: their placement labels match the host's Config.Labels; no
// placement is every host) and serves their remote invocations
// (InvokeSubject); it serves the app's HTTP routes whether or not it runs
// their components, calling those it does not run across the lattice. An
// app of which it runs nothing and that has no routes is not started
// there. An app put into the bucket is materialised under
// DataDir/apps/<name> (its modules checked against their digests), loaded
// and started with app.Start, its keyvalue on the
// lattice's JetStream (buckets wasmhive-<lattice>-kv-<bucket>, shared by
// every host) and its messaging on the lattice's NATS; a new revision
// that changes only components (and not which run here) is applied with
// app.Reload, any other change restarts the app; an app deleted from the bucket is drained and
// stopped. A failure is one log line; the loop goes on.
//
// When ctx is done, Serve drains and stops every app and deletes the
// host's entry (the host leaves the lattice). It returns nil then.
func (l *Lattice) Serve(ctx context.Context, sc ServeConfig) error {
	if l.id == "" {
		return errors.New("serve: a lattice client (Connect) is not a host; use Join")
	}
	switch sc.KeyValueReplicas {
	case 0:
		sc.KeyValueReplicas = 1
	case 1, 3, 5:
	default:
		return fmt.Errorf("keyvalue replicas %d: want 1, 3 or 5", sc.KeyValueReplicas)
	}
	if sc.Logger == nil {
		sc.Logger = l.log
	}
	h := &host{l: l, sc: sc, log: l.log, apps: map[string]*running{},
		members: newMembers(Member{ID: l.id, Labels: l.cfg.Labels}),
		info: HostInfo{ID: l.id, Lattice: l.cfg.Name, Labels: l.cfg.Labels, Version: version.String(),
			NATS: l.ClientURL(), Cluster: l.ClusterURL(), HTTP: sc.Listen, Started: time.Now().UTC(), Heartbeat: l.cfg.Heartbeat}}
	h.heartbeat(ctx)
	mDone := make(chan struct{})
	go func() {
		defer close(mDone)
		h.members.follow(ctx, l.hosts, max(l.cfg.Heartbeat/2, 100*time.Millisecond))
	}()
	hbDone := make(chan struct{})
	go func() {
		defer close(hbDone)
		t := time.NewTicker(l.cfg.Heartbeat)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				h.heartbeat(ctx)
			}
		}
	}()
	h.reconcile(ctx)
	<-hbDone
	<-mDone
	h.leave(context.WithoutCancel(ctx))
	return nil
}

// host is Serve's state.
type host struct {
	l   *Lattice
	sc  ServeConfig
	log *slog.Logger

	mu       sync.Mutex // guards apps and the fields of each running
	apps     map[string]*running
	info     HostInfo // the constant part of the entry
	hbFailed bool     // the last heartbeat failed (logged once)

	httpOwner string // the app holding the HTTP listener (reconcile's goroutine only)

	members *members // the live hosts, for placement
}

// running is one deployed app on this host.
type running struct {
	name   string
	rev    uint64
	dep    App // the deployment at rev ("" Name when it could not be read)
	state  string
	err    string
	m      *manifest.App
	app    *app.App
	store  keyvalue.Store
	broker *natsbroker.Broker
	url    string
	// local are the components of m placed on this host, with their
	// instances (Placed); srv serves their remote invocations.
	local map[string]int
	srv   *invokeServer
	view  *appView // the manifest its invoker, Remote and srv follow
}

// notPlaced is the state of an app of which this host runs nothing (no
// component placed on it, no HTTP routes): not listed in its entry.
const notPlaced = "not-placed"

// reconcile follows the apps bucket until ctx is done.
func (h *host) reconcile(ctx context.Context) {
	for ctx.Err() == nil {
		w, err := h.l.apps.WatchAll(ctx)
		if err != nil {
			if ctx.Err() == nil {
				h.log.Warn("watch the apps bucket (retrying)", "error", err)
				sleep(ctx, time.Second)
			}
			continue
		}
	follow:
		for {
			select {
			case <-ctx.Done():
				break follow
			case e, ok := <-w.Updates():
				if !ok {
					break follow // the watcher ended: watch again
				}
				if e == nil {
					continue // the end of the initial values
				}
				h.apply(ctx, e)
			case <-h.members.changed:
				h.replace(ctx)
			}
		}
		w.Stop()
	}
	h.stopAll(context.WithoutCancel(ctx))
}

// apply makes this host follow one change of the apps bucket.
func (h *host) apply(ctx context.Context, e jetstream.KeyValueEntry) {
	name := e.Key()
	h.mu.Lock()
	r := h.apps[name]
	h.mu.Unlock()
	if e.Operation() != jetstream.KeyValuePut {
		if r != nil {
			h.stop(ctx, r, "undeployed")
		}
		return
	}
	a, err := decodeApp(e)
	if err != nil {
		h.log.Error("deployed app", "app", name, "error", err)
		return
	}
	if r != nil && r.rev >= a.Revision {
		return // seen already
	}
	h.deploy(ctx, r, a)
}

// replace applies the placement of every app again, for the live hosts
// of now (a host joined, left or went stale).
func (h *host) replace(ctx context.Context) {
	h.mu.Lock()
	rs := make([]*running, 0, len(h.apps))
	for _, r := range h.apps {
		if r.dep.Name != "" {
			rs = append(rs, r)
		}
	}
	h.mu.Unlock()
	slices.SortFunc(rs, func(a, b *running) int { return strings.Compare(a.name, b.name) })
	for _, r := range rs {
		h.deploy(ctx, r, r.dep)
	}
}

// deploy starts a, or moves r, its running version, to a (or to a's
// placement for the live hosts of now, when r runs a already).
func (h *host) deploy(ctx context.Context, r *running, a App) {
	start := time.Now()
	dir := filepath.Join(h.l.dataDir, "apps", a.Name)
	m, err := h.l.materialise(ctx, a, dir)
	if err != nil {
		h.failed(r, a, "materialise", err)
		return
	}
	local := Placed(m, h.members.self, h.members.Live())
	if r != nil && r.rev == a.Revision && r.state != "failed" && maps.Equal(r.local, local) {
		return // placed as it is
	}
	if len(local) == 0 && len(m.HTTP.Routes) == 0 {
		if r != nil && r.state == notPlaced {
			return
		}
		if r != nil {
			h.stop(ctx, r, "no component placed on this host at revision "+fmt.Sprint(a.Revision))
		}
		h.set(&running{name: a.Name, rev: a.Revision, dep: a, state: notPlaced, m: m, local: local})
		h.log.Info("app not placed on this host", "app", a.Name, "revision", a.Revision, "components", len(m.Components))
		return
	}
	if r != nil && r.app != nil && !h.needsRestart(localManifest(r.m, r.local), localManifest(m, local)) && !remoteChanged(r.m, m, r.local, local) {
		h.reload(ctx, r, a, m, local)
		return
	}
	if r != nil {
		h.stop(ctx, r, "restart for revision "+fmt.Sprint(a.Revision))
	}
	if len(m.HTTP.Routes) > 0 && h.httpOwner != "" && h.httpOwner != a.Name {
		msg := fmt.Sprintf("its HTTP routes need this host's HTTP listener, which app %s holds (one app with routes per host for now)", h.httpOwner)
		h.log.Error("app refused", "app", a.Name, "revision", a.Revision, "error", msg)
		h.set(&running{name: a.Name, rev: a.Revision, dep: a, state: "refused", err: msg, local: local})
		return
	}
	store, err := natskv.New(ctx, h.l.nc, natskv.Options{Replicas: h.sc.KeyValueReplicas})
	if err != nil {
		h.failedPlaced(a, local, "keyvalue", err)
		return
	}
	ls := &latticeStore{l: h.l, kv: store}
	broker := natsbroker.New(h.l.nc, natsbroker.Config{Logger: h.sc.Logger.With("app", a.Name, "provider", "messaging")})
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
		h.failedPlaced(a, local, "data directory", err)
		return
	}
	view := newAppView(a.Name, h.l.id, m)
	run, err := app.Start(ctx, localManifest(m, local), app.Config{
		Logger: h.sc.Logger.With("app", a.Name), AccessLog: h.sc.AccessLog, Listen: h.sc.Listen,
		DataDir: filepath.Join(dir, "data"), NoCache: h.sc.NoCache, ShutdownTimeout: h.sc.ShutdownTimeout,
		KeyValue: ls, Messaging: broker, Remote: &remote{l: h.l, v: view},
		Invoker: func(hst *wasmhive.Host) trigger.Invoker {
			return &appInvoker{l: h.l, v: view, h: hst}
		},
	})
	if err != nil {
		broker.Close()
		ls.Close()
		h.failedPlaced(a, local, "start", err)
		return
	}
	names := slices.Sorted(maps.Keys(local))
	srv, err := h.l.serveInvocations(view, run.Host(), names, h.log)
	if err != nil {
		run.Shutdown(ctx)
		broker.Close()
		ls.Close()
		h.failedPlaced(a, local, "start", err)
		return
	}
	nr := &running{name: a.Name, rev: a.Revision, dep: a, state: "running", m: m, app: run, store: ls, broker: broker, local: local, srv: srv, view: view}
	attrs := []any{"app", a.Name, "revision", a.Revision, "components", placedString(local)}
	if addr := run.Addr(); addr != nil {
		nr.url = "http://" + addr.String()
		h.httpOwner = a.Name
		attrs = append(attrs, "url", nr.url)
	}
	h.set(nr)
	h.log.Info("app started", append(attrs, "took", time.Since(start).Round(time.Millisecond))...)
}

// reload moves r to revision a (manifest m) with local placed here,
// while it serves: the invocations of the components that leave this
// host stop coming first (their subscriptions drained), app.Reload swaps,
// adds and removes components, then the components new here take
// invocations.
func (h *host) reload(ctx context.Context, r *running, a App, m *manifest.App, local map[string]int) {
	var gone, added []string
	for n := range r.local {
		if _, ok := local[n]; !ok {
			gone = append(gone, n)
		}
	}
	for n := range local {
		if _, ok := r.local[n]; !ok {
			added = append(added, n)
		}
	}
	slices.Sort(gone)
	slices.Sort(added)
	r.srv.remove(gone, h.shutdownTimeout())
	r.view.m.Store(m) // the links' checks see the targets elsewhere as m has them
	res, err := r.app.Reload(ctx, localManifest(m, local))
	if err != nil {
		r.view.m.Store(r.m)
		if err := r.srv.add(gone); err != nil {
			h.log.Error("resubscribe for invocations", "app", a.Name, "error", err)
		}
		h.log.Error("reload failed; the previous revision keeps running", "app", a.Name, "revision", a.Revision, "running", r.rev, "error", oneLine(err))
		h.mu.Lock()
		r.err = fmt.Sprintf("revision %d: %s", a.Revision, oneLine(err))
		h.mu.Unlock()
		return
	}
	if err := r.srv.add(added); err != nil {
		h.log.Error("subscribe for invocations", "app", a.Name, "error", err)
	}
	h.mu.Lock()
	placed := !maps.Equal(r.local, local)
	r.rev, r.dep, r.m, r.local, r.err = a.Revision, a, m, local, ""
	h.mu.Unlock()
	attrs := append([]any{"app", a.Name, "revision", a.Revision}, res.Attrs()...)
	if placed {
		attrs = append(attrs, "placed", placedString(local))
	}
	h.log.Info("app reloaded", attrs...)
}

// placedString formats a placement as "a,b=2" (a share after "=").
func placedString(local map[string]int) string {
	var parts []string
	for _, n := range slices.Sorted(maps.Keys(local)) {
		if local[n] > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", n, local[n]))
		} else {
			parts = append(parts, n)
		}
	}
	return strings.Join(parts, ",")
}

func (h *host) shutdownTimeout() time.Duration {
	if h.sc.ShutdownTimeout > 0 {
		return h.sc.ShutdownTimeout
	}
	return 30 * time.Second
}

// failed records that revision a could not be applied: the running
// version (r, if any) keeps running, otherwise the app is "failed".
func (h *host) failed(r *running, a App, what string, err error) {
	msg := oneLine(err)
	h.log.Error("app failed", "app", a.Name, "revision", a.Revision, "step", what, "error", msg)
	h.mu.Lock()
	defer h.mu.Unlock()
	if r != nil && r.app != nil {
		r.err = fmt.Sprintf("revision %d: %s: %s", a.Revision, what, msg)
		return
	}
	h.apps[a.Name] = &running{name: a.Name, rev: a.Revision, state: "failed", err: what + ": " + msg}
}

// failedPlaced is failed for a revision whose placement on this host is
// known: the entry lists the components placed here (AppStatus.Placed).
func (h *host) failedPlaced(a App, local map[string]int, what string, err error) {
	h.failed(nil, a, what, err)
	h.mu.Lock()
	if r := h.apps[a.Name]; r != nil && r.app == nil && r.rev == a.Revision {
		r.local, r.dep = local, a
	}
	h.mu.Unlock()
}

func (h *host) set(r *running) {
	h.mu.Lock()
	h.apps[r.name] = r
	h.mu.Unlock()
}

// stop drains and stops r and forgets it.
func (h *host) stop(ctx context.Context, r *running, why string) {
	h.mu.Lock()
	if h.apps[r.name] == r {
		delete(h.apps, r.name)
	}
	h.mu.Unlock()
	if h.httpOwner == r.name {
		h.httpOwner = ""
	}
	if r.app == nil {
		return
	}
	if r.srv != nil {
		r.srv.close(h.shutdownTimeout())
	}
	err := r.app.Shutdown(ctx)
	r.broker.Close()
	r.store.Close()
	if err != nil {
		h.log.Error("app stopped", "app", r.name, "revision", r.rev, "why", why, "error", oneLine(err))
		return
	}
	h.log.Info("app stopped", "app", r.name, "revision", r.rev, "why", why)
}

// stopAll drains and stops every app at once.
func (h *host) stopAll(ctx context.Context) {
	h.mu.Lock()
	rs := make([]*running, 0, len(h.apps))
	for _, r := range h.apps {
		rs = append(rs, r)
	}
	h.mu.Unlock()
	var wg sync.WaitGroup
	for _, r := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.stop(ctx, r, "host stopping")
		}()
	}
	wg.Wait()
}

// needsRestart reports whether going from o to m changes more than the
// components (what app.Reload applies).
func (h *host) needsRestart(o, m *manifest.App) bool {
	strip := func(a *manifest.App) (manifest.HTTP, manifest.Messaging) {
		hh := manifest.HTTP{Listen: a.HTTP.Listen}
		if h.sc.Listen != "" {
			hh.Listen = ""
		}
		for _, r := range a.HTTP.Routes {
			r.Line = 0
			hh.Routes = append(hh.Routes, r)
		}
		var ms manifest.Messaging
		for _, s := range a.Messaging.Subscriptions {
			s.Line = 0
			ms.Subscriptions = append(ms.Subscriptions, s)
		}
		return hh, ms
	}
	oh, om := strip(o)
	nh, nm := strip(m)
	return o.Version != m.Version || o.Name != m.Name || o.DataDir != m.DataDir ||
		!reflect.DeepEqual(oh, nh) || !reflect.DeepEqual(om, nm) ||
		!reflect.DeepEqual(o.Providers, m.Providers) || !reflect.DeepEqual(o.Claims, m.Claims)
}

// heartbeat writes the host's entry, with its apps' current figures.
func (h *host) heartbeat(ctx context.Context) {
	info := h.info
	info.LastHeartbeat = time.Now().UTC()
	h.mu.Lock()
	rs := make([]*running, 0, len(h.apps))
	for _, r := range h.apps {
		if r.state != notPlaced {
			rs = append(rs, r)
		}
	}
	info.Apps = make([]AppStatus, 0, len(rs))
	for _, r := range rs {
		info.Apps = append(info.Apps, AppStatus{Name: r.name, Revision: r.rev, State: r.state, Error: r.err, URL: r.url,
			Placed: slices.Sorted(maps.Keys(r.local))})
	}
	h.mu.Unlock()
	for i, r := range rs {
		if r.app == nil {
			continue
		}
		hst := r.app.Host()
		if hst == nil {
			continue
		}
		for _, n := range hst.Components() {
			c, err := hst.Component(n)
			if err != nil {
				continue
			}
			s := c.Stats()
			mx := c.Config().Instances.Max
			if mx <= 0 {
				mx = goruntime.GOMAXPROCS(0)
			}
			info.Apps[i].Components = append(info.Apps[i].Components, ComponentStatus{
				Name: n, Max: mx, Active: s.Active, Idle: s.Idle, Calls: s.Calls, Errors: s.Discarded + s.Rejected + s.Failed,
				Links: c.Links()})
		}
	}
	slices.SortFunc(info.Apps, func(a, b AppStatus) int { return strings.Compare(a.Name, b.Name) })
	pctx, cancel := context.WithTimeout(ctx, max(h.l.cfg.Heartbeat, 2*time.Second))
	err := h.l.putHost(pctx, info)
	cancel()
	switch {
	case err != nil && !h.hbFailed && ctx.Err() == nil:
		h.hbFailed = true
		h.log.Warn("heartbeat failed (retrying every heartbeat)", "error", err)
	case err == nil && h.hbFailed:
		h.hbFailed = false
		h.log.Info("heartbeat restored")
	}
}

// leave deletes the host's entry.
func (h *host) leave(ctx context.Context) {
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := h.l.hosts.Delete(dctx, h.l.id); err != nil {
		h.log.Warn("leave the lattice: could not delete the host's entry (it will show as stale)", "error", err)
	}
}

// latticeStore is the keyvalue provider of a lattice host's apps: an
// app's bucket B is the JetStream KV bucket wasmhive-<lattice>-kv-B,
// created with the host's replicas (natskv.Options).
type latticeStore struct {
	l  *Lattice
	kv *natskv.Store
}

func (s *latticeStore) Open(ctx context.Context, name string) (keyvalue.Bucket, error) {
	if err := keyvalue.CheckBucket(name); err != nil {
		return nil, err
	}
	full := KeyValueBucket(s.l.cfg.Name, name)
	if len(full) > keyvalue.MaxBucketBytes {
		return nil, fmt.Errorf("%w: %q is %d bytes long in lattice %s (as %s), the limit is %d", keyvalue.ErrInvalidBucket, name, len(full), s.l.cfg.Name, full, keyvalue.MaxBucketBytes)
	}
	return s.kv.Open(ctx, full)
}

func (s *latticeStore) Close() error { return s.kv.Close() }

// oneLine keeps the first line of err (a manifest error lists one
// problem a line), counting the others.
func oneLine(err error) string {
	msg := err.Error()
	first, rest, ok := strings.Cut(msg, "\n")
	if !ok {
		return msg
	}
	return fmt.Sprintf("%s (and %d more)", first, strings.Count(rest, "\n")+1)
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
