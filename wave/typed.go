package wave

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component"
)

// keywords are WAVE's reserved words; variant and enum cases spelled
// like one must be written with a '%' prefix.
var keywords = map[string]bool{
	"true": true, "false": true, "some": true, "none": true,
	"ok": true, "err": true, "inf": true, "nan": true,
}

// typeName names t for an error message.
func typeName(t *component.ValueType) string {
	s := t.String()
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return s
}

// noForm reports whether values of t have no WAVE form, and why.
func noForm(t *component.ValueType) string {
	switch t.Kind {
	case component.Own, component.Borrow:
		return "resource handles (" + typeName(t) + ") have no WAVE form"
	case component.Stream, component.Future, component.ErrorContext:
		return t.Kind.String() + " values have no WAVE form"
	}
	return ""
}

// typed converts n to a value of type t.
func (p *parser) typed(n *node, t *component.ValueType) (canonical.Value, error) {
	if t == nil {
		return nil, errAt(n.start, "no type for value")
	}
	if msg := noForm(t); msg != "" {
		return nil, errAt(n.start, "%s", msg)
	}
	mismatch := func() error {
		return errAt(n.start, "expected %s, found %s", expectWhat(t), p.found(n))
	}
	switch t.Kind {
	case component.Bool:
		switch n.kind {
		case nodeTrue:
			return true, nil
		case nodeFalse:
			return false, nil
		}
		return nil, mismatch()
	case component.S8, component.S16, component.S32, component.S64,
		component.U8, component.U16, component.U32, component.U64:
		if n.kind != nodeNumber {
			return nil, mismatch()
		}
		return p.integer(n, t.Kind)
	case component.F32, component.F64:
		if n.kind != nodeNumber {
			return nil, mismatch()
		}
		return p.float(n, t.Kind)
	case component.Char:
		if n.kind != nodeChar {
			return nil, mismatch()
		}
		r, err := p.char(n)
		if err != nil {
			return nil, err
		}
		return canonical.Char(r), nil
	case component.String:
		switch n.kind {
		case nodeString:
			return p.str(n)
		case nodeMultiline:
			return p.multiline(n)
		}
		return nil, mismatch()
	case component.List, component.FixedList:
		if n.kind != nodeList {
			return nil, mismatch()
		}
		if t.Kind == component.FixedList && uint64(len(n.kids)) != uint64(t.Len) {
			return nil, errAt(n.start, "expected %d elements for %s, found %d", t.Len, typeName(t), len(n.kids))
		}
		if t.Kind == component.List && t.Elem.Kind == component.U8 {
			b := make([]byte, len(n.kids))
			for i, k := range n.kids {
				v, err := p.typed(k, t.Elem)
				if err != nil {
					return nil, err
				}
				b[i] = v.(uint8)
			}
			return b, nil
		}
		l := make(canonical.List, len(n.kids))
		for i, k := range n.kids {
			v, err := p.typed(k, t.Elem)
			if err != nil {
				return nil, err
			}
			l[i] = v
		}
		return l, nil
	case component.Tuple:
		if n.kind != nodeTuple {
			return nil, mismatch()
		}
		if len(n.kids) != len(t.Types) {
			return nil, errAt(n.start, "expected %d values for %s, found %d", len(t.Types), typeName(t), len(n.kids))
		}
		tu := make(canonical.Tuple, len(n.kids))
		for i, k := range n.kids {
			v, err := p.typed(k, t.Types[i])
			if err != nil {
				return nil, err
			}
			tu[i] = v
		}
		return tu, nil
	case component.Record:
		if n.kind != nodeRecord {
			if n.kind == nodeFlags && len(n.kids) == 0 {
				return nil, errAt(n.start, "expected record, found {} (an empty record is written {:})")
			}
			return nil, mismatch()
		}
		return p.typedRecord(n, t)
	case component.Variant:
		var name string
		var payload *node
		switch n.kind {
		case nodeLabel:
			name = p.label(n)
		case nodeVariant:
			name, payload = p.label(n.kids[0]), n.kids[1]
		default:
			if kw := keywordOf(n); kw != "" && caseIndex(t, kw) >= 0 {
				return nil, errAt(n.start, "case %q of %s must be written %%%s", kw, typeName(t), kw)
			}
			return nil, mismatch()
		}
		i := caseIndex(t, name)
		if i < 0 {
			return nil, errAt(n.start, "unknown case %q of %s", name, typeName(t))
		}
		v, err := p.typedPayload(n, name, t.Cases[i].Type, payload)
		if err != nil {
			return nil, err
		}
		return canonical.Variant{Case: uint32(i), Value: v}, nil
	case component.Enum:
		if n.kind != nodeLabel {
			if kw := keywordOf(n); kw != "" && labelIndex(t.Labels, kw) >= 0 {
				return nil, errAt(n.start, "case %q of %s must be written %%%s", kw, typeName(t), kw)
			}
			return nil, mismatch()
		}
		name := p.label(n)
		i := labelIndex(t.Labels, name)
		if i < 0 {
			return nil, errAt(n.start, "unknown case %q of %s", name, typeName(t))
		}
		return canonical.Enum(i), nil
	case component.Option:
		switch n.kind {
		case nodeSome:
			v, err := p.typed(n.kids[0], t.Elem)
			if err != nil {
				return nil, err
			}
			return canonical.Some(v), nil
		case nodeNone:
			return canonical.None, nil
		}
		if flattenable(t.Elem) {
			v, err := p.typed(n, t.Elem)
			if err != nil {
				return nil, err
			}
			return canonical.Some(v), nil
		}
		return nil, mismatch()
	case component.Result:
		switch n.kind {
		case nodeOK, nodeErr:
			pt, name := t.OK, "ok"
			if n.kind == nodeErr {
				pt, name = t.Err, "err"
			}
			var payload *node
			if len(n.kids) > 0 {
				payload = n.kids[0]
			}
			v, err := p.typedPayload(n, name, pt, payload)
			if err != nil {
				return nil, err
			}
			return canonical.Result{Err: n.kind == nodeErr, Value: v}, nil
		}
		if t.OK != nil && flattenable(t.OK) {
			v, err := p.typed(n, t.OK)
			if err != nil {
				return nil, err
			}
			return canonical.OK(v), nil
		}
		return nil, mismatch()
	case component.Flags:
		if n.kind != nodeFlags {
			return nil, mismatch()
		}
		if len(t.Labels) > 32 {
			return nil, errAt(n.start, "%s has more than 32 flags", typeName(t))
		}
		var f canonical.Flags
		for _, k := range n.kids {
			name := p.label(k)
			i := labelIndex(t.Labels, name)
			if i < 0 {
				return nil, errAt(k.start, "unknown flag %q of %s", name, typeName(t))
			}
			f |= 1 << uint(i)
		}
		return f, nil
	}
	return nil, errAt(n.start, "unsupported type %s", typeName(t))
}

