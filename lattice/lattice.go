// Package lattice joins wasmhive hosts into one lattice over NATS: a host
// list with heartbeats, the desired state (the deployed apps' manifests and
// their modules) in JetStream, and on every host a reconcile loop that runs
// what is deployed. By default each host embeds a nats-server (JetStream
// on, data under the host's data directory), and embedded servers can form
// a NATS cluster among themselves; an existing NATS system can be used
// instead. docs/lattice.md describes the topology, the subjects and
// buckets, and what this first version does not do yet.
//
// A lattice is namespaced by its name: its buckets are
// wasmhive-<name>-hosts, wasmhive-<name>-apps and wasmhive-<name>-modules
// (an object store), the apps' keyvalue buckets wasmhive-<name>-kv-<bucket>,
// and its own subjects start with wasmhive.<name>., so several lattices
// share one NATS system without seeing each other's state.
package lattice

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/capability/messaging/natsbroker"
	"github.com/wasmhive/wasmhive/internal/natsserver"
)

// Defaults of Config's fields.
const (
	// DefaultName is the lattice's name when Config.Name is empty.
	DefaultName = "default"
	// DefaultListen is the embedded server's client address.
	DefaultListen = "127.0.0.1:4222"
	// DefaultHeartbeat is how often a host refreshes its entry.
	DefaultHeartbeat = 5 * time.Second
	// DefaultJoinTimeout bounds how long Join waits for JetStream (a fresh
	// cluster electing its meta leader, or waiting for enough servers for
	// the buckets' replicas).
	DefaultJoinTimeout = 60 * time.Second
	// StaleAfter is how many heartbeat intervals a host may miss before
	// Hosts marks it stale.
	StaleAfter = 3
)

// MaxNameBytes bounds a lattice's name (it prefixes bucket names, which
// JetStream and the keyvalue contract bound).
const MaxNameBytes = 32

// Config configures Join and Connect. It is plain data: the zero value of
// every field is its documented default.
type Config struct {
	// Name is the lattice's name; "" means DefaultName. It prefixes every
	// subject and bucket of the lattice: letters, digits, '-' and '_', at
	// most MaxNameBytes bytes.
	Name string
	// NATS is the URL of an existing NATS system (nats://host:4222, or a
	// comma-separated list), with JetStream enabled. Empty starts an
	// embedded nats-server in-process, with JetStream under DataDir/nats.
	NATS string
	// Creds is a NATS credentials file (.creds: a user JWT and its nkey
	// seed) for NATS.
	Creds string
	// NKey is a file holding an nkey seed (SU...) to authenticate to NATS
	// with.
	NKey string
	// TLS are the files of a TLS connection to NATS.
	TLS TLS
	// Listen is the embedded server's client address; "" means
	// DefaultListen. Port 0 picks a free port (ClientURL says which).
	Listen string
	// Cluster makes the embedded server a member of a NATS cluster of
	// embedded servers: the hosts of a lattice then need no separate NATS.
	Cluster Cluster
	// DataDir is the host's directory: its id, the embedded server's
	// JetStream files, the deployed apps it runs. "" means
	// $XDG_DATA_HOME/wasmhive/lattice/<name> (or ~/.local/share/...).
	DataDir string
	// HostID names this host in the lattice; "" reads DataDir/host-id, or
	// makes a new id (an nkey server public key, N...) and stores it there.
	HostID string
	// Labels describe the host (zone=eu, gpu=true): shown by Hosts; a
	// host runs the components whose placement labels it all has (Placed).
	Labels map[string]string
	// Heartbeat is how often a serving host refreshes its entry; 0 means
	// DefaultHeartbeat. A host missing StaleAfter heartbeats is stale.
	Heartbeat time.Duration
	// Replicas is how many servers of a clustered JetStream keep each of
	// the lattice's buckets (1, 3 or 5); 0 means 1. A bucket that exists
	// already keeps its own.
	Replicas int
	// JoinTimeout bounds Join's wait for JetStream; 0 means
	// DefaultJoinTimeout.
	JoinTimeout time.Duration
}

// TLS are the files of a TLS connection to NATS.
type TLS struct {
	// CA is a PEM file of the certificate authorities to trust.
	CA string
	// Cert and Key are the client's certificate and key (PEM), when the
	// server asks for one.
	Cert, Key string
}

