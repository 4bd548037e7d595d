// Package interrupt instruments WebAssembly core modules so that a running
// guest can be stopped cheaply: a countdown in a defined global is
// decremented at every loop header, at the entry of every function that
// calls another (or is longer than MaxTail bytes), and wherever a path would
// otherwise run more than MaxStretch bytes of code without passing a check
// site (stretch.go), and when it reaches zero the guest calls one imported host
// function, which checks the call's context (and, being a Go call, lets the
// Go scheduler and garbage collector preempt the goroutine) and returns the
// next budget.
//
// The rewrite adds one function import (ImportModule.ImportName, type
// () -> i32) after the module's other function imports, one function type,
// one mutable i32 global and one i32 local per instrumented function. Every
// index of a defined function moves up by one; the rewriter renumbers every
// reference (call, return_call, ref.func, exports, start, element segments,
// global initialisers, the name section). DWARF sections (".debug_*"), whose
// code offsets no longer hold, are dropped; other custom sections are kept.
//
// The check sequence at a check site is
//
//	global.get $budget; i32.const 1; i32.sub; local.tee $t; global.set $budget
//	local.get $t; if; else; call $check; i32.const 1; i32.add; global.set $budget; br 1; end
//
// which the compiler turns into a load, a decrement, a store and a
// never-taken branch (br 1, at the header of a loop without parameters,
// restarts the loop; at function entries and headers of loops with
// parameters, the else-branch falls through instead).
//
// In the same pass, Rewrite inlines a plugin's calls of the Extism
// kernel's per-byte functions where the module qualifies (extism.go);
// InlineExtism does that alone, for hosts that do not instrument.
package interrupt

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"
)

// Version identifies the rewriter's output: caches of rewritten modules must
// include it in their keys. Version 2 added the Extism kernel inlining
// (see InlineExtism); version 3 exports the budget global (BudgetExport);
// version 4 bounds straight-line code between checks (MaxStretch).
const Version = 4

// ImportModule and ImportName name the host function instrumented modules
// import: () -> i32, returning the next budget.
const (
	ImportModule = "wasmhive:interrupt"
	ImportName   = "check"
)

// BudgetExport names the budget global, exported by instrumented modules so
// that the host can read what a call left of its budget (fuel metering).
const BudgetExport = "wasmhive:interrupt/budget"

// InitialBudget is the instrumented global's initial value: the number of
// check sites (loop iterations, function entries, stretches) a fresh
// instance passes before its first call to the check function, which then
// sizes the budget by time. Sites can be up to MaxStretch bytes of code
// apart, so it is small enough for that first interval to stay within a
// few milliseconds.
const InitialBudget = 1000

// ErrReserved is matched by the error for a module that imports from
// ImportModule itself.
var ErrReserved = errors.New("imports from " + ImportModule + ", a module name reserved by the host")

// Section ids.
const (
	secCustom    = 0
	secType      = 1
	secImport    = 2
	secFunction  = 3
	secTable     = 4
	secMemory    = 5
	secGlobal    = 6
	secExport    = 7
	secStart     = 8
	secElement   = 9
	secCode      = 10
	secData      = 11
	secDataCount = 12
	secTag       = 13
)

// order is a section's position in the binary (the tag section comes
// between memory and global).
func order(id byte) int {
	switch id {
	case secTag:
		return 55 // between memory (5) and global (6)
	case secDataCount:
		return 95 // between element (9) and code (10)
	}
	return int(id) * 10
}

type section struct {
	id      byte
	payload []byte
}

// Stats describes one rewrite.
type Stats struct {
	Functions   int // defined functions
	EntryChecks int // functions given an entry check
	LoopChecks  int // loop headers given a check
	// StretchChecks counts the check sites that keep straight-line code
	// within MaxStretch bytes between two checks (and returns within
	// MaxTail bytes of the last one).
	StretchChecks int
	CheckFuncIdx  uint32
	BudgetGlobal  uint32
	// Inlined counts the calls to Extism kernel functions replaced by
	// inline memory accesses (see InlineExtism).
	Inlined int
}

// Rewrite returns wasm instrumented with interruption checks, or wasm
// itself when no function has a loop or a call. It also inlines the calls
// to the Extism kernel's per-byte functions where InlineExtism would. wasm
// must be a
// structurally valid core module (the rewriter decodes every instruction
// but validates only what it needs); errors are one line, with the byte
// offset of the problem.
func Rewrite(wasm []byte) ([]byte, error) {
	out, _, err := RewriteStats(wasm)
	return out, err
}

// RewriteStats is Rewrite that also reports what it instrumented.
func RewriteStats(wasm []byte) ([]byte, Stats, error) {
	return transform(wasm, true, 0)
}

