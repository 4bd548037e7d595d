package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestUpLimits runs testdata/apps/limits with `wasmhive up`: a request
// whose call reads more keys than its component's keyvalue_keys_per_call
// fails, the host logs one warning line naming the component and the limit
// with a count that moves, and both that component and the other one go
// on serving.
func TestUpLimits(t *testing.T) {
	manifest := appDir(t, "limits", map[string]string{"limits.wasm": appGuest(t, "limits")})
	p := startUp(t, []string{"XDG_DATA_HOME=" + t.TempDir()}, manifest)
	ok := func(path, body string) {
		t.Helper()
		if r := do(t, "GET", p.url+path); r.status != 200 || r.body != body {
			t.Fatalf("GET %s: %d %q, want 200 %q", path, r.status, r.body, body)
		}
	}
	ok("/busy/kv?n=10", "read 10 keys")
	for i, count := range []string{"count=1", "count=2"} {
		if i > 0 {
			// Violations of one limit are logged at most once a second
			// (with the number left out); wait, so that this one is.
			time.Sleep(1100 * time.Millisecond)
		}
		r := do(t, "GET", p.url+"/busy/kv?n=11")
		if r.status != 500 || strings.Contains(strings.TrimSpace(r.body), "\n") || strings.Contains(r.body, "goroutine") {
			t.Fatalf("GET /busy/kv?n=11 (%d): %d %q, want an error status and at most one line", i+1, r.status, r.body)
		}
		t.Logf("the violation got %d %q", r.status, r.body)
		p.waitLog(t, `msg="limit exceeded" component=busy limit=keyvalue_keys_per_call error="busy: handle_http: limit keyvalue_keys_per_call exceeded (11, the limit is 10)" `+count, 10*time.Second)
		ok("/busy/kv?n=10", "read 10 keys")
	}
	ok("/busy/kv?n=10", "read 10 keys")
	ok("/calm/kv?n=11", "read 11 keys")
	ok("/calm/", "ok")
	var warnings int
	for _, l := range strings.Split(p.log(), "\n") {
		if strings.Contains(l, `msg="limit exceeded"`) {
			warnings++
			if strings.Contains(l, "component=calm") {
				t.Errorf("a violation logged for the other component: %s", l)
			}
		}
	}
	if warnings != 2 {
		t.Errorf("%d limit warnings logged for 2 violations a second apart", warnings)
	}
	// The health check counts them per component and limit.
	r := do(t, "GET", p.url+"/.well-known/wasmhive/health")
	var health struct {
		Routes []struct {
			Component  string
			Violations map[string]uint64
		}
	}
	if err := json.Unmarshal([]byte(r.body), &health); err != nil {
		t.Fatalf("health: %v: %s", err, r.body)
	}
	seen := map[string]map[string]uint64{}
	for _, rt := range health.Routes {
		seen[rt.Component] = rt.Violations
	}
	if got := seen["busy"]["keyvalue_keys_per_call"]; got != 2 || len(seen["calm"]) != 0 {
		t.Errorf("health violations = %v, want busy keyvalue_keys_per_call 2 and none for calm", seen)
	}
	p.stopped(t)
}
