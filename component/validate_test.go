package component

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var addFunc = coreFunc{"f", bs(i32, i32), bs(i32)}

// validAdd is a valid component: a core add function lifted to
// (func (param "a" u32) (param "b" u32) (result u32)) and exported as "add".
func validAdd() []byte {
	return comp(coreSetup(false, addFunc),
		typeSec(functype([][2][]byte{param("a", tU32), param("b", tU32)}, bs(tU32))),
		lift(0, 0), exportFunc("add", 0))
}

// resourceBase defines resource type 0 (rep i32) and, with an own/borrow
// helper, value types: type 1 = (own 0), type 2 = (borrow 0).
func resourceBase() []byte {
	return typeSec(bs(0x3f, 0x7f, 0x00), bs(0x69, 0x00), bs(0x68, 0x00))
}

// validCases are hand-built valid components.
func validCases() map[string][]byte {
	valid := map[string][]byte{
		"empty":          comp(),
		"add":            validAdd(),
		"custom section": comp(sec(0, str("name"), bs(1, 2, 3))),
		"resource and methods": comp(importSec("r", 0x03, 0x01),
			// type 1: (borrow 0), type 2: (func (param "self" (borrow 0)) (result u32))
			typeSec(bs(0x68, 0x00), functype([][2][]byte{param("self", 0x01)}, bs(tU32))),
			importSec("[method]r.get", 0x01, 0x02)),
		"interface import": comp(typeSec(bs(0x42, 0x00), bs(0x42, 0x00)),
			importSec("wasi:cli/environment@0.2.0", 0x05, 0x00),
			importSec("wasi:io/streams@0.2.0-rc.1+build.5", 0x05, 0x01)),
	}
	// An instance type that outer-aliases a record of the enclosing component.
	// A nested component importing a resource and a function returning it,
	// instantiated with a resource of the outer component: the function
	// matches once the resource is substituted.
	valid["instantiate resource subst"] = comp(coreSetup(false, coreFunc{"g", nil, bs(i32)}),
		typeSec(bs(0x3f, 0x7f, 0x00), bs(0x69, 0x00), functype(nil, bs(0x01))), lift(0, 2),
		sec(4, comp(importSec("r", 0x03, 0x01), typeSec(bs(0x69, 0x00), functype(nil, bs(0x01))), importSec("g", 0x01, 0x02))),
		sec(5, vec(cat(bs(0x00, 0x00), vec(cat(str("r"), bs(0x03, 0x00)), cat(str("g"), bs(0x01, 0x00)))))))
	valid["outer alias in instance type"] = comp(
		typeSec(cat(bs(0x72), vec(cat(str("x"), bs(tU32))))),
		typeSec(cat(bs(0x42), vec(
			cat(bs(0x02, 0x03, 0x02), uleb(1), uleb(0)),             // alias outer 1 0 (type)
			cat(bs(0x04, 0x00), str("point"), bs(0x03, 0x00, 0x00)), // export "point" (type (eq 0))
		))),
		importSec("ns:pkg/iface", 0x05, 0x01))
	return valid
}

func TestValidHandBuilt(t *testing.T) {
	for name, b := range validCases() {
		if _, err := Decode(b); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestErrorFormat(t *testing.T) {
	b := comp(typeSec(bs(0x55)))
	_, err := Decode(b)
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T) is not a *component.Error", err, err)
	}
	want := "component: offset 0xb: section 7 (type): unknown defined type 0x55"
	if err.Error() != want {
		t.Fatalf("error = %q, want %q", err, want)
	}
	if ce.Offset != 0xb || ce.Section != SectionType {
		t.Fatalf("offset/section = %#x/%d", ce.Offset, ce.Section)
	}
}

type invalidCase struct {
	name string
	bin  []byte
	want string
}

