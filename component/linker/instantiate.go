package linker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/wasmbin"
)

// item is a component-level item at run time: a function, an instance, a
// component definition, or a type (for a resource type, its run-time
// identity).
type item struct {
	sort component.Sort
	fn   *Func
	inst *instanceVal
	comp *compDef
	typ  component.Type
}

// instanceVal is a component instance's exports, by name.
type instanceVal struct {
	exports map[string]item
}

// compDef is a component definition and the frame it was defined in (for
// its outer aliases).
type compDef struct {
	c      *component.Component
	parent *frame
}

// frame is one component instance being built or running: the run-time
// index spaces of its definitions.
type frame struct {
	top    *Instance
	p      *plan
	parent *frame
	args   map[string]item // what the instantiating component supplied, for a nested one

	core  map[int]*engine.Instance // core instances (instantiations and bundles) by index
	host  *engine.Instance         // the host module of the component's own core functions
	funcs []*Func
	types []item
	comps []*compDef
	insts []*instanceVal

	table  *canonical.Instance
	lowers map[int]*lowered
	// coreFuncs caches the api.Function of core function origins.
	coreFuncs map[int]api.Function
}

// Instantiate creates an instance of c: it resolves c's imports from the
// Linker's definitions, instantiates every core module and nested
// component in definition order with cfg (arguments, environment, stdio,
// preopens, memory cap: each core instance gets cfg.MaxMemory), and runs
// the hooks first. Errors are one line; a missing import names the import
// and what the host lacks.
func (l *Linker) Instantiate(ctx context.Context, c *Component, cfg engine.InstanceConfig) (_ *Instance, err error) {
	cfg.NoInitialize = true
	inst := &Instance{cfg: cfg, c: c, l: l, resources: map[*component.ResourceType]*canonical.ResourceType{}}
	defer func() {
		if err != nil {
			inst.Close(context.WithoutCancel(ctx))
		}
	}()
	l.mu.Lock()
	hooks := append([]Hook(nil), l.hooks...)
	l.mu.Unlock()
	for _, h := range hooks {
		closer, err := h(ctx, inst)
		if err != nil {
			return nil, err
		}
		if closer != nil {
			inst.closers = append(inst.closers, closer)
		}
	}
	args, err := l.resolveImports(inst, c.bin)
	if err != nil {
		return nil, err
	}
	fr, err := inst.build(ctx, c.bin, nil, args)
	if err != nil {
		return nil, err
	}
	inst.root = fr
	return inst, nil
}

// resolveImports matches the component's imports with the Linker's host
// instances: the matching is done once per Linker definitions (see
// importPlan), and each instance gets its own items from it.
func (l *Linker) resolveImports(inst *Instance, bc *component.Component) (map[string]item, error) {
	p, err := l.importPlan(inst.c, bc)
	if err != nil {
		return nil, err
	}
	args := make(map[string]item, len(p.imports))
	funcs := make([]Func, p.nfuncs)
	for _, ie := range p.imports {
		if ie.isType {
			args[ie.name] = item{sort: component.SortType, typ: ie.typ}
			continue
		}
		iv := &instanceVal{exports: make(map[string]item, len(ie.exports))}
		for _, e := range ie.exports {
			switch {
			case e.ft != nil:
				f := &funcs[0]
				funcs = funcs[1:]
				*f = Func{typ: e.ft, name: e.fname, host: e.fn, inst: inst}
				iv.exports[e.name] = item{sort: component.SortFunc, fn: f}
			case e.rt != nil:
				if e.sub {
					inst.bind(e.rt, inst.hostResource(ie.h, e.name, e.drop))
				}
				iv.exports[e.name] = item{sort: component.SortType, typ: e.rt}
			default:
				iv.exports[e.name] = item{sort: component.SortType, typ: e.typ}
			}
		}
		args[ie.name] = item{sort: component.SortInstance, inst: iv}
	}
	return args, nil
}

// importPlan is how a component's imports resolve against a Linker's
// definitions (as they were at generation gen).
type importPlan struct {
	gen     uint64
	imports []importEntry
	nfuncs  int
}

