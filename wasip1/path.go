package wasip1

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhive/wasmhive/internal/atfile"
)

// checkPath rejects paths no directory descriptor can resolve: empty (ENOENT),
// absolute (EPERM: WASI paths are relative to a descriptor) and NUL bytes.
func checkPath(p string) Errno {
	switch {
	case p == "":
		return ENOENT
	case p[0] == '/':
		return EPERM
	case strings.IndexByte(p, 0) >= 0:
		return EINVAL
	}
	return ESUCCESS
}

// openParent opens the directory holding the last component of p, resolved
// inside d's root (symbolic links followed, never out of the root). The
// caller defers done on success (it closes dir when openParent opened it).
func (d *fdEntry) openParent(p string) (dir *os.File, base string, special bool, done func(), errno Errno) {
	if errno = checkPath(p); errno != ESUCCESS {
		return nil, "", false, nil, errno
	}
	parent, base, special := atfile.Split(p)
	if parent == "." {
		return d.file, base, special, func() {}, ESUCCESS
	}
	f, err := d.root.Open(parent)
	if err != nil {
		return nil, "", false, nil, errnoOf(err)
	}
	return f, base, special, func() { f.Close() }, ESUCCESS
}

// writableParent is openParent for a call that changes the directory:
// EPERM under a read-only preopen, checked before the path itself.
func (d *fdEntry) writableParent(p string) (dir *os.File, base string, special bool, done func(), errno Errno) {
	if d.readOnly {
		return nil, "", false, nil, EPERM
	}
	return d.openParent(p)
}

// dirArg returns the directory descriptor a path function is relative to:
// EBADF for a closed descriptor or stdio, ENOTDIR for a file (Wasmtime).
func (s *State) dirArg(fd uint32) (*fdEntry, Errno) {
	e, errno := s.get(fd)
	if errno != ESUCCESS {
		return nil, errno
	}
	switch e.kind {
	case kindDir:
		return e, ESUCCESS
	case kindFile:
		return nil, ENOTDIR
	}
	return nil, EBADF
}

// pathArg returns a path function's directory descriptor and path string,
// in that order of checks (EBADF or ENOTDIR before EFAULT).
func (s *State) pathArg(mem api.Memory, fd, ptr, n uint32) (*fdEntry, string, Errno) {
	d, errno := s.dirArg(fd)
	if errno != ESUCCESS {
		return nil, "", errno
	}
	p, errno := readString(mem, ptr, n)
	if errno != ESUCCESS {
		return nil, "", errno
	}
	return d, p, ESUCCESS
}

func pathCreateDirectory(s *State, _ context.Context, mem api.Memory, st []uint64) Errno {
	d, p, errno := s.pathArg(mem, u32(st[0]), u32(st[1]), u32(st[2]))
	if errno != ESUCCESS {
		return errno
	}
	dir, base, special, done, errno := d.writableParent(p)
	if errno != ESUCCESS {
		return errno
	}
	defer done()
	if special {
		return EEXIST
	}
	return errnoOf(atfile.Mkdir(dir, base))
}

func pathFilestatGet(s *State, _ context.Context, mem api.Memory, st []uint64) Errno {
	d, p, errno := s.pathArg(mem, u32(st[0]), u32(st[2]), u32(st[3]))
	if errno != ESUCCESS {
		return errno
	}
	if errno := checkPath(p); errno != ESUCCESS {
		return errno
	}
	var fi os.FileInfo
	var err error
	if u32(st[1])&lookupSymlinkFollow != 0 {
		fi, err = d.root.Stat(p)
	} else {
		fi, err = d.root.Lstat(p)
	}
	if err != nil {
		return errnoOf(err)
	}
	fs := statOf(fi)
	return fs.write(mem, u32(st[4]))
}

