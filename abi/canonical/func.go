package canonical

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/tetratelabs/wazero/api"
	"github.com/wasmhive/wasmhive/component"
)

// Realloc is a component's realloc function (canonopt realloc), wrapped
// by the linker: it returns a pointer to newSize bytes aligned to align,
// which keep the first min(oldSize, newSize) bytes at oldPtr (oldPtr 0 and
// oldSize 0 for a new allocation). An error traps.
type Realloc func(ctx context.Context, oldPtr, oldSize, align, newSize uint32) (uint32, error)

// ReallocFunc returns fn, a component's core realloc function of type
// (i32 i32 i32 i32) -> i32, as a Realloc. The Realloc reuses one buffer for
// the call's stack: use it for one component instance, which runs one call
// at a time.
func ReallocFunc(fn api.Function) Realloc {
	stack := make([]uint64, 4)
	return func(ctx context.Context, oldPtr, oldSize, align, newSize uint32) (uint32, error) {
		stack = stack[:4]
		stack[0], stack[1], stack[2], stack[3] = uint64(oldPtr), uint64(oldSize), uint64(align), uint64(newSize)
		if err := fn.CallWithStack(ctx, stack); err != nil {
			return 0, err
		}
		return uint32(stack[0]), nil
	}
}

// Options are the canonical options of a lifted or lowered function, with
// the runtime resource types.
type Options struct {
	// Memory is the component's memory (canonopt memory); nil when the
	// function moves nothing through memory.
	Memory api.Memory
	// Realloc allocates in Memory (canonopt realloc); nil when values are
	// never lowered into memory.
	Realloc Realloc
	// StringEncoding is the component's string encoding.
	StringEncoding component.StringEncoding
	// Resource maps each resource type of the function's own and borrow
	// handles to its runtime type. It is called by NewFunc only.
	Resource func(*component.ResourceType) (*ResourceType, error)
	// MaxListElements bounds the elements of the lists (other than
	// list<u8>, lifted as []byte) that lifting the arguments or result of
	// one call may produce: each takes 16 bytes or more of Go memory, so a
	// component could otherwise make the host allocate gigabytes with a
	// few hundred MiB of memory. 0 means DefaultMaxListElements; a
	// negative value, no limit. Exceeding it is an error (a trap).
	MaxListElements int
}

// DefaultMaxListElements is the default of Options.MaxListElements.
const DefaultMaxListElements = 1 << 22

// Func is a component function type compiled with its options, ready to
// move values across the boundary: compile one per lifted or lowered
// function of each component instance (the options name the instance's
// memory and runtime resource types). It holds no call state: one Func
// serves many calls, one at a time.
//
// The host calls a component's export (canon lift) with:
//
//	c := inst.BeginExport()
//	flat, err := f.LowerArgs(ctx, c, args, flat[:0]) // into the component
//	results, err := coreExport.Call(ctx, flat...)
//	v, err := f.LiftResult(ctx, c, results)          // out of it
//	err = c.End()                                    // then post-return
//
// A component calls a host import (canon lower) and the host function
// answers with:
//
//	c := inst.BeginImport()
//	args, err := f.LiftArgs(ctx, c, params, args[:0]) // params: the core params
//	v, err := hostFunc(args)
//	results, err := f.LowerResult(ctx, c, v, params, results[:0])
//	err = c.End()
//
// Core values are in wazero's uint64 form (api.EncodeI32 and so on). Every
// error is an *Error and traps the component.
type Func struct {
	params       []*layout
	result       *layout // nil: no result
	flatParams   int     // total flat count of the parameters (saturated)
	spillParams  bool    // more than MaxFlatParams: passed through memory
	spillResult  bool    // more than MaxFlatResults: passed through memory
	paramOffsets []uint32
	paramsSize   uint32
	paramsAlign  uint32
	opts         Options
	ft           *component.FuncType
	maxElems     int
	utf8         bool // opts.StringEncoding is UTF-8
}

// NewFunc compiles ft for calls with opts. It fails for async functions
// and types (stream, future, error-context), and when a resource type
// cannot be resolved.
func NewFunc(ft *component.FuncType, opts Options) (*Func, error) {
	if ft == nil {
		return nil, errors.New("canonical: no function type")
	}
	if ft.Async {
		return nil, fmt.Errorf("canonical: %s: async functions are not supported", ft)
	}
	c := &compiler{memo: map[*component.ValueType]*layout{}, resolve: opts.Resource}
	f := &Func{opts: opts, ft: ft, paramsAlign: 1, maxElems: opts.MaxListElements, utf8: opts.StringEncoding == component.UTF8}
	switch {
	case f.maxElems == 0:
		f.maxElems = DefaultMaxListElements
	case f.maxElems < 0:
		f.maxElems = math.MaxInt
	}
	var size uint64
	for i, p := range ft.Params {
		l, err := c.compile(p.Type)
		if err != nil {
			return nil, fmt.Errorf("canonical: param %d (%s): %w", i, p.Name, err)
		}
		if l == nil {
			return nil, fmt.Errorf("canonical: param %d (%s) has no type", i, p.Name)
		}
		f.params = append(f.params, l)
		f.flatParams = min(f.flatParams+len(l.flat), flatCap)
		size = alignTo(size, uint64(l.align))
		f.paramOffsets = append(f.paramOffsets, uint32(min(size, maxTypeSize)))
		size += uint64(l.size)
		f.paramsAlign = max(f.paramsAlign, l.align)
	}
	size = alignTo(size, uint64(f.paramsAlign))
	f.spillParams = f.flatParams > MaxFlatParams
	if f.spillParams && size >= maxTypeSize {
		return nil, fmt.Errorf("canonical: %s: parameters too large for a 32-bit memory", ft)
	}
	f.paramsSize = uint32(size)
	if ft.Result != nil {
		l, err := c.compile(ft.Result)
		if err != nil {
			return nil, fmt.Errorf("canonical: result: %w", err)
		}
		f.result = l
		f.spillResult = len(l.flat) > MaxFlatResults
	}
	return f, nil
}

