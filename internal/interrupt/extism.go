package interrupt

// The Extism kernel inlining.
//
// An Extism plugin moves its data through the kernel: the Rust PDK reads
// its input with one call of extism:host/env.input_load_u64 per 8 bytes,
// and reads and writes kernel blocks with load_u64 and store_u64. When the
// host keeps the kernel blocks in the plugin's own linear memory (package
// abi/extism, "plugin memory"), a kernel handle is a plugin address and
// those calls can be plain memory accesses. The rewrite replaces each call
// of load_u8, load_u64, store_u8, store_u64, input_load_u8 and
// input_load_u64 by a bounds check and the access, with the original call
// (the import, still bound to the host's function) as the slow path:
//
//	load_u64(h):       h - $lo <u $span64 ? i64.load(wrap(h)) : call load_u64(h)
//	load_u8(h):        h - $lo <u $span8  ? i32.load8_u(wrap(h)) : call load_u8(h)
//	store_u64(h, v):   h - $lo <u $span64 ? i64.store(wrap(h), v) : call store_u64(h, v)
//	store_u8(h, v):    h - $lo <u $span8  ? i32.store8(wrap(h), v) : call store_u8(h, v)
//	input_load_u64(o): o <u $in_lim64 ? i64.load(wrap($in_base + o)) : call input_load_u64(o)
//	input_load_u8(o):  o <u $in_lim8  ? i32.load8_u(wrap($in_base + o)) : call input_load_u8(o)
//
// The six globals are mutable i64s, added after the module's own (and the
// budget) and exported as KernelGlobalPrefix + "lo", "span64", ... They
// start at 0, which sends every access to the slow path: a rewritten module
// behaves exactly as the original with a host that does not know about
// them (the kernel in Go or in a kernel instance). A host that keeps the
// kernel in the plugin's memory sets them: [lo, lo+span8) is the part of
// the plugin's memory kernel handles may address (span64 = span8-7, so that
// an 8-byte access ends inside it), the input is at in_base, and in_lim64
// and in_lim8 are the input offsets below which an 8-byte (1-byte) load
// stays inside the input (0 while the input is not in the plugin's memory).
// The slow path keeps the host's behaviour for everything else: a null
// handle, an access out of bounds, a load straddling the end of the input.
//
// Only modules whose memory the host can share are rewritten: exactly one
// memory, defined by the module (not imported), 32-bit, not shared and
// without a declared maximum (the kernel's blocks must fit beside the
// plugin's own data), and
// either no memory.grow in the code, or a producers section naming Rust
// (whose allocators, dlmalloc and wee_alloc, use the pages memory.grow
// returns, so pages the host grows at the end of the memory are never
// theirs). Go's and TinyGo's runtimes assume that memory ends where their
// own last growth did, so a Go plugin keeps the old path. The export names
// must be free, and at least one of the six functions must be imported
// with its Extism signature. DebugInfo builds are not rewritten (the
// engine does not call the rewriter for them).

import (
	"bytes"
	"strings"
)

// KernelGlobalPrefix starts the export names of the globals the Extism
// inlining adds; KernelGlobalNames lists them, in their order.
const KernelGlobalPrefix = "wasmhive:extism/"

// Indices of the kernel globals, in KernelGlobalNames' order.
const (
	KernelLo = iota
	KernelSpan64
	KernelSpan8
	KernelInBase
	KernelInLim64
	KernelInLim8
)

var kernelGlobalNames = [...]string{"lo", "span64", "span8", "in_base", "in_lim64", "in_lim8"}

// KernelGlobalName returns the export name of kernel global i (KernelLo...).
func KernelGlobalName(i int) string { return KernelGlobalPrefix + kernelGlobalNames[i] }

// The inlined kernel functions.
const (
	kNone = iota
	kLoad8
	kLoad64
	kStore8
	kStore64
	kIn8
	kIn64
)

// kernelFuncs maps each inlined function to its kind and its signature,
// as typeSigs encodes it (param count, params, result count, results).
var kernelFuncs = map[string]struct {
	kind int
	sig  string
}{
	"load_u8":        {kLoad8, "\x01\x7e\x01\x7f"},
	"load_u64":       {kLoad64, "\x01\x7e\x01\x7e"},
	"store_u8":       {kStore8, "\x02\x7e\x7f\x00"},
	"store_u64":      {kStore64, "\x02\x7e\x7e\x00"},
	"input_load_u8":  {kIn8, "\x01\x7e\x01\x7f"},
	"input_load_u64": {kIn64, "\x01\x7e\x01\x7e"},
}

