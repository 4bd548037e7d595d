package wave

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wasmhive/wasmhive/abi/canonical"
	"github.com/wasmhive/wasmhive/component"
)

// writer formats values as wasm-wave's Writer does (src/writer.rs).
type writer struct {
	b     strings.Builder
	depth int
}

// maxFormatDepth bounds the nesting Format follows: a value deeper than
// this cannot have come from a real type.
const maxFormatDepth = 1000

func wrongForm(v canonical.Value, t *component.ValueType) error {
	return fmt.Errorf("wave: value %s is not a %s", describeGo(v), typeName(t))
}

func describeGo(v canonical.Value) string {
	s := fmt.Sprintf("%T(%v)", v, v)
	if v == nil {
		s = "nil"
	}
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return oneLine(s)
}

func (w *writer) value(v canonical.Value, t *component.ValueType) error {
	if t == nil {
		return fmt.Errorf("wave: no type for value %s", describeGo(v))
	}
	if msg := noForm(t); msg != "" {
		return fmt.Errorf("wave: %s", msg)
	}
	if w.depth >= maxFormatDepth {
		return fmt.Errorf("wave: value nested more than %d deep", maxFormatDepth)
	}
	w.depth++
	defer func() { w.depth-- }()
	b := &w.b
	bad := func() error { return wrongForm(v, t) }
	switch t.Kind {
	case component.Bool:
		x, ok := v.(bool)
		if !ok {
			return bad()
		}
		b.WriteString(strconv.FormatBool(x))
	case component.S8, component.S16, component.S32, component.S64:
		var x int64
		switch y := v.(type) {
		case int8:
			x = int64(y)
		case int16:
			x = int64(y)
		case int32:
			x = int64(y)
		case int64:
			x = y
		default:
			return bad()
		}
		if !sameInt(v, t.Kind) {
			return bad()
		}
		b.WriteString(strconv.FormatInt(x, 10))
	case component.U8, component.U16, component.U32, component.U64:
		var x uint64
		switch y := v.(type) {
		case uint8:
			x = uint64(y)
		case uint16:
			x = uint64(y)
		case uint32:
			x = uint64(y)
		case uint64:
			x = y
		default:
			return bad()
		}
		if !sameInt(v, t.Kind) {
			return bad()
		}
		b.WriteString(strconv.FormatUint(x, 10))
	case component.F32:
		x, ok := v.(float32)
		if !ok {
			return bad()
		}
		b.WriteString(formatFloat(float64(x), 32))
	case component.F64:
		x, ok := v.(float64)
		if !ok {
			return bad()
		}
		b.WriteString(formatFloat(x, 64))
	case component.Char:
		x, ok := v.(canonical.Char)
		if !ok || !validChar(rune(x)) {
			return bad()
		}
		b.WriteByte('\'')
		b.WriteString(escapeChar(rune(x)))
		b.WriteByte('\'')
	case component.String:
		x, ok := v.(string)
		if !ok {
			return bad()
		}
		if !utf8.ValidString(x) {
			return fmt.Errorf("wave: string %s is not valid UTF-8", describeGo(x))
		}
		b.WriteByte('"')
		b.WriteString(escapeString(x))
		b.WriteByte('"')
	case component.List, component.FixedList:
		n := 0
		var elem func(i int) canonical.Value
		switch x := v.(type) {
		case []byte:
			if t.Elem.Kind != component.U8 {
				return bad()
			}
			n, elem = len(x), func(i int) canonical.Value { return x[i] }
		case canonical.List:
			n, elem = len(x), func(i int) canonical.Value { return x[i] }
		default:
			return bad()
		}
		if t.Kind == component.FixedList && uint64(n) != uint64(t.Len) {
			return fmt.Errorf("wave: %d elements for %s", n, typeName(t))
		}
		b.WriteByte('[')
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			if err := w.value(elem(i), t.Elem); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case component.Tuple:
		x, ok := v.(canonical.Tuple)
		if !ok || len(x) != len(t.Types) {
			return bad()
		}
		b.WriteByte('(')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			if err := w.value(e, t.Types[i]); err != nil {
				return err
			}
		}
		b.WriteByte(')')
	case component.Record:
		x, ok := v.(canonical.Record)
		if !ok || len(x) != len(t.Fields) {
			return bad()
		}
		b.WriteByte('{')
		first := true
		for i, f := range t.Fields {
			if f.Type.Kind == component.Option {
				if o, ok := x[i].(canonical.Option); ok && !o.Some {
					continue // none fields are left out, as wasm-wave does
				}
			}
			if !first {
				b.WriteString(", ")
			}
			first = false
			b.WriteString(f.Name)
			b.WriteString(": ")
			if err := w.value(x[i], f.Type); err != nil {
				return err
			}
		}
		if first {
			b.WriteByte(':')
		}
		b.WriteByte('}')
	case component.Variant:
		x, ok := v.(canonical.Variant)
		if !ok || int64(x.Case) >= int64(len(t.Cases)) {
			return bad()
		}
		c := t.Cases[x.Case]
		writeLabel(b, c.Name)
		if c.Type != nil {
			b.WriteByte('(')
			if err := w.value(x.Value, c.Type); err != nil {
				return err
			}
			b.WriteByte(')')
		} else if x.Value != nil {
			return bad()
		}
	case component.Enum:
		x, ok := v.(canonical.Enum)
		if !ok || int64(x) >= int64(len(t.Labels)) {
			return bad()
		}
		writeLabel(b, t.Labels[x])
	case component.Option:
		x, ok := v.(canonical.Option)
		if !ok {
			return bad()
		}
		if !x.Some {
			b.WriteString("none")
			break
		}
		b.WriteString("some(")
		if err := w.value(x.Value, t.Elem); err != nil {
			return err
		}
		b.WriteByte(')')
	case component.Result:
		x, ok := v.(canonical.Result)
		if !ok {
			return bad()
		}
		pt := t.OK
		if x.Err {
			pt = t.Err
			b.WriteString("err")
		} else {
			b.WriteString("ok")
		}
		if pt != nil {
			b.WriteByte('(')
			if err := w.value(x.Value, pt); err != nil {
				return err
			}
			b.WriteByte(')')
		} else if x.Value != nil {
			return bad()
		}
	case component.Flags:
		x, ok := v.(canonical.Flags)
		if !ok || (len(t.Labels) < 32 && x>>uint(len(t.Labels)) != 0) {
			return bad()
		}
		b.WriteByte('{')
		first := true
		for i, l := range t.Labels {
			if i < 32 && x&(1<<uint(i)) != 0 {
				if !first {
					b.WriteString(", ")
				}
				first = false
				b.WriteString(l)
			}
		}
		b.WriteByte('}')
	default:
		return fmt.Errorf("wave: unsupported type %s", typeName(t))
	}
	return nil
}

