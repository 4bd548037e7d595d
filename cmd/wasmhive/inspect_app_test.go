package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	pipelineApp = "../../examples/pipeline/app.yaml"
	brokenApp   = "../../inspect/appgraph/testdata/broken/app.yaml"
)

// section returns the lines of out from the one that starts with head to
// the next blank line.
func section(out, head string) string {
	i := strings.Index(out, "\n"+head)
	if i < 0 {
		return ""
	}
	s := out[i+1:]
	if j := strings.Index(s, "\n\n"); j >= 0 {
		s = s[:j+1]
	}
	return s
}

func checkNoTrailingSpaces(t *testing.T, out string) {
	t.Helper()
	for i, line := range strings.Split(out, "\n") {
		if strings.HasSuffix(line, " ") {
			t.Errorf("line %d has trailing spaces: %q", i+1, line)
		}
	}
}

func TestInspectAppPipeline(t *testing.T) {
	res := runCLI(t, nil, "inspect", pipelineApp)
	if res.Code != 0 || res.Stderr != "" {
		t.Fatalf("exit %d, stderr %q\n%s", res.Code, res.Stderr, res.Stdout)
	}
	out := res.Stdout
	if !strings.HasPrefix(out, "app pipeline  "+pipelineApp+"\n") {
		t.Errorf("first line: %q", strings.SplitN(out, "\n", 2)[0])
	}
	// Components by name, each with what satisfies its imports.
	iCounter, iKV, iRecv := strings.Index(out, "\ncomponent counter  ../kvcounter/kvcounter.wasm\n"),
		strings.Index(out, "\ncomponent kv-sender  kv-sender.wasm\n"), strings.Index(out, "\ncomponent receiver  receiver.wasm\n")
	if iCounter < 0 || iKV < 0 || iRecv < 0 || !(iCounter < iKV && iKV < iRecv) {
		t.Fatalf("components missing or out of order (%d %d %d):\n%s", iCounter, iKV, iRecv, out)
	}
	counter, kv, recv := out[iCounter:iKV], out[iKV:iRecv], section(out[iRecv:], "component receiver")
	for _, c := range []struct{ where, text, want string }{
		{"counter", counter, "  pattern  library (imports extism:host/env)\n"},
		{"counter", counter, "  grants   none\n"},
		{"counter", counter, "    wasmhive:keyvalue/atomics  link -> kv-sender          increment\n"},
		{"counter", counter, "    wasi_snapshot_preview1     host (wasi)                15 functions\n"},
		{"counter", counter, "    extism:host/env            host (extism kernel)       7 functions\n"},
		{"counter", counter, "    handle_http  () -> (i32)  implements wasmhive:http/incoming-handler.handle  <- link receiver\n"},
		{"kv-sender", kv, "  grants   keyvalue (bbolt, bucket counter)\n"},
		{"kv-sender", kv, "    wasmhive:host/invoke    host (wasmhive:host/invoke)  1 function\n      generic calls -> provider keyvalue (bbolt, bucket counter)\n"},
		{"kv-sender", kv, "    wasmhive:keyvalue/atomics#increment         () -> (i32)  implements wasmhive:keyvalue/atomics.increment         <- link counter\n"},
		{"receiver", recv, "    wasmhive:http/incoming-handler  link -> counter            handle\n"},
		{"receiver", recv, "    handle_http  () -> (i32)  implements wasmhive:http/incoming-handler.handle  <- route /\n"},
	} {
		if !strings.Contains(c.text, c.want) {
			t.Errorf("%s lacks %q:\n%s", c.where, c.want, c.text)
		}
	}
	if got, want := section(out, "links"), "links (2)\n"+
		"  counter -> kv-sender  wasmhive:keyvalue/atomics       increment  timeout 2s\n"+
		"  receiver -> counter   wasmhive:http/incoming-handler  handle\n"; got != want {
		t.Errorf("links:\n%s\nwant\n%s", got, want)
	}
	if got, want := section(out, "routes"), "routes (1)\n  /  -> receiver  auto, handle_http\n"; got != want {
		t.Errorf("routes:\n%s\nwant\n%s", got, want)
	}
	if strings.Contains(out, "!!") || strings.Contains(out, "problems (") {
		t.Errorf("a sound app shows problems:\n%s", out)
	}
	if !strings.HasSuffix(out, "\n\nwiring sound: 3 components, 2 links, 1 route, 0 subscriptions\n") {
		t.Errorf("summary line missing:\n%s", out)
	}
	checkNoTrailingSpaces(t, out)

	// Stable: the same bytes every time.
	if again := runCLI(t, nil, "inspect", pipelineApp); again.Stdout != out {
		t.Errorf("a second run prints something else:\n%s", again.Stdout)
	}
}

