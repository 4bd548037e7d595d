package linker

import (
	"strconv"
	"strings"

	"github.com/wasmhive/wasmhive/component"
)

// semver is a parsed version; pre holds a pre-release or build suffix.
type semver struct {
	major, minor, patch uint64
	pre                 string
}

func parseSemver(v string) (semver, bool) {
	var s semver
	if i := strings.IndexAny(v, "-+"); i >= 0 {
		v, s.pre = v[:i], v[i:]
	}
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return s, false
	}
	var nums [3]uint64
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return s, false
		}
		nums[i] = n
	}
	s.major, s.minor, s.patch = nums[0], nums[1], nums[2]
	return s, true
}

// splitVersion splits "wasi:cli/run@0.2.12" into "wasi:cli/run" and "0.2.12".
func splitVersion(name string) (base, version string) {
	if i := strings.LastIndexByte(name, '@'); i >= 0 {
		return name[:i], name[i+1:]
	}
	return name, ""
}

// versionMatch reports whether names a and b name the same interface with
// semver-compatible versions, as Wasmtime matches them (see
// component.SameInterface).
func versionMatch(a, b string) bool { return component.SameInterface(a, b) }

// newer reports whether name a has a higher version than name b.
func newer(a, b string) bool {
	_, av := splitVersion(a)
	_, bv := splitVersion(b)
	x, _ := parseSemver(av)
	y, _ := parseSemver(bv)
	if x.major != y.major {
		return x.major > y.major
	}
	if x.minor != y.minor {
		return x.minor > y.minor
	}
	return x.patch > y.patch
}

// lookup finds the host instance for an imported interface name: the exact
// name, else the newest semver-compatible definition.
func (l *Linker) lookup(name string) *HostInstance {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h, ok := l.found[name]; ok {
		return h
	}
	h := l.instances[name]
	if h == nil {
		var best string
		for n := range l.instances {
			if versionMatch(name, n) && (best == "" || newer(n, best)) {
				best = n
			}
		}
		h = l.instances[best]
	}
	if l.found == nil {
		l.found = map[string]*HostInstance{}
	}
	l.found[name] = h
	return h
}
