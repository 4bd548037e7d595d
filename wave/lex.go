package wave

import (
	"strings"
	"unicode/utf8"
)

// tokKind is the kind of a WAVE token. The token set and what each token
// matches follow wasm-wave's lexer (crates/wasm-wave/src/lex.rs).
type tokKind uint8

const (
	tokEOF tokKind = iota
	tokBraceOpen
	tokBraceClose
	tokParenOpen
	tokParenClose
	tokBracketOpen
	tokBracketClose
	tokColon
	tokComma
	tokNumber    // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)? or -inf
	tokLabel     // %?word(-word)*: a label or a keyword
	tokChar      // '<char>'
	tokString    // "<chars>"
	tokMultiline // """<line break>...<line break><spaces>"""
)

var tokNames = [...]string{
	tokEOF:          "end of input",
	tokBraceOpen:    "'{'",
	tokBraceClose:   "'}'",
	tokParenOpen:    "'('",
	tokParenClose:   "')'",
	tokBracketOpen:  "'['",
	tokBracketClose: "']'",
	tokColon:        "':'",
	tokComma:        "','",
	tokNumber:       "number",
	tokLabel:        "label",
	tokChar:         "char",
	tokString:       "string",
	tokMultiline:    "string",
}

func (k tokKind) String() string { return tokNames[k] }

// token is a lexed token: its kind and its byte span in the source.
type token struct {
	kind       tokKind
	start, end int
}

// lexer splits WAVE text into tokens, skipping whitespace and comments.
type lexer struct {
	src string
	pos int
}

// describe names the token for an error message: punctuation by itself,
// labels and numbers with their text.
func (lx *lexer) describe(t token) string {
	switch t.kind {
	case tokLabel, tokNumber:
		s := lx.src[t.start:t.end]
		if len(s) > 40 {
			s = s[:40] + "..."
		}
		return t.kind.String() + " " + quoteText(s)
	}
	return t.kind.String()
}

// quoteText quotes s for an error message.
func quoteText(s string) string {
	return "\"" + escapeString(s) + "\""
}

// skip moves past whitespace ([ \t\n\r]) and // comments.
func (lx *lexer) skip() {
	for lx.pos < len(lx.src) {
		switch c := lx.src[lx.pos]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			lx.pos++
		case c == '/' && strings.HasPrefix(lx.src[lx.pos:], "//"):
			if i := strings.IndexByte(lx.src[lx.pos:], '\n'); i >= 0 {
				lx.pos += i
			} else {
				lx.pos = len(lx.src)
			}
		default:
			return
		}
	}
}

// peek returns the next token without consuming it.
func (lx *lexer) peek() (token, error) {
	save := lx.pos
	t, err := lx.next()
	lx.pos = save
	return t, err
}

// next consumes and returns the next token (tokEOF at the end).
func (lx *lexer) next() (token, error) {
	lx.skip()
	start := lx.pos
	if start >= len(lx.src) {
		return token{kind: tokEOF, start: start, end: start}, nil
	}
	tok := func(k tokKind, end int) (token, error) {
		lx.pos = end
		return token{kind: k, start: start, end: end}, nil
	}
	s := lx.src[start:]
	switch c := s[0]; c {
	case '{':
		return tok(tokBraceOpen, start+1)
	case '}':
		return tok(tokBraceClose, start+1)
	case '(':
		return tok(tokParenOpen, start+1)
	case ')':
		return tok(tokParenClose, start+1)
	case '[':
		return tok(tokBracketOpen, start+1)
	case ']':
		return tok(tokBracketClose, start+1)
	case ':':
		return tok(tokColon, start+1)
	case ',':
		return tok(tokComma, start+1)
	case '\'':
		n, msg := lexChar(s)
		if msg != "" {
			return token{}, errAt(start, "%s", msg)
		}
		return tok(tokChar, start+n)
	case '"':
		if strings.HasPrefix(s, `"""`) {
			i := strings.Index(s[3:], `"""`)
			if i < 0 {
				return token{}, errAt(start, "unterminated multiline string")
			}
			return tok(tokMultiline, start+3+i+3)
		}
		n, off, msg := lexString(s)
		if msg != "" {
			return token{}, errAt(start+off, "%s", msg)
		}
		return tok(tokString, start+n)
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		if strings.HasPrefix(s, "-inf") {
			// "-inf" is a token of its own; a longer number cannot start so.
			return tok(tokNumber, start+4)
		}
		if n := lexNumber(s); n > 0 {
			return tok(tokNumber, start+n)
		}
	case '%':
		if n := lexLabel(s[1:]); n > 0 {
			return tok(tokLabel, start+1+n)
		}
	default:
		if n := lexLabel(s); n > 0 {
			return tok(tokLabel, start+n)
		}
	}
	r, _ := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && len(s) > 0 && s[0] >= utf8.RuneSelf {
		return token{}, errAt(start, "invalid UTF-8")
	}
	return token{}, errAt(start, "unexpected character %s", quoteRune(r))
}