// invalidCases are hand-built binaries that each break one rule; want is
// the error they must fail with.
func invalidCases() []invalidCase {
	u32u32 := [][2][]byte{param("a", tU32), param("b", tU32)}
	stringFn := coreFunc{"s", bs(i32, i32), nil}
	return []invalidCase{
		{"magic", []byte("\x00asx\x0d\x00\x01\x00"), "not a WebAssembly binary"},
		{"version", []byte("\x00asm\x0a\x00\x01\x00"), "unsupported component binary version 0xa"},
		{"layer", []byte("\x00asm\x01\x00\x00\x00"), "not a component"},
		{"truncated", []byte("\x00asm\x0d"), "truncated"},
		{"unknown section", comp(sec(13)), "unknown section id 13"},
		{"section too long", comp(bs(7, 10, 0)), "runs past the end"},
		{"trailing bytes", comp(sec(7, vec(), bs(0))), "unexpected bytes at the end of the section"},
		{"value section", comp(sec(12, vec())), "value definitions are not supported"},
		{"unknown defined type", comp(typeSec(bs(0x55))), "unknown defined type 0x55"},
		{"empty record", comp(typeSec(bs(0x72, 0x00))), "at least one field"},
		{"empty variant", comp(typeSec(bs(0x71, 0x00))), "at least one case"},
		{"empty tuple", comp(typeSec(bs(0x6f, 0x00))), "at least one element"},
		{"empty enum", comp(typeSec(bs(0x6d, 0x00))), "at least one label"},
		{"duplicate field", comp(typeSec(cat(bs(0x72), vec(cat(str("a-b"), bs(tU32)), cat(str("A-B"), bs(tU32)))))), "duplicate field name \"A-B\""},
		{"field label", comp(typeSec(cat(bs(0x72), vec(cat(str("Ab"), bs(tU32)))))), "not a kebab-case label"},
		{"field label dash", comp(typeSec(cat(bs(0x72), vec(cat(str("a--b"), bs(tU32)))))), "not a kebab-case label"},
		{"duplicate case", comp(typeSec(cat(bs(0x71), vec(cat(str("x"), bs(0x00, 0x00)), cat(str("x"), bs(0x00, 0x00)))))), "duplicate case name"},
		{"case refines", comp(typeSec(cat(bs(0x71), vec(cat(str("x"), bs(0x00, 0x01, 0x00)))))), "refines"},
		{"duplicate flag", comp(typeSec(cat(bs(0x6e), vec(str("r"), str("r"))))), "duplicate flag name"},
		{"too many flags", comp(typeSec(cat(bs(0x6e), vec(manyLabels(33)...)))), "at most 32 flags"},
		{"bad optional", comp(typeSec(bs(0x6a, 0x02))), "malformed optional 0x02"},
		{"valtype out of bounds", comp(typeSec(bs(0x70, 0x05))), "type index 5 out of bounds"},
		{"valtype not a value type", comp(typeSec(functype(nil, nil), bs(0x70, 0x00))), "type 0 is not a value type"},
		{"valtype unknown", comp(typeSec(bs(0x70, 0x55))), "unknown value type 0x55"},
		{"own of non-resource", comp(typeSec(bs(tU32), bs(0x69, 0x00))), "own of type 0, which is not a resource type"},
		{"borrow of non-resource", comp(typeSec(bs(0x72, 0x01, 0x01, 'x', tU32), bs(0x68, 0x00))), "borrow of type 0, which is not a resource type"},
		{"borrow in result", comp(resourceBase(), typeSec(functype(nil, bs(0x02)))), "a function result cannot contain borrow"},
		{"borrow in nested result", comp(resourceBase(), typeSec(bs(0x6b, 0x02), functype(nil, bs(0x03)))), "a function result cannot contain borrow"},
		{"duplicate param", comp(typeSec(functype([][2][]byte{param("a", tU32), param("a", tU32)}, nil))), "duplicate parameter name"},
		{"named results", comp(typeSec(bs(0x40, 0x00, 0x01, 0x01))), "named function results are not supported"},
		{"resource rep", comp(typeSec(bs(0x3f, 0x7e, 0x00))), "resource representation 0x7e is not supported"},
		{"resource in instance type", comp(typeSec(cat(bs(0x42), vec(cat(bs(0x01, 0x3f, 0x7f, 0x00)))))), "resource types cannot be defined in a component or instance type"},
		{"resource dtor type", comp(coreSetup(false, addFunc), typeSec(bs(0x3f, 0x7f, 0x01, 0x00))), "resource destructor (core func 0) has type"},
		{"import in instance type", comp(typeSec(cat(bs(0x42), vec(cat(bs(0x03, 0x00), str("x"), bs(0x03, 0x01)))))), "import declarators are not allowed in instance types"},
		{"instance type export unique", comp(typeSec(cat(bs(0x42), vec(cat(bs(0x04, 0x00), str("x"), bs(0x03, 0x01)), cat(bs(0x04, 0x00), str("X"), bs(0x03, 0x01)))))), "not strongly-unique"},
		{"externdesc sort mismatch", comp(typeSec(bs(tU32)), importSec("f", 0x01, 0x00)), "type 0 is not a func type"},
		{"externdesc instance mismatch", comp(typeSec(functype(nil, nil)), importSec("i", 0x05, 0x00)), "type 0 is not a instance type"},
		{"externdesc type out of bounds", comp(importSec("f", 0x01, 0x03)), "type index 3 out of bounds (0 defined)"},
		{"value import", comp(importSec("v", 0x02, 0x01, tU32)), "value imports and exports are not supported"},
		{"import name", comp(importSec("Foo_bar", 0x03, 0x01)), "invalid import name"},
		{"import name annotation", comp(importSec("[ctor]r", 0x03, 0x01)), "unknown name annotation"},
		{"interface name semver", comp(typeSec(bs(0x42, 0x00)), importSec("wasi:cli/env@1.0", 0x05, 0x00)), "not a valid semver"},
		{"interface name projection", comp(typeSec(bs(0x42, 0x00)), importSec("wasi:cli", 0x05, 0x00)), "needs a /interface projection"},
		{"interface name namespace", comp(typeSec(bs(0x42, 0x00)), importSec("Wasi:cli/env", 0x05, 0x00)), "namespace \"Wasi\""},
		{"export dep name", comp(typeSec(bs(0x42, 0x00)), importSec("i", 0x05, 0x00), sec(11, vec(cat(bs(0x00), str("url=<x>"), bs(0x05, 0x00, 0x00))))), "invalid export name"},
		{"duplicate import", comp(importSec("a-b", 0x03, 0x01), importSec("A-B", 0x03, 0x01)), "import name \"A-B\" is not strongly-unique (conflicts with \"a-b\")"},
		{"duplicate export", comp(coreSetup(false, addFunc), typeSec(functype(u32u32, bs(tU32))), lift(0, 0), exportFunc("add", 0), exportFunc("add", 0)), "export name \"add\" is not strongly-unique"},
		{"l and [method]l.l", comp(typeSec(functype(nil, nil)), importSec("r", 0x03, 0x01), importSec("[method]r.r", 0x01, 0x00)), "not strongly-unique"},
		{"annotated non-func", comp(importSec("[constructor]r", 0x03, 0x01)), "annotated names are only allowed on functions"},
		{"method without resource", comp(typeSec(functype(nil, nil)), importSec("[method]r.m", 0x01, 0x00)), "no resource \"r\" is imported or exported"},
		{"method self", comp(importSec("r", 0x03, 0x01), typeSec(functype([][2][]byte{param("this", tU32)}, nil)), importSec("[method]r.m", 0x01, 0x01)), "first parameter must be (param \"self\" (borrow r))"},
		{"constructor result", comp(importSec("r", 0x03, 0x01), typeSec(functype(nil, bs(tU32))), importSec("[constructor]r", 0x01, 0x01)), "a constructor must return (own r)"},
		{"export core func", comp(coreSetup(false, addFunc), sec(11, vec(cat(bs(0x00), str("f"), bs(0x00, 0x00), uleb(0), bs(0x00))))), "a core func cannot be exported"},
		{"export out of bounds", comp(exportFunc("f", 3)), "func index 3 out of bounds (0 defined)"},
		{"export ascription type", comp(coreSetup(false, addFunc), typeSec(functype(u32u32, bs(tU32)), functype([][2][]byte{param("a", tU32), param("c", tU32)}, bs(tU32))), lift(0, 0),
			sec(11, vec(cat(bs(0x00), str("add"), bs(0x01, 0x00, 0x01, 0x01, 0x01))))), "the ascribed type does not match the item: expected parameter named \"c\", found \"b\""},
		{"export ascription sort", comp(coreSetup(false, addFunc), typeSec(functype(u32u32, bs(tU32))), lift(0, 0),
			sec(11, vec(cat(bs(0x00), str("add"), bs(0x01, 0x00, 0x01, 0x03, 0x01))))), "ascribed type is a type, the exported item a func"},
		{"export unnamed record", comp(typeSec(cat(bs(0x72), vec(cat(str("x"), bs(tU32)))), functype([][2][]byte{param("p", 0x00)}, nil)),
			importSec("f", 0x01, 0x01)), "func not valid to be used as import"},
		{"export unnamed resource", comp(resourceBase(), sec(11, vec(cat(bs(0x00), str("o"), bs(0x03), uleb(1), bs(0x00))))), "type not valid to be used as export"},
		{"alias export missing", comp(typeSec(bs(0x42, 0x00)), importSec("i:j/k", 0x05, 0x00), sec(6, vec(cat(bs(0x01, 0x00, 0x00), str("f"))))), "instance 0 has no export named \"f\""},
		{"alias export sort", comp(typeSec(cat(bs(0x42), vec(cat(bs(0x04, 0x00), str("t"), bs(0x03, 0x01))))), importSec("i:j/k", 0x05, 0x00),
			sec(6, vec(cat(bs(0x01, 0x00, 0x00), str("t"))))), "export \"t\" of instance 0 is a type, not a func"},
		{"alias export instance bounds", comp(sec(6, vec(cat(bs(0x01, 0x00, 0x02), str("f"))))), "instance index 2 out of bounds"},
		{"alias core export missing", comp(coreSetup(false, addFunc), sec(6, vec(cat(bs(0x00, 0x00, 0x01, 0x00), str("nope"))))), "core instance 0 has no export named \"nope\""},
		{"alias core export kind", comp(coreSetup(false, addFunc), sec(6, vec(cat(bs(0x00, 0x02, 0x01, 0x00), str("f"))))), "is a core func, not a core memory"},
		{"alias outer count", comp(sec(6, vec(bs(0x03, 0x02, 0x01, 0x00)))), "outer alias count 1 is larger than the number of enclosing scopes"},
		{"alias outer sort", comp(sec(4, comp(sec(6, vec(bs(0x01, 0x02, 0x01, 0x00)))))), "an outer alias cannot have sort func"},
		{"alias outer bounds", comp(sec(4, comp(sec(6, vec(bs(0x03, 0x02, 0x01, 0x04)))))), "outer alias: type index 4 out of bounds"},
		{"alias outer resource", comp(resourceBase(), sec(4, comp(sec(6, vec(bs(0x03, 0x02, 0x01, 0x00)))))), "refers to resources cannot be aliased into a nested component"},
		{"unknown alias target", comp(sec(6, vec(bs(0x03, 0x07)))), "unknown alias target 0x07"},
		{"canon lift type", comp(coreSetup(false, addFunc), typeSec(functype(u32u32, bs(0x78))), lift(0, 0)), "canon lift: core func 0 has type (i32, i32) -> (i32), the lifted type flattens to (i32, i32) -> (i64)"},
		{"canon lift not func type", comp(coreSetup(false, addFunc), typeSec(bs(tU32)), lift(0, 0)), "type 0 is not a function type"},
		{"canon lift memory", comp(coreSetup(false, coreFunc{"s", nil, bs(i32)}), typeSec(functype(nil, bs(tString))), lift(0, 0)), "canonical option memory is required"},
		{"canon lift realloc", comp(coreSetup(false, stringFn), typeSec(functype([][2][]byte{param("s", tString)}, nil)), lift(0, 0, bs(0x03, 0x00))), "canonical option realloc is required"},
		{"canon lift spilled params", comp(coreSetup(true, coreFunc{"p", bs(i32), nil}), typeSec(functype(manyParams(17), nil)), lift(0, 0, bs(0x03, 0x00))), "canonical option realloc is required"},
		{"canon realloc type", comp(coreSetup(true, stringFn), typeSec(functype([][2][]byte{param("s", tString)}, nil)), lift(0, 0, bs(0x03, 0x00), bs(0x04, 0x00))), "realloc core func 0 has type"},
		{"canon duplicate option", comp(coreSetup(false, addFunc), typeSec(functype(u32u32, bs(tU32))), lift(0, 0, bs(0x03, 0x00), bs(0x03, 0x00))), "canonical option memory is given more than once"},
		{"canon encoding conflict", comp(coreSetup(false, addFunc), typeSec(functype(u32u32, bs(tU32))), lift(0, 0, bs(0x00), bs(0x01))), "canonical option utf16 conflicts with utf8"},
		{"canon unknown option", comp(coreSetup(false, addFunc), typeSec(functype(u32u32, bs(tU32))), lift(0, 0, bs(0x0f))), "unknown canonical option 0x0f"},
		{"canon gc option", comp(coreSetup(false, addFunc), typeSec(functype(u32u32, bs(tU32))), lift(0, 0, bs(0x09))), "canonical option 0x09 (gc, GC lowering) is not supported"},
		{"canon post-return type", comp(coreSetup(false, addFunc), typeSec(functype(u32u32, bs(tU32))), lift(0, 0, bs(0x05, 0x00))), "post-return core func 0 has type"},
		{"canon lower post-return", comp(typeSec(functype(nil, nil)), importSec("f", 0x01, 0x00), coreSetup(false, addFunc), sec(8, vec(bs(0x01, 0x00, 0x00, 0x01, 0x05, 0x00)))), "post-return option is only allowed on lift"},
		{"canon lower memory", comp(typeSec(functype(nil, bs(tString))), importSec("f", 0x01, 0x00), sec(8, vec(bs(0x01, 0x00, 0x00, 0x00)))), "canonical option realloc is required"},
		{"canon lower async", comp(typeSec(functype(nil, nil)), importSec("f", 0x01, 0x00), sec(8, vec(bs(0x01, 0x00, 0x00, 0x01, 0x06)))), "async lifting and lowering are not supported"},
		{"canon memory bounds", comp(typeSec(functype(nil, nil)), importSec("f", 0x01, 0x00), sec(8, vec(bs(0x01, 0x00, 0x00, 0x01, 0x03, 0x02)))), "core memory index 2 out of bounds"},
		{"resource.new imported", comp(importSec("r", 0x03, 0x01), sec(8, vec(bs(0x02, 0x00)))), "canon resource.new: type 0 is not a resource defined by this component"},
		{"resource.drop non-resource", comp(typeSec(bs(tU32)), sec(8, vec(bs(0x03, 0x00)))), "type 0 is not a resource type"},
		{"canon async builtin", comp(sec(8, vec(bs(0x1f)))), "canon waitable-set.new (0x1f): async and threading built-ins are not supported"},
		{"canon unknown", comp(sec(8, vec(bs(0x7e)))), "unknown canonical definition 0x7e"},
		{"start arity", comp(coreSetup(false, addFunc), typeSec(functype(u32u32, bs(tU32))), lift(0, 0), sec(9, uleb(0), vec(), uleb(1))), "start function 0 takes 2 parameters, 0 arguments given"},
		{"two starts", comp(coreSetup(false, coreFunc{"g", nil, nil}), typeSec(functype(nil, nil)), lift(0, 0), sec(9, uleb(0), vec(), uleb(0)), sec(9, uleb(0), vec(), uleb(0))), "more than one start function"},
		{"start bounds", comp(sec(9, uleb(0), vec(), uleb(0))), "func index 0 out of bounds"},
		{"core instantiate missing", comp(sec(1, importingModule()), sec(2, vec(cat(bs(0x00, 0x00), vec())))), "missing argument for import module \"env\""},
		{"core instantiate type", comp(coreSetup(false, addFunc), sec(1, importingModule()), sec(2, vec(cat(bs(0x00, 0x01), vec(cat(str("env"), bs(0x12, 0x00))))))), "import env.f: type mismatch: expected (), found (i32, i32) -> (i32)"},
		{"core instantiate no export", comp(coreSetup(false, addFunc), sec(2, vec(cat(bs(0x01), vec(cat(str("g"), bs(0x00, 0x00)))))),
			sec(1, importingModule()), sec(2, vec(cat(bs(0x00, 0x01), vec(cat(str("env"), bs(0x12, 0x01))))))), "argument \"env\" has no export \"f\""},
		{"core instantiate duplicate arg", comp(coreSetup(false, addFunc), sec(2, vec(cat(bs(0x00, 0x00), vec(cat(str("a"), bs(0x12, 0x00)), cat(str("a"), bs(0x12, 0x00))))))), "duplicate instantiation argument \"a\""},
		{"core instance arg sort", comp(coreSetup(false, addFunc), sec(2, vec(cat(bs(0x00, 0x00), vec(cat(str("a"), bs(0x00, 0x00))))))), "only core instances can be passed"},
		{"core inline export duplicate", comp(coreSetup(false, addFunc), sec(2, vec(cat(bs(0x01), vec(cat(str("g"), bs(0x00, 0x00)), cat(str("g"), bs(0x00, 0x00))))))), "duplicate core export name \"g\""},
		{"core inline export sort", comp(coreSetup(false, addFunc), sec(2, vec(cat(bs(0x01), vec(cat(str("g"), bs(0x12, 0x00))))))), "a core instance cannot export a core instance"},
		{"instantiate missing import", comp(sec(4, comp(importSec("x", 0x03, 0x01))), sec(5, vec(cat(bs(0x00, 0x00), vec())))), "instantiating component 0: missing argument for import \"x\""},
		{"instantiate arg sort", comp(typeSec(bs(tU32)), sec(4, comp(typeSec(bs(0x42, 0x00)), importSec("x", 0x05, 0x00))),
			sec(5, vec(cat(bs(0x00, 0x00), vec(cat(str("x"), bs(0x03, 0x00))))))), "argument \"x\" is a type, the import is a instance"},
		{"instantiate arg type", comp(coreSetup(false, addFunc), typeSec(functype(u32u32, bs(tU32))), lift(0, 0),
			sec(4, comp(typeSec(functype([][2][]byte{param("x", tU32), param("b", tU32)}, bs(tU32))), importSec("f", 0x01, 0x00))),
			sec(5, vec(cat(bs(0x00, 0x00), vec(cat(str("f"), bs(0x01, 0x00))))))), "type mismatch for import \"f\": expected parameter named \"x\", found \"a\""},
		{"instantiate resource subst", comp(coreSetup(false, coreFunc{"g", nil, bs(i32)}),
			typeSec(bs(0x3f, 0x7f, 0x00), bs(0x3f, 0x7f, 0x00), bs(0x69, 0x01), functype(nil, bs(0x02))), lift(0, 3),
			sec(4, comp(importSec("r", 0x03, 0x01), typeSec(bs(0x69, 0x00), functype(nil, bs(0x01))), importSec("g", 0x01, 0x02))),
			sec(5, vec(cat(bs(0x00, 0x00), vec(cat(str("r"), bs(0x03, 0x00)), cat(str("g"), bs(0x01, 0x00))))))), "type mismatch for import \"g\": result: resource types are not the same"},
		{"instance inline export dup", comp(typeSec(bs(tU32)), sec(5, vec(cat(bs(0x01), vec(cat(bs(0x00), str("t"), bs(0x03, 0x00)), cat(bs(0x00), str("t"), bs(0x03, 0x00))))))), "export name \"t\" is not strongly-unique"},
		{"nested core module", comp(sec(1, []byte("\x00asm\x01\x00\x00\x00\x63"))), "section 1 (core module)"},
		{"module type nested", comp(sec(3, vec(bs(0x50, 0x01, 0x01, 0x50, 0x00)))), "core module types cannot be nested"},
		{"module type export dup", comp(sec(3, vec(cat(bs(0x50), vec(cat(bs(0x03), str("m"), bs(0x02, 0x00, 0x01)), cat(bs(0x03), str("m"), bs(0x02, 0x00, 0x01))))))), "duplicate export name \"m\" in module type"},
		{"module type func ref", comp(sec(3, vec(cat(bs(0x50), vec(cat(bs(0x03), str("f"), bs(0x00, 0x00))))))), "core type index 0 out of bounds"},
		{"gc core type", comp(sec(3, vec(bs(0x5f, 0x00)))), "GC core types (struct, array, rec, sub) are not supported"},
		{"nesting", nested(120), "components nested more than 100 deep are not supported"},
		{"type nesting", comp(typeSec(nestedInstanceType(120))), "types nested more than 100 deep are not supported"},
	}
}

