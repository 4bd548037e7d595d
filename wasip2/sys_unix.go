//go:build linux || darwin

package wasip2

import (
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wasmhive/wasmhive/internal/atfile"
)

// The directory-relative system calls are internal/atfile's; these are the
// ones that need this package's types.

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
	return atfile.WithFd(dir, func(fd int) error {
		var cur unix.Stat_t
		if err := unix.Fstatat(fd, base, &cur, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return err
		}
		ts := []unix.Timespec{timespecOf(a, cur.Atim), timespecOf(m, cur.Mtim)}
		return atfile.RetryEINTR(func() error { return unix.UtimesNanoAt(fd, base, ts, unix.AT_SYMLINK_NOFOLLOW) })
	})
}

// utimesFile sets the times of an open file or directory.
func utimesFile(f *os.File, a, m NewTimestamp) error {
	return atfile.WithFd(f, func(fd int) error {
		var cur unix.Stat_t
		if err := unix.Fstat(fd, &cur); err != nil {
			return err
		}
		return futimens(fd, timespecOf(a, cur.Atim), timespecOf(m, cur.Mtim))
	})
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
	return atfile.Pwrite(f, b, fi.Size())
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
