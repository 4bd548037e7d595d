package extism

import (
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/interrupt"
)

// The kernel in the plugin's own memory.
//
// A module the engine compiled with the kernel inlined
// (engine.Module.KernelInlined) reads and writes kernel blocks with plain
// memory accesses of its own linear memory once its host sets the globals
// the rewrite exported (internal/interrupt/extism.go). With
// UsePluginMemory, the State keeps its blocks there: it grows the plugin's
// memory (memory.grow semantics: pages appended at its end) and allocates
// blocks in the pages it grew, so a kernel handle is a plugin address. The
// plugin's allocator only uses the pages its own memory.grow returned (the
// rewrite qualifies only modules for which that holds), so the two never
// share a page. When the plugin grows its memory after the host did, the
// host's next growth starts a new region after it; blocks never straddle
// regions, and the regions stay the kernel's for the instance's life
// (reused by every later call).
//
// Bounds: an inline access of a handle in [lo, end of memory), lo being
// the first kernel region's start, touches the plugin's memory without
// further check, so a buggy plugin reading past a block reads its own
// memory (another block, or its own heap if it grew memory after the
// kernel did) rather than getting an *AccessError; that is no security
// issue, it is the plugin's own data. Any other handle, 0 included, takes
// the call to the host function, which fails with the *AccessError the
// kernel in Go gives. Input loads check the input's length inline; past
// it, the host function gives the same fault, and a load straddling the
// end of the input the same zero bytes, as the other kernels.

// usePluginMemory turns the kernel in plugin memory off when false (a
// switch for measurements and bisection).
var usePluginMemory = true

// plugMem is the kernel's part of a plugin's memory.
type plugMem struct {
	inst    *engine.Instance
	mem     api.Memory
	g       [6]api.MutableGlobal // interrupt.KernelLo...
	regions []span               // ascending
}

type span struct{ lo, hi uint64 }

// UsePluginMemory makes st keep its kernel blocks in the linear memory of
// the main module's instance, when mods (the plugin's main module, then its
// libraries) allow it: the main module was compiled with the kernel
// inlined (engine.Module.KernelInlined) and no library imports EnvModule
// (libraries share kernel memory with the main module, and theirs is
// another memory). It reports whether it did; if so, instantiate the
// modules without LinkKernel (their EnvModule imports bind to the Go host
// functions), and the first Call on the main module's instance binds st to
// its memory. Otherwise st is unchanged: use LinkKernel, or the kernel in
// Go, as before. Call it before st's first call, once per State.
func UsePluginMemory(st *State, mods ...*engine.Module) bool {
	if !usePluginMemory || len(mods) == 0 || st.kern != nil || st.plug != nil || !mods[0].KernelInlined() {
		return false
	}
	for _, m := range mods[1:] {
		for _, f := range m.Compiled().ImportedFunctions() {
			if mod, _, _ := f.Import(); mod == EnvModule {
				return false
			}
		}
	}
	st.plugWant = mods[0]
	return true
}

// PluginMemory reports whether st keeps its kernel blocks in the plugin's
// own memory (see UsePluginMemory; true from the first Call on).
func (s *State) PluginMemory() bool { return s.plug != nil }

// bindPlugin makes inst's memory st's kernel memory. What st held before
// (blocks allocated while the instance initialised) is dropped: every call
// starts with an empty kernel memory anyway. An instance without the
// kernel globals (a module that exports some of those names itself)
// leaves st with its kernel in Go: every access is then a host call, as
// without UsePluginMemory and LinkKernel.
func (s *State) bindPlugin(inst *engine.Instance) {
	s.plugWant = nil
	p := &plugMem{inst: inst, mem: inst.Memory()}
	if p.mem == nil {
		return
	}
	for i := range p.g {
		g, ok := inst.Wazero().ExportedGlobal(interrupt.KernelGlobalName(i)).(api.MutableGlobal)
		if !ok || g.Type() != api.ValueTypeI64 {
			return
		}
		p.g[i] = g
	}
	s.plug = p
	s.maxKern = min(s.maxKern, maxKernelMemory)
	s.held = 0
	s.refresh()
	s.Reset()
}

// refresh points s.mem at the plugin's memory as it is now (a memory.grow
// may have moved or extended it).
func (s *State) refresh() {
	if s.plug == nil {
		return
	}
	b, _ := s.plug.mem.Read(0, s.plug.mem.Size())
	s.mem = b
}

