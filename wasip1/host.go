package wasip1

import (
	"context"
	"crypto/rand"
	"errors"
	"runtime"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
)

// ModuleName is the import module name of WASI preview 1.
const ModuleName = "wasi_snapshot_preview1"

// Preview0ModuleName is the import module name of WASI's preview 0
// ("wasi_unstable"), the snapshot before preview 1. This package does not
// implement it; it is named here so that tools recognising WASI imports
// (inspect, the Extism ABI's runtime initialisation) share one spelling.
const Preview0ModuleName = "wasi_unstable"

// HostModule defines the wasi_snapshot_preview1 functions. Lookup returns
// the State of the instance calling; a nil State makes every function fail
// with EBADF or ENOSYS (never a panic).
type HostModule struct {
	Lookup func(ctx context.Context, mod api.Module) *State
}

// ModuleName returns "wasi_snapshot_preview1".
func (HostModule) ModuleName() string { return ModuleName }

const (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

// hostFunc is one function: it reads its parameters from stack and returns
// an errno.
type hostFunc func(s *State, ctx context.Context, mem api.Memory, stack []uint64) Errno

type fnDef struct {
	name   string
	params []api.ValueType
	f      hostFunc
}

func p(ts ...api.ValueType) []api.ValueType { return ts }

var functions = []fnDef{
	{"args_get", p(i32, i32), argsGet},
	{"args_sizes_get", p(i32, i32), argsSizesGet},
	{"environ_get", p(i32, i32), environGet},
	{"environ_sizes_get", p(i32, i32), environSizesGet},
	{"clock_res_get", p(i32, i32), clockResGet},
	{"clock_time_get", p(i32, i64, i32), clockTimeGet},
	{"fd_advise", p(i32, i64, i64, i32), fdAdvise},
	{"fd_allocate", p(i32, i64, i64), fdAllocate},
	{"fd_close", p(i32), fdClose},
	{"fd_datasync", p(i32), fdDatasync},
	{"fd_fdstat_get", p(i32, i32), fdFdstatGet},
	{"fd_fdstat_set_flags", p(i32, i32), fdFdstatSetFlags},
	{"fd_fdstat_set_rights", p(i32, i64, i64), fdFdstatSetRights},
	{"fd_filestat_get", p(i32, i32), fdFilestatGet},
	{"fd_filestat_set_size", p(i32, i64), fdFilestatSetSize},
	{"fd_filestat_set_times", p(i32, i64, i64, i32), fdFilestatSetTimes},
	{"fd_pread", p(i32, i32, i32, i64, i32), fdPread},
	{"fd_prestat_get", p(i32, i32), fdPrestatGet},
	{"fd_prestat_dir_name", p(i32, i32, i32), fdPrestatDirName},
	{"fd_pwrite", p(i32, i32, i32, i64, i32), fdPwrite},
	{"fd_read", p(i32, i32, i32, i32), fdRead},
	{"fd_readdir", p(i32, i32, i32, i64, i32), fdReaddir},
	{"fd_renumber", p(i32, i32), fdRenumber},
	{"fd_seek", p(i32, i64, i32, i32), fdSeek},
	{"fd_sync", p(i32), fdSync},
	{"fd_tell", p(i32, i32), fdTell},
	{"fd_write", p(i32, i32, i32, i32), fdWrite},
	{"path_create_directory", p(i32, i32, i32), pathCreateDirectory},
	{"path_filestat_get", p(i32, i32, i32, i32, i32), pathFilestatGet},
	{"path_filestat_set_times", p(i32, i32, i32, i32, i64, i64, i32), pathFilestatSetTimes},
	{"path_link", p(i32, i32, i32, i32, i32, i32, i32), pathLink},
	{"path_open", p(i32, i32, i32, i32, i32, i64, i64, i32, i32), pathOpen},
	{"path_readlink", p(i32, i32, i32, i32, i32, i32), pathReadlink},
	{"path_remove_directory", p(i32, i32, i32), pathRemoveDirectory},
	{"path_rename", p(i32, i32, i32, i32, i32, i32), pathRename},
	{"path_symlink", p(i32, i32, i32, i32, i32), pathSymlink},
	{"path_unlink_file", p(i32, i32, i32), pathUnlinkFile},
	{"poll_oneoff", p(i32, i32, i32, i32), pollOneoff},
	{"proc_raise", p(i32), procRaise},
	{"sched_yield", p(), schedYield},
	{"random_get", p(i32, i32), randomGet},
	{"sock_accept", p(i32, i32, i32), sockAccept},
	{"sock_recv", p(i32, i32, i32, i32, i32, i32), sockRecv},
	{"sock_send", p(i32, i32, i32, i32, i32), sockSend},
	{"sock_shutdown", p(i32, i32), sockShutdown},
}

// Define adds every wasi_snapshot_preview1 function to b. Functions are
// stack-based Go functions (no reflection).
func (h HostModule) Define(b wazero.HostModuleBuilder) {
	for _, d := range functions {
		b.NewFunctionBuilder().
			WithGoModuleFunction(h.wrap(d.f), d.params, []api.ValueType{i32}).
			WithParameterNames(paramNames(len(d.params))...).
			Export(d.name)
	}
	b.NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(procExit), p(i32), nil).
		WithParameterNames("rval").
		Export("proc_exit")
}

// wrap makes a wazero function of f: it finds the caller's State (ENOSYS
// without one) and stores f's errno as the result.
func (h HostModule) wrap(f hostFunc) api.GoModuleFunc {
	lookup := h.Lookup
	return func(ctx context.Context, mod api.Module, stack []uint64) {
		var s *State
		if lookup != nil && mod != nil {
			s = lookup(ctx, mod)
		}
		if s == nil {
			stack[0] = uint64(ENOSYS)
			return
		}
		stack[0] = uint64(f(s, ctx, mod.Memory(), stack))
	}
}

func paramNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = "p" + itoa(uint64(i))
	}
	return names
}

// procExit ends the guest: the instance closes with the status and the call
// unwinds with sys.ExitError (the engine turns it into its exit error).
func procExit(ctx context.Context, mod api.Module, stack []uint64) {
	code := uint32(stack[0])
	_ = mod.CloseWithExitCode(ctx, code)
	panic(sys.NewExitError(code))
}

// stopGuest unwinds the guest after ctx ended while a host function waited
// (for input, for a clock), with the exit codes wazero itself uses for a
// context that is done: the engine reports a timeout or a cancellation.
func stopGuest(ctx context.Context) {
	code := sys.ExitCodeContextCanceled
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		code = sys.ExitCodeDeadlineExceeded
	}
	panic(sys.NewExitError(code))
}

// --- memory helpers: out-of-bounds pointers give EFAULT ---

func u32(v uint64) uint32 { return uint32(v) }

func writeU32(mem api.Memory, off, v uint32) bool { return mem.WriteUint32Le(off, v) }
func writeU64(mem api.Memory, off uint32, v uint64) bool {
	return mem.WriteUint64Le(off, v)
}

// readString reads a path argument.
func readString(mem api.Memory, ptr, n uint32) (string, Errno) {
	b, ok := mem.Read(ptr, n)
	if !ok {
		return "", EFAULT
	}
	return string(b), ESUCCESS
}

// --- args, environ ---

func writeStrings(mem api.Memory, list []string, ptrs, buf uint32) Errno {
	for _, a := range list {
		if !writeU32(mem, ptrs, buf) {
			return EFAULT
		}
		ptrs += 4
		b, ok := mem.Read(buf, uint32(len(a))+1)
		if !ok {
			return EFAULT
		}
		copy(b, a)
		b[len(a)] = 0
		buf += uint32(len(a)) + 1
	}
	return ESUCCESS
}

func sizes(mem api.Memory, list []string, countPtr, sizePtr uint32) Errno {
	n := 0
	for _, a := range list {
		n += len(a) + 1
	}
	if !writeU32(mem, countPtr, uint32(len(list))) || !writeU32(mem, sizePtr, uint32(n)) {
		return EFAULT
	}
	return ESUCCESS
}

func argsGet(s *State, _ context.Context, mem api.Memory, st []uint64) Errno {
	return writeStrings(mem, s.args, u32(st[0]), u32(st[1]))
}

func argsSizesGet(s *State, _ context.Context, mem api.Memory, st []uint64) Errno {
	return sizes(mem, s.args, u32(st[0]), u32(st[1]))
}

func environGet(s *State, _ context.Context, mem api.Memory, st []uint64) Errno {
	return writeStrings(mem, s.env, u32(st[0]), u32(st[1]))
}

func environSizesGet(s *State, _ context.Context, mem api.Memory, st []uint64) Errno {
	return sizes(mem, s.env, u32(st[0]), u32(st[1]))
}

// --- clocks ---

// As Wasmtime: realtime and monotonic have a 1ns resolution; the process and
// thread CPU-time clocks are not provided (EBADF); other ids are EINVAL.
func clockResGet(_ *State, _ context.Context, mem api.Memory, st []uint64) Errno {
	switch u32(st[0]) {
	case clockRealtime, clockMonotonic:
		if !writeU64(mem, u32(st[1]), 1) {
			return EFAULT
		}
		return ESUCCESS
	case clockProcessCputime, clockThreadCputime:
		return EBADF
	}
	return EINVAL
}

func (s *State) monotonic() uint64 { return uint64(time.Since(s.epoch).Nanoseconds()) }

func clockTimeGet(s *State, _ context.Context, mem api.Memory, st []uint64) Errno {
	var t uint64
	switch u32(st[0]) {
	case clockRealtime:
		t = uint64(time.Now().UnixNano())
	case clockMonotonic:
		t = s.monotonic()
	case clockProcessCputime, clockThreadCputime:
		return EBADF
	default:
		return EINVAL
	}
	if !writeU64(mem, u32(st[2]), t) {
		return EFAULT
	}
	return ESUCCESS
}

// --- proc, sched, random ---

func procRaise(*State, context.Context, api.Memory, []uint64) Errno { return ENOTSUP }

func schedYield(*State, context.Context, api.Memory, []uint64) Errno {
	runtime.Gosched()
	return ESUCCESS
}

func randomGet(_ *State, _ context.Context, mem api.Memory, st []uint64) Errno {
	b, ok := mem.Read(u32(st[0]), u32(st[1]))
	if !ok {
		return EFAULT
	}
	if _, err := rand.Read(b); err != nil {
		return EIO
	}
	return ESUCCESS
}

// --- sockets: there are none. As Wasmtime: EBADF for a closed descriptor,
// ENOTSOCK for any other. ---

func notSock(s *State, fd uint32) Errno {
	if _, e := s.get(fd); e != ESUCCESS {
		return e
	}
	return ENOTSOCK
}

func sockAccept(s *State, _ context.Context, _ api.Memory, st []uint64) Errno {
	return notSock(s, u32(st[0]))
}
func sockRecv(s *State, _ context.Context, _ api.Memory, st []uint64) Errno {
	return notSock(s, u32(st[0]))
}
func sockSend(s *State, _ context.Context, _ api.Memory, st []uint64) Errno {
	return notSock(s, u32(st[0]))
}
func sockShutdown(s *State, _ context.Context, _ api.Memory, st []uint64) Errno {
	return notSock(s, u32(st[0]))
}
