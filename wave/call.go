package wave

import (
	"strings"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component"
)

// Call is a parsed function call expression, the form `wasmtime run
// --invoke` takes: a function name and its arguments in parentheses, e.g.
//
//	add(1, 2)
//	greet("x")
//	f()
//	run.run()                    // function run of the exported instance "run"
//	wasi:cli/run.run@0.2.0()     // ... of the instance "wasi:cli/run@0.2.0"
//	[static]counter.make(3)
//
// The name may be qualified by an interface and a package, as wit-parser's
// ItemName (which Wasmtime's --invoke uses) spells it: package/interface.func,
// with the package version, if any, at the very end.
type Call struct {
	// Package is the package of the interface, e.g. "wasi:cli", or "".
	Package string
	// Interface is the interface (the exported instance) the function is
	// in, e.g. "run", or "" for a name without qualification.
	Interface string
	// Name is the function's name, e.g. "add" or "[static]counter.make".
	Name string
	// Version is the package version, e.g. "0.2.0", or "".
	Version string
	// RawArgs holds the argument texts, as written (without surrounding
	// whitespace and comments).
	RawArgs []string

	p    *parser
	args []*node
	end  int // offset of the closing ')'
}

// Instance returns the export name of the instance that holds the
// function, e.g. "wasi:cli/run@0.2.0" or "run", or "" when the name is
// not qualified (any exported function, at the top level or in an
// exported instance, of that name).
func (c *Call) Instance() string {
	if c.Interface == "" {
		return ""
	}
	s := c.Interface
	if c.Package != "" {
		s = c.Package + "/" + s
	}
	if c.Version != "" {
		s += "@" + c.Version
	}
	return s
}

// String returns the function's qualified name as it was written
// (without the '%' prefixes labels may have).
func (c *Call) String() string {
	s := c.Name
	if c.Interface != "" {
		s = c.Interface + "." + s
	}
	if c.Package != "" {
		s = c.Package + "/" + s
	}
	if c.Version != "" {
		s += "@" + c.Version
	}
	return s
}

// ParseCall parses a call expression: a function name, '(', WAVE values
// separated by commas (a trailing comma is allowed), ')'. The values are
// checked for syntax only; Args types them. Errors are *Error, one line
// with the column.
func ParseCall(s string) (*Call, error) {
	c, err := parseCall(s)
	if err != nil {
		return nil, located(err, s)
	}
	return c, nil
}

func parseCall(s string) (*Call, error) {
	if err := checkUTF8(s); err != nil {
		return nil, err
	}
	c := &Call{p: &parser{lx: lexer{src: s}}}
	lx := &c.p.lx
	lx.skip()
	if err := c.parseName(); err != nil {
		return nil, err
	}
	open, err := lx.next()
	if err != nil {
		return nil, err
	}
	if open.kind != tokParenOpen {
		return nil, errAt(open.start, "expected '(' after the function name, found %s", lx.describe(open))
	}
	args, end, err := c.p.sequence(tokParenClose, "')'")
	if err != nil {
		return nil, err
	}
	c.args, c.end = args, end-1
	for _, a := range args {
		c.RawArgs = append(c.RawArgs, s[a.start:a.end])
	}
	t, err := lx.next()
	if err != nil {
		return nil, err
	}
	if t.kind != tokEOF {
		return nil, errAt(t.start, "unexpected %s after the call", lx.describe(t))
	}
	return c, nil
}