// RewriteWorkers is Rewrite on at most workers goroutines (0: one per
// GOMAXPROCS): a large code section's bodies are rewritten in parallel,
// into the same bytes as one goroutine makes (parallel.go).
func RewriteWorkers(wasm []byte, workers int) ([]byte, error) {
	out, _, err := transform(wasm, true, workers)
	return out, err
}

// transform rewrites wasm with interruption checks when checks, and with
// the Extism kernel inlined when the module qualifies, on at most workers
// goroutines (0: GOMAXPROCS).
func transform(wasm []byte, checks bool, workers int) ([]byte, Stats, error) {
	var st Stats
	if len(wasm) < 8 || !bytes.Equal(wasm[:4], []byte("\x00asm")) {
		return nil, st, errors.New("not a WebAssembly module")
	}
	if !bytes.Equal(wasm[4:8], []byte{1, 0, 0, 0}) {
		return nil, st, errors.New("not a core module of version 1")
	}
	r := &reader{b: wasm, pos: 8}
	var secs []section
	last := 0
	for !r.eof() {
		id, err := r.byte()
		if err != nil {
			return nil, st, err
		}
		n, err := r.u32()
		if err != nil {
			return nil, st, err
		}
		start := r.pos
		p, err := r.bytes(int(n))
		if err != nil {
			return nil, st, err
		}
		if id > secTag {
			return nil, st, fmt.Errorf("at byte %d: unknown section id %d", start, id)
		}
		if id != secCustom {
			if o := order(id); o <= last {
				return nil, st, fmt.Errorf("at byte %d: section %d out of order or repeated", start, id)
			} else {
				last = o
			}
		}
		secs = append(secs, section{id: id, payload: p})
	}
	w := &rewriter{checks: checks, workers: workers}
	if checks {
		w.shift = 1
	}
	if err := w.scan(secs); err != nil {
		return nil, st, err
	}
	w.inline = w.inlinable()
	if checks {
		w.scanCode(secs)
	}
	if !checks && !w.inline {
		// Nothing to do: no decoding of the code.
		return wasm, Stats{Functions: w.nDefFuncs}, nil
	}
	out, err := w.emit(secs)
	if err == nil && w.inline && w.sawGrow && !w.rust {
		// The module grows its memory itself and is not known to use
		// the pages memory.grow returns (rather than assume that memory
		// ends where its own last growth did): the host must not grow it,
		// so no kernel blocks in it and nothing inlined.
		w.reset()
		w.inline = false
		out, err = w.emit(secs)
	}
	if err != nil {
		return nil, st, err
	}
	st = Stats{Functions: w.nDefFuncs, EntryChecks: w.entryChecks, LoopChecks: w.loopChecks,
		StretchChecks: w.stretchChecks, CheckFuncIdx: w.nImpFuncs, BudgetGlobal: w.budgetIdx, Inlined: w.inlined}
	if !checks {
		st.CheckFuncIdx, st.BudgetGlobal = 0, 0
	}
	if st.EntryChecks == 0 && st.LoopChecks == 0 && st.StretchChecks == 0 && st.Inlined == 0 {
		// Nothing can run long: the module as it was, without the import.
		return wasm, Stats{Functions: w.nDefFuncs}, nil
	}
	return out, st, nil
}

// reset forgets what an emit counted.
func (w *rewriter) reset() {
	w.entryChecks, w.loopChecks, w.stretchChecks, w.inlined, w.sawGrow = 0, 0, 0, 0, false
	// What an emit learnt of the bodies' tails held for its code.
	copy(w.bodies, w.scanned)
}

type rewriter struct {
	checks      bool   // add the interruption checks
	workers     int    // the most goroutines for the bodies (0: GOMAXPROCS)
	shift       uint32 // how far defined functions move: 1 with checks (the check import)
	nTypes      uint32
	typeParams  []uint32 // params of each function type (math.MaxUint32: not a function type)
	typeSigs    []string // each function type's params and results, as their encoding
	nImpFuncs   uint32
	nImpGlobals uint32
	nDefGlobals uint32
	funcTypes   []uint32 // type index of each defined function
	nDefFuncs   int
	checkType   uint32
	budgetIdx   uint32
	entryChecks int
	loopChecks  int
	// stretchChecks counts the check sites that bound straight-line code
	// (stretch.go).
	stretchChecks int
	bodies        []bodyInfo // what a call of each defined function costs
	scanned       []bodyInfo // bodies as scanCode found them, before an emit refined them
	indirect      []reach    // what an indirect call of each type costs
	// foreignRefs: the module's tables may hold functions of other
	// modules (it imports or exports a table, imports a global, or passes
	// references in function types).
	foreignRefs bool
	stretch     stretch
	lbl         []uint32
	extism      // the Extism kernel inlining (extism.go)
	// par is set in the copies of the rewriter that rewrite the bodies of
	// a large code section on several goroutines (parallel.go).
	par *parCode
}

