package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/wasmhive/wasmhive/lattice"
)

func init() { commands = append(commands, newHostCmd) }

// natsFlags are the flags that reach a lattice's NATS system, shared by
// host, deploy, undeploy and get.
type natsFlags struct {
	lattice                string
	nats                   string
	creds, nkey            string
	tlsCA, tlsCert, tlsKey string
}

// addNATSFlags defines f's flags on fl; defaultURL is --nats's default.
func addNATSFlags(fl *pflag.FlagSet, f *natsFlags, defaultURL, natsUsage string) {
	fl.StringVar(&f.lattice, "lattice", lattice.DefaultName, "the lattice's `NAME` (it prefixes its subjects and buckets)")
	fl.StringVar(&f.nats, "nats", defaultURL, natsUsage)
	fl.StringVar(&f.creds, "creds", "", "authenticate to NATS with the credentials `FILE` (.creds)")
	fl.StringVar(&f.nkey, "nkey", "", "authenticate to NATS with the nkey seed in `FILE`")
	fl.StringVar(&f.tlsCA, "tls-ca", "", "trust the certificate authorities of the PEM `FILE` for NATS")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "present the client certificate of the PEM `FILE` to NATS")
	fl.StringVar(&f.tlsKey, "tls-key", "", "the key of --tls-cert, a PEM `FILE`")
}

// config returns the lattice configuration f describes.
func (f natsFlags) config() (lattice.Config, error) {
	if err := lattice.CheckName(f.lattice); err != nil {
		return lattice.Config{}, fmt.Errorf("--lattice: %w", err)
	}
	if (f.creds != "" || f.nkey != "" || f.tlsCA != "" || f.tlsCert != "" || f.tlsKey != "") && f.nats == "" {
		return lattice.Config{}, errors.New("--creds, --nkey and --tls-* are for an external NATS: give its --nats URL")
	}
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return lattice.Config{}, errors.New("--tls-cert and --tls-key go together")
	}
	return lattice.Config{Name: f.lattice, NATS: f.nats, Creds: f.creds, NKey: f.nkey,
		TLS: lattice.TLS{CA: f.tlsCA, Cert: f.tlsCert, Key: f.tlsKey}}, nil
}

// hostFlags are the flags of `wasmhive host`.
type hostFlags struct {
	natsFlags
	natsListen      string
	clusterListen   string
	routes          []string
	listen          string
	dataDir         string
	hostID          string
	labels          []string
	kvReplicas      int
	heartbeat       time.Duration
	joinTimeout     time.Duration
	shutdownTimeout time.Duration
	noAccessLog     bool
	logFormat       string
	noCache         bool
}

func newHostCmd() *cobra.Command {
	f := new(hostFlags)
	cmd := &cobra.Command{
		Use:   "host [flags]",
		Short: "Run a host of a lattice: join it over NATS and run the apps deployed to it",
		Long: `Run a host that joins a lattice of wasmhive hosts until SIGINT or SIGTERM, which drain the apps'
requests in flight and take the host out of the lattice.

By default the host starts an embedded nats-server (JetStream on, its files under --data-dir) that
accepts clients on --nats-listen; with --cluster-listen and --routes, the embedded servers of several
hosts form one NATS cluster (the first host needs a fixed cluster port; the others route to it).
--nats URL (with --creds, --nkey, --tls-*) joins an existing NATS system instead.

The host heartbeats its entry (wasmhive get hosts) and runs every app deployed to the lattice
(wasmhive deploy): their HTTP routes on --listen, their keyvalue on the lattice's JetStream (shared by
every host), their messaging on its NATS. See docs/lattice.md.`,
		Example: `  wasmhive host --data-dir /var/lib/wasmhive --listen 127.0.0.1:8080
  wasmhive host --nats-listen 127.0.0.1:4222 --cluster-listen 127.0.0.1:6222 --kv-replicas 3 --listen :8080
  wasmhive host --nats-listen 127.0.0.1:4223 --cluster-listen 127.0.0.1:0 --routes nats://127.0.0.1:6222 --kv-replicas 3 --listen :8081
  wasmhive host --nats nats://nats.example.com:4222 --creds host.creds --label zone=eu`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runHost(cmd, *f) },
	}
	fl := cmd.Flags()
	addNATSFlags(fl, &f.natsFlags, "", "join the existing NATS system at `URL` instead of starting an embedded server")
	fl.StringVar(&f.natsListen, "nats-listen", lattice.DefaultListen, "the embedded server accepts NATS clients on `ADDR` (port 0: a free one)")
	fl.StringVar(&f.clusterListen, "cluster-listen", "", "the embedded server accepts cluster routes on `ADDR`")
	fl.StringSliceVar(&f.routes, "routes", nil, "route the embedded server to these cluster `URL`s (nats://host:6222,...)")
	fl.StringVar(&f.listen, "listen", "", "serve the apps' HTTP routes on `ADDR` instead of their http.listen")
	fl.StringVar(&f.dataDir, "data-dir", "", "keep the host's id, JetStream files and apps in `DIR` (default $XDG_DATA_HOME/wasmhive/lattice/NAME)")
	fl.StringVar(&f.hostID, "host-id", "", "the host's `ID` (default: the one in the data directory, or a new one)")
	fl.StringArrayVar(&f.labels, "label", nil, "label the host with `KEY=VALUE` (repeatable)")
	fl.IntVar(&f.kvReplicas, "kv-replicas", 1, "JetStream replicas (1, 3, 5) of the buckets this host creates: the lattice's and the apps' keyvalue")
	fl.DurationVar(&f.heartbeat, "heartbeat", lattice.DefaultHeartbeat, "refresh the host's entry this often")
	fl.DurationVar(&f.joinTimeout, "join-timeout", lattice.DefaultJoinTimeout, "wait this long for the lattice's JetStream (a cluster forming)")
	fl.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 30*time.Second, "on SIGINT/SIGTERM or undeploy, wait this long for an app's requests in flight")
	fl.BoolVar(&f.noAccessLog, "no-access-log", false, "do not log a line per request")
	fl.StringVar(&f.logFormat, "log-format", "text", "log format on stderr: text or json")
	fl.BoolVar(&f.noCache, "no-cache", false, "do not use the on-disk compilation cache")
	return cmd
}

