package wit

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Pos is a position in a WIT source file: 1-based line and column (the
// column counts Unicode code points).
type Pos struct {
	File string
	Line int
	Col  int
}

// String formats the position as file:line:col.
func (p Pos) String() string {
	if p.File == "" {
		return fmt.Sprintf("%d:%d", p.Line, p.Col)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Error is a WIT syntax or resolution error at a source position. Its
// message is one line: "file:line:col: message".
type Error struct {
	Pos Pos
	Msg string
}

// Error formats the error as file:line:col: message.
func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

func errorf(pos Pos, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tInt
	tOp // one of = , : ; ( ) { } < > * -> / . @ _
)

type token struct {
	kind    tokKind
	text    string // identifier (without %), operator, digits or string value
	escaped bool   // identifier written with a leading %
	pos     Pos
	off     int // byte offset of the token's start
	end     int // byte offset just past the token
	docs    []string
}

type lexer struct {
	file string
	src  string
	off  int
	line int
	col  int
}

func newLexer(file, src string) *lexer {
	return &lexer{file: file, src: src, line: 1, col: 1}
}

func (l *lexer) pos() Pos { return Pos{File: l.file, Line: l.line, Col: l.col} }

func (l *lexer) advance() rune {
	r, n := utf8.DecodeRuneInString(l.src[l.off:])
	l.off += n
	if r == '\n' {
		l.line++
		l.col = 1
	} else {
		l.col++
	}
	return r
}

func (l *lexer) peekRune() rune {
	if l.off >= len(l.src) {
		return -1
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.off:])
	return r
}

// skip skips whitespace and comments, collecting doc comments (/// and /** */).
func (l *lexer) skip() ([]string, *Error) {
	var docs []string
	for l.off < len(l.src) {
		r := l.peekRune()
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			l.advance()
		case strings.HasPrefix(l.src[l.off:], "//"):
			start := l.off
			for l.off < len(l.src) && l.src[l.off] != '\n' {
				l.advance()
			}
			text := strings.TrimRight(l.src[start:l.off], "\r")
			// As in wit-parser, every comment before an item is its docs.
			docs = append(docs, strings.TrimRight(strings.TrimLeft(text, "/"), " \t"))
		case strings.HasPrefix(l.src[l.off:], "/*"):
			pos := l.pos()
			start := l.off
			l.advance()
			l.advance()
			depth := 1
			for depth > 0 {
				if l.off >= len(l.src) {
					return nil, errorf(pos, "unterminated block comment")
				}
				if strings.HasPrefix(l.src[l.off:], "*/") {
					l.advance()
					l.advance()
					depth--
				} else if strings.HasPrefix(l.src[l.off:], "/*") {
					l.advance()
					l.advance()
					depth++
				} else {
					l.advance()
				}
			}
			text := l.src[start:l.off]
			if text != "/**/" {
				body := strings.TrimSuffix(strings.TrimLeft(strings.TrimPrefix(text, "/"), "*"), "*/")
				for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
					line = strings.TrimSpace(line)
					line = strings.TrimPrefix(strings.TrimPrefix(line, "*"), " ")
					docs = append(docs, strings.TrimRight(line, " \t\r"))
				}
				continue // block docs are not re-indented
			}
		default:
			return trimDocs(docs), nil
		}
	}
	return trimDocs(docs), nil
}

// trimDocs removes the leading white space that all non-empty doc lines
// share, as wit-parser does.
func trimDocs(docs []string) []string {
	min := -1
	for _, d := range docs {
		if d == "" {
			continue
		}
		n := len(d) - len(strings.TrimLeft(d, " \t"))
		if min < 0 || n < min {
			min = n
		}
	}
	if min <= 0 {
		return docs
	}
	for i, d := range docs {
		if len(d) >= min {
			docs[i] = d[min:]
		}
	}
	return docs
}

func isIdentStart(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }
func isIdentChar(r rune) bool  { return isIdentStart(r) || r >= '0' && r <= '9' || r == '-' }

