package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/engine"
)

func init() { commands = append(commands, newCallCmd) }

// callFlags are the flags of `wasmhive call`.
type callFlags struct {
	input      string
	inputSet   bool
	inputFile  string
	maxInput   string
	maxOutput  string
	config     []string
	allowHosts []string
	dirs       []string
	roDirs     []string
	links      []string
	linkTo     []string
	timeout    time.Duration
	maxMemory  string
	logLevel   string
	noCache    bool
	sandbox    sandboxFlags
}

func newCallCmd() *cobra.Command { return callCmd(new(callFlags)) }

// callCmd is `wasmhive call` with its flags parsed into f.
func callCmd(f *callFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "call [flags] MODULE FUNCTION",
		Short: "Call a function of an Extism-compatible plugin with bytes in and bytes out",
		Long: `Call FUNCTION of the plugin MODULE the way Extism hosts do: the input (--input, --input-file, or
stdin when neither is given) goes in through the Extism ABI, and the output bytes are written raw to
stdout. Plugins built with any Extism PDK run unmodified.

The plugin's log messages and WASI stdout/stderr go to stderr. Config comes from --config, and
from wasmhive's environment or files with --config-env and --config-file (--secret-env and
--secret-file keep the value out of logs and errors). --require-claims and --trusted-issuer check
who signed the plugin.

Exit codes: 0 on success, 1 when the plugin returns non-zero (its error message on stderr) or a host
function stops it (e.g. a denied HTTP request) or it passes a limit (--max-output,
--max-http-requests), 2 for usage and load errors, 124 when --timeout passes, 134 when the plugin
traps.`,
		Example: `  wasmhive call count_vowels.wasm count_vowels --input "hello world"
  echo -n '{"url":"https://example.com"}' | wasmhive call --allow-host example.com http.wasm fetch
  wasmhive call --config greeting=Howdy --dir ./data::/data --link lib=lib.wasm main.wasm run`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.inputSet = cmd.Flags().Changed("input")
			return callPlugin(cmd, *f, args[0], args[1])
		},
	}
	fl := cmd.Flags()
	fl.SetInterspersed(true)
	fl.StringVarP(&f.input, "input", "i", "", "the input `TEXT`")
	fl.StringVar(&f.inputFile, "input-file", "", "read the input from `FILE`")
	fl.StringVar(&f.maxInput, "max-input", "64MiB", "refuse an input larger than `SIZE`")
	fl.StringVar(&f.maxOutput, "max-output", "", "fail a call whose output is larger than `SIZE` (default no limit)")
	fl.StringArrayVar(&f.config, "config", nil, "set config `KEY=VALUE` for config_get (repeatable)")
	fl.StringArrayVar(&f.allowHosts, "allow-host", nil, "allow HTTP requests to hosts matching `GLOB` (repeatable), e.g. '*.example.com'")
	fl.StringArrayVar(&f.dirs, "dir", nil, "preopen `HOST_DIR[::GUEST_DIR]` read-write (repeatable)")
	fl.StringArrayVar(&f.roDirs, "ro-dir", nil, "preopen `HOST_DIR[::GUEST_DIR]` read-only (repeatable)")
	fl.StringArrayVar(&f.links, "link", nil, "link library module `NAME=FILE`: MODULE's imports from NAME are served by FILE (repeatable)")
	fl.StringArrayVar(&f.linkTo, "link-to", nil, "serve MODULE's imports of interface `IFACE=FILE` with the component in FILE, a separate instance with the same grants and limits (repeatable; docs/links.md)")
	fl.DurationVar(&f.timeout, "timeout", 0, "stop the call after `DURATION` (e.g. 5s); 0 means no limit")
	fl.StringVar(&f.maxMemory, "max-memory", "", "cap linear memory and kernel memory at `SIZE` each (e.g. 64MiB)")
	fl.StringVar(&f.logLevel, "log-level", "", "print the plugin's logs at `LEVEL` and above (trace, debug, info, warn, error); off by default")
	addSandboxFlags(fl, &f.sandbox, withHTTPLimits)
	fl.BoolVar(&f.noCache, "no-cache", false, "do not use the on-disk compilation cache")
	return cmd
}

