// Command limits is the handler-convention guest of the `wasmhive up`
// limits test (cmd/wasmhive/limits_test.go): GET .../kv?n=N reads a
// keyvalue key N times in one request and answers "read N keys"; any
// other path answers "ok".
package main

import (
	"strconv"
	"strings"

	pdkhttp "github.com/wasmhive/wasmhive/pdk/http"
	"github.com/wasmhive/wasmhive/pdk/keyvalue"
)

func init() {
	pdkhttp.Handle(func(w pdkhttp.ResponseWriter, r *pdkhttp.Request) {
		w.Header().Set("Content-Type", "text/plain")
		if !strings.HasSuffix(r.Path, "/kv") {
			w.Write([]byte("ok"))
			return
		}
		n, err := strconv.Atoi(r.QueryValue("n"))
		if err != nil || n < 0 {
			w.WriteHeader(400)
			w.Write([]byte("n must be a count"))
			return
		}
		for i := 0; i < n; i++ {
			if _, _, err := keyvalue.Get("k"); err != nil {
				w.WriteHeader(502)
				w.Write([]byte(err.Error()))
				return
			}
		}
		w.Write([]byte("read " + strconv.Itoa(n) + " keys"))
	})
}

func main() {}
