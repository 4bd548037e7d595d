package lattice

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"reflect"
	"slices"
	"strings"

	"github.com/wasmhive/wasmhive/inspect"
	"github.com/wasmhive/wasmhive/manifest"
	"github.com/wasmhive/wasmhive/trigger"
)

// Member is a live host of the lattice as placement sees it: its id and
// labels.
type Member struct {
	ID     string
	Labels map[string]string
}

// Placed returns the components of m that host self runs when members are
// the lattice's live hosts (self counts whether or not it is listed), each
// with the instances it runs there: 0 means the component's own
// instances, n > 0 its share of placement.instances (which becomes its
// instances.max there).
//
// A component runs on the members whose labels include all of its
// placement labels (without placement: every member). With
// placement.instances N, the H matching members are ranked by a hash of
// the app, the component and the host id (rendezvous hashing: every host
// computes the same order, and a host that joins or leaves moves only its
// own share), and each gets N/H instances, the first N mod H one more; a
// host whose share is 0 does not run it. A link whose target does not run
// on a host is called across the lattice from there.
func Placed(m *manifest.App, self Member, members []Member) map[string]int {
	if !slices.ContainsFunc(members, func(x Member) bool { return x.ID == self.ID }) {
		members = append(slices.Clone(members), self)
	}
	shares := map[string]int{}
	for _, c := range m.Components {
		if !c.Placement.Matches(self.Labels) {
			continue
		}
		if c.Placement.Instances <= 0 {
			shares[c.Name] = 0
			continue
		}
		if n := Share(m.Name, c.Name, c.Placement, self.ID, members); n > 0 {
			shares[c.Name] = n
		}
	}
	return shares
}

// Share returns how many of p.Instances instances of component of app host
// runs when members are the live hosts (Placed): 0 when host does not
// match p or is not a member, or p has no instances count.
func Share(app, component string, p manifest.Placement, host string, members []Member) int {
	if p.Instances <= 0 {
		return 0
	}
	type ranked struct {
		id    string
		score uint64
	}
	var eligible []ranked
	for _, x := range members {
		if p.Matches(x.Labels) {
			h := fnv.New64a()
			h.Write([]byte(app + "\x00" + component + "\x00" + x.ID))
			eligible = append(eligible, ranked{x.ID, h.Sum64()})
		}
	}
	slices.SortFunc(eligible, func(a, b ranked) int {
		if a.score != b.score {
			return cmp.Compare(b.score, a.score)
		}
		return strings.Compare(a.id, b.id)
	})
	i := slices.IndexFunc(eligible, func(r ranked) bool { return r.id == host })
	if i < 0 {
		return 0
	}
	n := p.Instances / len(eligible)
	if i < p.Instances%len(eligible) {
		n++
	}
	return n
}

// localManifest returns m with only the components in local, each with
// its share of instances (Placed) as its instances.max, and only the
// messaging subscriptions of those (the hosts that run a component
// subscribe for it); the HTTP routes stay, whichever component serves
// them: a host serves every route, calling the components it does not run
// across the lattice.
func localManifest(m *manifest.App, local map[string]int) *manifest.App {
	c := *m
	c.Components = nil
	for _, x := range m.Components {
		n, ok := local[x.Name]
		if !ok {
			continue
		}
		if n > 0 {
			x.Config.Instances.Max = n
			x.Config.Instances.Min = min(x.Config.Instances.Min, n)
		}
		c.Components = append(c.Components, x)
	}
	c.Messaging.Subscriptions = slices.DeleteFunc(slices.Clone(m.Messaging.Subscriptions), func(s manifest.Subscription) bool {
		_, ok := local[s.Component]
		return !ok
	})
	return &c
}

// remoteChanged reports whether going from o (with local components ol)
// to m (with nl) changes a component that an HTTP route serves and that
// runs elsewhere before or after: the route's trigger took its
// description (exports, limits) when it started, and app.Reload checks
// that only for components that stay on the Host.
func remoteChanged(o, m *manifest.App, ol, nl map[string]int) bool {
	for _, r := range m.HTTP.Routes {
		_, before := ol[r.Component]
		_, after := nl[r.Component]
		if before && after {
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
	if rep.Kind == "component" && rep.Component != nil {
		// Served remotely through HTTPExport.
		info := trigger.Info{Name: name, Pattern: "component", Exports: map[string]bool{}, Interfaces: map[string]bool{},
			MaxRequestBytes: int64(c.Config.Limits.RequestBytes), MaxResponseBytes: int64(c.Config.Limits.ResponseBytes)}
		for _, e := range rep.Component.Exports {
			switch e.Kind {
			case "instance":
				iface, _, _ := strings.Cut(e.Name, "@")
				info.Interfaces[iface] = true
			case "func":
				info.Exports[e.Name] = true
			}
		}
		return info, nil
	}
	if rep.Kind != "module" {
		return trigger.Info{}, fmt.Errorf("component %s (run by other hosts): a %s binary", name, rep.Kind)
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
