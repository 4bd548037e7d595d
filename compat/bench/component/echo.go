package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/samyfodil/wazy"
	wazycomp "github.com/samyfodil/wazy/component"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component/linker"
	"github.com/wasmhive/wasmhive/engine"
)

// entry is calc.wit's record entry {name: string, tags: list<string>, note: string}.
type entry struct {
	name string
	tags []string
	note string
}

func (e entry) size() int {
	n := len(e.name) + len(e.note)
	for _, t := range e.tags {
		n += len(t)
	}
	return n
}

func (e entry) equal(o entry) bool {
	return e.name == o.name && e.note == o.note && slices.Equal(e.tags, o.tags)
}

func (e entry) check(got entry) error {
	if !e.equal(got) {
		return fmt.Errorf("echo returned a different entry (%d bytes, want %d)", got.size(), e.size())
	}
	return nil
}

// payloads are the entries of the echo cases: three short strings, and
// ~16 KiB (a 2 KiB name, 24 tags of 512 bytes, a 2 KiB note).
func payloads() []struct {
	label string
	e     entry
} {
	big := entry{name: strings.Repeat("n", 2048), note: strings.Repeat("o", 2048)}
	for i := range 24 {
		big.tags = append(big.tags, fmt.Sprintf("%03d", i)+strings.Repeat("t", 509))
	}
	return []struct {
		label string
		e     entry
	}{
		{"small (3 short strings)", entry{name: "ada", tags: []string{"math"}, note: "first"}},
		{fmt.Sprintf("%.0f KiB (26 strings)", float64(big.size())/1024), big},
	}
}

func echoCases(root string) ([]benchCase, error) {
	calc, err := readFile(root, "testdata/components/calc.wasm")
	if err != nil {
		return nil, err
	}
	extismEcho := filepath.Join(root, "compat/bench/extism/echo/echo.wasm")
	var cases []benchCase
	for _, p := range payloads() {
		e := p.e
		cases = append(cases, benchCase{
			name: "1. export call echo(entry), " + p.label,
			impls: []impl{
				{name: "wasmhive TypedFunc.Call (Go struct)", open: func() (func() error, func(), error) { return openTypedEcho(calc, e) }},
				{name: "wasmhive Func.Call (dynamic values)", ours: true, open: func() (func() error, func(), error) { return openLinkerEcho(calc, e) }},
				{name: "raw core call, plain wazero (floor)", goal: 1.5, open: func() (func() error, func(), error) { return openRawEcho(calc, e) }},
				{name: "wasmhive Plugin.Call, Extism echo (bytes)", open: func() (func() error, func(), error) { return openExtismEcho(extismEcho, e) }},
				{name: "wazy Instance.Call", goal: 0.5, open: func() (func() error, func(), error) { return openWazyEcho(calc, e) }},
			},
		})
	}
	return append(cases, addCase(calc)), nil
}

// openCalc instantiates calc.wasm on a fresh engine runtime (no on-disk
// cache) and returns its export name, and a func that closes it all.
func openCalc(calc []byte, name string) (*linker.Func, func(), error) {
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, engine.Config{NoCache: true, NoInterrupts: *noInterrupts})
	if err != nil {
		return nil, nil, err
	}
	closeAll := func() { rt.Close(ctx) }
	c, err := linker.Compile(ctx, rt, "calc.wasm", calc)
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	inst, err := linker.New().Instantiate(ctx, c, engine.InstanceConfig{})
	if err != nil {
		c.Close(ctx)
		closeAll()
		return nil, nil, err
	}
	closeAll = func() { inst.Close(ctx); c.Close(ctx); rt.Close(ctx) }
	f, err := inst.Func(name)
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	return f, closeAll, nil
}

func openLinkerEcho(calc []byte, e entry) (func() error, func(), error) {
	ctx := context.Background()
	f, closeAll, err := openCalc(calc, "echo")
	if err != nil {
		return nil, nil, err
	}
	tags := make(canonical.List, len(e.tags))
	for i, t := range e.tags {
		tags[i] = t
	}
	// Boxed once, as wazy's []any argument is built once.
	var arg canonical.Value = canonical.Record{e.name, tags, e.note}
	return func() error {
		v, err := f.Call(ctx, arg)
		if err != nil {
			return err
		}
		r, ok := v.(canonical.Record)
		if !ok || len(r) != 3 {
			return fmt.Errorf("echo returned %T", v)
		}
		var got entry
		got.name, _ = r[0].(string)
		got.note, _ = r[2].(string)
		l, _ := r[1].(canonical.List)
		got.tags = make([]string, 0, len(l))
		for _, t := range l {
			s, _ := t.(string)
			got.tags = append(got.tags, s)
		}
		return e.check(got)
	}, closeAll, nil
}

