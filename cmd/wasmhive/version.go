package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/wasmhive/wasmhive/internal/version"
)

func init() { commands = append(commands, newVersionCmd) }

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print wasmhive's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), versionLine())
			return nil
		},
	}
}

// versionLine is what `wasmhive version` and `wasmhive --version` print.
func versionLine() string {
	return fmt.Sprintf("wasmhive %s (%s, %s/%s)", version.String(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