// Cluster configures the embedded servers' NATS cluster.
type Cluster struct {
	// Listen is the address other servers route to (127.0.0.1:6222); ""
	// means no cluster. The first server of a cluster needs a fixed port;
	// the others may use port 0 and route to it.
	Listen string
	// Routes are other servers' route URLs (nats://127.0.0.1:6222).
	Routes []string
}

// Lattice is a connection to a lattice: to its NATS system (and the
// embedded server, when it started one) and its buckets.
type Lattice struct {
	cfg     Config
	log     *slog.Logger
	srv     *natsserver.Server // nil with an external NATS
	nc      *nats.Conn
	js      jetstream.JetStream
	hosts   jetstream.KeyValue
	apps    jetstream.KeyValue
	modules jetstream.ObjectStore
	id      string
	dataDir string
}

// Bucket names of a lattice.
func hostsBucket(name string) string   { return "wasmhive-" + name + "-hosts" }
func appsBucket(name string) string    { return "wasmhive-" + name + "-apps" }
func modulesBucket(name string) string { return "wasmhive-" + name + "-modules" }

// KeyValueBucket returns the JetStream KV bucket that backs an app's
// keyvalue bucket in the lattice name.
func KeyValueBucket(name, bucket string) string { return "wasmhive-" + name + "-kv-" + bucket }

// Subject returns the lattice's subject made of parts:
// wasmhive.<name>.<parts...>.
func Subject(name string, parts ...string) string {
	return strings.Join(append([]string{"wasmhive", name}, parts...), ".")
}

// CheckName reports whether name can name a lattice.
func CheckName(name string) error {
	if name == "" {
		return errors.New("lattice name: empty")
	}
	if len(name) > MaxNameBytes {
		return fmt.Errorf("lattice name %q: %d bytes, at most %d", name, len(name), MaxNameBytes)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("lattice name %q: %q at byte %d; use only letters, digits, '-' and '_'", name, c, i)
		}
	}
	return nil
}

// checkID reports whether id can name a host (a KV key and a server name).
func checkID(id string) error {
	if id == "" || len(id) > 64 {
		return fmt.Errorf("host id %q: want 1 to 64 letters, digits, '-' or '_'", id)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("host id %q: %q at byte %d; use only letters, digits, '-' and '_'", id, c, i)
		}
	}
	return nil
}

// withDefaults fills in cfg's defaults and checks it.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Name == "" {
		cfg.Name = DefaultName
	}
	if err := CheckName(cfg.Name); err != nil {
		return cfg, err
	}
	if cfg.Heartbeat < 0 {
		return cfg, errors.New("heartbeat: want a positive duration")
	}
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	if cfg.JoinTimeout <= 0 {
		cfg.JoinTimeout = DefaultJoinTimeout
	}
	switch cfg.Replicas {
	case 0:
		cfg.Replicas = 1
	case 1, 3, 5:
	default:
		return cfg, fmt.Errorf("replicas %d: want 1, 3 or 5", cfg.Replicas)
	}
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	for k := range cfg.Labels {
		if k == "" || strings.ContainsAny(k, "=,") {
			return cfg, fmt.Errorf("label %q: want a name without '=' or ','", k)
		}
	}
	if cfg.NATS != "" && (cfg.Cluster.Listen != "" || len(cfg.Cluster.Routes) > 0) {
		return cfg, errors.New("a cluster of embedded servers and an external NATS exclude each other")
	}
	if len(cfg.Cluster.Routes) > 0 && cfg.Cluster.Listen == "" {
		return cfg, errors.New("cluster routes need a cluster listen address")
	}
	if (cfg.TLS.Cert == "") != (cfg.TLS.Key == "") {
		return cfg, errors.New("TLS: a client certificate needs its key, and the other way round")
	}
	return cfg, nil
}

// DefaultDataDir returns a host's data directory in lattice name:
// $XDG_DATA_HOME/wasmhive/lattice/<name>, or
// ~/.local/share/wasmhive/lattice/<name>.
func DefaultDataDir(name string) (string, error) {
	d, err := wasmhive.DefaultDataDir("x") // <base>/wasmhive/apps/x
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(filepath.Dir(d)), "lattice", name), nil
}