// importEntry is one import: a type imported by name, or an interface
// and the host instance that defines it.
type importEntry struct {
	name    string
	isType  bool
	typ     component.Type
	h       *HostInstance
	exports []exportEntry
}

// exportEntry is one item of an imported interface: a function (ft not
// nil), a resource type (rt not nil; sub: one the host defines, with
// drop), or another type.
type exportEntry struct {
	name  string
	typ   component.Type
	rt    *component.ResourceType
	sub   bool
	drop  DropFunc
	ft    *component.FuncType
	fn    HostFunc
	fname string // the function's name in errors
}

// importPlan returns c's import plan for the Linker's current
// definitions, made on first use and kept with c.
func (l *Linker) importPlan(c *Component, bc *component.Component) (*importPlan, error) {
	gen := l.gen.Load()
	c.mu.Lock()
	p := c.imports[l]
	c.mu.Unlock()
	if p != nil && p.gen == gen {
		return p, nil
	}
	p, err := l.makeImportPlan(c, bc)
	if err != nil {
		return nil, err
	}
	p.gen = gen
	c.mu.Lock()
	if c.imports == nil || len(c.imports) >= maxImportPlans {
		c.imports = map[*Linker]*importPlan{}
	}
	c.imports[l] = p
	c.mu.Unlock()
	return p, nil
}

// maxImportPlans bounds the import plans a Component keeps (one per Linker
// it is instantiated with).
const maxImportPlans = 16

func (l *Linker) makeImportPlan(c *Component, bc *component.Component) (*importPlan, error) {
	p := &importPlan{}
	for _, imp := range bc.Imports {
		if imp.Desc.Sort == component.SortType && !imp.Desc.SubResource {
			// A type imported by name (a world's own record, say): nothing
			// for the host to supply.
			p.imports = append(p.imports, importEntry{name: imp.Name, isType: true, typ: asType(imp.Desc.Type)})
			continue
		}
		it, ok := imp.Desc.Type.(*component.InstanceType)
		if imp.Desc.Sort != component.SortInstance || !ok {
			return nil, &engine.LoadError{Module: c.name, Err: fmt.Errorf("component imports %s %q, and the host provides only instances", imp.Desc.Sort, imp.Name)}
		}
		h := l.lookup(imp.Name)
		if h == nil {
			if !onlyTypes(it) {
				return nil, &ImportError{Component: c.name, Import: imp.Name}
			}
			// An interface imported for its types alone (a WIT use)
			// needs nothing from the host.
			h = &HostInstance{name: imp.Name}
		}
		ie := importEntry{name: imp.Name, h: h}
		for _, e := range it.Exports {
			switch e.Desc.Sort {
			case component.SortType:
				rt, ok := e.Desc.Type.(*component.ResourceType)
				if !ok {
					ie.exports = append(ie.exports, exportEntry{name: e.Name, typ: asType(e.Desc.Type)})
					continue
				}
				ee := exportEntry{name: e.Name, rt: rt}
				if e.Desc.SubResource {
					drop, ok := h.resources[e.Name]
					if !ok {
						return nil, &ImportError{Component: c.name, Import: imp.Name, Name: e.Name, Resource: true}
					}
					ee.sub, ee.drop = true, drop
				}
				ie.exports = append(ie.exports, ee)
			case component.SortFunc:
				f, ok := h.funcs[e.Name]
				if !ok {
					return nil, &ImportError{Component: c.name, Import: imp.Name, Name: e.Name}
				}
				ft := e.Desc.Type.(*component.FuncType)
				ie.exports = append(ie.exports, exportEntry{name: e.Name, ft: ft, fn: f, fname: imp.Name + "#" + e.Name})
				p.nfuncs++
			default:
				return nil, &engine.LoadError{Module: c.name, Err: fmt.Errorf("component imports %s %q from %q, which host instances do not provide", e.Desc.Sort, e.Name, imp.Name)}
			}
		}
		p.imports = append(p.imports, ie)
	}
	return p, nil
}

