package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/trigger"
)

func init() { commands = append(commands, newRunCmd) }

// runFlags are the flags of `wasmhive run`.
type runFlags struct {
	env       []string
	dirs      []string
	roDirs    []string
	invoke    string
	timeout   time.Duration
	maxMemory string
	fuel      uint64
	grants    []string
	dataDir   string
	noCache   bool
	config    []string
	sandbox   sandboxFlags
}

const runLong = `Run a WebAssembly module (WASI preview 1) or component (WASI 0.2) like a program, as
wasmtime run does. A component runs through its wasi:cli/run export.

ARGS become the guest's argv; argv[0] is the module's file name. wasmhive's
flags go before MODULE: everything after MODULE belongs to the guest, and a
"--" right after MODULE (or before it) is dropped, so "run m.wasm --foo" and
"run m.wasm -- --foo" both pass --foo.

The guest's stdin, stdout and stderr are wasmhive's own and stream (a guest can
answer each line as it arrives). It sees no host environment variable and no
host file unless granted with --env, --dir, --ro-dir or --private-dir, and it
has no network. Capabilities are granted with --grant; --config, --config-env,
--config-file, --secret-env and --secret-file give the module its config
(secret values never appear in logs or errors); --require-claims and
--trusted-issuer check who signed it.

With --invoke FUNC, wasmhive instantiates the module (running _initialize once
if it is a reactor), calls FUNC with ARGS parsed as its parameter types (i32,
i64: decimal, 0x hex, negative; f32, f64: decimal, exponent, hex float, inf,
nan) and prints each result on its own line. For a component, --invoke takes a
call in the WAVE value syntax, e.g. --invoke 'greet("x", [1, 2])' (qualified
by its interface when needed: 'wasi:cli/run.run()'), and prints the result in
WAVE, as wasmtime run --invoke does; ARGS are then the component's argv.

Compiled machine code is cached on disk, in the user cache directory
($XDG_CACHE_HOME or ~/.cache on Linux, ~/Library/Caches on macOS) under
wasmhive/<version>-<os>-<arch>; --no-cache neither reads nor writes it.
Reference: docs/cli-run.md.

Exit codes:
  0-125  the guest's exit status (proc_exit, or returning from main; a component's
         wasi:cli/exit only says success or failure: 0 or 1)
  1      the guest exited with a status of 126 or more (reserved for the host,
         as in wasmtime), or wasmhive failed
  2      usage error, or a module that cannot be loaded (missing, not wasm,
         corrupt, unresolved imports, memory over --max-memory,
         a missing --dir, an unknown export or bad --invoke arguments)
  70     a bug in wasmhive (please report it)
  124    --timeout passed
  130    interrupted (SIGINT or SIGTERM) with --timeout; without it the signal kills wasmhive
  134    the guest trapped (unreachable, out-of-bounds memory access, integer
         divide by zero, stack overflow...); -v before MODULE prints the
         wasm stack trace, with source positions if the module has DWARF`

const runExample = `  wasmhive run hello.wasm
  wasmhive run app.wasm --flag arg                       # ARGS go to the guest
  wasmhive run --env NAME=world --env HOME app.wasm      # set NAME, pass HOME through
  wasmhive run --dir ./data::/data --ro-dir .::/src app.wasm
  wasmhive run --timeout 5s --max-memory 64MiB app.wasm
  wasmhive run --invoke add calc.wasm 1 -2               # prints the result
  wasmhive run --invoke 'greet("world")' component.wasm  # a component's export, in WAVE
  wasmhive run --grant keyvalue --private-dir /data --secret-env token=API_TOKEN app.wasm`

func newRunCmd() *cobra.Command { return runCmd(new(runFlags)) }

