package wasip2

import (
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func statTimes(st *syscall.Stat_t) (atime, ctime time.Time) {
	return time.Unix(st.Atimespec.Unix()), time.Unix(st.Ctimespec.Unix())
}

// futimens sets a descriptor's times with futimes (microseconds).
func futimens(fd int, a, m unix.Timespec) error {
	return unix.Futimes(fd, []unix.Timeval{unix.NsecToTimeval(a.Nano()), unix.NsecToTimeval(m.Nano())})
}