// onlyTypes reports whether an instance type exports nothing but types
// other than resources.
func onlyTypes(it *component.InstanceType) bool {
	for _, e := range it.Exports {
		if e.Desc.Sort != component.SortType || e.Desc.SubResource {
			return false
		}
	}
	return true
}

func asType(t any) component.Type {
	if t, ok := t.(component.Type); ok {
		return t
	}
	return nil
}

// ImportError is a component import the Linker does not define: the
// interface, or one of its functions or resource types.
type ImportError struct {
	Component string
	Import    string // the interface, e.g. "wasi:cli/environment@0.2.12"
	Name      string // the function or resource type; empty when the whole interface is missing
	Resource  bool
}

func (e *ImportError) Error() string {
	switch {
	case e.Name == "":
		return fmt.Sprintf("%s imports %s, which the host does not provide", e.Component, e.Import)
	case e.Resource:
		return fmt.Sprintf("%s imports resource %s from %s, which the host does not provide", e.Component, e.Name, e.Import)
	}
	return fmt.Sprintf("%s imports function %s from %s, which the host does not provide", e.Component, e.Name, e.Import)
}

// build instantiates component bc with args as its imports.
func (inst *Instance) build(ctx context.Context, bc *component.Component, parent *frame, args map[string]item) (*frame, error) {
	p := inst.c.plans[bc]
	fr := &frame{top: inst, p: p, parent: parent, args: args, core: map[int]*engine.Instance{}, table: canonical.NewInstance(), lowers: map[int]*lowered{}, coreFuncs: map[int]api.Function{}}
	inst.frames = append(inst.frames, fr)
	rt := inst.c.rt
	// The core instances see nothing of the world themselves (WASI 0.2
	// reaches the component through its imports): only the memory cap, and
	// the frame their host functions find.
	coreCfg := engine.InstanceConfig{MaxMemory: inst.cfg.MaxMemory, NoInitialize: true, LinkChecked: true, NoWASI: true}
	frameKey.Set(&coreCfg, fr)
	if p.host != nil {
		h, err := rt.InstantiateCompiledHost(ctx, p.host)
		if err != nil {
			return nil, err
		}
		fr.host = h
		inst.cores = append(inst.cores, h)
	}
	var coreInstances int
	for _, d := range bc.Order {
		switch d.Section {
		case component.SectionCoreInstance:
			idx := coreInstances
			coreInstances++
			ci := &bc.CoreInstances[d.Index]
			var (
				m    *engine.Module
				libs = map[string]*engine.Instance{}
			)
			var srcs map[string]int
			switch ln := p.linked[d.Index]; {
			case ln != nil:
				m, srcs = ln.mod, ln.srcs
			case ci.Instantiate:
				m = p.modules[ci.Module]
				for _, a := range ci.Args {
					libs[a.Name] = fr.core[int(a.Instance)]
				}
			default:
				b := p.bundles[d.Index]
				if b.mod == nil {
					// Every instantiation that takes the bundle was
					// relinked to the bundle's sources.
					continue
				}
				m, srcs = b.mod, b.srcs
			}
			for name, src := range srcs {
				if src == hostOrigin {
					libs[name] = fr.host
				} else {
					libs[name] = fr.core[src]
				}
			}
			ci2, err := rt.InstantiateLinked(ctx, m, coreCfg, libs)
			if err != nil {
				return nil, err
			}
			inst.cores = append(inst.cores, ci2)
			fr.core[idx] = ci2
		case component.SectionComponent:
			fr.comps = append(fr.comps, &compDef{c: bc.Components[d.Index], parent: fr})
		case component.SectionInstance:
			iv, err := fr.instance(ctx, &bc.Instances[d.Index])
			if err != nil {
				return nil, err
			}
			fr.insts = append(fr.insts, iv)
		case component.SectionAlias:
			if err := fr.alias(&bc.Aliases[d.Index]); err != nil {
				return nil, err
			}
		case component.SectionType:
			t := bc.Types[d.Index]
			if rt, ok := t.(*component.ResourceType); ok && rt.Defined {
				inst.bind(rt, fr.definedResource(rt))
			}
			fr.types = append(fr.types, item{sort: component.SortType, typ: t})
		case component.SectionCanon:
			cn := &bc.Canons[d.Index]
			if cn.Kind == component.CanonLift {
				idx := len(fr.funcs)
				fr.funcs = append(fr.funcs, &Func{typ: bc.Spaces.Funcs[idx], name: "func " + strconv.Itoa(idx), inst: inst, lifted: &lifted{fr: fr, core: p.origins[0][cn.Func], opts: cn.Options}})
			}
		case component.SectionImport:
			imp := &bc.Imports[d.Index]
			a, ok := args[imp.Name]
			if !ok {
				return nil, fmt.Errorf("component import %q not supplied", imp.Name)
			}
			if imp.Desc.Sort == component.SortType {
				if rt, ok := imp.Desc.Type.(*component.ResourceType); ok {
					if src, ok := a.typ.(*component.ResourceType); ok {
						if r := inst.resource(src); r != nil {
							inst.bind(rt, r)
						}
					}
				}
			}
			if err := fr.push(imp.Desc.Sort, a); err != nil {
				return nil, err
			}
		case component.SectionExport:
			e := &bc.Exports[d.Index]
			it, err := fr.get(e.Item)
			if err != nil {
				return nil, err
			}
			nameExported(it, e.Name)
			if err := fr.push(e.Item.Sort, it); err != nil {
				return nil, err
			}
		case component.SectionStart:
			st := bc.Start
			if len(st.Args) > 0 || st.Results > 0 {
				return nil, inst.c.unsupported("a start function that takes or returns values")
			}
			if int(st.Func) >= len(fr.funcs) {
				return nil, fmt.Errorf("start function %d out of range", st.Func)
			}
			if _, err := fr.funcs[st.Func].Call(ctx); err != nil {
				return nil, fmt.Errorf("start function: %w", err)
			}
		}
	}
	return fr, nil
}

