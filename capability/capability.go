// Package capability is what the capability contracts share: their names,
// how an import module maps to the capability that provides it, and the
// plumbing every contract's host module uses to expose its functions to
// guests through the Extism ABI's kernel memory (docs/capabilities.md).
//
// Each contract is a subpackage (keyvalue, httpclient, messaging, config,
// logging): a small Go interface, its providers, and a host module that the
// Host adds to its runtime. What a component may use is decided by its
// grants; a module importing a capability it was not granted is refused at
// load (see Of).
package capability

import (
	"context"
	"fmt"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/capwire"
)

// Names of the capabilities, as grants and import modules spell them.
const (
	KeyValue  = "keyvalue"
	HTTP      = "http"
	Messaging = "messaging"
	Config    = "config"
	Logging   = "logging"
)

// Names lists every capability, in the order documentation uses.
var Names = []string{KeyValue, HTTP, Messaging, Config, Logging}

// ModulePrefix starts the import module name of every capability interface:
// "wasmhive:<capability>/<interface>", e.g. "wasmhive:keyvalue/store".
const ModulePrefix = "wasmhive:"

// OfInterface returns the capability a Component Model interface belongs
// to: "keyvalue" for wasi:keyvalue/* ("wasi:keyvalue/atomics@0.2.0-draft"),
// "config" for wasi:config/*, "logging" for wasi:logging/*, "messaging" for
// wasmcloud:messaging/*, "http" for wasi:http/outgoing-handler; false for
// any other interface (WASI's own, wasi:http/types...).
func OfInterface(name string) (string, bool) {
	name, _, _ = strings.Cut(name, "@")
	switch name {
	case "wasi:http/outgoing-handler":
		return HTTP, true
	}
	pkg, _, _ := strings.Cut(name, "/")
	switch pkg {
	case "wasi:keyvalue":
		return KeyValue, true
	case "wasi:config":
		return Config, true
	case "wasi:logging":
		return Logging, true
	case "wasmcloud:messaging":
		return Messaging, true
	}
	return "", false
}

// Of returns the capability an import module belongs to ("keyvalue" for
// "wasmhive:keyvalue/atomics"), or false when module is not a capability
// interface.
func Of(module string) (string, bool) {
	rest, ok := strings.CutPrefix(module, ModulePrefix)
	if !ok {
		return "", false
	}
	name, _, ok := strings.Cut(rest, "/")
	if !ok {
		return "", false
	}
	for _, n := range Names {
		if n == name {
			return n, true
		}
	}
	return "", false
}

// Known reports whether name is a capability.
func Known(name string) bool {
	for _, n := range Names {
		if n == name {
			return true
		}
	}
	return false
}

// Func is one capability function, host side: args are the bytes of the
// guest's parameter blocks (aliasing kernel memory: copy what outlives the
// call), and the result is a reply block made with capwire.OK, None or
// Error. inst is the calling instance, for its bindings (engine.Key).
type Func func(ctx context.Context, inst *engine.Instance, args [][]byte) []byte

// Define exports f as name on b with nargs i64 handle parameters and one i64
// handle result, as docs/capabilities.md lays out: handle 0 reads as empty;
// the reply is written into a new kernel memory block. An invalid handle
// stops the call (an *extism.HostError), as Extism's own functions do.
func Define(rt *engine.Runtime, b wazero.HostModuleBuilder, name string, nargs int, f Func) {
	params := make([]api.ValueType, nargs)
	for i := range params {
		params[i] = api.ValueTypeI64
	}
	b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
		inst := rt.Caller(ctx, mod)
		st, ok := extism.InstanceState(inst)
		if !ok {
			panic(fmt.Errorf("%s: the calling instance has no Extism kernel state", name))
		}
		var buf [4][]byte
		args := buf[:0]
		for i := 0; i < nargs; i++ {
			h := stack[i]
			if h == 0 {
				args = append(args, nil)
				continue
			}
			v, ok := st.Bytes(h)
			if !ok {
				st.Fail(&extism.HandleError{Op: name, What: fmt.Sprintf("argument %d", i+1), Handle: h})
			}
			args = append(args, v)
		}
		reply := f(ctx, inst, args)
		if len(reply) == 0 {
			reply = capwire.OK(nil)
		}
		h, err := st.Write(reply)
		if err != nil {
			st.Fail(fmt.Errorf("%s: %w", name, err))
		}
		stack[0] = h
	}), params, []api.ValueType{api.ValueTypeI64}).WithName(name).Export(name)
}

// HostModule is a capability interface's engine.HostModule made of Funcs.
type HostModule struct {
	Name  string     // the import module, e.g. "wasmhive:keyvalue/store"
	Funcs []Function // its functions
}

// Function is one entry of a HostModule.
type Function struct {
	Name  string
	NArgs int
	Func  Func
}

// ModuleName returns h.Name.
func (h HostModule) ModuleName() string { return h.Name }

// Define defines h's functions (engine.HostModule).
func (h HostModule) Define(rt *engine.Runtime, b wazero.HostModuleBuilder) {
	for _, f := range h.Funcs {
		Define(rt, b, f.Name, f.NArgs, f.Func)
	}
}
