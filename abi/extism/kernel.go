package extism

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/engine"
)

// kernelWasm is the kernel module (kernel/kernel.wat, built by
// kernel/build.sh): the functions a plugin calls per 8 bytes, in wasm,
// over a linear memory that is the instance's kernel memory.
//
//go:embed kernel/kernel.wasm
var kernelWasm []byte

// KernelModule is the import module of the host function the kernel
// module calls on an out-of-bounds access (fault). Only the kernel module
// imports it; it is one of HostModules.
const KernelModule = "wasmhive:host/kernel"

// KernelHostModule returns the engine.HostModule defining "wasmhive:host/kernel".
func KernelHostModule() engine.HostModule { return kernelHost{} }

// Fault codes of the kernel module's fault(op, handle) calls.
var kernelOps = [...]struct {
	name  string
	n     uint64
	input bool
}{
	{"load_u8", 1, false}, {"load_u64", 8, false}, {"store_u8", 1, false}, {"store_u64", 8, false},
	{"input_load_u8", 1, true}, {"input_load_u64", 8, true},
}

type kernelHost struct{}

func (kernelHost) ModuleName() string { return KernelModule }

func (kernelHost) Define(rt *engine.Runtime, b wazero.HostModuleBuilder) {
	b.NewFunctionBuilder().WithGoModuleFunction(&kernelFault{rt: rt}, []api.ValueType{i32, i64}, nil).
		WithName("fault").Export("fault")
}

// kernelFault is the fault host function of one Runtime. It also holds
// that Runtime's compiled kernel module: LinkKernel finds it through the
// function's definition, so the module lives and dies with the Runtime.
type kernelFault struct {
	rt   *engine.Runtime
	mu   sync.Mutex
	mod  *engine.Module
	defs map[string]api.FunctionDefinition // mod's exported functions
}

// Call implements api.GoModuleFunction: it stops the call with the
// *AccessError of the kernel function that found a handle out of bounds.
func (f *kernelFault) Call(ctx context.Context, mod api.Module, st []uint64) {
	s := StateOf(ctx, f.rt, mod)
	op := uint32(st[0])
	if op >= uint32(len(kernelOps)) {
		s.fail(fmt.Errorf("extism kernel: unknown fault %d", op))
	}
	k := kernelOps[op]
	size := s.top
	if k.input {
		size = s.inLen
	}
	s.fail(&AccessError{Op: k.name, Handle: st[1], Len: k.n, Size: size})
}

