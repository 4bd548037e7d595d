package engine

import "unsafe"

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