func callPlugin(cmd *cobra.Command, f callFlags, path, function string) error {
	ctx := cmd.Context()
	verbose, _ := cmd.Flags().GetBool("verbose")
	cfg, maxInput, err := f.pluginConfig(cmd, verbose)
	if err != nil {
		return usageError{err}
	}
	cc := &cfg.Component

	p, err := wasmhive.LoadFile(ctx, path, cfg)
	if err != nil {
		return callError(err, verbose)
	}
	defer p.Close(context.WithoutCancel(ctx))
	if !p.FunctionExists(function) {
		return usageError{fmt.Errorf("%s exports no function %q", path, function)}
	}
	if f.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.timeout)
		defer cancel()
	}
	handleSignals() // the plugin is interruptible (no NoInterrupts)
	var out []byte
	err = supervise(ctx, p.Name(), f.timeout, func(ctx context.Context) error {
		// The input is read under --timeout too: a pipe that never closes
		// must not hold the call past it.
		input, err := readCallInput(ctx, cmd.InOrStdin(), f, int64(maxInput))
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return usageError{err}
		}
		out, err = p.Call(ctx, function, input)
		if max := cc.Limits.ResponseBytes; err == nil && max > 0 && uint64(len(out)) > uint64(max) {
			// The Host may enforce response_bytes itself; this holds either way.
			err = &engine.LimitError{Module: p.Name(), Function: function, Limit: "response_bytes", Max: uint64(max), Got: uint64(len(out))}
		}
		return err
	})
	if err != nil {
		return callError(err, verbose)
	}
	_, err = cmd.OutOrStdout().Write(out)
	return err
}

// pluginConfig validates the flags into the plugin's configuration and the
// input's size limit.
func (f callFlags) pluginConfig(cmd *cobra.Command, verbose bool) (wasmhive.PluginConfig, wasmhive.Size, error) {
	// Guests are interruptible by default, so that --timeout and Ctrl-C
	// stop a plugin that loops. Plugin logging is off unless --log-level.
	cfg := wasmhive.PluginConfig{Host: wasmhive.HostConfig{
		NoCache:   f.noCache,
		DebugInfo: verbose,
		Logger:    slog.New(slog.DiscardHandler),
		Stdout:    cmd.ErrOrStderr(),
		Stderr:    cmd.ErrOrStderr(),
	}}
	cc := &cfg.Component
	cc.Config = map[string]string{}
	for _, kv := range f.config {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return cfg, 0, fmt.Errorf("--config %q: want KEY=VALUE", kv)
		}
		cc.Config[k] = v
	}
	if len(f.allowHosts) > 0 {
		cc.Grants.HTTP = &wasmhive.HTTPGrant{AllowedHosts: f.allowHosts}
	}
	preopens, err := parsePreopens(f.dirs, f.roDirs)
	if err != nil {
		return cfg, 0, err
	}
	for _, p := range preopens {
		cc.Dirs = append(cc.Dirs, wasmhive.Dir{Host: p.HostPath, Guest: p.GuestPath, ReadOnly: p.ReadOnly})
	}
	for _, l := range f.links {
		name, file, ok := strings.Cut(l, "=")
		if !ok || name == "" || file == "" {
			return cfg, 0, fmt.Errorf("--link %q: want NAME=FILE", l)
		}
		cc.Libraries = append(cc.Libraries, wasmhive.Library{Name: name, Module: file})
	}
	if f.timeout < 0 {
		return cfg, 0, errors.New("--timeout must not be negative")
	}
	if f.maxMemory != "" {
		n, err := parseMemory(f.maxMemory)
		if err != nil {
			return cfg, 0, fmt.Errorf("--max-memory: %w", err)
		}
		cc.Limits.Memory = n
	}
	if f.logLevel != "" && f.logLevel != "off" {
		level, err := parseLogLevel(f.logLevel)
		if err != nil {
			return cfg, 0, err
		}
		cfg.Host.Logger = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
	}
	if f.inputSet && f.inputFile != "" {
		return cfg, 0, errors.New("--input and --input-file are exclusive")
	}
	maxInput, err := wasmhive.ParseSize(f.maxInput)
	if err != nil {
		return cfg, 0, fmt.Errorf("--max-input: %w", err)
	}
	if f.maxOutput != "" {
		if cc.Limits.ResponseBytes, err = wasmhive.ParseSize(f.maxOutput); err != nil {
			return cfg, 0, fmt.Errorf("--max-output: %w", err)
		}
	}
	if err := f.sandbox.applyComponent(cc); err != nil {
		return cfg, 0, err
	}
	cfg.Host.Claims, err = f.sandbox.claims()
	if err != nil {
		return cfg, 0, err
	}
	err = f.linkedComponents(&cfg)
	return cfg, maxInput, err
}

