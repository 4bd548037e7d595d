package wave

import "unicode/utf8"

// nodeKind is the kind of an untyped WAVE syntax node. As in wasm-wave,
// the text is parsed before it is typed: bools, variants, enums, options
// and results share the label syntax and are told apart by keywords.
type nodeKind uint8

const (
	nodeTrue nodeKind = iota + 1
	nodeFalse
	nodeNumber    // also nan, inf, -inf
	nodeChar      // span includes the quotes
	nodeString    // span includes the quotes
	nodeMultiline // span includes the """ delimiters
	nodeTuple     // kids: the values
	nodeList      // kids: the values
	nodeRecord    // kids: label, value, label, value...
	nodeLabel     // an enum case or a variant case without payload
	nodeVariant   // kids: label, payload
	nodeSome      // kids: payload
	nodeNone
	nodeOK  // kids: none, or the payload
	nodeErr // kids: none, or the payload
	nodeFlags
)

var nodeNames = map[nodeKind]string{
	nodeTrue: "true", nodeFalse: "false", nodeNumber: "number", nodeChar: "char",
	nodeString: "string", nodeMultiline: "string", nodeTuple: "tuple", nodeList: "list",
	nodeRecord: "record", nodeLabel: "label", nodeVariant: "variant case with payload",
	nodeSome: "some(...)", nodeNone: "none", nodeOK: "ok", nodeErr: "err", nodeFlags: "flags",
}

// node is an untyped WAVE value: its kind, byte span and parts.
type node struct {
	kind       nodeKind
	start, end int
	kids       []*node
}

// maxDepth bounds the nesting of values, as wasm-wave's parser does.
const maxDepth = 100

// parser builds untyped nodes from WAVE text.
type parser struct {
	lx    lexer
	depth int
}

func (p *parser) text(n *node) string { return p.lx.src[n.start:n.end] }

// label returns a label node's label without its '%' prefix.
func (p *parser) label(n *node) string {
	s := p.text(n)
	if len(s) > 0 && s[0] == '%' {
		return s[1:]
	}
	return s
}

// expect consumes the next token, which must be of kind k.
func (p *parser) expect(k tokKind, what string) (token, error) {
	t, err := p.lx.next()
	if err != nil {
		return t, err
	}
	if t.kind != k {
		return t, p.unexpected(t, what)
	}
	return t, nil
}

func (p *parser) unexpected(t token, what string) error {
	return errAt(t.start, "expected %s, found %s", what, p.lx.describe(t))
}

// value parses one value.
func (p *parser) value() (*node, error) {
	t, err := p.lx.next()
	if err != nil {
		return nil, err
	}
	return p.valueFrom(t)
}

// valueFrom parses the value that starts with token t.
func (p *parser) valueFrom(t token) (*node, error) {
	if p.depth >= maxDepth {
		return nil, errAt(t.start, "value nested more than %d deep", maxDepth)
	}
	p.depth++
	defer func() { p.depth-- }()
	leaf := func(k nodeKind) (*node, error) { return &node{kind: k, start: t.start, end: t.end}, nil }
	switch t.kind {
	case tokNumber:
		return leaf(nodeNumber)
	case tokChar:
		return leaf(nodeChar)
	case tokString:
		return leaf(nodeString)
	case tokMultiline:
		return leaf(nodeMultiline)
	case tokParenOpen:
		kids, end, err := p.sequence(tokParenClose, "')'")
		if err != nil {
			return nil, err
		}
		if len(kids) == 0 {
			return nil, errAt(t.start, "empty tuple")
		}
		return &node{kind: nodeTuple, start: t.start, end: end, kids: kids}, nil
	case tokBracketOpen:
		kids, end, err := p.sequence(tokBracketClose, "']'")
		if err != nil {
			return nil, err
		}
		return &node{kind: nodeList, start: t.start, end: end, kids: kids}, nil
	case tokBraceOpen:
		return p.recordOrFlags(t)
	case tokLabel:
		switch p.lx.src[t.start:t.end] {
		case "true":
			return leaf(nodeTrue)
		case "false":
			return leaf(nodeFalse)
		case "inf", "nan":
			return leaf(nodeNumber)
		case "none":
			return leaf(nodeNone)
		case "some":
			if _, err := p.expect(tokParenOpen, "'(' after some"); err != nil {
				return nil, err
			}
			return p.payload(nodeSome, t.start, nil)
		case "ok", "err":
			k := nodeOK
			if p.lx.src[t.start:t.end] == "err" {
				k = nodeErr
			}
			return p.maybePayload(k, t, nil)
		}
		return p.maybePayload(nodeVariant, t, &node{kind: nodeLabel, start: t.start, end: t.end})
	case tokEOF:
		return nil, errAt(t.start, "expected a value, found end of input")
	}
	return nil, p.unexpected(t, "a value")
}

// maybePayload parses the optional "(value)" after a case label. label is
// the label node of a variant case (nil for ok and err); without a
// payload a variant case is just its label.
func (p *parser) maybePayload(k nodeKind, t token, label *node) (*node, error) {
	next, err := p.lx.peek()
	if err != nil || next.kind != tokParenOpen {
		if label != nil {
			return label, nil
		}
		return &node{kind: k, start: t.start, end: t.end}, nil
	}
	p.lx.next()
	var kids []*node
	if label != nil {
		kids = []*node{label}
	}
	return p.payload(k, t.start, kids)
}

