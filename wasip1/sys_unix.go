//go:build linux || darwin

package wasip1

import (
	"io"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// The *at helpers below act on one path component (base, which may end in
// slashes but holds no other slash and is never "." or "..") of an already
// opened directory: they cannot leave it.

func withFd(f *os.File, fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var opErr error
	if err := rc.Control(func(fd uintptr) { opErr = fn(int(fd)) }); err != nil {
		return err
	}
	return opErr
}

func withFds(a, b *os.File, fn func(fa, fb int) error) error {
	return withFd(a, func(fa int) error {
		return withFd(b, func(fb int) error { return fn(fa, fb) })
	})
}

func retryEINTR(fn func() error) error {
	for {
		if err := fn(); err != syscall.EINTR {
			return err
		}
	}
}

func mkdirAt(dir *os.File, base string) error {
	return withFd(dir, func(fd int) error {
		return retryEINTR(func() error { return unix.Mkdirat(fd, base, 0o777) })
	})
}

func rmdirAt(dir *os.File, base string) error {
	return withFd(dir, func(fd int) error {
		return retryEINTR(func() error { return unix.Unlinkat(fd, base, unix.AT_REMOVEDIR) })
	})
}

// unlinkAt removes a file. Unlinking a directory is EISDIR on every
// platform (macOS says EPERM; Wasmtime maps it too).
func unlinkAt(dir *os.File, base string) error {
	return withFd(dir, func(fd int) error {
		err := retryEINTR(func() error { return unix.Unlinkat(fd, base, 0) })
		if err == unix.EPERM || err == unix.EACCES {
			var st unix.Stat_t
			if unix.Fstatat(fd, base, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
				return unix.EISDIR
			}
		}
		return err
	})
}

func renameAt(odir *os.File, obase string, ndir *os.File, nbase string) error {
	return withFds(odir, ndir, func(ofd, nfd int) error {
		return retryEINTR(func() error { return unix.Renameat(ofd, obase, nfd, nbase) })
	})
}

func linkAt(odir *os.File, obase string, ndir *os.File, nbase string) error {
	return withFds(odir, ndir, func(ofd, nfd int) error {
		return retryEINTR(func() error { return unix.Linkat(ofd, obase, nfd, nbase, 0) })
	})
}

func symlinkAt(target string, dir *os.File, base string) error {
	return withFd(dir, func(fd int) error {
		return retryEINTR(func() error { return unix.Symlinkat(target, fd, base) })
	})
}

func readlinkAt(dir *os.File, base string) (string, error) {
	var out string
	err := withFd(dir, func(fd int) error {
		for size := 256; ; size *= 2 {
			buf := make([]byte, size)
			n, err := unix.Readlinkat(fd, base, buf)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return err
			}
			if n < size {
				out = string(buf[:n])
				return nil
			}
		}
	})
	return out, err
}

// utimesAt sets the times of base itself, not following a symbolic link.
func utimesAt(dir *os.File, base string, a, m setTime) error {
	return withFd(dir, func(fd int) error {
		var cur unix.Stat_t
		if a.omit || m.omit {
			if err := unix.Fstatat(fd, base, &cur, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				return err
			}
		}
		ts := []unix.Timespec{timespecOf(a, cur.Atim), timespecOf(m, cur.Mtim)}
		return retryEINTR(func() error { return unix.UtimesNanoAt(fd, base, ts, unix.AT_SYMLINK_NOFOLLOW) })
	})
}

// readDir lists a directory for fd_readdir: ".", ".." then its entries with
// their inode numbers and types (of the entries themselves, not followed).
func readDir(f *os.File) ([]dirent, error) {
	if _, err := f.Seek(0, 0); err != nil {
		return nil, err
	}
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	var self unix.Stat_t
	if err := withFd(f, func(fd int) error { return unix.Fstat(fd, &self) }); err != nil {
		return nil, err
	}
	list := make([]dirent, 0, len(names)+2)
	list = append(list, dirent{name: ".", ino: uint64(self.Ino), filetype: filetypeDirectory},
		dirent{name: "..", ino: uint64(self.Ino), filetype: filetypeDirectory})
	err = withFd(f, func(fd int) error {
		for _, name := range names {
			var st unix.Stat_t
			if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				continue // removed meanwhile
			}
			list = append(list, dirent{name: name, ino: uint64(st.Ino), filetype: filetypeOfUnixMode(uint32(st.Mode))})
		}
		return nil
	})
	return list, err
}

func filetypeOfUnixMode(m uint32) uint8 {
	switch m & unix.S_IFMT {
	case unix.S_IFREG:
		return filetypeRegularFile
	case unix.S_IFDIR:
		return filetypeDirectory
	case unix.S_IFLNK:
		return filetypeSymbolicLink
	case unix.S_IFCHR:
		return filetypeCharacterDevice
	case unix.S_IFBLK:
		return filetypeBlockDevice
	}
	return filetypeUnknown
}

func statFile(f *os.File) (filestat, error) {
	var st unix.Stat_t
	if err := withFd(f, func(fd int) error { return unix.Fstat(fd, &st) }); err != nil {
		return filestat{}, err
	}
	return statOfUnix(&st), nil
}

func statOfUnix(st *unix.Stat_t) filestat {
	return filestat{
		dev: uint64(st.Dev), ino: uint64(st.Ino), filetype: filetypeOfUnixMode(uint32(st.Mode)),
		nlink: uint64(st.Nlink), size: uint64(st.Size),
		atim: uint64(st.Atim.Nano()), mtim: uint64(st.Mtim.Nano()), ctim: uint64(st.Ctim.Nano()),
	}
}

// statOf converts what os.Root's Stat and Lstat return.
func statOf(fi os.FileInfo) filestat {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return statOfSyscall(st)
	}
	return filestat{filetype: filetypeOfMode(fi.Mode()), size: uint64(fi.Size()), mtim: uint64(fi.ModTime().UnixNano())}
}

// utimesFile sets the times of an open file or directory.
func utimesFile(f *os.File, a, m setTime) error {
	return withFd(f, func(fd int) error { return futimens(fd, a, m) })
}

// setAppend switches O_APPEND on or off on f's own open file description
// (no other descriptor shares it: fd_renumber moves a file, never
// duplicates it).
func setAppend(f *os.File, on bool) error {
	return withFd(f, func(fd int) error {
		fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		if err != nil {
			return err
		}
		if on {
			fl |= unix.O_APPEND
		} else {
			fl &^= unix.O_APPEND
		}
		_, err = unix.FcntlInt(uintptr(fd), unix.F_SETFL, fl)
		return err
	})
}

// pwriteFile is pwrite(2), repeated until b is written or it fails, as
// os.File.WriteAt (which refuses a file opened with O_APPEND even after
// fd_fdstat_set_flags turned append mode off).
func pwriteFile(f *os.File, b []byte, off int64) (int, error) {
	total := 0
	err := withFd(f, func(fd int) error {
		for total < len(b) {
			n, err := unix.Pwrite(fd, b[total:], off+int64(total))
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return err
			}
			if n == 0 {
				return io.ErrShortWrite
			}
			total += n
		}
		return nil
	})
	return total, err
}
