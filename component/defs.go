package component

import (
	"fmt"

	"github.com/wasmhive/wasmhive/internal/wasmbin"
)

// coreInstance decodes and validates a core:instance (Binary.md "Instance
// Definitions").
func (d *decoder) coreInstance(c *Component, sc *scope, r rd) error {
	off := r.Offset()
	tag, err := r.byte()
	if err != nil {
		return err
	}
	var ci CoreInstance
	it := &CoreInstanceType{}
	switch tag {
	case 0x00: // (instantiate m arg*)
		ci.Instantiate = true
		if ci.Module, err = d.index(r, sc, SortCoreModule); err != nil {
			return err
		}
		n, err := r.count("instantiation argument", 2)
		if err != nil {
			return err
		}
		args := map[string]*CoreInstanceType{}
		for range n {
			aoff := r.Offset()
			name, err := r.name()
			if err != nil {
				return err
			}
			s, err := r.byte()
			if err != nil {
				return err
			}
			// "Validation of core:instantiatearg initially only allows the instance sort."
			if s != 0x12 {
				return d.errAt(aoff, "instantiation argument %q: only core instances can be passed (sort 0x%02x)", name, s)
			}
			idx, err := d.index(r, sc, SortCoreInstance)
			if err != nil {
				return err
			}
			if _, dup := args[name]; dup {
				return d.errAt(aoff, "duplicate instantiation argument %q", name)
			}
			args[name] = sc.sp.CoreInstances[idx]
			ci.Args = append(ci.Args, CoreInstantiateArg{Name: name, Instance: idx})
		}
		mt := sc.sp.CoreModules[ci.Module]
		for _, imp := range mt.Imports {
			inst, ok := args[imp.Module]
			if !ok {
				return d.errAt(off, "instantiating core module %d: missing argument for import module %q", ci.Module, imp.Module)
			}
			got, ok := inst.Export(imp.Name)
			if !ok {
				return d.errAt(off, "instantiating core module %d: argument %q has no export %q", ci.Module, imp.Module, imp.Name)
			}
			if err := coreItemMatches(got, imp.Type); err != nil {
				return d.errAt(off, "instantiating core module %d: import %s.%s: %v", ci.Module, imp.Module, imp.Name, err)
			}
		}
		it.Exports = mt.Exports
	case 0x01: // inline exports
		n, err := r.count("core export", 3)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for range n {
			eoff := r.Offset()
			name, err := r.name()
			if err != nil {
				return err
			}
			s, err := d.coreSort(r)
			if err != nil {
				return err
			}
			idx, err := d.index(r, sc, s)
			if err != nil {
				return err
			}
			cit, ok := coreItem(s, item(sc, SortIndex{s, idx}))
			if !ok {
				return d.errAt(eoff, "core export %q: a core instance cannot export a %s", name, s)
			}
			if seen[name] {
				return d.errAt(eoff, "duplicate core export name %q", name)
			}
			seen[name] = true
			ci.Exports = append(ci.Exports, CoreInlineExport{Name: name, Item: SortIndex{s, idx}})
			it.Exports = append(it.Exports, CoreExtern{Name: name, Type: cit})
		}
	default:
		return d.errAt(off, "unknown core instance expression 0x%02x", tag)
	}
	c.Order = append(c.Order, Def{SectionCoreInstance, len(c.CoreInstances)})
	c.CoreInstances = append(c.CoreInstances, ci)
	sc.sp.CoreInstances = append(sc.sp.CoreInstances, it)
	return nil
}

// coreItemMatches checks that got can be supplied for an import of type want
// (core WebAssembly import matching).
func coreItemMatches(got, want CoreItem) error {
	if got.Kind != want.Kind {
		return fmt.Errorf("expected a %s, found a %s", want.Kind, got.Kind)
	}
	switch want.Kind {
	case wasmbin.KindFunc, wasmbin.KindTag:
		if !coreFuncEqual(got.Func, want.Func) {
			return fmt.Errorf("type mismatch: expected %s, found %s", want.Func, got.Func)
		}
	case wasmbin.KindTable:
		if got.Table.Elem != want.Table.Elem || got.Table.Table64 != want.Table.Table64 || !limitsMatch(got.Table.Limits, want.Table.Limits) {
			return fmt.Errorf("table type mismatch")
		}
	case wasmbin.KindMemory:
		if got.Memory.Shared != want.Memory.Shared || got.Memory.Memory64 != want.Memory.Memory64 ||
			got.Memory.PageSize != want.Memory.PageSize || !limitsMatch(got.Memory.Limits, want.Memory.Limits) {
			return fmt.Errorf("memory type mismatch")
		}
	case wasmbin.KindGlobal:
		if got.Global != want.Global {
			return fmt.Errorf("global type mismatch")
		}
	}
	return nil
}