// kernelModule returns rt's compiled kernel module and its exported
// functions, compiling it on first use, or nil when rt does not define
// KernelModule.
func kernelModule(ctx context.Context, rt *engine.Runtime) (*engine.Module, map[string]api.FunctionDefinition, error) {
	host, err := rt.HostInstance(ctx, KernelModule)
	if host == nil || err != nil {
		return nil, nil, err
	}
	f, ok := host.ExportedFunctionDefinitions()["fault"].GoFunction().(*kernelFault)
	if !ok {
		return nil, nil, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.mod == nil {
		m, err := rt.Compile(ctx, "extism-kernel", kernelWasm)
		if err != nil {
			return nil, nil, err // not kept: a canceled ctx must not fail later calls
		}
		f.mod, f.defs = m, m.Compiled().ExportedFunctions()
	}
	return f.mod, f.defs, nil
}

// kernelPad is how far kernel memory stays longer than the allocated
// part, so that the kernel module's 8-byte input loads never leave it.
const kernelPad = 8

// maxKernelMemory is the largest kernel memory a kernel module holds (a
// wasm32 memory is at most 4 GiB).
const maxKernelMemory = 1<<32 - engine.PageSize

// ErrKernelLinked is returned by LinkKernel for a State that has a kernel
// instance already.
var ErrKernelLinked = errors.New("extism: this State has a kernel instance already")

// LinkKernel gives st a kernel instance and adds it to libs under
// EnvModule, when one of mods (a plugin's main module and libraries)
// imports EnvModule: instantiate those modules with libs
// (engine.Runtime.InstantiateLinked) and their "extism:host/env" imports
// bind to it. Its linear memory is then st's kernel memory, and the
// functions a plugin calls per 8 bytes (load_u8/u64, store_u8/u64,
// input_load_u8/u64, input_length) are wasm functions over it, so those
// calls cost what a wasm-to-wasm call costs instead of a host call; every
// other function stays the Go host function. Without LinkKernel the State
// keeps its kernel memory in Go and every function is a host call, with
// the same behaviour.
//
// It returns the kernel instance, which the caller closes after the
// instances linked to it, or nil (and adds nothing) when no module imports
// EnvModule, when rt lacks EnvModule or KernelModule (HostModules defines
// both), or when a module imports from EnvModule a function the kernel
// does not export as it is imported (then instantiation reports it as
// usual), or when libs already has EnvModule. Call it before st's first
// call, once per State.
func LinkKernel(ctx context.Context, rt *engine.Runtime, st *State, libs map[string]*engine.Instance, mods ...*engine.Module) (*engine.Instance, error) {
	if st.kern != nil {
		return nil, ErrKernelLinked
	}
	if !rt.HasHostModule(EnvModule) || libs[EnvModule] != nil {
		return nil, nil
	}
	km, defs, err := kernelModule(ctx, rt)
	if err != nil {
		return nil, fmt.Errorf("extism kernel: %w", err)
	}
	if km == nil || !importsFrom(defs, mods) {
		return nil, nil
	}
	capBytes := min(st.maxKern, maxKernelMemory) + kernelPad
	capBytes = (capBytes + engine.PageSize - 1) / engine.PageSize * engine.PageSize
	var cfg engine.InstanceConfig
	cfg.MaxMemory = capBytes
	st.Attach(&cfg)
	k, err := rt.Instantiate(ctx, km, cfg)
	if err != nil {
		return nil, fmt.Errorf("extism kernel: %w", err)
	}
	if err := st.useKernel(k); err != nil {
		k.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("extism kernel: %w", err)
	}
	libs[EnvModule] = k
	return k, nil
}

// importsFrom reports whether one of mods imports EnvModule and every
// function they import from it is one of have, with that signature.
func importsFrom(have map[string]api.FunctionDefinition, mods []*engine.Module) bool {
	any := false
	for _, m := range mods {
		for _, f := range m.Compiled().ImportedFunctions() {
			mod, name, _ := f.Import()
			if mod != EnvModule {
				continue
			}
			any = true
			d, ok := have[name]
			if !ok || !slices.Equal(d.ParamTypes(), f.ParamTypes()) || !slices.Equal(d.ResultTypes(), f.ResultTypes()) {
				return false
			}
		}
	}
	return any
}

// useKernel makes k's memory st's kernel memory, moving what st holds
// into it.
func (s *State) useKernel(k *engine.Instance) error {
	mem := k.Memory()
	top, _ := k.Wazero().ExportedGlobal("top").(api.MutableGlobal)
	inOff, _ := k.Wazero().ExportedGlobal("in_off").(api.MutableGlobal)
	inLen, _ := k.Wazero().ExportedGlobal("in_len").(api.MutableGlobal)
	if mem == nil || top == nil || inOff == nil || inLen == nil {
		return errors.New("the kernel module lacks its memory or globals")
	}
	old := s.mem[:s.top]
	s.kern, s.kmem, s.gTop, s.gInOff, s.gInLen = k, mem, top, inOff, inLen
	s.maxKern = min(s.maxKern, maxKernelMemory)
	s.mem = s.kernelBuffer()
	if !s.growKernel(s.top + kernelPad) {
		return ErrKernelMemoryFull
	}
	copy(s.mem, old)
	s.held = uint64(len(s.mem))
	s.sync()
	return nil
}

// kernelBuffer returns the kernel instance's whole linear memory.
func (s *State) kernelBuffer() []byte {
	b, _ := s.kmem.Read(0, s.kmem.Size())
	return b
}

// growKernel grows the kernel instance's memory to at least need bytes
// (doubling, within the cap), and reports whether it holds need bytes.
func (s *State) growKernel(need uint64) bool {
	size := uint64(len(s.mem))
	if need <= size {
		return true
	}
	for _, want := range []uint64{max(2*size, need), need} {
		pages := (want + engine.PageSize - 1) / engine.PageSize
		if _, ok := s.kmem.Grow(uint32(pages - size/engine.PageSize)); ok {
			s.mem = s.kernelBuffer()
			return true
		}
	}
	return false
}

// sync tells the kernel module where allocated memory ends and where the
// input is.
func (s *State) sync() {
	if s.plug != nil {
		s.plugSync()
		return
	}
	if s.kern == nil {
		return
	}
	s.gTop.Set(s.top)
	s.gInOff.Set(s.input)
	s.gInLen.Set(s.inLen)
}

// Kernel returns st's kernel instance (see LinkKernel), or nil when its
// kernel memory is kept in Go.
func (s *State) Kernel() *engine.Instance { return s.kern }
