package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wasmhive/wasmhive/inspect"
	"github.com/wasmhive/wasmhive/inspect/appgraph"
	"github.com/wasmhive/wasmhive/manifest"
)

func init() { commands = append(commands, newInspectCmd) }

func newInspectCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "inspect MODULE | APP.yaml",
		Short: "Describe a WebAssembly module, or an app's wiring, without running it",
		Long: `Describe a WebAssembly binary without running it: whether it is a core module or a component,
how it expects to be run (command: exports _start; reactor: exports _initialize or other
functions; library: imports extism:host/env; component), the WASI version it imports, its
imports grouped by module and its exports with their signatures, its memories with their limits,
and its custom sections. For a component, or a core module with a component-type section, it
also shows the world as WIT, as wasm-tools component wit prints it.

--json prints the same facts as one JSON object whose schema (schema_version 1) is documented
in docs/inspect-json.md.

Given an app manifest (a .yaml or .yml file, or a file that is not WebAssembly and reads as
one), print the app as a graph instead, without starting anything: each component with its
imports grouped by interface and what satisfies each (a host module, a granted capability's
provider, a link, a library, or "!! unsatisfied"), its exports and the interfaces they
implement; each link with the functions it carries and the problems the link checks find;
the routes and subscriptions; and a summary. --json prints it as one object ("kind": "app",
docs/inspect-json.md).

Exit codes: 0 on success (for an app: the wiring is sound), 1 when an app's wiring has
problems (all printed), 2 when MODULE is missing, unreadable or not a well-formed
WebAssembly binary, or the manifest does not load (its problems are printed).`,
		Example: `  wasmhive inspect app.wasm
  wasmhive inspect --json plugin.wasm | jq .exports
  wasmhive inspect examples/pipeline/app.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if isManifest(args[0]) {
				return inspectApp(cmd, args[0], asJSON)
			}
			r, err := inspect.File(args[0])
			if err != nil {
				return usageError{err}
			}
			if asJSON {
				return r.WriteJSON(cmd.OutOrStdout())
			}
			return r.WriteText(cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON (schema: docs/inspect-json.md)")
	return cmd
}

// isManifest reports whether path names an app manifest rather than a
// module: it ends in .yaml or .yml, or it is a file that does not start
// like WebAssembly and has a top-level version or components key.
func isManifest(path string) bool {
	if ext := strings.ToLower(path); strings.HasSuffix(ext, ".yaml") || strings.HasSuffix(ext, ".yml") {
		return true
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, _ := f.Read(head)
	head = head[:n]
	if bytes.HasPrefix(head, []byte("\x00asm")) {
		return false
	}
	for _, line := range bytes.Split(head, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("version:")) || bytes.HasPrefix(line, []byte("components:")) {
			return true
		}
	}
	return false
}

// inspectApp prints the app manifest at path as a graph (package
// appgraph): exit 1 when its wiring has problems, 2 when it does not load.
func inspectApp(cmd *cobra.Command, path string, asJSON bool) error {
	app, err := manifest.Load(path)
	if err != nil {
		return usageError{err}
	}
	g, err := appgraph.Build(app)
	if err != nil {
		return usageError{fmt.Errorf("%s: %w", path, err)}
	}
	if asJSON {
		err = g.WriteJSON(cmd.OutOrStdout())
	} else {
		err = g.WriteText(cmd.OutOrStdout())
	}
	if err != nil {
		return err
	}
	if n := len(g.Problems); n == 1 {
		return exitStatus{code: 1, msg: path + ": the wiring has 1 problem"}
	} else if n > 1 {
		return exitStatus{code: 1, msg: fmt.Sprintf("%s: the wiring has %d problems", path, n)}
	}
	return nil
}
