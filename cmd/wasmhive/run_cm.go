package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/spf13/cobra"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/trigger"
	"github.com/wasmhive/wasmhive/wave"
)

// runComponentModel is `run` of a Component Model component: its
// wasi:cli/run export, or with --invoke one exported function called with
// WAVE arguments and its result printed in WAVE, as `wasmtime run --invoke`.
func runComponentModel(ctx context.Context, cmd *cobra.Command, comp *wasmhive.Component, f runFlags, base string, args, env []string, verbose bool, running *atomic.Bool) error {
	cio := trigger.CommandIO{
		Args: append([]string{base}, args...), Env: env,
		Stdin: cmd.InOrStdin(), Stdout: cmd.OutOrStdout(), Stderr: cmd.ErrOrStderr(),
	}
	run := func(ctx context.Context) error { return guestError(comp.Run(ctx, cio), verbose) }
	if f.invoke == "" && !isCommand(comp) {
		return usageError{fmt.Errorf("%s is a component without a %s export (not a command): call one of its exports with --invoke%s",
			base, wasmhive.RunExport, funcHint(comp.Funcs()))}
	}
	if f.invoke != "" {
		call, fn, err := parseInvoke(comp, f.invoke)
		if err != nil {
			return usageError{err}
		}
		params, err := call.Args(fn.Type)
		if err != nil {
			return usageError{fmt.Errorf("--invoke %s: %w", call, err)}
		}
		run = func(ctx context.Context) error {
			res, err := comp.CallFunc(ctx, &cio, fn.Path, params...)
			if err != nil {
				return guestError(err, verbose)
			}
			return printResult(cmd.OutOrStdout(), res, fn)
		}
	}
	if f.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.timeout)
		defer cancel()
	}
	return supervise(ctx, base, f.timeout, func(ctx context.Context) error {
		running.Store(true)
		defer running.Store(false)
		return run(ctx)
	})
}

// isCommand reports whether a component exports wasi:cli/run's run.
func isCommand(comp *wasmhive.Component) bool {
	for _, fn := range comp.Funcs() {
		if len(fn.Path) == 2 && sameInterface(fn.Path[0], wasmhive.RunExport) && fn.Path[1] == "run" {
			return true
		}
	}
	return false
}

// parseInvoke parses a --invoke call expression and finds the exported
// function it names: in the instance it is qualified with, else at the top
// level, else in the one exported instance that has a function of that name.
func parseInvoke(comp *wasmhive.Component, expr string) (*wave.Call, linker.ExportedFunc, error) {
	call, err := wave.ParseCall(expr)
	if err != nil {
		return nil, linker.ExportedFunc{}, fmt.Errorf("--invoke %q: %w", expr, err)
	}
	funcs := comp.Funcs()
	var found []linker.ExportedFunc
	for _, fn := range funcs {
		if fn.Path[len(fn.Path)-1] != call.Name {
			continue
		}
		if inst := call.Instance(); inst != "" {
			if len(fn.Path) == 2 && (fn.Path[0] == inst || sameInterface(fn.Path[0], inst)) {
				found = append(found, fn)
			}
			continue
		}
		found = append(found, fn)
	}
	if call.Instance() == "" && len(found) > 1 && len(found[0].Path) == 1 {
		found = found[:1] // a top-level function wins
	}
	switch len(found) {
	case 1:
		return call, found[0], nil
	case 0:
		return nil, linker.ExportedFunc{}, fmt.Errorf("--invoke: %s exports no function %s%s", comp.Name(), call, funcHint(funcs))
	}
	var names []string
	for _, fn := range found {
		names = append(names, strings.Join(fn.Path, "#"))
	}
	return nil, linker.ExportedFunc{}, fmt.Errorf("--invoke: %s names more than one function (%s): qualify it with its interface, e.g. %s.%s(...)",
		call, strings.Join(names, ", "), interfaceOf(found[0].Path[0]), call.Name)
}

// sameInterface reports whether export name a is instance name b at
// another patch version.
func sameInterface(a, b string) bool {
	ab, _, _ := strings.Cut(a, "@")
	bb, _, _ := strings.Cut(b, "@")
	return ab == bb
}

// interfaceOf spells an instance export name as --invoke qualifies a
// function: "wasi:cli/run@0.2.0" as "wasi:cli/run" (the version goes last).
func interfaceOf(name string) string {
	base, _, _ := strings.Cut(name, "@")
	return base
}

// funcHint lists the exported functions for an unknown --invoke name.
func funcHint(funcs []linker.ExportedFunc) string {
	if len(funcs) == 0 {
		return " (it exports no functions)"
	}
	var names []string
	for _, fn := range funcs {
		names = append(names, strings.Join(fn.Path, "#"))
	}
	slices.Sort(names)
	if len(names) > 10 {
		names = append(names[:10], "...")
	}
	return " (exports: " + strings.Join(names, ", ") + ")"
}

// printResult prints a function's result in WAVE, as Wasmtime does.
func printResult(out io.Writer, v any, fn linker.ExportedFunc) error {
	s, err := wave.FormatResult(v, fn.Type.Result)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, s)
	return err
}
