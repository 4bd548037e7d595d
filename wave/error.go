package wave

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Error is a WAVE parse or type error. Its text is one line: the
// position (a 1-based column, and the line when the text has more than
// one), the argument of a call it is about, and what is wrong, e.g.
//
//	wave: column 7: expected ',' or ']', found ':'
//	wave: column 5: argument 2 (count: u32): 300 is out of range for u32
type Error struct {
	// Offset is the byte offset in the parsed text where the problem is.
	Offset int
	// Line and Column are Offset as a 1-based line and column (in
	// characters); Line is 1 for one-line text.
	Line, Column int
	// Arg is the 1-based argument of a call the error is about (0 for none)
	// and ArgName its parameter's name.
	Arg     int
	ArgName string
	// Msg says what is wrong.
	Msg string

	multiline bool
}

// Error returns the one-line message, "wave: column N: ...".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("wave: ")
	if e.Column > 0 {
		if e.multiline {
			fmt.Fprintf(&b, "line %d, column %d: ", e.Line, e.Column)
		} else {
			fmt.Fprintf(&b, "column %d: ", e.Column)
		}
	}
	if e.Arg > 0 {
		fmt.Fprintf(&b, "argument %d", e.Arg)
		if e.ArgName != "" {
			fmt.Fprintf(&b, " (%s)", e.ArgName)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// errAt returns an error at byte offset off; locate fills in its line
// and column once the whole source is known.
func errAt(off int, format string, args ...any) *Error {
	return &Error{Offset: off, Msg: oneLine(fmt.Sprintf(format, args...))}
}

// oneLine keeps an error message on one line.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\n\r") {
		return s
	}
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// locate sets e's line and column from its offset in src.
func (e *Error) locate(src string) *Error {
	off := min(max(e.Offset, 0), len(src))
	line, lineStart := 1, 0
	for i := 0; i < off; i++ {
		if src[i] == '\n' {
			line++
			lineStart = i + 1
		}
	}
	e.Line = line
	e.Column = utf8.RuneCountInString(src[lineStart:off]) + 1
	e.multiline = strings.Contains(src, "\n")
	return e
}

// located converts err (an *Error or nil) into a located error for src.
func located(err error, src string) error {
	if err == nil {
		return nil
	}
	if e, ok := err.(*Error); ok {
		return e.locate(src)
	}
	return err
}