const extismEnv = "extism:host/env"

// extism is the inlining's part of the rewriter.
type extism struct {
	kernImports    map[uint32]int // function index of an import -> its kind
	memories       int
	importedMemory bool
	badMemory      bool // memory64 or shared
	exportClash    bool // the module exports a name of ours already
	rust           bool // the producers section names Rust
	inline         bool // inlining in this emit
	sawGrow        bool // the emit met memory.grow
	inlined        int
	kernGlobals    uint32 // index of the first kernel global
}

// importedFunc notes function import idx (the next one) if it is an
// inlinable kernel function with its signature.
func (w *rewriter) importedFunc(mod, name string, typeIdx uint32) {
	if mod != extismEnv {
		return
	}
	k, ok := kernelFuncs[name]
	if !ok || typeIdx >= uint32(len(w.typeSigs)) || w.typeSigs[typeIdx] != k.sig {
		return
	}
	if w.kernImports == nil {
		w.kernImports = map[uint32]int{}
	}
	w.kernImports[w.nImpFuncs] = k.kind
}

// scanExtism reads what the inlining needs from the memory, export and
// custom sections.
func (w *rewriter) scanExtism(s section) error {
	r := &reader{b: s.payload}
	switch s.id {
	case secMemory:
		n, err := r.u32()
		if err != nil {
			return err
		}
		w.memories += int(n)
		for i := uint32(0); i < n; i++ {
			flags, err := r.peek()
			if err != nil {
				return err
			}
			if flags&0x07 != 0 { // a maximum, shared, memory64
				w.badMemory = true
			}
			if err := r.limits(); err != nil {
				return err
			}
		}
	case secExport:
		n, err := r.u32()
		if err != nil {
			return err
		}
		for i := uint32(0); i < n; i++ {
			name, err := r.name()
			if err != nil {
				return err
			}
			if strings.HasPrefix(name, KernelGlobalPrefix) {
				w.exportClash = true
			}
			kind, err := r.byte()
			if err != nil {
				return err
			}
			if kind == 1 { // a table: other modules can store functions in it
				w.foreignRefs = true
			}
			if _, err := r.u32(); err != nil {
				return err
			}
		}
	case secCustom:
		name, err := r.name()
		if err != nil || name != "producers" {
			return nil // custom sections are not validated
		}
		w.rust = producersNameRust(s.payload[r.pos:])
	}
	return nil
}

// producersNameRust reports whether a producers section's language field
// lists Rust (or processed-by lists rustc).
func producersNameRust(p []byte) bool {
	r := &reader{b: p}
	n, err := r.u32()
	if err != nil {
		return false
	}
	for i := uint32(0); i < n; i++ {
		field, err := r.name()
		if err != nil {
			return false
		}
		m, err := r.u32()
		if err != nil {
			return false
		}
		for j := uint32(0); j < m; j++ {
			name, err := r.name()
			if err != nil {
				return false
			}
			if _, err := r.name(); err != nil { // version
				return false
			}
			if (field == "language" && name == "Rust") || (field == "processed-by" && name == "rustc") {
				return true
			}
		}
	}
	return false
}

// inlinable reports whether the module qualifies for the inlining (see the
// comment at the top of this file; the memory.grow test comes after the
// emit).
func (w *rewriter) inlinable() bool {
	return len(w.kernImports) > 0 && w.memories == 1 && !w.importedMemory && !w.badMemory && !w.exportClash
}

func (w *rewriter) kernelGlobalCount() uint32 {
	if w.inline {
		return uint32(len(kernelGlobalNames))
	}
	return 0
}

// kernelGlobals appends the kernel globals' definitions: (mut i64) (i64.const 0).
func (w *rewriter) kernelGlobals(o []byte) []byte {
	for range w.kernelGlobalCount() {
		o = append(o, 0x7e, 0x01, 0x42, 0x00, 0x0b)
	}
	return o
}

// kernelExports appends the kernel globals' exports.
func (w *rewriter) kernelExports(o []byte) []byte {
	for i := range w.kernelGlobalCount() {
		o = appendName(o, KernelGlobalName(int(i)))
		o = append(o, 0x03) // global
		o = appendU32(o, w.kernGlobals+i)
	}
	return o
}

