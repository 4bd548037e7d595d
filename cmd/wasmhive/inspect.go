package main

import (
	"github.com/spf13/cobra"

	"github.com/wasmhive/wasmhive/inspect"
)

func init() { commands = append(commands, newInspectCmd) }

func newInspectCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "inspect MODULE",
		Short: "Describe a WebAssembly module or component without running it",
		Long: `Describe a WebAssembly binary without running it: whether it is a core module or a component,
how it expects to be run (command: exports _start; reactor: exports _initialize or other
functions; library: imports extism:host/env; component), the WASI version it imports, its
imports grouped by module and its exports with their signatures, its memories with their limits,
and its custom sections.

--json prints the same facts as one JSON object whose schema (schema_version 1) is documented
in docs/inspect-json.md.

Exit codes: 0 on success, 2 when MODULE is missing, unreadable or not a well-formed
WebAssembly binary.`,
		Example: `  wasmhive inspect app.wasm
  wasmhive inspect --json plugin.wasm | jq .exports`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
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
