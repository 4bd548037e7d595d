package wasihttp

import (
	"net/http"
	"slices"
	"sort"
	"strings"
)

// header-error cases.
const (
	headerInvalidSyntax = 0
	headerForbidden     = 1
	headerImmutable     = 2
)

// headerError is a header-error value as a Go error.
type headerError uint32

func (e headerError) Error() string {
	switch e {
	case headerInvalidSyntax:
		return "invalid-syntax"
	case headerForbidden:
		return "forbidden"
	}
	return "immutable"
}

// forbiddenHeaders are the names a guest may not set, as in Wasmtime
// (wasmtime-wasi-http's default forbidden headers, and host: the
// authority names the host of an outgoing request).
var forbiddenHeaders = []string{
	"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
	"proxy-connection", "te", "transfer-encoding", "upgrade", "host", "http2-settings",
}

// field is one name-value pair; names are lower case.
type field struct {
	name  string
	value []byte
}

// fields is a fields resource: its pairs, grouped by name in the order
// each name first appeared (the order of the wire, as in Wasmtime's
// header map). Mutations build new slices, so that immutable fields may
// share theirs.
type fields struct {
	entries   []field
	immutable bool
}

// child returns an immutable fields sharing f's pairs (the headers of a
// request or response).
func (f *fields) child() *fields { return &fields{entries: f.entries, immutable: true} }

// clone returns a mutable deep copy.
func (f *fields) clone() *fields {
	out := &fields{entries: make([]field, len(f.entries))}
	for i, e := range f.entries {
		out.entries[i] = field{e.name, append([]byte(nil), e.value...)}
	}
	return out
}

func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// validName reports whether name is a field name (an HTTP token).
func validName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !isTokenChar(name[i]) {
			return false
		}
	}
	return true
}

// validValue reports whether v is a field value: no control characters
// but tab (as Wasmtime's http::HeaderValue).
func validValue(v []byte) bool {
	for _, c := range v {
		if (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// checkName returns the lower-case name, or the header-error of a name
// the guest may not use.
func checkName(name string) (string, error) {
	if !validName(name) {
		return "", headerError(headerInvalidSyntax)
	}
	name = strings.ToLower(name)
	if slices.Contains(forbiddenHeaders, name) {
		return "", headerError(headerForbidden)
	}
	return name, nil
}

func (f *fields) get(name string) [][]byte {
	name = strings.ToLower(name)
	var out [][]byte
	for _, e := range f.entries {
		if e.name == name {
			out = append(out, e.value)
		}
	}
	return out
}

func (f *fields) has(name string) bool {
	name = strings.ToLower(name)
	for _, e := range f.entries {
		if e.name == name {
			return true
		}
	}
	return false
}

// set replaces the values of name (at the place of its first value).
func (f *fields) set(name string, values [][]byte) error {
	if f.immutable {
		return headerError(headerImmutable)
	}
	name, err := checkName(name)
	if err != nil {
		return err
	}
	for _, v := range values {
		if !validValue(v) {
			return headerError(headerInvalidSyntax)
		}
	}
	out := make([]field, 0, len(f.entries)+len(values))
	done := false
	for _, e := range f.entries {
		if e.name != name {
			out = append(out, e)
			continue
		}
		if !done {
			for _, v := range values {
				out = append(out, field{name, append([]byte(nil), v...)})
			}
			done = true
		}
	}
	if !done {
		for _, v := range values {
			out = append(out, field{name, append([]byte(nil), v...)})
		}
	}
	f.entries = out
	return nil
}

func (f *fields) delete(name string) error {
	if f.immutable {
		return headerError(headerImmutable)
	}
	name, err := checkName(name)
	if err != nil {
		return err
	}
	out := make([]field, 0, len(f.entries))
	for _, e := range f.entries {
		if e.name != name {
			out = append(out, e)
		}
	}
	f.entries = out
	return nil
}

// append adds a value after the name's last one.
func (f *fields) append(name string, value []byte) error {
	if f.immutable {
		return headerError(headerImmutable)
	}
	name, err := checkName(name)
	if err != nil {
		return err
	}
	if !validValue(value) {
		return headerError(headerInvalidSyntax)
	}
	f.entries = appendField(f.entries, field{name, append([]byte(nil), value...)})
	return nil
}

// appendField returns entries with e after the last pair of its name (at
// the end when there is none), in a new slice.
func appendField(entries []field, e field) []field {
	at := len(entries)
	for i := len(entries) - 1; i >= 0; i-- {
		if entries[i].name == e.name {
			at = i + 1
			break
		}
	}
	out := make([]field, 0, len(entries)+1)
	out = append(out, entries[:at]...)
	out = append(out, e)
	return append(out, entries[at:]...)
}

// fromList makes mutable fields of pairs, checked as append checks them.
func fromList(pairs []field) (*fields, error) {
	f := &fields{}
	for _, p := range pairs {
		if err := f.append(p.name, p.value); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// fromHeader makes fields of a Go header (names lower-cased and sorted,
// since a Go header keeps no order), leaving out skip's names.
func fromHeader(h http.Header, skip func(string) bool) *fields {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	f := &fields{immutable: true}
	for _, k := range names {
		lk := strings.ToLower(k)
		if skip != nil && skip(lk) {
			continue
		}
		for _, v := range h[k] {
			f.entries = append(f.entries, field{lk, []byte(v)})
		}
	}
	return f
}

// header converts f to a Go header.
func (f *fields) header() http.Header {
	h := make(http.Header, len(f.entries))
	for _, e := range f.entries {
		h.Add(e.name, string(e.value))
	}
	return h
}
