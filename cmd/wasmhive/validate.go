package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wasmhive/wasmhive/manifest"
)

func init() { commands = append(commands, newValidateCmd) }

func newValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate APP.yaml",
		Short: "Check an app manifest without starting anything",
		Long: `Check the app manifest APP.yaml as ` + "`wasmhive up`" + ` would before starting: its fields and their
types, the routes and subscriptions and the components they name, that every module file
exists and is WebAssembly, and that each module imports only the capabilities its
component is granted.

Every problem is printed, one per line as FILE:LINE: FIELD: MESSAGE, and the exit code is 2;
a valid manifest prints a summary and exits 0. See docs/manifest.md.`,
		Example: `  wasmhive validate app.yaml
  wasmhive validate examples/kvcounter/app.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			app, err := manifest.Load(args[0])
			if err != nil {
				return usageError{err}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (%s)\n", args[0], app.Summary())
			return nil
		},
	}
}