func runHost(cmd *cobra.Command, f hostFlags) error {
	handleSignals() // SIGINT/SIGTERM cancel ctx: drain, leave, stop
	ctx := cmd.Context()
	verbose, _ := cmd.Flags().GetBool("verbose")
	log, access, _, err := newLogs(cmd, f.logFormat, f.noAccessLog, verbose)
	if err != nil {
		return usageError{err}
	}
	cfg, err := f.config()
	if err != nil {
		return usageError{err}
	}
	for _, a := range []struct{ flag, addr string }{{"--listen", f.listen}, {"--nats-listen", f.natsListen}, {"--cluster-listen", f.clusterListen}} {
		if a.addr != "" {
			if _, _, err := net.SplitHostPort(a.addr); err != nil {
				return usageError{fmt.Errorf("%s %q: want HOST:PORT", a.flag, a.addr)}
			}
		}
	}
	if f.nats != "" && (cmd.Flags().Changed("nats-listen") || f.clusterListen != "" || len(f.routes) > 0) {
		return usageError{errors.New("--nats-listen, --cluster-listen and --routes configure the embedded server; --nats uses an external one instead")}
	}
	if len(f.routes) > 0 && f.clusterListen == "" {
		return usageError{errors.New("--routes needs --cluster-listen (the address the other servers route back to)")}
	}
	switch f.kvReplicas {
	case 1, 3, 5:
	default:
		return usageError{fmt.Errorf("--kv-replicas %d: want 1, 3 or 5", f.kvReplicas)}
	}
	if f.heartbeat <= 0 || f.joinTimeout <= 0 || f.shutdownTimeout < 0 {
		return usageError{errors.New("--heartbeat and --join-timeout want a positive duration, --shutdown-timeout 0 or more")}
	}
	labels := map[string]string{}
	for _, kv := range f.labels {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" || strings.Contains(k, ",") {
			return usageError{fmt.Errorf("--label %q: want KEY=VALUE", kv)}
		}
		labels[k] = v
	}
	cfg.Listen = f.natsListen
	cfg.Cluster = lattice.Cluster{Listen: f.clusterListen, Routes: f.routes}
	cfg.DataDir = f.dataDir
	cfg.HostID = f.hostID
	cfg.Labels = labels
	cfg.Heartbeat = f.heartbeat
	cfg.Replicas = f.kvReplicas
	cfg.JoinTimeout = f.joinTimeout
	start := time.Now()
	l, err := lattice.Join(ctx, cfg, log)
	if err != nil {
		if ctx.Err() != nil {
			return exitStatus{code: exitInterrupted, msg: "interrupted while joining the lattice"}
		}
		return err
	}
	defer l.Close(context.WithoutCancel(ctx))
	attrs := []any{"id", l.HostID(), "lattice", l.Name(), "nats", l.ClientURL()}
	if u := l.ClusterURL(); u != "" {
		attrs = append(attrs, "cluster", u)
	}
	if f.listen != "" {
		attrs = append(attrs, "http", f.listen)
	}
	attrs = append(attrs, "data_dir", l.DataDir(), "took", time.Since(start).Round(time.Millisecond))
	log.Info("host", attrs...)
	err = l.Serve(ctx, lattice.ServeConfig{
		Listen: f.listen, KeyValueReplicas: f.kvReplicas, Logger: log, AccessLog: access,
		NoCache: f.noCache, ShutdownTimeout: f.shutdownTimeout,
	})
	log.Info("stopped", "id", l.HostID(), "lattice", l.Name())
	return err
}
