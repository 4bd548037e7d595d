package component

import (
	"github.com/wasmhive/wasmhive/internal/wasmbin"
)

// Canonical ABI limits (CanonicalABI.md "Flattening").
const (
	MaxFlatParams  = 16
	MaxFlatResults = 1
)

var (
	coreI32 = wasmbin.ValType{Code: wasmbin.I32}
	coreI64 = wasmbin.ValType{Code: wasmbin.I64}
	coreF32 = wasmbin.ValType{Code: wasmbin.F32}
	coreF64 = wasmbin.ValType{Code: wasmbin.F64}
)

// asyncCanons names the canonical built-ins of WASI 0.3 (async) and
// threads, which are recognised but not supported yet.
var asyncCanons = map[byte]string{
	0x05: "task.cancel", 0x06: "subtask.cancel", 0x08: "backpressure.set", 0x09: "task.return",
	0x0a: "context.get", 0x0b: "context.set", 0x0c: "yield", 0x0d: "subtask.drop", 0x0e: "stream.new",
	0x0f: "stream.read", 0x10: "stream.write", 0x11: "stream.cancel-read", 0x12: "stream.cancel-write",
	0x13: "stream.drop-readable", 0x14: "stream.drop-writable", 0x15: "future.new", 0x16: "future.read",
	0x17: "future.write", 0x18: "future.cancel-read", 0x19: "future.cancel-write",
	0x1a: "future.drop-readable", 0x1b: "future.drop-writable", 0x1c: "error-context.new",
	0x1d: "error-context.debug-message", 0x1e: "error-context.drop", 0x1f: "waitable-set.new",
	0x20: "waitable-set.wait", 0x21: "waitable-set.poll", 0x22: "waitable-set.drop", 0x23: "waitable.join",
	0x24: "backpressure.inc", 0x25: "backpressure.dec", 0x26: "thread.index", 0x27: "thread.new-indirect",
	0x28: "thread.switch-to", 0x29: "thread.suspend", 0x2a: "thread.resume-later", 0x2b: "thread.yield-to",
	0x40: "thread.spawn-ref", 0x41: "thread.spawn-indirect", 0x42: "thread.available-parallelism",
}

