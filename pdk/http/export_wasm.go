//go:build wasip1

package pdkhttp

import "github.com/wasmhive/wasmhive/pdk"

// handleHTTP is the export the HTTP trigger calls: the input is an encoded
// httpwire.Request, the output an encoded httpwire.Response.
//
//go:wasmexport handle_http
func handleHTTP() int32 {
	out, err := Serve(handler, pdk.Input())
	if err != nil {
		return pdk.Return(err)
	}
	pdk.Output(out)
	return 0
}
