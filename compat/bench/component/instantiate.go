package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"

	"github.com/samyfodil/wazy"
	wazycomp "github.com/samyfodil/wazy/component"
	wazyp1 "github.com/samyfodil/wazy/imports/wasi_snapshot_preview1"
	wazyp2 "github.com/samyfodil/wazy/imports/wasip2"
	wazysys "github.com/samyfodil/wazy/sys"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/trigger"
	"github.com/wasmhive/wasmhive/wasip2"
)

// cmdArgs is the command line of the cmd guest in every case: "args" mode
// prints its argv (to io.Discard).
var cmdArgs = []string{"cmd", "args", "one", "two"}

// cmdRun is the export the cmd component's run function is under.
const cmdRun = "wasi:cli/run@0.2.12#run"

func readFile(root, rel string) ([]byte, error) {
	return os.ReadFile(filepath.Join(root, rel))
}

func instantiateCases(root string) ([]benchCase, error) {
	cmd, err := readFile(root, "testdata/components/cmd.wasm")
	if err != nil {
		return nil, err
	}
	return []benchCase{{
		name: "2. instantiate cmd.wasm (C command + jco preview1 adapter), no run",
		impls: []impl{
			{name: "wasmhive Linker.Instantiate (+ wasip2)", open: func() (func() error, func(), error) { return openLinkerInstantiate(cmd) }},
			{name: "its main + adapter core modules, plain wazero (floor)", goal: 1.5, open: func() (func() error, func(), error) { return openRawInstantiate(cmd) }},
			{name: "wazy Instantiate (+ wasip2, CompileCache)", goal: 0.5, open: func() (func() error, func(), error) { return openWazyInstantiate(cmd) }},
		},
	}}, nil
}

func openLinkerInstantiate(cmd []byte) (func() error, func(), error) {
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, engine.Config{NoCache: true, NoInterrupts: *noInterrupts})
	if err != nil {
		return nil, nil, err
	}
	c, err := linker.Compile(ctx, rt, "cmd.wasm", cmd)
	if err != nil {
		rt.Close(ctx)
		return nil, nil, err
	}
	l := linker.New()
	wasip2.Define(l)
	return func() error {
			inst, err := l.Instantiate(ctx, c, engine.InstanceConfig{Args: cmdArgs, Stdout: io.Discard})
			if err != nil {
				return err
			}
			return inst.Close(ctx)
		}, func() {
			c.Close(ctx)
			rt.Close(ctx)
		}, nil
}

// openRawInstantiate is the floor of instantiation: the component's main
// module and the preview1 adapter instantiated on plain wazero as a
// hand-made host would. wazero cannot link the two directly (main imports
// wasi_snapshot_preview1 from the adapter, the adapter imports main's
// memory), so main's wasi_snapshot_preview1 imports are Go functions that
// forward to the current adapter instance; the adapter's WASI 0.2 imports
// are Go stubs of the right signatures (never called: nothing runs). Main
// is named "env", where the adapter imports its memory from. The host
// modules are defined once, at open; each operation instantiates main,
// then the adapter (its start function allocates its stack in main's
// memory), then closes both.
func openRawInstantiate(cmd []byte) (func() error, func(), error) {
	ctx := context.Background()
	core, err := coreModules(cmd)
	if err != nil {
		return nil, nil, err
	}
	if len(core) < 2 {
		return nil, nil, fmt.Errorf("cmd.wasm has %d core modules, want main and adapter first", len(core))
	}
	rt := wazero.NewRuntime(ctx)
	fail := func(err error) (func() error, func(), error) {
		rt.Close(ctx)
		return nil, nil, err
	}
	mainMod, err := rt.CompileModule(ctx, core[0])
	if err != nil {
		return fail(err)
	}
	adapter, err := rt.CompileModule(ctx, core[1])
	if err != nil {
		return fail(err)
	}
	var current api.Module // the adapter instance main's imports forward to
	stubs := map[string]wazero.HostModuleBuilder{}
	builder := func(mod string) wazero.HostModuleBuilder {
		b, ok := stubs[mod]
		if !ok {
			b = rt.NewHostModuleBuilder(mod)
			stubs[mod] = b
		}
		return b
	}
	for _, fd := range mainMod.ImportedFunctions() {
		mod, name, _ := fd.Import()
		if mod != "wasi_snapshot_preview1" {
			return fail(fmt.Errorf("main imports %s.%s", mod, name))
		}
		builder(mod).NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, _ api.Module, stack []uint64) {
			f := current.ExportedFunction(name)
			if f == nil {
				panic(errors.New("adapter lacks " + name))
			}
			if err := f.CallWithStack(ctx, stack); err != nil {
				panic(err)
			}
		}), fd.ParamTypes(), fd.ResultTypes()).Export(name)
	}
	for _, fd := range adapter.ImportedFunctions() {
		mod, name, _ := fd.Import()
		if mod == "__main_module__" {
			builder(mod).NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, _ api.Module, stack []uint64) {
				panic(errors.New("the floor does not run _start"))
			}), fd.ParamTypes(), fd.ResultTypes()).Export(name)
			continue
		}
		builder(mod).NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, _ api.Module, stack []uint64) {
			panic(errors.New("the floor does not implement " + mod + "." + name))
		}), fd.ParamTypes(), fd.ResultTypes()).Export(name)
	}
	for mod, b := range stubs {
		// Compiled and instantiated without start functions: a host
		// module's "_start" (__main_module__'s) would run otherwise.
		hm, err := b.Compile(ctx)
		if err == nil {
			_, err = rt.InstantiateModule(ctx, hm, wazero.NewModuleConfig().WithName(mod).WithStartFunctions())
		}
		if err != nil {
			return fail(fmt.Errorf("host module %s: %w", mod, err))
		}
	}
	mainCfg := wazero.NewModuleConfig().WithName("env").WithStartFunctions().WithArgs(cmdArgs...).WithStdout(io.Discard)
	adapterCfg := wazero.NewModuleConfig().WithName("")
	return func() error {
		m, err := rt.InstantiateModule(ctx, mainMod, mainCfg)
		if err != nil {
			return err
		}
		a, err := rt.InstantiateModule(ctx, adapter, adapterCfg)
		if err != nil {
			m.Close(ctx)
			return err
		}
		current = a
		a.Close(ctx)
		return m.Close(ctx)
	}, func() { rt.Close(ctx) }, nil
}