// goEntry is the Go form of calc.wit's entry record.
type goEntry struct {
	Name string
	Tags []string
	Note string
}

// openTypedEcho calls echo through a linker.TypedFunc: the entry lowered
// from, and lifted into, a Go struct without dynamic values.
func openTypedEcho(calc []byte, e entry) (func() error, func(), error) {
	ctx := context.Background()
	f, closeAll, err := openCalc(calc, "echo")
	if err != nil {
		return nil, nil, err
	}
	echo, err := linker.Typed[goEntry, goEntry](f)
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	arg := goEntry{Name: e.name, Tags: e.tags, Note: e.note}
	return func() error {
		r, err := echo.Call(ctx, arg)
		if err != nil {
			return err
		}
		return e.check(entry{name: r.Name, tags: r.Tags, note: r.Note})
	}, closeAll, nil
}

// openRawEcho is the floor: calc's core module on plain wazero, the
// entry's bytes moved as the canonical ABI moves them (each string and
// the list's array allocated with cabi_realloc and written, the core echo
// called with the six flat parameters, the six result words read from the
// return area, the strings copied out, cabi_post_echo called), with no
// type-directed code.
func openRawEcho(calc []byte, e entry) (func() error, func(), error) {
	ctx := context.Background()
	rt, mod, err := openRawCalc(calc)
	if err != nil {
		return nil, nil, err
	}
	mem := mod.Memory()
	realloc, echo, post := mod.ExportedFunction("cabi_realloc"), mod.ExportedFunction("echo"), mod.ExportedFunction("cabi_post_echo")
	if mem == nil || realloc == nil || echo == nil || post == nil {
		rt.Close(ctx)
		return nil, nil, errors.New("calc's core module lacks memory, cabi_realloc, echo or cabi_post_echo")
	}
	stack := make([]uint64, 6)
	alloc := func(size, align uint32) (uint32, error) {
		stack[0], stack[1], stack[2], stack[3] = 0, 0, uint64(align), uint64(size)
		if err := realloc.CallWithStack(ctx, stack); err != nil {
			return 0, err
		}
		return uint32(stack[0]), nil
	}
	put := func(s string) (uint32, error) {
		p, err := alloc(uint32(len(s)), 1)
		if err == nil && !mem.WriteString(p, s) {
			err = errors.New("string out of memory bounds")
		}
		return p, err
	}
	get := func(p, n uint32) (string, error) {
		b, ok := mem.Read(p, n)
		if !ok {
			return "", errors.New("string out of memory bounds")
		}
		return string(b), nil
	}
	var arr []byte
	return func() error {
		np, err := put(e.name)
		if err != nil {
			return err
		}
		tp, err := alloc(uint32(8*len(e.tags)), 4)
		if err != nil {
			return err
		}
		arr = arr[:0]
		for _, t := range e.tags {
			p, err := put(t)
			if err != nil {
				return err
			}
			arr = binary.LittleEndian.AppendUint32(arr, p)
			arr = binary.LittleEndian.AppendUint32(arr, uint32(len(t)))
		}
		if !mem.Write(tp, arr) {
			return errors.New("list out of memory bounds")
		}
		op, err := put(e.note)
		if err != nil {
			return err
		}
		stack[0], stack[1], stack[2], stack[3], stack[4], stack[5] =
			uint64(np), uint64(len(e.name)), uint64(tp), uint64(len(e.tags)), uint64(op), uint64(len(e.note))
		if err := echo.CallWithStack(ctx, stack); err != nil {
			return err
		}
		ret := uint32(stack[0])
		w, ok := mem.Read(ret, 24)
		if !ok {
			return errors.New("return area out of memory bounds")
		}
		var f [6]uint32
		for i := range f {
			f[i] = binary.LittleEndian.Uint32(w[4*i:])
		}
		var got entry
		if got.name, err = get(f[0], f[1]); err != nil {
			return err
		}
		la, ok := mem.Read(f[2], 8*f[3])
		if !ok {
			return errors.New("list out of memory bounds")
		}
		got.tags = make([]string, f[3])
		for i := range got.tags {
			if got.tags[i], err = get(binary.LittleEndian.Uint32(la[8*i:]), binary.LittleEndian.Uint32(la[8*i+4:])); err != nil {
				return err
			}
		}
		if got.note, err = get(f[4], f[5]); err != nil {
			return err
		}
		stack[0] = uint64(ret)
		if err := post.CallWithStack(ctx, stack); err != nil {
			return err
		}
		return e.check(got)
	}, func() { rt.Close(ctx) }, nil
}

