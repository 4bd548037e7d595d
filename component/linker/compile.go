package linker

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/wasmhive/wasmhive/component"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/wasmbin"
)

// Component is a compiled component, ready to instantiate any number of
// times: its core modules compiled by the engine (rewritten for
// interruption and kept in the compilation cache like any module), and the
// static plan of how its core instances are wired.
type Component struct {
	name  string
	rt    *engine.Runtime
	bin   *component.Component
	plans map[*component.Component]*plan

	mu      sync.Mutex
	imports map[*Linker]*importPlan // how the imports resolve, per Linker
}

// plan is what instantiating one (possibly nested) component needs that
// does not change between instances.
type plan struct {
	c *component.Component
	// modules are the compiled core modules by index, nil for those only
	// instantiated relinked.
	modules []*engine.Module
	// linked are the core instantiations whose module's imports were
	// renamed to their origins (see relink), by core instance index.
	linked map[int]*bundle
	// origins says where each core func, table, memory and global comes
	// from: an export of a core instance, or the component's host module.
	origins [4][]origin
	// bundles are the re-export modules of the core instances that
	// bundle items (inline exports), by core instance index; compiled
	// (mod not nil) only when an instantiation that could not be relinked
	// takes them.
	bundles map[int]*bundle
	// hostFuncs are the core functions the component defines itself
	// (canon lower and the resource built-ins), by core func index: they
	// make up the host module (compiled once, instantiated per instance;
	// its functions find their frame with frameKey).
	hostFuncs []hostFunc
	host      *engine.Module
}

// origin is where a core item comes from: export name of core instance
// inst (an instantiation), or, when inst is hostOrigin, the host function
// defined for core func index fn.
type origin struct {
	inst int
	name string
}

const hostOrigin = -1

// hostModuleName is the import module name under which re-export modules
// reach the component's own host functions.
const hostModuleName = "h"

// hostFunc is a core function the component defines with canon: which
// definition, and its core type.
type hostFunc struct {
	index int // core func index
	canon *component.Canon
	typ   *wasmbin.FuncType
}

// bundle is a core instance made of inline exports, as a core module that
// imports each item from where it comes from and exports it under the
// bundle's name. wazero links instances by module name and export name, so
// this is how items of several instances (renamed) become one instance.
type bundle struct {
	mod *engine.Module
	// srcs are the core instances (or hostOrigin) the module imports from,
	// by import module name ("i3", or hostModuleName).
	srcs map[string]int
	// wasm is the module's binary, items its exports' origins by name.
	wasm  []byte
	items map[string]origin
}

// Compile decodes, validates and compiles a component binary. name is for
// error messages. Errors are one line: a *component.Error for a malformed
// or invalid binary, an *engine.LoadError for a core module that does not
// compile.
func Compile(ctx context.Context, rt *engine.Runtime, name string, wasm []byte) (*Component, error) {
	bin, err := component.Decode(wasm)
	if err != nil {
		return nil, &engine.LoadError{Module: name, Err: err}
	}
	c := &Component{name: name, rt: rt, bin: bin, plans: map[*component.Component]*plan{}}
	if err := c.planAll(ctx, bin); err != nil {
		return nil, err
	}
	return c, nil
}

// Name is the name the component was compiled under.
func (c *Component) Name() string { return c.name }

// Decoded is the component's decoded binary: its types, imports and exports.
func (c *Component) Decoded() *component.Component { return c.bin }

func (c *Component) planAll(ctx context.Context, bc *component.Component) error {
	p, err := c.makePlan(ctx, bc)
	if err != nil {
		return err
	}
	c.plans[bc] = p
	for _, nested := range bc.Components {
		if err := c.planAll(ctx, nested); err != nil {
			return err
		}
	}
	return nil
}

// coreSortSlot maps the core sorts with origins to an index of plan.origins.
func coreSortSlot(s component.Sort) (int, bool) {
	switch s {
	case component.SortCoreFunc:
		return 0, true
	case component.SortCoreTable:
		return 1, true
	case component.SortCoreMemory:
		return 2, true
	case component.SortCoreGlobal:
		return 3, true
	}
	return 0, false
}

