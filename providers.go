package wasmhive

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/nats-io/nats.go"

	"github.com/wasmhive/wasmhive/capability/config"
	"github.com/wasmhive/wasmhive/capability/httpclient"
	"github.com/wasmhive/wasmhive/capability/keyvalue"
	"github.com/wasmhive/wasmhive/capability/keyvalue/boltkv"
	"github.com/wasmhive/wasmhive/capability/keyvalue/natskv"
	"github.com/wasmhive/wasmhive/capability/keyvalue/rediskv"
	"github.com/wasmhive/wasmhive/capability/logging"
	"github.com/wasmhive/wasmhive/capability/messaging"
	"github.com/wasmhive/wasmhive/capability/messaging/natsbroker"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/natsserver"
)

// Provider types of Providers.KeyValue.Type.
const (
	KeyValueBolt  = "bolt"
	KeyValueNATS  = "nats"
	KeyValueRedis = "redis"
)

// boltFile is the keyvalue store's file name under the data directory.
const boltFile = "keyvalue.bolt"

// providers opens the Host's capability providers on first use (a Host
// whose components use no keyvalue never creates a store file) and binds
// components' grants to them.
type providers struct {
	h *Host

	mu     sync.Mutex
	kv     keyvalue.Store
	nats   *natsserver.Server // the embedded server, when one was started
	nc     *nats.Conn
	broker *natsbroker.Broker
}

// capabilityModules returns the host modules of every capability contract.
// All are defined on every Host; what a component may import is decided by
// its grants, at load.
func capabilityModules() []engine.HostModule {
	var ms []engine.HostModule
	ms = append(ms, keyvalue.HostModules()...)
	ms = append(ms, httpclient.HostModules()...)
	ms = append(ms, messaging.HostModules()...)
	ms = append(ms, config.HostModules()...)
	ms = append(ms, logging.HostModules()...)
	return ms
}

// bind opens what cfg's grants need and returns, for each grant, the
// function that attaches its binding to an instance's configuration.
func (p *providers) bind(ctx context.Context, component string, cfg ComponentConfig) ([]func(*engine.InstanceConfig), error) {
	var binders []func(*engine.InstanceConfig)
	g := cfg.Grants
	if g.KeyValue != nil {
		store, err := p.keyValue(ctx)
		if err != nil {
			return nil, fmt.Errorf("keyvalue: %w", err)
		}
		name := g.KeyValue.Bucket
		if name == "" {
			name = component
		}
		bucket, err := store.Open(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("keyvalue bucket %s: %w", name, err)
		}
		b := &keyvalue.Binding{Name: name, Bucket: bucket, MaxValueBytes: cfg.Limits.keyValueValueBytes(), MaxKeysPerCall: cfg.Limits.keyValueKeysPerCall()}
		binders = append(binders, func(ic *engine.InstanceConfig) { keyvalue.Attach(ic, b) })
	}
	if g.HTTP != nil {
		client, err := httpclient.New(httpclient.Config{
			AllowedHosts:     g.HTTP.AllowedHosts,
			Timeout:          g.HTTP.Timeout,
			MaxResponseBytes: int64(g.HTTP.MaxResponseBytes),
		})
		if err != nil {
			return nil, err
		}
		b := &httpclient.Binding{Client: client, MaxRequestsPerCall: cfg.Limits.httpRequestsPerCall()}
		binders = append(binders, func(ic *engine.InstanceConfig) { httpclient.Attach(ic, b) })
	}
	if g.Messaging != nil {
		broker, err := p.h.Broker(ctx)
		if err != nil {
			return nil, fmt.Errorf("messaging: %w", err)
		}
		b := &messaging.Binding{Broker: broker, Subjects: g.Messaging.Subjects, Timeout: g.Messaging.Timeout,
			Rate: messaging.NewRate(cfg.Limits.messagesPerSecond())} // shared by the component's instances
		var probe engine.InstanceConfig
		if err := messaging.Attach(&probe, b); err != nil {
			return nil, err
		}
		binders = append(binders, func(ic *engine.InstanceConfig) { messaging.Attach(ic, b) })
	}
	if g.Config != nil {
		b := &config.Binding{Values: cfg.Config}
		binders = append(binders, func(ic *engine.InstanceConfig) { config.Attach(ic, b) })
	}
	if g.Logging != nil {
		b := &logging.Binding{Logger: componentLogger(p.h.log, component, cfg)}
		binders = append(binders, func(ic *engine.InstanceConfig) { logging.Attach(ic, b) })
	}
	return binders, nil
}

