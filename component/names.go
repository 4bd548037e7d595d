package component

import (
	"fmt"
	"strconv"
	"strings"
)

// Name grammar of imports and exports (Explainer.md "Import and Export
// Definitions"):
//
//	exportname    ::= <plainname> | <interfacename>
//	importname    ::= <exportname> | <depname> | <urlname> | <hashname>
//	plainname     ::= <label> | '[constructor]' <label> | '[method]' <label> '.' <label>
//	                | '[static]' <label> '.' <label>
//	                | '[async]' <label> | '[async method]' ... | '[async static]' ... (🔀)
//	label         ::= <fragment> | <label> '-' <fragment>
//	fragment      ::= <word> | <acronym>
//	word          ::= [a-z] [0-9a-z]*
//	acronym       ::= [A-Z] [0-9A-Z]*
//	interfacename ::= <namespace> <label> <projection> <version>?
//	                | <namespace>+ <label> <projection>+ <version>? (🪺 nested)
//	namespace     ::= <words> ':'
//	words         ::= <word> | <words> '-' <word>
//	projection    ::= '/' <label>
//	version       ::= '@' <valid semver>
//	depname       ::= 'unlocked-dep=<' <pkgnamequery> '>' | 'locked-dep=<' <pkgname> '>' ( ',' <hashname> )?
//	urlname       ::= 'url=<' <nonbrackets> '>' (',' <hashname>)?
//	hashname      ::= 'integrity=<' <integrity-metadata> '>'

// NameKind classifies an import or export name.
type NameKind uint8

// Name kinds.
const (
	NamePlain       NameKind = iota + 1 // a label
	NameConstructor                     // [constructor]r
	NameMethod                          // [method]r.m
	NameStatic                          // [static]r.m
	NameAsync                           // [async]f (🔀)
	NameAsyncMethod                     // [async method]r.m (🔀)
	NameAsyncStatic                     // [async static]r.m (🔀)
	NameInterface                       // ns:pkg/iface@version
	NameDep                             // unlocked-dep=<...> or locked-dep=<...>
	NameURL                             // url=<...>
	NameHash                            // integrity=<...>
)

// ParsedName is a decoded import or export name.
type ParsedName struct {
	Kind     NameKind
	Resource string // the resource label of constructor, method and static names
	Label    string // the label of plain names, the function label of methods and statics
}

// Annotated reports whether the name carries a [constructor], [method],
// [static] or async annotation.
func (p ParsedName) Annotated() bool { return p.Kind >= NameConstructor && p.Kind <= NameAsyncStatic }

// IsLabel reports whether s is a kebab-case label: fragments of
// all-lowercase words ([a-z][0-9a-z]*) or all-uppercase acronyms
// ([A-Z][0-9A-Z]*) joined by single dashes.
func IsLabel(s string) bool {
	if s == "" {
		return false
	}
	for _, frag := range strings.Split(s, "-") {
		if !isWord(frag) && !isAcronym(frag) {
			return false
		}
	}
	return true
}