func pathFilestatSetTimes(s *State, _ context.Context, mem api.Memory, st []uint64) Errno {
	d, p, errno := s.pathArg(mem, u32(st[0]), u32(st[2]), u32(st[3]))
	if errno != ESUCCESS {
		return errno
	}
	a, m, errno := timesOf(st[4], st[5], uint16(st[6]))
	if errno != ESUCCESS {
		return errno
	}
	if d.readOnly {
		return EPERM
	}
	if errno := checkPath(p); errno != ESUCCESS {
		return errno
	}
	if d.private {
		if errno := d.checkLinks(p, u32(st[1])&lookupSymlinkFollow != 0); errno != ESUCCESS {
			return errno
		}
	}
	if u32(st[1])&lookupSymlinkFollow != 0 {
		// Follow: os.Root resolves the whole path, link included, inside the
		// root. A zero time leaves that time unchanged.
		return errnoOf(d.root.Chtimes(p, goTime(a), goTime(m)))
	}
	dir, base, special, done, errno := d.openParent(p)
	if errno != ESUCCESS {
		return errno
	}
	defer done()
	if special { // "." and ".." are directories, never links
		return errnoOf(d.root.Chtimes(p, goTime(a), goTime(m)))
	}
	return errnoOf(utimesAt(dir, base, a, m))
}

func goTime(t setTime) time.Time {
	switch {
	case t.omit:
		return time.Time{}
	case t.now:
		return time.Now()
	}
	return time.Unix(0, t.ns)
}

// pathLink makes a hard link. As Wasmtime, following a symbolic link source
// is refused (EINVAL); the link itself is linked; either directory being
// read-only is EPERM (a file linked out of a read-only preopen could be
// written through its new name). Private directories refuse hard links
// (EPERM), to them and from them.
func pathLink(s *State, _ context.Context, mem api.Memory, st []uint64) Errno {
	od, op, nd, np, errno := s.twoPathArgs(mem, u32(st[0]), u32(st[2]), u32(st[3]), u32(st[4]), u32(st[5]), u32(st[6]))
	if errno != ESUCCESS {
		return errno
	}
	if u32(st[1])&lookupSymlinkFollow != 0 {
		return EINVAL
	}
	if od.readOnly || nd.readOnly || od.private || nd.private {
		return EPERM
	}
	odir, obase, ospecial, odone, errno := od.openParent(op)
	if errno != ESUCCESS {
		return errno
	}
	defer odone()
	ndir, nbase, nspecial, ndone, errno := nd.openParent(np)
	if errno != ESUCCESS {
		return errno
	}
	defer ndone()
	switch {
	case nspecial:
		return EEXIST
	case ospecial:
		return EPERM // a directory cannot be hard-linked
	}
	return errnoOf(atfile.Link(odir, obase, ndir, nbase))
}