// flattenable reports whether an option's some or a result's ok payload of
// type t may be written without some(...) or ok(...).
func flattenable(t *component.ValueType) bool {
	return t.Kind != component.Option && t.Kind != component.Result
}

func keywordOf(n *node) string {
	switch n.kind {
	case nodeTrue:
		return "true"
	case nodeFalse:
		return "false"
	case nodeNone:
		return "none"
	case nodeSome:
		return "some"
	case nodeOK:
		return "ok"
	case nodeErr:
		return "err"
	}
	return ""
}

func caseIndex(t *component.ValueType, name string) int {
	for i, c := range t.Cases {
		if c.Name == name {
			return i
		}
	}
	return -1
}

func labelIndex(labels []string, name string) int {
	for i, l := range labels {
		if l == name {
			return i
		}
	}
	return -1
}

// payload types a case's payload node (nil when written without one).
func (p *parser) typedPayload(n *node, name string, t *component.ValueType, payload *node) (canonical.Value, error) {
	switch {
	case t == nil && payload == nil:
		return nil, nil
	case t == nil:
		return nil, errAt(payload.start, "case %q has no payload", name)
	case payload == nil:
		return nil, errAt(n.start, "case %q needs a payload: %s(<%s>)", name, name, typeName(t))
	}
	return p.typed(payload, t)
}