// Join connects to the lattice cfg describes, as a host: it starts the
// embedded server (unless cfg.NATS names one), connects, and creates the
// lattice's buckets if they do not exist, retrying for up to
// cfg.JoinTimeout while JetStream is not ready (a fresh cluster electing
// its meta leader, or fewer servers than cfg.Replicas). Serve then runs
// the host.
func Join(ctx context.Context, cfg Config, logger *slog.Logger) (*Lattice, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}
	l := &Lattice{cfg: cfg, log: logger, dataDir: cfg.DataDir}
	if l.dataDir == "" {
		if l.dataDir, err = DefaultDataDir(cfg.Name); err != nil {
			return nil, err
		}
	}
	if l.dataDir, err = filepath.Abs(l.dataDir); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if err := os.MkdirAll(l.dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if l.id, err = hostID(cfg.HostID, l.dataDir); err != nil {
		return nil, err
	}
	if cfg.NATS == "" {
		l.srv, err = natsserver.Start(ctx, natsserver.Config{
			Dir: filepath.Join(l.dataDir, "nats"), Listen: cfg.Listen, Name: l.id,
			Logger:  logger.With("lattice", cfg.Name),
			Cluster: natsserver.Cluster{Name: "wasmhive-" + cfg.Name, Listen: cfg.Cluster.Listen, Routes: cfg.Cluster.Routes},
		})
		if err != nil {
			return nil, err
		}
		if l.nc, err = l.srv.Connect("wasmhive-host-" + l.id); err != nil {
			l.srv.Shutdown(context.WithoutCancel(ctx))
			return nil, err
		}
	} else if l.nc, err = dial(ctx, cfg); err != nil {
		return nil, err
	}
	if err := l.buckets(ctx, true); err != nil {
		l.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return l, nil
}

// Connect connects to an existing lattice on cfg.NATS as a client (no
// host, no embedded server): what `wasmhive deploy` and `get` use. The
// lattice must exist: a host has joined it.
func Connect(ctx context.Context, cfg Config, logger *slog.Logger) (*Lattice, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.NATS == "" {
		return nil, errors.New("no NATS URL (e.g. nats://127.0.0.1:4222)")
	}
	if logger == nil {
		logger = slog.Default()
	}
	l := &Lattice{cfg: cfg, log: logger}
	if l.nc, err = dial(ctx, cfg); err != nil {
		return nil, err
	}
	if err := l.buckets(ctx, false); err != nil {
		l.nc.Close()
		return nil, err
	}
	return l, nil
}

// dial connects to cfg.NATS with cfg's credentials.
func dial(ctx context.Context, cfg Config) (*nats.Conn, error) {
	var opts []nats.Option
	if cfg.Creds != "" {
		if _, err := os.Stat(cfg.Creds); err != nil {
			return nil, fmt.Errorf("credentials file: %w", err)
		}
		opts = append(opts, nats.UserCredentials(cfg.Creds))
	}
	if cfg.NKey != "" {
		o, err := nats.NkeyOptionFromSeed(cfg.NKey)
		if err != nil {
			return nil, fmt.Errorf("nkey seed file %s: %w", cfg.NKey, err)
		}
		opts = append(opts, o)
	}
	if cfg.TLS.CA != "" {
		opts = append(opts, nats.RootCAs(cfg.TLS.CA))
	}
	if cfg.TLS.Cert != "" {
		opts = append(opts, nats.ClientCert(cfg.TLS.Cert, cfg.TLS.Key))
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return natsbroker.Dial(dctx, cfg.NATS, opts...)
}

// hostID returns id when set, or the id stored in dir/host-id, or a new
// one stored there.
func hostID(id, dir string) (string, error) {
	if id != "" {
		return id, checkID(id)
	}
	path := filepath.Join(dir, "host-id")
	if b, err := os.ReadFile(path); err == nil {
		id = strings.TrimSpace(string(b))
		if err := checkID(id); err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		return id, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("host id: %w", err)
	}
	kp, err := nkeys.CreateServer()
	if err == nil {
		id, err = kp.PublicKey()
	}
	if err != nil { // no randomness for an nkey: a random hex id
		var b [8]byte
		rand.Read(b[:])
		id = "N" + strings.ToUpper(hex.EncodeToString(b[:]))
	}
	if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("host id: %w", err)
	}
	return id, nil
}

// buckets binds the lattice's buckets, creating them when create, and
// retrying while JetStream is not ready, for up to JoinTimeout.
func (l *Lattice) buckets(ctx context.Context, create bool) error {
	js, err := jetstream.New(l.nc)
	if err != nil {
		return fmt.Errorf("lattice %s: %w", l.cfg.Name, err)
	}
	l.js = js
	name, r := l.cfg.Name, l.cfg.Replicas
	kv := func(ctx context.Context, bucket string, history uint8) (jetstream.KeyValue, error) {
		if !create {
			b, err := js.KeyValue(ctx, bucket)
			if errors.Is(err, jetstream.ErrBucketNotFound) {
				return nil, &NotFoundError{Lattice: name, NATS: l.nc.ConnectedUrlRedacted()}
			}
			return b, err
		}
		b, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bucket, History: history, Storage: jetstream.FileStorage, Replicas: r})
		if errors.Is(err, jetstream.ErrBucketExists) {
			b, err = js.KeyValue(ctx, bucket)
		}
		return b, err
	}
	try := func(ctx context.Context) error {
		var err error
		if l.hosts, err = kv(ctx, hostsBucket(name), 1); err != nil {
			return err
		}
		if l.apps, err = kv(ctx, appsBucket(name), 1); err != nil {
			return err
		}
		if !create {
			l.modules, err = js.ObjectStore(ctx, modulesBucket(name))
			return err
		}
		l.modules, err = js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: modulesBucket(name), Storage: jetstream.FileStorage, Replicas: r})
		if errors.Is(err, jetstream.ErrBucketExists) {
			l.modules, err = js.ObjectStore(ctx, modulesBucket(name))
		}
		return err
	}
	wait := l.cfg.JoinTimeout
	if !create {
		wait = min(wait, 10*time.Second)
	}
	deadline := time.Now().Add(wait)
	for {
		actx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err = try(actx)
		cancel()
		if err == nil {
			return nil
		}
		var nf *NotFoundError
		if errors.As(err, &nf) {
			return err
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			took := time.Since(deadline.Add(-wait)).Round(100 * time.Millisecond)
			if !create {
				// A client (deploy, get): it created nothing, so replicas
				// are not the question; a cluster electing leaders is.
				return fmt.Errorf("lattice %s: JetStream did not answer on %s within %s (a cluster that lost a server answers again once it has elected new leaders): %v",
					name, l.nc.ConnectedUrlRedacted(), took, err)
			}
			return fmt.Errorf("lattice %s: JetStream not ready on %s after %s (with %d replicas, as many NATS servers must be up): %v",
				name, l.nc.ConnectedUrlRedacted(), took, r, err)
		}
		select {
		case <-time.After(200 * time.Millisecond):
		case <-ctx.Done():
		}
	}
}

