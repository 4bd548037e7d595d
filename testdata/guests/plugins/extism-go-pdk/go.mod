module github.com/wasmhive/wasmhive/testdata/guests/plugins/extism-go-pdk

go 1.24

require github.com/extism/go-pdk v1.1.3
