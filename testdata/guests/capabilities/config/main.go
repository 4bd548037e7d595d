// Command config is a test component for wasmhive's config capability,
// built with pdk/config.
package main

import (
	"errors"

	"github.com/wasmhive/wasmhive/pdk"
	"github.com/wasmhive/wasmhive/pdk/config"
)

type result struct {
	Value    string            `json:"value"`
	NotFound bool              `json:"not_found,omitempty"`
	All      map[string]string `json:"all,omitempty"`
	Error    string            `json:"error,omitempty"`
	Typed    bool              `json:"typed,omitempty"`
}

func report(r result, err error) int32 {
	if err != nil {
		var e *config.Error
		r.Error, r.Typed = err.Error(), errors.As(err, &e)
		r.NotFound = errors.Is(err, config.ErrNotFound)
	}
	return pdk.Return(pdk.OutputJSON(r))
}

// get reports the value of the key given as input.
//
//go:wasmexport get
func get() int32 {
	v, err := config.Get(pdk.InputString())
	return report(result{Value: v}, err)
}

// get_all reports every value.
//
//go:wasmexport get_all
func getAll() int32 {
	all, err := config.GetAll()
	return report(result{All: all}, err)
}

func main() {}