func openWazyInstantiate(cmd []byte) (func() error, func(), error) {
	ctx := context.Background()
	r := wazy.NewRuntime(ctx)
	cache := wazycomp.NewCompileCache()
	opts := append(wazyp2.With(wazyp2.Config{Args: cmdArgs[1:], Stdout: io.Discard}), wazycomp.WithCompileCache(cache))
	return func() error {
			inst, err := wazycomp.Instantiate(ctx, r, cmd, opts...)
			if err != nil {
				return err
			}
			return inst.Close(ctx)
		}, func() {
			cache.Close(ctx)
			r.Close(ctx)
		}, nil
}

func commandCases(root string) ([]benchCase, error) {
	comp := filepath.Join(root, "testdata/components/cmd.wasm")
	coreFile := filepath.Join(root, "testdata/guests/cmd/cmd.wasm")
	cmd, err := os.ReadFile(comp)
	if err != nil {
		return nil, err
	}
	core, err := os.ReadFile(coreFile)
	if err != nil {
		return nil, err
	}
	return []benchCase{{
		name: "3. command start: cmd args, stdout to io.Discard, warm compile cache",
		impls: []impl{
			{name: "wasmhive Host.Run, cmd.wasm component", open: func() (func() error, func(), error) { return openHostRun(comp) }},
			{name: "wasmhive Host.Run, core cmd.wasm", open: func() (func() error, func(), error) { return openHostRun(coreFile) }},
			{name: "wazy Instantiate + run, cmd.wasm component", goal: 0.5, open: func() (func() error, func(), error) { return openWazyRun(cmd) }},
			{name: "wazy core cmd.wasm (its wasi_snapshot_preview1)", open: func() (func() error, func(), error) { return openWazyCore(core) }},
		},
	}}, nil
}

// hostCacheDir is the Hosts' compilation cache directory; empty means the
// default one (tests use their own).
var hostCacheDir string

// openHostRun runs path as a command through the public API: a Host with
// the default on-disk compilation cache (warm after the first run of the
// benchmark), the component added once, a fresh instance per Run.
func openHostRun(path string) (func() error, func(), error) {
	ctx := context.Background()
	h, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{NoInterrupts: *noInterrupts, CacheDir: hostCacheDir})
	if err != nil {
		return nil, nil, err
	}
	if _, err := h.AddComponent(ctx, "cmd", wasmhive.ComponentConfig{Module: path}); err != nil {
		h.Close(ctx)
		return nil, nil, err
	}
	cio := trigger.CommandIO{Args: cmdArgs, Stdout: io.Discard, Stderr: io.Discard}
	return func() error { return h.Run(ctx, "cmd", cio) }, func() { h.Close(ctx) }, nil
}

func openWazyRun(cmd []byte) (func() error, func(), error) {
	ctx := context.Background()
	r := wazy.NewRuntime(ctx)
	cache := wazycomp.NewCompileCache()
	opts := append(wazyp2.With(wazyp2.Config{Args: cmdArgs[1:], Stdout: io.Discard, Stderr: io.Discard}), wazycomp.WithCompileCache(cache))
	return func() error {
			inst, err := wazycomp.Instantiate(ctx, r, cmd, opts...)
			if err != nil {
				return err
			}
			out, err := inst.Call(ctx, cmdRun)
			inst.Close(ctx)
			if err != nil {
				return err
			}
			if len(out) == 1 {
				if v := reflect.ValueOf(out[0]); v.Kind() == reflect.Struct {
					if e := v.FieldByName("IsErr"); e.IsValid() && e.Bool() {
						return errors.New("run returned its error case")
					}
				}
			}
			return nil
		}, func() {
			cache.Close(ctx)
			r.Close(ctx)
		}, nil
}

func openWazyCore(core []byte) (func() error, func(), error) {
	ctx := context.Background()
	r := wazy.NewRuntime(ctx)
	wazyp1.MustInstantiate(ctx, r)
	compiled, err := r.CompileModule(ctx, core)
	if err != nil {
		r.Close(ctx)
		return nil, nil, err
	}
	cfg := wazy.NewModuleConfig().WithArgs(cmdArgs...).WithStdout(io.Discard).WithStderr(io.Discard).WithName("")
	return func() error {
		m, err := r.InstantiateModule(ctx, compiled, cfg)
		var exit *wazysys.ExitError
		if errors.As(err, &exit) && exit.ExitCode() == 0 {
			err = nil
		}
		if err != nil {
			return err
		}
		if m != nil {
			m.Close(ctx)
		}
		return nil
	}, func() { r.Close(ctx) }, nil
}
