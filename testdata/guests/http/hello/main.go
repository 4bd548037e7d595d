// Command hello is the smallest Go handler (package pdkhttp): every request
// gets "hello, world\n" as text/plain, the body of the native handler it is
// benchmarked against (bench/http).
package main

import pdkhttp "github.com/wasmhive/wasmhive/pdk/http"

var hello = []byte("hello, world\n")

func init() {
	pdkhttp.Handle(func(w pdkhttp.ResponseWriter, r *pdkhttp.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(hello)
	})
}

func main() {}
