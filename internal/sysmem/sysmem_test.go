package sysmem

import (
	"bufio"
	"errors"
	"io/fs"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

const gib = 1 << 30

const meminfo8G = "MemTotal:        8388608 kB\nMemFree:         1000 kB\n"

// v2Mounts is a mountinfo with the unified hierarchy at /sys/fs/cgroup
// (and unrelated mounts around it).
const v2Mounts = `22 1 0:21 / / rw,relatime - ext4 /dev/vda rw
30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate
31 22 0:27 / /proc rw - proc proc rw
`

// v1Mounts is a v1 layout with the memory controller at
// /sys/fs/cgroup/memory and an empty unified hierarchy beside it.
const v1Mounts = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`

func TestAvailable(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  uint64
		from  string
	}{
		{"meminfo only", map[string]string{"proc/meminfo": meminfo8G}, 8 * gib, "/proc/meminfo MemTotal"},
		{"v2 parent limit", map[string]string{
			"proc/meminfo":                                    meminfo8G,
			"proc/self/cgroup":                                "0::/app.slice/x.service\n",
			"proc/self/mountinfo":                             v2Mounts,
			"sys/fs/cgroup/app.slice/memory.max":              "2147483648\n",
			"sys/fs/cgroup/app.slice/x.service/memory.max":    "max\n",
			"sys/fs/cgroup/app.slice/x.service/memory.events": "oom 0\n",
		}, 2 * gib, "cgroup limit /sys/fs/cgroup/app.slice/memory.max"},
		{"v2 own limit", map[string]string{
			"proc/meminfo":                                 meminfo8G,
			"proc/self/cgroup":                             "0::/app.slice/x.service\n",
			"proc/self/mountinfo":                          v2Mounts,
			"sys/fs/cgroup/app.slice/memory.max":           "4294967296\n",
			"sys/fs/cgroup/app.slice/x.service/memory.max": "1073741824\n",
		}, 1 * gib, "cgroup limit /sys/fs/cgroup/app.slice/x.service/memory.max"},
		{"v2 limit over the machine", map[string]string{
			"proc/meminfo":                 meminfo8G,
			"proc/self/cgroup":             "0::/big\n",
			"proc/self/mountinfo":          v2Mounts,
			"sys/fs/cgroup/big/memory.max": "17179869184\n",
		}, 8 * gib, "/proc/meminfo MemTotal"},
		{"v2 namespaced container", map[string]string{
			"proc/meminfo":             meminfo8G,
			"proc/self/cgroup":         "0::/\n",
			"proc/self/mountinfo":      v2Mounts,
			"sys/fs/cgroup/memory.max": "536870912\n",
		}, gib / 2, "cgroup limit /sys/fs/cgroup/memory.max"},
		{"v2 mounted below the root", map[string]string{
			"proc/meminfo":             meminfo8G,
			"proc/self/cgroup":         "0::/docker/abc\n",
			"proc/self/mountinfo":      "30 22 0:26 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
			"sys/fs/cgroup/memory.max": "268435456\n",
		}, gib / 4, "cgroup limit /sys/fs/cgroup/memory.max"},
		{"v1", map[string]string{
			"proc/meminfo":        meminfo8G,
			"proc/self/cgroup":    "9:name=systemd:/\n4:memory:/process_api/abc\n1:cpu:/\n0::/\n",
			"proc/self/mountinfo": v1Mounts,
			"sys/fs/cgroup/memory/process_api/abc/memory.limit_in_bytes": "3221225472\n",
			"sys/fs/cgroup/memory/process_api/memory.limit_in_bytes":     "9223372036854771712\n",
		}, 3 * gib, "cgroup limit /sys/fs/cgroup/memory/process_api/abc/memory.limit_in_bytes"},
		{"v1 unlimited", map[string]string{
			"proc/meminfo":        meminfo8G,
			"proc/self/cgroup":    "4:memory:/process_api/abc\n",
			"proc/self/mountinfo": v1Mounts,
			"sys/fs/cgroup/memory/process_api/abc/memory.limit_in_bytes": "9223372036854771712\n",
		}, 8 * gib, "/proc/meminfo MemTotal"},
		{"unreadable limit", map[string]string{
			"proc/meminfo":               meminfo8G,
			"proc/self/cgroup":           "0::/x\n",
			"proc/self/mountinfo":        v2Mounts,
			"sys/fs/cgroup/x/memory.max": "lots\n",
		}, 8 * gib, "/proc/meminfo MemTotal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for name, data := range tc.files {
				fsys[name] = &fstest.MapFile{Data: []byte(data)}
			}
			m, err := available(fsys)
			if err != nil || m.Bytes != tc.want || m.Source != tc.from {
				t.Errorf("got %+v, %v; want %d from %q", m, err, tc.want, tc.from)
			}
		})
	}
	if _, err := available(fstest.MapFS{}); !errors.Is(err, ErrUnknown) {
		t.Errorf("no /proc/meminfo: %v", err)
	}
	bad := fstest.MapFS{"proc/meminfo": &fstest.MapFile{Data: []byte("MemTotal: lots kB\n")}}
	if _, err := available(bad); err == nil || !strings.Contains(err.Error(), "lots") {
		t.Errorf("bad /proc/meminfo: %v", err)
	}
}

// TestAvailableHere: on Linux this machine's memory is known and at most
// MemTotal.
func TestAvailableHere(t *testing.T) {
	m, err := Available()
	if runtime.GOOS != "linux" {
		if err == nil && m.Bytes == 0 {
			t.Errorf("got %+v", m)
		}
		return
	}
	if err != nil || m.Bytes < 64<<20 || m.Source == "" {
		t.Fatalf("got %+v, %v", m, err)
	}
}

func TestParseMeminfo(t *testing.T) {
	for in, want := range map[string]uint64{
		meminfo8G:                       8 * gib,
		"MemFree: 1 kB\nMemTotal: 1 kB": 1024,
	} {
		if got, err := ParseMeminfo(bufio.NewScanner(strings.NewReader(in))); err != nil || got != want {
			t.Errorf("%q: %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "MemFree: 1 kB\n", "MemTotal: 1\n", "MemTotal: 1 MB\n", "MemTotal: -1 kB\n", "MemTotal: 18446744073709551615 kB\n"} {
		if got, err := ParseMeminfo(bufio.NewScanner(strings.NewReader(in))); err == nil {
			t.Errorf("%q: %d, want an error", in, got)
		}
	}
}

func TestParseCgroupLimit(t *testing.T) {
	for _, tc := range []struct {
		in      string
		n       uint64
		limited bool
	}{
		{"max\n", 0, false},
		{"1073741824\n", gib, true},
		{"9223372036854771712", 0, false},
		{"0", 0, true},
	} {
		n, limited, err := ParseCgroupLimit(tc.in)
		if err != nil || limited != tc.limited || (limited && n != tc.n) {
			t.Errorf("%q: %d %v %v", tc.in, n, limited, err)
		}
	}
	for _, in := range []string{"", "-1", "1G", "max max"} {
		if _, _, err := ParseCgroupLimit(in); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestParseProcCgroup(t *testing.T) {
	got := ParseProcCgroup("9:name=systemd:/\n4:cpu,memory:/a/b\n0::/c\nbroken\n5:pids\n")
	if got != (Cgroups{V2: "/c", V1: "/a/b"}) {
		t.Errorf("got %+v", got)
	}
}

func TestParseMountinfo(t *testing.T) {
	got := ParseMountinfo(v1Mounts + `50 31 0:40 /sub /mnt/with\040space rw - cgroup2 none rw
bad line
51 31 0:41 / relative rw - cgroup2 none rw
`)
	want := []Mount{
		{Root: "/", MountPoint: "/sys/fs/cgroup/memory"},
		{Root: "/", MountPoint: "/sys/fs/cgroup/unified", V2: true},
		{Root: "/sub", MountPoint: "/mnt/with space", V2: true},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func FuzzParseMeminfo(f *testing.F) {
	f.Add(meminfo8G)
	f.Add("MemTotal: 99999999999999999999 kB\n")
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseMeminfo(bufio.NewScanner(strings.NewReader(s)))
		if err == nil && n%1024 != 0 {
			t.Errorf("%q: %d is not whole kB", s, n)
		}
	})
}

func FuzzParseCgroupLimit(f *testing.F) {
	f.Add("max\n")
	f.Add("1073741824\n")
	f.Fuzz(func(t *testing.T, s string) {
		n, limited, err := ParseCgroupLimit(s)
		if err == nil && limited && strconv.FormatUint(n, 10) != strings.TrimLeft(strings.TrimSpace(s), "+0") && n != 0 {
			t.Errorf("%q: read %d", s, n)
		}
	})
}

func FuzzParseProcCgroup(f *testing.F) {
	f.Add("4:memory:/process_api/abc\n0::/\n")
	f.Fuzz(func(t *testing.T, s string) {
		c := ParseProcCgroup(s)
		for _, p := range []string{c.V1, c.V2} {
			if p != "" && !strings.HasPrefix(p, "/") {
				t.Errorf("%q: path %q", s, p)
			}
		}
	})
}

// FuzzAvailable: whatever /proc and the cgroup files say, the answer is
// never more than MemTotal, and nothing panics.
func FuzzAvailable(f *testing.F) {
	f.Add(meminfo8G, "0::/a\n", v2Mounts, "1073741824")
	f.Add(meminfo8G, "4:memory:/x/y\n", v1Mounts, "max")
	f.Fuzz(func(t *testing.T, meminfo, cgroup, mountinfo, limit string) {
		fsys := fstest.MapFS{
			"proc/meminfo":        {Data: []byte(meminfo)},
			"proc/self/cgroup":    {Data: []byte(cgroup)},
			"proc/self/mountinfo": {Data: []byte(mountinfo)},
		}
		for _, d := range cgroupDirs(ParseProcCgroup(cgroup), ParseMountinfo(mountinfo)) {
			if !fsValid(d.path) {
				return
			}
			fsys[d.path+"/"+d.file] = &fstest.MapFile{Data: []byte(limit)}
		}
		m, err := available(fsys)
		total, terr := ParseMeminfo(bufio.NewScanner(strings.NewReader(meminfo)))
		if (err == nil) != (terr == nil) || (err == nil && m.Bytes > total) {
			t.Errorf("got %+v, %v; MemTotal %d, %v", m, err, total, terr)
		}
	})
}

func FuzzParseMountinfo(f *testing.F) {
	f.Add(v1Mounts)
	f.Add(v2Mounts)
	f.Fuzz(func(t *testing.T, s string) {
		for _, m := range ParseMountinfo(s) {
			if !strings.HasPrefix(m.MountPoint, "/") {
				t.Errorf("%q: mount point %q", s, m.MountPoint)
			}
		}
	})
}

// fsValid reports whether name is a valid fs.FS path below a directory
// (fstest.MapFS needs one).
func fsValid(name string) bool { return name != "." && fs.ValidPath(name) }
