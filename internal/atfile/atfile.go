//go:build linux || darwin

// Package atfile makes the directory-relative system calls (mkdirat,
// unlinkat, renameat, linkat, symlinkat, readlinkat) and pwrite on files
// that os.Root opened, for the WASI implementations (packages wasip1 and
// wasip2), which need what os.Root cannot express. Each call acts on one
// path component (base: it may end in slashes but holds no other slash and
// is never "." or "..") of an already opened directory, so it cannot leave
// that directory. Errors are the system's (syscall.Errno); on platforms
// other than Linux and macOS every call is syscall.ENOSYS.
package atfile

import (
	"io"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// WithFd runs fn with f's descriptor, which stays valid while fn runs.
func WithFd(f *os.File, fn func(fd int) error) error {
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
	return WithFd(a, func(fa int) error {
		return WithFd(b, func(fb int) error { return fn(fa, fb) })
	})
}

// RetryEINTR runs fn again while it fails with EINTR.
func RetryEINTR(fn func() error) error {
	for {
		if err := fn(); err != syscall.EINTR {
			return err
		}
	}
}

// Mkdir makes directory base in dir.
func Mkdir(dir *os.File, base string) error {
	return WithFd(dir, func(fd int) error {
		return RetryEINTR(func() error { return unix.Mkdirat(fd, base, 0o777) })
	})
}

// Rmdir removes the empty directory base of dir.
func Rmdir(dir *os.File, base string) error {
	return WithFd(dir, func(fd int) error {
		return RetryEINTR(func() error { return unix.Unlinkat(fd, base, unix.AT_REMOVEDIR) })
	})
}

// Unlink removes file base of dir. Unlinking a directory is EISDIR on
// every platform (macOS says EPERM; Wasmtime maps it too).
func Unlink(dir *os.File, base string) error {
	return WithFd(dir, func(fd int) error {
		err := RetryEINTR(func() error { return unix.Unlinkat(fd, base, 0) })
		if err == unix.EPERM || err == unix.EACCES {
			var st unix.Stat_t
			if unix.Fstatat(fd, base, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
				return unix.EISDIR
			}
		}
		return err
	})
}

// Rename renames obase of odir to nbase of ndir.
func Rename(odir *os.File, obase string, ndir *os.File, nbase string) error {
	return withFds(odir, ndir, func(ofd, nfd int) error {
		return RetryEINTR(func() error { return unix.Renameat(ofd, obase, nfd, nbase) })
	})
}

// Link makes nbase of ndir a hard link to obase of odir (not following a
// symbolic link).
func Link(odir *os.File, obase string, ndir *os.File, nbase string) error {
	return withFds(odir, ndir, func(ofd, nfd int) error {
		return RetryEINTR(func() error { return unix.Linkat(ofd, obase, nfd, nbase, 0) })
	})
}

// Symlink makes base of dir a symbolic link to target.
func Symlink(target string, dir *os.File, base string) error {
	return WithFd(dir, func(fd int) error {
		return RetryEINTR(func() error { return unix.Symlinkat(target, fd, base) })
	})
}

// Readlink returns the target of symbolic link base of dir.
func Readlink(dir *os.File, base string) (string, error) {
	var out string
	err := WithFd(dir, func(fd int) error {
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

// Pwrite is pwrite(2), repeated until b is written or it fails. Unlike
// os.File.WriteAt, it writes at off also on a file opened with O_APPEND.
func Pwrite(f *os.File, b []byte, off int64) (int, error) {
	total := 0
	err := WithFd(f, func(fd int) error {
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