func pathOpen(s *State, _ context.Context, mem api.Memory, st []uint64) Errno {
	d, p, errno := s.pathArg(mem, u32(st[0]), u32(st[2]), u32(st[3]))
	if errno != ESUCCESS {
		return errno
	}
	follow := u32(st[1])&lookupSymlinkFollow != 0
	oflags, rights, fdflags := uint16(st[4]), st[5], uint16(st[7])
	read := rights&rightFdRead != 0
	write := rights&rightFdWrite != 0
	creat, excl, trunc, directory := oflags&oflagCreat != 0, oflags&oflagExcl != 0, oflags&oflagTrunc != 0, oflags&oflagDirectory != 0
	if oflags&^(oflagCreat|oflagDirectory|oflagExcl|oflagTrunc) != 0 {
		return EINVAL
	}
	if errno := checkPath(p); errno != ESUCCESS {
		return errno
	}
	// As Wasmtime: a directory is never created, exclusive or truncated.
	if directory && (creat || excl || trunc) {
		return EINVAL
	}
	if d.readOnly && (write || creat || trunc) {
		return EPERM
	}
	// As Wasmtime: FD_READ and FD_WRITE choose the access mode (rights are
	// not otherwise supported), and creating or truncating opens for
	// writing whatever the rights say.
	osWrite := write || creat || trunc
	osRead := read || !write
	flag := os.O_RDONLY
	switch {
	case osWrite && osRead:
		flag = os.O_RDWR
	case osWrite:
		flag = os.O_WRONLY
	}
	if creat {
		flag |= os.O_CREATE
		if excl {
			flag |= os.O_EXCL
		}
	}
	// In a private directory the link count is checked before anything
	// changes: truncation waits until then.
	if trunc && !d.private {
		flag |= os.O_TRUNC
	}
	// A real append descriptor: the host file is opened in O_APPEND mode.
	if fdflags&fdflagAppend != 0 {
		flag |= os.O_APPEND
	}
	syncFlags := fdflags & (fdflagSync | fdflagDsync | fdflagRsync)
	if syncFlags != 0 {
		extra, errno := syncOpenFlags(syncFlags)
		if errno != ESUCCESS {
			return errno
		}
		flag |= extra
	}
	if !follow && !strings.HasSuffix(p, "/") {
		if fi, err := d.root.Lstat(p); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			if creat && excl {
				return EEXIST
			}
			return ELOOP
		}
	}
	f, err := d.root.OpenFile(p, flag, 0o666)
	if err != nil {
		return errnoOf(err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return errnoOf(err)
	}
	if d.private && !fi.IsDir() && !directory {
		if fi.Mode().IsRegular() && statOf(fi).nlink > 1 {
			f.Close()
			return EPERM
		}
		if trunc {
			if err := f.Truncate(0); err != nil {
				f.Close()
				return errnoOf(err)
			}
		}
	}
	var e *fdEntry
	switch {
	case fi.IsDir():
		sub, err := d.root.OpenRoot(p)
		if err != nil {
			f.Close()
			return errnoOf(err)
		}
		e = &fdEntry{kind: kindDir, file: f, root: sub, readOnly: d.readOnly, private: d.private}
	case directory:
		f.Close()
		return ENOTDIR
	default:
		e = &fdEntry{kind: kindFile, file: f, readable: osRead, writable: osWrite,
			append: fdflags&fdflagAppend != 0, nonblock: fdflags&fdflagNonblock != 0, syncFlags: syncFlags,
			readOnly: d.readOnly, private: d.private}
	}
	fd, errno := s.push(e)
	if errno != ESUCCESS {
		e.close()
		return errno
	}
	if !writeU32(mem, u32(st[8]), fd) {
		return EFAULT
	}
	return ESUCCESS
}

// pathReadlink reads a symbolic link. As Wasmtime, a buffer shorter than the
// link gets the first bytes and their count (no error).
func pathReadlink(s *State, _ context.Context, mem api.Memory, st []uint64) Errno {
	d, p, errno := s.pathArg(mem, u32(st[0]), u32(st[1]), u32(st[2]))
	if errno != ESUCCESS {
		return errno
	}
	buf, ok := mem.Read(u32(st[3]), u32(st[4]))
	if !ok {
		return EFAULT
	}
	dir, base, special, done, errno := d.openParent(p)
	if errno != ESUCCESS {
		return errno
	}
	defer done()
	if special {
		return EINVAL
	}
	target, err := atfile.Readlink(dir, base)
	if err != nil {
		return errnoOf(err)
	}
	n := copy(buf, target)
	if !writeU32(mem, u32(st[5]), uint32(n)) {
		return EFAULT
	}
	return ESUCCESS
}

func pathRemoveDirectory(s *State, _ context.Context, mem api.Memory, st []uint64) Errno {
	d, p, errno := s.pathArg(mem, u32(st[0]), u32(st[1]), u32(st[2]))
	if errno != ESUCCESS {
		return errno
	}
	dir, base, special, done, errno := d.writableParent(p)
	if errno != ESUCCESS {
		return errno
	}
	defer done()
	if special {
		if strings.TrimRight(base, "/") == "." {
			return EINVAL
		}
		return ENOTEMPTY
	}
	return errnoOf(atfile.Rmdir(dir, base))
}

