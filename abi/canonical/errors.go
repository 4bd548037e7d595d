package canonical

import "fmt"

// Error is a failure to lift or lower a value, or to use a handle: a trap
// of the calling component under the canonical ABI when the component
// gave the bad input, or a host mistake when a Go value has the wrong form.
// Its message is one line naming the operation, the type and what failed,
// e.g. "lift string: pointer 0x10fff0 + 32 out of bounds of memory (1 MiB)".
type Error struct {
	Op   string // "lift", "lower", "resource.drop", ...
	Type string // the value type (short WIT form), or "" for none
	Msg  string
	Err  error // the underlying error (a realloc or destructor failure), if any
}

// Error returns the one-line message.
func (e *Error) Error() string {
	s := e.Op
	if e.Type != "" {
		s += " " + e.Type
	}
	s += ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

func liftErr(l *layout, format string, args ...any) error {
	return &Error{Op: "lift", Type: l.name, Msg: fmt.Sprintf(format, args...)}
}

func lowerErr(l *layout, format string, args ...any) error {
	return &Error{Op: "lower", Type: l.name, Msg: fmt.Sprintf(format, args...)}
}

// formErr is the error for a Go value of the wrong form for l.
func formErr(l *layout, v Value, want string) error {
	if v == nil {
		return lowerErr(l, "got nil, want %s", want)
	}
	return lowerErr(l, "got %T, want %s", v, want)
}

// sizeString formats a memory size: "1 MiB", "64 KiB", "100 bytes".
func sizeString(n uint64) string {
	switch {
	case n != 0 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n != 0 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
