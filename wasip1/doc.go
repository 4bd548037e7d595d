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
// Where wazero's own WASI differs, this package does what Wasmtime does (the
// tests run one C guest's checks on wasmhive, on wazero's WASI and on
// Wasmtime, and list where each differs):
//
//   - fd_read, fd_write, fd_seek, fd_sync... on a directory: EBADF; fd_seek
//     and fd_pread/fd_pwrite on stdio: ESPIPE.
//   - Rights (see Rights below): fd_fdstat_get reports what a descriptor
//     can do; fd_fdstat_set_rights is ENOTSUP on files and directories,
//     EBADF on stdio.
//   - path_open: O_CREAT and O_TRUNC open for writing whatever the rights
//     say (a read-only preopen still refuses them, EPERM).
//   - Append mode (FDFLAGS_APPEND at path_open, or fd_fdstat_set_flags) is a
//     real O_APPEND host descriptor: one fd_write is one atomic append,
//     whoever else writes the file. fd_pwrite on it appends too (Linux
//     semantics) and leaves the position alone.
//   - fd_renumber: both numbers must be open (EBADF otherwise: the
//     specification has no renumbering to an arbitrary number); renumbering
//     onto or closing a preopen removes it. Numbers are reused highest-first.
//   - path_readlink into a short buffer truncates and returns the count.
//   - path_link with SYMLINK_FOLLOW: EINVAL; path_unlink_file on a directory:
//     EISDIR on every platform.
//   - The CPU-time clocks are not provided (EBADF).
//   - sock_* on a descriptor that is not a socket: ENOTSOCK (there are no
//     sockets).
//   - poll_oneoff: stdout, stderr and files are always ready; stdin is ready
//     when input (or its end) is there; clocks fire at their deadline.
//
// One difference from Wasmtime, on purpose: path_open's SYNC, DSYNC and
// RSYNC fdflags open the host file with O_SYNC, O_DSYNC and O_RSYNC, and
// fd_fdstat_get reports them as given (Wasmtime refuses them, ENOTSUP;
// macOS, without O_RSYNC, refuses RSYNC). fd_fdstat_set_flags cannot change
// them (EINVAL, as Wasmtime).
//
// # Rights
//
// WASI preview 1 rights are reported, not enforced, as Wasmtime does: the
// access mode is what a descriptor can do. path_open reads FD_READ and
// FD_WRITE of the base rights to choose it and ignores the rest (and the
// inheriting rights); fd_fdstat_get reports every right except those the
// descriptor cannot use (FD_READ and FD_READDIR without read access,
// FD_WRITE without write access; on a directory also FD_SEEK and the
// set-size rights; on a preopen Wasmtime's fixed set); and rights cannot
// be dropped: fd_fdstat_set_rights answers ENOTSUP, so a guest is never told
// a right is gone while the descriptor can still use it. The sandbox rests
// on os.Root, read-only and private preopens instead. RATIONALE.md says
// why (no guest relies on rights; preview 2 dropped them).
//
// Stdio streams: fd_read on stdin returns as soon as any input is there,
// and a guest waiting for input (in fd_read or poll_oneoff) is stopped when
// its context ends.
package wasip1