// scan reads what the rewrite needs before emitting anything.
func (w *rewriter) scan(secs []section) error {
	for _, s := range secs {
		r := &reader{b: s.payload}
		switch s.id {
		case secType:
			n, err := r.u32()
			if err != nil {
				return err
			}
			for i := uint32(0); i < n; i++ {
				form, err := r.byte()
				if err != nil {
					return err
				}
				if form != 0x60 {
					return fmt.Errorf("type %d: unsupported type form 0x%02x (only function types)", i, form)
				}
				sigStart := r.pos
				np, err := r.u32()
				if err != nil {
					return err
				}
				for j := uint32(0); j < np; j++ {
					if err := r.valType(); err != nil {
						return err
					}
				}
				nr, err := r.u32()
				if err != nil {
					return err
				}
				for j := uint32(0); j < nr; j++ {
					if err := r.valType(); err != nil {
						return err
					}
				}
				w.typeParams = append(w.typeParams, np)
				w.typeSigs = append(w.typeSigs, string(s.payload[sigStart:r.pos]))
			}
			w.nTypes = n
		case secImport:
			n, err := r.u32()
			if err != nil {
				return err
			}
			for i := uint32(0); i < n; i++ {
				mod, err := r.name()
				if err != nil {
					return err
				}
				if mod == ImportModule && w.checks {
					return ErrReserved
				}
				name, err := r.name()
				if err != nil {
					return err
				}
				kind, err := r.byte()
				if err != nil {
					return err
				}
				switch kind {
				case 0: // func
					ti, err := r.u32()
					if err != nil {
						return err
					}
					w.importedFunc(mod, name, ti)
					w.nImpFuncs++
				case 1: // table
					w.foreignRefs = true
					if err := r.tableType(); err != nil {
						return err
					}
				case 2: // memory
					w.memories++
					w.importedMemory = true
					if err := r.limits(); err != nil {
						return err
					}
				case 3: // global
					w.foreignRefs = true
					if err := r.valType(); err != nil {
						return err
					}
					if _, err := r.byte(); err != nil {
						return err
					}
					w.nImpGlobals++
				case 4: // tag
					if _, err := r.byte(); err != nil {
						return err
					}
					if _, err := r.u32(); err != nil {
						return err
					}
				default:
					return fmt.Errorf("import %d: unknown kind 0x%02x", i, kind)
				}
			}
		case secFunction:
			n, err := r.u32()
			if err != nil {
				return err
			}
			if int(n) > len(s.payload) {
				return errors.New("function section: count larger than the section")
			}
			w.funcTypes = make([]uint32, n)
			for i := range w.funcTypes {
				if w.funcTypes[i], err = r.u32(); err != nil {
					return err
				}
				if w.funcTypes[i] >= w.nTypes {
					return fmt.Errorf("function %d: type index %d out of range", i, w.funcTypes[i])
				}
			}
			w.nDefFuncs = int(n)
		case secGlobal:
			n, err := r.u32()
			if err != nil {
				return err
			}
			w.nDefGlobals = n
		case secMemory, secExport, secCustom:
			if err := w.scanExtism(s); err != nil {
				return err
			}
		}
	}
	if w.nImpFuncs == math.MaxUint32 || uint64(w.nImpFuncs)+uint64(w.nDefFuncs) >= math.MaxUint32 {
		return errors.New("too many functions")
	}
	w.checkType = w.nTypes
	w.budgetIdx = w.nImpGlobals + w.nDefGlobals
	w.kernGlobals = w.budgetIdx + w.shift
	return nil
}

// fn renumbers a function index.
func (w *rewriter) fn(idx uint32) uint32 {
	if idx >= w.nImpFuncs {
		return idx + w.shift
	}
	return idx
}