// sameInt reports whether v's Go type is the one kind k uses.
func sameInt(v canonical.Value, k component.Kind) bool {
	switch v.(type) {
	case int8:
		return k == component.S8
	case int16:
		return k == component.S16
	case int32:
		return k == component.S32
	case int64:
		return k == component.S64
	case uint8:
		return k == component.U8
	case uint16:
		return k == component.U16
	case uint32:
		return k == component.U32
	case uint64:
		return k == component.U64
	}
	return false
}

func validChar(r rune) bool {
	return r >= 0 && r <= unicode.MaxRune && (r < 0xD800 || r > 0xDFFF)
}

// writeLabel writes a variant or enum case, with '%' if it is a keyword.
func writeLabel(b *strings.Builder, name string) {
	if keywords[name] {
		b.WriteByte('%')
	}
	b.WriteString(name)
}

// formatFloat formats f as Rust's Display does (wasm-wave writes floats
// with it): the shortest digits that read back as f, never an exponent,
// "-0" for negative zero; and nan, inf and -inf. Where two shortest digit
// strings are equally close to f, Rust takes the one farther from zero and
// Go's strconv the even one; this takes Rust's.
func formatFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f == 0:
		if math.Signbit(f) {
			return "-0"
		}
		return "0"
	}
	neg := f < 0
	digits, exp := shortestDigits(math.Abs(f), bits)
	if up, upExp, ok := roundTieUp(math.Abs(f), bits, digits, exp); ok {
		digits, exp = up, upExp
	}
	s := fixed(digits, exp)
	if neg {
		s = "-" + s
	}
	return s
}

