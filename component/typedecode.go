package component

import (
	"strings"

	"github.com/wasmhive/wasmhive/internal/wasmbin"
)

// maxFlags is the most labels a flags type may have (Binary.md: flags l+ with 0 < |l*| <= 32).
const maxFlags = 32

// coreType decodes a core:type (Binary.md "Type Definitions"): a core
// function type or a core module type. inModuleType rejects nested module types.
func (d *decoder) coreType(r rd, sc *scope, inModuleType bool) (any, error) {
	off := r.Offset()
	b, err := r.peek()
	if err != nil {
		return nil, err
	}
	switch b {
	case 0x60:
		td, err := r.CompType()
		if err != nil {
			return nil, d.wrap(err)
		}
		ft := td.Func
		return &ft, nil
	case 0x50:
		if inModuleType {
			// "Validation of core:moduledecl rejects core:moduletype definitions ... inside type declarators."
			return nil, d.errAt(off, "core module types cannot be nested")
		}
		_, _ = r.byte()
		return d.moduleType(r, sc)
	case 0x5f, 0x5e, 0x4e, 0x4f:
		return nil, d.errAt(off, "GC core types (struct, array, rec, sub) are not supported")
	}
	return nil, d.errAt(off, "unknown core type 0x%02x", b)
}

// moduleType decodes a core:moduletype body, validated with an
// initially-empty core type index space.
func (d *decoder) moduleType(r rd, sc *scope) (*CoreModuleType, error) {
	n, err := r.count("module type declarator", 1)
	if err != nil {
		return nil, err
	}
	mt := &CoreModuleType{}
	var types []any
	exports := map[string]bool{}
	for range n {
		off := r.Offset()
		tag, err := r.byte()
		if err != nil {
			return nil, err
		}
		switch tag {
		case 0x00: // core:import
			mod, err := r.name()
			if err != nil {
				return nil, err
			}
			name, err := r.name()
			if err != nil {
				return nil, err
			}
			ci, err := d.coreImportDesc(r, types)
			if err != nil {
				return nil, err
			}
			mt.Imports = append(mt.Imports, CoreImport{Module: mod, Name: name, Type: ci})
		case 0x01: // core:type
			t, err := d.coreType(r, sc, true)
			if err != nil {
				return nil, err
			}
			types = append(types, t)
		case 0x02: // core:alias: only outer type aliases
			s, err := d.coreSort(r)
			if err != nil {
				return nil, err
			}
			t, err := r.byte()
			if err != nil {
				return nil, err
			}
			if s != SortCoreType || t != 0x01 {
				return nil, d.errAt(off, "module type declarators only allow outer aliases of core types")
			}
			ct, err := r.u32()
			if err != nil {
				return nil, err
			}
			idx, err := r.u32()
			if err != nil {
				return nil, err
			}
			switch ct {
			case 0:
				if uint64(idx) >= uint64(len(types)) {
					return nil, d.errAt(off, "outer alias: core type index %d out of bounds (%d defined)", idx, len(types))
				}
				types = append(types, types[idx])
			case 1:
				if uint64(idx) >= uint64(len(sc.sp.CoreTypes)) {
					return nil, d.errAt(off, "outer alias: core type index %d out of bounds (%d defined)", idx, len(sc.sp.CoreTypes))
				}
				t := sc.sp.CoreTypes[idx]
				if _, ok := t.(*CoreModuleType); ok {
					return nil, d.errAt(off, "outer alias of a core module type into a module type")
				}
				types = append(types, t)
			default:
				return nil, d.errAt(off, "outer alias count %d is larger than the number of enclosing scopes", ct)
			}
		case 0x03: // core:exportdecl
			name, err := r.name()
			if err != nil {
				return nil, err
			}
			ci, err := d.coreImportDesc(r, types)
			if err != nil {
				return nil, err
			}
			if exports[name] {
				return nil, d.errAt(off, "duplicate export name %q in module type", name)
			}
			exports[name] = true
			mt.Exports = append(mt.Exports, CoreExtern{Name: name, Type: ci})
		default:
			return nil, d.errAt(off, "unknown module type declarator 0x%02x", tag)
		}
	}
	return mt, nil
}