func isWord(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func isAcronym(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func isWords(s string) bool {
	if s == "" {
		return false
	}
	for _, w := range strings.Split(s, "-") {
		if !isWord(w) {
			return false
		}
	}
	return true
}

var annotations = []struct {
	prefix string
	kind   NameKind
	dotted bool
}{
	{"[constructor]", NameConstructor, false},
	{"[method]", NameMethod, true},
	{"[static]", NameStatic, true},
	{"[async]", NameAsync, false},
	{"[async method]", NameAsyncMethod, true},
	{"[async static]", NameAsyncStatic, true},
}

// parsePlainName parses a plainname.
func parsePlainName(s string) (ParsedName, error) {
	for _, a := range annotations {
		rest, ok := strings.CutPrefix(s, a.prefix)
		if !ok {
			continue
		}
		if !a.dotted {
			if !IsLabel(rest) {
				return ParsedName{}, fmt.Errorf("%q: %q is not a kebab-case label", s, rest)
			}
			if a.kind == NameConstructor {
				return ParsedName{Kind: a.kind, Resource: rest, Label: rest}, nil
			}
			return ParsedName{Kind: a.kind, Label: rest}, nil
		}
		r, m, ok := strings.Cut(rest, ".")
		if !ok || !IsLabel(r) || !IsLabel(m) {
			return ParsedName{}, fmt.Errorf("%q: want %sRESOURCE.NAME with kebab-case labels", s, a.prefix)
		}
		return ParsedName{Kind: a.kind, Resource: r, Label: m}, nil
	}
	if strings.HasPrefix(s, "[") {
		return ParsedName{}, fmt.Errorf("%q: unknown name annotation", s)
	}
	if !IsLabel(s) {
		return ParsedName{}, fmt.Errorf("%q is not a kebab-case label", s)
	}
	return ParsedName{Kind: NamePlain, Label: s}, nil
}

// parseInterfaceName checks ns:pkg/iface@version (nested namespaces and
// projections allowed).
func parseInterfaceName(s string) error {
	body, ver, hasVer := strings.Cut(s, "@")
	if hasVer && !IsSemver(ver) {
		return fmt.Errorf("%q: %q is not a valid semver version", s, ver)
	}
	parts := strings.Split(body, ":")
	if len(parts) < 2 {
		return fmt.Errorf("%q is not an interface name (namespace:package/interface)", s)
	}
	for _, ns := range parts[:len(parts)-1] {
		if !isWords(ns) {
			return fmt.Errorf("%q: namespace %q is not lowercase kebab-case words", s, ns)
		}
	}
	path := strings.Split(parts[len(parts)-1], "/")
	if len(path) < 2 {
		return fmt.Errorf("%q: an interface name needs a /interface projection", s)
	}
	for _, l := range path {
		if !IsLabel(l) {
			return fmt.Errorf("%q: %q is not a kebab-case label", s, l)
		}
	}
	return nil
}

// IsSemver reports whether v is a valid semantic version (semver.org).
func IsSemver(v string) bool {
	core, build, hasBuild := strings.Cut(v, "+")
	if hasBuild && !semverIdents(build, false) {
		return false
	}
	core, pre, hasPre := strings.Cut(core, "-")
	if hasPre && !semverIdents(pre, true) {
		return false
	}
	nums := strings.Split(core, ".")
	if len(nums) != 3 {
		return false
	}
	for _, n := range nums {
		if !numericIdent(n) {
			return false
		}
	}
	return true
}

func numericIdent(n string) bool {
	if n == "" || (len(n) > 1 && n[0] == '0') {
		return false
	}
	for i := 0; i < len(n); i++ {
		if n[i] < '0' || n[i] > '9' {
			return false
		}
	}
	return true
}

// semverIdents checks dot-separated identifiers [0-9A-Za-z-]+; numeric
// pre-release identifiers may not have leading zeros.
func semverIdents(s string, pre bool) bool {
	for _, id := range strings.Split(s, ".") {
		if id == "" {
			return false
		}
		digits := true
		for i := 0; i < len(id); i++ {
			c := id[i]
			switch {
			case c >= '0' && c <= '9':
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-':
				digits = false
			default:
				return false
			}
		}
		if pre && digits && !numericIdent(id) {
			return false
		}
	}
	return true
}

// bracketed checks a name of the form prefix<content> with content free
// of angle brackets, optionally followed by ",integrity=<...>".
func bracketed(s, prefix string, allowHash bool) error {
	rest := strings.TrimPrefix(s, prefix)
	end := strings.IndexByte(rest, '>')
	if end < 0 {
		return fmt.Errorf("%q: missing closing '>'", s)
	}
	content := rest[:end]
	if content == "" || strings.ContainsAny(content, "<>") {
		return fmt.Errorf("%q: malformed %s...> contents", s, prefix)
	}
	tail := rest[end+1:]
	if tail == "" {
		return nil
	}
	if allowHash {
		if h, ok := strings.CutPrefix(tail, ","); ok && strings.HasPrefix(h, "integrity=<") {
			return bracketed(h, "integrity=<", false)
		}
	}
	return fmt.Errorf("%q: unexpected %q after '>'", s, tail)
}

// ParseExportName checks an export name (plainname or interfacename).
func ParseExportName(s string) (ParsedName, error) {
	if strings.Contains(s, ":") {
		if err := parseInterfaceName(s); err != nil {
			return ParsedName{}, err
		}
		return ParsedName{Kind: NameInterface}, nil
	}
	return parsePlainName(s)
}

// ParseImportName checks an import name (an export name, or a depname,
// urlname or hashname).
func ParseImportName(s string) (ParsedName, error) {
	switch {
	case strings.HasPrefix(s, "unlocked-dep=<"):
		// The version range of a pkgnamequery may contain '>' (@{>=1.0.0}).
		q, ok := strings.CutSuffix(strings.TrimPrefix(s, "unlocked-dep=<"), ">")
		if !ok || q == "" || strings.Contains(q, "<") {
			return ParsedName{}, fmt.Errorf("%q: malformed unlocked-dep=<...>", s)
		}
		return ParsedName{Kind: NameDep}, nil
	case strings.HasPrefix(s, "locked-dep=<"):
		return ParsedName{Kind: NameDep}, bracketed(s, "locked-dep=<", true)
	case strings.HasPrefix(s, "url=<"):
		return ParsedName{Kind: NameURL}, bracketed(s, "url=<", true)
	case strings.HasPrefix(s, "integrity=<"):
		return ParsedName{Kind: NameHash}, bracketed(s, "integrity=<", false)
	}
	return ParseExportName(s)
}

// nameSet enforces that the names of one scope are strongly-unique
// (Explainer.md "Name Uniqueness"): plain names are compared
// case-insensitively, [method]/[static] names by their r.m pair, and a
// label l collides with [*]l.l; other names compare as raw strings.
type nameSet map[string]string

func nameKeys(s string, p ParsedName) []string {
	switch p.Kind {
	case NamePlain, NameAsync:
		return []string{"l:" + strings.ToLower(p.Label)}
	case NameConstructor:
		return []string{"c:" + strings.ToLower(p.Resource)}
	case NameMethod, NameStatic, NameAsyncMethod, NameAsyncStatic:
		r, m := strings.ToLower(p.Resource), strings.ToLower(p.Label)
		keys := []string{"l:" + r + "." + m}
		if r == m {
			keys = append(keys, "l:"+r)
		}
		return keys
	}
	return []string{"=" + s}
}

// add records name s, or returns the earlier name it is not strongly-unique against.
func (ns nameSet) add(s string, p ParsedName) (string, bool) {
	keys := nameKeys(s, p)
	for _, k := range keys {
		if prev, ok := ns[k]; ok {
			return prev, false
		}
	}
	for _, k := range keys {
		ns[k] = s
	}
	return "", true
}

// SameInterface reports whether interface names a and b
// ("wasi:cli/run@0.2.12") name the same interface at semver-compatible
// versions, as Wasmtime matches imports: the same name, and versions
// equal, or without pre-release and with the same major version (for 0.x
// the same minor version; for 0.0.x equal).
func SameInterface(a, b string) bool {
	ab, av := splitInterfaceVersion(a)
	bb, bv := splitInterfaceVersion(b)
	if ab != bb {
		return false
	}
	if av == bv {
		return true
	}
	x, ok1 := parseVersion(av)
	y, ok2 := parseVersion(bv)
	if !ok1 || !ok2 || x[3] != 0 || y[3] != 0 || x[0] != y[0] {
		return false
	}
	if x[0] > 0 {
		return true
	}
	if x[1] != y[1] {
		return false
	}
	return x[1] > 0 || x[2] == y[2]
}

func splitInterfaceVersion(name string) (base, version string) {
	if i := strings.LastIndexByte(name, '@'); i >= 0 {
		return name[:i], name[i+1:]
	}
	return name, ""
}

// parseVersion parses major.minor.patch; the fourth number is 1 when the
// version has a pre-release or build suffix.
func parseVersion(v string) ([4]uint64, bool) {
	var out [4]uint64
	if i := strings.IndexAny(v, "-+"); i >= 0 {
		v, out[3] = v[:i], 1
	}
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return out, false
	}
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return out, false
		}
		out[i] = n
	}
	return out, true
}
