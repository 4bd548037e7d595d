//go:build wasip1

package keyvalue

// The wasmhive:keyvalue/* host functions (docs/capabilities.md): every
// parameter and the result are handles of kernel memory blocks.

//go:wasmimport wasmhive:keyvalue/store get
func hostGet(key uint64) uint64

//go:wasmimport wasmhive:keyvalue/store set
func hostSet(key, value uint64) uint64

//go:wasmimport wasmhive:keyvalue/store delete
func hostDelete(key uint64) uint64

//go:wasmimport wasmhive:keyvalue/store exists
func hostExists(key uint64) uint64

//go:wasmimport wasmhive:keyvalue/store list_keys
func hostListKeys(prefix, cursor uint64) uint64

//go:wasmimport wasmhive:keyvalue/atomics increment
func hostIncrement(key, delta uint64) uint64

//go:wasmimport wasmhive:keyvalue/atomics compare_and_swap
func hostCompareAndSwap(key, old, new uint64) uint64

//go:wasmimport wasmhive:keyvalue/batch get_many
func hostGetMany(keys uint64) uint64

//go:wasmimport wasmhive:keyvalue/batch set_many
func hostSetMany(pairs uint64) uint64

//go:wasmimport wasmhive:keyvalue/batch delete_many
func hostDeleteMany(keys uint64) uint64

// Kernel memory, as every Extism host provides it.

//go:wasmimport extism:host/env alloc
func kernelAlloc(n uint64) uint64

//go:wasmimport extism:host/env free
func kernelFree(h uint64)

//go:wasmimport extism:host/env store_u64
func kernelStoreU64(h, v uint64)

//go:wasmimport extism:host/env length_unsafe
func kernelLength(h uint64) uint64

// wasmhive's bulk copies between guest and kernel memory (one host call per
// copy, see package abi/extism). Every host serving wasmhive:keyvalue is a
// wasmhive host and has them, so this package uses them whatever the pdk's
// build tags: they halve the host calls of a keyvalue call.

//go:wasmimport wasmhive:host/bulk read
func bulkRead(h, ptr, n uint64)

//go:wasmimport wasmhive:host/bulk write
func bulkWrite(h, ptr, n uint64)