func (c *Component) makePlan(ctx context.Context, bc *component.Component) (*plan, error) {
	p := &plan{c: bc, bundles: map[int]*bundle{}, linked: map[int]*bundle{}, modules: make([]*engine.Module, len(bc.Modules))}
	var (
		insts   []int // the instantiations, by core instance index
		bundled = map[int]map[string]origin{}
	)
	// Replay the definitions in order to find each core item's origin.
	for _, d := range bc.Order {
		switch d.Section {
		case component.SectionAlias:
			a := &bc.Aliases[d.Index]
			slot, ok := coreSortSlot(a.Sort)
			if !ok {
				continue
			}
			if a.Kind != component.AliasCoreExport {
				return nil, c.unsupported("an outer alias of a %s", a.Sort)
			}
			o, err := p.exportOrigin(int(a.Instance), a.Name, a.Sort)
			if err != nil {
				return nil, err
			}
			p.origins[slot] = append(p.origins[slot], o)
		case component.SectionCanon:
			cn := &bc.Canons[d.Index]
			if cn.Kind == component.CanonLift {
				continue
			}
			idx := len(p.origins[0])
			typ := bc.Spaces.CoreFuncs[idx]
			p.hostFuncs = append(p.hostFuncs, hostFunc{index: idx, canon: cn, typ: typ})
			p.origins[0] = append(p.origins[0], origin{inst: hostOrigin, name: hostFuncName(idx)})
		case component.SectionCoreInstance:
			ci := &bc.CoreInstances[d.Index]
			if ci.Instantiate {
				insts = append(insts, d.Index)
				continue
			}
			b, err := c.makeBundle(p, d.Index, ci)
			if err != nil {
				return nil, err
			}
			p.bundles[d.Index] = b
			bundled[d.Index] = b.items
		case component.SectionImport:
			if bc.Imports[d.Index].Desc.Sort == component.SortCoreModule {
				return nil, c.unsupported("importing a core module (%s)", bc.Imports[d.Index].Name)
			}
		}
	}
	if err := c.compileModules(ctx, p, insts, bundled); err != nil {
		return nil, err
	}
	if len(p.hostFuncs) > 0 {
		h, err := c.rt.CompileHost(ctx, frameHost{p})
		if err != nil {
			return nil, err
		}
		p.host = h
	}
	return p, nil
}

func hostFuncName(idx int) string { return "f" + strconv.Itoa(idx) }

// exportOrigin is the origin of export name of core instance inst.
func (p *plan) exportOrigin(inst int, name string, sort component.Sort) (origin, error) {
	ci := &p.c.CoreInstances[inst]
	if ci.Instantiate {
		return origin{inst: inst, name: name}, nil
	}
	for _, e := range ci.Exports {
		if e.Name == name {
			slot, _ := coreSortSlot(e.Item.Sort)
			return p.origins[slot][e.Item.Index], nil
		}
	}
	return origin{}, fmt.Errorf("core instance %d has no %s export %q", inst, sort, name)
}

func (c *Component) unsupported(format string, args ...any) error {
	return &engine.LoadError{Module: c.name, Err: fmt.Errorf("component: not supported yet: "+format, args...)}
}

