package appgraph_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive/inspect/appgraph"
	"github.com/wasmhive/wasmhive/link"
	"github.com/wasmhive/wasmhive/manifest"
)

const pipeline = "../../examples/pipeline/app.yaml"

func build(t *testing.T, path string) *appgraph.Graph {
	t.Helper()
	app, err := manifest.Load(path)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	g, err := appgraph.Build(app)
	if err != nil {
		t.Fatalf("build %s: %v", path, err)
	}
	return g
}

func component(t *testing.T, g *appgraph.Graph, name string) appgraph.Component {
	t.Helper()
	for _, c := range g.Components {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no component %s in %+v", name, g.Components)
	return appgraph.Component{}
}

func imported(t *testing.T, c appgraph.Component, iface string) appgraph.Interface {
	t.Helper()
	for _, im := range c.Imports {
		if im.Name == iface {
			return im
		}
	}
	t.Fatalf("component %s imports nothing from %s: %+v", c.Name, iface, c.Imports)
	return appgraph.Interface{}
}

func export(t *testing.T, c appgraph.Component, name string) appgraph.Export {
	t.Helper()
	for _, e := range c.Exports {
		if e.Name == name {
			return e
		}
	}
	t.Fatalf("component %s does not export %s: %+v", c.Name, name, c.Exports)
	return appgraph.Export{}
}

func TestPipeline(t *testing.T) {
	g := build(t, pipeline)
	if !g.Sound || len(g.Problems) != 0 {
		t.Fatalf("pipeline is not sound: %+v", g.Problems)
	}
	if g.Kind != "app" || g.SchemaVersion != 1 || g.Name != "pipeline" {
		t.Errorf("kind %q, schema %d, name %q", g.Kind, g.SchemaVersion, g.Name)
	}
	var names []string
	for _, c := range g.Components {
		names = append(names, c.Name)
	}
	if want := []string{"counter", "kv-sender", "receiver"}; !reflect.DeepEqual(names, want) {
		t.Errorf("components %v, want %v", names, want)
	}
	want := []appgraph.Link{
		{From: "counter", To: "kv-sender", Interface: "wasmhive:keyvalue/atomics", Functions: []string{"increment"}, Timeout: "2s", Problems: []string{}},
		{From: "receiver", To: "counter", Interface: link.HTTPHandler, Functions: []string{"handle"}, Problems: []string{}},
	}
	if !reflect.DeepEqual(g.Links, want) {
		t.Errorf("links\n%+v\nwant\n%+v", g.Links, want)
	}
	if g.Summary != "wiring sound: 3 components, 2 links, 1 route, 0 subscriptions" {
		t.Errorf("summary %q", g.Summary)
	}

	counter := component(t, g, "counter")
	if counter.Module != "../kvcounter/kvcounter.wasm" || counter.Pattern != "library" {
		t.Errorf("counter: module %q, pattern %q", counter.Module, counter.Pattern)
	}
	if by := imported(t, counter, "wasmhive:keyvalue/atomics").By; by.Kind != appgraph.ByLink || by.Name != "kv-sender" {
		t.Errorf("counter's atomics satisfied by %+v, want the link to kv-sender", by)
	}
	if by := imported(t, counter, "wasi_snapshot_preview1").By; by.Kind != appgraph.ByHost || by.Name != "wasi" {
		t.Errorf("counter's WASI satisfied by %+v", by)
	}
	if by := imported(t, counter, "extism:host/env").By; by.Kind != appgraph.ByHost || by.Name != "extism kernel" {
		t.Errorf("counter's kernel satisfied by %+v", by)
	}
	h := export(t, counter, "handle_http")
	if h.Interface != link.HTTPHandler || h.Function != "handle" || !reflect.DeepEqual(h.UsedBy, []appgraph.Use{{Kind: "link", Name: "receiver"}}) {
		t.Errorf("counter's handle_http: %+v", h)
	}

	kv := component(t, g, "kv-sender")
	wantProv := appgraph.Satisfier{Kind: appgraph.ByProvider, Name: "keyvalue", Provider: "bolt", Detail: "bbolt, bucket counter"}
	if !reflect.DeepEqual(kv.Grants, []string{"keyvalue"}) || len(kv.Providers) != 1 || !reflect.DeepEqual(kv.Providers[0], wantProv) {
		t.Errorf("kv-sender: grants %v, providers %+v", kv.Grants, kv.Providers)
	}
	inv := imported(t, kv, link.InvokeModule).By
	if inv.Kind != appgraph.ByHost || !reflect.DeepEqual(inv.RoutesTo, []appgraph.Satisfier{wantProv}) {
		t.Errorf("kv-sender's generic calls: %+v, want routed to the keyvalue provider", inv)
	}
	inc := export(t, kv, "wasmhive:keyvalue/atomics#increment")
	if inc.Interface != "wasmhive:keyvalue/atomics" || inc.Function != "increment" || len(inc.UsedBy) != 1 {
		t.Errorf("kv-sender's increment: %+v", inc)
	}
	if cas := export(t, kv, "wasmhive:keyvalue/atomics#compare_and_swap"); len(cas.UsedBy) != 0 {
		t.Errorf("compare_and_swap is used by %+v; nothing imports it", cas.UsedBy)
	}

	recv := component(t, g, "receiver")
	if h := export(t, recv, "handle_http"); !reflect.DeepEqual(h.UsedBy, []appgraph.Use{{Kind: "route", Name: "/"}}) {
		t.Errorf("receiver's handle_http used by %+v, want route /", h.UsedBy)
	}
	if !reflect.DeepEqual(g.Routes, []appgraph.Route{{Path: "/", Component: "receiver", Convention: "auto", Export: "handle_http"}}) {
		t.Errorf("routes %+v", g.Routes)
	}
}

func TestBroken(t *testing.T) {
	g := build(t, "testdata/broken/app.yaml")
	if g.Sound {
		t.Fatal("the broken app is sound")
	}
	want := []appgraph.Problem{
		{Kind: appgraph.ProblemLink, Component: "orders", To: "pricer", Interface: "acme:orders/pricing",
			Message: "link orders -> pricer (acme:orders/pricing): pricer does not export acme:orders/pricing#total"},
		{Kind: appgraph.ProblemImport, Component: "orders", Interface: "acme:orders/audit",
			Message: "component orders imports acme:orders/audit.log, which no link or grant satisfies"},
		{Kind: appgraph.ProblemLink, Component: "receiver", To: "kv-sender", Interface: link.HTTPHandler,
			Message: "link receiver -> kv-sender (wasmhive:http/incoming-handler): kv-sender exports no function of wasmhive:http/incoming-handler (a target exports handle_http)"},
	}
	if !reflect.DeepEqual(g.Problems, want) {
		t.Errorf("problems\n%+v\nwant\n%+v", g.Problems, want)
	}
	if len(g.Links) != 2 {
		t.Fatalf("links %+v", g.Links)
	}
	orders := g.Links[0]
	if orders.From != "orders" || orders.Timeout != "1s" || orders.Instances == nil || orders.Instances.Max != 4 ||
		!reflect.DeepEqual(orders.Functions, []string{"quote", "total"}) ||
		!reflect.DeepEqual(orders.Problems, []string{"pricer does not export acme:orders/pricing#total"}) {
		t.Errorf("orders' link: %+v", orders)
	}
	if l := g.Links[1]; l.From != "receiver" || len(l.Problems) != 1 || !strings.Contains(l.Problems[0], "a target exports handle_http") {
		t.Errorf("receiver's link: %+v", l)
	}
	c := component(t, g, "orders")
	if by := imported(t, c, "acme:orders/audit").By; by.Kind != appgraph.ByUnsatisfied {
		t.Errorf("orders' audit satisfied by %+v", by)
	}
	if !reflect.DeepEqual(c.Problems, []string{want[1].Message}) {
		t.Errorf("orders' problems %q", c.Problems)
	}
	pricer := component(t, g, "pricer")
	if m := export(t, pricer, "handle_message"); !reflect.DeepEqual(m.UsedBy, []appgraph.Use{{Kind: "subscription", Name: "orders.priced"}}) {
		t.Errorf("pricer's handle_message: %+v", m)
	}
	if !strings.HasPrefix(g.Summary, "3 problems: 4 components, 2 links, 2 routes, 1 subscription") {
		t.Errorf("summary %q", g.Summary)
	}
}

// writeApp writes a manifest into a new directory, with the test modules'
// absolute paths for MODULE(name) and the pipeline's for PIPELINE(name).
func writeApp(t *testing.T, yaml string) string {
	t.Helper()
	broken, _ := filepath.Abs("testdata/broken")
	pipe, _ := filepath.Abs("../../examples/pipeline")
	r := strings.NewReplacer("MODULES/", broken+"/", "PIPELINE/", pipe+"/")
	path := filepath.Join(t.TempDir(), "app.yaml")
	if err := os.WriteFile(path, []byte(r.Replace(yaml)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSignatureMismatch(t *testing.T) {
	g := build(t, writeApp(t, `
version: 1
name: sig
components:
  badsig:
    module: MODULES/badsig.wasm
    links: {acme:orders/pricing: pricer}
  pricer:
    module: MODULES/pricer.wasm
`))
	want := "link badsig -> pricer (acme:orders/pricing): imports acme:orders/pricing.quote as (i32) -> (i32); a linked function takes i64 handles and returns an i64 reply handle"
	if len(g.Problems) != 1 || g.Problems[0].Message != want {
		t.Errorf("problems %+v\nwant %s", g.Problems, want)
	}
}

// A capability's interface that the capability does not have is not
// served by a grant of the capability: the Host defines no such module.
func TestGrantWithoutTheInterface(t *testing.T) {
	g := build(t, writeApp(t, `
version: 1
name: grant
components:
  receiver:
    module: PIPELINE/receiver.wasm
    grants: {http: {}}
`))
	by := imported(t, component(t, g, "receiver"), link.HTTPHandler).By
	if by.Kind != appgraph.ByUnsatisfied || !strings.Contains(by.Detail, "has no interface") {
		t.Errorf("satisfied by %+v", by)
	}
	if len(g.Problems) != 1 || g.Problems[0].Kind != appgraph.ProblemImport || g.Sound {
		t.Errorf("problems %+v", g.Problems)
	}
}

// A link takes precedence over a grant of the interface's capability, and
// a provider's URL is shown without its credentials.
func TestLinkOverGrantAndProviders(t *testing.T) {
	g := build(t, writeApp(t, `
version: 1
name: prov
providers:
  keyvalue: {type: redis, url: "redis://user:s3cret@127.0.0.1:6379/0"}
components:
  counter:
    module: PIPELINE/../kvcounter/kvcounter.wasm
    grants: {keyvalue: {}}
    links: {wasmhive:keyvalue/atomics: kv-sender}
  kv-sender:
    module: PIPELINE/kv-sender.wasm
    grants: {keyvalue: {bucket: counter}}
`))
	if !g.Sound {
		t.Fatalf("problems %+v", g.Problems)
	}
	counter := component(t, g, "counter")
	if by := imported(t, counter, "wasmhive:keyvalue/atomics").By; by.Kind != appgraph.ByLink {
		t.Errorf("counter's atomics satisfied by %+v, want its link", by)
	}
	if p := counter.Providers; len(p) != 1 || p[0].Provider != "redis" || p[0].Detail != "Redis redis://127.0.0.1:6379/0, bucket counter" {
		t.Errorf("counter's providers %+v", p)
	}
	inv := imported(t, component(t, g, "kv-sender"), link.InvokeModule).By
	if len(inv.RoutesTo) != 1 || inv.RoutesTo[0].Provider != "redis" {
		t.Errorf("kv-sender's generic calls go to %+v", inv.RoutesTo)
	}
	var buf bytes.Buffer
	if err := g.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	if err := g.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "s3cret") {
		t.Errorf("the provider's password is printed:\n%s", buf.String())
	}
}

func TestKnown(t *testing.T) {
	known := map[string]link.Interface{}
	for _, k := range appgraph.Known() {
		known[k.Name] = k
	}
	for _, c := range []struct {
		iface, fn string
		params    int
	}{
		{"wasmhive:keyvalue/atomics", "increment", 2},
		{"wasmhive:keyvalue/store", "get", 1},
		{"wasmhive:config/store", "get_all", 0},
		{link.HTTPHandler, "handle", 1},
		{link.MessageHandler, "handle", 1},
	} {
		f, ok := known[c.iface].Func(c.fn)
		if !ok || f.Params != c.params {
			t.Errorf("%s.%s: %+v, %v; want %d parameters", c.iface, c.fn, f, ok, c.params)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	g := build(t, "testdata/broken/app.yaml")
	var buf bytes.Buffer
	if err := g.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back appgraph.Graph
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, g) {
		t.Errorf("JSON does not read back as the graph:\n%s", buf.String())
	}
	var again bytes.Buffer
	if err := build(t, "testdata/broken/app.yaml").WriteJSON(&again); err != nil || !bytes.Equal(again.Bytes(), buf.Bytes()) {
		t.Errorf("two builds print different JSON (%v)", err)
	}
}

// appDocs returns the "App graph" section of docs/inspect-json.md.
func appDocs(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../docs/inspect-json.md")
	if err != nil {
		t.Fatal(err)
	}
	_, s, ok := strings.Cut(string(b), "\n## App graph\n")
	if !ok {
		t.Fatal(`docs/inspect-json.md has no "## App graph" section`)
	}
	return s
}

// TestDocsTextExample: the text example in the docs is what the pipeline
// prints (its "..." elides lines).
func TestDocsTextExample(t *testing.T) {
	doc := appDocs(t)
	_, block, _ := strings.Cut(doc, "\n```\n")
	block, _, _ = strings.Cut(block, "\n```\n")
	var out bytes.Buffer
	if err := build(t, pipeline).WriteText(&out); err != nil {
		t.Fatal(err)
	}
	for _, chunk := range strings.Split(block+"\n", "  ...\n") {
		if !strings.Contains(out.String(), chunk) {
			t.Errorf("the output lacks the docs' lines\n%s\noutput:\n%s", chunk, out.String())
		}
	}
}

// TestDocsFields: every JSON field the graphs have is documented.
func TestDocsFields(t *testing.T) {
	doc := appDocs(t)
	keys := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				keys[k] = true
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	for _, path := range []string{pipeline, "testdata/broken/app.yaml"} {
		var buf bytes.Buffer
		if err := build(t, path).WriteJSON(&buf); err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(buf.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		walk(v)
	}
	for k := range keys {
		if !strings.Contains(doc, "`"+k+"`") && !strings.Contains(doc, `"`+k+`"`) {
			t.Errorf("field %q is not documented in docs/inspect-json.md", k)
		}
	}
}