// dataDir returns the Host's data directory, created (0700) if needed.
func (p *providers) dataDir() (string, error) {
	dir, err := p.h.DataDir()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("data directory: %w", err)
	}
	return dir, nil
}

// keyValue opens the keyvalue provider the Host's configuration names.
func (p *providers) keyValue(ctx context.Context) (keyvalue.Store, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.kv != nil {
		return p.kv, nil
	}
	if s := p.h.cfg.KeyValue; s != nil {
		return s, nil
	}
	kc := p.h.cfg.Providers.KeyValue
	var (
		store keyvalue.Store
		err   error
	)
	switch kc.Type {
	case "", KeyValueBolt:
		dir, derr := p.dataDir()
		if derr != nil {
			return nil, derr
		}
		store, err = boltkv.Open(filepath.Join(dir, boltFile))
	case KeyValueRedis:
		if kc.URL == "" {
			return nil, errors.New("the redis provider needs a url (redis://host:port/db)")
		}
		store, err = rediskv.New(ctx, kc.URL)
	case KeyValueNATS:
		var nc *nats.Conn
		if kc.URL != "" {
			if nc, err = natsbroker.Dial(ctx, kc.URL); err != nil {
				return nil, err
			}
		} else if nc, err = p.conn(ctx, true); err != nil {
			return nil, err
		}
		store, err = natskv.New(ctx, nc, natskv.Options{Replicas: kc.Replicas})
	default:
		return nil, fmt.Errorf("unknown keyvalue provider type %q; known: bolt, nats, redis", kc.Type)
	}
	if err != nil {
		return nil, err
	}
	p.kv = store
	return store, nil
}

// conn returns the Host's NATS connection: to Providers.Messaging.URL, or
// to an embedded server started on first use (with JetStream under the data
// directory when jetstream is asked for). Called with p.mu held.
func (p *providers) conn(ctx context.Context, jetstream bool) (*nats.Conn, error) {
	if p.nc != nil {
		return p.nc, nil
	}
	mc := p.h.cfg.Providers.Messaging
	if mc.URL != "" {
		nc, err := natsbroker.Dial(ctx, mc.URL)
		if err != nil {
			return nil, err
		}
		p.nc = nc
		return nc, nil
	}
	sc := natsserver.Config{Listen: mc.Listen, Logger: p.h.log.With("provider", "nats")}
	// The embedded server always gets JetStream when a data directory can
	// be had, so that keyvalue on nats and messaging share one server.
	if dir, err := p.dataDir(); err == nil {
		sc.Dir = filepath.Join(dir, "nats")
	} else if jetstream {
		return nil, err
	}
	srv, err := natsserver.Start(ctx, sc)
	if err != nil {
		return nil, err
	}
	nc, err := srv.Connect("wasmhive")
	if err != nil {
		srv.Shutdown(context.WithoutCancel(ctx))
		return nil, err
	}
	p.nats, p.nc = srv, nc
	return nc, nil
}

// Broker returns the Host's messaging provider: a NATS connection to
// Providers.Messaging.URL, or to a nats-server embedded in the process and
// started on first use.
func (h *Host) Broker(ctx context.Context) (messaging.Broker, error) {
	p := h.prov
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.broker != nil {
		return p.broker, nil
	}
	if b := h.cfg.Messaging; b != nil {
		return b, nil
	}
	nc, err := p.conn(ctx, false)
	if err != nil {
		return nil, err
	}
	p.broker = natsbroker.New(nc, natsbroker.Config{Logger: h.log.With("provider", "messaging")})
	return p.broker, nil
}

// close releases the providers: the broker (draining subscriptions), the
// keyvalue store, the NATS connection and the embedded server.
func (p *providers) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	if p.broker != nil {
		errs = append(errs, p.broker.Close())
		p.broker = nil
	}
	if p.kv != nil {
		errs = append(errs, p.kv.Close())
		p.kv = nil
	}
	if p.nc != nil {
		p.nc.Close()
		p.nc = nil
	}
	if p.nats != nil {
		p.nats.Shutdown(context.Background())
		p.nats = nil
	}
	return errors.Join(errs...)
}
