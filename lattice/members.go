package lattice

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// members follows the hosts bucket and knows the lattice's live hosts, as
// placement (Placed) sees them: each host is live from its entry's first
// sight until it has sent no heartbeat for StaleAfter of its intervals
// (timed by this host's clock, when the updates arrive, so that clocks
// that differ between machines do not matter) or deleted its entry.
type members struct {
	self    Member
	changed chan struct{} // a token when the live set changed

	mu   sync.Mutex
	seen map[string]memberSeen
	live string // the live set's key (liveKey) when changed was last signalled
}

type memberSeen struct {
	labels    map[string]string
	at        time.Time
	heartbeat time.Duration
}

func newMembers(self Member) *members {
	return &members{self: self, changed: make(chan struct{}, 1), seen: map[string]memberSeen{}}
}

// Live returns the live hosts, sorted by id, this host among them.
func (ms *members) Live() []Member {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return ms.liveLocked(time.Now())
}

func (ms *members) liveLocked(now time.Time) []Member {
	out := []Member{ms.self}
	for id, s := range ms.seen {
		if id == ms.self.ID || now.Sub(s.at) > StaleAfter*s.heartbeat {
			continue
		}
		out = append(out, Member{ID: id, Labels: s.labels})
	}
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// liveKey identifies a live set: its ids and labels.
func liveKey(live []Member) string {
	var b strings.Builder
	for _, m := range live {
		b.WriteString(m.ID)
		for _, k := range slices.Sorted(maps.Keys(m.Labels)) {
			b.WriteString("," + k + "=" + m.Labels[k])
		}
		b.WriteByte(';')
	}
	return b.String()
}

// check signals changed when the live set differs from the last one
// signalled.
func (ms *members) check() {
	ms.mu.Lock()
	key := liveKey(ms.liveLocked(time.Now()))
	if key == ms.live {
		ms.mu.Unlock()
		return
	}
	ms.live = key
	ms.mu.Unlock()
	select {
	case ms.changed <- struct{}{}:
	default:
	}
}

// follow watches the hosts bucket until ctx is done, and checks the live
// set on every update and every tick (a host goes stale by saying
// nothing).
func (ms *members) follow(ctx context.Context, kv jetstream.KeyValue, tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for ctx.Err() == nil {
		w, err := kv.WatchAll(ctx)
		if err != nil {
			sleep(ctx, time.Second)
			continue
		}
	follow:
		for {
			select {
			case <-ctx.Done():
				break follow
			case <-t.C:
				ms.check()
			case e, ok := <-w.Updates():
				if !ok {
					break follow
				}
				if e == nil {
					ms.check() // the initial values are in
					continue
				}
				ms.update(e)
				ms.check()
			}
		}
		w.Stop()
	}
}

// update records one change of the hosts bucket.
func (ms *members) update(e jetstream.KeyValueEntry) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if e.Operation() != jetstream.KeyValuePut {
		delete(ms.seen, e.Key())
		return
	}
	var h HostInfo
	if json.Unmarshal(e.Value(), &h) != nil || h.ID != e.Key() {
		return // not an entry a host wrote: not a member
	}
	hb := h.Heartbeat
	if hb <= 0 {
		hb = DefaultHeartbeat
	}
	// An entry older than its staleness when it is first seen (the initial
	// values of the watch) is a host that died: its time is its own.
	at := time.Now()
	if d := time.Since(e.Created()); d > StaleAfter*hb {
		at = e.Created()
	}
	ms.seen[e.Key()] = memberSeen{labels: h.Labels, at: at, heartbeat: hb}
}
