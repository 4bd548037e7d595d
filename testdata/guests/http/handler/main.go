// Command handler is the Go reactor test guest of the HTTP trigger's handler
// convention (package pdkhttp). It routes on the path:
//
//	/          "hello, world\n" (the benchmark body)
//	/echo      the method, path, query, headers and body it was given
//	/count     a counter kept in guest memory: "instance <id> count <n>"
//	/status    status 201 with an X-Guest header and a redirect Location
//	/panic     panics (the instance dies: 500, discarded)
//	/loop      never returns (the per-request timeout stops it: 504)
//	/sleep     sleeps 300 ms, then answers (for graceful shutdown tests)
//	/big       a body of ?n bytes
//	/keep      the query of the previous /keep request (kept across calls)
//
// It also exports handle_raw (malformed output) and handle_fail (an error
// return) for the trigger's failure tests.
package main

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wasmhive/wasmhive/pdk"
	pdkhttp "github.com/wasmhive/wasmhive/pdk/http"
)

var (
	instanceID = strconv.FormatUint(rand.Uint64(), 36) // seeded by WASI random_get
	count      int
	kept       string
)

var hello = []byte("hello, world\n")

func init() {
	pdkhttp.Handle(func(w pdkhttp.ResponseWriter, r *pdkhttp.Request) {
		switch r.Path {
		case "/":
			w.Header().Set("Content-Type", "text/plain")
			w.Write(hello)
		case "/echo":
			var b strings.Builder
			fmt.Fprintf(&b, "method=%s\npath=%s\nquery=%s\nq=%s\n", r.Method, r.Path, r.Query, r.QueryValue("q"))
			values := map[string][]string{}
			var names []string
			for _, f := range r.Header {
				if values[f.Name] == nil {
					names = append(names, f.Name)
				}
				values[f.Name] = append(values[f.Name], f.Value)
			}
			sort.Strings(names)
			for _, k := range names {
				fmt.Fprintf(&b, "header %s=%s\n", k, strings.Join(values[k], ","))
			}
			fmt.Fprintf(&b, "body=%s", r.Body)
			w.Header().Set("Content-Type", "text/plain")
			w.Write([]byte(b.String()))
		case "/count":
			count++
			fmt.Fprintf(w, "instance %s count %d", instanceID, count)
		case "/status":
			w.Header().Set("X-Guest", "yes")
			w.Header().Add("X-Multi", "a")
			w.Header().Add("X-Multi", "b")
			w.WriteHeader(201)
			w.Write([]byte("created"))
		case "/panic":
			panic("handler panicked on purpose")
		case "/loop":
			for {
				count++
			}
		case "/sleep":
			time.Sleep(300 * time.Millisecond)
			w.Write([]byte("slept"))
		case "/keep":
			// Answers the query of the previous /keep request, kept as
			// given (a string aliasing that request's input), then keeps
			// this one's: a test that request strings outlive the call.
			w.Write([]byte(kept))
			kept = r.Query
		case "/header":
			// Sets the header named by ?name to ?v, as given: the trigger
			// must refuse names and values a response cannot carry.
			w.Header().Add(r.QueryValue("name"), r.QueryValue("v"))
			w.Write([]byte("header set"))
		case "/big":
			n, _ := strconv.Atoi(r.QueryValue("n"))
			w.Write([]byte(strings.Repeat("x", n)))
		default:
			w.WriteHeader(404)
			w.Write([]byte("not found: " + r.Path))
		}
	})
}

// handleRaw answers with bytes that are not an httpwire response: the
// trigger must answer 502 (serve this module with Export "handle_raw").
//
//go:wasmexport handle_raw
func handleRaw() int32 {
	pdk.OutputString("this is not an httpwire response")
	return 0
}

// handleFail returns non-zero with an error message: the trigger must
// answer 500 (serve with Export "handle_fail").
//
//go:wasmexport handle_fail
func handleFail() int32 {
	pdk.SetErrorString("handler refused the request")
	return 1
}

func main() {}
