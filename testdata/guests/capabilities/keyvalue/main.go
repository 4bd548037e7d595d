// Command keyvalue is a test plugin for wasmhive's keyvalue capability: it
// calls every wasmhive:keyvalue/* function through pdk/keyvalue.
//
// Export "kv" runs one operation described by its JSON input and outputs
// the result as JSON; a host error fails the call with the host's message
// (prefixed "kverror: " so the test can tell it from other failures).
// Exports "bench_get" and "bench_incr" run N operations in one call, N
// being the decimal input, for the ABI benchmark.
package main

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/wasmhive/wasmhive/pdk"
	"github.com/wasmhive/wasmhive/pdk/keyvalue"
)

type request struct {
	Op      string           `json:"op"`
	Key     string           `json:"key,omitempty"`
	Value   []byte           `json:"value,omitempty"`
	Old     []byte           `json:"old,omitempty"`
	Prefix  string           `json:"prefix,omitempty"`
	Cursor  string           `json:"cursor,omitempty"`
	Delta   int64            `json:"delta,omitempty"`
	Keys    []string         `json:"keys,omitempty"`
	Entries []keyvalue.Entry `json:"entries,omitempty"`
}

type response struct {
	Value   []byte           `json:"value,omitempty"`
	Found   bool             `json:"found"`
	Keys    []string         `json:"keys,omitempty"`
	Next    string           `json:"next,omitempty"`
	N       int64            `json:"n"`
	Swapped bool             `json:"swapped"`
	Entries []keyvalue.Entry `json:"entries,omitempty"`
}

//go:wasmexport kv
func kv() int32 {
	var req request
	if err := pdk.InputJSON(&req); err != nil {
		return pdk.Return(err)
	}
	var resp response
	var err error
	switch req.Op {
	case "get":
		resp.Value, resp.Found, err = keyvalue.Get(req.Key)
	case "set":
		err = keyvalue.Set(req.Key, req.Value)
	case "delete":
		err = keyvalue.Delete(req.Key)
	case "exists":
		resp.Found, err = keyvalue.Exists(req.Key)
	case "list_keys":
		resp.Keys, resp.Next, err = keyvalue.ListKeys(req.Prefix, req.Cursor)
	case "increment":
		resp.N, err = keyvalue.Increment(req.Key, req.Delta)
	case "compare_and_swap":
		resp.Swapped, err = keyvalue.CompareAndSwap(req.Key, req.Old, req.Value)
	case "get_many":
		resp.Entries, err = keyvalue.GetMany(req.Keys)
	case "set_many":
		err = keyvalue.SetMany(req.Entries)
	case "delete_many":
		err = keyvalue.DeleteMany(req.Keys)
	default:
		err = fmt.Errorf("unknown op %q", req.Op)
	}
	if err != nil {
		var kerr *keyvalue.Error
		if errors.As(err, &kerr) {
			return pdk.Return(fmt.Errorf("kverror: %s: %s", kerr.Op, kerr.Message))
		}
		return pdk.Return(err)
	}
	return pdk.Return(pdk.OutputJSON(resp))
}

func count() (int, error) {
	n, err := strconv.Atoi(pdk.InputString())
	if err != nil || n < 0 {
		return 0, fmt.Errorf("input must be a count, got %q", pdk.InputString())
	}
	return n, nil
}

//go:wasmexport bench_get
func benchGet() int32 {
	n, err := count()
	if err != nil {
		return pdk.Return(err)
	}
	for i := 0; i < n; i++ {
		if _, ok, err := keyvalue.Get("bench"); err != nil || !ok {
			return pdk.Return(fmt.Errorf("get: %v, found %v", err, ok))
		}
	}
	return 0
}

//go:wasmexport bench_incr
func benchIncr() int32 {
	n, err := count()
	if err != nil {
		return pdk.Return(err)
	}
	var v int64
	for i := 0; i < n; i++ {
		if v, err = keyvalue.Increment("bench_n", 1); err != nil {
			return pdk.Return(err)
		}
	}
	pdk.OutputString(strconv.FormatInt(v, 10))
	return 0
}

func main() {}

// bench_block allocates, fills and frees a key block N times: the guest's
// share of a keyvalue call, without the call.
//
//go:wasmexport bench_block
func benchBlock() int32 {
	n, err := count()
	if err != nil {
		return pdk.Return(err)
	}
	for i := 0; i < n; i++ {
		m := pdk.AllocateString("bench")
		m.Free()
	}
	return 0
}
