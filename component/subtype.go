package component

import "fmt"

// Subtyping of instantiation arguments (Binary.md: "Validation of
// instantiate requires each <importname> in c to match a name in a with
// argument (compared as strings) and for the types to match", and "after
// each individual type-import is supplied via with, the actual type
// supplied is immediately substituted for all uses of the import").
// Value types match structurally (names included); resources by identity,
// through subst, which maps the instantiated component's imported
// (sub resource) types to the resources supplied for them.
// Pairs of value types already found to match are remembered, so shared
// (DAG-shaped) types are compared in linear time.
type subst struct {
	res  map[*ResourceType]*ResourceType
	seen map[[2]*ValueType]bool
}

func newSubst() subst {
	return subst{res: map[*ResourceType]*ResourceType{}, seen: map[[2]*ValueType]bool{}}
}

func (s subst) sameRes(want, got *ResourceType) bool {
	w := want.Root()
	if r, ok := s.res[w]; ok {
		w = r
	}
	return w == got.Root()
}

// argMatches checks that the item of type got can be supplied for an
// import described by want.
func argMatches(got any, want ExternDesc, s subst) error {
	switch want.Sort {
	case SortType:
		gt, _ := got.(Type)
		if want.SubResource {
			grt, ok := gt.(*ResourceType)
			if !ok {
				return fmt.Errorf("expected a resource type, found %s", typeKind(gt))
			}
			s.res[want.Type.(*ResourceType).Root()] = grt.Root()
			return nil
		}
		return typeMatches(gt, want.Type.(Type), s)
	case SortFunc:
		return funcMatches(got.(*FuncType), want.Type.(*FuncType), s)
	case SortInstance:
		return instanceMatches(got.(*InstanceType), want.Type.(*InstanceType), s)
	}
	return nil // core modules and components: only the sort is checked
}

func typeKind(t any) string {
	switch t := t.(type) {
	case *ValueType:
		return "defined type"
	case *FuncType:
		return "func type"
	case *ResourceType:
		return "resource type"
	case *InstanceType:
		return "instance type"
	case *ComponentType:
		return "component type"
	default:
		return fmt.Sprintf("%T", t)
	}
}

func typeMatches(got, want Type, s subst) error {
	switch w := want.(type) {
	case *ValueType:
		g, ok := got.(*ValueType)
		if !ok {
			return fmt.Errorf("expected defined type, found %s", typeKind(got))
		}
		return valMatches(g, w, s)
	case *ResourceType:
		g, ok := got.(*ResourceType)
		if !ok || !s.sameRes(w, g) {
			return fmt.Errorf("resource types are not the same")
		}
	case *FuncType:
		g, ok := got.(*FuncType)
		if !ok {
			return fmt.Errorf("expected func type, found %s", typeKind(got))
		}
		return funcMatches(g, w, s)
	case *InstanceType:
		g, ok := got.(*InstanceType)
		if !ok {
			return fmt.Errorf("expected instance type, found %s", typeKind(got))
		}
		return instanceMatches(g, w, s)
	case *ComponentType:
		if _, ok := got.(*ComponentType); !ok {
			return fmt.Errorf("expected component type, found %s", typeKind(got))
		}
	}
	return nil
}

func funcMatches(got, want *FuncType, s subst) error {
	if got.Async != want.Async {
		return fmt.Errorf("async and sync functions do not match")
	}
	if len(got.Params) != len(want.Params) {
		return fmt.Errorf("expected %d parameters, found %d", len(want.Params), len(got.Params))
	}
	for i, p := range want.Params {
		if got.Params[i].Name != p.Name {
			return fmt.Errorf("expected parameter named %q, found %q", p.Name, got.Params[i].Name)
		}
		if err := valMatches(got.Params[i].Type, p.Type, s); err != nil {
			return fmt.Errorf("parameter %q: %v", p.Name, err)
		}
	}
	if (got.Result == nil) != (want.Result == nil) {
		return fmt.Errorf("function results differ")
	}
	if want.Result != nil {
		if err := valMatches(got.Result, want.Result, s); err != nil {
			return fmt.Errorf("result: %v", err)
		}
	}
	return nil
}

func instanceMatches(got, want *InstanceType, s subst) error {
	for _, e := range want.Exports {
		g, ok := got.Export(e.Name)
		if !ok {
			return fmt.Errorf("missing expected export %q", e.Name)
		}
		if g.Desc.Sort != e.Desc.Sort {
			return fmt.Errorf("export %q: expected a %s, found a %s", e.Name, e.Desc.Sort, g.Desc.Sort)
		}
		if err := argMatches(g.Desc.Type, e.Desc, s); err != nil {
			return fmt.Errorf("export %q: %v", e.Name, err)
		}
	}
	return nil
}

