// Package wasip1 implements WASI preview 1 (the wasi_snapshot_preview1 host
// module) for wazero, with the behaviour of the specification and of
// Wasmtime, the reference implementation.
//
// Each instance has its own State: arguments, environment, streaming stdio
// and a table of file descriptors. The package knows nothing of the engine:
// a HostModule finds the calling instance's State with a function the
// embedder provides.
//
// # Sandbox
//
// Preopened directories are os.Root values and every directory a guest
// opens gets its own os.Root, so a path relative to a directory descriptor
// cannot leave it (cap-std semantics, as Wasmtime): "..", absolute paths and
// symbolic links that would leave it, host-made or guest-made, fail with
// EPERM. Operations os.Root lacks (hard links, renames across descriptors,
// unlink and rmdir, readlink, times of a link itself) open the parent
// directory through os.Root and act on the last path component only, with
// the *at system calls. Guests cannot create symbolic links to absolute
// paths. A read-only preopen (and everything opened under it) refuses every
// change with EPERM, and is no source of path_link either (as Wasmtime: a
// file linked out of it could be written through its new name).
//
// A private preopen (Preopen.Private, for a directory that must hold only
// its own files) also refuses hard links: path_link to or from it, opening
// or setting the times of a regular file with more than one link (a
// host-made hard link may name a file outside), and renaming anything out
// of it into another preopen, all EPERM; and the guest may make symbolic
// links there only to targets without a ".." component.
//
// # Behaviour
//
// Where wazero's own WASI differs, this package does what Wasmtime does:
//
//   - fd_read, fd_write, fd_seek, fd_sync... on a directory: EBADF; fd_seek
//     and fd_pread/fd_pwrite on stdio: ESPIPE.
//   - fd_fdstat_get reports the rights a descriptor really has (no FD_WRITE
//     on a file opened read-only); fd_fdstat_set_rights is accepted and
//     ignored on files and directories, EBADF on stdio.
//   - path_open with O_TRUNC but without write access: EINVAL.
//   - fd_pwrite on an append-mode descriptor appends (Linux semantics) and
//     leaves the position alone.
//   - path_readlink into a short buffer truncates and returns the count.
//   - path_link with SYMLINK_FOLLOW: EINVAL; path_unlink_file on a directory:
//     EISDIR on every platform.
//   - fd_renumber may target a number that is not open; renumbering onto or
//     closing a preopen removes it. Numbers are reused highest-first.
//   - The CPU-time clocks are not provided (EBADF).
//   - sock_* on a descriptor that is not a socket: ENOTSOCK (there are no
//     sockets).
//   - poll_oneoff: stdout, stderr and files are always ready; stdin is ready
//     when input (or its end) is there; clocks fire at their deadline.
//
// Stdio streams: fd_read on stdin returns as soon as any input is there,
// and a guest waiting for input (in fd_read or poll_oneoff) is stopped when
// its context ends.
package wasip1
