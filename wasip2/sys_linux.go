package wasip2

import (
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func statTimes(st *syscall.Stat_t) (atime, ctime time.Time) {
	return time.Unix(st.Atim.Unix()), time.Unix(st.Ctim.Unix())
}

// futimens is utimensat(fd, NULL, times, 0): nanoseconds, on the
// descriptor itself.
func futimens(fd int, a, m unix.Timespec) error {
	ts := [2]unix.Timespec{a, m}
	_, _, e := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}