func (p *parser) typedRecord(n *node, t *component.ValueType) (canonical.Value, error) {
	byName := map[string]*node{}
	for i := 0; i+1 < len(n.kids); i += 2 {
		name := p.label(n.kids[i])
		if fieldIndex(t, name) < 0 {
			return nil, errAt(n.kids[i].start, "unknown field %q of %s", name, typeName(t))
		}
		byName[name] = n.kids[i+1]
	}
	r := make(canonical.Record, len(t.Fields))
	for i, f := range t.Fields {
		k, ok := byName[f.Name]
		switch {
		case ok:
			v, err := p.typed(k, f.Type)
			if err != nil {
				return nil, err
			}
			r[i] = v
		case f.Type.Kind == component.Option:
			r[i] = canonical.None
		default:
			return nil, errAt(n.start, "missing field %q of %s", f.Name, typeName(t))
		}
	}
	return r, nil
}

func fieldIndex(t *component.ValueType, name string) int {
	for i, f := range t.Fields {
		if f.Name == name {
			return i
		}
	}
	return -1
}

// expectWhat says what a value of type t looks like, for an error.
func expectWhat(t *component.ValueType) string {
	switch t.Kind {
	case component.Bool:
		return "true or false"
	case component.List, component.FixedList:
		return "a list [...] for " + typeName(t)
	case component.Tuple:
		return "a tuple (...) for " + typeName(t)
	case component.Record:
		return "a record {...} for " + typeName(t)
	case component.Flags:
		return "flags {...} for " + typeName(t)
	case component.Variant:
		return "a case of " + typeName(t)
	case component.Enum:
		return "a case of " + typeName(t)
	case component.Option:
		return "some(...) or none for " + typeName(t)
	case component.Result:
		return "ok or err for " + typeName(t)
	case component.Char:
		return "a char like 'x'"
	case component.String:
		return "a string like \"x\""
	}
	return "a " + typeName(t)
}

// found describes the value node n, for an error.
func (p *parser) found(n *node) string {
	switch n.kind {
	case nodeNumber, nodeLabel, nodeTrue, nodeFalse, nodeNone:
		s := p.text(n)
		if len(s) > 40 {
			s = s[:40] + "..."
		}
		return s
	case nodeChar:
		return "a char"
	case nodeString, nodeMultiline:
		return "a string"
	case nodeVariant:
		return p.text(n.kids[0]) + "(...)"
	case nodeOK, nodeErr:
		return keywordOf(n)
	}
	if n.kind == nodeFlags && len(n.kids) == 0 {
		return "{}"
	}
	return "a " + nodeNames[n.kind]
}

var intBits = map[component.Kind]int{
	component.S8: 8, component.U8: 8, component.S16: 16, component.U16: 16,
	component.S32: 32, component.U32: 32, component.S64: 64, component.U64: 64,
}

func (p *parser) integer(n *node, k component.Kind) (canonical.Value, error) {
	s := p.text(n)
	bits := intBits[k]
	signed := k == component.S8 || k == component.S16 || k == component.S32 || k == component.S64
	if strings.ContainsAny(s, ".eE") || s == "nan" || s == "inf" || s == "-inf" {
		return nil, errAt(n.start, "%s is not an integer (%s)", s, k)
	}
	if signed {
		v, err := strconv.ParseInt(s, 10, bits)
		if err != nil {
			return nil, errAt(n.start, "%s is out of range for %s", s, k)
		}
		switch k {
		case component.S8:
			return int8(v), nil
		case component.S16:
			return int16(v), nil
		case component.S32:
			return int32(v), nil
		}
		return v, nil
	}
	v, err := strconv.ParseUint(s, 10, bits)
	if err != nil {
		return nil, errAt(n.start, "%s is out of range for %s", s, k)
	}
	switch k {
	case component.U8:
		return uint8(v), nil
	case component.U16:
		return uint16(v), nil
	case component.U32:
		return uint32(v), nil
	}
	return v, nil
}