func TestInspectAppBroken(t *testing.T) {
	res := runCLI(t, nil, "inspect", brokenApp)
	if res.Code != 1 {
		t.Fatalf("exit %d, want 1; stderr %q\n%s", res.Code, res.Stderr, res.Stdout)
	}
	if res.Stderr != "wasmhive: "+brokenApp+": the wiring has 3 problems\n" {
		t.Errorf("stderr %q", res.Stderr)
	}
	out := res.Stdout
	missingTotal := "link orders -> pricer (acme:orders/pricing): pricer does not export acme:orders/pricing#total"
	unsatisfied := "component orders imports acme:orders/audit.log, which no link or grant satisfies"
	missingHandler := "link receiver -> kv-sender (wasmhive:http/incoming-handler): kv-sender exports no function of wasmhive:http/incoming-handler (a target exports handle_http)"
	if got, want := section(out, "problems"), "problems (3)\n  !! "+missingTotal+"\n  !! "+unsatisfied+"\n  !! "+missingHandler+"\n"; got != want {
		t.Errorf("problems:\n%s\nwant\n%s", got, want)
	}
	// Each problem also next to what it concerns.
	links := section(out, "links")
	for _, want := range []string{
		"  orders -> pricer       acme:orders/pricing             quote, total  timeout 1s, instances max 4\n    !! pricer does not export acme:orders/pricing#total\n",
		"  receiver -> kv-sender  wasmhive:http/incoming-handler  handle\n    !! kv-sender exports no function of wasmhive:http/incoming-handler (a target exports handle_http)\n",
	} {
		if !strings.Contains(links, want) {
			t.Errorf("links lack %q:\n%s", want, links)
		}
	}
	orders := out[strings.Index(out, "\ncomponent orders "):strings.Index(out, "\ncomponent pricer ")]
	for _, want := range []string{
		"    acme:orders/audit    !! unsatisfied (no link, capability, library or host module)  log\n",
		"    acme:orders/pricing  link -> pricer",
		"  !! " + unsatisfied + "\n",
	} {
		if !strings.Contains(orders, want) {
			t.Errorf("orders lacks %q:\n%s", want, orders)
		}
	}
	if got, want := section(out, "subscriptions"), "subscriptions (1)\n  orders.priced  -> pricer  handle_message, queue pricers\n"; got != want {
		t.Errorf("subscriptions:\n%s\nwant\n%s", got, want)
	}
	if !strings.HasSuffix(out, "\n\n3 problems: 4 components, 2 links, 2 routes, 1 subscription\n") {
		t.Errorf("summary line missing:\n%s", out)
	}
	checkNoTrailingSpaces(t, out)
}

// appJSON is the documented schema (docs/inspect-json.md, "App graph"),
// written out independently of package appgraph's types.
type appJSON struct {
	SchemaVersion int    `json:"schema_version"`
	Kind          string `json:"kind"`
	Name          string `json:"name"`
	File          string `json:"file"`
	Sound         bool   `json:"sound"`
	Summary       string `json:"summary"`
	Components    []struct {
		Name      string   `json:"name"`
		Module    string   `json:"module"`
		Kind      string   `json:"kind"`
		Pattern   string   `json:"pattern"`
		Grants    []string `json:"grants"`
		Providers []struct {
			Kind, Name, Provider, Detail string
		} `json:"providers"`
		Imports []struct {
			Interface string `json:"interface"`
			Functions []struct {
				Name, Signature string
			} `json:"functions"`
			SatisfiedBy struct {
				Kind     string `json:"kind"`
				Name     string `json:"name"`
				Provider string `json:"provider"`
				RoutesTo []struct {
					Kind, Name, Provider string
				} `json:"routes_to"`
			} `json:"satisfied_by"`
		} `json:"imports"`
		Exports []struct {
			Name      string `json:"name"`
			Signature string `json:"signature"`
			Interface string `json:"interface"`
			Function  string `json:"function"`
			UsedBy    []struct {
				Kind, Name string
			} `json:"used_by"`
		} `json:"exports"`
		Problems []string `json:"problems"`
	} `json:"components"`
	Links []struct {
		From      string   `json:"from"`
		To        string   `json:"to"`
		Interface string   `json:"interface"`
		Functions []string `json:"functions"`
		Timeout   string   `json:"timeout"`
		Instances *struct {
			Max int `json:"max"`
		} `json:"instances"`
		Problems []string `json:"problems"`
	} `json:"links"`
	Routes []struct {
		Path, Component, Convention, Export string
	} `json:"routes"`
	Subscriptions []struct {
		Subject, Component, Queue, Export string
	} `json:"subscriptions"`
	Problems []struct {
		Kind      string `json:"kind"`
		Message   string `json:"message"`
		Component string `json:"component"`
		To        string `json:"to"`
		Interface string `json:"interface"`
	} `json:"problems"`
}