// TestInvalidHandBuilt checks that each rule rejects a binary breaking
// it, for the right reason.
func TestInvalidHandBuilt(t *testing.T) {
	for _, tc := range invalidCases() {
		_, err := Decode(tc.bin)
		if err == nil {
			t.Errorf("%s: decoded without error, want %q", tc.name, tc.want)
			continue
		}
		var ce *Error
		if !errors.As(err, &ce) {
			t.Errorf("%s: error %v is a %T, not a *Error", tc.name, err, err)
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q, want it to contain %q", tc.name, err, tc.want)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error spans lines: %q", tc.name, err)
		}
	}
}

func manyLabels(n int) [][]byte {
	var ls [][]byte
	for i := range n {
		ls = append(ls, str("f"+strings.Repeat("a", i+1)))
	}
	return ls
}

func manyParams(n int) [][2][]byte {
	var ps [][2][]byte
	for i := range n {
		ps = append(ps, param("p"+strings.Repeat("a", i+1), tU32))
	}
	return ps
}

// importingModule is a core module importing func env.f: () -> ().
func importingModule() []byte {
	return cat([]byte{0, 'a', 's', 'm', 1, 0, 0, 0},
		sec(1, vec(bs(0x60, 0x00, 0x00))),
		sec(2, vec(cat(str("env"), str("f"), bs(0x00, 0x00)))))
}