// payload parses "value)" after a case's '(' and returns the case node
// with the payload appended to kids.
func (p *parser) payload(k nodeKind, start int, kids []*node) (*node, error) {
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	end, err := p.expect(tokParenClose, "')'")
	if err != nil {
		return nil, err
	}
	return &node{kind: k, start: start, end: end.end, kids: append(kids, v)}, nil
}

// sequence parses comma-separated values up to the closing token (a
// trailing comma is allowed) and returns them and the end offset.
func (p *parser) sequence(closer tokKind, closeText string) ([]*node, int, error) {
	var kids []*node
	for {
		t, err := p.lx.next()
		if err != nil {
			return nil, 0, err
		}
		if t.kind == closer {
			return kids, t.end, nil
		}
		if t.kind == tokComma {
			if len(kids) == 0 {
				return nil, 0, p.unexpected(t, "a value or "+closeText)
			}
			return nil, 0, p.unexpected(t, "a value or "+closeText+" after ','")
		}
		v, err := p.valueFrom(t)
		if err != nil {
			return nil, 0, err
		}
		kids = append(kids, v)
		t, err = p.lx.next()
		if err != nil {
			return nil, 0, err
		}
		switch t.kind {
		case closer:
			return kids, t.end, nil
		case tokComma:
		default:
			return nil, 0, p.unexpected(t, "',' or "+closeText)
		}
	}
}

// recordOrFlags parses a record ({a: 1}, {:}) or flags ({a, b}, {}) after
// its '{'. A label followed by ':' starts a record.
func (p *parser) recordOrFlags(open token) (*node, error) {
	if p.depth >= maxDepth {
		return nil, errAt(open.start, "value nested more than %d deep", maxDepth)
	}
	t, err := p.lx.next()
	if err != nil {
		return nil, err
	}
	switch t.kind {
	case tokColon:
		end, err := p.expect(tokBraceClose, "'}' after '{:'")
		if err != nil {
			return nil, err
		}
		return &node{kind: nodeRecord, start: open.start, end: end.end}, nil
	case tokBraceClose:
		return &node{kind: nodeFlags, start: open.start, end: t.end}, nil
	case tokLabel:
	default:
		return nil, p.unexpected(t, "a label, ':' or '}'")
	}
	next, err := p.lx.peek()
	if err != nil {
		return nil, err
	}
	if next.kind == tokColon {
		return p.record(open, t)
	}
	return p.flags(open, t)
}

func (p *parser) record(open, t token) (*node, error) {
	n := &node{kind: nodeRecord, start: open.start}
	seen := map[string]bool{}
	for {
		label := &node{kind: nodeLabel, start: t.start, end: t.end}
		name := p.label(label)
		if seen[name] {
			return nil, errAt(t.start, "duplicate field %q", name)
		}
		seen[name] = true
		if _, err := p.expect(tokColon, "':' after field "+quoteText(name)); err != nil {
			return nil, err
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		n.kids = append(n.kids, label, v)
		if t, err = p.lx.next(); err != nil {
			return nil, err
		}
		switch t.kind {
		case tokBraceClose:
			n.end = t.end
			return n, nil
		case tokComma:
		default:
			return nil, p.unexpected(t, "',' or '}'")
		}
		if t, err = p.lx.next(); err != nil {
			return nil, err
		}
		switch t.kind {
		case tokBraceClose:
			n.end = t.end
			return n, nil
		case tokLabel:
		default:
			return nil, p.unexpected(t, "a field name or '}'")
		}
	}
}

func (p *parser) flags(open, t token) (*node, error) {
	return p.flagsFrom(&node{kind: nodeFlags, start: open.start}, map[string]bool{}, t)
}

// flagsFrom parses flags from label t on, adding them to n.
func (p *parser) flagsFrom(n *node, seen map[string]bool, t token) (*node, error) {
	for {
		label := &node{kind: nodeLabel, start: t.start, end: t.end}
		name := p.label(label)
		if seen[name] {
			return nil, errAt(t.start, "duplicate flag %q", name)
		}
		seen[name] = true
		n.kids = append(n.kids, label)
		var err error
		if t, err = p.lx.next(); err != nil {
			return nil, err
		}
		switch t.kind {
		case tokBraceClose:
			n.end = t.end
			return n, nil
		case tokComma:
		default:
			return nil, p.unexpected(t, "',' or '}'")
		}
		if t, err = p.lx.next(); err != nil {
			return nil, err
		}
		switch t.kind {
		case tokBraceClose:
			n.end = t.end
			return n, nil
		case tokLabel:
		default:
			return nil, p.unexpected(t, "a flag or '}'")
		}
	}
}

// parseNode parses src as one value with nothing after it.
func parseNode(src string) (*node, *parser, error) {
	if err := checkUTF8(src); err != nil {
		return nil, nil, err
	}
	p := &parser{lx: lexer{src: src}}
	n, err := p.value()
	if err != nil {
		return nil, nil, located(err, src)
	}
	t, err := p.lx.next()
	if err != nil {
		return nil, nil, located(err, src)
	}
	if t.kind != tokEOF {
		return nil, nil, located(errAt(t.start, "unexpected %s after the value", p.lx.describe(t)), src)
	}
	return n, p, nil
}

// checkUTF8 rejects text that is not UTF-8 (WAVE text is Unicode).
func checkUTF8(src string) error {
	if utf8.ValidString(src) {
		return nil
	}
	for i, r := range src {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(src[i:]); n <= 1 {
				return located(errAt(i, "invalid UTF-8"), src)
			}
		}
	}
	return nil
}
