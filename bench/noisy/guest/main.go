// Command faulty is the misbehaving component of the noisy-neighbour
// benchmark (bench/noisy): an HTTP handler (package pdkhttp) that, on
// demand, does what a buggy or hostile guest does. The route is the last
// segment of the request path, so it answers under any prefix:
//
//	/trap   an out-of-bounds memory access: a WebAssembly trap (500)
//	/loop   spins without end, until the host stops it at its timeout (504)
//	/grow   allocates and touches 1 MiB after 1 MiB without end, until the
//	        memory cap stops it (the Go runtime's "out of memory": 500)
//	/flood  sets then gets keys "flood:0", "flood:1"... of its bucket, 1 KiB
//	        values, until the host stops it: a keyvalue quota that ends the
//	        call, or the timeout (504). When a call fails instead of ending
//	        it answers 429 with the count and the host's message.
//	/ok     answers 200 "ok" (the component itself works)
//
// Anything else is 404. Rebuild it with build.sh (byte for byte the same).
package main

import (
	"strconv"
	"strings"
	"unsafe"

	pdkhttp "github.com/wasmhive/wasmhive/pdk/http"
	"github.com/wasmhive/wasmhive/pdk/keyvalue"
)

func init() { pdkhttp.Handle(serve) }

func main() {}

// sink keeps the compiler from dropping the loads and stores below.
var sink uintptr

// hold keeps every block /grow allocates reachable.
var hold [][]byte

func serve(w pdkhttp.ResponseWriter, r *pdkhttp.Request) {
	w.Header().Set("Content-Type", "text/plain")
	route := r.Path[strings.LastIndexByte(r.Path, '/')+1:]
	switch route {
	case "ok":
		w.Write([]byte("ok\n"))
	case "trap":
		// A load at 0xfffffff0, past any memory the guest may have (its cap
		// is far lower than 4 GiB): wasm's bounds check traps (Go checks
		// nil pointers only).
		base := unsafe.Pointer(&sink)
		p := (*byte)(unsafe.Add(base, 0xfffffff0-uintptr(base)))
		sink += uintptr(*p)
		w.Write([]byte("not trapped\n"))
	case "loop":
		for {
			sink++
		}
	case "grow":
		for {
			b := make([]byte, 1<<20)
			for i := 0; i < len(b); i += 4096 {
				b[i] = 1 // commit every page
			}
			hold = append(hold, b)
		}
	case "flood":
		value := make([]byte, 1024)
		for i := 0; ; i++ {
			key := "flood:" + strconv.Itoa(i)
			value[0] = byte(i)
			if err := keyvalue.Set(key, value); err != nil {
				refused(w, i, err)
				return
			}
			if _, _, err := keyvalue.Get(key); err != nil {
				refused(w, i, err)
				return
			}
		}
	default:
		w.WriteHeader(404)
		w.Write([]byte("routes: /ok /trap /loop /grow /flood\n"))
	}
}

// refused answers 429: the host refused a keyvalue call after n keys.
func refused(w pdkhttp.ResponseWriter, n int, err error) {
	w.WriteHeader(429)
	w.Write([]byte("refused after " + strconv.Itoa(n) + " keys: " + err.Error() + "\n"))
}