// canon decodes and validates a canonical definition (Binary.md
// "Canonical Definitions", CanonicalABI.md "Canonical definitions").
func (d *decoder) canon(c *Component, sc *scope, r rd) error {
	off := r.Offset()
	op, err := r.byte()
	if err != nil {
		return err
	}
	cn := Canon{Kind: CanonKind(op)}
	switch cn.Kind {
	case CanonLift:
		if err := d.funcSortByte(r); err != nil {
			return err
		}
		if cn.Func, err = d.index(r, sc, SortCoreFunc); err != nil {
			return err
		}
		if cn.Options, err = d.canonOpts(r, sc); err != nil {
			return err
		}
		toff := r.Offset()
		if cn.Type, err = d.index(r, sc, SortType); err != nil {
			return err
		}
		ft, ok := sc.sp.Types[cn.Type].(*FuncType)
		if !ok {
			return d.errAt(toff, "canon lift: type %d is not a function type", cn.Type)
		}
		if err := d.checkOpts(off, sc, ft, cn.Options, true); err != nil {
			return err
		}
		// "Validation of canon lift requires f to have type flatten(ft)."
		want := d.flattenFunc(ft, true)
		if got := sc.sp.CoreFuncs[cn.Func]; !coreFuncEqual(got, &want) {
			return d.errAt(off, "canon lift: core func %d has type %s, the lifted type flattens to %s", cn.Func, got, &want)
		}
		if pr := cn.Options.PostReturn; pr != nil {
			// post-return takes the lifted function's flat results and returns nothing.
			wantPR := &wasmbin.FuncType{Params: want.Results}
			if got := sc.sp.CoreFuncs[*pr]; !coreFuncEqual(got, wantPR) {
				return d.errAt(off, "canon lift: post-return core func %d has type %s, want %s", *pr, got, wantPR)
			}
		}
		sc.sp.Funcs = append(sc.sp.Funcs, ft)
	case CanonLower:
		if err := d.funcSortByte(r); err != nil {
			return err
		}
		if cn.Func, err = d.index(r, sc, SortFunc); err != nil {
			return err
		}
		if cn.Options, err = d.canonOpts(r, sc); err != nil {
			return err
		}
		ft := sc.sp.Funcs[cn.Func]
		if err := d.checkOpts(off, sc, ft, cn.Options, false); err != nil {
			return err
		}
		core := d.flattenFunc(ft, false)
		sc.sp.CoreFuncs = append(sc.sp.CoreFuncs, &core)
	case CanonResourceNew, CanonResourceDrop, CanonResourceRep, CanonResourceDropAsync:
		toff := r.Offset()
		if cn.Type, err = d.index(r, sc, SortType); err != nil {
			return err
		}
		rt, ok := sc.sp.Types[cn.Type].(*ResourceType)
		if !ok {
			return d.errAt(toff, "canon resource built-in: type %d is not a resource type", cn.Type)
		}
		ft := &wasmbin.FuncType{Params: []wasmbin.ValType{coreI32}}
		switch cn.Kind {
		case CanonResourceNew, CanonResourceRep:
			// resource.new and resource.rep need a resource type defined by this component.
			if !sc.local[rt.Root()] {
				return d.errAt(toff, "canon resource.%s: type %d is not a resource defined by this component", map[CanonKind]string{CanonResourceNew: "new", CanonResourceRep: "rep"}[cn.Kind], cn.Type)
			}
			ft.Results = []wasmbin.ValType{coreI32}
		case CanonResourceDropAsync:
			return d.errAt(off, "canon resource.drop async is not supported")
		}
		sc.sp.CoreFuncs = append(sc.sp.CoreFuncs, ft)
	default:
		if name, ok := asyncCanons[op]; ok {
			return d.errAt(off, "canon %s (0x%02x): async and threading built-ins are not supported", name, op)
		}
		return d.errAt(off, "unknown canonical definition 0x%02x", op)
	}
	c.Order = append(c.Order, Def{SectionCanon, len(c.Canons)})
	c.Canons = append(c.Canons, cn)
	return nil
}

// funcSortByte reads the 0x00 that stands for the func sort in lift and lower.
func (d *decoder) funcSortByte(r rd) error {
	off := r.Offset()
	b, err := r.byte()
	if err != nil {
		return err
	}
	if b != 0x00 {
		return d.errAt(off, "malformed canon: expected 0x00 (func sort), found 0x%02x", b)
	}
	return nil
}

var optNames = map[byte]string{0x00: "utf8", 0x01: "utf16", 0x02: "latin1-utf16", 0x03: "memory", 0x04: "realloc", 0x05: "post-return", 0x06: "async", 0x07: "callback"}

// canonOpts decodes canonopt*; "Validation prevents duplicate or conflicting canonopt."
func (d *decoder) canonOpts(r rd, sc *scope) (CanonOptions, error) {
	var o CanonOptions
	n, err := r.count("canonical option", 1)
	if err != nil {
		return o, err
	}
	seen := map[byte]bool{}
	enc := byte(0xff)
	for range n {
		off := r.Offset()
		b, err := r.byte()
		if err != nil {
			return o, err
		}
		name, ok := optNames[b]
		if b == 0x08 || b == 0x09 {
			return o, d.errAt(off, "canonical option 0x%02x (%s, GC lowering) is not supported", b, map[byte]string{0x08: "core-type", 0x09: "gc"}[b])
		}
		if !ok {
			return o, d.errAt(off, "unknown canonical option 0x%02x", b)
		}
		if b <= 0x02 {
			if enc != 0xff {
				if enc == b {
					return o, d.errAt(off, "canonical option %s is given more than once", name)
				}
				return o, d.errAt(off, "canonical option %s conflicts with %s", name, optNames[enc])
			}
			enc = b
			o.StringEncoding = StringEncoding(b)
			continue
		}
		if seen[b] {
			return o, d.errAt(off, "canonical option %s is given more than once", name)
		}
		seen[b] = true
		var idx uint32
		switch b {
		case 0x03:
			if idx, err = d.index(r, sc, SortCoreMemory); err != nil {
				return o, err
			}
			o.Memory = &idx
		case 0x04, 0x05, 0x07:
			if idx, err = d.index(r, sc, SortCoreFunc); err != nil {
				return o, err
			}
			switch b {
			case 0x04:
				o.Realloc = &idx
			case 0x05:
				o.PostReturn = &idx
			case 0x07:
				o.Callback = &idx
			}
		case 0x06:
			o.Async = true
		}
	}
	return o, nil
}

