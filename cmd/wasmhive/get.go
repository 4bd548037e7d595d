package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wasmhive/wasmhive/lattice"
)

func init() { commands = append(commands, newGetCmd) }

func newGetCmd() *cobra.Command {
	f := new(clientFlags)
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "get [flags] hosts|apps",
		Short: "Show a lattice's hosts or deployed apps",
		Long: `Show a lattice's hosts (id, whether it heartbeats, its apps and their pools' figures) or its
deployed apps (revision, components, modules, how many hosts run it), as a table or as JSON.
A host that missed 3 heartbeats is shown stale. See docs/lattice.md.`,
		Example: `  wasmhive get hosts
  wasmhive get apps --json --nats nats://10.0.0.5:4222 --lattice prod`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			what := args[0]
			if what != "hosts" && what != "apps" {
				return usageError{fmt.Errorf("get %q: want hosts or apps", what)}
			}
			l, ctx, cancel, err := f.connect(cmd.Context())
			if err != nil {
				return err
			}
			defer cancel()
			defer l.Close(ctx)
			hosts, err := l.Hosts(ctx)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if what == "hosts" {
				if asJSON {
					return writeJSON(out, hosts)
				}
				hostsTable(out, hosts)
				return nil
			}
			apps, err := l.Apps(ctx)
			if err != nil {
				return err
			}
			if asJSON {
				for i := range apps {
					apps[i].Manifest = "" // the manifest is long; `get` shows the state
				}
				return writeJSON(out, apps)
			}
			appsTable(out, apps, hosts)
			return nil
		},
	}
	addClientFlags(cmd, f)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func hostsTable(w io.Writer, hosts []lattice.HostInfo) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tHEARTBEAT\tAPPS\tCALLS\tERRORS\tHTTP\tNATS\tLABELS\tVERSION")
	now := time.Now()
	for _, h := range hosts {
		state := "ok"
		if h.Stale {
			state = "stale"
		}
		var apps []string
		var calls, errs uint64
		for _, a := range h.Apps {
			s := fmt.Sprintf("%s@%d", a.Name, a.Revision)
			if a.State != "running" {
				s += "(" + a.State + ")"
			}
			apps = append(apps, s)
			for _, c := range a.Components {
				calls += c.Calls
				errs += c.Errors
			}
		}
		var labels []string
		for _, k := range slices.Sorted(maps.Keys(h.Labels)) {
			labels = append(labels, k+"="+h.Labels[k])
		}
		fmt.Fprintf(tw, "%s\t%s\t%s ago\t%s\t%d\t%d\t%s\t%s\t%s\t%s\n", h.ID, state,
			now.Sub(h.LastHeartbeat).Round(time.Second), dash(strings.Join(apps, ",")), calls, errs,
			dash(h.HTTP), dash(h.NATS), dash(strings.Join(labels, ",")), h.Version)
	}
	tw.Flush()
}

func appsTable(w io.Writer, apps []lattice.App, hosts []lattice.HostInfo) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tREVISION\tDEPLOYED\tCOMPONENTS\tMODULES\tRUNNING ON")
	live := 0
	for _, h := range hosts {
		if !h.Stale {
			live++
		}
	}
	for _, a := range apps {
		on := 0
		for _, h := range hosts {
			if h.Stale {
				continue
			}
			for _, s := range h.Apps {
				if s.Name == a.Name && s.Revision == a.Revision && s.State == "running" {
					on++
				}
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\t%d/%d hosts\n", a.Name, a.Revision, a.Deployed.Local().Format(time.DateTime),
			strings.Join(a.Components, ","), len(a.Modules), on, live)
	}
	tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