func nestedInstanceType(n int) []byte {
	t := bs(0x42, 0x00)
	for range n {
		t = cat(bs(0x42), vec(cat(bs(0x01), t)))
	}
	return t
}

func nested(n int) []byte {
	b := comp()
	for range n {
		b = comp(sec(4, b))
	}
	return b
}

func TestNames(t *testing.T) {
	good := []string{"a", "a-b", "a1-B2", "HTTP", "foo-HTTP-bar", "[constructor]r", "[method]r.m", "[static]r-s.m-n", "[async]f",
		"wasi:http/types@0.2.0", "a-b:c/d", "ns:pkg/iface@1.2.3-rc.1+x.y", "ns:a:b/c/d"}
	for _, n := range good {
		if _, err := ParseExportName(n); err != nil {
			t.Errorf("%q: %v", n, err)
		}
	}
	bad := []string{"", "-a", "a-", "a--b", "1a", "aB", "a_b", "[method]r", "[method]r.", "[foo]x", "ns:pkg", "NS:pkg/i", "ns:pkg/i@1", "ns:pkg/i@01.0.0",
		"ns:/i", "url=<x>"}
	for _, n := range bad {
		if _, err := ParseExportName(n); err == nil {
			t.Errorf("%q: accepted", n)
		}
	}
	imports := []string{"url=<https://x/y>", "integrity=<sha256-abc>", "unlocked-dep=<a:b@{>=1.0.0}>", "locked-dep=<a:b@1.0.0>,integrity=<sha256-x>"}
	for _, n := range imports {
		if _, err := ParseImportName(n); err != nil {
			t.Errorf("%q: %v", n, err)
		}
	}
	for _, n := range []string{"url=<a<b>", "url=<x>y", "integrity=<>"} {
		if _, err := ParseImportName(n); err == nil {
			t.Errorf("%q: accepted", n)
		}
	}
}

