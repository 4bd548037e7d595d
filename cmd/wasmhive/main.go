// Command wasmhive runs WebAssembly modules: as commands, reactors and
// Extism-compatible plugins. See the README for a reference of every verb.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes shared by every verb.
const (
	exitUsage       = 2   // bad flags or arguments, a module that cannot be loaded
	exitTimeout     = 124 // --timeout passed (as coreutils timeout(1))
	exitInterrupted = 130 // SIGINT or SIGTERM (128+SIGINT, as a shell reports)
	exitInternal    = 70  // a bug in wasmhive (EX_SOFTWARE)
	exitTrap        = 134 // the guest trapped (128+SIGABRT, as wasmtime on Unix)
)

// commands lists the constructors of the top-level verbs; each verb's file adds itself in init.
var commands []func() *cobra.Command

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "wasmhive",
		Short:         "Run WebAssembly: commands, reactors and plugins",
		Long:          "wasmhive runs WebAssembly modules the three ways people use them: as a command (_start), as a\nreactor (_initialize, then exports called many times), and as an Extism-compatible plugin.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().BoolP("verbose", "v", false, "verbose errors (wasm stack traces) and debug logs")
	root.Version = versionLine()
	root.SetVersionTemplate("{{.Version}}\n")
	for _, c := range commands {
		root.AddCommand(c())
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	return root
}

// rootCancel cancels the root context every verb runs under; nil when the
// CLI runs in-process (tests call execute directly).
var rootCancel context.CancelFunc

var signalsOnce sync.Once

// handleSignals routes SIGINT and SIGTERM to cancelling the root context, so
// the verb can stop gracefully (exit 130). Verbs call it only when they can
// act on it: `run` of a guest compiled without termination checks does not,
// and then a signal ends the process the default way (killed by the signal,
// which shells report as 128+N), even while the guest spins in wasm code and
// the Go runtime cannot schedule a handler.
func handleSignals() {
	if rootCancel == nil {
		return
	}
	signalsOnce.Do(func() {
		c := make(chan os.Signal, 1)
		signal.Notify(c, os.Interrupt, syscall.SIGTERM)
		go func() {
			<-c
			rootCancel()
		}()
	})
}

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	rootCancel = cancel
	code := execute(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	cancel()
	os.Exit(code)
}

// execute runs the CLI with args and returns the process exit code. Errors
// are printed as one line on stderr.
func execute(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	defer func() {
		// A bug in wasmhive still gets one line, not a Go stack trace; -v
		// (anywhere on the command line) adds the stack for a bug report.
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "wasmhive: internal error: %v (please report it; -v shows where)\n", r)
			if slices.Contains(args, "-v") || slices.Contains(args, "--verbose") {
				stderr.Write(debug.Stack())
			}
			code = exitInternal
		}
	}()
	root := newRootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ce exitCoder
	if errors.As(err, &ce) && ce.Silent() {
		return ce.ExitCode()
	}
	fmt.Fprintln(stderr, "wasmhive: "+err.Error())
	if errors.As(err, &ce) {
		return ce.ExitCode()
	}
	if isUsage(err) {
		return exitUsage
	}
	return 1
}

// exitCoder is an error that carries the process exit code.
type exitCoder interface {
	error
	ExitCode() int
	Silent() bool // nothing to print (the guest already spoke)
}

// exitStatus is a guest's exit status passed through as wasmhive's own.
type exitStatus struct {
	code   int
	msg    string
	silent bool
}

func (e exitStatus) Error() string { return e.msg }
func (e exitStatus) ExitCode() int { return e.code }
func (e exitStatus) Silent() bool  { return e.silent }

// usageError marks bad flags or arguments (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func isUsage(err error) bool {
	var u usageError
	return errors.As(err, &u) || isCobraUsage(err)
}

// isCobraUsage recognises cobra's own argument errors (unknown command, wrong arg count).
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "accepts ", "requires at least", "unknown flag", "unknown shorthand", "flag needs"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