// runCmd is `wasmhive run` with its flags parsed into f.
func runCmd(f *runFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "run [flags] MODULE [ARGS...]",
		Short:   "Run a WebAssembly module as a command (or call one export with --invoke)",
		Long:    runLong,
		Example: runExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{errors.New("run: missing MODULE (usage: wasmhive run [flags] MODULE [ARGS...])")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			guestArgs := args[1:]
			// pflag hands a "--" that follows MODULE to us verbatim; one
			// before MODULE it consumed itself (ArgsLenAtDash >= 0).
			if cmd.ArgsLenAtDash() < 0 && len(guestArgs) > 0 && guestArgs[0] == "--" {
				guestArgs = guestArgs[1:]
			}
			return runModule(cmd, *f, args[0], guestArgs)
		},
	}
	fl := cmd.Flags()
	fl.SetInterspersed(false)
	fl.StringArrayVar(&f.env, "env", nil, "set `NAME=VALUE` in the guest's environment; NAME alone passes the host's value if set (repeatable)")
	fl.StringArrayVar(&f.dirs, "dir", nil, "preopen `HOST_DIR[::GUEST_DIR]` read-write; GUEST_DIR defaults to HOST_DIR (repeatable)")
	fl.StringArrayVar(&f.roDirs, "ro-dir", nil, "preopen `HOST_DIR[::GUEST_DIR]` read-only (repeatable)")
	fl.StringVar(&f.invoke, "invoke", "", "call export `FUNC` instead of _start; ARGS are its numeric arguments")
	fl.DurationVar(&f.timeout, "timeout", 0, "stop the guest after `DURATION` (e.g. 500ms, 5s) and exit 124; 0 means no limit")
	fl.StringVar(&f.maxMemory, "max-memory", "", "cap linear memory at `SIZE` (e.g. 64MiB, 1GiB, 65536); memory.grow past it returns -1")
	fl.Uint64Var(&f.fuel, "fuel", 0, "stop the guest after `N` loop iterations and function calls, the same count on every run (deterministic metering); 0 means unmetered")
	addGrantFlags(fl, &f.grants, &f.dataDir)
	fl.StringArrayVar(&f.config, "config", nil, "set config `KEY=VALUE`, read with wasmhive:config/store and config_get (repeatable)")
	addSandboxFlags(fl, &f.sandbox, withKeyValueLimits|withHTTPLimits|withMessagingLimits|withPrivateDir)
	fl.BoolVar(&f.noCache, "no-cache", false, "do not read or write the on-disk compilation cache")
	return cmd
}

// stopGrace is how long wasmhive waits, once --timeout passes or a signal
// arrives, for the guest to notice; a guest blocked in a host call (a long
// sleep, a read from a terminal) may never notice, and the process exits anyway.
const stopGrace = 250 * time.Millisecond

func runModule(cmd *cobra.Command, f runFlags, path string, args []string) error {
	ctx := cmd.Context()
	verbose, _ := cmd.Flags().GetBool("verbose")
	base := filepath.Base(path)
	// DWARF only adds source positions to the stack trace -v prints, and
	// reading it back from the cache dominates the warm start of big modules.
	hc := wasmhive.HostConfig{
		// Fuel needs the interruption checks, which DWARF turns off.
		App: strings.TrimSuffix(base, ".wasm"), DataDir: f.dataDir, NoCache: f.noCache, DebugInfo: verbose && f.fuel == 0,
		Stdout: cmd.OutOrStdout(), Stderr: cmd.ErrOrStderr(),
		Logger: slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	// Guests are interruptible (the engine's cheap interruption checks, on
	// by default): a signal stops the guest gracefully, even one spinning in
	// wasm code, which also reaches the Go runtime's stop-the-world.
	handleSignals()
	cc, claims, env, err := f.configs(path)
	if err != nil {
		return usageError{err}
	}
	hc.Claims = claims
	host, err := wasmhive.NewHost(ctx, hc)
	if err != nil {
		return err
	}
	// A guest abandoned by supervise may still be running machine code that
	// closing the runtime would unmap: leave it to the process's exit.
	var running atomic.Bool
	defer func() {
		if !running.Load() {
			host.Close(context.WithoutCancel(ctx))
		}
	}()
	comp, err := addComponent(ctx, host, hc.App, cc)
	if err != nil {
		if errors.Is(err, engine.ErrNotWasm) && looksLikeWat(path) {
			err = fmt.Errorf("%w; it looks like WebAssembly text: compile it first (e.g. wat2wasm)", err)
		}
		return guestError(err, verbose)
	}
	if comp.IsComponentModel() {
		return runComponentModel(ctx, cmd, comp, f, base, args, env, verbose, &running)
	}
	mod := comp.Module()
	var run func(context.Context) error
	switch {
	case f.invoke != "":
		run = func(ctx context.Context) error {
			return invoke(ctx, cmd.OutOrStdout(), comp, f.invoke, args, verbose)
		}
	case !mod.HasExport("_start"):
		return usageError{fmt.Errorf("%s exports no _start (it is a %s); call one of its exports with --invoke", mod.Name(), mod.Pattern())}
	default:
		run = func(ctx context.Context) error {
			return guestError(comp.Run(ctx, trigger.CommandIO{
				Args: append([]string{base}, args...), Env: env,
				Stdin: cmd.InOrStdin(), Stdout: cmd.OutOrStdout(), Stderr: cmd.ErrOrStderr(),
			}), verbose)
		}
	}
	if f.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.timeout)
		defer cancel()
	}
	return supervise(ctx, mod.Name(), f.timeout, func(ctx context.Context) error {
		running.Store(true)
		defer running.Store(false)
		return run(ctx)
	})
}