func (w *rewriter) emit(secs []section) ([]byte, error) {
	out := make([]byte, 0, sizeHint(secs))
	out = append(out, "\x00asm\x01\x00\x00\x00"...)
	put := func(id byte, p []byte) {
		out = append(out, id)
		out = appendU32(out, uint32(len(p)))
		out = append(out, p...)
	}
	// Sections the rewrite needs that the module may lack, emitted before
	// the first section that comes after them.
	missing := map[byte]bool{secType: w.checks, secImport: w.checks, secGlobal: w.checks || w.inline, secExport: w.inline || w.checks}
	emitMissingBefore := func(o int) {
		for _, id := range []byte{secType, secImport, secGlobal, secExport} {
			if missing[id] && order(id) < o {
				missing[id] = false
				switch id {
				case secType:
					put(secType, w.typeSection(nil))
				case secImport:
					put(secImport, w.importSection(nil))
				case secGlobal:
					put(secGlobal, w.globalSection(nil))
				case secExport:
					put(secExport, w.addedExports(appendU32(nil, w.addedExportCount())))
				}
			}
		}
	}
	for _, s := range secs {
		if s.id == secCustom {
			p, keep, err := w.custom(s.payload)
			if err != nil {
				return nil, err
			}
			if keep {
				put(secCustom, p)
			}
			continue
		}
		emitMissingBefore(order(s.id))
		var p []byte
		var err error
		switch {
		case !w.checks && (s.id == secType || s.id == secImport || s.id == secStart):
			p = s.payload
		case !w.checks && !w.inline:
			p = s.payload
			if s.id == secCode {
				p, err = w.codeSection(s.payload)
			}
		default:
			p, err = w.section(s, missing)
		}
		if err != nil {
			return nil, err
		}
		put(s.id, p)
	}
	emitMissingBefore(math.MaxInt)
	return out, nil
}

// section rewrites one non-custom section.
func (w *rewriter) section(s section, missing map[byte]bool) ([]byte, error) {
	var p []byte
	var err error
	{
		switch s.id {
		case secType:
			missing[secType] = false
			p = w.typeSection(s.payload)
		case secImport:
			missing[secImport] = false
			p = w.importSection(s.payload)
		case secGlobal:
			missing[secGlobal] = false
			p, err = w.globalSectionRewrite(s.payload)
		case secExport:
			missing[secExport] = false
			p, err = w.exportSection(s.payload)
		case secStart:
			p, err = w.startSection(s.payload)
		case secElement:
			p, err = w.elementSection(s.payload)
		case secCode:
			p, err = w.codeSection(s.payload)
		case secTable:
			p, err = w.tableSection(s.payload)
		default:
			p = s.payload
		}
	}
	return p, err
}

func sizeHint(secs []section) int {
	n := 64
	for _, s := range secs {
		n += len(s.payload) + 6
		if s.id == secCode {
			n += len(s.payload) / 8
		}
	}
	return n
}

// typeSection appends the check function's type, () -> i32.
func (w *rewriter) typeSection(p []byte) []byte {
	var o []byte
	o = appendU32(o, w.nTypes+1)
	if p != nil {
		r := &reader{b: p}
		r.u32() // checked by scan
		o = append(o, p[r.pos:]...)
	}
	return append(o, 0x60, 0x00, 0x01, 0x7f)
}

// importSection appends the check function's import.
func (w *rewriter) importSection(p []byte) []byte {
	var o []byte
	var n uint32
	rest := []byte(nil)
	if p != nil {
		r := &reader{b: p}
		n, _ = r.u32()
		rest = p[r.pos:]
	}
	o = appendU32(o, n+1)
	o = append(o, rest...)
	o = appendName(o, ImportModule)
	o = appendName(o, ImportName)
	o = append(o, 0x00)
	return appendU32(o, w.checkType)
}

// budgetGlobal is the definition of the budget: (mut i32) (i32.const InitialBudget).
func budgetGlobal(o []byte) []byte {
	o = append(o, 0x7f, 0x01, 0x41)
	o = appendS64(o, InitialBudget)
	return append(o, 0x0b)
}

func (w *rewriter) globalSection(_ []byte) []byte {
	return w.addedGlobals(appendU32(nil, w.shift+w.kernelGlobalCount()))
}

// addedGlobals appends the globals the rewrite adds: the budget (with
// checks), then the kernel's (when inlining).
func (w *rewriter) addedGlobals(o []byte) []byte {
	if w.checks {
		o = budgetGlobal(o)
	}
	return w.kernelGlobals(o)
}

// globalSectionRewrite renumbers ref.func in the initialisers and appends the budget.
func (w *rewriter) globalSectionRewrite(p []byte) ([]byte, error) {
	r := &reader{b: p}
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	o := appendU32(nil, n+w.shift+w.kernelGlobalCount())
	for i := uint32(0); i < n; i++ {
		start := r.pos
		if err := r.valType(); err != nil {
			return nil, err
		}
		if _, err := r.byte(); err != nil {
			return nil, err
		}
		o = append(o, p[start:r.pos]...)
		if o, err = w.constExpr(r, o); err != nil {
			return nil, fmt.Errorf("global %d: %w", i, err)
		}
	}
	if !r.eof() {
		return nil, errors.New("global section: trailing bytes")
	}
	return w.addedGlobals(o), nil
}

