package wasmhive

import (
	"context"
	"fmt"
	"time"
)

// drainPoll is how often a replaced component looks for calls still in
// flight; drainMax bounds the wait (calls are bounded by their timeouts
// long before).
const (
	drainPoll = 5 * time.Millisecond
	drainMax  = 10 * time.Minute
)

// ReplaceComponent loads cfg as the new version of component name and
// switches to it while calls flow: the new version is compiled, checked
// against its links and the links to it, and given its first instance
// beside the old one; then new calls (from triggers, links and the Go API)
// go to it, calls in flight finish on the old version, and the old
// version's instances are closed as they come back. A new version that
// fails to load or to link is refused with the reason, and the old one
// keeps serving.
func (h *Host) ReplaceComponent(ctx context.Context, name string, cfg ComponentConfig) (*Component, error) {
	if _, err := h.Component(name); err != nil {
		return nil, err
	}
	c, err := h.load(ctx, name, cfg)
	if err != nil {
		return nil, fmt.Errorf("new version of %s refused: %w", name, err)
	}
	h.wiring.Lock()
	defer h.wiring.Unlock()
	if err := h.checkLinks(c); err != nil {
		c.close(ctx)
		return nil, fmt.Errorf("new version of %s refused: %w", name, err)
	}
	h.mu.Lock()
	old, ok := h.components[name]
	if h.closed || !ok || old == nil {
		h.mu.Unlock()
		c.close(ctx)
		if h.closed {
			return nil, ErrHostClosed
		}
		return nil, fmt.Errorf("%w %q", ErrUnknownComponent, name)
	}
	h.components[name] = c
	h.mu.Unlock()
	h.retire(old, c)
	h.log.Info("component replaced", "component", name)
	return c, nil
}

// RemoveComponent takes component name off the Host: new calls to it fail
// with ErrUnknownComponent, calls in flight finish, then its instances are
// closed. A component that another one links to cannot be removed.
func (h *Host) RemoveComponent(ctx context.Context, name string) error {
	h.wiring.Lock()
	defer h.wiring.Unlock()
	h.mu.Lock()
	old, ok := h.components[name]
	if h.closed {
		h.mu.Unlock()
		return ErrHostClosed
	}
	if !ok || old == nil {
		h.mu.Unlock()
		return fmt.Errorf("%w %q", ErrUnknownComponent, name)
	}
	for n, o := range h.components {
		if o != nil && n != name && o.linksTo(name) {
			if _, elsewhere := h.remoteNode(name); elsewhere {
				continue // its links' calls go where it runs, from now on
			}
			h.mu.Unlock()
			return fmt.Errorf("component %s cannot be removed: %s links to it", name, n)
		}
	}
	delete(h.components, name)
	h.mu.Unlock()
	h.retire(old, nil)
	return nil
}

// retire stops old taking calls (they go to next, when not nil) and closes
// its pools; what is still in use closes when released, and the compiled
// code once no call is left.
func (h *Host) retire(old, next *Component) {
	if next != nil {
		old.next.Store(next)
	}
	old.closed.Store(true)
	ctx := context.Background()
	if old.pool != nil {
		old.pool.Close(ctx)
	}
	if old.runs != nil {
		old.runs.Close(ctx)
	}
	h.drains.Add(1)
	go func() {
		defer h.drains.Done()
		deadline := time.Now().Add(drainMax)
		for old.busy() && time.Now().Before(deadline) && !h.isClosed() {
			time.Sleep(drainPoll)
		}
		old.closeServed(ctx)
		old.conf.flush()
		old.closeModules(ctx)
	}()
}

// busy reports whether any instance of the component is serving a call.
func (c *Component) busy() bool {
	if c.pool != nil && c.pool.Stats().Active > 0 {
		return true
	}
	if c.runs != nil && c.runs.Stats().Active > 0 {
		return true
	}
	c.links.mu.Lock()
	defer c.links.mu.Unlock()
	for _, sp := range c.links.pools {
		if sp.pool.Stats().Active > 0 {
			return true
		}
	}
	return false
}

func (h *Host) isClosed() bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.closed
}
