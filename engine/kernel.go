package engine

import (
	"unsafe"

	"github.com/wasmhive/wasmhive/internal/interrupt"
)

// ReleaseMemory gives the physical pages of the instance's linear memory
// from byte offset from (rounded up to a whole WebAssembly page) to its
// end back to the OS: the memory keeps its size, and those bytes read as
// zero afterwards, costing nothing until touched again. It is how a host
// that keeps data in an instance's memory (the Extism kernel memory of
// package abi/extism) shrinks what it holds after a large call, since
// WebAssembly memory cannot shrink. It reports false, giving nothing back,
// when the memory is not a reserved range of addresses (the Go slice
// fallback). No call may be running in the instance.
func (i *Instance) ReleaseMemory(from uint64) bool {
	a, ok := memKey.Of(i)
	if !ok || a.mem == nil {
		return false
	}
	m := a.mem
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.r
	if r == nil {
		return false
	}
	from = (from + PageSize - 1) / PageSize * PageSize
	if from >= uint64(r.committed) {
		return true
	}
	tail := region{base: unsafe.Add(r.base, uintptr(from))}
	tail.discard(r.committed - uintptr(from))
	return true
}

// inlineKernelCalls turns the Extism kernel inlining off when false (a
// switch for measurements and bisection, not an option).
var inlineKernelCalls = true

// inlineKernel returns wasm (prechecked) with the calls of the Extism
// kernel's per-byte functions inlined (internal/interrupt.InlineExtism),
// for a Runtime that does not instrument modules (an instrumenting one
// inlines in the same pass, whose output it caches). With DebugInfo the
// module stays as it is (the rewrite moves code). A module the rewrite
// refuses also stays as it is: the inlining only makes calls faster.
func (rt *Runtime) inlineKernel(wasm []byte) []byte {
	if !inlineKernelCalls || rt.cfg.DebugInfo {
		return wasm
	}
	out, st, err := interrupt.InlineExtism(wasm)
	if err != nil || st.Inlined == 0 {
		return wasm
	}
	return out
}

// kernelInlined reports whether wasm, as compiled, has the Extism kernel
// inlined: it exports the kernel globals.
func kernelInlined(wasm []byte) bool { return interrupt.HasKernelGlobals(wasm) }

// KernelInlined reports whether the module's calls of the Extism kernel's
// per-byte functions (load_u8/u64, store_u8/u64, input_load_u8/u64) were
// inlined at compile time into memory accesses of its own linear memory,
// guarded by the globals it exports as interrupt.KernelGlobalPrefix + ...
// (see internal/interrupt/extism.go). Until its host sets them, every such
// access takes the original call, so the module behaves as compiled from
// the original bytes; package abi/extism sets them when it keeps the
// kernel in the module's memory (UsePluginMemory).
func (m *Module) KernelInlined() bool { return m.kernel }