func TestFlatten(t *testing.T) {
	// variant { a(f64), b(f32), c(string) } flattens to i32 (discriminant),
	// i64 (f64 joined with f32 and i32), i32.
	c, err := Decode(comp(typeSec(
		cat(bs(0x71), vec(cat(str("a"), bs(0x01, 0x75, 0x00)), cat(str("b"), bs(0x01, 0x76, 0x00)), cat(str("c"), bs(0x01, tString, 0x00)))),
		functype([][2][]byte{param("v", 0x00)}, bs(tString)),
	)))
	if err != nil {
		t.Fatal(err)
	}
	ft := c.Spaces.Types[1].(*FuncType)
	lifted, lowered := FlattenFunc(ft, true), FlattenFunc(ft, false)
	if got, want := lifted.String(), "(i32, i64, i32) -> (i32)"; got != want {
		t.Errorf("lift = %s, want %s", got, want)
	}
	if got, want := lowered.String(), "(i32, i64, i32, i32)"; got != want {
		t.Errorf("lower = %s, want %s", got, want)
	}
}

func TestTypeStrings(t *testing.T) {
	c, err := Decode(corpus(t)["types.wasm"])
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ft := range c.Spaces.Funcs {
		got = append(got, ft.String())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		"func(s: variant { circle(f64), rect(record { x: s32, y: s32, label: string }), none }) -> f64",
		"func(x: option<u32>) -> result<u32, string>",
		"func(t: tuple<u8, s64>) -> tuple<u8, s64>",
		"func(s: string) -> list<string>",
		"func(p: record { x: s32, y: s32, label: string }, c: enum { red, green, blue }, f: flags { read, write, exec }) -> string",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no function %s in:\n%s", want, all)
		}
	}
}