// configs validates the flags into the module's component config, the
// claims policy and the guest's environment.
func (f runFlags) configs(path string) (cc wasmhive.ComponentConfig, claims wasmhive.ClaimsPolicy, env []string, err error) {
	cc = wasmhive.ComponentConfig{Module: path}
	if f.maxMemory != "" {
		if cc.Limits.Memory, err = parseMemory(f.maxMemory); err != nil {
			return cc, claims, nil, fmt.Errorf("--max-memory: %w", err)
		}
	}
	if f.timeout < 0 {
		return cc, claims, nil, fmt.Errorf("--timeout %s: must not be negative", f.timeout)
	}
	cc.Limits.Fuel = f.fuel
	if env, err = parseEnv(f.env); err != nil {
		return cc, claims, nil, err
	}
	preopens, err := parsePreopens(f.dirs, f.roDirs)
	if err != nil {
		return cc, claims, nil, err
	}
	cc.Dirs = dirsOf(preopens)
	if cc.Grants, err = parseGrants(f.grants, nil); err != nil {
		return cc, claims, nil, err
	}
	if len(f.config) > 0 {
		if cc.Config, err = parseConfig(f.config); err != nil {
			return cc, claims, nil, err
		}
	}
	if err = f.sandbox.applyComponent(&cc); err != nil {
		return cc, claims, nil, err
	}
	claims, err = f.sandbox.claims()
	return cc, claims, env, err
}

// compileGCPercent is the garbage collector's target while run compiles a
// module: compiling allocates hundreds of MB of short-lived data, and
// collecting less often saves 7-8% of a cold start's CPU time for 2-5% more
// peak memory (measured on a 2.5 MB Go-built module and a 21 MB C one).
const compileGCPercent = 400

// addComponent compiles a component with the collector relaxed to
// compileGCPercent, unless the user set GOGC, and restores it for the guest.
func addComponent(ctx context.Context, h *wasmhive.Host, name string, cc wasmhive.ComponentConfig) (*wasmhive.Component, error) {
	if _, set := os.LookupEnv("GOGC"); !set {
		defer debug.SetGCPercent(debug.SetGCPercent(compileGCPercent))
	}
	return h.AddComponent(ctx, name, cc)
}

// looksLikeWat reports whether the file starts like the WebAssembly text format.
func looksLikeWat(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, 512)
	n, _ := io.ReadFull(f, b)
	t := strings.TrimSpace(string(b[:n]))
	return strings.HasPrefix(t, "(module") || strings.HasPrefix(t, ";;") || strings.HasPrefix(t, "(component")
}

