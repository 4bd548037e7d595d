// Package hostglob matches host names against allow-lists of globs
// ("api.example.com", "*.example.com", "*"): the one implementation behind
// the http capability's grants.http.allowed_hosts and the Extism ABI's
// allowed hosts. It has no dependencies, so both can import it.
//
// '*' matches any run of characters, dots included ("*.example.com" matches
// "a.b.example.com" but not "example.com"); '?' matches one character.
// Matching ignores case and a trailing dot, and never looks at the port.
package hostglob

import (
	"errors"
	"fmt"
	"net"
	"strings"
)

// ErrHostNotAllowed is matched (errors.Is) by the errors of requests to a
// host that no glob of the allow-list matches.
var ErrHostNotAllowed = errors.New("host not allowed")

// List is a compiled allow-list. The zero value and nil allow no host.
type List struct {
	globs []string // normalised
}

// Compile checks and normalises globs. Every invalid glob is an error,
// naming it.
func Compile(globs []string) (*List, error) {
	l := &List{globs: make([]string, 0, len(globs))}
	var errs []error
	for _, g := range globs {
		n, err := normalise(g)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		l.globs = append(l.globs, n)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return l, nil
}

// Globs returns the normalised globs.
func (l *List) Globs() []string {
	if l == nil {
		return nil
	}
	return append([]string(nil), l.globs...)
}

// Allows reports whether host (a URL's Hostname(), without port) matches
// one of the list's globs.
func (l *List) Allows(host string) bool {
	if l == nil {
		return false
	}
	h := normaliseHost(host)
	if h == "" {
		return false
	}
	for _, g := range l.globs {
		if match(g, h) {
			return true
		}
	}
	return false
}

// Validate reports whether glob is a valid host glob, with an error saying
// what is wrong.
func Validate(glob string) error {
	_, err := normalise(glob)
	return err
}

// Match reports whether host matches glob; an invalid glob matches nothing.
func Match(glob, host string) bool {
	g, err := normalise(glob)
	if err != nil {
		return false
	}
	h := normaliseHost(host)
	return h != "" && match(g, h)
}

func normaliseHost(h string) string {
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	if len(h) > 2 && h[0] == '[' && h[len(h)-1] == ']' {
		h = h[1 : len(h)-1]
	}
	return h
}

// normalise checks glob and returns it in the form match compares.
func normalise(glob string) (string, error) {
	g := strings.ToLower(glob)
	if strings.TrimSpace(g) == "" {
		return "", errors.New("empty host glob (use \"*\" to allow every host)")
	}
	// A bracketed IPv6 address, as URLs write it: "[::1]".
	if len(g) > 2 && g[0] == '[' && g[len(g)-1] == ']' && net.ParseIP(g[1:len(g)-1]) != nil {
		return g[1 : len(g)-1], nil
	}
	if strings.Contains(g, "/") {
		return "", fmt.Errorf("host glob %q is a URL or path; give the host name only (e.g. api.example.com)", glob)
	}
	for i := 0; i < len(g); i++ {
		switch c := g[i]; {
		case c == '[' || c == ']':
			return "", fmt.Errorf("host glob %q: character classes ('[') are not supported; use '*' or '?', or list each host", glob)
		case c == '\\':
			return "", fmt.Errorf("host glob %q: escapes ('\\') are not supported", glob)
		case c <= ' ' || c == 0x7f:
			return "", fmt.Errorf("host glob %q contains whitespace or a control character", glob)
		case c == '@':
			return "", fmt.Errorf("host glob %q contains '@'; give the host name only, without user", glob)
		case c >= 0x80, 'a' <= c && c <= 'z', '0' <= c && c <= '9', strings.IndexByte("-._*?:%", c) >= 0:
		default:
			return "", fmt.Errorf("host glob %q: character %q cannot appear in a host name", glob, c)
		}
	}
	if strings.Count(g, ":") == 1 {
		return "", fmt.Errorf("host glob %q has a port; globs match host names, on every port", glob)
	}
	return strings.TrimSuffix(g, "."), nil
}

// match is glob matching with '*' (any run) and '?' (one byte), by the
// usual single-backtrack algorithm: linear for one '*', O(len(g)*len(h))
// at worst.
func match(g, h string) bool {
	gi, hi := 0, 0
	star, mark := -1, 0
	for hi < len(h) {
		switch {
		case gi < len(g) && g[gi] == '*': // before the literal case: a '*' in h is not one in g
			star, mark = gi, hi
			gi++
		case gi < len(g) && (g[gi] == '?' || g[gi] == h[hi]):
			gi++
			hi++
		case star >= 0:
			gi = star + 1
			mark++
			hi = mark
		default:
			return false
		}
	}
	for gi < len(g) && g[gi] == '*' {
		gi++
	}
	return gi == len(g)
}
