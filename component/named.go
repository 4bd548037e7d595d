package component

// The naming rule of imports and exports, as wasm-tools validates it
// (Binary.md: "Validation requires that all resource types transitively
// used in the type of an export are introduced by a preceding importdecl
// or exportdecl"; wasm-tools extends it to records, variants, flags and
// enums, which bindings need names for): in a component or component type,
// every such type an import or export uses must itself have been imported
// (for imports) or imported or exported (for exports) before. Tuples, lists, options,
// results and primitives may stay anonymous. Instance types are not checked.
func (d *decoder) checkNamed(sc *scope, off int, desc ExternDesc, imp bool) error {
	if sc.kind == scopeInstanceType {
		return nil
	}
	set, what := sc.namedExports, "export"
	if imp {
		set, what = sc.namedImports, "import"
	}
	// Imported types are named for exports too (a component may re-export
	// what it imports); register into both sets.
	register := func(t any) {
		set[t] = true
		if imp {
			sc.namedExports[t] = true
		}
	}
	if it, isInst := desc.Type.(*InstanceType); isInst {
		// The types an instance exports name the types its functions use.
		for _, e := range it.Exports {
			if e.Desc.Sort == SortType {
				register(e.Desc.Type)
			}
		}
	}
	ok := true
	switch t := desc.Type.(type) {
	case *ValueType:
		ok = definedNamed(t, set)
	case *FuncType:
		ok = funcNamed(t, set)
	case *InstanceType:
		ok = instanceNamed(t, set)
	}
	if !ok {
		return d.errAt(off, "%s not valid to be used as %s: a record, variant, flags, enum or resource it uses is not %sed by name first", desc.Sort, what, what)
	}
	switch t := desc.Type.(type) {
	case *ValueType, *ResourceType:
		register(t)
	}
	return nil
}

func funcNamed(ft *FuncType, set map[any]bool) bool {
	for _, p := range ft.Params {
		if !valNamed(p.Type, set) {
			return false
		}
	}
	return ft.Result == nil || valNamed(ft.Result, set)
}

func instanceNamed(it *InstanceType, set map[any]bool) bool {
	for _, e := range it.Exports {
		switch t := e.Desc.Type.(type) {
		case *FuncType:
			if !funcNamed(t, set) {
				return false
			}
		case *ValueType:
			if !definedNamed(t, set) {
				return false
			}
		case *InstanceType:
			if !instanceNamed(t, set) {
				return false
			}
		}
	}
	return true
}

// definedNamed checks the types a defined value type refers to.
func definedNamed(vt *ValueType, set map[any]bool) bool {
	switch vt.Kind {
	case Own, Borrow:
		return set[vt.Resource]
	}
	for _, f := range vt.Fields {
		if !valNamed(f.Type, set) {
			return false
		}
	}
	for _, c := range vt.Cases {
		if c.Type != nil && !valNamed(c.Type, set) {
			return false
		}
	}
	for _, t := range vt.Types {
		if !valNamed(t, set) {
			return false
		}
	}
	for _, t := range []*ValueType{vt.Elem, vt.OK, vt.Err} {
		if t != nil && !valNamed(t, set) {
			return false
		}
	}
	return true
}

// valNamed checks a value type used by reference: records, variants,
// flags and enums must be named themselves. Anonymous types found fine are
// remembered in set under a key of their own, so shared types are
// checked once.
func valNamed(vt *ValueType, set map[any]bool) bool {
	switch vt.Kind {
	case Record, Variant, Flags, Enum:
		return set[vt]
	}
	if vt.Kind.Primitive() || set[anonOK{vt}] {
		return true
	}
	if !definedNamed(vt, set) {
		return false
	}
	set[anonOK{vt}] = true
	return true
}

// anonOK marks an anonymous value type whose parts are all named.
type anonOK struct{ vt *ValueType }