// openExtismEcho moves the same entry through the Extism ABI: encoded as
// length-prefixed bytes, echoed by compat/bench/extism's echo plugin,
// decoded back.
func openExtismEcho(path string, e entry) (func() error, func(), error) {
	ctx := context.Background()
	p, err := wasmhive.LoadFile(ctx, path, wasmhive.PluginConfig{Host: wasmhive.HostConfig{NoCache: true, NoInterrupts: *noInterrupts}})
	if err != nil {
		return nil, nil, err
	}
	var buf []byte
	return func() error {
		buf = encodeEntry(buf[:0], e)
		out, err := p.Call(ctx, "echo", buf)
		if err != nil {
			return err
		}
		got, err := decodeEntry(out)
		if err != nil {
			return err
		}
		return e.check(got)
	}, func() { p.Close(ctx) }, nil
}

// encodeEntry appends e as u32 length-prefixed strings: name, the number
// of tags, each tag, note.
func encodeEntry(b []byte, e entry) []byte {
	str := func(s string) {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	str(e.name)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(e.tags)))
	for _, t := range e.tags {
		str(t)
	}
	str(e.note)
	return b
}

func decodeEntry(b []byte) (entry, error) {
	bad := errors.New("malformed entry bytes")
	u32 := func() (uint32, bool) {
		if len(b) < 4 {
			return 0, false
		}
		v := binary.LittleEndian.Uint32(b)
		b = b[4:]
		return v, true
	}
	str := func() (string, bool) {
		n, ok := u32()
		if !ok || uint32(len(b)) < n {
			return "", false
		}
		s := string(b[:n])
		b = b[n:]
		return s, true
	}
	var e entry
	var ok bool
	if e.name, ok = str(); !ok {
		return e, bad
	}
	n, ok := u32()
	if !ok || n > uint32(len(b)) {
		return e, bad
	}
	e.tags = make([]string, n)
	for i := range e.tags {
		if e.tags[i], ok = str(); !ok {
			return e, bad
		}
	}
	if e.note, ok = str(); !ok || len(b) != 0 {
		return e, bad
	}
	return e, nil
}

func openWazyEcho(calc []byte, e entry) (func() error, func(), error) {
	ctx := context.Background()
	r := wazy.NewRuntime(ctx)
	inst, err := wazycomp.Instantiate(ctx, r, calc)
	if err != nil {
		r.Close(ctx)
		return nil, nil, err
	}
	tags := make([]any, len(e.tags))
	for i, t := range e.tags {
		tags[i] = t
	}
	arg := []any{e.name, tags, e.note}
	return func() error {
			out, err := inst.Call(ctx, "echo", arg)
			if err != nil {
				return err
			}
			if len(out) != 1 {
				return fmt.Errorf("echo returned %d values", len(out))
			}
			rec, ok := out[0].([]any)
			if !ok || len(rec) != 3 {
				return fmt.Errorf("echo returned %T", out[0])
			}
			var got entry
			got.name, _ = rec[0].(string)
			got.note, _ = rec[2].(string)
			switch l := rec[1].(type) {
			case []any:
				got.tags = make([]string, 0, len(l))
				for _, t := range l {
					s, _ := t.(string)
					got.tags = append(got.tags, s)
				}
			case []string:
				got.tags = l
			}
			return e.check(got)
		}, func() {
			inst.Close(ctx)
			r.Close(ctx)
		}, nil
}