// checkOpts applies CanonicalABI.md's canonopt validation for lifting
// (lift) or lowering ft: memory and realloc must be present when the
// lifting or lowering needs them, realloc has type (i32 i32 i32 i32) ->
// (i32), memory is a 32-bit memory, post-return is only for lift.
func (d *decoder) checkOpts(off int, sc *scope, ft *FuncType, o CanonOptions, lift bool) error {
	what := "lower"
	if lift {
		what = "lift"
	}
	if o.Async || o.Callback != nil || ft.Async {
		return d.errAt(off, "canon %s: async lifting and lowering are not supported", what)
	}
	if !lift && o.PostReturn != nil {
		return d.errAt(off, "canon lower: the post-return option is only allowed on lift")
	}
	needMem, needRealloc := d.needs(ft, lift)
	if needRealloc && o.Realloc == nil {
		return d.errAt(off, "canon %s: canonical option realloc is required", what)
	}
	if needMem && o.Memory == nil {
		return d.errAt(off, "canon %s: canonical option memory is required", what)
	}
	if o.Memory != nil {
		if m := sc.sp.CoreMemories[*o.Memory]; m.Memory64 {
			return d.errAt(off, "canon %s: 64-bit memories are not supported", what)
		}
	}
	if o.Realloc != nil {
		want := &wasmbin.FuncType{Params: []wasmbin.ValType{coreI32, coreI32, coreI32, coreI32}, Results: []wasmbin.ValType{coreI32}}
		if got := sc.sp.CoreFuncs[*o.Realloc]; !coreFuncEqual(got, want) {
			return d.errAt(off, "canon %s: realloc core func %d has type %s, want %s", what, *o.Realloc, got, want)
		}
	}
	return nil
}

// needs reports whether lifting (lift) or lowering ft requires the memory
// and realloc options: values with pointers (strings, lists) and
// parameters or results that spill to memory.
func (d *decoder) needs(ft *FuncType, lift bool) (mem, realloc bool) {
	n := 0
	for _, p := range ft.Params {
		if d.hasPtr(p.Type) {
			if lift {
				realloc = true
			} else {
				mem = true
			}
		}
		n += len(d.flatten(p.Type))
	}
	if n > MaxFlatParams {
		mem = true
		if lift {
			realloc = true
		}
	}
	if ft.Result != nil {
		if d.hasPtr(ft.Result) {
			if lift {
				mem = true
			} else {
				realloc = true
			}
		}
		if len(d.flatten(ft.Result)) > MaxFlatResults {
			mem = true
		}
	}
	return mem || realloc, realloc
}

// hasPtr reports whether vt transitively contains a string or a list.
func (d *decoder) hasPtr(vt *ValueType) bool {
	if vt == nil {
		return false
	}
	if d.ptr == nil {
		d.ptr = map[*ValueType]bool{}
	}
	if v, ok := d.ptr[vt]; ok {
		return v
	}
	d.ptr[vt] = false
	v := false
	switch vt.Kind {
	case String, List:
		v = true
	case Stream, Future, Own, Borrow:
	default:
		for _, f := range vt.Fields {
			v = v || d.hasPtr(f.Type)
		}
		for _, c := range vt.Cases {
			v = v || d.hasPtr(c.Type)
		}
		for _, t := range vt.Types {
			v = v || d.hasPtr(t)
		}
		v = v || d.hasPtr(vt.Elem) || d.hasPtr(vt.OK) || d.hasPtr(vt.Err)
	}
	d.ptr[vt] = v
	return v
}