// NotFoundError is Connect's error for a lattice that does not exist on
// the NATS system: no host has joined it.
type NotFoundError struct {
	Lattice string // the lattice's name
	NATS    string // the server connected to
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("lattice %q not found on %s: no host has joined it (check the lattice name and the NATS URL)", e.Lattice, e.NATS)
}

// Name returns the lattice's name.
func (l *Lattice) Name() string { return l.cfg.Name }

// HostID returns this host's id (for a Connect client, empty).
func (l *Lattice) HostID() string { return l.id }

// DataDir returns the host's data directory (for a Connect client, empty).
func (l *Lattice) DataDir() string { return l.dataDir }

// Conn returns the connection to the lattice's NATS system.
func (l *Lattice) Conn() *nats.Conn { return l.nc }

// ClientURL returns the URL NATS clients (other hosts, `wasmhive deploy`)
// connect to: the embedded server's client address, or the connected
// server of an external NATS.
func (l *Lattice) ClientURL() string {
	if l.srv != nil {
		return l.srv.ClientURL()
	}
	return l.nc.ConnectedUrlRedacted()
}

// ClusterURL returns the URL other embedded servers route to, or "" when
// the embedded server is in no cluster (or NATS is external).
func (l *Lattice) ClusterURL() string {
	if l.srv == nil {
		return ""
	}
	return l.srv.ClusterURL()
}

// Close drains the NATS connection and shuts the embedded server down.
func (l *Lattice) Close(ctx context.Context) error {
	if l.nc != nil {
		l.nc.Close()
	}
	if l.srv != nil {
		return l.srv.Shutdown(ctx)
	}
	return nil
}