// coreImportDesc decodes a core:importdesc whose type indices refer to types.
func (d *decoder) coreImportDesc(r rd, types []any) (CoreItem, error) {
	off := r.Offset()
	k, err := r.byte()
	if err != nil {
		return CoreItem{}, err
	}
	ci := CoreItem{Kind: wasmbin.ExternKind(k)}
	switch ci.Kind {
	case wasmbin.KindFunc, wasmbin.KindTag:
		var idx uint32
		if ci.Kind == wasmbin.KindTag {
			idx, err = r.Tag()
			err = d.wrap(err)
		} else {
			idx, err = r.u32()
		}
		if err != nil {
			return ci, err
		}
		if uint64(idx) >= uint64(len(types)) {
			return ci, d.errAt(off, "core type index %d out of bounds (%d defined)", idx, len(types))
		}
		ft, ok := types[idx].(*wasmbin.FuncType)
		if !ok {
			return ci, d.errAt(off, "core type %d is not a function type", idx)
		}
		ci.Func = ft
	case wasmbin.KindTable:
		ci.Table, err = r.Table()
	case wasmbin.KindMemory:
		ci.Memory, err = r.Memory()
	case wasmbin.KindGlobal:
		ci.Global, err = r.GlobalType()
	default:
		return ci, d.errAt(off, "unknown core import kind 0x%02x", k)
	}
	return ci, d.wrap(err)
}

// defType decodes a type definition (Binary.md "deftype") in sc.
func (d *decoder) defType(r rd, sc *scope) (Type, error) {
	off := r.Offset()
	b, err := r.peek()
	if err != nil {
		return nil, err
	}
	switch b {
	case 0x40, 0x43:
		_, _ = r.byte()
		return d.funcType(r, sc, b == 0x43)
	case 0x41, 0x42:
		_, _ = r.byte()
		if sc.depth >= maxNesting {
			return nil, d.errAt(off, "types nested more than %d deep are not supported", maxNesting)
		}
		return d.declTypes(r, sc, b == 0x41)
	case 0x3f, 0x3e:
		_, _ = r.byte()
		// "Validation rejects resourcetype type definitions inside
		// componenttype and instancetype."
		if sc.kind != scopeComponent {
			return nil, d.errAt(off, "resource types cannot be defined in a component or instance type")
		}
		if b == 0x3e {
			return nil, d.errAt(off, "resource types with async destructors are not supported")
		}
		rep, err := r.byte()
		if err != nil {
			return nil, err
		}
		if rep != 0x7f {
			return nil, d.errAt(off, "resource representation 0x%02x is not supported (only i32, 0x7f)", rep)
		}
		rt := &ResourceType{Defined: true}
		has, err := d.optional(r)
		if err != nil {
			return nil, err
		}
		if has {
			foff := r.Offset()
			f, err := d.index(r, sc, SortCoreFunc)
			if err != nil {
				return nil, err
			}
			// "Validation of resourcetype requires the destructor (if present) to have type [i32] -> []."
			if ft := sc.sp.CoreFuncs[f]; !coreFuncEqual(ft, &wasmbin.FuncType{Params: []wasmbin.ValType{{Code: wasmbin.I32}}}) {
				return nil, d.errAt(foff, "resource destructor (core func %d) has type %s, want (i32)", f, ft)
			}
			rt.Dtor = &f
		}
		sc.local[rt] = true
		return rt, nil
	}
	return d.defValType(r, sc)
}

// optional reads the <T>? prefix: 0x00 absent, 0x01 present.
func (d *decoder) optional(r rd) (bool, error) {
	off := r.Offset()
	b, err := r.byte()
	if err != nil {
		return false, err
	}
	switch b {
	case 0x00:
		return false, nil
	case 0x01:
		return true, nil
	}
	return false, d.errAt(off, "malformed optional 0x%02x (want 0x00 or 0x01)", b)
}

// label reads a label' and checks it is kebab-case and unique (compared
// case-insensitively) among seen.
func (d *decoder) label(r rd, what string, seen map[string]bool) (string, error) {
	off := r.Offset()
	l, err := r.name()
	if err != nil {
		return "", err
	}
	if !IsLabel(l) {
		return "", d.errAt(off, "%s name %q is not a kebab-case label", what, l)
	}
	k := strings.ToLower(l)
	if seen[k] {
		return "", d.errAt(off, "duplicate %s name %q", what, l)
	}
	seen[k] = true
	return l, nil
}

