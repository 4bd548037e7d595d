package lattice

import (
	"fmt"
	"maps"
	"reflect"
	"slices"

	"github.com/wasmhive/wasmhive/inspect"
	"github.com/wasmhive/wasmhive/manifest"
	"github.com/wasmhive/wasmhive/trigger"
)

// Placed returns the components of m that a host labelled labels runs:
// those whose placement labels it all has (a component without placement
// runs on every host), and the targets of their links, transitively (links
// are calls inside one host: a component brings the components it links
// to along, whatever their own placement).
func Placed(m *manifest.App, labels map[string]string) map[string]bool {
	out := map[string]bool{}
	var add func(name string)
	add = func(name string) {
		if out[name] {
			return
		}
		c, ok := m.Component(name)
		if !ok {
			return
		}
		out[name] = true
		for _, l := range c.Config.Links {
			add(l.Target)
		}
	}
	for _, c := range m.Components {
		if c.Placement.Matches(labels) {
			add(c.Name)
		}
	}
	return out
}

// localManifest returns m with only the components in local, and only the
// messaging subscriptions of those (the hosts that run a component
// subscribe for it); the HTTP routes stay, whichever component serves
// them: a host serves every route, calling the components it does not run
// across the lattice.
func localManifest(m *manifest.App, local map[string]bool) *manifest.App {
	c := *m
	c.Components = slices.DeleteFunc(slices.Clone(m.Components), func(x manifest.Component) bool { return !local[x.Name] })
	c.Messaging.Subscriptions = slices.DeleteFunc(slices.Clone(m.Messaging.Subscriptions), func(s manifest.Subscription) bool { return !local[s.Component] })
	return &c
}

// remoteChanged reports whether going from o to m changes a component that
// runs elsewhere (not in local) and that an HTTP route serves: its
// description (exports, limits) was fixed when the route's trigger
// started.
func remoteChanged(o, m *manifest.App, local map[string]bool) bool {
	for _, r := range m.HTTP.Routes {
		if local[r.Component] {
			continue
		}
		oc, ok1 := o.Component(r.Component)
		nc, ok2 := m.Component(r.Component)
		if ok1 != ok2 || (ok1 && !reflect.DeepEqual(oc.Config, nc.Config)) {
			return true
		}
	}
	return false
}

// sameSet reports whether a and b hold the same names.
func sameSet(a, b map[string]bool) bool { return maps.Equal(a, b) }

// describeModule describes component c of m, which runs on other hosts,
// to a trigger of this host, from its module's file (every host has the
// deployment's modules): its exports and pattern, and its limits on a
// call's input and output. It has no counters here: its calls are counted
// where it runs.
func describeModule(m *manifest.App, name string) (trigger.Info, error) {
	c, ok := m.Component(name)
	if !ok {
		return trigger.Info{}, fmt.Errorf("no such component %q", name)
	}
	rep, err := inspect.File(c.Config.Module)
	if err != nil {
		return trigger.Info{}, fmt.Errorf("component %s (run by other hosts): %w", name, err)
	}
	if rep.Kind != "module" {
		return trigger.Info{}, fmt.Errorf("component %s runs on other hosts of the lattice, and is a Component Model binary: triggers call those only on the hosts that run them for now (place it on this host too)", name)
	}
	exports := map[string]bool{}
	for _, e := range rep.Exports {
		if e.Kind == "func" {
			exports[e.Name] = true
		}
	}
	return trigger.Info{Name: name, Pattern: rep.Pattern, Exports: exports,
		MaxRequestBytes: int64(c.Config.Limits.RequestBytes), MaxResponseBytes: int64(c.Config.Limits.ResponseBytes)}, nil
}