func inspectAppJSON(t *testing.T, path string, code int) appJSON {
	t.Helper()
	res := runCLI(t, nil, "inspect", "--json", path)
	if res.Code != code {
		t.Fatalf("exit %d, want %d; stderr %q", res.Code, code, res.Stderr)
	}
	var g appJSON
	dec := json.NewDecoder(strings.NewReader(res.Stdout))
	if err := dec.Decode(&g); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, res.Stdout)
	}
	if dec.More() {
		t.Errorf("more than one JSON value:\n%s", res.Stdout)
	}
	for _, key := range []string{`"components"`, `"links"`, `"routes"`, `"subscriptions"`, `"problems"`, `"used_by"`} {
		if !strings.Contains(res.Stdout, key+": [") {
			t.Errorf("%s is not an array in:\n%s", key, res.Stdout)
		}
	}
	if strings.Contains(res.Stdout, "null") {
		t.Errorf("the JSON has a null:\n%s", res.Stdout)
	}
	return g
}

func TestInspectAppJSON(t *testing.T) {
	g := inspectAppJSON(t, pipelineApp, 0)
	if g.SchemaVersion != 1 || g.Kind != "app" || g.Name != "pipeline" || g.File != pipelineApp || !g.Sound ||
		g.Summary != "wiring sound: 3 components, 2 links, 1 route, 0 subscriptions" || len(g.Problems) != 0 {
		t.Errorf("top level: %+v", g)
	}
	if len(g.Components) != 3 || g.Components[0].Name != "counter" || g.Components[1].Name != "kv-sender" || g.Components[2].Name != "receiver" {
		t.Fatalf("components: %+v", g.Components)
	}
	kv := g.Components[1]
	if kv.Module != "kv-sender.wasm" || kv.Kind != "module" || kv.Pattern != "library" || len(kv.Grants) != 1 || kv.Grants[0] != "keyvalue" ||
		len(kv.Providers) != 1 || kv.Providers[0].Kind != "provider" || kv.Providers[0].Name != "keyvalue" || kv.Providers[0].Provider != "bolt" {
		t.Errorf("kv-sender: %+v", kv)
	}
	seen := map[string]string{}
	for _, c := range g.Components {
		for _, im := range c.Imports {
			if len(im.Functions) == 0 || im.Functions[0].Signature == "" {
				t.Errorf("%s's import of %s has no functions with signatures: %+v", c.Name, im.Interface, im)
			}
			seen[c.Name+" "+im.Interface] = im.SatisfiedBy.Kind + " " + im.SatisfiedBy.Name
			if im.Interface == "wasmhive:host/invoke" {
				if r := im.SatisfiedBy.RoutesTo; len(r) != 1 || r[0].Kind != "provider" || r[0].Name != "keyvalue" || r[0].Provider != "bolt" {
					t.Errorf("%s's generic calls go to %+v", c.Name, r)
				}
			}
		}
	}
	for k, want := range map[string]string{
		"counter wasmhive:keyvalue/atomics":       "link kv-sender",
		"receiver wasmhive:http/incoming-handler": "link counter",
		"kv-sender wasi_snapshot_preview1":        "host wasi",
		"kv-sender extism:host/env":               "host extism kernel",
		"kv-sender wasmhive:host/bulk":            "host wasmhive:host/bulk",
	} {
		if seen[k] != want {
			t.Errorf("%s satisfied by %q, want %q", k, seen[k], want)
		}
	}
	if len(g.Links) != 2 || g.Links[0].From != "counter" || g.Links[0].To != "kv-sender" || g.Links[0].Interface != "wasmhive:keyvalue/atomics" ||
		g.Links[0].Timeout != "2s" || len(g.Links[0].Functions) != 1 || g.Links[0].Functions[0] != "increment" || g.Links[0].Instances != nil ||
		g.Links[1].From != "receiver" || g.Links[1].To != "counter" || len(g.Links[1].Problems) != 0 {
		t.Errorf("links: %+v", g.Links)
	}
	var handler bool
	for _, e := range g.Components[0].Exports {
		if e.Name == "handle_http" {
			handler = e.Interface == "wasmhive:http/incoming-handler" && e.Function == "handle" && e.Signature == "() -> (i32)" &&
				len(e.UsedBy) == 1 && e.UsedBy[0].Kind == "link" && e.UsedBy[0].Name == "receiver"
		}
	}
	if !handler {
		t.Errorf("counter's handle_http is not marked as the handler interface used by the link: %+v", g.Components[0].Exports)
	}
	if len(g.Routes) != 1 || g.Routes[0].Path != "/" || g.Routes[0].Component != "receiver" || g.Routes[0].Convention != "auto" {
		t.Errorf("routes: %+v", g.Routes)
	}

	b := inspectAppJSON(t, brokenApp, 1)
	if b.Sound || len(b.Problems) != 3 {
		t.Fatalf("broken: sound %v, problems %+v", b.Sound, b.Problems)
	}
	p := b.Problems
	if p[0].Kind != "link" || p[0].Component != "orders" || p[0].To != "pricer" || p[0].Interface != "acme:orders/pricing" ||
		!strings.Contains(p[0].Message, "does not export acme:orders/pricing#total") {
		t.Errorf("first problem: %+v", p[0])
	}
	if p[1].Kind != "import" || p[1].Component != "orders" || p[1].To != "" || p[1].Interface != "acme:orders/audit" {
		t.Errorf("second problem: %+v", p[1])
	}
	if p[2].Kind != "link" || p[2].Component != "receiver" || p[2].To != "kv-sender" {
		t.Errorf("third problem: %+v", p[2])
	}
	if l := b.Links[0]; l.From != "orders" || l.Instances == nil || l.Instances.Max != 4 || len(l.Problems) != 1 {
		t.Errorf("orders' link: %+v", l)
	}
	if len(b.Subscriptions) != 1 || b.Subscriptions[0].Subject != "orders.priced" || b.Subscriptions[0].Queue != "pricers" || b.Subscriptions[0].Export != "handle_message" {
		t.Errorf("subscriptions: %+v", b.Subscriptions)
	}
	for _, c := range b.Components {
		if c.Name != "orders" {
			continue
		}
		for _, im := range c.Imports {
			if im.Interface == "acme:orders/audit" && im.SatisfiedBy.Kind != "unsatisfied" {
				t.Errorf("orders' audit satisfied by %+v", im.SatisfiedBy)
			}
		}
		if len(c.Problems) != 1 || c.Problems[0] != p[1].Message {
			t.Errorf("orders' problems: %q", c.Problems)
		}
	}
}

