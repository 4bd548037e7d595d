//go:build linux || darwin

package wasip1

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/wasmhive/wasmhive/internal/atfile"
)

// The directory-relative system calls are internal/atfile's; these are the
// ones that need this package's types.

// utimesAt sets the times of base itself, not following a symbolic link.
func utimesAt(dir *os.File, base string, a, m setTime) error {
	return atfile.WithFd(dir, func(fd int) error {
		var cur unix.Stat_t
		if a.omit || m.omit {
			if err := unix.Fstatat(fd, base, &cur, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				return err
			}
		}
		ts := []unix.Timespec{timespecOf(a, cur.Atim), timespecOf(m, cur.Mtim)}
		return atfile.RetryEINTR(func() error { return unix.UtimesNanoAt(fd, base, ts, unix.AT_SYMLINK_NOFOLLOW) })
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
	if err := atfile.WithFd(f, func(fd int) error { return unix.Fstat(fd, &self) }); err != nil {
		return nil, err
	}
	list := make([]dirent, 0, len(names)+2)
	list = append(list, dirent{name: ".", ino: uint64(self.Ino), filetype: filetypeDirectory},
		dirent{name: "..", ino: uint64(self.Ino), filetype: filetypeDirectory})
	err = atfile.WithFd(f, func(fd int) error {
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
	if err := atfile.WithFd(f, func(fd int) error { return unix.Fstat(fd, &st) }); err != nil {
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
	return atfile.WithFd(f, func(fd int) error { return futimens(fd, a, m) })
}

// setAppend switches O_APPEND on or off on f's own open file description
// (no other descriptor shares it: fd_renumber moves a file, never
// duplicates it).
func setAppend(f *os.File, on bool) error {
	return atfile.WithFd(f, func(fd int) error {
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