// Type is the function type f was compiled from.
func (f *Func) Type() *component.FuncType { return f.ft }

// CoreType is the core function type of f (CanonicalABI.md
// flatten_functype) when lifted (lift: a component's export) or lowered
// (a component's import).
func (f *Func) CoreType(lift bool) (params, results []api.ValueType) {
	if f.spillParams {
		params = []api.ValueType{api.ValueTypeI32}
	} else {
		for _, l := range f.params {
			params = append(params, l.flat...)
		}
	}
	if f.result != nil {
		results = append(results, f.result.flat...)
	}
	if f.spillResult {
		if lift {
			results = []api.ValueType{api.ValueTypeI32}
		} else {
			params = append(params, api.ValueTypeI32)
			results = nil
		}
	}
	return params, results
}

// cx is the state of one lifting or lowering (CanonicalABI.md
// LiftLowerContext).
type cx struct {
	ctx     context.Context
	f       *Func
	call    *Call
	inst    *Instance
	buf     []byte    // the memory's bytes, refreshed after each realloc
	pool    *liftPool // the instance's chunks for lifted values
	scratch []byte    // transcoding buffer
	elems   int       // list elements this cx may still lift
}

// init sets c, a zero cx, up for one lifting or lowering of f in call;
// then c.refresh reads the memory.
func (c *cx) init(f *Func, ctx context.Context, call *Call) {
	c.ctx, c.f, c.call, c.elems = ctx, f, call, f.maxElems
	if call != nil && call.inst != nil {
		c.inst, c.pool = call.inst, &call.inst.pool
	} else {
		c.pool = new(liftPool)
	}
}

func (c *cx) refresh() {
	if m := c.f.opts.Memory; m != nil {
		// A memory's bytes move only when it grows (a realloc may grow
		// it): the same size is the same buffer.
		if n := m.Size(); c.buf == nil || int(n) != len(c.buf) {
			c.buf, _ = m.Read(0, n)
		}
	}
}

// fits reports whether [ptr, ptr+n) is in the memory, which is not
// empty, and ptr is aligned to align: then check reports no error. (The
// empty range at 0, and any range without a memory, are left to check.)
func (c *cx) fits(ptr uint32, n uint64, align uint32) bool {
	return ptr&(align-1) == 0 && uint64(ptr)+n-1 < uint64(len(c.buf))
}

// check reports an error unless [ptr, ptr+n) is in the memory and ptr is
// aligned to align.
func (c *cx) check(l *layout, op string, ptr uint32, n uint64, align uint32) error {
	if c.f.opts.Memory == nil {
		return &Error{Op: op, Type: l.name, Msg: "the function has no memory option"}
	}
	if ptr&(align-1) != 0 {
		return &Error{Op: op, Type: l.name, Msg: fmt.Sprintf("pointer 0x%x is not aligned to %d", ptr, align)}
	}
	if uint64(ptr)+n > uint64(len(c.buf)) {
		return &Error{Op: op, Type: l.name, Msg: fmt.Sprintf("pointer 0x%x + %d out of bounds of memory (%s)", ptr, n, sizeString(uint64(len(c.buf))))}
	}
	return nil
}

// realloc calls the component's realloc and checks the range it returns.
func (c *cx) realloc(l *layout, old, oldSize, align, newSize uint32) (uint32, error) {
	if c.f.opts.Realloc == nil {
		return 0, lowerErr(l, "the function has no realloc option")
	}
	ptr, err := c.f.opts.Realloc(c.ctx, old, oldSize, align, newSize)
	if err != nil {
		return 0, &Error{Op: "lower", Type: l.name, Msg: "realloc", Err: err}
	}
	c.refresh()
	if !c.fits(ptr, uint64(newSize), align) {
		if err := c.check(l, "lower", ptr, uint64(newSize), align); err != nil {
			e := err.(*Error)
			e.Msg = "realloc returned " + e.Msg
			return 0, e
		}
	}
	return ptr, nil
}

func (c *cx) alloc(l *layout, align, size uint32) (uint32, error) {
	return c.realloc(l, 0, 0, align, size)
}

// argsLayout names the tuple of a function's arguments in errors.
var argsLayout = &layout{name: "arguments"}