// kernelOp returns the kind of the kernel function a call of function idx
// inlines, or kNone.
func (w *rewriter) kernelOp(idx uint32) int {
	if !w.inline || idx >= w.nImpFuncs {
		return kNone
	}
	return w.kernImports[idx]
}

// inlineCall appends the inline sequence replacing a call of import idx
// of kind k; tmp, tmp+1 are i64 temporaries, tmp+2 an i32 one.
func (w *rewriter) inlineCall(o []byte, k int, idx, tmp uint32) []byte {
	get := func(o []byte, l uint32) []byte { return appendU32(append(o, 0x20), l) }
	global := func(o []byte, g uint32) []byte { return appendU32(append(o, 0x23), w.kernGlobals+g) }
	var val uint32 // the stored value's local
	switch k {
	case kStore64:
		val = tmp + 1
		o = appendU32(append(o, 0x21), val) // local.set
	case kStore8:
		val = tmp + 2
		o = appendU32(append(o, 0x21), val)
	}
	o = appendU32(append(o, 0x22), tmp) // local.tee: the handle or offset
	switch k {
	case kIn8, kIn64:
		lim := uint32(KernelInLim8)
		if k == kIn64 {
			lim = KernelInLim64
		}
		o = global(o, lim)
	default:
		span := uint32(KernelSpan8)
		if k == kLoad64 || k == kStore64 {
			span = KernelSpan64
		}
		o = global(o, KernelLo)
		o = append(o, 0x7d) // i64.sub
		o = global(o, span)
	}
	o = append(o, 0x54, 0x04) // i64.lt_u; if
	switch k {
	case kLoad64, kIn64:
		o = append(o, 0x7e)
	case kLoad8, kIn8:
		o = append(o, 0x7f)
	default:
		o = append(o, 0x40)
	}
	o = get(o, tmp)
	if k == kIn8 || k == kIn64 {
		o = global(o, KernelInBase)
		o = append(o, 0x7c) // i64.add
	}
	o = append(o, 0xa7) // i32.wrap_i64
	switch k {
	case kLoad64, kIn64:
		o = append(o, 0x29, 0x03, 0x00) // i64.load align=8
	case kLoad8, kIn8:
		o = append(o, 0x2d, 0x00, 0x00) // i32.load8_u
	case kStore64:
		o = get(o, val)
		o = append(o, 0x37, 0x03, 0x00) // i64.store align=8
	case kStore8:
		o = get(o, val)
		o = append(o, 0x3a, 0x00, 0x00) // i32.store8
	}
	o = append(o, 0x05) // else
	o = get(o, tmp)
	if val != 0 {
		o = get(o, val)
	}
	o = appendU32(append(o, 0x10), idx) // call the import
	return append(o, 0x0b)              // end
}

// InlineExtism returns wasm with the calls to the Extism kernel's per-byte
// functions inlined (see the top of extism.go), without interruption
// checks, or wasm itself when the module does not qualify or calls none of
// them. Rewrite does the same as part of its instrumentation.
func InlineExtism(wasm []byte) ([]byte, Stats, error) {
	return transform(wasm, false, 0)
}

// HasKernelGlobals reports whether wasm, a structurally valid module,
// exports the kernel globals of the Extism inlining (reading only its
// section headers and export section).
func HasKernelGlobals(wasm []byte) bool {
	if len(wasm) < 8 {
		return false
	}
	r := &reader{b: wasm, pos: 8}
	for !r.eof() {
		id, err := r.byte()
		if err != nil {
			return false
		}
		n, err := r.u32()
		if err != nil {
			return false
		}
		p, err := r.bytes(int(n))
		if err != nil {
			return false
		}
		if id == secExport {
			return exportsGlobal(p, KernelGlobalName(KernelLo))
		}
	}
	return false
}

// exportsGlobal reports whether export section p exports a global as name.
func exportsGlobal(p []byte, name string) bool {
	if !bytes.Contains(p, []byte(name)) {
		return false
	}
	r := &reader{b: p}
	n, err := r.u32()
	if err != nil {
		return false
	}
	for i := uint32(0); i < n; i++ {
		got, err := r.name()
		if err != nil {
			return false
		}
		kind, err := r.byte()
		if err != nil {
			return false
		}
		if _, err := r.u32(); err != nil {
			return false
		}
		if got == name && kind == 3 {
			return true
		}
	}
	return false
}
