package main

import (
	"cmp"
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
		Use:   "get [flags] hosts|apps|components|links",
		Short: "Show a lattice's hosts, deployed apps, components or links",
		Long: `Show a lattice's hosts (id, whether it heartbeats, its apps and their pools' figures), its
deployed apps (revision, components, modules, how many hosts run it), its components (the hosts
that run each, their instances, calls and errors summed, hosts where it failed or went stale) or its
links (calls and failures of each, summed over the hosts), as a table or as JSON.
A host that missed 3 heartbeats is shown stale. See docs/lattice.md.`,
		Example: `  wasmhive get hosts
  wasmhive get components
  wasmhive get links --json --nats nats://10.0.0.5:4222 --lattice prod`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			what := args[0]
			if !slices.Contains([]string{"hosts", "apps", "components", "links"}, what) {
				return usageError{fmt.Errorf("get %q: want hosts, apps, components or links", what)}
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
			if what == "links" {
				links := latticeLinks(hosts)
				if asJSON {
					return writeJSON(out, links)
				}
				linksTable(out, links)
				return nil
			}
			apps, err := l.Apps(ctx)
			if err != nil {
				return err
			}
			if what == "components" {
				comps := latticeComponents(apps, hosts)
				if asJSON {
					return writeJSON(out, comps)
				}
				componentsTable(out, comps)
				return nil
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

// componentRow is a line of `get components`: one component of one app,
// over the lattice's hosts.
type componentRow struct {
	App       string `json:"app"`
	Component string `json:"component"`
	// Hosts are the hosts that run it or where it is placed and is not
	// running, by id.
	Hosts []componentHost `json:"hosts"`
	// Max, Active and Idle sum the instances of the live (not stale)
	// hosts; Calls and Errors the figures of every host listed.
	Max    int    `json:"max"`
	Active int    `json:"active"`
	Idle   int    `json:"idle"`
	Calls  uint64 `json:"calls"`
	Errors uint64 `json:"errors"`
}

// componentHost is a component on one host.
type componentHost struct {
	ID string `json:"id"`
	// State is "running", "stale" (it ran there at the host's last
	// heartbeat, which is too old), "failed" or "refused" (the app is,
	// there; Error says why).
	State string `json:"state"`
	Error string `json:"error,omitempty"`
	// Max is how many instances the host runs at most (its share of the
	// component's placement.instances, else its instances.max).
	Max    int    `json:"max"`
	Active int    `json:"active"`
	Idle   int    `json:"idle"`
	Calls  uint64 `json:"calls"`
	Errors uint64 `json:"errors"`
}

// latticeComponents lists every component of the deployed apps and of the
// hosts' entries, by app and name, with the hosts that run it. A host
// where its app failed or was refused is listed for the components placed
// there (for all of the app's components when the host could not tell).
func latticeComponents(apps []lattice.App, hosts []lattice.HostInfo) []componentRow {
	type key struct{ app, comp string }
	rows := map[key]*componentRow{}
	row := func(app, comp string) *componentRow {
		k := key{app, comp}
		if rows[k] == nil {
			rows[k] = &componentRow{App: app, Component: comp, Hosts: []componentHost{}}
		}
		return rows[k]
	}
	deployed := map[string][]string{}
	for _, a := range apps {
		deployed[a.Name] = a.Components
		for _, c := range a.Components {
			row(a.Name, c)
		}
	}
	for _, h := range hosts {
		for _, a := range h.Apps {
			if a.State == "failed" || a.State == "refused" {
				placed := a.Placed
				if len(placed) == 0 {
					placed = deployed[a.Name]
				}
				for _, c := range placed {
					r := row(a.Name, c)
					r.Hosts = append(r.Hosts, componentHost{ID: h.ID, State: a.State, Error: a.Error})
				}
				continue
			}
			for _, c := range a.Components {
				r := row(a.Name, c.Name)
				ch := componentHost{ID: h.ID, State: "running", Max: c.Max, Active: c.Active, Idle: c.Idle, Calls: c.Calls, Errors: c.Errors}
				if h.Stale {
					ch.State = "stale"
				} else {
					r.Max += c.Max
					r.Active += c.Active
					r.Idle += c.Idle
				}
				r.Calls += c.Calls
				r.Errors += c.Errors
				r.Hosts = append(r.Hosts, ch)
			}
		}
	}
	out := make([]componentRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b componentRow) int {
		return cmp.Or(strings.Compare(a.App, b.App), strings.Compare(a.Component, b.Component))
	})
	return out
}

func componentsTable(w io.Writer, rows []componentRow) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "APP\tCOMPONENT\tHOSTS (ACTIVE/IDLE/MAX)\tMAX\tACTIVE\tIDLE\tCALLS\tERRORS")
	for _, r := range rows {
		var on []string
		for _, h := range r.Hosts {
			s := shortID(h.ID)
			switch h.State {
			case "running":
				s += fmt.Sprintf("=%d/%d/%d", h.Active, h.Idle, h.Max)
			case "stale":
				s += fmt.Sprintf("=%d/%d/%d(stale)", h.Active, h.Idle, h.Max)
			default:
				s += "(" + h.State + ")"
			}
			on = append(on, s)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\n", r.App, r.Component, dash(strings.Join(on, ",")),
			r.Max, r.Active, r.Idle, r.Calls, r.Errors)
	}
	tw.Flush()
}

// linkRow is a line of `get links`: one link of one app's component,
// summed over the hosts that run the component.
type linkRow struct {
	App       string   `json:"app"`
	From      string   `json:"from"`
	Interface string   `json:"interface"`
	To        string   `json:"to"`
	Hosts     []string `json:"hosts"`
	Calls     uint64   `json:"calls"`
	Failures  uint64   `json:"failures"`
}

// latticeLinks lists the links of the components the hosts run, by app,
// component, interface and target.
func latticeLinks(hosts []lattice.HostInfo) []linkRow {
	type key struct{ app, from, iface, to string }
	rows := map[key]*linkRow{}
	for _, h := range hosts {
		for _, a := range h.Apps {
			for _, c := range a.Components {
				for _, ln := range c.Links {
					k := key{a.Name, c.Name, ln.Interface, ln.Target}
					r := rows[k]
					if r == nil {
						r = &linkRow{App: a.Name, From: c.Name, Interface: ln.Interface, To: ln.Target}
						rows[k] = r
					}
					r.Hosts = append(r.Hosts, h.ID)
					r.Calls += ln.Calls
					r.Failures += ln.Failures
				}
			}
		}
	}
	out := make([]linkRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b linkRow) int {
		return cmp.Or(strings.Compare(a.App, b.App), strings.Compare(a.From, b.From),
			strings.Compare(a.Interface, b.Interface), strings.Compare(a.To, b.To))
	})
	return out
}

func linksTable(w io.Writer, rows []linkRow) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "APP\tFROM\tINTERFACE\tTO\tHOSTS\tCALLS\tFAILURES")
	for _, r := range rows {
		ids := make([]string, len(r.Hosts))
		for i, id := range r.Hosts {
			ids[i] = shortID(id)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\n", r.App, r.From, r.Interface, r.To,
			strings.Join(ids, ","), r.Calls, r.Failures)
	}
	tw.Flush()
}

// shortID is a host id as tables show it: its first 10 characters.
func shortID(id string) string {
	if len(id) > 10 {
		return id[:10]
	}
	return id
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