// flatLimit caps flattened lists: only whether they exceed MaxFlatParams matters beyond it.
const flatLimit = MaxFlatParams + 1

// flatten is CanonicalABI.md's flatten_type, memoized, and cut at
// flatLimit core values.
func (d *decoder) flatten(vt *ValueType) []wasmbin.ValType {
	if d.flat == nil {
		d.flat = map[*ValueType][]wasmbin.ValType{}
	}
	if f, ok := d.flat[vt]; ok {
		return f
	}
	var f []wasmbin.ValType
	add := func(ts []wasmbin.ValType) {
		for _, t := range ts {
			if len(f) >= flatLimit {
				return
			}
			f = append(f, t)
		}
	}
	switch vt.Kind {
	case Bool, S8, U8, S16, U16, S32, U32, Char, Flags, Enum, Own, Borrow, Stream, Future, ErrorContext:
		f = []wasmbin.ValType{coreI32}
	case S64, U64:
		f = []wasmbin.ValType{coreI64}
	case F32:
		f = []wasmbin.ValType{coreF32}
	case F64:
		f = []wasmbin.ValType{coreF64}
	case String, List:
		f = []wasmbin.ValType{coreI32, coreI32}
	case FixedList:
		e := d.flatten(vt.Elem)
		for i := uint32(0); i < vt.Len && len(f) < flatLimit; i++ {
			add(e)
		}
	case Record:
		for _, fl := range vt.Fields {
			add(d.flatten(fl.Type))
		}
	case Tuple:
		for _, t := range vt.Types {
			add(d.flatten(t))
		}
	case Variant:
		var cases []*ValueType
		for _, c := range vt.Cases {
			cases = append(cases, c.Type)
		}
		f = d.flattenVariant(cases)
	case Option:
		f = d.flattenVariant([]*ValueType{nil, vt.Elem})
	case Result:
		f = d.flattenVariant([]*ValueType{vt.OK, vt.Err})
	}
	d.flat[vt] = f
	return f
}

// flattenVariant is the discriminant followed by the cases' payloads joined.
func (d *decoder) flattenVariant(cases []*ValueType) []wasmbin.ValType {
	var flat []wasmbin.ValType
	for _, c := range cases {
		if c == nil {
			continue
		}
		for i, ft := range d.flatten(c) {
			if i < len(flat) {
				flat[i] = join(flat[i], ft)
			} else if len(flat) < flatLimit-1 {
				flat = append(flat, ft)
			}
		}
	}
	return append([]wasmbin.ValType{coreI32}, flat...)
}

func join(a, b wasmbin.ValType) wasmbin.ValType {
	if a == b {
		return a
	}
	if (a == coreI32 && b == coreF32) || (a == coreF32 && b == coreI32) {
		return coreI32
	}
	return coreI64
}

// flattenFunc is CanonicalABI.md's flatten_functype for lift or lower
// (synchronous): parameters beyond MaxFlatParams go through memory (one
// i32 pointer), results beyond MaxFlatResults are returned through a
// pointer (lift) or written to a pointer parameter (lower).
func (d *decoder) flattenFunc(ft *FuncType, lift bool) wasmbin.FuncType {
	var params []wasmbin.ValType
	for _, p := range ft.Params {
		params = append(params, d.flatten(p.Type)...)
		if len(params) > MaxFlatParams {
			break
		}
	}
	if len(params) > MaxFlatParams {
		params = []wasmbin.ValType{coreI32}
	}
	var results []wasmbin.ValType
	if ft.Result != nil {
		results = d.flatten(ft.Result)
	}
	if len(results) > MaxFlatResults {
		if lift {
			results = []wasmbin.ValType{coreI32}
		} else {
			params = append(params, coreI32)
			results = nil
		}
	}
	return wasmbin.FuncType{Params: params, Results: results}
}

// FlattenFunc returns the core function type of lifting (lift) or
// lowering ft synchronously under the Canonical ABI.
func FlattenFunc(ft *FuncType, lift bool) wasmbin.FuncType {
	return (&decoder{}).flattenFunc(ft, lift)
}