func limitsMatch(got, want wasmbin.Limits) bool {
	if got.Min < want.Min {
		return false
	}
	if want.HasMax {
		return got.HasMax && got.Max <= want.Max
	}
	return true
}

func coreFuncEqual(a, b *wasmbin.FuncType) bool {
	if a == nil || b == nil {
		return a == b
	}
	return valTypesEqual(a.Params, b.Params) && valTypesEqual(a.Results, b.Results)
}

func valTypesEqual(a, b []wasmbin.ValType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// externOf infers the externdesc of an index space entry.
func externOf(sc *scope, si SortIndex) (ExternDesc, bool) {
	switch si.Sort {
	case SortCoreModule, SortFunc, SortType, SortComponent, SortInstance:
		return ExternDesc{Sort: si.Sort, Type: item(sc, si)}, true
	}
	return ExternDesc{}, false
}

// instance decodes and validates a component instance definition.
func (d *decoder) instance(c *Component, sc *scope, r rd) error {
	off := r.Offset()
	tag, err := r.byte()
	if err != nil {
		return err
	}
	var in Instance
	it := &InstanceType{}
	switch tag {
	case 0x00: // (instantiate c arg*)
		in.Instantiate = true
		if in.Component, err = d.index(r, sc, SortComponent); err != nil {
			return err
		}
		n, err := r.count("instantiation argument", 3)
		if err != nil {
			return err
		}
		args := map[string]SortIndex{}
		for range n {
			aoff := r.Offset()
			name, err := r.name()
			if err != nil {
				return err
			}
			si, err := d.sortIndex(r, sc)
			if err != nil {
				return err
			}
			if _, dup := args[name]; dup {
				return d.errAt(aoff, "duplicate instantiation argument %q", name)
			}
			args[name] = si
			in.Args = append(in.Args, InstantiateArg{Name: name, Item: si})
		}
		ct := sc.sp.Components[in.Component]
		// "Validation of instantiate requires each <importname> in c to
		// match a name in a with argument (compared as strings) and for
		// the types to match."
		s := newSubst()
		for _, imp := range ct.Imports {
			si, ok := args[imp.Name]
			if !ok {
				return d.errAt(off, "instantiating component %d: missing argument for import %q", in.Component, imp.Name)
			}
			if si.Sort != imp.Desc.Sort {
				return d.errAt(off, "instantiating component %d: argument %q is a %s, the import is a %s", in.Component, imp.Name, si.Sort, imp.Desc.Sort)
			}
			if err := argMatches(item(sc, si), imp.Desc, s); err != nil {
				return d.errAt(off, "instantiating component %d: type mismatch for import %q: %v", in.Component, imp.Name, err)
			}
		}
		it.Exports = ct.Exports
	case 0x01: // inline exports
		n, err := r.count("export", 4)
		if err != nil {
			return err
		}
		names := nameSet{}
		for range n {
			eoff := r.Offset()
			name, p, err := d.externName(r, false)
			if err != nil {
				return err
			}
			si, err := d.sortIndex(r, sc)
			if err != nil {
				return err
			}
			desc, ok := externOf(sc, si)
			if !ok {
				return d.errAt(eoff, "export %q: a %s cannot be exported from an instance", name, si.Sort)
			}
			if prev, ok := names.add(name, p); !ok {
				return d.errAt(eoff, "export name %q is not strongly-unique (conflicts with %q)", name, prev)
			}
			in.Exports = append(in.Exports, InlineExport{Name: name, Item: si})
			it.Exports = append(it.Exports, Extern{Name: name, Desc: desc})
		}
	default:
		return d.errAt(off, "unknown instance expression 0x%02x", tag)
	}
	c.Order = append(c.Order, Def{SectionInstance, len(c.Instances)})
	c.Instances = append(c.Instances, in)
	sc.sp.Instances = append(sc.sp.Instances, it)
	return nil
}

// alias decodes and validates an alias (Binary.md "Alias Definitions") and
// adds the aliased item to sc's index space.
func (d *decoder) alias(r rd, sc *scope) (Alias, error) {
	off := r.Offset()
	s, err := d.sort(r)
	if err != nil {
		return Alias{}, err
	}
	a := Alias{Sort: s}
	toff := r.Offset()
	tag, err := r.byte()
	if err != nil {
		return a, err
	}
	a.Kind = AliasKind(tag)
	switch a.Kind {
	case AliasExport:
		if s.IsCore() && s != SortCoreModule {
			return a, d.errAt(off, "an export alias of a component instance cannot have sort %s", s)
		}
		if a.Instance, err = d.index(r, sc, SortInstance); err != nil {
			return a, err
		}
		if a.Name, err = r.name(); err != nil {
			return a, err
		}
		if s == SortValue {
			return a, d.errAt(off, "values are not supported")
		}
		// "i is validated to refer to an instance in the instance index
		// space that exports n with the specified sort."
		e, ok := sc.sp.Instances[a.Instance].Export(a.Name)
		if !ok {
			return a, d.errAt(off, "instance %d has no export named %q", a.Instance, a.Name)
		}
		if e.Desc.Sort != s {
			return a, d.errAt(off, "export %q of instance %d is a %s, not a %s", a.Name, a.Instance, e.Desc.Sort, s)
		}
		push(sc, s, e.Desc.Type)
	case AliasCoreExport:
		if _, ok := kindOfSort(s); !ok {
			return a, d.errAt(off, "a core export alias cannot have sort %s", s)
		}
		if a.Instance, err = d.index(r, sc, SortCoreInstance); err != nil {
			return a, err
		}
		if a.Name, err = r.name(); err != nil {
			return a, err
		}
		ci, ok := sc.sp.CoreInstances[a.Instance].Export(a.Name)
		if !ok {
			return a, d.errAt(off, "core instance %d has no export named %q", a.Instance, a.Name)
		}
		if kindSorts[ci.Kind] != s {
			return a, d.errAt(off, "export %q of core instance %d is a core %s, not a %s", a.Name, a.Instance, ci.Kind, s)
		}
		push(sc, s, ci.typ())
	case AliasOuter:
		if a.Count, err = r.u32(); err != nil {
			return a, err
		}
		ioff := r.Offset()
		if a.Index, err = r.u32(); err != nil {
			return a, err
		}
		// "validation restricts the sort to one of type, module or component"
		// (and core type).
		switch s {
		case SortType, SortCoreType, SortCoreModule, SortComponent:
		default:
			return a, d.errAt(off, "an outer alias cannot have sort %s (only type, core type, core module, component)", s)
		}
		// "ct is validated to be less or equal than the number of enclosing components"
		target := sc
		crossesComponent := false
		for i := uint32(0); i < a.Count; i++ {
			if target.kind == scopeComponent {
				crossesComponent = true
			}
			target = target.parent
			if target == nil {
				return a, d.errAt(off, "outer alias count %d is larger than the number of enclosing scopes", a.Count)
			}
		}
		if n := target.sp.Len(s); uint64(a.Index) >= uint64(n) {
			return a, d.errAt(ioff, "outer alias: %s index %d out of bounds (%d defined)", s, a.Index, n)
		}
		t := item(target, SortIndex{s, a.Index})
		if s == SortType && crossesComponent && usesResources(t.(Type), map[any]bool{}) {
			// "additionally requires that the outer-aliased type is not a resource type (which is generative)"
			return a, d.errAt(off, "outer alias of type %d: a type that refers to resources cannot be aliased into a nested component", a.Index)
		}
		push(sc, s, t)
	default:
		return a, d.errAt(toff, "unknown alias target 0x%02x", tag)
	}
	return a, nil
}

func kindOfSort(s Sort) (wasmbin.ExternKind, bool) {
	for k, ks := range kindSorts {
		if ks == s {
			return k, true
		}
	}
	return 0, false
}

// usesResources reports whether t refers to any resource type.
func usesResources(t any, seen map[any]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t := t.(type) {
	case *ResourceType:
		return true
	case *ValueType:
		if t.Resource != nil {
			return true
		}
		for _, f := range t.Fields {
			if usesResources(f.Type, seen) {
				return true
			}
		}
		for _, c := range t.Cases {
			if c.Type != nil && usesResources(c.Type, seen) {
				return true
			}
		}
		for _, e := range t.Types {
			if usesResources(e, seen) {
				return true
			}
		}
		for _, e := range []*ValueType{t.Elem, t.OK, t.Err} {
			if e != nil && usesResources(e, seen) {
				return true
			}
		}
	case *FuncType:
		for _, p := range t.Params {
			if usesResources(p.Type, seen) {
				return true
			}
		}
		return t.Result != nil && usesResources(t.Result, seen)
	case *InstanceType:
		for _, e := range t.Exports {
			if e.Desc.Type != nil && usesResources(e.Desc.Type, seen) {
				return true
			}
		}
	case *ComponentType:
		for _, e := range append(append([]Extern{}, t.Imports...), t.Exports...) {
			if e.Desc.Type != nil && usesResources(e.Desc.Type, seen) {
				return true
			}
		}
	}
	return false
}

// start decodes and validates the start definition (Binary.md "Start
// Definitions": "Validation requires f have functype with param arity and
// types matching arg* and result arity r").
func (d *decoder) start(c *Component, sc *scope, r rd) error {
	off := r.Offset()
	if c.Start != nil {
		return d.errAt(off, "a component cannot have more than one start function")
	}
	f, err := d.index(r, sc, SortFunc)
	if err != nil {
		return err
	}
	n, err := r.count("start argument", 1)
	if err != nil {
		return err
	}
	st := &Start{Func: f}
	for range n {
		v, err := d.index(r, sc, SortValue)
		if err != nil {
			return err
		}
		st.Args = append(st.Args, v)
	}
	if st.Results, err = r.u32(); err != nil {
		return err
	}
	ft := sc.sp.Funcs[f]
	if len(ft.Params) != len(st.Args) {
		return d.errAt(off, "start function %d takes %d parameters, %d arguments given", f, len(ft.Params), len(st.Args))
	}
	want := uint32(0)
	if ft.Result != nil {
		want = 1
	}
	if st.Results != want {
		return d.errAt(off, "start function %d has %d results, the start definition says %d", f, want, st.Results)
	}
	if st.Results > 0 {
		return d.errAt(off, "start function results are values, which are not supported")
	}
	c.Start = st
	c.Order = append(c.Order, Def{SectionStart, 0})
	return nil
}

// externName reads an importname' or exportname' and checks its grammar.
func (d *decoder) externName(r rd, imp bool) (string, ParsedName, error) {
	off := r.Offset()
	tag, err := r.byte()
	if err != nil {
		return "", ParsedName{}, err
	}
	if tag > 0x01 {
		return "", ParsedName{}, d.errAt(off, "unknown name encoding 0x%02x", tag)
	}
	name, err := r.name()
	if err != nil {
		return "", ParsedName{}, err
	}
	var p ParsedName
	if imp {
		p, err = ParseImportName(name)
	} else {
		p, err = ParseExportName(name)
	}
	if err != nil {
		what := "export"
		if imp {
			what = "import"
		}
		return "", ParsedName{}, d.errAt(off, "invalid %s name %v", what, err)
	}
	return name, p, nil
}

// declareExtern checks and records an import or export of sc (a
// component, component type or instance type): name uniqueness, annotated
// names, and resource names.
func (d *decoder) declareExtern(sc *scope, off int, name string, p ParsedName, desc ExternDesc, imp bool) error {
	set, what := sc.exports, "export"
	if imp {
		set, what = sc.imports, "import"
	}
	if prev, ok := set.add(name, p); !ok {
		return d.errAt(off, "%s name %q is not strongly-unique (conflicts with %q)", what, name, prev)
	}
	if err := d.checkAnnotated(sc, off, name, p, desc); err != nil {
		return err
	}
	if err := d.checkNamed(sc, off, desc, imp); err != nil {
		return err
	}
	if desc.Sort == SortType && p.Kind == NamePlain {
		if rt, ok := desc.Type.(*ResourceType); ok {
			if rt.Name == "" {
				rt.Name = name
			}
			sc.resources[p.Label] = rt
		}
	}
	// Binary.md also says "validation of components and component types
	// rejects any transitive use of borrow in an exported value type";
	// wasm-tools (and so Wasmtime) does not enforce it, nor does this package.
	e := Extern{Name: name, Desc: desc}
	if imp {
		sc.importsX = append(sc.importsX, e)
	} else {
		sc.exportsX = append(sc.exportsX, e)
	}
	return nil
}

// checkAnnotated applies Binary.md's rules for annotated plainnames: only
// on funcs; the resource label must name a preceding resource import or
// export of the same scope; [constructor] returns (own R) (or a result
// whose ok type is (own R)); [method] takes (param "self" (borrow R)) first.
func (d *decoder) checkAnnotated(sc *scope, off int, name string, p ParsedName, desc ExternDesc) error {
	if !p.Annotated() {
		return nil
	}
	if desc.Sort != SortFunc {
		return d.errAt(off, "%q: annotated names are only allowed on functions, not on a %s", name, desc.Sort)
	}
	if p.Kind == NameAsync {
		return nil
	}
	rt, ok := sc.resources[p.Resource]
	if !ok {
		return d.errAt(off, "%q: no resource %q is imported or exported before it in this scope", name, p.Resource)
	}
	ft, _ := desc.Type.(*FuncType)
	if ft == nil {
		return nil
	}
	switch p.Kind {
	case NameConstructor:
		res := ft.Result
		if res != nil && res.Kind == Result && res.OK != nil {
			res = res.OK
		}
		if res == nil || res.Kind != Own || !SameResource(res.Resource, rt) {
			return d.errAt(off, "%q: a constructor must return (own %s)", name, p.Resource)
		}
	case NameMethod, NameAsyncMethod:
		if len(ft.Params) == 0 || ft.Params[0].Name != "self" || ft.Params[0].Type.Kind != Borrow || !SameResource(ft.Params[0].Type.Resource, rt) {
			return d.errAt(off, "%q: a method's first parameter must be (param \"self\" (borrow %s))", name, p.Resource)
		}
	}
	return nil
}

// importDef decodes and validates a component import.
func (d *decoder) importDef(c *Component, sc *scope, r rd) error {
	off := r.Offset()
	name, p, err := d.externName(r, true)
	if err != nil {
		return err
	}
	desc, err := d.externDesc(r, sc)
	if err != nil {
		return err
	}
	if err := d.declareExtern(sc, off, name, p, desc, true); err != nil {
		return err
	}
	push(sc, desc.Sort, desc.Type)
	c.Order = append(c.Order, Def{SectionImport, len(c.Imports)})
	c.Imports = append(c.Imports, Import{Name: name, Parsed: p, Desc: desc})
	return nil
}

// exportDef decodes and validates a component export ("All exports (of all
// sorts) introduce a new index that aliases the exported definition").
func (d *decoder) exportDef(c *Component, sc *scope, r rd) error {
	off := r.Offset()
	name, p, err := d.externName(r, false)
	if err != nil {
		return err
	}
	si, err := d.sortIndex(r, sc)
	if err != nil {
		return err
	}
	// "Validation requires any exported sortidx to have a valid externdesc
	// (which disallows core sorts other than core module)."
	desc, ok := externOf(sc, si)
	if !ok {
		return d.errAt(off, "export %q: a %s cannot be exported", name, si.Sort)
	}
	if si.Sort == SortType {
		desc.Type = named(desc.Type.(Type))
	}
	ex := Export{Name: name, Parsed: p, Item: si}
	aoff := r.Offset()
	opt, err := r.byte()
	if err != nil {
		return err
	}
	switch opt {
	case 0x00:
	case 0x01:
		asc, err := d.externDesc(r, sc)
		if err != nil {
			return err
		}
		// The ascribed type must be a supertype of the inferred one: the
		// sort must agree and, for an eq type bound, the type itself.
		if asc.Sort != si.Sort {
			return d.errAt(aoff, "export %q: ascribed type is a %s, the exported item a %s", name, asc.Sort, si.Sort)
		}
		if si.Sort == SortType {
			rt, isRes := desc.Type.(*ResourceType)
			art, ascRes := asc.Type.(*ResourceType)
			switch {
			case asc.SubResource && !isRes:
				return d.errAt(aoff, "export %q: ascribed (sub resource) but the exported type is not a resource", name)
			case asc.SubResource:
				asc.Type = desc.Type // the exported resource, under the new name
			case isRes && (!ascRes || !SameResource(rt, art)):
				return d.errAt(aoff, "export %q: ascribed type does not match the exported resource", name)
			}
		}
		// "When the optional externdesc immediate is present, validation
		// requires it to be a supertype of the inferred externdesc of the sortidx."
		if si.Sort != SortType {
			if err := argMatches(item(sc, si), asc, newSubst()); err != nil {
				return d.errAt(aoff, "export %q: the ascribed type does not match the item: %v", name, err)
			}
		} else if !asc.SubResource {
			if err := typeMatches(item(sc, si).(Type), asc.Type.(Type), newSubst()); err != nil {
				return d.errAt(aoff, "export %q: the ascribed type does not match the item: %v", name, err)
			}
		}
		ex.Desc = &asc
		// The export has the ascribed type (a supertype of the item's).
		desc = asc
	default:
		return d.errAt(aoff, "malformed export type ascription 0x%02x", opt)
	}
	if err := d.declareExtern(sc, off, name, p, desc, false); err != nil {
		return err
	}
	push(sc, si.Sort, desc.Type)
	c.Order = append(c.Order, Def{SectionExport, len(c.Exports)})
	c.Exports = append(c.Exports, ex)
	return nil
}