// defValType decodes a defvaltype.
func (d *decoder) defValType(r rd, sc *scope) (*ValueType, error) {
	off := r.Offset()
	b, err := r.byte()
	if err != nil {
		return nil, err
	}
	if k, ok := primCodes[b]; ok {
		return Prim(k), nil
	}
	switch b {
	case 0x72: // record
		n, err := r.count("record field", 2)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, d.errAt(off, "a record must have at least one field")
		}
		vt := &ValueType{Kind: Record}
		seen := map[string]bool{}
		for range n {
			l, err := d.label(r, "field", seen)
			if err != nil {
				return nil, err
			}
			t, err := d.valType(r, sc)
			if err != nil {
				return nil, err
			}
			vt.Fields = append(vt.Fields, Field{l, t})
		}
		return vt, nil
	case 0x71: // variant
		n, err := r.count("variant case", 3)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, d.errAt(off, "a variant must have at least one case")
		}
		vt := &ValueType{Kind: Variant}
		seen := map[string]bool{}
		for range n {
			l, err := d.label(r, "case", seen)
			if err != nil {
				return nil, err
			}
			t, err := d.optValType(r, sc)
			if err != nil {
				return nil, err
			}
			roff := r.Offset()
			refines, err := r.byte()
			if err != nil {
				return nil, err
			}
			if refines != 0x00 {
				return nil, d.errAt(roff, "variant case %q: refines (0x%02x) is not supported; want 0x00", l, refines)
			}
			vt.Cases = append(vt.Cases, Case{l, t})
		}
		return vt, nil
	case 0x70, 0x6b: // list, option
		t, err := d.valType(r, sc)
		if err != nil {
			return nil, err
		}
		k := List
		if b == 0x6b {
			k = Option
		}
		return &ValueType{Kind: k, Elem: t}, nil
	case 0x67: // fixed-size list
		t, err := d.valType(r, sc)
		if err != nil {
			return nil, err
		}
		loff := r.Offset()
		n, err := r.u32()
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, d.errAt(loff, "a fixed-size list must have a non-zero length")
		}
		return &ValueType{Kind: FixedList, Elem: t, Len: n}, nil
	case 0x6f: // tuple
		n, err := r.count("tuple element", 1)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, d.errAt(off, "a tuple must have at least one element")
		}
		vt := &ValueType{Kind: Tuple}
		for range n {
			t, err := d.valType(r, sc)
			if err != nil {
				return nil, err
			}
			vt.Types = append(vt.Types, t)
		}
		return vt, nil
	case 0x6e, 0x6d: // flags, enum
		k, what := Flags, "flag"
		if b == 0x6d {
			k, what = Enum, "enum case"
		}
		n, err := r.count(what, 1)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, d.errAt(off, "a %s type must have at least one label", k)
		}
		if k == Flags && n > maxFlags {
			return nil, d.errAt(off, "a flags type can have at most %d flags, this one has %d", maxFlags, n)
		}
		vt := &ValueType{Kind: k}
		seen := map[string]bool{}
		for range n {
			l, err := d.label(r, what, seen)
			if err != nil {
				return nil, err
			}
			vt.Labels = append(vt.Labels, l)
		}
		return vt, nil
	case 0x6a: // result
		ok, err := d.optValType(r, sc)
		if err != nil {
			return nil, err
		}
		e, err := d.optValType(r, sc)
		if err != nil {
			return nil, err
		}
		return &ValueType{Kind: Result, OK: ok, Err: e}, nil
	case 0x69, 0x68: // own, borrow
		ioff := r.Offset()
		i, err := d.index(r, sc, SortType)
		if err != nil {
			return nil, err
		}
		rt, ok := sc.sp.Types[i].(*ResourceType)
		k := Own
		if b == 0x68 {
			k = Borrow
		}
		// "Validation of own and borrow requires the typeidx to refer to a resource type."
		if !ok {
			return nil, d.errAt(ioff, "%s of type %d, which is not a resource type", k, i)
		}
		return &ValueType{Kind: k, Resource: rt}, nil
	case 0x66, 0x65: // stream, future (🔀)
		t, err := d.optValType(r, sc)
		if err != nil {
			return nil, err
		}
		k := Stream
		if b == 0x65 {
			k = Future
		}
		return &ValueType{Kind: k, Elem: t}, nil
	}
	return nil, d.errAt(off, "unknown defined type 0x%02x", b)
}