func pathRename(s *State, _ context.Context, mem api.Memory, st []uint64) Errno {
	od, op, nd, np, errno := s.twoPathArgs(mem, u32(st[0]), u32(st[1]), u32(st[2]), u32(st[3]), u32(st[4]), u32(st[5]))
	if errno != ESUCCESS {
		return errno
	}
	if od.readOnly || nd.readOnly {
		return EPERM
	}
	// Nothing leaves a private directory by rename (EPERM): a host-made hard
	// link to a file outside, or a directory holding one, would be opened
	// through the other preopen, where link counts are not checked.
	if od.private && !nd.private {
		return EPERM
	}
	odir, obase, ospecial, odone, errno := od.openParent(op)
	if errno != ESUCCESS {
		return errno
	}
	defer odone()
	ndir, nbase, nspecial, ndone, errno := nd.openParent(np)
	if errno != ESUCCESS {
		return errno
	}
	defer ndone()
	if ospecial || nspecial {
		return EBUSY
	}
	return errnoOf(atfile.Rename(odir, obase, ndir, nbase))
}

// pathSymlink creates a symbolic link. Targets that are absolute paths are
// refused (EPERM): they could never resolve inside the sandbox, and a host
// program walking the directory later would follow them out of it. In a
// private directory, so are targets with a ".." component: every link the
// guest makes there points down, never out.
func pathSymlink(s *State, _ context.Context, mem api.Memory, st []uint64) Errno {
	target, errno := readString(mem, u32(st[0]), u32(st[1]))
	if errno != ESUCCESS {
		return errno
	}
	d, p, errno := s.pathArg(mem, u32(st[2]), u32(st[3]), u32(st[4]))
	if errno != ESUCCESS {
		return errno
	}
	if d.readOnly {
		return EPERM
	}
	switch {
	case target == "":
		return ENOENT
	case target[0] == '/':
		return EPERM
	case strings.IndexByte(target, 0) >= 0:
		return EINVAL
	case d.private && hasDotDot(target):
		return EPERM
	}
	dir, base, special, done, errno := d.openParent(p)
	if errno != ESUCCESS {
		return errno
	}
	defer done()
	if special {
		return EEXIST
	}
	return errnoOf(atfile.Symlink(target, dir, base))
}

func pathUnlinkFile(s *State, _ context.Context, mem api.Memory, st []uint64) Errno {
	d, p, errno := s.pathArg(mem, u32(st[0]), u32(st[1]), u32(st[2]))
	if errno != ESUCCESS {
		return errno
	}
	dir, base, special, done, errno := d.writableParent(p)
	if errno != ESUCCESS {
		return errno
	}
	defer done()
	if special {
		return EISDIR
	}
	return errnoOf(atfile.Unlink(dir, base))
}

// twoPathArgs resolves the (dir fd, path) pairs of path_link and path_rename:
// both descriptors first (EBADF, ENOTDIR), then both strings (EFAULT), as
// the two functions checked them before sharing this.
func (s *State) twoPathArgs(mem api.Memory, oldFd, oldPtr, oldLen, newFd, newPtr, newLen uint32) (od *fdEntry, op string, nd *fdEntry, np string, errno Errno) {
	if od, errno = s.dirArg(oldFd); errno != ESUCCESS {
		return
	}
	if nd, errno = s.dirArg(newFd); errno != ESUCCESS {
		return
	}
	if op, errno = readString(mem, oldPtr, oldLen); errno != ESUCCESS {
		return
	}
	np, errno = readString(mem, newPtr, newLen)
	return
}

// hasDotDot reports whether a slash-separated path has a ".." component.
func hasDotDot(p string) bool {
	for _, c := range strings.Split(p, "/") {
		if c == ".." {
			return true
		}
	}
	return false
}

// checkLinks refuses, in a private directory, a path naming a regular file
// with more than one link (EPERM): it may be a host-made hard link to a file
// outside. follow says whether a final symbolic link is followed.
func (d *fdEntry) checkLinks(p string, follow bool) Errno {
	var fi os.FileInfo
	var err error
	if follow {
		fi, err = d.root.Stat(p)
	} else {
		fi, err = d.root.Lstat(p)
	}
	if err != nil {
		return errnoOf(err)
	}
	if fi.Mode().IsRegular() && statOf(fi).nlink > 1 {
		return EPERM
	}
	return ESUCCESS
}
