package wasip1

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// Errno is a WASI preview 1 error number, as returned by every function of
// the wasi_snapshot_preview1 module.
type Errno uint16

// The WASI preview 1 error numbers (witx order).
const (
	ESUCCESS Errno = iota
	E2BIG
	EACCES
	EADDRINUSE
	EADDRNOTAVAIL
	EAFNOSUPPORT
	EAGAIN
	EALREADY
	EBADF
	EBADMSG
	EBUSY
	ECANCELED
	ECHILD
	ECONNABORTED
	ECONNREFUSED
	ECONNRESET
	EDEADLK
	EDESTADDRREQ
	EDOM
	EDQUOT
	EEXIST
	EFAULT
	EFBIG
	EHOSTUNREACH
	EIDRM
	EILSEQ
	EINPROGRESS
	EINTR
	EINVAL
	EIO
	EISCONN
	EISDIR
	ELOOP
	EMFILE
	EMLINK
	EMSGSIZE
	EMULTIHOP
	ENAMETOOLONG
	ENETDOWN
	ENETRESET
	ENETUNREACH
	ENFILE
	ENOBUFS
	ENODEV
	ENOENT
	ENOEXEC
	ENOLCK
	ENOLINK
	ENOMEM
	ENOMSG
	ENOPROTOOPT
	ENOSPC
	ENOSYS
	ENOTCONN
	ENOTDIR
	ENOTEMPTY
	ENOTRECOVERABLE
	ENOTSOCK
	ENOTSUP
	ENOTTY
	ENXIO
	EOVERFLOW
	EOWNERDEAD
	EPERM
	EPIPE
	EPROTO
	EPROTONOSUPPORT
	EPROTOTYPE
	ERANGE
	EROFS
	ESPIPE
	ESRCH
	ESTALE
	ETIMEDOUT
	ETXTBSY
	EXDEV
	ENOTCAPABLE
)

// hostErrnos maps host errno values to WASI ones. Built from syscall's
// portable names so it compiles on every Unix.
var hostErrnos = map[syscall.Errno]Errno{
	syscall.E2BIG: E2BIG, syscall.EACCES: EACCES, syscall.EADDRINUSE: EADDRINUSE,
	syscall.EADDRNOTAVAIL: EADDRNOTAVAIL, syscall.EAFNOSUPPORT: EAFNOSUPPORT, syscall.EAGAIN: EAGAIN,
	syscall.EALREADY: EALREADY, syscall.EBADF: EBADF, syscall.EBUSY: EBUSY,
	syscall.ECONNABORTED: ECONNABORTED, syscall.ECONNREFUSED: ECONNREFUSED, syscall.ECONNRESET: ECONNRESET,
	syscall.EDEADLK: EDEADLK, syscall.EDQUOT: EDQUOT, syscall.EEXIST: EEXIST, syscall.EFAULT: EFAULT,
	syscall.EFBIG: EFBIG, syscall.EINTR: EINTR, syscall.EINVAL: EINVAL, syscall.EIO: EIO,
	syscall.EISDIR: EISDIR, syscall.ELOOP: ELOOP, syscall.EMFILE: EMFILE, syscall.EMLINK: EMLINK,
	syscall.ENAMETOOLONG: ENAMETOOLONG, syscall.ENFILE: ENFILE, syscall.ENODEV: ENODEV,
	syscall.ENOENT: ENOENT, syscall.ENOMEM: ENOMEM, syscall.ENOSPC: ENOSPC, syscall.ENOSYS: ENOSYS,
	syscall.ENOTDIR: ENOTDIR, syscall.ENOTEMPTY: ENOTEMPTY, syscall.ENOTSUP: ENOTSUP,
	syscall.ENOTTY: ENOTTY, syscall.ENXIO: ENXIO, syscall.EPERM: EPERM, syscall.EPIPE: EPIPE,
	syscall.ERANGE: ERANGE, syscall.EROFS: EROFS, syscall.ESPIPE: ESPIPE, syscall.ETXTBSY: ETXTBSY,
	syscall.EXDEV: EXDEV, syscall.EOVERFLOW: EOVERFLOW, syscall.ENOTSOCK: ENOTSOCK,
}

// errPathEscapes is the message os.Root uses when a path would leave it.
const errPathEscapes = "path escapes from parent"

// errnoOf turns a Go error from the os package or a syscall into a WASI errno.
// A path leaving its directory (.., absolute symlinks) is EPERM, as WASI's
// path resolution rules and Wasmtime say.
func errnoOf(err error) Errno {
	if err == nil {
		return ESUCCESS
	}
	var e Errno
	if errors.As(err, &e) {
		return e
	}
	var se syscall.Errno
	if errors.As(err, &se) {
		if w, ok := hostErrnos[se]; ok {
			return w
		}
		return EIO
	}
	var pe *os.PathError
	if errors.As(err, &pe) && pe.Err != nil && pe.Err.Error() == errPathEscapes {
		return EPERM
	}
	if err.Error() == errPathEscapes {
		return EPERM
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return ENOENT
	case errors.Is(err, fs.ErrExist):
		return EEXIST
	case errors.Is(err, fs.ErrPermission):
		return EPERM
	case errors.Is(err, fs.ErrClosed):
		return EBADF
	case errors.Is(err, fs.ErrInvalid):
		return EINVAL
	}
	return EIO
}

// Error makes an Errno usable as a Go error.
func (e Errno) Error() string { return "wasi errno " + itoa(uint64(e)) }

func itoa(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(b[i:])
}