// shortestDigits returns the shortest significant digits of f (> 0) that
// read back as f and the position of the decimal point: f is
// 0.digits × 10^exp.
func shortestDigits(f float64, bits int) (string, int) {
	s := strconv.FormatFloat(f, 'e', -1, bits) // d.ddde±xx
	mant, e, _ := strings.Cut(s, "e")
	x, _ := strconv.Atoi(e)
	return strings.Replace(mant, ".", "", 1), x + 1
}

// roundTieUp returns the digits (and point position) rounded up in their
// last place when f lies exactly halfway between them and that; ok is
// false otherwise, or when the rounded-up digits do not read back as f.
func roundTieUp(f float64, bits int, digits string, exp int) (up string, upExp int, ok bool) {
	n := len(digits)
	if m, _, _ := strings.Cut(strconv.FormatFloat(f, 'e', n, 64), "e"); m[len(m)-1] != '5' {
		return "", 0, false // n+1 digits of f do not end in 5: no tie
	}
	exact := strconv.FormatFloat(f, 'e', 800, 64) // all digits of f: binary fractions end
	mant, _, _ := strings.Cut(exact, "e")
	all := strings.TrimRight(strings.Replace(mant, ".", "", 1), "0")
	// A tie: the exact digits are digits-or-their-neighbour then a single 5.
	if len(all) != n+1 || all[n] != '5' {
		return "", 0, false
	}
	if ex, _ := strconv.Atoi(exact[strings.IndexByte(exact, 'e')+1:]); ex+1 != exp {
		return "", 0, false
	}
	b := []byte(all[:n])
	i := n - 1
	for ; i >= 0 && b[i] == '9'; i-- {
		b[i] = '0'
	}
	upExp = exp
	if i < 0 {
		b = append([]byte{'1'}, b...)
		upExp++
	} else {
		b[i]++
	}
	up = strings.TrimRight(string(b), "0")
	if up == digits {
		return "", 0, false
	}
	// The rounded-up digits must read back as f.
	g, err := strconv.ParseFloat("0."+up+"e"+strconv.Itoa(upExp), bits)
	if err != nil || g != f {
		return "", 0, false
	}
	return up, upExp, true
}

// fixed writes 0.digits × 10^exp without an exponent.
func fixed(digits string, exp int) string {
	switch {
	case exp <= 0:
		return "0." + strings.Repeat("0", -exp) + digits
	case exp >= len(digits):
		return digits + strings.Repeat("0", exp-len(digits))
	}
	return digits[:exp] + "." + digits[exp:]
}

// escapeString escapes every character of s as escapeChar does.
func escapeString(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteString(escapeChar(r))
	}
	return b.String()
}

// escapeChar escapes r as wasm-wave's writer does: \\ \" \' \t \r \n by
// name; other control characters, and characters Rust's
// char::escape_debug escapes (grapheme extenders such as combining marks,
// and unprintable ones: separators other than ' ', format, private-use
// and unassigned characters), as \u{hex}; the rest as themselves.
func escapeChar(r rune) string {
	switch r {
	case '\\':
		return `\\`
	case '"':
		return `\"`
	case '\'':
		return `\'`
	case '\t':
		return `\t`
	case '\r':
		return `\r`
	case '\n':
		return `\n`
	}
	if r >= 0x20 && r < 0x7f {
		return string(r)
	}
	if unicode.Is(unicode.Cc, r) || graphemeExtend(r) || !printable(r) {
		return fmt.Sprintf(`\u{%x}`, r)
	}
	return string(r)
}

// graphemeExtend reports Unicode's Grapheme_Extend property: Mn, Me and
// Other_Grapheme_Extend.
func graphemeExtend(r rune) bool {
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Other_Grapheme_Extend)
}

// printable is Rust's core::unicode::printable: false for the general
// categories Zs (but ' '), Zl, Zp, Cc, Cf, Cs, Co and Cn (unassigned).
func printable(r rune) bool {
	if r == ' ' {
		return true
	}
	if unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp, unicode.Cc, unicode.Cf, unicode.Cs, unicode.Co) {
		return false
	}
	return unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z)
}