var errNoCall = &Error{Op: "call", Msg: "no call in progress (nil *Call)"}

// LowerArgs lowers the arguments of a call of a component's export into
// the component (the start of canon lift) and appends the core arguments
// to dst: the flat values, or one pointer to them in memory (allocated
// with realloc) when they are more than MaxFlatParams.
func (f *Func) LowerArgs(ctx context.Context, call *Call, args []Value, dst []uint64) ([]uint64, error) {
	if call == nil {
		return dst, errNoCall
	}
	if len(args) != len(f.params) {
		return dst, &Error{Op: "lower", Type: "arguments", Msg: fmt.Sprintf("got %d arguments, %s takes %d", len(args), f.ft, len(f.params))}
	}
	var c cx
	c.init(f, ctx, call)
	c.refresh()
	if !f.spillParams {
		var err error
		for i, l := range f.params {
			if dst, err = c.lowerFlat(l, args[i], dst); err != nil {
				return dst, err
			}
		}
		return dst, nil
	}
	ptr, err := c.alloc(argsLayout, f.paramsAlign, f.paramsSize)
	if err != nil {
		return dst, err
	}
	for i, l := range f.params {
		if err := c.store(l, args[i], ptr+f.paramOffsets[i]); err != nil {
			return dst, err
		}
	}
	return append(dst, uint64(ptr)), nil
}

// LiftResult lifts the result of a call of a component's export from the
// core results (canon lift): the flat value, or a pointer to it in memory.
// A function without result returns nil.
func (f *Func) LiftResult(ctx context.Context, call *Call, results []uint64) (Value, error) {
	if call == nil {
		return nil, errNoCall
	}
	if f.result == nil {
		return nil, nil
	}
	var c cx
	c.init(f, ctx, call)
	c.refresh()
	l := f.result
	if f.spillResult {
		if len(results) != 1 {
			return nil, liftErr(l, "got %d core results, want 1 (a pointer)", len(results))
		}
		ptr := uint32(results[0])
		if !c.fits(ptr, uint64(l.size), l.align) {
			if err := c.check(l, "lift", ptr, uint64(l.size), l.align); err != nil {
				return nil, err
			}
		}
		return c.load(l, ptr)
	}
	if len(results) != len(l.flat) {
		return nil, liftErr(l, "got %d core results, want %d", len(results), len(l.flat))
	}
	v, _, err := c.liftFlat(l, results)
	return v, err
}

// LiftArgs lifts the arguments of a component's call of an import (canon
// lower) from its core parameters, appending them to dst. params are all
// the core parameters, including the trailing return pointer when the
// result goes through memory.
func (f *Func) LiftArgs(ctx context.Context, call *Call, params []uint64, dst []Value) ([]Value, error) {
	if call == nil {
		return dst, errNoCall
	}
	want := f.flatParams
	if f.spillParams {
		want = 1
	}
	if f.spillResult {
		want++
	}
	if len(params) != want {
		return dst, &Error{Op: "lift", Type: "arguments", Msg: fmt.Sprintf("got %d core parameters, want %d", len(params), want)}
	}
	var c cx
	c.init(f, ctx, call)
	c.refresh()
	if !f.spillParams {
		rest := params
		for _, l := range f.params {
			v, n, err := c.liftFlat(l, rest)
			if err != nil {
				return dst, err
			}
			rest = rest[n:]
			dst = append(dst, v)
		}
		return dst, nil
	}
	ptr := uint32(params[0])
	if !c.fits(ptr, uint64(f.paramsSize), f.paramsAlign) {
		if err := c.check(argsLayout, "lift", ptr, uint64(f.paramsSize), f.paramsAlign); err != nil {
			return dst, err
		}
	}
	for i, l := range f.params {
		v, err := c.load(l, ptr+f.paramOffsets[i])
		if err != nil {
			return dst, err
		}
		dst = append(dst, v)
	}
	return dst, nil
}

// LowerResult lowers the result v of a host import called by a component
// (canon lower) and appends the core results to dst: the flat value, or
// nothing when the result is more than MaxFlatResults core values: then
// it is stored at the return pointer, the last of params (the call's core
// parameters).
func (f *Func) LowerResult(ctx context.Context, call *Call, v Value, params []uint64, dst []uint64) ([]uint64, error) {
	if call == nil {
		return dst, errNoCall
	}
	if f.result == nil {
		if v != nil {
			return dst, &Error{Op: "lower", Type: "result", Msg: fmt.Sprintf("got %T, the function has no result", v)}
		}
		return dst, nil
	}
	var c cx
	c.init(f, ctx, call)
	c.refresh()
	l := f.result
	if !f.spillResult {
		return c.lowerFlat(l, v, dst)
	}
	if len(params) == 0 {
		return dst, lowerErr(l, "no return pointer in the core parameters")
	}
	ptr := uint32(params[len(params)-1])
	if !c.fits(ptr, uint64(l.size), l.align) {
		if err := c.check(l, "lower", ptr, uint64(l.size), l.align); err != nil {
			return dst, err
		}
	}
	return dst, c.store(l, v, ptr)
}