// next lexes the next token.
func (l *lexer) next() (token, *Error) {
	docs, err := l.skip()
	if err != nil {
		return token{}, err
	}
	t := token{pos: l.pos(), off: l.off, docs: docs}
	if l.off >= len(l.src) {
		t.kind = tEOF
		t.end = l.off
		return t, nil
	}
	r := l.peekRune()
	switch {
	case r == '%' || isIdentStart(r):
		if r == '%' {
			l.advance()
			t.escaped = true
			if !isIdentStart(l.peekRune()) {
				return t, errorf(t.pos, "expected an identifier after %%")
			}
		}
		start := l.off
		for l.off < len(l.src) && isIdentChar(l.peekRune()) {
			l.advance()
		}
		t.kind = tIdent
		t.text = l.src[start:l.off]
		if err := validateID(t.text); err != "" {
			return t, errorf(t.pos, "invalid identifier %q: %s", t.text, err)
		}
	case r >= '0' && r <= '9':
		start := l.off
		for l.off < len(l.src) && l.src[l.off] >= '0' && l.src[l.off] <= '9' {
			l.advance()
		}
		t.kind = tInt
		t.text = l.src[start:l.off]
	case r == '"':
		l.advance()
		var b strings.Builder
		for {
			if l.off >= len(l.src) || l.peekRune() == '\n' {
				return t, errorf(t.pos, "unterminated string literal")
			}
			c := l.advance()
			if c == '"' {
				break
			}
			if c == '\\' {
				pos := l.pos()
				if l.off >= len(l.src) {
					return t, errorf(pos, "unterminated string literal")
				}
				e := l.advance()
				switch e {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				case 'r':
					b.WriteByte('\r')
				case '"', '\'', '\\':
					b.WriteRune(e)
				case 'u':
					if l.peekRune() != '{' {
						return t, errorf(pos, "invalid escape in string literal")
					}
					l.advance()
					var v rune
					n := 0
					for l.peekRune() != '}' {
						h := l.advance()
						d := hexVal(h)
						if d < 0 || n > 6 {
							return t, errorf(pos, "invalid escape in string literal")
						}
						v = v*16 + rune(d)
						n++
					}
					l.advance()
					if n == 0 || !utf8.ValidRune(v) {
						return t, errorf(pos, "invalid escape in string literal")
					}
					b.WriteRune(v)
				default:
					d1 := hexVal(e)
					d2 := hexVal(l.peekRune())
					if d1 < 0 || d2 < 0 {
						return t, errorf(pos, "invalid escape in string literal")
					}
					l.advance()
					b.WriteByte(byte(d1*16 + d2))
				}
				continue
			}
			b.WriteRune(c)
		}
		t.kind = tString
		t.text = b.String()
	case r == '-':
		l.advance()
		if l.peekRune() != '>' {
			return t, errorf(t.pos, "unexpected character '-'")
		}
		l.advance()
		t.kind = tOp
		t.text = "->"
	case strings.ContainsRune("=,:;(){}<>*/.@_", r):
		l.advance()
		t.kind = tOp
		t.text = string(r)
	default:
		if r == utf8.RuneError {
			return t, errorf(t.pos, "invalid UTF-8")
		}
		return t, errorf(t.pos, "unexpected character %q", r)
	}
	t.end = l.off
	return t, nil
}

// scanVersion reads a semantic version starting right at the current offset
// (just after an '@' or '=' token, possibly after whitespace).
func (l *lexer) scanVersion() (string, Pos, *Error) {
	if _, err := l.skip(); err != nil {
		return "", Pos{}, err
	}
	pos := l.pos()
	start := l.off
	for l.off < len(l.src) {
		c := l.src[l.off]
		if c == '.' && l.off+1 < len(l.src) && l.src[l.off+1] == '{' {
			break // use ns:pkg/iface@1.2.3.{names}
		}
		if c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '-' || c == '+' {
			l.advance()
			continue
		}
		break
	}
	v := l.src[start:l.off]
	if !validSemver(v) {
		if v == "" {
			return "", pos, errorf(pos, "expected a version")
		}
		return "", pos, errorf(pos, "invalid version %q: not a semantic version", v)
	}
	return v, pos, nil
}

func hexVal(r rune) int {
	switch {
	case r >= '0' && r <= '9':
		return int(r - '0')
	case r >= 'a' && r <= 'f':
		return int(r-'a') + 10
	case r >= 'A' && r <= 'F':
		return int(r-'A') + 10
	}
	return -1
}

// validateID checks the kebab-case rule: words separated by single '-', each
// word starting with a letter and all lower case or all upper case.
func validateID(s string) string {
	if s == "" {
		return "empty"
	}
	for _, w := range strings.Split(s, "-") {
		if w == "" {
			return "empty word in kebab-case name"
		}
		if !isIdentStart(rune(w[0])) {
			return "each word must start with a letter"
		}
		lower, upper := false, false
		for _, c := range w {
			if c >= 'a' && c <= 'z' {
				lower = true
			} else if c >= 'A' && c <= 'Z' {
				upper = true
			}
		}
		if lower && upper {
			return "a word mixes upper and lower case"
		}
	}
	return ""
}

// validSemver reports whether v is a Semantic Versioning 2.0 version.
func validSemver(v string) bool {
	core, build, hasBuild := strings.Cut(v, "+")
	core, pre, hasPre := strings.Cut(core, "-")
	nums := strings.Split(core, ".")
	if len(nums) != 3 {
		return false
	}
	for _, n := range nums {
		if !numericID(n, true) {
			return false
		}
	}
	if hasPre {
		for _, id := range strings.Split(pre, ".") {
			if !alnumID(id) || (numericID(id, false) && !numericID(id, true)) {
				return false
			}
		}
	}
	if hasBuild {
		for _, id := range strings.Split(build, ".") {
			if !alnumID(id) {
				return false
			}
		}
	}
	return true
}

// numericID: digits only; strict also forbids leading zeros.
func numericID(s string, strict bool) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return !strict || s == "0" || s[0] != '0'
}

func alnumID(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}
