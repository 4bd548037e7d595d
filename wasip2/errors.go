package wasip2

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// ErrorCode is a wasi:filesystem/types error-code: its value is the
// label's index in the WIT enum, which is how it crosses the canonical ABI.
type ErrorCode uint32

// The wasi:filesystem error codes, in WIT declaration order.
const (
	ErrAccess ErrorCode = iota
	ErrWouldBlock
	ErrAlready
	ErrBadDescriptor
	ErrBusy
	ErrDeadlock
	ErrQuota
	ErrExist
	ErrFileTooLarge
	ErrIllegalByteSequence
	ErrInProgress
	ErrInterrupted
	ErrInvalid
	ErrIO
	ErrIsDirectory
	ErrLoop
	ErrTooManyLinks
	ErrMessageSize
	ErrNameTooLong
	ErrNoDevice
	ErrNoEntry
	ErrNoLock
	ErrInsufficientMemory
	ErrInsufficientSpace
	ErrNotDirectory
	ErrNotEmpty
	ErrNotRecoverable
	ErrUnsupported
	ErrNoTTY
	ErrNoSuchDevice
	ErrOverflow
	ErrNotPermitted
	ErrPipe
	ErrReadOnly
	ErrInvalidSeek
	ErrTextFileBusy
	ErrCrossDevice
)

var errorCodeNames = [...]string{
	"access", "would-block", "already", "bad-descriptor", "busy", "deadlock", "quota", "exist",
	"file-too-large", "illegal-byte-sequence", "in-progress", "interrupted", "invalid", "io",
	"is-directory", "loop", "too-many-links", "message-size", "name-too-long", "no-device",
	"no-entry", "no-lock", "insufficient-memory", "insufficient-space", "not-directory",
	"not-empty", "not-recoverable", "unsupported", "no-tty", "no-such-device", "overflow",
	"not-permitted", "pipe", "read-only", "invalid-seek", "text-file-busy", "cross-device",
}

// String returns the WIT label of the code, e.g. "no-entry".
func (c ErrorCode) String() string {
	if int(c) < len(errorCodeNames) {
		return errorCodeNames[c]
	}
	return "error-code(" + itoa(uint64(c)) + ")"
}

// Error makes an ErrorCode usable as a Go error.
func (c ErrorCode) Error() string { return "wasi:filesystem error-code " + c.String() }

// hostCodes maps host errno values to error codes (syscall's portable
// names, so that it compiles on every platform).
var hostCodes = map[syscall.Errno]ErrorCode{
	syscall.EACCES: ErrAccess, syscall.EAGAIN: ErrWouldBlock, syscall.EALREADY: ErrAlready,
	syscall.EBADF: ErrBadDescriptor, syscall.EBUSY: ErrBusy, syscall.EDEADLK: ErrDeadlock,
	syscall.EDQUOT: ErrQuota, syscall.EEXIST: ErrExist, syscall.EFBIG: ErrFileTooLarge,
	syscall.EILSEQ: ErrIllegalByteSequence, syscall.EINPROGRESS: ErrInProgress,
	syscall.EINTR: ErrInterrupted, syscall.EINVAL: ErrInvalid, syscall.EIO: ErrIO,
	syscall.EISDIR: ErrIsDirectory, syscall.ELOOP: ErrLoop, syscall.EMLINK: ErrTooManyLinks,
	syscall.EMSGSIZE: ErrMessageSize, syscall.ENAMETOOLONG: ErrNameTooLong,
	syscall.ENODEV: ErrNoDevice, syscall.ENOENT: ErrNoEntry, syscall.ENOLCK: ErrNoLock,
	syscall.ENOMEM: ErrInsufficientMemory, syscall.ENOSPC: ErrInsufficientSpace,
	syscall.ENOTDIR: ErrNotDirectory, syscall.ENOTEMPTY: ErrNotEmpty,
	syscall.ENOTSUP: ErrUnsupported, syscall.ENOSYS: ErrUnsupported, syscall.ENOTTY: ErrNoTTY,
	syscall.ENXIO: ErrNoSuchDevice, syscall.EOVERFLOW: ErrOverflow, syscall.EPERM: ErrNotPermitted,
	syscall.EPIPE: ErrPipe, syscall.EROFS: ErrReadOnly, syscall.ESPIPE: ErrInvalidSeek,
	syscall.ETXTBSY: ErrTextFileBusy, syscall.EXDEV: ErrCrossDevice,
}

// errPathEscapes is the message os.Root uses when a path would leave it.
const errPathEscapes = "path escapes from parent"

// codeOf turns a Go error from the os package or a system call into an
// error code. A path that would leave its directory ("..", absolute
// symbolic links) is not-permitted, as in wasip1 (EPERM) and Wasmtime.
func codeOf(err error) ErrorCode {
	var c ErrorCode
	if errors.As(err, &c) {
		return c
	}
	var se syscall.Errno
	if errors.As(err, &se) {
		if c, ok := hostCodes[se]; ok {
			return c
		}
		return ErrIO
	}
	var pe *os.PathError
	if errors.As(err, &pe) && pe.Err != nil && pe.Err.Error() == errPathEscapes {
		return ErrNotPermitted
	}
	if err.Error() == errPathEscapes {
		return ErrNotPermitted
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return ErrNoEntry
	case errors.Is(err, fs.ErrExist):
		return ErrExist
	case errors.Is(err, fs.ErrPermission):
		return ErrNotPermitted
	case errors.Is(err, fs.ErrClosed):
		return ErrBadDescriptor
	case errors.Is(err, fs.ErrInvalid):
		return ErrInvalid
	}
	return ErrIO
}

// errStreamClosed is a stream's closed error (stream-error::closed): the
// end of input, or an output that takes no more.
var errStreamClosed = errors.New("stream closed")

// StreamError is a stream's last-operation-failed error: Err says what
// went wrong (its error code, for a file stream, is what
// filesystem-error-code returns).
type StreamError struct{ Err error }

// Error says what failed.
func (e *StreamError) Error() string { return "stream operation failed: " + e.Err.Error() }

// Unwrap returns Err.
func (e *StreamError) Unwrap() error { return e.Err }

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
