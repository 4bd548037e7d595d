//go:build !wasip1

package keyvalue

// Outside GOOS=wasip1 the host functions do not exist: the package compiles
// (for tools, docs and tests of its decoding) but every call panics.

const notWasm = "pdk/keyvalue: only available in a WebAssembly guest (GOOS=wasip1 GOARCH=wasm)"

func hostGet(key uint64) uint64                      { panic(notWasm) }
func hostSet(key, value uint64) uint64               { panic(notWasm) }
func hostDelete(key uint64) uint64                   { panic(notWasm) }
func hostExists(key uint64) uint64                   { panic(notWasm) }
func hostListKeys(prefix, cursor uint64) uint64      { panic(notWasm) }
func hostIncrement(key, delta uint64) uint64         { panic(notWasm) }
func hostCompareAndSwap(key, old, new uint64) uint64 { panic(notWasm) }
func hostGetMany(keys uint64) uint64                 { panic(notWasm) }
func hostSetMany(pairs uint64) uint64                { panic(notWasm) }
func hostDeleteMany(keys uint64) uint64              { panic(notWasm) }

func kernelAlloc(n uint64) uint64  { panic(notWasm) }
func kernelFree(h uint64)          { panic(notWasm) }
func kernelLength(h uint64) uint64 { panic(notWasm) }
func kernelStoreU64(h, v uint64)   { panic(notWasm) }
func bulkRead(h, ptr, n uint64)    { panic(notWasm) }
func bulkWrite(h, ptr, n uint64)   { panic(notWasm) }
