package wasip1

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

func statOfSyscall(st *syscall.Stat_t) filestat {
	return filestat{
		dev: uint64(st.Dev), ino: st.Ino, filetype: filetypeOfUnixMode(st.Mode),
		nlink: uint64(st.Nlink), size: uint64(st.Size),
		atim: uint64(st.Atim.Nano()), mtim: uint64(st.Mtim.Nano()), ctim: uint64(st.Ctim.Nano()),
	}
}

// futimens is utimensat(fd, NULL, times, 0): nanoseconds, UTIME_OMIT and
// UTIME_NOW on the descriptor itself.
func futimens(fd int, a, m setTime) error {
	ts := [2]unix.Timespec{timespecOf(a, unix.Timespec{}), timespecOf(m, unix.Timespec{})}
	_, _, e := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// timespecOf encodes a timestamp for utimensat (UTIME_OMIT, UTIME_NOW).
func timespecOf(t setTime, _ unix.Timespec) unix.Timespec {
	switch {
	case t.omit:
		return unix.Timespec{Nsec: unix.UTIME_OMIT}
	case t.now:
		return unix.Timespec{Nsec: unix.UTIME_NOW}
	}
	return unix.NsecToTimespec(t.ns)
}

// syncOpenFlags maps path_open's DSYNC, RSYNC and SYNC fdflags to open(2)
// flags.
func syncOpenFlags(flags uint16) (int, Errno) {
	var f int
	if flags&fdflagSync != 0 {
		f |= unix.O_SYNC
	}
	if flags&fdflagDsync != 0 {
		f |= unix.O_DSYNC
	}
	if flags&fdflagRsync != 0 {
		f |= unix.O_RSYNC
	}
	return f, ESUCCESS
}
