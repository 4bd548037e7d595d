// Package wasip2 implements WASI 0.2 (the preview 2 interfaces of the
// Component Model) as Go host functions on a component/linker.Linker:
// wasi:cli, wasi:io, wasi:clocks, wasi:random, wasi:filesystem and
// wasi:sockets, at version 0.2.4 (the linker matches imports of any
// compatible 0.2.x version, such as the 0.2.12 of jco's preview1 adapter).
//
//	l := linker.New()
//	wasip2.Define(l)
//	inst, err := l.Instantiate(ctx, c, engine.InstanceConfig{Args: args, Stdout: os.Stdout, Preopens: dirs})
//
// Each component instance gets a State, made by a hook from its
// engine.InstanceConfig (arguments, environment, stdio, preopens) and closed
// with it. The State is plain Go: its methods implement the interfaces on
// Go values, and the binding files (bind*.go) only map WIT names and
// canonical.Value arguments and results to them. A host resource
// (descriptor, stream, pollable, error...) crosses as its number in the
// State's table.
//
// # Sandbox
//
// The rules are wasip1's (see its documentation), with WASI 0.2's error
// codes: every preopen and every directory opened under it is an os.Root,
// so ".." components, absolute paths and symbolic links that would leave
// the directory fail with not-permitted; operations os.Root lacks act on
// the last path component of a parent opened through it, with the *at
// system calls. The guest cannot create symbolic links to absolute paths
// (not-permitted), and readlink-at of a host-made absolute link is
// not-permitted, as the specification says.
//
// A read-only preopen's descriptor lacks mutate-directory, and so does
// every directory opened under it or opened without asking for it: as the
// specification says of that flag, anything that would change the
// directory (create, write, truncate, mkdir, unlink, rename, links,
// times) or open a handle that could (write, mutate-directory) fails with
// read-only. A file opened for reading only refuses write, set-size and
// write streams with bad-descriptor, and set-times with not-permitted
// (Wasmtime's codes). Private preopens (engine.Preopen.Private) add
// wasip1's rules: no hard links to or from them, no opening (or setting
// times) of a regular file with more than one link, nothing renamed out of
// them, no guest-made symbolic link with "..": all not-permitted.
//
// # Streams and blocking
//
// stdout, stderr and file streams never block: check-write permits 1 MiB,
// flush does nothing, subscribe is always ready, and writing more than
// check-write permitted is accepted (write-zeroes past it traps, so that a
// guest's length never sizes an allocation). Reads return at most 1 MiB.
// Reading stdin is one background Read at a time: read returns what input
// is there (maybe nothing), blocking-read waits for some, and its pollable
// is ready when input or its end is there. A blocked call (blocking-read,
// poll, block, blocking-skip and blocking-splice on stdin) stops when the
// call's context ends, with the context's error, which the linker turns
// into a timeout or cancellation of the guest's call. The end of input is
// stream-error closed; a failed operation is last-operation-failed with an
// error whose filesystem-error-code is the file error's code (none for
// stdio).
//
// # What is not there
//
//   - wasi:sockets: every interface and function is defined, so that
//     components importing them instantiate, but sockets are a capability
//     granted later: create-tcp-socket, create-udp-socket and
//     resolve-addresses fail with access-denied, so no socket exists (socket
//     methods answer access-denied too, or trap when their result has no
//     error case). instance-network gives a network handle.
//   - wasi:cli: initial-cwd is none; the host is no terminal (every
//     get-terminal-* is none). exit(ok) is exit status 0, exit(err) status 1;
//     the unstable exit-with-code gives its status.
//   - wasi:filesystem: advise only checks its arguments;
//     requested-write-sync is recorded, not applied (file-integrity-sync and
//     data-integrity-sync open the file O_SYNC and O_DSYNC); sync-data is
//     sync. Appending (append-via-stream) writes at the size the file has at
//     each write: atomic against the instance's own writes, not against
//     another process's. On platforms other than Linux and macOS the
//     directory-relative operations (mkdir, unlink, rename, links, readlink,
//     set-times) are unsupported.
//   - wasi:clocks/timezone (unstable) is not defined.
package wasip2