// nameExported gives a lifted function the name it is exported under, for
// errors ("greet", "wasi:cli/run@0.2.0#run"), in place of its index.
func nameExported(it item, name string) {
	if it.fn != nil && it.fn.lifted != nil && strings.HasPrefix(it.fn.name, "func ") {
		it.fn.name = name
	}
	if it.inst != nil {
		for n, x := range it.inst.exports {
			if x.fn != nil && x.fn.lifted != nil && strings.HasPrefix(x.fn.name, "func ") {
				x.fn.name = name + "#" + n
			}
		}
	}
}

// push appends it to the index space of sort s.
func (fr *frame) push(s component.Sort, it item) error {
	switch s {
	case component.SortFunc:
		fr.funcs = append(fr.funcs, it.fn)
	case component.SortInstance:
		fr.insts = append(fr.insts, it.inst)
	case component.SortComponent:
		fr.comps = append(fr.comps, it.comp)
	case component.SortType:
		fr.types = append(fr.types, it)
	case component.SortCoreModule:
		return fr.top.c.unsupported("core modules as component imports or exports")
	default:
		return fr.top.c.unsupported("items of sort %s", s)
	}
	return nil
}

// get returns item si of the frame's index spaces.
func (fr *frame) get(si component.SortIndex) (item, error) {
	i := int(si.Index)
	switch si.Sort {
	case component.SortFunc:
		if i < len(fr.funcs) {
			return item{sort: si.Sort, fn: fr.funcs[i]}, nil
		}
	case component.SortInstance:
		if i < len(fr.insts) {
			return item{sort: si.Sort, inst: fr.insts[i]}, nil
		}
	case component.SortComponent:
		if i < len(fr.comps) {
			return item{sort: si.Sort, comp: fr.comps[i]}, nil
		}
	case component.SortType:
		if i < len(fr.types) {
			return fr.types[i], nil
		}
	default:
		return item{}, fr.top.c.unsupported("items of sort %s", si.Sort)
	}
	return item{}, fmt.Errorf("%s index %d out of range", si.Sort, si.Index)
}