// linkedComponents adds a component per --link-to, named after its file,
// with the main component's grants and limits, and links the main
// component to it.
func (f callFlags) linkedComponents(cfg *wasmhive.PluginConfig) error {
	names := map[string]bool{}
	base := cfg.Component
	for _, l := range f.linkTo {
		iface, file, ok := strings.Cut(l, "=")
		if !ok || iface == "" || file == "" || strings.ContainsAny(iface, " #") {
			return fmt.Errorf("--link-to %q: want INTERFACE=FILE (e.g. wasmhive:keyvalue/atomics=kv-sender.wasm)", l)
		}
		name := strings.TrimSuffix(filepath.Base(file), ".wasm")
		for n := 2; names[name] || name == cfg.Name; n++ {
			name = fmt.Sprintf("%s-%d", strings.TrimSuffix(filepath.Base(file), ".wasm"), n)
		}
		names[name] = true
		tc := base
		tc.Module, tc.Libraries, tc.Links, tc.Vars = file, nil, nil, nil
		cfg.Linked = append(cfg.Linked, wasmhive.NamedComponent{Name: name, Config: tc})
		cfg.Component.Links = append(cfg.Component.Links, wasmhive.Link{Interface: iface, Target: name})
	}
	return nil
}

// readCallInput reads the call's input: --input, --input-file or stdin, at
// most max bytes, giving up when ctx is done (the read goes on in the
// background, abandoned: the process is about to exit).
func readCallInput(ctx context.Context, stdin io.Reader, f callFlags, max int64) ([]byte, error) {
	if f.inputSet {
		if int64(len(f.input)) > max {
			return nil, fmt.Errorf("--input is larger than --max-input (%s)", wasmhive.Size(max))
		}
		return []byte(f.input), nil
	}
	var (
		r    io.Reader
		what string
	)
	switch {
	case f.inputFile != "":
		file, err := os.Open(f.inputFile)
		if err != nil {
			return nil, fmt.Errorf("--input-file: %w", cleanPathErr(err))
		}
		defer file.Close()
		r, what = file, "--input-file "+f.inputFile
	case stdin == nil:
		return nil, nil
	default:
		if file, ok := stdin.(*os.File); ok {
			if fi, err := file.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
				return nil, nil // a terminal: no input rather than waiting for one
			}
		}
		r, what = stdin, "stdin"
	}
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := io.ReadAll(io.LimitReader(r, max+1))
		done <- result{b, err}
	}()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case res := <-done:
		switch {
		case res.err != nil:
			return nil, fmt.Errorf("read the input from %s: %w", what, res.err)
		case int64(len(res.b)) > max:
			return nil, fmt.Errorf("the input from %s is larger than --max-input (%s)", what, wasmhive.Size(max))
		}
		return res.b, nil
	}
}

func cleanPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s: no such file", pe.Path)
		}
		return fmt.Errorf("%s: %v", pe.Path, pe.Err)
	}
	return err
}

func parseLogLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "trace":
		return extism.LevelTrace, nil
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("--log-level %q: want off, trace, debug, info, warn or error", s)
}

// callError maps a plugin call's error to wasmhive's exit statuses.
func callError(err error, verbose bool) error {
	var pe *wasmhive.PluginError
	if errors.As(err, &pe) {
		var exit *engine.ExitError
		if errors.As(err, &exit) {
			// The plugin called proc_exit: its status is ours, as for run.
			if pe.Message == "" {
				return guestError(exit, verbose)
			}
			code := int(exit.Code)
			if code >= 126 {
				code = 1
			}
			return exitStatus{code: code, msg: pe.Message}
		}
		return exitStatus{code: 1, msg: pe.Error()}
	}
	var he *wasmhive.HostError
	if errors.As(err, &he) {
		return exitStatus{code: 1, msg: he.Error()}
	}
	return guestError(err, verbose)
}
