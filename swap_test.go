package wasmhive_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

// TestReplaceUnderLoad swaps a link's target, then its importer, while
// calls flow: no call fails, and once a swap returns new calls reach the
// new version. A version that does not link is refused and the old one
// keeps serving.
func TestReplaceUnderLoad(t *testing.T) {
	h, _ := linkedHost(t, wasmhive.Link{})
	ctx := context.Background()
	in := wasmhive.Instances{Max: 8, QueueTimeout: -1}
	v2 := wasmhive.ComponentConfig{Module: testguest.GoReactorTags(t, "links/greeter", "v2"), Instances: in}
	var calls, failures atomic.Int64
	var mu sync.Mutex
	var firstErr error
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				out, err := h.Invoke(ctx, "caller", "call_hello", []byte("x"))
				calls.Add(1)
				if err != nil || (string(out) != "hello, x (v1)" && string(out) != "hello, x (v2)") {
					failures.Add(1)
					mu.Lock()
					if firstErr == nil {
						firstErr = err
						if err == nil {
							firstErr = &unexpected{string(out)}
						}
					}
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)
	old, _ := h.Component("greeter")
	if _, err := h.ReplaceComponent(ctx, "greeter", v2); err != nil {
		t.Fatal(err)
	}
	if out, err := h.Invoke(ctx, "caller", "call_hello", []byte("y")); err != nil || string(out) != "hello, y (v2)" {
		t.Errorf("after the swap: %q, %v", out, err)
	}
	time.Sleep(200 * time.Millisecond)
	// A new version that does not export the interface is refused.
	_, err := h.ReplaceComponent(ctx, "greeter", wasmhive.ComponentConfig{Module: testguest.GoReactor(t, "plugins/errors")})
	if err == nil || !strings.Contains(err.Error(), "new version of greeter refused: link caller -> greeter (acme:greeter/api): greeter exports no function of acme:greeter/api") {
		t.Errorf("bad version: %v", err)
	}
	// So is one that does not load.
	_, err = h.ReplaceComponent(ctx, "greeter", wasmhive.ComponentConfig{Wasm: []byte("\x00asm\x01\x00\x00")})
	if err == nil || strings.Contains(err.Error(), "\n") {
		t.Errorf("truncated version: %v", err)
	}
	// The importer too can be replaced while it calls.
	if _, err := h.ReplaceComponent(ctx, "caller", wasmhive.ComponentConfig{Module: testguest.GoReactor(t, "links/caller"),
		Links: []wasmhive.Link{{Interface: "acme:greeter/api", Target: "greeter"}}, Instances: in}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	if out, err := h.Invoke(ctx, "caller", "call_hello", []byte("z")); err != nil || string(out) != "hello, z (v2)" {
		t.Errorf("at the end: %q, %v", out, err)
	}
	if n := failures.Load(); n != 0 {
		t.Errorf("%d of %d calls failed; first: %v", n, calls.Load(), firstErr)
	}
	t.Logf("%d calls, %d failed", calls.Load(), failures.Load())
	// The old version's instances are closed once drained.
	deadline := time.Now().Add(5 * time.Second)
	for old.Stats().Idle+old.Stats().Active > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s := old.Stats(); s.Idle+s.Active > 0 {
		t.Errorf("the old version still has instances: %+v", s)
	}
	if err := h.RemoveComponent(ctx, "greeter"); err == nil || err.Error() != "component greeter cannot be removed: caller links to it" {
		t.Errorf("remove a link target: %v", err)
	}
	if err := h.RemoveComponent(ctx, "caller"); err != nil {
		t.Errorf("remove caller: %v", err)
	}
	if _, err := h.Invoke(ctx, "caller", "call_hello", nil); err == nil {
		t.Errorf("a removed component answered")
	}
}

type unexpected struct{ out string }

func (u *unexpected) Error() string { return "unexpected output " + u.out }