func (d *decoder) optValType(r rd, sc *scope) (*ValueType, error) {
	has, err := d.optional(r)
	if err != nil || !has {
		return nil, err
	}
	return d.valType(r, sc)
}

// valType decodes a valtype: a primitive, or a type index that
// ("Validation of valtype requires the typeidx to refer to a defvaltype")
// must name a defined value type.
func (d *decoder) valType(r rd, sc *scope) (*ValueType, error) {
	off := r.Offset()
	b, err := r.peek()
	if err != nil {
		return nil, err
	}
	if k, ok := primCodes[b]; ok {
		_, _ = r.byte()
		return Prim(k), nil
	}
	v, err := r.S33()
	if err != nil {
		return nil, d.wrap(err)
	}
	if v < 0 {
		return nil, d.errAt(off, "unknown value type 0x%02x", b)
	}
	if v >= int64(len(sc.sp.Types)) {
		return nil, d.errAt(off, "type index %d out of bounds (%d defined)", v, len(sc.sp.Types))
	}
	vt, ok := sc.sp.Types[v].(*ValueType)
	if !ok {
		return nil, d.errAt(off, "type %d is not a value type", v)
	}
	return vt, nil
}

// funcType decodes a functype; "Validation of functype rejects any
// transitive use of borrow in a result type."
func (d *decoder) funcType(r rd, sc *scope, async bool) (*FuncType, error) {
	ft := &FuncType{Async: async}
	n, err := r.count("parameter", 2)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for range n {
		l, err := d.label(r, "parameter", seen)
		if err != nil {
			return nil, err
		}
		t, err := d.valType(r, sc)
		if err != nil {
			return nil, err
		}
		ft.Params = append(ft.Params, Param{l, t})
	}
	off := r.Offset()
	b, err := r.byte()
	if err != nil {
		return nil, err
	}
	switch b {
	case 0x00:
		roff := r.Offset()
		if ft.Result, err = d.valType(r, sc); err != nil {
			return nil, err
		}
		if containsBorrow(ft.Result, map[*ValueType]bool{}) {
			return nil, d.errAt(roff, "a function result cannot contain borrow")
		}
	case 0x01:
		z, err := r.byte()
		if err != nil {
			return nil, err
		}
		if z != 0x00 {
			return nil, d.errAt(off, "named function results are not supported (result list 0x01 0x%02x)", z)
		}
	default:
		return nil, d.errAt(off, "malformed function result list 0x%02x", b)
	}
	return ft, nil
}

func containsBorrow(vt *ValueType, seen map[*ValueType]bool) bool {
	if vt == nil || seen[vt] {
		return false
	}
	seen[vt] = true
	if vt.Kind == Borrow {
		return true
	}
	for _, f := range vt.Fields {
		if containsBorrow(f.Type, seen) {
			return true
		}
	}
	for _, c := range vt.Cases {
		if containsBorrow(c.Type, seen) {
			return true
		}
	}
	for _, t := range vt.Types {
		if containsBorrow(t, seen) {
			return true
		}
	}
	if vt.Kind == Stream || vt.Kind == Future {
		return false // a stream or future has its own ownership
	}
	return containsBorrow(vt.Elem, seen) || containsBorrow(vt.OK, seen) || containsBorrow(vt.Err, seen)
}