// supervise runs the guest and maps its stopping on a deadline or a signal
// to exit codes 124 and 130. If the guest does not stop within stopGrace of
// ctx being done (it is blocked in a host call that ignores ctx), supervise
// returns anyway and the process exits, abandoning the guest.
func supervise(ctx context.Context, name string, timeout time.Duration, run func(context.Context) error) error {
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		select {
		case err = <-done:
		case <-time.After(stopGrace):
			err = ctx.Err()
		}
	}
	if err == nil {
		return nil
	}
	if errors.Is(err, engine.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
		return exitStatus{code: exitTimeout, msg: fmt.Sprintf("%s: stopped after --timeout %s", name, timeout)}
	}
	if errors.Is(err, engine.ErrCanceled) || errors.Is(err, context.Canceled) {
		return exitStatus{code: exitInterrupted, msg: name + ": interrupted"}
	}
	return err
}

// invoke calls one export with numeric arguments and prints its results.
func invoke(ctx context.Context, out io.Writer, comp *wasmhive.Component, name string, args []string, verbose bool) error {
	mod := comp.Module()
	def, ok := mod.Compiled().ExportedFunctions()[name]
	if !ok {
		return usageError{fmt.Errorf("%s exports no function %q%s", mod.Name(), name, exportHint(mod))}
	}
	params, err := parseParams(def.ParamTypes(), args)
	if err != nil {
		return usageError{fmt.Errorf("--invoke %s: %w", name, err)}
	}
	res, err := comp.CallRaw(ctx, name, params...)
	if err != nil {
		return guestError(err, verbose)
	}
	for i, t := range def.ResultTypes() {
		fmt.Fprintln(out, formatValue(t, res[i]))
	}
	return nil
}

// exportHint lists a module's exported functions for an unknown --invoke name.
func exportHint(mod *engine.Module) string {
	var names []string
	for n := range mod.Compiled().ExportedFunctions() {
		names = append(names, n)
	}
	if len(names) == 0 {
		return " (it exports no functions)"
	}
	slices.Sort(names)
	if len(names) > 10 {
		names = append(names[:10], "...")
	}
	return " (exports: " + strings.Join(names, ", ") + ")"
}

// guestError turns the engine's typed errors into exit statuses.
func guestError(err error, verbose bool) error {
	if err == nil {
		return nil
	}
	var exit *engine.ExitError
	var trap *engine.TrapError
	var load *engine.LoadError
	var unresolved *engine.UnresolvedImportsError
	var linkErr *wasmhive.LinkError
	var cycle *wasmhive.LinkCycleError
	var cmImport *linker.ImportError
	var lim *engine.LimitError
	switch {
	case errors.As(err, &exit):
		if exit.Code >= 126 {
			// As wasmtime: statuses from 126 up are the shell's (126 cannot
			// execute, 127 not found, 128+n killed by signal n, 134 our trap);
			// a guest may not fake them.
			return exitStatus{code: 1, msg: fmt.Sprintf("%s exited with status %d, outside the range a guest may use (0-125)", exit.Module, exit.Code)}
		}
		return exitStatus{code: int(exit.Code), silent: true}
	case errors.As(err, &trap):
		msg := trap.Error()
		if verbose && len(trap.Stack) > 0 {
			msg += "\nwasm stack trace:\n\t" + strings.Join(trap.Stack, "\n\t")
		} else if len(trap.Stack) > 0 {
			msg += " (-v shows the wasm stack trace)"
		}
		return exitStatus{code: exitTrap, msg: msg}
	case errors.As(err, &lim) && lim.Limit == engine.FuelLimit:
		// A trap, as Wasmtime's out-of-fuel is.
		return exitStatus{code: exitTrap, msg: fmt.Sprintf("%s: ran out of fuel (--fuel %d)", lim.Module, lim.Max)}
	case errors.Is(err, engine.ErrTimeout), errors.Is(err, engine.ErrCanceled):
		return err // supervise words these
	case errors.As(err, &load), errors.As(err, &unresolved), errors.As(err, &linkErr), errors.As(err, &cycle), errors.As(err, &cmImport),
		errors.Is(err, wasmhive.ErrComponentModel):
		return usageError{err}
	}
	return err
}