func TestInspectAppDoesNotLoad(t *testing.T) {
	dir := t.TempDir()
	pipe, err := filepath.Abs("../../examples/pipeline")
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(body, "PIPELINE/", pipe+"/")), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		name, path, want string
	}{
		{"unknown target", write("unknown.yaml", `version: 1
name: bad
components:
  receiver:
    module: PIPELINE/receiver.wasm
    links:
      wasmhive:http/incoming-handler: countr
`), `unknown.yaml:7: components.receiver.links.wasmhive:http/incoming-handler: unknown component "countr"; known: receiver`},
		{"cycle", write("cycle.yml", `version: 1
name: bad
components:
  a:
    module: PIPELINE/receiver.wasm
    links: {wasmhive:http/incoming-handler: b}
  b:
    module: PIPELINE/receiver.wasm
    links: {wasmhive:http/incoming-handler: a}
`), "link cycle: a -> b -> a"},
		{"missing", filepath.Join(dir, "nope.yaml"), "nope.yaml"},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, args := range [][]string{{"inspect", c.path}, {"inspect", "--json", c.path}} {
				res := runCLI(t, nil, args...)
				if res.Code != 2 || res.Stdout != "" {
					t.Errorf("%v: exit %d, stdout %q; want 2 and nothing", args, res.Code, res.Stdout)
				}
				if !strings.HasPrefix(res.Stderr, "wasmhive: ") || !strings.Contains(res.Stderr, c.want) {
					t.Errorf("%v: stderr %q, want %q", args, res.Stderr, c.want)
				}
			}
		})
	}
}

// A manifest is recognised by its content too, whatever its name.
func TestInspectAppWithoutYAMLExtension(t *testing.T) {
	pipe, err := filepath.Abs("../../examples/pipeline")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "wiring")
	body := "# an app\nversion: 1\nname: one\ncomponents:\n  kv-sender:\n    module: " + pipe + "/kv-sender.wasm\n    grants: {keyvalue: {}}\n"
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	res := runCLI(t, nil, "inspect", p)
	if res.Code != 0 || !strings.Contains(res.Stdout, "\ncomponent kv-sender  ") || !strings.Contains(res.Stdout, "provider keyvalue (bbolt, bucket kv-sender)") {
		t.Errorf("exit %d, stderr %q:\n%s", res.Code, res.Stderr, res.Stdout)
	}
}