// declTypes decodes a componenttype (comp) or instancetype body: its
// declarators, validated in a fresh scope whose parent is sc.
func (d *decoder) declTypes(r rd, sc *scope, comp bool) (Type, error) {
	kind := scopeInstanceType
	if comp {
		kind = scopeComponentType
	}
	ts := newScope(kind, sc)
	n, err := r.count("declarator", 1)
	if err != nil {
		return nil, err
	}
	var decls []Decl
	for range n {
		off := r.Offset()
		tag, err := r.byte()
		if err != nil {
			return nil, err
		}
		dc := Decl{Kind: DeclKind(tag)}
		switch dc.Kind {
		case DeclCoreType:
			if dc.CoreType, err = d.coreType(r, ts, false); err != nil {
				return nil, err
			}
			ts.sp.CoreTypes = append(ts.sp.CoreTypes, dc.CoreType)
		case DeclType:
			if dc.Type, err = d.defType(r, ts); err != nil {
				return nil, err
			}
			ts.sp.Types = append(ts.sp.Types, dc.Type)
		case DeclAlias:
			a, err := d.alias(r, ts)
			if err != nil {
				return nil, err
			}
			// "Validation of instancedecl (currently) only allows the type
			// and instance sorts in alias declarators" (core types for outer aliases).
			if a.Sort != SortType && a.Sort != SortInstance && a.Sort != SortCoreType {
				return nil, d.errAt(off, "alias declarators can only alias types and instances, not a %s", a.Sort)
			}
			dc.Alias = &a
		case DeclImport, DeclExport:
			imp := dc.Kind == DeclImport
			if imp && !comp {
				return nil, d.errAt(off, "import declarators are not allowed in instance types")
			}
			noff := r.Offset()
			name, p, err := d.externName(r, imp)
			if err != nil {
				return nil, err
			}
			desc, err := d.externDesc(r, ts)
			if err != nil {
				return nil, err
			}
			if err := d.declareExtern(ts, noff, name, p, desc, imp); err != nil {
				return nil, err
			}
			push(ts, desc.Sort, desc.Type)
			dc.Extern = Extern{Name: name, Desc: desc}
		default:
			return nil, d.errAt(off, "unknown declarator 0x%02x", tag)
		}
		decls = append(decls, dc)
	}
	if comp {
		return &ComponentType{Imports: ts.importsX, Exports: ts.exportsX, Decls: decls}, nil
	}
	return &InstanceType{Exports: ts.exportsX, Decls: decls}, nil
}

// externDesc decodes an externdesc; "Validation of externdesc requires the
// various typeidx type constructors to match the preceding sort."
func (d *decoder) externDesc(r rd, sc *scope) (ExternDesc, error) {
	off := r.Offset()
	k, err := r.byte()
	if err != nil {
		return ExternDesc{}, err
	}
	var ed ExternDesc
	switch k {
	case 0x00:
		s, err := r.byte()
		if err != nil {
			return ed, err
		}
		if s != 0x11 {
			return ed, d.errAt(off, "malformed core module type reference (0x00 0x%02x, want 0x00 0x11)", s)
		}
		ed.Sort = SortCoreModule
		if ed.TypeIndex, err = d.index(r, sc, SortCoreType); err != nil {
			return ed, err
		}
		mt, ok := sc.sp.CoreTypes[ed.TypeIndex].(*CoreModuleType)
		if !ok {
			return ed, d.errAt(off, "core type %d is not a module type", ed.TypeIndex)
		}
		ed.Type = mt
	case 0x01, 0x04, 0x05:
		ed.Sort = map[byte]Sort{0x01: SortFunc, 0x04: SortComponent, 0x05: SortInstance}[k]
		if ed.TypeIndex, err = d.index(r, sc, SortType); err != nil {
			return ed, err
		}
		t := sc.sp.Types[ed.TypeIndex]
		var ok bool
		switch ed.Sort {
		case SortFunc:
			_, ok = t.(*FuncType)
		case SortComponent:
			_, ok = t.(*ComponentType)
		case SortInstance:
			_, ok = t.(*InstanceType)
		}
		if !ok {
			return ed, d.errAt(off, "type %d is not a %s type", ed.TypeIndex, ed.Sort)
		}
		ed.Type = t
	case 0x02:
		return ed, d.errAt(off, "value imports and exports are not supported")
	case 0x03:
		ed.Sort = SortType
		boff := r.Offset()
		b, err := r.byte()
		if err != nil {
			return ed, err
		}
		switch b {
		case 0x00: // (eq i)
			if ed.TypeIndex, err = d.index(r, sc, SortType); err != nil {
				return ed, err
			}
			ed.Type = named(sc.sp.Types[ed.TypeIndex])
		case 0x01: // (sub resource): a fresh abstract resource type
			ed.SubResource = true
			ed.Type = &ResourceType{}
		default:
			return ed, d.errAt(boff, "malformed type bound 0x%02x", b)
		}
	default:
		return ed, d.errAt(off, "unknown extern kind 0x%02x", k)
	}
	return ed, nil
}