// TestSharedTypes decodes types that share their parts (tuple<t, t>
// nested 60 deep, 2^60 leaves when expanded): each check must visit
// shared parts once, not expand them.
func TestSharedTypes(t *testing.T) {
	dag := func() []byte {
		types := [][]byte{bs(0x6f, 0x02, tU32, tU32)}
		for i := range 60 {
			types = append(types, cat(bs(0x6f, 0x02), uleb(uint32(i)), uleb(uint32(i))))
		}
		types = append(types, functype([][2][]byte{param("p", 60)}, bs(60)))
		return typeSec(types...)
	}
	b := comp(dag(), importSec("f", 0x01, 0x3d),
		// lower it (flattening), and instantiate a component importing the same type (subtyping)
		sec(8, vec(bs(0x01, 0x00, 0x00, 0x00))),
		sec(4, comp(dag(), importSec("f", 0x01, 0x3d))),
		sec(5, vec(cat(bs(0x00, 0x00), vec(cat(str("f"), bs(0x01, 0x00)))))))
	done := make(chan error, 1)
	go func() { _, err := Decode(b); done <- err }()
	select {
	case err := <-done:
		// The lowering spills its parameters to memory, and has none.
		if err == nil || !strings.Contains(err.Error(), "canonical option memory is required") {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("decoding shared types takes more than 5s")
	}
	b = comp(dag(), importSec("f", 0x01, 0x3d),
		sec(4, comp(dag(), importSec("f", 0x01, 0x3d))),
		sec(5, vec(cat(bs(0x00, 0x00), vec(cat(str("f"), bs(0x01, 0x00)))))))
	go func() { _, err := Decode(b); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("decoding shared types takes more than 5s")
	}
}

func TestTypeStringBounded(t *testing.T) {
	vt := &ValueType{Kind: Tuple, Types: []*ValueType{Prim(U32), Prim(U32)}}
	for range 60 {
		vt = &ValueType{Kind: Tuple, Types: []*ValueType{vt, vt}}
	}
	if s := vt.String(); len(s) > maxString+3 || !strings.HasSuffix(s, "...") {
		t.Fatalf("String of a shared type: %d bytes", len(s))
	}
}