// float parses a number as Rust's str::parse does for the numbers WAVE
// lexes: the nearest value, ±inf when it is too large.
func (p *parser) float(n *node, k component.Kind) (canonical.Value, error) {
	s := p.text(n)
	var f float64
	switch s {
	case "nan":
		f = math.NaN()
	case "inf":
		f = math.Inf(1)
	case "-inf":
		f = math.Inf(-1)
	default:
		bits := 64
		if k == component.F32 {
			bits = 32
		}
		var err error
		f, err = strconv.ParseFloat(s, bits)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, errAt(n.start, "invalid %s %s", k, s)
		}
	}
	if k == component.F32 {
		return float32(f), nil
	}
	return f, nil
}

// unescape decodes the escape at the start of s (a backslash and what
// lexEscape accepted) into its character; ok is false for a \u{...} that is
// not a Unicode scalar value.
func unescape(s string) (r rune, n int, ok bool) {
	n = lexEscape(s)
	if n == 0 {
		return 0, 0, false
	}
	switch s[1] {
	case '\'':
		return '\'', 2, true
	case '"':
		return '"', 2, true
	case '\\':
		return '\\', 2, true
	case 't':
		return '\t', 2, true
	case 'n':
		return '\n', 2, true
	case 'r':
		return '\r', 2, true
	}
	v, err := strconv.ParseUint(s[3:n-1], 16, 32)
	if err != nil || v > utf8.MaxRune || (v >= 0xD800 && v <= 0xDFFF) {
		return 0, n, false
	}
	return rune(v), n, true
}

func (p *parser) char(n *node) (rune, error) {
	inner := p.lx.src[n.start+1 : n.end-1]
	if inner[0] == '\\' {
		r, _, ok := unescape(inner)
		if !ok {
			return 0, errAt(n.start+1, "%s is not a Unicode scalar value", inner)
		}
		return r, nil
	}
	r, _ := utf8.DecodeRuneInString(inner)
	return r, nil
}

// decode decodes the escapes in s (string content at offset off).
func (p *parser) decode(b *strings.Builder, s string, off int) error {
	for {
		i := strings.IndexByte(s, '\\')
		if i < 0 {
			b.WriteString(s)
			return nil
		}
		b.WriteString(s[:i])
		r, n, ok := unescape(s[i:])
		if !ok {
			if n == 0 {
				return errAt(off+i, "invalid escape in string")
			}
			return errAt(off+i, "%s is not a Unicode scalar value", s[i:i+n])
		}
		b.WriteRune(r)
		s, off = s[i+n:], off+i+n
	}
}

func (p *parser) str(n *node) (canonical.Value, error) {
	inner := p.lx.src[n.start+1 : n.end-1]
	if !strings.Contains(inner, `\`) {
		return inner, nil
	}
	var b strings.Builder
	if err := p.decode(&b, inner, n.start+1); err != nil {
		return nil, err
	}
	return b.String(), nil
}

// multiline decodes a """ string: the opening """ must end its line, the
// closing """ must be preceded on its line only by spaces, which set the
// indent that every other line must start with and that is removed.
func (p *parser) multiline(n *node) (canonical.Value, error) {
	start := n.start + 3
	inner := p.lx.src[start : n.end-3]
	switch {
	case strings.HasPrefix(inner, "\r\n"):
		inner, start = inner[2:], start+2
	case strings.HasPrefix(inner, "\n"):
		inner, start = inner[1:], start+1
	default:
		return nil, errAt(n.start, `the opening """ of a multiline string must end its line`)
	}
	last := strings.LastIndexByte(inner, '\n')
	var indent string
	if last < 0 {
		indent, inner = inner, ""
	} else {
		indent, inner = inner[last+1:], inner[:last]
	}
	if strings.Trim(indent, " ") != "" {
		return nil, errAt(n.end-3, `the closing """ of a multiline string must be on a line of its own, after spaces only`)
	}
	if last < 0 {
		return "", nil
	}
	var b strings.Builder
	off := start
	for i, line := range strings.Split(inner, "\n") {
		if !strings.HasPrefix(line, indent) {
			return nil, errAt(off, `line %d of the multiline string is indented less than its closing """`, i+1)
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		content := strings.TrimSuffix(line[len(indent):], "\r")
		if err := p.decode(&b, content, off+len(indent)); err != nil {
			return nil, err
		}
		off += len(line) + 1
	}
	return b.String(), nil
}
