// Command greeter is the HTTP component of the messaging app of the `wasmhive
// up` tests (cmd/wasmhive/up_test.go, ../app.yaml). It is granted messaging
// on the subjects greet and notes, and the keyvalue bucket it shares with
// ../responder:
//
//	GET /greet/NAME      requests "greet" with the body NAME; 200 and the reply
//	GET /ask?subject=S   requests S (the grant refuses every subject but
//	                     greet and notes): 502 and the host's message
//	GET /note?text=T     publishes T on "notes"; 202
//	GET /last            the last note the responder stored; 404 before any
//
// A messaging or keyvalue failure answers 502 with "error: MESSAGE".
package main

import (
	"strings"
	"time"

	pdkhttp "github.com/wasmhive/wasmhive/pdk/http"
	"github.com/wasmhive/wasmhive/pdk/keyvalue"
	"github.com/wasmhive/wasmhive/pdk/messaging"
)

func init() {
	pdkhttp.Handle(func(w pdkhttp.ResponseWriter, r *pdkhttp.Request) {
		w.Header().Set("Content-Type", "text/plain")
		switch {
		case strings.HasPrefix(r.Path, "/greet/"):
			reply, err := messaging.Request("greet", []byte(strings.TrimPrefix(r.Path, "/greet/")), 2*time.Second)
			if err != nil {
				fail(w, err)
				return
			}
			w.Write(reply)
		case r.Path == "/ask":
			reply, err := messaging.Request(r.QueryValue("subject"), []byte("?"), time.Second)
			if err != nil {
				fail(w, err)
				return
			}
			w.Write(reply)
		case r.Path == "/note":
			if err := messaging.Publish("notes", []byte(r.QueryValue("text"))); err != nil {
				fail(w, err)
				return
			}
			w.WriteHeader(202)
			w.Write([]byte("published"))
		case r.Path == "/last":
			v, ok, err := keyvalue.Get("last-note")
			switch {
			case err != nil:
				fail(w, err)
			case !ok:
				w.WriteHeader(404)
				w.Write([]byte("no note yet"))
			default:
				w.Write(v)
			}
		default:
			w.WriteHeader(404)
			w.Write([]byte("not found: " + r.Path))
		}
	})
}

func fail(w pdkhttp.ResponseWriter, err error) {
	w.WriteHeader(502)
	w.Write([]byte("error: " + err.Error()))
}

func main() {}
