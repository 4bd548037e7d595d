package wasmhive

import (
	"context"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/abi/extism"
	"github.com/wasmhive/wasmhive/engine"
)

// DefaultHostModule is the import module of host functions unless
// HostFunction.InModule says otherwise, as Extism's.
const DefaultHostModule = extism.UserModule

// RawFunc is a host function in raw stack form: stack holds the parameters
// on entry (encoded as wazero encodes them: api.EncodeI32 and friends) and
// must hold the results on return.
type RawFunc func(ctx context.Context, p *CurrentPlugin, stack []uint64)

// BytesFunc is a host function taking and returning bytes: the plugin passes
// a kernel memory handle to the input and receives one to the output (0 for
// an empty output). Returning an error stops the plugin's call with a
// *HostError wrapping it.
type BytesFunc func(ctx context.Context, p *CurrentPlugin, input []byte) ([]byte, error)

// HostFunction is a Go function a plugin can import.
type HostFunction struct {
	Module  string // import module; DefaultHostModule when empty
	Name    string
	Params  []ValueType
	Results []ValueType
	Func    RawFunc
}

// NewHostFunction returns a bytes-in, bytes-out host function named name,
// imported by the plugin as (i64) -> i64 (a handle in, a handle out), the
// shape Extism PDKs' host-function helpers produce.
func NewHostFunction(name string, fn BytesFunc) HostFunction {
	if fn == nil {
		return HostFunction{Name: name, Params: []ValueType{I64}, Results: []ValueType{I64}}
	}
	return HostFunction{Name: name, Params: []ValueType{I64}, Results: []ValueType{I64},
		Func: func(ctx context.Context, p *CurrentPlugin, stack []uint64) {
			in, err := p.Read(stack[0])
			if err != nil {
				p.Fail(fmt.Errorf("host function %s: %w", name, err))
			}
			out, err := fn(ctx, p, in)
			if err != nil {
				p.Fail(fmt.Errorf("host function %s: %w", name, err))
			}
			h, err := p.Write(out)
			if err != nil {
				p.Fail(fmt.Errorf("host function %s: %w", name, err))
			}
			stack[0] = h
		}}
}

// NewRawHostFunction returns a host function in raw stack form.
func NewRawHostFunction(name string, params, results []ValueType, fn RawFunc) HostFunction {
	return HostFunction{Name: name, Params: params, Results: results, Func: fn}
}

// InModule returns f imported from module instead of DefaultHostModule.
func (f HostFunction) InModule(module string) HostFunction { f.Module = module; return f }

func (f HostFunction) module() string {
	if f.Module == "" {
		return DefaultHostModule
	}
	return f.Module
}

// CurrentPlugin is the plugin a host function was called from: its kernel
// memory (the handles the Extism ABI exchanges) and its linear memory.
type CurrentPlugin struct {
	mod api.Module
	st  *extism.State
}

// Read returns a copy of the kernel memory block at handle h. Handle 0
// reads as empty.
func (p *CurrentPlugin) Read(h uint64) ([]byte, error) {
	if h == 0 {
		return []byte{}, nil
	}
	b, ok := p.st.Bytes(h)
	if !ok {
		return nil, fmt.Errorf("invalid kernel memory handle %d", h)
	}
	return append([]byte(nil), b...), nil
}

// ReadString is Read as a string.
func (p *CurrentPlugin) ReadString(h uint64) (string, error) {
	b, err := p.Read(h)
	return string(b), err
}

// Write copies b into a new kernel memory block and returns its handle (0
// for an empty b).
func (p *CurrentPlugin) Write(b []byte) (uint64, error) { return p.st.Write(b) }

// WriteString is Write for a string.
func (p *CurrentPlugin) WriteString(s string) (uint64, error) { return p.st.Write([]byte(s)) }

// Alloc allocates n bytes of kernel memory (0 when n is 0 or memory is full).
func (p *CurrentPlugin) Alloc(n uint64) uint64 { return p.st.Alloc(n) }

// Free releases the kernel memory block at h.
func (p *CurrentPlugin) Free(h uint64) { p.st.Free(h) }

// Length returns the length of the block at h, 0 if h is not a block.
func (p *CurrentPlugin) Length(h uint64) uint64 { return p.st.Length(h) }

// Kernel returns kernel memory [h, h+n) for direct reads and writes (valid
// until the next allocation).
func (p *CurrentPlugin) Kernel(h, n uint64) ([]byte, error) { return p.st.Range(h, n) }

// Memory returns the calling module's linear memory.
func (p *CurrentPlugin) Memory() api.Memory { return p.mod.Memory() }

// Var returns the plugin variable name.
func (p *CurrentPlugin) Var(name string) ([]byte, bool) { return p.st.Var(name) }

// Fail stops the plugin's call with err (returned wrapped in a *HostError).
// It does not return.
func (p *CurrentPlugin) Fail(err error) { p.st.Fail(err) }

// userModule is one import module of user host functions.
type userModule struct {
	name  string
	funcs []HostFunction
}

func (u userModule) ModuleName() string { return u.name }

func (u userModule) Define(rt *engine.Runtime, b wazero.HostModuleBuilder) {
	for _, f := range u.funcs {
		fn := f.Func
		b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
			fn(ctx, &CurrentPlugin{mod: mod, st: extism.StateOf(ctx, rt, mod)}, stack)
		}), f.Params, f.Results).WithName(f.Name).Export(f.Name)
	}
}

// hostModules groups host functions by import module.
func hostModules(fns []HostFunction) ([]engine.HostModule, error) {
	var order []string
	byMod := map[string][]HostFunction{}
	seen := map[string]bool{}
	for _, f := range fns {
		if f.Name == "" || f.Func == nil {
			return nil, fmt.Errorf("host function %q in %s: needs a name and a function", f.Name, f.module())
		}
		m := f.module()
		if m == extism.EnvModule || m == extism.BulkModule || m == "wasi_snapshot_preview1" {
			return nil, fmt.Errorf("host function %s: module %s is reserved", f.Name, m)
		}
		if seen[m+"\x00"+f.Name] {
			return nil, fmt.Errorf("host function %s.%s registered twice", m, f.Name)
		}
		seen[m+"\x00"+f.Name] = true
		if _, ok := byMod[m]; !ok {
			order = append(order, m)
		}
		byMod[m] = append(byMod[m], f)
	}
	out := make([]engine.HostModule, 0, len(order))
	for _, m := range order {
		out = append(out, userModule{name: m, funcs: byMod[m]})
	}
	return out, nil
}