// alias adds an alias's target to the frame's index spaces.
func (fr *frame) alias(a *component.Alias) error {
	if a.Sort.IsCore() {
		if a.Kind == component.AliasOuter && a.Sort == component.SortCoreModule {
			return fr.top.c.unsupported("outer aliases of core modules")
		}
		return nil // core items: their origins are in the plan
	}
	switch a.Kind {
	case component.AliasExport:
		iv := fr.insts[a.Instance]
		it, ok := iv.exports[a.Name]
		if !ok {
			return fmt.Errorf("instance %d has no export %q", a.Instance, a.Name)
		}
		return fr.push(a.Sort, it)
	case component.AliasOuter:
		anc := fr
		for n := a.Count; n > 0 && anc != nil; n-- {
			anc = anc.parent
		}
		if anc == nil {
			return fmt.Errorf("outer alias %d levels up from the outermost component", a.Count)
		}
		it, err := anc.get(component.SortIndex{Sort: a.Sort, Index: a.Index})
		if err != nil {
			return err
		}
		return fr.push(a.Sort, it)
	}
	return fmt.Errorf("alias kind %d", a.Kind)
}

// instance builds a component instance definition: a nested
// instantiation or a bundle of items.
func (fr *frame) instance(ctx context.Context, in *component.Instance) (*instanceVal, error) {
	if !in.Instantiate {
		iv := &instanceVal{exports: map[string]item{}}
		for _, e := range in.Exports {
			it, err := fr.get(e.Item)
			if err != nil {
				return nil, err
			}
			iv.exports[e.Name] = it
		}
		return iv, nil
	}
	cd := fr.comps[in.Component]
	if cd == nil {
		return nil, fr.top.c.unsupported("instantiating an imported component")
	}
	args := map[string]item{}
	for _, a := range in.Args {
		it, err := fr.get(a.Item)
		if err != nil {
			return nil, err
		}
		args[a.Name] = it
	}
	nested, err := fr.top.build(ctx, cd.c, cd.parent, args)
	if err != nil {
		return nil, err
	}
	iv := &instanceVal{exports: map[string]item{}}
	for i, e := range cd.c.Exports {
		_ = i
		it, err := nested.get(e.Item)
		if err != nil {
			return nil, err
		}
		iv.exports[e.Name] = it
	}
	return iv, nil
}

// frameKey attaches a frame to the core instances it instantiates, for
// its host functions to find.
var frameKey = engine.NewKey[*frame]("component frame")

// frameHost is the host module of a component's own core functions.
type frameHost struct{ p *plan }

func (frameHost) ModuleName() string { return hostModuleName }

func (h frameHost) Define(rt *engine.Runtime, b wazero.HostModuleBuilder) {
	for i := range h.p.hostFuncs {
		hf := &h.p.hostFuncs[i]
		params := coreTypes(hf.typ.Params)
		results := coreTypes(hf.typ.Results)
		b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
			fr, ok := frameKey.Get(ctx, rt, mod)
			if !ok {
				panic(errors.New("component host function called from outside its component"))
			}
			if err := fr.hostCall(ctx, hf, stack); err != nil {
				panic(hostPanic(err))
			}
		}), params, results).Export(hostFuncName(hf.index))
	}
}

func coreTypes(ts []wasmbin.ValType) []api.ValueType {
	out := make([]api.ValueType, len(ts))
	for i, t := range ts {
		out[i] = api.ValueType(t.Code)
	}
	return out
}

var errClosed = errors.New("component instance is closed")

// Check reports, as Instantiate would, an import of c that the Linker
// does not define, without instantiating anything.
func (l *Linker) Check(c *Component) error {
	probe := &Instance{c: c, l: l, resources: map[*component.ResourceType]*canonical.ResourceType{}}
	_, err := l.resolveImports(probe, c.bin)
	return err
}
