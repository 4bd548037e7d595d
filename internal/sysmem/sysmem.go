// Package sysmem finds how much memory this process can have: the
// machine's physical memory, or its cgroup's limit when that is lower (a
// container, a systemd unit with MemoryMax). The serving verbs compare it
// with the memory their instances may take.
package sysmem

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
)

// Memory is an amount of memory and where it was read.
type Memory struct {
	Bytes  uint64
	Source string // e.g. "/proc/meminfo MemTotal" or "cgroup limit /sys/fs/cgroup/app/memory.max"
}

// ErrUnknown is returned where the machine's memory cannot be read (an OS
// without /proc/meminfo).
var ErrUnknown = errors.New("the machine's memory is unknown")

// Available returns the memory this process can have: the smaller of
// MemTotal in /proc/meminfo and the memory limits of the process's cgroup
// and its ancestors (cgroup v2 memory.max, v1 memory.limit_in_bytes).
func Available() (Memory, error) { return available(os.DirFS("/")) }

// available is Available with the file system rooted at fsys (tests give
// it a fake /proc and /sys).
func available(fsys fs.FS) (Memory, error) {
	f, err := fsys.Open("proc/meminfo")
	if err != nil {
		return Memory{}, ErrUnknown
	}
	total, err := ParseMeminfo(bufio.NewScanner(f))
	f.Close()
	if err != nil {
		return Memory{}, fmt.Errorf("/proc/meminfo: %w", err)
	}
	best := Memory{Bytes: total, Source: "/proc/meminfo MemTotal"}
	cg, err := fs.ReadFile(fsys, "proc/self/cgroup")
	if err != nil {
		return best, nil
	}
	mi, err := fs.ReadFile(fsys, "proc/self/mountinfo")
	if err != nil {
		return best, nil
	}
	for _, dir := range cgroupDirs(ParseProcCgroup(string(cg)), ParseMountinfo(string(mi))) {
		for d := dir.path; ; d = path.Dir(d) {
			if b, err := fs.ReadFile(fsys, path.Join(d, dir.file)); err == nil {
				if n, limited, err := ParseCgroupLimit(string(b)); err == nil && limited && n < best.Bytes {
					best = Memory{Bytes: n, Source: "cgroup limit /" + path.Join(d, dir.file)}
				}
			}
			if d == dir.mount || d == "." || d == "/" {
				break
			}
		}
	}
	return best, nil
}

// ParseMeminfo returns MemTotal, in bytes, from the lines of /proc/meminfo
// ("MemTotal:       24683584 kB").
func ParseMeminfo(s *bufio.Scanner) (uint64, error) {
	for s.Scan() {
		rest, ok := strings.CutPrefix(s.Text(), "MemTotal:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("MemTotal line %q is not \"MemTotal: N kB\"", s.Text())
		}
		kb, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil || kb > (1<<64-1)/1024 {
			return 0, fmt.Errorf("MemTotal %q is not a size in kB", f[0])
		}
		return kb * 1024, nil
	}
	if err := s.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("no MemTotal line")
}

// ParseCgroupLimit reads a cgroup memory limit file: "max" (v2) or a
// number of bytes. limited is false for "max" and for v1's "no limit"
// (a number near 2^63).
func ParseCgroupLimit(s string) (n uint64, limited bool, err error) {
	s = strings.TrimSpace(s)
	if s == "max" {
		return 0, false, nil
	}
	n, err = strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("memory limit %q is neither \"max\" nor a number of bytes", s)
	}
	return n, n < 1<<62, nil
}

// Cgroups is the memory cgroup of a process, from /proc/self/cgroup.
type Cgroups struct {
	V2 string // the unified hierarchy's path ("0::/path"), "" if none
	V1 string // the v1 memory controller's path ("4:memory:/path"), "" if none
}

// ParseProcCgroup reads /proc/self/cgroup.
func ParseProcCgroup(s string) Cgroups {
	var c Cgroups
	for line := range strings.Lines(s) {
		id, rest, ok := strings.Cut(strings.TrimRight(line, "\n"), ":")
		if !ok {
			continue
		}
		ctrls, p, ok := strings.Cut(rest, ":")
		if !ok || !strings.HasPrefix(p, "/") {
			continue
		}
		switch {
		case id == "0" && ctrls == "":
			c.V2 = p
		case hasWord(ctrls, ",", "memory"):
			c.V1 = p
		}
	}
	return c
}

// Mount is one cgroup file system mount, from /proc/self/mountinfo.
type Mount struct {
	Root       string // the cgroup path mounted, usually "/"
	MountPoint string // where, e.g. "/sys/fs/cgroup"
	V2         bool   // cgroup2; otherwise a v1 hierarchy with the memory controller
}

// ParseMountinfo returns the cgroup2 mounts and the v1 cgroup mounts of
// the memory controller in /proc/self/mountinfo. Lines it cannot read are
// skipped.
func ParseMountinfo(s string) []Mount {
	var ms []Mount
	for line := range strings.Lines(s) {
		pre, post, ok := strings.Cut(strings.TrimRight(line, "\n"), " - ")
		if !ok {
			continue
		}
		f, g := strings.Fields(pre), strings.Fields(post)
		if len(f) < 5 || len(g) < 1 || !strings.HasPrefix(f[4], "/") {
			continue
		}
		m := Mount{Root: unescape(f[3]), MountPoint: unescape(f[4])}
		switch {
		case g[0] == "cgroup2":
			m.V2 = true
		case g[0] == "cgroup" && len(g) >= 3 && hasWord(g[2], ",", "memory"):
		default:
			continue
		}
		ms = append(ms, m)
	}
	return ms
}

// unescape undoes mountinfo's octal escapes of space, tab, newline and
// backslash ("\040").
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func hasWord(list, sep, w string) bool {
	for x := range strings.SplitSeq(list, sep) {
		if x == w {
			return true
		}
	}
	return false
}

// cgroupDir is a cgroup directory to read a limit file in, and the mount
// point above which its ancestors are not cgroups.
type cgroupDir struct{ path, mount, file string }

// cgroupDirs joins the process's cgroups with the mounts showing them; paths
// are relative to the root of the file system ("sys/fs/cgroup/app").
func cgroupDirs(c Cgroups, ms []Mount) []cgroupDir {
	var dirs []cgroupDir
	for _, m := range ms {
		p, file := c.V1, "memory.limit_in_bytes"
		if m.V2 {
			p, file = c.V2, "memory.max"
		}
		if p == "" {
			continue
		}
		rel, ok := within(p, m.Root)
		if !ok {
			continue
		}
		mount := strings.TrimPrefix(path.Clean(m.MountPoint), "/")
		if mount == "" {
			mount = "."
		}
		dirs = append(dirs, cgroupDir{path: path.Join(mount, rel), mount: mount, file: file})
	}
	return dirs
}

// within returns p relative to root when p is root or below it.
func within(p, root string) (string, bool) {
	p, root = path.Clean(p), path.Clean(root)
	if root == "/" {
		return strings.TrimPrefix(p, "/"), true
	}
	if p == root {
		return "", true
	}
	if rest, ok := strings.CutPrefix(p, root+"/"); ok {
		return rest, true
	}
	return "", false
}
