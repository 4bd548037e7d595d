package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/samyfodil/wazy"
	wazycomp "github.com/samyfodil/wazy/component"
	wazyp2 "github.com/samyfodil/wazy/imports/wasip2"

	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/wasip2"
)

// largeCases are the cold compile of jsadd/add.wasm, a componentize-js
// component (~12 MB: the StarlingMonkey JS engine), and a trivial call of
// its add export. jsadd/build.sh makes add.wasm when it is missing.
func largeCases(root string) ([]benchCase, error) {
	path := filepath.Join(root, "compat/bench/component/jsadd/add.wasm")
	if _, err := os.Stat(path); os.IsNotExist(err) {
		fmt.Fprintln(os.Stderr, "building compat/bench/component/jsadd/add.wasm with jsadd/build.sh (npm, componentize-js)...")
		cmd := exec.Command(filepath.Join(root, "compat/bench/component/jsadd/build.sh"))
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("jsadd/build.sh: %w", err)
		}
	}
	wasm, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	mb := fmt.Sprintf("%.1f MB", float64(len(wasm))/1e6)
	return []benchCase{
		{
			name: "4. cold compile, componentize-js add.wasm (" + mb + "), no cache",
			cold: true, wallGoal: true,
			impls: []impl{
				{name: "wasmhive linker.Compile + Instantiate", open: func() (func() error, func(), error) { return openLinkerCold(wasm, true) }},
				{name: "wasmhive linker.Compile only", open: func() (func() error, func(), error) { return openLinkerCold(wasm, false) }},
				{name: "wazy Instantiate, no CompileCache", goal: 0.5, open: func() (func() error, func(), error) { return openWazyCold(wasm) }},
			},
		},
		{
			name: "4. trivial export call add(2, 40) on add.wasm",
			impls: []impl{
				{name: "wasmhive Func.Call", open: func() (func() error, func(), error) { return openLinkerAdd(wasm) }},
				{name: "wazy Instance.Call", goal: 0.5, open: func() (func() error, func(), error) { return openWazyAdd(wasm) }},
			},
		},
	}, nil
}

// openLinkerCold compiles on a fresh engine runtime without the on-disk
// cache each time (wazero also keeps compiled modules per runtime in
// memory), and with inst, also instantiates it with WASI 0.2.
func openLinkerCold(wasm []byte, inst bool) (func() error, func(), error) {
	ctx := context.Background()
	l := linker.New()
	wasip2.Define(l)
	return func() error {
		rt, err := engine.NewRuntime(ctx, engine.Config{NoCache: true, NoInterrupts: *noInterrupts})
		if err != nil {
			return err
		}
		defer rt.Close(ctx)
		c, err := linker.Compile(ctx, rt, "add.wasm", wasm)
		if err != nil {
			return err
		}
		defer c.Close(ctx)
		if !inst {
			return nil
		}
		in, err := l.Instantiate(ctx, c, engine.InstanceConfig{Stdout: io.Discard, Stderr: io.Discard})
		if err != nil {
			return err
		}
		return in.Close(ctx)
	}, func() {}, nil
}

func openWazyCold(wasm []byte) (func() error, func(), error) {
	ctx := context.Background()
	opts := wazyp2.With(wazyp2.Config{Stdout: io.Discard, Stderr: io.Discard})
	return func() error {
		r := wazy.NewRuntime(ctx)
		defer r.Close(ctx)
		in, err := wazycomp.Instantiate(ctx, r, wasm, opts...)
		if err != nil {
			return err
		}
		return in.Close(ctx)
	}, func() {}, nil
}

func openLinkerAdd(wasm []byte) (func() error, func(), error) {
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, engine.Config{NoInterrupts: *noInterrupts})
	if err != nil {
		return nil, nil, err
	}
	c, err := linker.Compile(ctx, rt, "add.wasm", wasm)
	if err != nil {
		rt.Close(ctx)
		return nil, nil, err
	}
	l := linker.New()
	wasip2.Define(l)
	in, err := l.Instantiate(ctx, c, engine.InstanceConfig{Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		rt.Close(ctx)
		return nil, nil, err
	}
	f, err := in.Func("add")
	if err != nil {
		rt.Close(ctx)
		return nil, nil, err
	}
	return func() error {
			v, err := f.Call(ctx, int32(2), int32(40))
			if err != nil {
				return err
			}
			if v != int32(42) {
				return fmt.Errorf("add(2, 40) = %v", v)
			}
			return nil
		}, func() {
			in.Close(ctx)
			c.Close(ctx)
			rt.Close(ctx)
		}, nil
}

func openWazyAdd(wasm []byte) (func() error, func(), error) {
	ctx := context.Background()
	r := wazy.NewRuntime(ctx)
	in, err := wazycomp.Instantiate(ctx, r, wasm, wazyp2.With(wazyp2.Config{Stdout: io.Discard, Stderr: io.Discard})...)
	if err != nil {
		r.Close(ctx)
		return nil, nil, err
	}
	return func() error {
			out, err := in.Call(ctx, "add", int32(2), int32(40))
			if err != nil {
				return err
			}
			if len(out) != 1 || fmt.Sprint(out[0]) != "42" {
				return fmt.Errorf("add(2, 40) = %v", out)
			}
			return nil
		}, func() {
			in.Close(ctx)
			r.Close(ctx)
		}, nil
}
