package config

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component/linker"
)

// WITVersion is the version of wasi:config that Define serves (matched
// exactly, being a pre-release).
const WITVersion = "0.2.0-draft"

// WITStore is the wasi:config interface Define serves (wit/deps/config).
const WITStore = "wasi:config/store@" + WITVersion

// witUpstream is the case upstream of wasi:config/store's error variant.
const witUpstream = 0

// witFunctions are the functions Define defines on WITStore.
var witFunctions = []struct {
	name string
	f    func(b *bound, args []canonical.Value) (canonical.Value, error)
}{
	{"get", witGet},
	{"get-all", witGetAll},
}

// Define registers wasi:config/store 0.2.0-draft on l: get and get-all
// read the values of the Binding attached to the instance's configuration,
// as the host module's get and get_all do (get-all in key order). The
// values are in memory, so the only error is error::upstream for an entry
// that is not UTF-8 (which a component string cannot hold). An instance
// without a Binding traps: the Host refuses such imports at load, this is
// the belt.
func Define(l *linker.Linker) {
	h := l.Instance(WITStore)
	for _, fn := range witFunctions {
		name, f := fn.name, fn.f
		h.Func(name, func(_ context.Context, inst *linker.Instance, args []canonical.Value) (canonical.Value, error) {
			b, _ := bindingKey.In(inst.Config())
			if b == nil {
				return nil, fmt.Errorf("%s#%s: config is not granted to this component (grant it with grants.config, or --grant config)", WITStore, name)
			}
			return f(b, args)
		})
	}
}

func witGet(b *bound, args []canonical.Value) (canonical.Value, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("config: get takes 1 argument, got %d", len(args))
	}
	key, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("config: get's key is %T, not a string", args[0])
	}
	v, ok := b.values[key]
	if !ok {
		return canonical.OK(canonical.None), nil
	}
	if !utf8.ValidString(v) {
		return notUTF8(key), nil
	}
	return canonical.OK(canonical.Some(v)), nil
}

func witGetAll(b *bound, _ []canonical.Value) (canonical.Value, error) {
	list := make(canonical.List, len(b.keys))
	for i, k := range b.keys {
		v := b.values[k]
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return notUTF8(k), nil
		}
		list[i] = canonical.Tuple{k, v}
	}
	return canonical.OK(list), nil
}

// notUTF8 is err(error::upstream) for a configuration entry that a
// component string cannot hold.
func notUTF8(key string) canonical.Result {
	return canonical.Err(canonical.Variant{Case: witUpstream,
		Value: fmt.Sprintf("config entry %q is not valid UTF-8, which a component's strings must be", key)})
}
