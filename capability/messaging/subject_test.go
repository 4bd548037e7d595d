package messaging

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		s           string
		subj, patt  bool
		errContains string
	}{
		{"orders", true, true, ""},
		{"orders.new", true, true, ""},
		{"a.b-c_d.$e", true, true, ""},
		{"$JS.API.INFO", true, true, ""},
		{"a*b.c>", true, true, ""}, // not whole tokens: literal characters
		{"orders.*", false, true, "wildcard"},
		{"orders.>", false, true, "wildcard"},
		{">", false, true, "wildcard"},
		{"*.*", false, true, "wildcard"},
		{"a.>.b", false, false, ""}, // a wildcard for a subject, misplaced for a pattern
		{"", false, false, "empty"},
		{".a", false, false, "empty token"},
		{"a.", false, false, "empty token"},
		{"a..b", false, false, "empty token"},
		{"a b", false, false, "whitespace"},
		{"a\tb", false, false, "whitespace"},
		{"a\nb", false, false, "whitespace"},
		{"a\x00b", false, false, "control"},
		{"a\x7fb", false, false, "control"},
	} {
		err := ValidateSubject(c.s)
		if (err == nil) != c.subj || (err != nil && !c.subj && c.errContains != "" && !strings.Contains(err.Error(), c.errContains)) {
			t.Errorf("ValidateSubject(%q) = %v, want valid=%v (%s)", c.s, err, c.subj, c.errContains)
		}
		err = ValidatePattern(c.s)
		if (err == nil) != c.patt {
			t.Errorf("ValidatePattern(%q) = %v, want valid=%v", c.s, err, c.patt)
		}
	}
}

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, subject string
		want             bool
	}{
		{"orders", "orders", true},
		{"orders", "orders.new", false},
		{"orders.new", "orders", false},
		{"orders.*", "orders.new", true},
		{"orders.*", "orders", false},
		{"orders.*", "orders.new.eu", false},
		{"orders.*.eu", "orders.new.eu", true},
		{"orders.*.eu", "orders.new.us", false},
		{"*.new", "orders.new", true},
		{"*", "orders", true},
		{"*", "orders.new", false},
		{"orders.>", "orders.new", true},
		{"orders.>", "orders.new.eu.x", true},
		{"orders.>", "orders", false},
		{">", "a", true},
		{">", "a.b.c", true},
		{"*.>", "a.b", true},
		{"*.>", "a", false},
		{"orders.ne", "orders.new", false},
		{"orders.new", "orders.ne", false},
		{"a*", "ab", false}, // '*' inside a token is a literal character
		{"a*", "a*", true},
		// Wildcards never reach the server's own APIs in the first token.
		{">", "$JS.API.INFO", false},
		{"*.API.INFO", "$JS.API.INFO", false},
		{"$JS.>", "$JS.API.INFO", true},
		{"$KV.bucket.*", "$KV.bucket.key", true},
		{"a.>", "a.$x", true},
		// Invalid arguments never match.
		{"orders.*", "orders.*", false},
		{"a.>.b", "a.x.b", false},
		{"", "", false},
		{"a b", "a b", false},
	} {
		if got := Match(c.pattern, c.subject); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.pattern, c.subject, got, c.want)
		}
	}
}

func TestAllowed(t *testing.T) {
	for _, c := range []struct {
		patterns []string
		subject  string
		want     bool
	}{
		{nil, "anything.at.all", true},
		{nil, "$SYS.REQ.SERVER.PING", false},
		{nil, "bad subject", false},
		{[]string{"a.*", "b.>"}, "a.x", true},
		{[]string{"a.*", "b.>"}, "b.x.y", true},
		{[]string{"a.*", "b.>"}, "c.x", false},
		{[]string{"$SYS.>"}, "$SYS.REQ.SERVER.PING", true},
	} {
		if got := Allowed(c.patterns, c.subject); got != c.want {
			t.Errorf("Allowed(%q, %q) = %v, want %v", c.patterns, c.subject, got, c.want)
		}
	}
}

// matchRef is Match written the obvious way, for the fuzzer to compare.
func matchRef(pattern, subject string) bool {
	if ValidatePattern(pattern) != nil || ValidateSubject(subject) != nil {
		return false
	}
	p, s := strings.Split(pattern, "."), strings.Split(subject, ".")
	for i, pt := range p {
		if pt == ">" {
			return len(s) > i && (i > 0 || s[0][0] != '$')
		}
		if i >= len(s) {
			return false
		}
		if pt == "*" {
			if i == 0 && s[0][0] == '$' {
				return false
			}
			continue
		}
		if pt != s[i] {
			return false
		}
	}
	return len(p) == len(s)
}

func FuzzMatch(f *testing.F) {
	for _, s := range [][2]string{{"orders.*", "orders.new"}, {"a.>", "a.b.c"}, {">", "$JS.x"}, {"*.b", "a.b"}, {"a..b", "a.b"}, {"", "x"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, subject string) {
		got := Match(pattern, subject)
		if want := matchRef(pattern, subject); got != want {
			t.Fatalf("Match(%q, %q) = %v, reference says %v", pattern, subject, got, want)
		}
		if ValidateSubject(subject) == nil {
			if !Match(subject, subject) {
				t.Fatalf("valid subject %q does not match itself", subject)
			}
			if ValidatePattern(subject) != nil {
				t.Fatalf("valid subject %q is not a valid pattern", subject)
			}
		}
	})
}
