// Command slow is the handler-convention guest of the `wasmhive up` drain
// tests (cmd/wasmhive/up_test.go): GET /sleep?ms=N sleeps N milliseconds
// (default 1000) and answers "slept Nms"; any other path answers "fast".
package main

import (
	"strconv"
	"time"

	pdkhttp "github.com/wasmhive/wasmhive/pdk/http"
)

func init() {
	pdkhttp.Handle(func(w pdkhttp.ResponseWriter, r *pdkhttp.Request) {
		w.Header().Set("Content-Type", "text/plain")
		if r.Path != "/sleep" {
			w.Write([]byte("fast"))
			return
		}
		ms := 1000
		if v := r.QueryValue("ms"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				w.WriteHeader(400)
				w.Write([]byte("ms must be a number of milliseconds"))
				return
			}
			ms = n
		}
		time.Sleep(time.Duration(ms) * time.Millisecond)
		w.Write([]byte("slept " + strconv.Itoa(ms) + "ms"))
	})
}

func main() {}
