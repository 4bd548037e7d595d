package messaging

import (
	"fmt"
	"strings"
)

// ValidateSubject reports whether s is a subject a message may be sent to: a
// NATS subject of dot-separated, non-empty tokens, without whitespace or
// control characters, and without wildcard tokens ('*', '>').
func ValidateSubject(s string) error { return validate(s, false) }

// ValidatePattern reports whether p is a NATS subject pattern: a subject in
// which a token may be '*' (any one token) and the last token may be '>'
// (one or more tokens).
func ValidatePattern(p string) error { return validate(p, true) }

func validate(s string, pattern bool) error {
	what := "subject"
	if pattern {
		what = "subject pattern"
	}
	if s == "" {
		return fmt.Errorf("invalid %s: empty", what)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return fmt.Errorf("invalid %s %q: contains whitespace or a control character", what, s)
		}
	}
	for rest := s; ; {
		t, r, more := strings.Cut(rest, ".")
		switch {
		case t == "":
			return fmt.Errorf("invalid %s %q: empty token (leading, trailing or double '.')", what, s)
		case (t == "*" || t == ">") && !pattern:
			return fmt.Errorf("invalid subject %q: wildcard %q is only allowed in subscriptions and grants", s, t)
		case t == ">" && more:
			return fmt.Errorf("invalid %s %q: '>' must be the last token", what, s)
		}
		if !more {
			return nil
		}
		rest = r
	}
}

// Match reports whether subject matches pattern with NATS semantics: '*'
// matches exactly one token, a final '>' one or more. As a safeguard for
// the server's own APIs ($JS, $KV, $SYS...), a wildcard never matches a
// first token that starts with '$': such subjects are matched only by
// patterns that name that first token. Invalid arguments never match.
func Match(pattern, subject string) bool {
	if ValidatePattern(pattern) != nil || ValidateSubject(subject) != nil {
		return false
	}
	return match(pattern, subject)
}

// match is Match of a valid pattern and subject.
func match(pattern, subject string) bool {
	for i := 0; ; i++ {
		pt, prest, pmore := strings.Cut(pattern, ".")
		if pt == ">" {
			return i > 0 || subject[0] != '$'
		}
		st, srest, smore := strings.Cut(subject, ".")
		if pt == "*" {
			if i == 0 && st[0] == '$' {
				return false
			}
		} else if pt != st {
			return false
		}
		if !pmore || !smore {
			return pmore == smore
		}
		pattern, subject = prest, srest
	}
}

// Allowed reports whether subject matches one of patterns; an empty list
// allows every subject except those of the server's own APIs (first token
// starting with '$').
func Allowed(patterns []string, subject string) bool {
	if ValidateSubject(subject) != nil {
		return false
	}
	return allowed(patterns, subject)
}

// allowed is Allowed of a valid subject.
func allowed(patterns []string, subject string) bool {
	if len(patterns) == 0 {
		return subject[0] != '$'
	}
	for _, p := range patterns {
		if ValidatePattern(p) == nil && match(p, subject) {
			return true
		}
	}
	return false
}