// tableSection refuses tables with initialiser expressions (function
// references proposal), which could hold ref.func.
func (w *rewriter) tableSection(p []byte) ([]byte, error) {
	r := &reader{b: p}
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	for i := uint32(0); i < n; i++ {
		if b, err := r.peek(); err != nil {
			return nil, err
		} else if b == 0x40 {
			return nil, fmt.Errorf("table %d: tables with initialisers are not supported", i)
		}
		if err := r.tableType(); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (w *rewriter) exportSection(p []byte) ([]byte, error) {
	r := &reader{b: p}
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	o := appendU32(nil, n+w.addedExportCount())
	for i := uint32(0); i < n; i++ {
		start := r.pos
		name, err := r.name()
		if err != nil {
			return nil, err
		}
		if w.checks && name == BudgetExport {
			return nil, fmt.Errorf("exports %s, a name reserved by the host", BudgetExport)
		}
		kind, err := r.byte()
		if err != nil {
			return nil, err
		}
		o = append(o, p[start:r.pos]...)
		idx, err := r.u32()
		if err != nil {
			return nil, err
		}
		if kind == 0 {
			idx = w.fn(idx)
		}
		o = appendU32(o, idx)
	}
	return w.addedExports(o), nil
}

// addedExportCount is how many exports the rewrite adds: the kernel
// globals when inlining, the budget with checks.
func (w *rewriter) addedExportCount() uint32 {
	n := uint32(w.kernelGlobalCount())
	if w.checks {
		n++
	}
	return n
}

// addedExports appends the exports the rewrite adds.
func (w *rewriter) addedExports(o []byte) []byte {
	o = w.kernelExports(o)
	if w.checks {
		o = appendName(o, BudgetExport)
		o = append(o, 0x03) // global
		o = appendU32(o, w.budgetIdx)
	}
	return o
}

func (w *rewriter) startSection(p []byte) ([]byte, error) {
	r := &reader{b: p}
	idx, err := r.u32()
	if err != nil {
		return nil, err
	}
	return appendU32(nil, w.fn(idx)), nil
}

func (w *rewriter) elementSection(p []byte) ([]byte, error) {
	r := &reader{b: p}
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	o := appendU32(nil, n)
	for i := uint32(0); i < n; i++ {
		flags, err := r.u32()
		if err != nil {
			return nil, err
		}
		if flags > 7 {
			return nil, fmt.Errorf("element segment %d: unknown flags %d", i, flags)
		}
		o = appendU32(o, flags)
		// bit 0: passive/declarative; bit 1: explicit table (active) or
		// declarative; bit 2: expressions instead of function indices.
		if flags&1 == 0 {
			if flags&2 != 0 {
				t, err := r.u32()
				if err != nil {
					return nil, err
				}
				o = appendU32(o, t)
			}
			if o, err = w.constExpr(r, o); err != nil {
				return nil, fmt.Errorf("element segment %d: %w", i, err)
			}
		}
		if flags&3 != 0 { // elemkind or reftype
			if flags&4 != 0 {
				start := r.pos
				if err := r.valType(); err != nil {
					return nil, err
				}
				o = append(o, p[start:r.pos]...)
			} else {
				k, err := r.byte()
				if err != nil {
					return nil, err
				}
				o = append(o, k)
			}
		}
		cnt, err := r.u32()
		if err != nil {
			return nil, err
		}
		if int(cnt) > r.remaining() {
			return nil, fmt.Errorf("element segment %d: count larger than the section", i)
		}
		o = appendU32(o, cnt)
		for j := uint32(0); j < cnt; j++ {
			if flags&4 != 0 {
				if o, err = w.constExpr(r, o); err != nil {
					return nil, fmt.Errorf("element segment %d: %w", i, err)
				}
			} else {
				idx, err := r.u32()
				if err != nil {
					return nil, err
				}
				o = appendU32(o, w.fn(idx))
			}
		}
	}
	return o, nil
}

// constExpr copies a constant expression up to and including its end,
// renumbering ref.func.
func (w *rewriter) constExpr(r *reader, o []byte) ([]byte, error) {
	for {
		start := r.pos
		op, err := r.byte()
		if err != nil {
			return nil, err
		}
		switch op {
		case 0x0b: // end
			return append(o, op), nil
		case 0xd2: // ref.func
			idx, err := r.u32()
			if err != nil {
				return nil, err
			}
			o = append(o, op)
			o = appendU32(o, w.fn(idx))
			continue
		case 0x41:
			_, err = r.sleb(32)
		case 0x42:
			_, err = r.sleb(64)
		case 0x43:
			err = r.skip(4)
		case 0x44:
			err = r.skip(8)
		case 0x23: // global.get
			_, err = r.u32()
		case 0xd0: // ref.null
			err = r.heapType()
		case 0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e: // extended const
		case 0xfd:
			var sub uint32
			if sub, err = r.u32(); err == nil {
				if sub != 12 {
					return nil, fmt.Errorf("at byte %d: SIMD opcode %d in a constant expression", start, sub)
				}
				err = r.skip(16)
			}
		default:
			return nil, fmt.Errorf("at byte %d: opcode 0x%02x in a constant expression", start, op)
		}
		if err != nil {
			return nil, err
		}
		o = append(o, r.b[start:r.pos]...)
	}
}

// custom rewrites the name section, drops DWARF and keeps the rest.
func (w *rewriter) custom(p []byte) ([]byte, bool, error) {
	r := &reader{b: p}
	name, err := r.name()
	if err != nil {
		return nil, false, err
	}
	switch {
	case strings.HasPrefix(name, ".debug_"):
		return nil, false, nil
	case name == "name":
		np, err := w.nameSection(p[r.pos:])
		if err != nil {
			// A malformed name section carries nothing the guest needs.
			return nil, false, nil
		}
		return append(appendName(nil, name), np...), true, nil
	}
	return p, true, nil
}

// nameSection renumbers the function names (subsection 1) and the functions
// of the local (2) and label (3) names.
func (w *rewriter) nameSection(p []byte) ([]byte, error) {
	r := &reader{b: p}
	var o []byte
	for !r.eof() {
		id, err := r.byte()
		if err != nil {
			return nil, err
		}
		n, err := r.u32()
		if err != nil {
			return nil, err
		}
		sub, err := r.bytes(int(n))
		if err != nil {
			return nil, err
		}
		var np []byte
		switch id {
		case 1:
			np, err = w.nameMap(&reader{b: sub}, true)
		case 2, 3:
			sr := &reader{b: sub}
			cnt, err2 := sr.u32()
			if err2 != nil {
				return nil, err2
			}
			np = appendU32(nil, cnt)
			for i := uint32(0); i < cnt && err == nil; i++ {
				var idx uint32
				if idx, err = sr.u32(); err != nil {
					break
				}
				np = appendU32(np, w.fn(idx))
				var m []byte
				if m, err = w.nameMap(sr, false); err == nil {
					np = append(np, m...)
				}
			}
			if err == nil && !sr.eof() {
				err = errors.New("trailing bytes in a name subsection")
			}
		default:
			np = sub
		}
		if err != nil {
			return nil, err
		}
		o = append(o, id)
		o = appendU32(o, uint32(len(np)))
		o = append(o, np...)
	}
	return o, nil
}

// nameMap copies a name map, renumbering its indices when funcs.
func (w *rewriter) nameMap(r *reader, funcs bool) ([]byte, error) {
	cnt, err := r.u32()
	if err != nil {
		return nil, err
	}
	o := appendU32(nil, cnt)
	for i := uint32(0); i < cnt; i++ {
		idx, err := r.u32()
		if err != nil {
			return nil, err
		}
		if funcs {
			idx = w.fn(idx)
		}
		o = appendU32(o, idx)
		start := r.pos
		if _, err := r.name(); err != nil {
			return nil, err
		}
		o = append(o, r.b[start:r.pos]...)
	}
	if funcs && !r.eof() {
		return nil, errors.New("trailing bytes in the function names")
	}
	return o, nil
}

func (w *rewriter) codeSection(p []byte) ([]byte, error) {
	r := &reader{b: p}
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	if int(n) != w.nDefFuncs {
		return nil, fmt.Errorf("code section has %d bodies for %d functions", n, w.nDefFuncs)
	}
	if o, ok, err := w.codeSectionParallel(p, r, n); ok {
		return o, err
	}
	o := make([]byte, 0, len(p)+len(p)/8+64)
	o = appendU32(o, n)
	var body, code []byte
	for i := uint32(0); i < n; i++ {
		size, err := r.u32()
		if err != nil {
			return nil, err
		}
		start := r.pos
		b, err := r.bytes(int(size))
		if err != nil {
			return nil, err
		}
		body, code, err = w.function(body[:0], code[:0], b, i)
		if err != nil {
			return nil, fmt.Errorf("function %d (body at byte %d of the code section): %w", w.nImpFuncs+i, start, err)
		}
		o = appendU32(o, uint32(len(body)))
		o = append(o, body...)
	}
	if !r.eof() {
		return nil, errors.New("code section: trailing bytes")
	}
	return o, nil
}

// checkSeq appends the check sequence with temporary local t. With
// restart (at the header of a loop without parameters), the branch that
// calls check ends by branching back to the loop's header, which runs the
// sequence again with the new budget: the call then never flows into the
// loop's body, which lets the compiler place it out of the hot path
// (wazero's optimizing compiler lays blocks out in reverse post-order, and
// a then-block that merges into the body sits inline, jumped over at every
// iteration). Measured on a loop of two instructions: merged, 2.5x the
// uninstrumented time; restarted, 1.5x; restarted with the call in the
// else-branch of an empty then (below), the same as uninstrumented.
func (w *rewriter) checkSeq(o []byte, t uint32, restart bool) []byte {
	o = append(o, 0x23) // global.get $budget
	o = appendU32(o, w.budgetIdx)
	o = append(o, 0x41, 0x01, 0x6b, 0x22) // i32.const 1; i32.sub; local.tee
	o = appendU32(o, t)
	o = append(o, 0x24) // global.set $budget
	o = appendU32(o, w.budgetIdx)
	o = append(o, 0x20) // local.get $t
	o = appendU32(o, t)
	// if (empty) ... else: the budget left is the condition, so that the
	// hot path is the (empty) then-branch and the call sits in the else.
	o = append(o, 0x04, 0x40, 0x05, 0x10) // if; else; call $check
	o = appendU32(o, w.nImpFuncs)
	if restart {
		// The restarted header counts down again: one more, so that it
		// passes the site once (the count stays exact for fuel).
		o = append(o, 0x41, 0x01, 0x6a) // i32.const 1; i32.add
	}
	o = append(o, 0x24) // global.set $budget
	o = appendU32(o, w.budgetIdx)
	if restart {
		o = append(o, 0x0c, 0x01) // br 1: the loop
	}
	return append(o, 0x0b) // end
}

// function rewrites body d (of the defined functions) into body, using
// code as scratch space.
func (w *rewriter) function(body, code, b []byte, d uint32) ([]byte, []byte, error) {
	params := w.typeParams[w.funcTypes[d]]
	r := &reader{b: b}
	groups, err := r.u32()
	if err != nil {
		return body, code, err
	}
	if int(groups) > len(b) {
		return body, code, errors.New("more local declarations than bytes")
	}
	nlocals := uint64(params)
	for g := uint32(0); g < groups; g++ {
		c, err := r.u32()
		if err != nil {
			return body, code, err
		}
		nlocals += uint64(c)
		if err := r.valType(); err != nil {
			return body, code, err
		}
	}
	if nlocals+4 >= math.MaxUint32 {
		return body, code, errors.New("too many locals")
	}
	localsEnd := r.pos
	t := uint32(nlocals) // the temporary: the new last local
	tmp := t + w.shift   // the inlining's temporaries: tmp, tmp+1 (i64), tmp+2 (i32)
	inlined := false
	hasCall := false
	loops := w.loopChecks
	stretches := w.stretchChecks
	s := &w.stretch
	s.reset()
	tail := 0 // the most the body runs after its last check site before a return
	ret := func(n int) {
		if s.acc >= 0 {
			tail = max(tail, s.acc+n)
		}
	}
	// guard inserts a check site before the instruction when its path
	// would otherwise run too long without one (see stretch.go).
	guard := func(need, tail int) {
		if w.checks && s.over(need, tail) {
			code = w.checkSeq(code, t, false)
			w.stretchChecks++
			s.acc = 0
		}
	}
	for {
		if r.eof() {
			return body, code, errors.New("body ends without end")
		}
		start := r.pos
		op, _ := r.byte()
		switch op {
		case 0x0b: // end
			if len(s.ctl) == 1 {
				// The function's end: a return.
				guard(1, 1)
				ret(1)
				code = append(code, op)
				if !r.eof() {
					return body, code, fmt.Errorf("at byte %d: bytes after the body's end", r.pos)
				}
				goto done
			}
			guard(1, -1)
			s.add(1)
			s.end()
			code = append(code, op)
			continue
		case 0x03: // loop bt
			params, err := r.blockParams(w.typeParams)
			if err != nil {
				return body, code, err
			}
			code = append(code, b[start:r.pos]...)
			s.push(fLoop)
			if w.checks {
				code = w.checkSeq(code, t, params == 0)
				w.loopChecks++
				s.acc = 0
			}
			continue
		case 0x10, 0x12: // call, return_call
			idx, err := r.u32()
			if err != nil {
				return body, code, err
			}
			hasCall = true
			cost := r.pos - start
			if k := w.kernelOp(idx); k != 0 {
				if op == 0x12 {
					guard(inlineCost, inlineCost)
					ret(inlineCost)
				} else {
					guard(inlineCost, -1)
				}
				s.add(inlineCost)
				code = w.inlineCall(code, k, idx, tmp)
				if op == 0x12 {
					code = append(code, 0x0f) // return
					s.acc = dead
				}
				inlined = true
				w.inlined++
				continue
			}
			head, ctail, resets := w.callCost(idx)
			switch {
			case op == 0x12 && resets:
				guard(cost, -1) // the callee's tail is the caller's
				tail = max(tail, ctail)
				s.acc = dead
			case op == 0x12:
				guard(cost+head, cost+ctail)
				ret(cost + ctail)
				s.acc = dead
			case resets:
				guard(cost, -1)
				if s.acc >= 0 {
					s.acc = ctail
				}
			default:
				guard(cost+head, -1)
				s.add(cost + ctail)
			}
			code = append(code, op)
			code = appendU32(code, w.fn(idx))
			continue
		case 0x40: // memory.grow
			w.sawGrow = true
		case 0xd2: // ref.func
			idx, err := r.u32()
			if err != nil {
				return body, code, err
			}
			guard(r.pos-start, -1)
			s.add(r.pos - start)
			code = append(code, op)
			code = appendU32(code, w.fn(idx))
			continue
		}
		if err := r.immediates(op); err != nil {
			return body, code, fmt.Errorf("at byte %d (opcode 0x%02x): %w", start, op, err)
		}
		cost := r.pos - start
		switch op {
		case 0x02, 0x06: // block, try
			guard(cost, -1)
			s.add(cost)
			s.push(fBlock)
		case 0x1f: // try_table
			guard(cost, -1)
			s.add(cost)
			w.lbl = catchLabels(b[start+1:r.pos], w.lbl[:0])
			for _, l := range w.lbl {
				s.thrownTo(l)
			}
			s.push(fBlock)
		case 0x04: // if
			guard(cost, -1)
			s.add(cost)
			s.push(fIf)
		case 0x05: // else
			guard(cost, -1)
			s.add(cost)
			s.elseBranch()
		case 0x07, 0x19: // catch, catch_all
			s.handler()
			code = append(code, b[start:r.pos]...)
			guard(1, -1) // the handler's first check
			continue
		case 0x18: // delegate: ends a try
			if len(s.ctl) <= 1 {
				return body, code, fmt.Errorf("at byte %d: delegate outside a try", start)
			}
			guard(cost, -1)
			s.add(cost)
			s.end()
		case 0x0c, 0x0d, 0x0e, 0xd5, 0xd6: // br, br_if, br_table, br_on_null, br_on_non_null
			w.lbl = labels(op, b[start+1:r.pos], w.lbl[:0])
			returns := -1
			for _, l := range w.lbl {
				if s.returns(l) {
					returns = cost
				}
			}
			guard(cost, returns)
			if returns >= 0 {
				ret(cost)
			}
			s.add(cost)
			for _, l := range w.lbl {
				s.branch(l)
			}
			if op == 0x0c || op == 0x0e {
				s.acc = dead
			}
		case 0x0f: // return
			guard(cost, cost)
			ret(cost)
			s.acc = dead
		case 0x00, 0x08, 0x09, 0x0a: // unreachable, throw, rethrow, throw_ref
			guard(cost, -1)
			s.acc = dead
		case 0x11, 0x13, 0x14, 0x15: // call_indirect, return_call_indirect, call_ref, return_call_ref
			hasCall = true
			ti, _ := (&reader{b: b[start+1 : r.pos]}).u32()
			head, ctail := w.indirectCost(ti)
			if op == 0x13 || op == 0x15 {
				guard(cost+head, cost+ctail)
				ret(cost + ctail)
				s.acc = dead
			} else {
				guard(cost+head, -1)
				s.add(cost + ctail)
			}
		default:
			guard(cost, -1)
			s.add(cost)
		}
		code = append(code, b[start:r.pos]...)
	}
done:
	if w.par != nil {
		w.par.refine(d, tail)
	} else if w.checks && int(d) < len(w.bodies) {
		// Callers after this one count what it really runs after its last
		// check (those before it counted the bound).
		w.bodies[d].tail = min(w.bodies[d].tail, tail)
	}
	entry := w.checks && entryCheck(hasCall, len(b))
	check := entry || (w.checks && (loops != w.loopChecks || stretches != w.stretchChecks))
	if !check && !inlined {
		// Nothing to check: the body as it was.
		return append(body, b...), code, nil
	}
	// Locals: the original declarations, one more i32 with checks, and
	// the inlining's temporaries.
	extra := uint32(0)
	if w.checks {
		extra++
	}
	if inlined {
		extra += 2
	}
	body = appendU32(body, groups+extra)
	body = append(body, b[uleb32Len(b):localsEnd]...)
	if w.checks {
		body = append(body, 0x01, 0x7f)
	}
	if inlined {
		body = append(body, 0x02, 0x7e, 0x01, 0x7f)
	}
	if entry {
		// A short function that calls nothing runs in bounded time but
		// for its loops, which are checked: its callers count it.
		body = w.checkSeq(body, t, false)
		w.entryChecks++
	}
	body = append(body, code...)
	return body, code, nil
}

// uleb32Len returns the length of the LEB128 number at the start of b.
func uleb32Len(b []byte) int {
	for i, c := range b {
		if c&0x80 == 0 {
			return i + 1
		}
	}
	return len(b)
}
