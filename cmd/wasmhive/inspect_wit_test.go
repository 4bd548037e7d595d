package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestInspectWIT: `wasmhive inspect` shows a component's world as WIT
// (the text `wasm-tools component wit` prints, indented under "wit"), and
// --json carries the same text and the world's structure.
func TestInspectWIT(t *testing.T) {
	const bin = "../../testdata/components/types.wasm"
	golden, err := os.ReadFile("../../component/testdata/wit/types.wit")
	if err != nil {
		t.Fatal(err)
	}
	res := runCLI(t, nil, "inspect", bin)
	if res.Code != 0 || res.Stderr != "" {
		t.Fatalf("exit %d, stderr %q", res.Code, res.Stderr)
	}
	var indented strings.Builder
	for _, l := range strings.SplitAfter(strings.TrimRight(string(golden), "\n"), "\n") {
		if strings.TrimSpace(l) == "" {
			indented.WriteString("\n")
		} else {
			indented.WriteString("  " + l)
		}
	}
	for _, want := range []string{
		"imports (2)\n  instance  wasmhive:test/types@0.1.0\n", // today's report is kept
		"\nwit\n" + indented.String() + "\n",
	} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, res.Stdout)
		}
	}

	res = runCLI(t, nil, "inspect", "--json", bin)
	if res.Code != 0 || res.Stderr != "" {
		t.Fatalf("--json: exit %d, stderr %q", res.Code, res.Stderr)
	}
	var rep struct {
		Kind string `json:"kind"`
		WIT  struct {
			Text  string `json:"text"`
			Error string `json:"error"`
			World struct {
				Name    string `json:"name"`
				Package string `json:"package"`
				Imports []struct {
					Name string `json:"name"`
					Kind string `json:"kind"`
				} `json:"imports"`
				Exports []struct {
					Name string `json:"name"`
					Kind string `json:"kind"`
				} `json:"exports"`
			} `json:"world"`
			Packages []struct {
				Name string `json:"name"`
			} `json:"packages"`
		} `json:"wit"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &rep); err != nil {
		t.Fatalf("--json output is not JSON: %v", err)
	}
	w := rep.WIT
	if w.Text != string(golden) || w.Error != "" {
		t.Errorf("wit.text = %q (error %q), want the golden WIT", w.Text, w.Error)
	}
	if w.World.Name != "root" || w.World.Package != "root:component" || len(w.World.Imports) != 2 || len(w.World.Exports) != 1 ||
		w.World.Imports[1].Name != "wasmhive:test/host@0.1.0" || w.World.Exports[0].Kind != "interface" {
		t.Errorf("wit.world = %+v", w.World)
	}
	if len(w.Packages) != 2 || w.Packages[0].Name != "wasmhive:test@0.1.0" || w.Packages[1].Name != "root:component" {
		t.Errorf("wit.packages = %+v", w.Packages)
	}
}

// TestInspectWITNotRecovered: a component whose world WIT cannot express
// (nested.wasm exports a type) still inspects, with one line saying why.
func TestInspectWITNotRecovered(t *testing.T) {
	res := runCLI(t, nil, "inspect", "../../testdata/components/nested.wasm")
	if res.Code != 0 {
		t.Fatalf("exit %d, stderr %q", res.Code, res.Stderr)
	}
	if !strings.Contains(res.Stdout, "\nwit: not recovered: component: export \"point\": ") {
		t.Errorf("output lacks the wit line:\n%s", res.Stdout)
	}
}

// TestInspectWITCoreModule: a core module's component-type section (as
// `wasm-tools component embed` writes it) is shown as WIT too.
func TestInspectWITCoreModule(t *testing.T) {
	golden, err := os.ReadFile("../../component/testdata/wit/types.embed.wit")
	if err != nil {
		t.Fatal(err)
	}
	res := runCLI(t, nil, "inspect", "--json", "../../component/testdata/wit/types.embed.wasm")
	if res.Code != 0 {
		t.Fatalf("exit %d, stderr %q", res.Code, res.Stderr)
	}
	var rep struct {
		Kind string `json:"kind"`
		WIT  struct {
			Text string `json:"text"`
		} `json:"wit"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Kind != "module" || rep.WIT.Text != string(golden) {
		t.Errorf("kind %q, wit.text = %q, want the golden WIT", rep.Kind, rep.WIT.Text)
	}
}
