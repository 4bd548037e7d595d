package engine

import (
	"fmt"
	"os"
	"syscall"
	"time"
)

// fileIdentity returns what identifies a file's contents without reading
// them (device, inode, size, modification and change times) and its change
// time, or ok false when the platform does not say.
func fileIdentity(fi os.FileInfo) (id string, ctime time.Time, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "", time.Time{}, false
	}
	ctime = time.Unix(st.Ctim.Sec, st.Ctim.Nsec)
	id = fmt.Sprintf("%d:%d:%d:%d.%d:%d.%d", st.Dev, st.Ino, st.Size, st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec)
	return id, ctime, true
}