func valMatches(got, want *ValueType, s subst) error {
	if got == want {
		return nil
	}
	if (got == nil) != (want == nil) {
		return fmt.Errorf("expected %s, found %s", optKind(want), optKind(got))
	}
	if s.seen[[2]*ValueType{got, want}] {
		return nil
	}
	if err := valMatches1(got, want, s); err != nil {
		return err
	}
	s.seen[[2]*ValueType{got, want}] = true
	return nil
}

func valMatches1(got, want *ValueType, s subst) error {
	if got.Kind != want.Kind {
		return fmt.Errorf("expected %s, found %s", want.Kind, got.Kind)
	}
	switch want.Kind {
	case Record:
		if len(got.Fields) != len(want.Fields) {
			return fmt.Errorf("record field count differs")
		}
		for i, f := range want.Fields {
			if got.Fields[i].Name != f.Name {
				return fmt.Errorf("expected field %q, found %q", f.Name, got.Fields[i].Name)
			}
			if err := valMatches(got.Fields[i].Type, f.Type, s); err != nil {
				return err
			}
		}
	case Variant:
		if len(got.Cases) != len(want.Cases) {
			return fmt.Errorf("variant case count differs")
		}
		for i, c := range want.Cases {
			if got.Cases[i].Name != c.Name {
				return fmt.Errorf("expected case %q, found %q", c.Name, got.Cases[i].Name)
			}
			if err := valMatches(got.Cases[i].Type, c.Type, s); err != nil {
				return err
			}
		}
	case Tuple:
		if len(got.Types) != len(want.Types) {
			return fmt.Errorf("tuple length differs")
		}
		for i := range want.Types {
			if err := valMatches(got.Types[i], want.Types[i], s); err != nil {
				return err
			}
		}
	case Flags, Enum:
		if len(got.Labels) != len(want.Labels) {
			return fmt.Errorf("mismatch in %s elements", want.Kind)
		}
		for i := range want.Labels {
			if got.Labels[i] != want.Labels[i] {
				return fmt.Errorf("mismatch in %s elements", want.Kind)
			}
		}
	case List, Option, Stream, Future:
		return valMatches(got.Elem, want.Elem, s)
	case FixedList:
		if got.Len != want.Len {
			return fmt.Errorf("fixed-size list lengths differ")
		}
		return valMatches(got.Elem, want.Elem, s)
	case Result:
		if err := valMatches(got.OK, want.OK, s); err != nil {
			return err
		}
		return valMatches(got.Err, want.Err, s)
	case Own, Borrow:
		if !s.sameRes(want.Resource, got.Resource) {
			return fmt.Errorf("resource types are not the same")
		}
	}
	return nil
}

func optKind(vt *ValueType) string {
	if vt == nil {
		return "no type"
	}
	return vt.Kind.String()
}

// FuncMatches reports, as an error saying where, whether a function of
// type got (from one component) can be called where a function of type want
// (from another) is expected, with values carried across by lifting from
// one and lowering into the other: the same parameter names and types and
// the same result, compared structurally (names of fields, cases and
// labels included). Resource types never match across components: a
// handle means nothing outside the component that made it.
func FuncMatches(got, want *FuncType) error {
	if r := firstResource(want); r != "" {
		return fmt.Errorf("%s: resource handles cannot cross between components", r)
	}
	if r := firstResource(got); r != "" {
		return fmt.Errorf("%s: resource handles cannot cross between components", r)
	}
	return funcMatches(got, want, newSubst())
}

// firstResource names where ft's parameters or result use an own or
// borrow handle, or is empty.
func firstResource(ft *FuncType) string {
	seen := map[*ValueType]bool{}
	for _, p := range ft.Params {
		if usesResource(p.Type, seen) {
			return "parameter " + p.Name
		}
	}
	if ft.Result != nil && usesResource(ft.Result, seen) {
		return "the result"
	}
	return ""
}

func usesResource(vt *ValueType, seen map[*ValueType]bool) bool {
	if vt == nil || seen[vt] {
		return false
	}
	seen[vt] = true
	switch vt.Kind {
	case Own, Borrow, Stream, Future:
		return true
	}
	for _, f := range vt.Fields {
		if usesResource(f.Type, seen) {
			return true
		}
	}
	for _, c := range vt.Cases {
		if usesResource(c.Type, seen) {
			return true
		}
	}
	for _, t := range vt.Types {
		if usesResource(t, seen) {
			return true
		}
	}
	return usesResource(vt.Elem, seen) || usesResource(vt.OK, seen) || usesResource(vt.Err, seen)
}
