package manifest_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive/manifest"
)

// TestComponentProblems: Component Model components are checked as the
// Host will load them: their WIT capability imports against the grants,
// routes against their wasi:http export, subscriptions against their
// wasmcloud:messaging handler.
func TestComponentProblems(t *testing.T) {
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	counter := abs("../examples/kvcounter-component/c/kvcounter-c.wasm")
	target := abs("../testdata/components/linktarget.wasm")
	m := fmt.Sprintf(`version: 1
name: cm
http:
  routes:
    - path: /
      component: counter
    - path: /t
      component: target
    - path: /w
      component: counter
      convention: wagi
messaging:
  subscriptions:
    - subject: x
      component: counter
components:
  counter:
    module: %s
  target:
    module: %s
`, counter, target)
	_, err := manifest.Parse("app.yaml", []byte(m))
	if err == nil {
		t.Fatal("accepted")
	}
	got := err.Error()
	for _, want := range []string{
		"app.yaml:17: components.counter.grants: the component imports wasi:keyvalue/store@0.2.0-draft and wasi:keyvalue/atomics@0.2.0-draft, but keyvalue is not granted",
		"app.yaml:7: http.routes[1]: component target exports no wasi:http/incoming-handler",
		"app.yaml:9: http.routes[2]: component counter is a Component Model component: the wagi convention serves core modules",
		"app.yaml:14: messaging.subscriptions[0]: component counter is a Component Model component: a subscription calls its wasmcloud:messaging/handler export",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing problem %q in:\n%s", want, got)
		}
	}
	// Granted, routed to its wasi:http export: accepted.
	ok := fmt.Sprintf(`version: 1
name: cm
http:
  routes:
    - path: /
      component: counter
components:
  counter:
    module: %s
    grants: {keyvalue: {}}
`, counter)
	if _, err := manifest.Parse("app.yaml", []byte(ok)); err != nil {
		t.Fatal(err)
	}
}
