//go:build !wasip1

package pdk

// On anything but GOOS=wasip1 the host imports do not exist: the package
// compiles (so tools, docs and vet work) but every call panics.

const notWasm = "pdk: only available in a WebAssembly guest (GOOS=wasip1 GOARCH=wasm)"

func extismInputLength() uint64                 { panic(notWasm) }
func extismInputOffset() uint64                 { panic(notWasm) }
func extismInputLoadU8(offset uint64) uint32    { panic(notWasm) }
func extismInputLoadU64(offset uint64) uint64   { panic(notWasm) }
func extismLength(offset uint64) uint64         { panic(notWasm) }
func extismLengthUnsafe(offset uint64) uint64   { panic(notWasm) }
func extismAlloc(n uint64) uint64               { panic(notWasm) }
func extismFree(offset uint64)                  { panic(notWasm) }
func extismLoadU8(offset uint64) uint32         { panic(notWasm) }
func extismLoadU64(offset uint64) uint64        { panic(notWasm) }
func extismStoreU8(offset uint64, v uint32)     { panic(notWasm) }
func extismStoreU64(offset uint64, v uint64)    { panic(notWasm) }
func extismOutputSet(offset, n uint64)          { panic(notWasm) }
func extismErrorSet(offset uint64)              { panic(notWasm) }
func extismConfigGet(key uint64) uint64         { panic(notWasm) }
func extismVarGet(key uint64) uint64            { panic(notWasm) }
func extismVarSet(key, value uint64)            { panic(notWasm) }
func extismHTTPRequest(req, body uint64) uint64 { panic(notWasm) }
func extismHTTPStatusCode() int32               { panic(notWasm) }
func extismHTTPHeaders() uint64                 { panic(notWasm) }
func extismGetLogLevel() int32                  { panic(notWasm) }
func extismLogTrace(offset uint64)              { panic(notWasm) }
func extismLogDebug(offset uint64)              { panic(notWasm) }
func extismLogInfo(offset uint64)               { panic(notWasm) }
func extismLogWarn(offset uint64)               { panic(notWasm) }
func extismLogError(offset uint64)              { panic(notWasm) }