// parseName parses [package '/'] [interface '.'] name ['@' version].
func (c *Call) parseName() error {
	lx := &c.p.lx
	src := lx.src
	start := lx.pos
	label := func() (string, error) {
		i := lx.pos
		n := lexLabel(src[i:])
		if n == 0 {
			if lx.pos >= len(src) {
				return "", errAt(lx.pos, "expected a function name, found end of input")
			}
			return "", errAt(lx.pos, "expected a kebab-case name")
		}
		lx.pos = i + n
		return src[i : i+n], nil
	}
	peek := func(c byte) bool { return lx.pos < len(src) && src[lx.pos] == c }

	if !peek('[') {
		first, err := label()
		if err != nil {
			return err
		}
		if peek(':') {
			// a package: namespace:name, then '/' and the interface
			pkg := first
			for peek(':') {
				lx.pos++
				l, err := label()
				if err != nil {
					return err
				}
				pkg += ":" + l
			}
			if !peek('/') {
				return errAt(lx.pos, "expected '/' and an interface after package %s", pkg)
			}
			lx.pos++
			iface, err := label()
			if err != nil {
				return err
			}
			if !peek('.') {
				return errAt(lx.pos, "expected '.' and a function name after interface %s/%s", pkg, iface)
			}
			lx.pos++
			c.Package, c.Interface = pkg, iface
		} else if peek('.') {
			lx.pos++
			c.Interface = first
		} else {
			c.Name = first
		}
	}
	if c.Name == "" {
		if peek('[') {
			name, err := c.bracketName()
			if err != nil {
				return err
			}
			c.Name = name
		} else {
			name, err := label()
			if err != nil {
				return err
			}
			c.Name = name
		}
	}
	if peek('@') {
		at := lx.pos
		lx.pos++
		i := lx.pos
		for i < len(src) && (isDigit(src[i]) || isLower(src[i]) || isUpper(src[i]) || strings.IndexByte(".+-", src[i]) >= 0) {
			i++
		}
		v := src[lx.pos:i]
		if c.Package == "" {
			return errAt(at, "a version needs a package: namespace:package/interface.%s@%s", c.Name, v)
		}
		if v == "" || !isDigit(v[0]) {
			return errAt(lx.pos, "expected a version like 0.2.0 after '@'")
		}
		lx.pos = i
		c.Version = v
	}
	if lx.pos == start {
		return errAt(start, "expected a function name")
	}
	return nil
}

// bracketName parses an annotated name: [constructor]res,
// [method]res.name, [static]res.name (or their [async ...] forms).
func (c *Call) bracketName() (string, error) {
	lx := &c.p.lx
	src := lx.src
	start := lx.pos
	end := strings.IndexByte(src[start:], ']')
	if end < 0 {
		return "", errAt(start, "unterminated '[' in the function name")
	}
	annot := src[start+1 : start+end]
	lx.pos = start + end + 1
	word := func() (string, error) {
		n := lexLabel(src[lx.pos:])
		if n == 0 {
			return "", errAt(lx.pos, "expected a kebab-case name after [%s]", annot)
		}
		lx.pos += n
		return src[lx.pos-n : lx.pos], nil
	}
	res, err := word()
	if err != nil {
		return "", err
	}
	switch annot {
	case "constructor":
		return "[constructor]" + res, nil
	case "method", "static", "async method", "async static":
		if lx.pos >= len(src) || src[lx.pos] != '.' {
			return "", errAt(lx.pos, "expected '.' and a function name after [%s]%s", annot, res)
		}
		lx.pos++
		name, err := word()
		if err != nil {
			return "", err
		}
		return "[" + annot + "]" + res + "." + name, nil
	case "async":
		return "[async]" + res, nil
	}
	return "", errAt(start, "unknown function name annotation [%s]", annot)
}

// Args types the call's arguments against the function type ft. As the
// WAVE README's appendix allows, trailing option-typed arguments may be
// left out; they are none. Errors say which argument is wrong and why,
// in one line with its column in the call text.
func (c *Call) Args(ft *component.FuncType) ([]canonical.Value, error) {
	if c.p == nil { // a Call not made by ParseCall: no arguments
		c.p = &parser{}
	}
	vals, err := c.args1(ft)
	if err != nil {
		return nil, located(err, c.p.lx.src)
	}
	return vals, nil
}

func (c *Call) args1(ft *component.FuncType) ([]canonical.Value, error) {
	if ft == nil {
		return nil, errAt(0, "no function type")
	}
	params := ft.Params
	if len(c.args) > len(params) {
		return nil, errAt(c.args[len(params)].start, "too many arguments: %s takes %d, found %d", c.Name, len(params), len(c.args))
	}
	vals := make([]canonical.Value, len(params))
	for i, prm := range params {
		if i >= len(c.args) {
			if prm.Type != nil && prm.Type.Kind == component.Option {
				vals[i] = canonical.None
				continue
			}
			return nil, &Error{Offset: c.end, Arg: i + 1, ArgName: paramName(prm), Msg: "missing (only trailing option arguments may be left out)"}
		}
		v, err := c.p.typed(c.args[i], prm.Type)
		if err != nil {
			e, ok := err.(*Error)
			if !ok {
				return nil, err
			}
			e.Arg, e.ArgName = i+1, paramName(prm)
			return nil, e
		}
		vals[i] = v
	}
	return vals, nil
}

func paramName(p component.Param) string {
	if p.Type == nil {
		return p.Name
	}
	return p.Name + ": " + typeName(p.Type)
}