// compileModules compiles the module of each core instantiation insts
// (core instance indices, in order): relinked when it can be, else as
// it is, with the bundles it takes.
func (c *Component) compileModules(ctx context.Context, p *plan, insts []int, bundled map[int]map[string]origin) error {
	bc := p.c
	name := func(i uint32) string { return fmt.Sprintf("%s core module %d", c.name, i) }
	for _, idx := range insts {
		ci := &bc.CoreInstances[idx]
		if int(ci.Module) >= len(bc.Modules) {
			return fmt.Errorf("core instance %d: module %d out of range", idx, ci.Module)
		}
		wasm := bc.Modules[ci.Module].Bytes
		if rl, ok := relink(wasm, ci, bundled); ok && !noRelink {
			mod, err := c.rt.Compile(ctx, name(ci.Module), rl.wasm)
			if err != nil {
				return err
			}
			p.linked[idx] = &bundle{mod: mod, srcs: rl.srcs}
			continue
		}
		if p.modules[ci.Module] == nil {
			mod, err := c.rt.Compile(ctx, name(ci.Module), wasm)
			if err != nil {
				return err
			}
			p.modules[ci.Module] = mod
		}
		for _, a := range ci.Args {
			b := p.bundles[int(a.Instance)]
			if b == nil || b.mod != nil {
				continue
			}
			mod, err := c.rt.Compile(ctx, fmt.Sprintf("%s core instance %d", c.name, a.Instance), b.wasm)
			if err != nil {
				return err
			}
			b.mod = mod
		}
	}
	return nil
}

// makeBundle builds the re-export module of bundle ci.
func (c *Component) makeBundle(p *plan, index int, ci *component.CoreInstance) (*bundle, error) {
	b := &bundle{srcs: map[string]int{}, items: map[string]origin{}}
	var enc moduleEncoder
	for _, e := range ci.Exports {
		slot, ok := coreSortSlot(e.Item.Sort)
		if !ok {
			return nil, c.unsupported("a core instance exporting a %s", e.Item.Sort)
		}
		o := p.origins[slot][e.Item.Index]
		mod := hostModuleName
		if o.inst != hostOrigin {
			mod = "i" + strconv.Itoa(o.inst)
		}
		b.srcs[mod] = o.inst
		b.items[e.Name] = o
		sp := &p.c.Spaces
		switch e.Item.Sort {
		case component.SortCoreFunc:
			enc.importFunc(mod, o.name, sp.CoreFuncs[e.Item.Index])
		case component.SortCoreTable:
			enc.importTable(mod, o.name, sp.CoreTables[e.Item.Index])
		case component.SortCoreMemory:
			enc.importMemory(mod, o.name, sp.CoreMemories[e.Item.Index])
		case component.SortCoreGlobal:
			enc.importGlobal(mod, o.name, sp.CoreGlobals[e.Item.Index])
		}
		enc.export(e.Name)
	}
	wasm, err := enc.bytes()
	if err != nil {
		return nil, c.unsupported("core instance %d: %v", index, err)
	}
	b.wasm = wasm
	return b, nil
}

// ExportedFunc is a function the component exports: at the top level
// (Path is its name), or from an exported instance (Path is the instance's
// name, then the function's).
type ExportedFunc struct {
	Path []string
	Type *component.FuncType
}

// Funcs lists the component's exported functions, top level first, each
// group in export order.
func (c *Component) Funcs() []ExportedFunc {
	var top, nested []ExportedFunc
	for _, e := range c.bin.Type.Exports {
		switch t := e.Desc.Type.(type) {
		case *component.FuncType:
			top = append(top, ExportedFunc{Path: []string{e.Name}, Type: t})
		case *component.InstanceType:
			for _, f := range t.Exports {
				if ft, ok := f.Desc.Type.(*component.FuncType); ok {
					nested = append(nested, ExportedFunc{Path: []string{e.Name, f.Name}, Type: ft})
				}
			}
		}
	}
	return append(top, nested...)
}

// Close releases the compiled code of the component's core modules.
// Instances must be closed first.
func (c *Component) Close(ctx context.Context) error {
	for _, p := range c.plans {
		for _, m := range p.modules {
			if m != nil {
				m.Compiled().Close(ctx)
			}
		}
		for _, b := range p.bundles {
			if b.mod != nil {
				b.mod.Compiled().Close(ctx)
			}
		}
		for _, b := range p.linked {
			b.mod.Compiled().Close(ctx)
		}
		if p.host != nil {
			p.host.Compiled().Close(ctx)
		}
	}
	return nil
}