// plugBounds returns the addresses kernel accesses may touch: from the
// first region on (never below first: 0 stays null) to the end of memory;
// nothing before the first allocation.
func (s *State) plugBounds() (lo, end uint64) {
	p := s.plug
	if len(p.regions) == 0 {
		return first, first
	}
	return max(p.regions[0].lo, first), uint64(len(s.mem))
}

// plugSync tells the inlined code the bounds and where the input is.
func (s *State) plugSync() {
	p := s.plug
	lo, end := s.plugBounds()
	span8 := end - lo
	var span64, inBase, lim8, lim64 uint64
	if span8 >= 8 {
		span64 = span8 - 7
	}
	if s.input != 0 {
		inBase, lim8 = s.input, s.inLen
		if s.inLen >= 8 {
			lim64 = s.inLen - 7
		}
	}
	p.g[interrupt.KernelLo].Set(lo)
	p.g[interrupt.KernelSpan8].Set(span8)
	p.g[interrupt.KernelSpan64].Set(span64)
	p.g[interrupt.KernelInBase].Set(inBase)
	p.g[interrupt.KernelInLim8].Set(lim8)
	p.g[interrupt.KernelInLim64].Set(lim64)
}

// region returns the index of the region holding the bump pointer top
// (the first region when top is before it), or -1 without regions.
func (p *plugMem) region(top uint64) int {
	for i, r := range p.regions {
		if top <= r.hi {
			return i
		}
	}
	return len(p.regions) - 1
}

// plugAlloc allocates n bytes past the bump pointer, in the region holding
// it or a later one, growing the plugin's memory when none has room.
func (s *State) plugAlloc(n uint64) uint64 {
	p := s.plug
	if n > s.maxKern {
		return 0
	}
	fit := func(start, hi uint64) (uint64, bool) {
		h := max((start+7)&^7, first)
		return h, h <= hi && n <= hi-h
	}
	if i := p.region(s.top); i >= 0 {
		for ; i < len(p.regions); i++ {
			if h, ok := fit(max(s.top, p.regions[i].lo), p.regions[i].hi); ok {
				s.top = h + n
				s.blocks = append(s.blocks, block{off: h, size: n, used: n})
				return h
			}
		}
	}
	// Grow: extend the last region when it ends the memory, else start a
	// new one at the end.
	size := uint64(p.mem.Size())
	k := len(p.regions)
	extend := k > 0 && p.regions[k-1].hi == size
	start := size
	if extend {
		start = max(s.top, p.regions[k-1].lo)
	}
	h, _ := fit(start, size)
	if h+n < h || h+n > maxKernelMemory {
		return 0
	}
	need := (h + n - size + engine.PageSize - 1) / engine.PageSize
	if s.held+need*engine.PageSize > s.maxKern+engine.PageSize {
		return 0
	}
	// Double what the kernel holds (within the cap) so that a growing
	// call grows the memory a logarithmic number of times.
	var room uint64
	if s.held < s.maxKern {
		room = s.maxKern - s.held
	}
	more := max(need, min(s.held, room)/engine.PageSize)
	grown := uint64(0)
	for _, pages := range []uint64{more, need} {
		if _, ok := p.mem.Grow(uint32(pages)); ok {
			grown = pages
			break
		}
	}
	if grown == 0 {
		return 0
	}
	end := size + grown*engine.PageSize
	if extend {
		p.regions[k-1].hi = end
	} else {
		p.regions = append(p.regions, span{lo: size, hi: end})
	}
	s.held += grown * engine.PageSize
	s.refresh()
	s.top = h + n
	s.blocks = append(s.blocks, block{off: h, size: n, used: n})
	s.sync()
	return h
}

// plugRelease gives back to the OS the pages of the last region past what
// the kernel retains (retainBytes), when that region ends the memory:
// they read as zero afterwards and cost nothing until used again.
func (s *State) plugRelease() {
	p := s.plug
	k := len(p.regions)
	if k == 0 || p.regions[k-1].hi != uint64(p.mem.Size()) {
		return
	}
	last := p.regions[k-1]
	before := s.held - (last.hi - last.lo)
	if before >= retainBytes {
		return
	}
	from := last.lo + (retainBytes - before)
	from = (from + engine.PageSize - 1) / engine.PageSize * engine.PageSize
	if from >= last.hi || !p.inst.ReleaseMemory(from) {
		return
	}
	s.held = before + (from - last.lo)
}
