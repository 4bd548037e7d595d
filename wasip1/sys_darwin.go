package wasip1

import (
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func statOfSyscall(st *syscall.Stat_t) filestat {
	return filestat{
		dev: uint64(st.Dev), ino: st.Ino, filetype: filetypeOfUnixMode(uint32(st.Mode)),
		nlink: uint64(st.Nlink), size: uint64(st.Size),
		atim: uint64(st.Atimespec.Nano()), mtim: uint64(st.Mtimespec.Nano()), ctim: uint64(st.Ctimespec.Nano()),
	}
}

// futimens sets the times of a descriptor with futimes (microseconds),
// reading the current times for the ones left unchanged.
func futimens(fd int, a, m setTime) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	pick := func(t setTime, cur unix.Timespec) unix.Timeval {
		switch {
		case t.omit:
			return unix.NsecToTimeval(cur.Nano())
		case t.now:
			return unix.NsecToTimeval(time.Now().UnixNano())
		}
		return unix.NsecToTimeval(t.ns)
	}
	return unix.Futimes(fd, []unix.Timeval{pick(a, st.Atim), pick(m, st.Mtim)})
}

// timespecOf encodes a timestamp for utimensat: cur keeps a time unchanged.
func timespecOf(t setTime, cur unix.Timespec) unix.Timespec {
	switch {
	case t.omit:
		return cur
	case t.now:
		return unix.NsecToTimespec(time.Now().UnixNano())
	}
	return unix.NsecToTimespec(t.ns)
}

// syncOpenFlags maps path_open's DSYNC and SYNC fdflags to open(2) flags;
// macOS has no O_RSYNC (ENOTSUP).
func syncOpenFlags(flags uint16) (int, Errno) {
	if flags&fdflagRsync != 0 {
		return 0, ENOTSUP
	}
	var f int
	if flags&fdflagSync != 0 {
		f |= unix.O_SYNC
	}
	if flags&fdflagDsync != 0 {
		f |= unix.O_DSYNC
	}
	return f, ESUCCESS
}
