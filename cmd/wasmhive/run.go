package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/engine"
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
	noCache   bool
}

func newRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run [flags] MODULE [ARGS...]",
		Short: "Run a WebAssembly module as a command (or call one export with --invoke)",
		Long: `Run a WASI preview 1 module like a program: ARGS become its argv (argv[0] is the module's file
name), stdin/stdout/stderr are wasmhive's own, and the guest's exit status is wasmhive's.
Flags go before MODULE; everything after MODULE (or after --) belongs to the guest.

Exit codes: the guest's status (0-255; a status above 255 exits 1 with a message), 2 for usage
and load errors, 124 when --timeout passes, 134 when the guest traps.`,
		Example: `  wasmhive run hello.wasm
  wasmhive run --env NAME=world --dir ./data::/data app.wasm -- --flag arg
  wasmhive run --invoke add calc.wasm 1 2`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runModule(cmd, f, args[0], args[1:])
		},
	}
	fl := cmd.Flags()
	fl.SetInterspersed(false)
	fl.StringArrayVar(&f.env, "env", nil, "set `NAME=VALUE` in the guest's environment; NAME alone passes the host's value (repeatable)")
	fl.StringArrayVar(&f.dirs, "dir", nil, "preopen `HOST_DIR[::GUEST_DIR]` read-write (repeatable)")
	fl.StringArrayVar(&f.roDirs, "ro-dir", nil, "preopen `HOST_DIR[::GUEST_DIR]` read-only (repeatable)")
	fl.StringVar(&f.invoke, "invoke", "", "call export `FUNC` instead of _start; ARGS are its numeric arguments")
	fl.DurationVar(&f.timeout, "timeout", 0, "stop the guest after `DURATION` (e.g. 5s); 0 means no limit")
	fl.StringVar(&f.maxMemory, "max-memory", "", "cap linear memory at `SIZE` (e.g. 64MiB)")
	fl.BoolVar(&f.noCache, "no-cache", false, "do not use the on-disk compilation cache")
	return cmd
}

func runModule(cmd *cobra.Command, f runFlags, path string, args []string) error {
	ctx := cmd.Context()
	verbose, _ := cmd.Flags().GetBool("verbose")
	cfg := engine.NewConfig()
	if f.noCache {
		cfg = cfg.WithoutCache()
	}
	if f.maxMemory != "" {
		n, err := parseSize(f.maxMemory)
		if err != nil {
			return usageError{fmt.Errorf("--max-memory: %w", err)}
		}
		cfg = cfg.WithMaxMemory(n)
	}
	env, err := parseEnv(f.env)
	if err != nil {
		return usageError{err}
	}
	preopens, err := parsePreopens(f.dirs, f.roDirs)
	if err != nil {
		return usageError{err}
	}
	rt, err := engine.NewRuntime(ctx, cfg)
	if err != nil {
		return err
	}
	defer rt.Close(context.WithoutCancel(ctx))
	mod, err := rt.CompileFile(ctx, path)
	if err != nil {
		return usageError{err}
	}
	icfg := engine.InstanceConfig{
		Args:     append([]string{filepath.Base(path)}, args...),
		Env:      env,
		Stdin:    cmd.InOrStdin(),
		Stdout:   cmd.OutOrStdout(),
		Stderr:   cmd.ErrOrStderr(),
		Preopens: preopens,
	}
	if f.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.timeout)
		defer cancel()
	}
	if f.invoke != "" {
		return invoke(ctx, cmd.OutOrStdout(), rt, mod, icfg, f.invoke, args, verbose)
	}
	if !mod.HasExport("_start") {
		return usageError{fmt.Errorf("%s exports no _start (it is a %s); call one of its exports with --invoke", mod.Name(), mod.Pattern())}
	}
	return guestError(rt.RunCommand(ctx, mod, icfg), verbose)
}

// invoke calls one export with numeric arguments and prints its results.
func invoke(ctx context.Context, out io.Writer, rt *engine.Runtime, mod *engine.Module, icfg engine.InstanceConfig, name string, args []string, verbose bool) error {
	def, ok := mod.Compiled().ExportedFunctions()[name]
	if !ok {
		return usageError{fmt.Errorf("%s exports no function %q", mod.Name(), name)}
	}
	params, err := parseParams(def.ParamTypes(), args)
	if err != nil {
		return usageError{fmt.Errorf("--invoke %s: %w", name, err)}
	}
	icfg.Args = icfg.Args[:1]
	inst, err := rt.Instantiate(ctx, mod, icfg)
	if err != nil {
		return guestError(err, verbose)
	}
	defer inst.Close(context.WithoutCancel(ctx))
	res, err := inst.Call(ctx, name, params...)
	if err != nil {
		return guestError(err, verbose)
	}
	for i, t := range def.ResultTypes() {
		fmt.Fprintln(out, formatValue(t, res[i]))
	}
	return nil
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
	switch {
	case errors.As(err, &exit):
		if exit.Code > 255 {
			return exitStatus{code: 1, msg: fmt.Sprintf("%s exited with status %d, which does not fit a process exit status (0-255)", exit.Module, exit.Code)}
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
	case errors.Is(err, engine.ErrTimeout):
		return exitStatus{code: exitTimeout, msg: err.Error()}
	case errors.As(err, &load), errors.As(err, &unresolved):
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
		host, guest, ok := strings.Cut(spec, "::")
		if !ok {
			guest = host
		}
		if host == "" || guest == "" {
			return fmt.Errorf("--dir %q: want HOST_DIR[::GUEST_DIR]", spec)
		}
		fi, err := os.Stat(host)
		if err != nil {
			return fmt.Errorf("--dir %s: directory does not exist", host)
		}
		if !fi.IsDir() {
			return fmt.Errorf("--dir %s: not a directory", host)
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

// parseSize parses "64MiB", "1GiB", "512KiB", "65536", "64M" (binary units).
func parseSize(s string) (uint64, error) {
	t := strings.TrimSpace(strings.ToLower(s))
	mult := uint64(1)
	for _, u := range []struct {
		suffix string
		mult   uint64
	}{{"gib", 1 << 30}, {"mib", 1 << 20}, {"kib", 1 << 10}, {"gb", 1 << 30}, {"mb", 1 << 20}, {"kb", 1 << 10}, {"g", 1 << 30}, {"m", 1 << 20}, {"k", 1 << 10}, {"b", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseUint(t, 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("%q is not a size (e.g. 64MiB)", s)
	}
	return n * mult, nil
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
