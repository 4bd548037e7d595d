//go:build linux || darwin

package wasip2

import (
	"io"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The *at helpers below act on one path component (base, which may end in
// slashes but holds no other slash and is never "." or "..") of an already
// opened directory: they cannot leave it. They are wasip1's (sys_unix.go).

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

// unlinkAt removes a file; a directory is is-directory on every platform
// (macOS says EPERM).
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

// timespecOf picks a time for utimensat: cur when it is not to change.
func timespecOf(t NewTimestamp, cur unix.Timespec) unix.Timespec {
	switch {
	case t.NoChange:
		return cur
	case t.Now:
		return unix.NsecToTimespec(time.Now().UnixNano())
	}
	return unix.NsecToTimespec(t.Time.UnixNano())
}

// utimesAt sets the times of base itself, not following a symbolic link.
func utimesAt(dir *os.File, base string, a, m NewTimestamp) error {
	return withFd(dir, func(fd int) error {
		var cur unix.Stat_t
		if err := unix.Fstatat(fd, base, &cur, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return err
		}
		ts := []unix.Timespec{timespecOf(a, cur.Atim), timespecOf(m, cur.Mtim)}
		return retryEINTR(func() error { return unix.UtimesNanoAt(fd, base, ts, unix.AT_SYMLINK_NOFOLLOW) })
	})
}

// utimesFile sets the times of an open file or directory.
func utimesFile(f *os.File, a, m NewTimestamp) error {
	return withFd(f, func(fd int) error {
		var cur unix.Stat_t
		if err := unix.Fstat(fd, &cur); err != nil {
			return err
		}
		return futimens(fd, timespecOf(a, cur.Atim), timespecOf(m, cur.Mtim))
	})
}

// pwriteFile is pwrite(2), repeated until b is written or it fails.
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

// appendFile writes b at the end of f. The host file is not in O_APPEND
// mode (other streams of the descriptor write at offsets), so the end is
// read first: an append is atomic against this instance's other writes,
// not against another process writing the same file.
func appendFile(f *os.File, b []byte) (int, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return pwriteFile(f, b, fi.Size())
}

// syncFlags maps the sync descriptor flags to open(2) flags.
func syncFlags(df DescriptorFlags) int {
	var f int
	if df&FlagFileIntegritySync != 0 {
		f |= unix.O_SYNC
	}
	if df&FlagDataIntegritySync != 0 {
		f |= unix.O_DSYNC
	}
	return f
}

// fileID returns the device and inode of a file.
func fileID(fi os.FileInfo) (dev, ino uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), uint64(st.Ino)
	}
	return 0, 0
}

// linkCount returns a file's number of hard links.
func linkCount(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}

// statOf converts what os.File.Stat and os.Root's Stat and Lstat return.
func statOf(fi os.FileInfo) DescriptorStat {
	st := DescriptorStat{Type: typeOf(fi.Mode()), LinkCount: linkCount(fi), Size: uint64(max(fi.Size(), 0))}
	mt := fi.ModTime()
	st.Mtime = &mt
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		a, c := statTimes(sys)
		st.Atime, st.Ctime = &a, &c
	}
	return st
}