// coreModules returns the core modules embedded in a component binary, in
// definition order.
func coreModules(wasm []byte) ([][]byte, error) {
	ctx := context.Background()
	rt, err := engine.NewRuntime(ctx, engine.Config{NoCache: true})
	if err != nil {
		return nil, err
	}
	defer rt.Close(ctx)
	c, err := linker.Compile(ctx, rt, "component", wasm)
	if err != nil {
		return nil, err
	}
	defer c.Close(ctx)
	var mods [][]byte
	for _, m := range c.Decoded().Modules {
		mods = append(mods, m.Bytes)
	}
	return mods, nil
}

// addCase is calc's add(40, 2): no memory moved, so the rows differ by
// the fixed cost of a call alone (a component call's scopes, the engine's
// checks and post-return, against one core call).
func addCase(calc []byte) benchCase {
	return benchCase{
		name: "1. export call add(40, 2) (no memory)",
		impls: []impl{
			{name: "wasmhive TypedFunc.Call", open: func() (func() error, func(), error) { return openLinkerAdd2(calc, true) }},
			{name: "wasmhive Func.Call", ours: true, open: func() (func() error, func(), error) { return openLinkerAdd2(calc, false) }},
			{name: "raw core call, plain wazero (floor)", open: func() (func() error, func(), error) { return openRawAdd(calc) }},
			{name: "wazy Instance.Call", goal: 0.5, open: func() (func() error, func(), error) { return openWazyAdd2(calc) }},
		},
	}
}

func openLinkerAdd2(calc []byte, typed bool) (func() error, func(), error) {
	ctx := context.Background()
	f, closeAll, err := openCalc(calc, "add")
	if err != nil {
		return nil, nil, err
	}
	if !typed {
		return func() error {
			v, err := f.Call(ctx, int32(40), int32(2))
			if err == nil && v != int32(42) {
				err = fmt.Errorf("add(40, 2) = %v", v)
			}
			return err
		}, closeAll, nil
	}
	add, err := linker.Typed[struct{ A, B int32 }, int32](f)
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	return func() error {
		v, err := add.Call(ctx, struct{ A, B int32 }{40, 2})
		if err == nil && v != 42 {
			err = fmt.Errorf("add(40, 2) = %v", v)
		}
		return err
	}, closeAll, nil
}

// openRawCalc instantiates calc's core module on plain wazero, without
// running its start functions.
func openRawCalc(calc []byte) (wazero.Runtime, api.Module, error) {
	ctx := context.Background()
	core, err := coreModules(calc)
	if err != nil {
		return nil, nil, err
	}
	rt := wazero.NewRuntime(ctx)
	mod, err := rt.InstantiateWithConfig(ctx, core[0], wazero.NewModuleConfig().WithStartFunctions())
	if err != nil {
		rt.Close(ctx)
		return nil, nil, err
	}
	return rt, mod, nil
}

func openRawAdd(calc []byte) (func() error, func(), error) {
	ctx := context.Background()
	rt, mod, err := openRawCalc(calc)
	if err != nil {
		return nil, nil, err
	}
	add := mod.ExportedFunction("add")
	if add == nil {
		rt.Close(ctx)
		return nil, nil, errors.New("calc's core module exports no add")
	}
	stack := make([]uint64, 2)
	return func() error {
		stack[0], stack[1] = 40, 2
		if err := add.CallWithStack(ctx, stack); err != nil {
			return err
		}
		if int32(stack[0]) != 42 {
			return fmt.Errorf("add(40, 2) = %d", int32(stack[0]))
		}
		return nil
	}, func() { rt.Close(ctx) }, nil
}

func openWazyAdd2(calc []byte) (func() error, func(), error) {
	ctx := context.Background()
	r := wazy.NewRuntime(ctx)
	inst, err := wazycomp.Instantiate(ctx, r, calc)
	if err != nil {
		r.Close(ctx)
		return nil, nil, err
	}
	args := []any{int32(40), int32(2)}
	return func() error {
			out, err := inst.Call(ctx, "add", args...)
			if err != nil {
				return err
			}
			if len(out) != 1 || out[0] != int32(42) {
				return fmt.Errorf("add(40, 2) = %v", out)
			}
			return nil
		}, func() {
			inst.Close(ctx)
			r.Close(ctx)
		}, nil
}
