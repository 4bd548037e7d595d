package hostglob_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/wasmhive/wasmhive/capability/httpclient/hostglob"
)

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		glob, host string
		want       bool
	}{
		{"example.com", "example.com", true},
		{"example.com", "EXAMPLE.com", true},
		{"Example.COM", "example.com", true},
		{"example.com", "example.com.", true},
		{"example.com", "api.example.com", false},
		{"*.example.com", "api.example.com", true},
		{"*.example.com", "a.b.example.com", true},
		{"*.example.com", "example.com", false},
		{"*.example.com", "badexample.com", false},
		{"api.*.example.com", "api.eu.example.com", true},
		{"api-?.example.com", "api-1.example.com", true},
		{"api-?.example.com", "api-12.example.com", false},
		{"*", "anything.org", true},
		{"*", "", false},
		{"127.0.0.1", "127.0.0.1", true},
		{"127.0.0.1", "127.0.0.2", false},
		{"127.0.0.*", "127.0.0.2", true},
		{"::1", "::1", true},
		{"[::1]", "::1", true},
		{"[::1]", "[::1]", true},
		{"*a*b*c*", "xaybzc", true},
		{"*a*b*c*", "xaybz", false},
		// Invalid globs match nothing.
		{"[a-z].example.com", "a.example.com", false},
		{"example.com:443", "example.com", false},
	} {
		if got := hostglob.Match(c.glob, c.host); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.glob, c.host, got, c.want)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct{ glob, want string }{
		{"", "empty"},
		{"  ", "empty"},
		{"[a-z].example.com", "character classes"},
		{"a]b", "character classes"},
		{`a\.b`, "escapes"},
		{"https://api.example.com", "URL"},
		{"api.example.com/v1", "URL"},
		{"api.example.com:8080", "port"},
		{"user@example.com", "'@'"},
		{"a b", "whitespace"},
		{"a,b", "cannot appear"},
	} {
		err := hostglob.Validate(c.glob)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%q) = %v, want an error containing %q", c.glob, err, c.want)
		}
	}
	for _, g := range []string{"example.com", "*.example.com", "*", "api-?.x.io", "10.0.0.*", "::1", "[::1]", "fe80::1%eth0", "bücher.example", "host_1.local"} {
		if err := hostglob.Validate(g); err != nil {
			t.Errorf("Validate(%q) = %v", g, err)
		}
	}
}

func TestCompile(t *testing.T) {
	l, err := hostglob.Compile([]string{"API.example.com", "*.internal."})
	if err != nil {
		t.Fatal(err)
	}
	if g := l.Globs(); len(g) != 2 || g[0] != "api.example.com" || g[1] != "*.internal" {
		t.Fatalf("Globs = %q", g)
	}
	for host, want := range map[string]bool{"api.example.com": true, "db.internal": true, "example.com": false, "": false} {
		if l.Allows(host) != want {
			t.Errorf("Allows(%q) = %v", host, !want)
		}
	}
	var none *hostglob.List
	if none.Allows("example.com") || (&hostglob.List{}).Allows("example.com") {
		t.Error("an empty list allows a host")
	}
	_, err = hostglob.Compile([]string{"ok.com", "[bad]", "bad:1"})
	if err == nil || !strings.Contains(err.Error(), "[bad]") || !strings.Contains(err.Error(), "bad:1") {
		t.Fatalf("Compile with two bad globs: %v", err)
	}
}

// reference matches with a regular expression built from the glob.
func reference(glob, host string) bool {
	var re strings.Builder
	re.WriteString("^")
	for i := 0; i < len(glob); i++ {
		switch c := glob[i]; c {
		case '*':
			re.WriteString("(?s:.*)")
		case '?':
			re.WriteString("(?s:.)")
		default:
			re.WriteString(regexp.QuoteMeta(string([]byte{c})))
		}
	}
	re.WriteString("$")
	// Byte-wise, as match is: quote non-ASCII bytes.
	ok, _ := regexp.MatchString(re.String(), host)
	return ok
}

func FuzzMatch(f *testing.F) {
	for _, s := range [][2]string{{"*.example.com", "api.example.com"}, {"*a*b", "aab"}, {"?", "x"}, {"[::1]", "::1"}, {"a*", ""}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, glob, host string) {
		got := hostglob.Match(glob, host)
		if hostglob.Validate(glob) != nil {
			if got {
				t.Fatalf("invalid glob %q matched %q", glob, host)
			}
			return
		}
		// Compare on the normalised ASCII forms, where the regexp is byte-wise too.
		g, h := strings.ToLower(strings.TrimSuffix(glob, ".")), strings.ToLower(strings.TrimSuffix(host, "."))
		if strings.HasPrefix(g, "[") || strings.HasPrefix(h, "[") || !ascii(g) || !ascii(h) || h == "" {
			return
		}
		if want := reference(g, h); got != want {
			t.Fatalf("Match(%q, %q) = %v, reference says %v", glob, host, got, want)
		}
	})
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
