package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/wasmhive/wasmhive/app"
	"github.com/wasmhive/wasmhive/manifest"
)

func init() { commands = append(commands, newUpCmd) }

// upFlags are the flags of `wasmhive up`.
type upFlags struct {
	listen          string
	dataDir         string
	shutdownTimeout time.Duration
	noAccessLog     bool
	logFormat       string
	noCache         bool
	claims          sandboxFlags // --require-claims, --trusted-issuer
}

func newUpCmd() *cobra.Command { return upCmd(new(upFlags)) }

// upCmd is `wasmhive up` with its flags parsed into f.
func upCmd(f *upFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "up [flags] APP.yaml",
		Short: "Run an app: every component, route and subscription of a manifest",
		Long: `Run the app APP.yaml describes until SIGINT or SIGTERM, which drain the HTTP requests and
messages in flight. The whole file is validated before anything starts (wasmhive validate checks it
alone); then every component is compiled, checked against its grants and warmed, its capabilities are
bound to the providers (embedded by default: a bbolt keyvalue store under the app's data directory, an
in-process NATS server), the HTTP routes listen on http.listen (127.0.0.1:8080 by default) and the
messaging subscriptions start. Schema: docs/manifest.md.

SIGHUP, or wasmhive reload APP.yaml (through the control socket <data dir>/control.sock), re-reads
the manifest and hot swaps the components that changed while requests flow; see docs/manifest.md#reloading.

The manifest's claims section is the policy on the modules' signed claims; --require-claims (or
--require-claims=false) overrides its require, and each --trusted-issuer adds to its
trusted_issuers.`,
		Example: `  wasmhive up examples/kvcounter/app.yaml
  wasmhive up --listen 127.0.0.1:9090 --data-dir /tmp/kv app.yaml
  wasmhive up --require-claims --trusted-issuer ABY3IWM4PX4267ETIJTKZR3OYOJ4Z7JCOVTPUMPOZFXGZVDHKVCE3CJU app.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return upApp(cmd, *f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", "", "listen on `ADDR` instead of the manifest's http.listen")
	fl.StringVar(&f.dataDir, "data-dir", "", "keep the app's data in `DIR` instead of the manifest's data_dir")
	fl.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 30*time.Second, "on SIGINT/SIGTERM, wait this long for requests in flight")
	fl.BoolVar(&f.noAccessLog, "no-access-log", false, "do not log a line per request")
	fl.StringVar(&f.logFormat, "log-format", "text", "log format on stderr: text or json")
	fl.BoolVar(&f.noCache, "no-cache", false, "do not use the on-disk compilation cache")
	addClaimsFlags(fl, &f.claims, true)
	return cmd
}

func upApp(cmd *cobra.Command, f upFlags, path string) error {
	handleSignals() // SIGINT/SIGTERM cancel ctx: drain and stop
	// SIGHUP reloads the manifest (reload.go).
	hup, stopHUP := notifyHUP()
	defer stopHUP()
	ctx := cmd.Context()
	verbose, _ := cmd.Flags().GetBool("verbose")
	if f.shutdownTimeout < 0 {
		return usageError{errors.New("--shutdown-timeout: want a duration of 0 or more")}
	}
	if f.listen != "" {
		if _, _, err := net.SplitHostPort(f.listen); err != nil {
			return usageError{fmt.Errorf("--listen %q: want HOST:PORT", f.listen)}
		}
	}
	log, access, _, err := newLogs(cmd, f.logFormat, f.noAccessLog, verbose)
	if err != nil {
		return usageError{err}
	}
	if _, err := f.claims.claims(); err != nil {
		return usageError{err}
	}
	m, err := manifest.Load(path)
	if err != nil {
		return usageError{err}
	}
	if err := f.claims.overrideClaims(&m.Claims); err != nil {
		return usageError{err}
	}
	a, err := app.Start(ctx, m, app.Config{
		Logger: log, AccessLog: access, Listen: f.listen, DataDir: f.dataDir,
		NoCache: f.noCache, DebugInfo: verbose, ShutdownTimeout: f.shutdownTimeout,
	})
	if err != nil {
		return usageError{err}
	}
	dir, _ := a.Host().DataDir()
	rl := &reloader{path: path, app: a, log: log, prepare: func(m *manifest.App) error { return f.claims.overrideClaims(&m.Claims) }}
	ctl, err := startControl(ctx, dir, rl, log)
	if err != nil {
		a.Close(context.WithoutCancel(ctx))
		return usageError{err}
	}
	defer ctl.close()
	go rl.onHUP(ctx, hup)
	attrs := []any{"app", m.Name, "components", len(m.Components)}
	if addr := a.Addr(); addr != nil {
		attrs = append(attrs, "url", "http://"+addr.String())
	}
	attrs = append(attrs, "data_dir", dir)
	if ctl != nil {
		attrs = append(attrs, "control", ctl.path)
	}
	log.Info("up", attrs...)
	err = a.Wait(ctx)
	log.Info("stopped", "app", m.Name)
	return err
}
