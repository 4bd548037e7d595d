package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/wasmhive/wasmhive/lattice"
	"github.com/wasmhive/wasmhive/manifest"
)

func init() { commands = append(commands, newDeployCmd, newUndeployCmd) }

// defaultNATS is where deploy, undeploy and get look for a lattice: the
// embedded server of a `wasmhive host` on this machine.
const defaultNATS = "nats://127.0.0.1:4222"

// clientFlags are the flags of the lattice's client verbs.
type clientFlags struct {
	natsFlags
	timeout time.Duration
}

func addClientFlags(cmd *cobra.Command, f *clientFlags) {
	fl := cmd.Flags()
	addNATSFlags(fl, &f.natsFlags, defaultNATS, "the lattice's NATS `URL` (a host's --nats-listen, or the external NATS)")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "give up after this long")
}

// connect connects to the lattice f names, within f.timeout.
func (f clientFlags) connect(ctx context.Context) (*lattice.Lattice, context.Context, context.CancelFunc, error) {
	cfg, err := f.config()
	if err != nil {
		return nil, nil, nil, usageError{err}
	}
	if f.timeout <= 0 {
		return nil, nil, nil, usageError{fmt.Errorf("--timeout %s: want a positive duration", f.timeout)}
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	l, err := lattice.Connect(ctx, cfg, nil)
	if err != nil {
		cancel()
		return nil, nil, nil, err
	}
	return l, ctx, cancel, nil
}

func newDeployCmd() *cobra.Command {
	f := new(clientFlags)
	cmd := &cobra.Command{
		Use:   "deploy [flags] APP.yaml",
		Short: "Deploy an app to a lattice: every host runs it",
		Long: `Deploy the app APP.yaml describes to a lattice: its modules are uploaded to the lattice's object
store (under their SHA-256, once), and its manifest, with module paths replaced by sha256: references,
is put into the lattice's apps bucket. Every host of the lattice then runs it; deploying it again
with changed components hot swaps them, other changes restart it. The manifest is validated first
(as wasmhive validate does). See docs/lattice.md.`,
		Example: `  wasmhive deploy examples/kvcounter/app.yaml
  wasmhive deploy --nats nats://10.0.0.5:4222 --lattice prod app.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := manifest.Load(args[0])
			if err != nil {
				return usageError{err}
			}
			l, ctx, cancel, err := f.connect(cmd.Context())
			if err != nil {
				return err
			}
			defer cancel()
			defer l.Close(ctx)
			res, err := l.Deploy(ctx, m)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deployed %s to lattice %s: revision %d, %d module(s), %d uploaded\n",
				m.Name, l.Name(), res.Revision, res.Modules, res.Uploaded)
			return nil
		},
	}
	addClientFlags(cmd, f)
	return cmd
}

func newUndeployCmd() *cobra.Command {
	f := new(clientFlags)
	cmd := &cobra.Command{
		Use:   "undeploy [flags] NAME",
		Short: "Remove an app from a lattice: every host drains and stops it",
		Args:  cobra.ExactArgs(1),
		Example: `  wasmhive undeploy kvcounter
  wasmhive undeploy --nats nats://10.0.0.5:4222 --lattice prod kvcounter`,
		RunE: func(cmd *cobra.Command, args []string) error {
			l, ctx, cancel, err := f.connect(cmd.Context())
			if err != nil {
				return err
			}
			defer cancel()
			defer l.Close(ctx)
			if err := l.Undeploy(ctx, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "undeployed %s from lattice %s\n", args[0], l.Name())
			return nil
		},
	}
	addClientFlags(cmd, f)
	return cmd
}