func quoteRune(r rune) string { return "'" + escapeChar(r) + "'" }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

// lexNumber returns the length of the longest number at the start of s
// (0 for none): -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?
func lexNumber(s string) int {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return 0
	}
	if i+1 < len(s) && s[i] == '.' && isDigit(s[i+1]) {
		i += 2
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			i = j
		}
	}
	return i
}

// lexLabel returns the length of the longest label (without '%') at the
// start of s, or 0: a first word [a-z][a-z0-9]* or [A-Z][A-Z0-9]*, then
// any number of "-" and a word [a-z0-9]+ or [A-Z0-9]+.
func lexLabel(s string) int {
	i := 0
	switch {
	case i < len(s) && isLower(s[i]):
		i++
		for i < len(s) && (isLower(s[i]) || isDigit(s[i])) {
			i++
		}
	case i < len(s) && isUpper(s[i]):
		i++
		for i < len(s) && (isUpper(s[i]) || isDigit(s[i])) {
			i++
		}
	default:
		return 0
	}
	for i+1 < len(s) && s[i] == '-' {
		n := lexWord(s[i+1:])
		if n == 0 {
			break
		}
		i += 1 + n
	}
	return i
}

// lexWord returns the length of the longest [a-z0-9]+ or [A-Z0-9]+ at the
// start of s.
func lexWord(s string) int {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	switch {
	case i < len(s) && isLower(s[i]):
		for i < len(s) && (isLower(s[i]) || isDigit(s[i])) {
			i++
		}
	case i < len(s) && isUpper(s[i]):
		for i < len(s) && (isUpper(s[i]) || isDigit(s[i])) {
			i++
		}
	}
	return i
}

// lexEscape returns the length of the escape at the start of s (which
// starts with a backslash), or 0 if it is not one WAVE has: \' \" \\ \t \n
// \r or \u{...} with 1 to 6 hex digits. Whether \u{...} names a Unicode
// scalar value is checked when the text is decoded.
func lexEscape(s string) int {
	if len(s) < 2 {
		return 0
	}
	switch s[1] {
	case '\'', '"', '\\', 't', 'n', 'r':
		return 2
	case 'u':
		if len(s) < 3 || s[2] != '{' {
			return 0
		}
		i := 3
		for i < len(s) && i-3 < 7 && isHex(s[i]) {
			i++
		}
		if n := i - 3; n < 1 || n > 6 || i >= len(s) || s[i] != '}' {
			return 0
		}
		return i + 1
	}
	return 0
}

func isHex(c byte) bool { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }

// lexChar returns the length of the char literal at the start of s, or an
// error message.
func lexChar(s string) (int, string) {
	i := 1
	switch {
	case i >= len(s) || s[i] == '\n':
		return 0, "unterminated char"
	case s[i] == '\\':
		n := lexEscape(s[i:])
		if n == 0 {
			return 0, "invalid escape in char"
		}
		i += n
	case s[i] == '\'':
		return 0, "empty char (write '\\'' for a quote)"
	default:
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			return 0, "invalid UTF-8"
		}
		i += n
	}
	if i >= len(s) || s[i] != '\'' {
		if j := strings.IndexByte(s[i:], '\''); j > 0 && !strings.Contains(s[i:i+j], "\n") {
			return 0, "more than one character in char"
		}
		return 0, "unterminated char"
	}
	return i + 1, ""
}

// lexString returns the length of the string literal at the start of s,
// or the offset of the problem and an error message.
func lexString(s string) (int, int, string) {
	i := 1
	for i < len(s) {
		switch c := s[i]; c {
		case '"':
			return i + 1, 0, ""
		case '\n':
			return 0, i, "line break in string (escape it as \\n, or use a \"\"\" multiline string)"
		case '\\':
			n := lexEscape(s[i:])
			if n == 0 {
				return 0, i, "invalid escape in string"
			}
			i += n
		default:
			if c >= utf8.RuneSelf {
				r, n := utf8.DecodeRuneInString(s[i:])
				if r == utf8.RuneError && n <= 1 {
					return 0, i, "invalid UTF-8"
				}
				i += n
			} else {
				i++
			}
		}
	}
	return 0, 0, "unterminated string"
}
