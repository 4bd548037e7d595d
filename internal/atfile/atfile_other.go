//go:build !linux && !darwin

package atfile

import (
	"os"
	"syscall"
)

// The directory-relative calls are Linux and macOS only here.

// Mkdir is syscall.ENOSYS on this platform.
func Mkdir(*os.File, string) error { return syscall.ENOSYS }

// Rmdir is syscall.ENOSYS on this platform.
func Rmdir(*os.File, string) error { return syscall.ENOSYS }

// Unlink is syscall.ENOSYS on this platform.
func Unlink(*os.File, string) error { return syscall.ENOSYS }

// Rename is syscall.ENOSYS on this platform.
func Rename(*os.File, string, *os.File, string) error { return syscall.ENOSYS }

// Link is syscall.ENOSYS on this platform.
func Link(*os.File, string, *os.File, string) error { return syscall.ENOSYS }

// Symlink is syscall.ENOSYS on this platform.
func Symlink(string, *os.File, string) error { return syscall.ENOSYS }

// Readlink is syscall.ENOSYS on this platform.
func Readlink(*os.File, string) (string, error) { return "", syscall.ENOSYS }

// Pwrite is os.File.WriteAt on this platform.
func Pwrite(f *os.File, b []byte, off int64) (int, error) { return f.WriteAt(b, off) }