func parseEnv(specs []string) ([]string, error) {
	var env []string
	for _, s := range specs {
		name, value, ok := strings.Cut(s, "=")
		if name == "" {
			return nil, fmt.Errorf("--env %q: want NAME=VALUE or NAME", s)
		}
		if !ok {
			v, found := os.LookupEnv(name)
			if !found {
				continue
			}
			value = v
		}
		env = append(env, name+"="+value)
	}
	return env, nil
}

func parsePreopens(rw, ro []string) ([]engine.Preopen, error) {
	var out []engine.Preopen
	add := func(spec string, readOnly bool) error {
		flag := "--dir"
		if readOnly {
			flag = "--ro-dir"
		}
		host, guest, ok := strings.Cut(spec, "::")
		if !ok {
			guest = host
		}
		if host == "" || guest == "" {
			return fmt.Errorf("%s %q: want HOST_DIR[::GUEST_DIR]", flag, spec)
		}
		fi, err := os.Stat(host)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return fmt.Errorf("%s %s: no such directory", flag, host)
		case err != nil:
			return fmt.Errorf("%s %s: %v", flag, host, cleanErr(err))
		case !fi.IsDir():
			return fmt.Errorf("%s %s: not a directory", flag, host)
		}
		out = append(out, engine.Preopen{HostPath: host, GuestPath: guest, ReadOnly: readOnly})
		return nil
	}
	for _, s := range rw {
		if err := add(s, false); err != nil {
			return nil, err
		}
	}
	for _, s := range ro {
		if err := add(s, true); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func parseParams(types []api.ValueType, args []string) ([]uint64, error) {
	if len(args) != len(types) {
		return nil, fmt.Errorf("takes %d argument(s), got %d", len(types), len(args))
	}
	out := make([]uint64, len(types))
	for i, t := range types {
		v, err := parseValue(t, args[i])
		if err != nil {
			return nil, fmt.Errorf("argument %d %q: %w", i+1, args[i], err)
		}
		out[i] = v
	}
	return out, nil
}

func parseValue(t api.ValueType, s string) (uint64, error) {
	switch t {
	case api.ValueTypeI32:
		if n, err := strconv.ParseInt(s, 0, 32); err == nil {
			return api.EncodeI32(int32(n)), nil
		}
		n, err := strconv.ParseUint(s, 0, 32)
		if err != nil {
			return 0, errors.New("not an i32")
		}
		return uint64(uint32(n)), nil
	case api.ValueTypeI64:
		if n, err := strconv.ParseInt(s, 0, 64); err == nil {
			return api.EncodeI64(n), nil
		}
		n, err := strconv.ParseUint(s, 0, 64)
		if err != nil {
			return 0, errors.New("not an i64")
		}
		return n, nil
	case api.ValueTypeF32:
		f, err := strconv.ParseFloat(s, 32)
		if err != nil {
			return 0, errors.New("not an f32")
		}
		return api.EncodeF32(float32(f)), nil
	case api.ValueTypeF64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, errors.New("not an f64")
		}
		return api.EncodeF64(f), nil
	}
	return 0, fmt.Errorf("cannot pass a %s from the command line", api.ValueTypeName(t))
}

func formatValue(t api.ValueType, v uint64) string {
	switch t {
	case api.ValueTypeI32:
		return strconv.FormatInt(int64(api.DecodeI32(v)), 10)
	case api.ValueTypeI64:
		return strconv.FormatInt(int64(v), 10)
	case api.ValueTypeF32:
		return strconv.FormatFloat(float64(api.DecodeF32(v)), 'g', -1, 32)
	case api.ValueTypeF64:
		return strconv.FormatFloat(api.DecodeF64(v), 'g', -1, 64)
	}
	return fmt.Sprintf("%#x", v)
}

// cleanErr drops the path and operation from an *os.PathError (the caller
// names the path itself).
func cleanErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
