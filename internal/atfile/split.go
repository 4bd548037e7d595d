package atfile

import "strings"

// Split splits a relative path into its parent directory ("." for none)
// and its last component, the base the calls of this package take. The
// base keeps trailing slashes (so "file/" still fails as not a directory)
// and is never empty; special reports a base of "." or "..", which the
// calls must not be given.
func Split(p string) (parent, base string, special bool) {
	trimmed := strings.TrimRight(p, "/")
	i := strings.LastIndexByte(trimmed, '/')
	parent = "."
	if i >= 0 {
		parent = trimmed[:i]
		if parent == "" {
			parent = "."
		}
	}
	base = p[i+1:]
	name := strings.TrimRight(base, "/")
	return parent, base, name == "." || name == ".."
}
