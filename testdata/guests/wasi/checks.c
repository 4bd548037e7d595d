// checks: exercises wasmhive's WASI preview 1 through raw wasi_snapshot_preview1
// calls and prints "ok <name>" or "FAIL <name>: <why>" for each check. The Go
// test (wasip1/guest_test.go) prepares the preopens and asserts every line.
//
// Preopens (in order): fd 3 "/sandbox" (read-write), fd 4 "/ro" (read-only),
// fd 5 "/extra" (read-write, used to test closing and overwriting a preopen).
// /sandbox holds data.txt ("hello world\n"), sub/, and host-made symlinks
// "abs" (to an absolute host path outside), "up" (../secret.txt) and
// "inlink" (data.txt). /ro holds ro.txt ("read only\n").
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

#define SANDBOX 3
#define RO 4
#define EXTRA 5

// proc_raise is no longer declared by wasi-libc; import it directly.
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise"))) int32_t raw_proc_raise(int32_t sig);

static int failures;

static void ok(const char *name) { printf("ok %s\n", name); }
static void fail(const char *name, const char *why, int e) {
  printf("FAIL %s: %s (errno %d)\n", name, why, e);
  failures++;
}
#define CHECK(name, cond, why, e) do { if (!(cond)) { fail(name, why, (int)(e)); return; } } while (0)

static const __wasi_rights_t R = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL |
                                 __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_READDIR;
static const __wasi_rights_t W = __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE |
                                 __WASI_RIGHTS_FD_FILESTAT_SET_TIMES;

static __wasi_errno_t open_at(__wasi_fd_t dir, __wasi_lookupflags_t lf, const char *path, __wasi_oflags_t of,
                              __wasi_rights_t rights, __wasi_fdflags_t ff, __wasi_fd_t *fd) {
  return __wasi_path_open(dir, lf, path, of, rights, rights, ff, fd);
}

static __wasi_errno_t write_str(__wasi_fd_t fd, const char *s, __wasi_size_t *n) {
  __wasi_ciovec_t iov = {(const uint8_t *)s, strlen(s)};
  return __wasi_fd_write(fd, &iov, 1, n);
}

static __wasi_errno_t read_buf(__wasi_fd_t fd, char *buf, size_t len, __wasi_size_t *n) {
  __wasi_iovec_t iov = {(uint8_t *)buf, len};
  return __wasi_fd_read(fd, &iov, 1, n);
}

static void put_file(const char *path, const char *content) {
  __wasi_fd_t fd;
  __wasi_size_t n;
  if (open_at(SANDBOX, 0, path, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, R | W, 0, &fd) == 0) {
    write_str(fd, content, &n);
    __wasi_fd_close(fd);
  }
}

static void check_args(int argc, char **argv) {
  CHECK("args", argc == 3 && strcmp(argv[1], "alpha") == 0 && strcmp(argv[2], "beta gamma") == 0, "argv", argc);
  ok("args");
}

static void check_environ(void) {
  const char *v = getenv("WASI_TEST");
  CHECK("environ", v && strcmp(v, "yes=really") == 0, "WASI_TEST", 0);
  ok("environ");
}

static void check_clocks(void) {
  __wasi_timestamp_t t1, t2, res;
  __wasi_errno_t e = __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &t1);
  CHECK("clock_realtime", e == 0 && t1 > 1600000000ull * 1000000000ull, "realtime", e);
  ok("clock_realtime");
  e = __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t1);
  CHECK("clock_monotonic", e == 0, "monotonic", e);
  e = __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t2);
  CHECK("clock_monotonic", e == 0 && t2 >= t1, "not monotonic", e);
  e = __wasi_clock_res_get(__WASI_CLOCKID_MONOTONIC, &res);
  CHECK("clock_monotonic", e == 0 && res > 0 && res <= 1000000, "resolution", e);
  ok("clock_monotonic");
  // Wasmtime provides no CPU-time clocks: EBADF.
  e = __wasi_clock_time_get(__WASI_CLOCKID_PROCESS_CPUTIME_ID, 1, &t1);
  CHECK("clock_cputime", e == __WASI_ERRNO_BADF, "process cputime", e);
  e = __wasi_clock_res_get(__WASI_CLOCKID_THREAD_CPUTIME_ID, &res);
  CHECK("clock_cputime", e == __WASI_ERRNO_BADF, "thread cputime res", e);
  // An unknown clock is EINVAL (Wasmtime traps instead: skipped there).
  if (!getenv("CHECKS_NO_TRAPS")) {
    e = __wasi_clock_time_get(9, 1, &t1);
    CHECK("clock_cputime", e == __WASI_ERRNO_INVAL, "unknown clock", e);
  }
  ok("clock_cputime");
}

static void check_random(void) {
  uint8_t a[32] = {0}, b[32] = {0};
  __wasi_errno_t e = __wasi_random_get(a, sizeof a);
  CHECK("random", e == 0, "random_get", e);
  e = __wasi_random_get(b, sizeof b);
  CHECK("random", e == 0 && memcmp(a, b, sizeof a) != 0, "same bytes twice", e);
  ok("random");
}

static void check_prestat(void) {
  __wasi_prestat_t ps;
  char name[32] = {0};
  __wasi_errno_t e = __wasi_fd_prestat_get(SANDBOX, &ps);
  CHECK("prestat", e == 0 && ps.tag == __WASI_PREOPENTYPE_DIR && ps.u.dir.pr_name_len == 8, "prestat_get", e);
  e = __wasi_fd_prestat_dir_name(SANDBOX, (uint8_t *)name, sizeof name);
  CHECK("prestat", e == 0 && strcmp(name, "/sandbox") == 0, name, e);
  e = __wasi_fd_prestat_dir_name(SANDBOX, (uint8_t *)name, 3);
  CHECK("prestat", e == __WASI_ERRNO_NAMETOOLONG, "short buffer", e);
  e = __wasi_fd_prestat_get(1, &ps);
  CHECK("prestat", e == __WASI_ERRNO_BADF, "stdout is no preopen", e);
  ok("prestat");
}

static void check_read_file(void) {
  __wasi_fd_t fd;
  char buf[64] = {0};
  __wasi_size_t n;
  __wasi_errno_t e = open_at(SANDBOX, 0, "data.txt", 0, R, 0, &fd);
  CHECK("read_file", e == 0, "open", e);
  e = read_buf(fd, buf, sizeof buf, &n);
  CHECK("read_file", e == 0 && n == 12 && memcmp(buf, "hello world\n", 12) == 0, "content", e);
  e = read_buf(fd, buf, sizeof buf, &n);
  CHECK("read_file", e == 0 && n == 0, "EOF", e);
  __wasi_fd_close(fd);
  ok("read_file");
}

static void check_rights(void) {
  __wasi_fd_t fd;
  __wasi_size_t n;
  __wasi_fdstat_t st;
  __wasi_errno_t e = open_at(SANDBOX, 0, "data.txt", 0, R, 0, &fd);
  CHECK("write_readonly_fd", e == 0, "open", e);
  e = write_str(fd, "x", &n);
  CHECK("write_readonly_fd", e == __WASI_ERRNO_BADF, "write on read-only fd", e);
  e = __wasi_fd_fdstat_get(fd, &st);
  CHECK("write_readonly_fd", e == 0 && (st.fs_rights_base & __WASI_RIGHTS_FD_WRITE) == 0 &&
                                 (st.fs_rights_base & __WASI_RIGHTS_FD_READ) != 0 && st.fs_filetype == __WASI_FILETYPE_REGULAR_FILE,
        "fdstat rights", e);
  ok("write_readonly_fd");
  // Rights are not supported (Wasmtime): fd_fdstat_set_rights is ENOTSUP on
  // files and directories, EBADF on stdio and closed descriptors, and the
  // descriptor keeps the rights it reports.
  e = __wasi_fd_fdstat_set_rights(fd, __WASI_RIGHTS_FD_READ, 0);
  CHECK("fdstat_set_rights", e == __WASI_ERRNO_NOTSUP, "on a file", e);
  e = __wasi_fd_fdstat_set_rights(fd, st.fs_rights_base, st.fs_rights_inheriting);
  CHECK("fdstat_set_rights", e == __WASI_ERRNO_NOTSUP, "on a file, same rights", e);
  __wasi_fdstat_t st2;
  e = __wasi_fd_fdstat_get(fd, &st2);
  CHECK("fdstat_set_rights", e == 0 && st2.fs_rights_base == st.fs_rights_base && st2.fs_rights_inheriting == st.fs_rights_inheriting,
        "rights changed", e);
  e = __wasi_fd_fdstat_set_rights(SANDBOX, 0, 0);
  CHECK("fdstat_set_rights", e == __WASI_ERRNO_NOTSUP, "on a directory", e);
  __wasi_fd_t sub, inner;
  e = open_at(SANDBOX, 0, "sub", __WASI_OFLAGS_DIRECTORY, R, 0, &sub);
  CHECK("fdstat_set_rights", e == 0, "open sub", e);
  e = __wasi_fd_fdstat_set_rights(sub, 0, 0);
  CHECK("fdstat_set_rights", e == __WASI_ERRNO_NOTSUP, "on a subdirectory", e);
  e = open_at(sub, 0, ".", __WASI_OFLAGS_DIRECTORY, R, 0, &inner);
  CHECK("fdstat_set_rights", e == 0, "open through sub after set_rights", e);
  __wasi_fd_close(inner);
  __wasi_fd_close(sub);
  e = __wasi_fd_fdstat_set_rights(1, __WASI_RIGHTS_FD_WRITE, 0);
  CHECK("fdstat_set_rights", e == __WASI_ERRNO_BADF, "on stdout", e);
  __wasi_fd_close(fd);
  e = __wasi_fd_fdstat_set_rights(fd, 0, 0);
  CHECK("fdstat_set_rights", e == __WASI_ERRNO_BADF, "on a closed fd", e);
  ok("fdstat_set_rights");
  // O_TRUNC opens for writing whatever the rights say, as O_CREAT does
  // (Wasmtime): the file is truncated and the descriptor can write.
  put_file("trunc.txt", "0123456789");
  e = open_at(SANDBOX, 0, "trunc.txt", __WASI_OFLAGS_TRUNC, R, 0, &fd);
  CHECK("trunc_opens_write", e == 0, "O_TRUNC with FD_READ only", e);
  __wasi_filestat_t fs;
  e = __wasi_fd_filestat_get(fd, &fs);
  CHECK("trunc_opens_write", e == 0 && fs.size == 0, "not truncated", fs.size);
  e = __wasi_fd_fdstat_get(fd, &st);
  CHECK("trunc_opens_write", e == 0 && (st.fs_rights_base & __WASI_RIGHTS_FD_WRITE) && (st.fs_rights_base & __WASI_RIGHTS_FD_READ),
        "rights after O_TRUNC", e);
  e = write_str(fd, "ab", &n);
  CHECK("trunc_opens_write", e == 0 && n == 2, "write after O_TRUNC", e);
  __wasi_fd_close(fd);
  e = open_at(SANDBOX, 0, "trunc.txt", __WASI_OFLAGS_TRUNC, 0, 0, &fd);
  CHECK("trunc_opens_write", e == 0, "O_TRUNC with no rights", e);
  e = __wasi_fd_filestat_get(fd, &fs);
  CHECK("trunc_opens_write", e == 0 && fs.size == 0, "not truncated (no rights)", fs.size);
  __wasi_fd_close(fd);
  e = open_at(SANDBOX, 0, "trunc.txt", __WASI_OFLAGS_CREAT, 0, 0, &fd);
  CHECK("trunc_opens_write", e == 0, "O_CREAT with no rights", e);
  e = write_str(fd, "cd", &n);
  CHECK("trunc_opens_write", e == 0 && n == 2, "write after O_CREAT", e);
  __wasi_fd_close(fd);
  e = open_at(SANDBOX, 0, "trunc.txt", 0, 0, 0, &fd);
  CHECK("trunc_opens_write", e == 0, "open with no rights", e);
  e = write_str(fd, "x", &n);
  CHECK("trunc_opens_write", e == __WASI_ERRNO_BADF, "write without FD_WRITE", e);
  __wasi_fd_close(fd);
  ok("trunc_opens_write");
}

// The sync fdflags of path_open: the host file is opened with O_SYNC,
// O_DSYNC or O_RSYNC, and fd_fdstat_get reports exactly what was given.
// fd_fdstat_set_flags cannot change them (EINVAL).
static void check_sync_flags(void) {
  static const __wasi_fdflags_t flags[] = {__WASI_FDFLAGS_SYNC, __WASI_FDFLAGS_DSYNC, __WASI_FDFLAGS_RSYNC,
                                           __WASI_FDFLAGS_SYNC | __WASI_FDFLAGS_DSYNC | __WASI_FDFLAGS_APPEND};
  for (unsigned i = 0; i < sizeof flags / sizeof flags[0]; i++) {
    __wasi_fd_t fd;
    __wasi_size_t n;
    __wasi_fdstat_t st;
    __wasi_errno_t e = open_at(SANDBOX, 0, "sync.txt", __WASI_OFLAGS_CREAT, R | W, flags[i], &fd);
    CHECK("sync_flags", e == 0, "open", e);
    e = __wasi_fd_fdstat_get(fd, &st);
    CHECK("sync_flags", e == 0 && st.fs_flags == flags[i], "fdstat flags", st.fs_flags);
    e = write_str(fd, "s", &n);
    CHECK("sync_flags", e == 0 && n == 1, "write", e);
    e = __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_SYNC);
    CHECK("sync_flags", e == __WASI_ERRNO_INVAL, "set_flags SYNC", e);
    __wasi_fd_close(fd);
  }
  ok("sync_flags");
}

static void check_seek(void) {
  __wasi_fd_t fd;
  __wasi_filesize_t pos;
  char buf[16] = {0};
  __wasi_size_t n;
  __wasi_errno_t e = open_at(SANDBOX, 0, "data.txt", 0, R, 0, &fd);
  CHECK("seek_tell", e == 0, "open", e);
  e = __wasi_fd_seek(fd, 6, __WASI_WHENCE_SET, &pos);
  CHECK("seek_tell", e == 0 && pos == 6, "seek set", e);
  e = __wasi_fd_tell(fd, &pos);
  CHECK("seek_tell", e == 0 && pos == 6, "tell", e);
  e = read_buf(fd, buf, 5, &n);
  CHECK("seek_tell", e == 0 && n == 5 && memcmp(buf, "world", 5) == 0, "read after seek", e);
  e = __wasi_fd_seek(fd, -2, __WASI_WHENCE_END, &pos);
  CHECK("seek_tell", e == 0 && pos == 10, "seek end", e);
  e = __wasi_fd_seek(fd, -100, __WASI_WHENCE_CUR, &pos);
  CHECK("seek_tell", e == __WASI_ERRNO_INVAL, "seek before start", e);
  e = __wasi_fd_seek(1, 0, __WASI_WHENCE_CUR, &pos);
  CHECK("seek_tell", e == __WASI_ERRNO_SPIPE, "seek on stdout", e);
  e = __wasi_fd_seek(SANDBOX, 0, __WASI_WHENCE_CUR, &pos);
  CHECK("seek_tell", e == __WASI_ERRNO_BADF, "seek on a directory", e);
  __wasi_fd_close(fd);
  ok("seek_tell");
}

static void check_filestat(void) {
  __wasi_fd_t fd;
  __wasi_filestat_t st;
  put_file("stat.txt", "0123456789");
  __wasi_errno_t e = open_at(SANDBOX, 0, "stat.txt", 0, R | W, 0, &fd);
  CHECK("filestat", e == 0, "open", e);
  e = __wasi_fd_filestat_get(fd, &st);
  CHECK("filestat", e == 0 && st.size == 10 && st.filetype == __WASI_FILETYPE_REGULAR_FILE && st.nlink == 1 && st.ino != 0,
        "fd_filestat_get", e);
  e = __wasi_fd_filestat_set_size(fd, 4);
  CHECK("filestat", e == 0, "set_size", e);
  e = __wasi_fd_filestat_get(fd, &st);
  CHECK("filestat", e == 0 && st.size == 4, "size after set_size", e);
  e = __wasi_fd_filestat_set_times(fd, 1000000000ull, 2000000000ull, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM);
  CHECK("filestat", e == 0, "set_times", e);
  e = __wasi_fd_filestat_get(fd, &st);
  CHECK("filestat", e == 0 && st.atim == 1000000000ull && st.mtim == 2000000000ull, "times after set_times", e);
  e = __wasi_fd_filestat_set_times(fd, 1, 1, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW);
  CHECK("filestat", e == __WASI_ERRNO_INVAL, "ATIM with ATIM_NOW", e);
  e = __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW);
  CHECK("filestat", e == 0, "MTIM_NOW", e);
  e = __wasi_fd_filestat_get(fd, &st);
  CHECK("filestat", e == 0 && st.atim == 1000000000ull && st.mtim > 2000000000ull, "MTIM_NOW kept atim", e);
  __wasi_fd_close(fd);
  e = __wasi_fd_filestat_get(1, &st);
  CHECK("filestat", e == 0 && st.size == 0, "stdout", e);
  ok("filestat");
}

static void check_append(void) {
  __wasi_fd_t fd;
  __wasi_size_t n;
  __wasi_filesize_t pos;
  __wasi_filestat_t st;
  __wasi_errno_t e = open_at(SANDBOX, 0, "append.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, R | W,
                             __WASI_FDFLAGS_APPEND, &fd);
  CHECK("pwrite_append", e == 0, "open", e);
  write_str(fd, "ab", &n);
  e = __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos);
  write_str(fd, "cd", &n);
  e = __wasi_fd_tell(fd, &pos);
  CHECK("pwrite_append", e == 0 && pos == 4, "append moved position to the end", pos);
  __wasi_ciovec_t iov = {(const uint8_t *)"XYZ", 3};
  e = __wasi_fd_pwrite(fd, &iov, 1, 0, &n);
  CHECK("pwrite_append", e == 0 && n == 3, "pwrite", e);
  e = __wasi_fd_tell(fd, &pos);
  CHECK("pwrite_append", e == 0 && pos == 4, "pwrite moved the position", pos);
  e = __wasi_fd_filestat_get(fd, &st);
  // Linux (and Wasmtime) semantics: pwrite on an append-mode file appends.
  CHECK("pwrite_append", e == 0 && st.size == 7, "pwrite did not append", st.size);
  __wasi_fdstat_t fst;
  e = __wasi_fd_fdstat_get(fd, &fst);
  CHECK("pwrite_append", e == 0 && (fst.fs_flags & __WASI_FDFLAGS_APPEND), "fdstat APPEND", e);
  __wasi_fd_close(fd);
  char buf[16] = {0};
  open_at(SANDBOX, 0, "append.txt", 0, R, 0, &fd);
  read_buf(fd, buf, sizeof buf, &n);
  __wasi_fd_close(fd);
  CHECK("pwrite_append", n == 7 && memcmp(buf, "abcdXYZ", 7) == 0, buf, n);
  ok("pwrite_append");
}

// fd_fdstat_set_flags switches append mode on and off on an open file.
static void check_append_toggle(void) {
  __wasi_fd_t fd;
  __wasi_size_t n;
  __wasi_filesize_t pos;
  __wasi_fdstat_t fst;
  put_file("toggle.txt", "0123456789");
  __wasi_errno_t e = open_at(SANDBOX, 0, "toggle.txt", 0, R | W, 0, &fd);
  CHECK("append_toggle", e == 0, "open", e);
  e = __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND);
  CHECK("append_toggle", e == 0, "set APPEND", e);
  e = __wasi_fd_fdstat_get(fd, &fst);
  CHECK("append_toggle", e == 0 && fst.fs_flags == __WASI_FDFLAGS_APPEND, "fdstat APPEND", fst.fs_flags);
  write_str(fd, "ab", &n);
  e = __wasi_fd_tell(fd, &pos);
  CHECK("append_toggle", e == 0 && pos == 12, "position after append", pos);
  __wasi_ciovec_t iov = {(const uint8_t *)"P", 1};
  e = __wasi_fd_pwrite(fd, &iov, 1, 0, &n);
  CHECK("append_toggle", e == 0 && n == 1, "pwrite in append mode", e);
  e = __wasi_fd_fdstat_set_flags(fd, 0);
  CHECK("append_toggle", e == 0, "clear APPEND", e);
  e = __wasi_fd_fdstat_get(fd, &fst);
  CHECK("append_toggle", e == 0 && fst.fs_flags == 0, "fdstat after clear", fst.fs_flags);
  __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos);
  write_str(fd, "XY", &n);
  e = __wasi_fd_pwrite(fd, &iov, 1, 5, &n);
  CHECK("append_toggle", e == 0 && n == 1, "pwrite after clear", e);
  e = __wasi_fd_tell(fd, &pos);
  CHECK("append_toggle", e == 0 && pos == 2, "position after clear", pos);
  __wasi_fd_close(fd);
  char buf[32] = {0};
  open_at(SANDBOX, 0, "toggle.txt", 0, R, 0, &fd);
  read_buf(fd, buf, sizeof buf, &n);
  __wasi_fd_close(fd);
  CHECK("append_toggle", n == 13 && memcmp(buf, "XY234P6789abP", 13) == 0, buf, n);
  ok("append_toggle");
}

struct ent {
  char name[32];
  __wasi_dircookie_t next;
  __wasi_filetype_t type;
};

// list reads a directory in chunks of bufsize bytes, following cookies.
static int list(__wasi_fd_t fd, size_t bufsize, struct ent *out, int max) {
  uint8_t buf[1024];
  __wasi_dircookie_t cookie = 0;
  int count = 0;
  for (;;) {
    __wasi_size_t used;
    if (__wasi_fd_readdir(fd, buf, bufsize, cookie, &used) != 0) return -1;
    size_t off = 0;
    int progressed = 0;
    while (off + sizeof(__wasi_dirent_t) <= used) {
      __wasi_dirent_t d;
      memcpy(&d, buf + off, sizeof d);
      if (off + sizeof d + d.d_namlen > used) break; // truncated entry: read again from its cookie
      if (count < max) {
        memcpy(out[count].name, buf + off + sizeof d, d.d_namlen < 31 ? d.d_namlen : 31);
        out[count].name[d.d_namlen < 31 ? d.d_namlen : 31] = 0;
        out[count].next = d.d_next;
        out[count].type = d.d_type;
      }
      count++;
      cookie = d.d_next;
      progressed = 1;
      off += sizeof d + d.d_namlen;
    }
    if (used < bufsize) return count;
    if (!progressed) return -2;
  }
}

static void check_readdir(void) {
  __wasi_fd_t dir;
  __wasi_errno_t e = __wasi_path_create_directory(SANDBOX, "rd");
  CHECK("readdir", e == 0, "mkdir", e);
  __wasi_fd_t fd;
  open_at(SANDBOX, 0, "rd/aaa", __WASI_OFLAGS_CREAT, R | W, 0, &fd);
  __wasi_fd_close(fd);
  open_at(SANDBOX, 0, "rd/bbbbbbbbbbbb", __WASI_OFLAGS_CREAT, R | W, 0, &fd);
  __wasi_fd_close(fd);
  __wasi_path_create_directory(SANDBOX, "rd/cdir");
  e = open_at(SANDBOX, 0, "rd", __WASI_OFLAGS_DIRECTORY, R, 0, &dir);
  CHECK("readdir", e == 0, "open dir", e);
  struct ent ents[16];
  int n = list(dir, sizeof(uint8_t[1024]), ents, 16);
  CHECK("readdir", n == 5, "entry count (big buffer)", n);
  CHECK("readdir", strcmp(ents[0].name, ".") == 0 && ents[0].next == 1 && strcmp(ents[1].name, "..") == 0 && ents[1].next == 2,
        "dot entries first", 0);
  int seen = 0;
  for (int i = 0; i < n; i++) {
    if ((unsigned long long)ents[i].next != (unsigned long long)(i + 1)) { fail("readdir", "cookies not consecutive", i); return; }
    if (strcmp(ents[i].name, "aaa") == 0 && ents[i].type == __WASI_FILETYPE_REGULAR_FILE) seen |= 1;
    if (strcmp(ents[i].name, "bbbbbbbbbbbb") == 0) seen |= 2;
    if (strcmp(ents[i].name, "cdir") == 0 && ents[i].type == __WASI_FILETYPE_DIRECTORY) seen |= 4;
  }
  CHECK("readdir", seen == 7, "names and types", seen);
  // A buffer smaller than one entry is filled completely (truncated entry).
  uint8_t small[30];
  __wasi_size_t used;
  e = __wasi_fd_readdir(dir, small, sizeof small, 2, &used);
  CHECK("readdir", e == 0 && used == sizeof small, "small buffer filled", used);
  // Reading in 40-byte chunks, resuming at cookies, finds all entries.
  n = list(dir, 40, ents, 16);
  CHECK("readdir", n == 5, "entry count (small buffer)", n);
  // A cookie past the end gives nothing.
  e = __wasi_fd_readdir(dir, small, sizeof small, 99, &used);
  CHECK("readdir", e == 0 && used == 0, "cookie past end", used);
  e = __wasi_fd_readdir(1, small, sizeof small, 0, &used);
  CHECK("readdir", e == __WASI_ERRNO_BADF, "readdir on stdout", e);
  __wasi_fd_close(dir);
  ok("readdir");
}

static void check_mkdir_rename(void) {
  __wasi_errno_t e = __wasi_path_create_directory(SANDBOX, "mk");
  CHECK("mkdir_rmdir", e == 0, "mkdir", e);
  e = __wasi_path_create_directory(SANDBOX, "mk");
  CHECK("mkdir_rmdir", e == __WASI_ERRNO_EXIST, "mkdir twice", e);
  put_file("mk/f", "x");
  e = __wasi_path_remove_directory(SANDBOX, "mk");
  CHECK("mkdir_rmdir", e == __WASI_ERRNO_NOTEMPTY, "rmdir non-empty", e);
  e = __wasi_path_unlink_file(SANDBOX, "mk/f");
  CHECK("mkdir_rmdir", e == 0, "unlink", e);
  e = __wasi_path_remove_directory(SANDBOX, "mk");
  CHECK("mkdir_rmdir", e == 0, "rmdir", e);
  ok("mkdir_rmdir");

  put_file("r1.txt", "rename me");
  e = __wasi_path_rename(SANDBOX, "r1.txt", SANDBOX, "sub/r2.txt");
  CHECK("rename", e == 0, "rename file into sub", e);
  __wasi_filestat_t st;
  e = __wasi_path_filestat_get(SANDBOX, 0, "r1.txt", &st);
  CHECK("rename", e == __WASI_ERRNO_NOENT, "old name gone", e);
  __wasi_fd_t sub;
  e = open_at(SANDBOX, 0, "sub", __WASI_OFLAGS_DIRECTORY, R, 0, &sub);
  CHECK("rename", e == 0, "open sub", e);
  e = __wasi_path_rename(sub, "r2.txt", SANDBOX, "r3.txt");
  CHECK("rename", e == 0, "rename across directory fds", e);
  e = __wasi_path_filestat_get(SANDBOX, 0, "r3.txt", &st);
  CHECK("rename", e == 0 && st.size == 9, "new name", e);
  __wasi_path_create_directory(SANDBOX, "d1");
  e = __wasi_path_rename(SANDBOX, "d1", SANDBOX, "d2");
  CHECK("rename", e == 0, "rename dir", e);
  e = __wasi_path_rename(SANDBOX, "r3.txt", SANDBOX, "d2");
  CHECK("rename", e == __WASI_ERRNO_ISDIR, "file onto dir", e);
  __wasi_fd_close(sub);
  ok("rename");
}

static void check_symlinks(void) {
  __wasi_errno_t e = __wasi_path_symlink("data.txt", SANDBOX, "ln");
  CHECK("symlink_readlink", e == 0, "symlink", e);
  char buf[64] = {0};
  __wasi_size_t n;
  e = __wasi_path_readlink(SANDBOX, "ln", (uint8_t *)buf, sizeof buf, &n);
  CHECK("symlink_readlink", e == 0 && n == 8 && memcmp(buf, "data.txt", 8) == 0, "readlink", e);
  e = __wasi_path_readlink(SANDBOX, "data.txt", (uint8_t *)buf, sizeof buf, &n);
  CHECK("symlink_readlink", e == __WASI_ERRNO_INVAL, "readlink on a file", e);
  ok("symlink_readlink");

  // A buffer shorter than the link: Wasmtime truncates and returns the count.
  memset(buf, 0, sizeof buf);
  e = __wasi_path_readlink(SANDBOX, "ln", (uint8_t *)buf, 3, &n);
  CHECK("readlink_short_buffer", e == 0 && n == 3 && memcmp(buf, "dat", 3) == 0 && buf[3] == 0, "truncated readlink", e);
  ok("readlink_short_buffer");

  __wasi_filestat_t st, target;
  e = __wasi_path_filestat_get(SANDBOX, 0, "ln", &st);
  CHECK("filestat_symlink", e == 0 && st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK, "nofollow", st.filetype);
  e = __wasi_path_filestat_get(SANDBOX, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "ln", &st);
  CHECK("filestat_symlink", e == 0 && st.filetype == __WASI_FILETYPE_REGULAR_FILE && st.size == 12, "follow", st.filetype);
  ok("filestat_symlink");

  // set_times without SYMLINK_FOLLOW changes the link, with it the target.
  e = __wasi_path_filestat_get(SANDBOX, 0, "data.txt", &target);
  __wasi_timestamp_t before = target.mtim;
  e = __wasi_path_filestat_set_times(SANDBOX, 0, "ln", 0, 3000000000ull, __WASI_FSTFLAGS_MTIM);
  CHECK("set_times_symlink", e == 0, "nofollow set_times", e);
  e = __wasi_path_filestat_get(SANDBOX, 0, "ln", &st);
  CHECK("set_times_symlink", e == 0 && st.mtim == 3000000000ull, "link mtim", st.mtim);
  e = __wasi_path_filestat_get(SANDBOX, 0, "data.txt", &target);
  CHECK("set_times_symlink", e == 0 && target.mtim == before, "target changed without follow", e);
  e = __wasi_path_filestat_set_times(SANDBOX, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "ln", 0, 4000000000ull, __WASI_FSTFLAGS_MTIM);
  CHECK("set_times_symlink", e == 0, "follow set_times", e);
  e = __wasi_path_filestat_get(SANDBOX, 0, "data.txt", &target);
  CHECK("set_times_symlink", e == 0 && target.mtim == 4000000000ull, "target mtim", target.mtim);
  e = __wasi_path_filestat_get(SANDBOX, 0, "ln", &st);
  CHECK("set_times_symlink", e == 0 && st.mtim == 3000000000ull, "link changed with follow", st.mtim);
  ok("set_times_symlink");

  // Opening a symlink without SYMLINK_FOLLOW: ELOOP; with it: the target.
  __wasi_fd_t fd;
  e = open_at(SANDBOX, 0, "ln", 0, R, 0, &fd);
  CHECK("open_nofollow", e == __WASI_ERRNO_LOOP, "open link nofollow", e);
  e = open_at(SANDBOX, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "ln", 0, R, 0, &fd);
  CHECK("open_nofollow", e == 0, "open link follow", e);
  __wasi_fd_close(fd);
  ok("open_nofollow");

  // path_link: hard link (nlink 2); SYMLINK_FOLLOW is refused (EINVAL).
  put_file("hl.txt", "hard");
  e = __wasi_path_link(SANDBOX, 0, "hl.txt", SANDBOX, "hl2.txt");
  CHECK("path_link", e == 0, "link", e);
  e = __wasi_path_filestat_get(SANDBOX, 0, "hl2.txt", &st);
  CHECK("path_link", e == 0 && st.nlink == 2 && st.size == 4, "nlink", st.nlink);
  e = __wasi_path_link(SANDBOX, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "ln", SANDBOX, "hl3.txt");
  CHECK("path_link", e == __WASI_ERRNO_INVAL, "link with SYMLINK_FOLLOW", e);
  e = __wasi_path_filestat_get(SANDBOX, 0, "hl3.txt", &st);
  CHECK("path_link", e == __WASI_ERRNO_NOENT, "link created anyway", e);
  e = __wasi_path_link(SANDBOX, 0, "ln", SANDBOX, "hl4");
  CHECK("path_link", e == 0, "link to a symlink", e);
  e = __wasi_path_filestat_get(SANDBOX, 0, "hl4", &st);
  CHECK("path_link", e == 0 && st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK, "linked the symlink itself", st.filetype);
  e = __wasi_path_link(SANDBOX, 0, "hl.txt", SANDBOX, "hl2.txt");
  CHECK("path_link", e == __WASI_ERRNO_EXIST, "link onto existing", e);
  ok("path_link");
}

static void check_dir_errors(void) {
  __wasi_fd_t fd;
  __wasi_errno_t e;
  __wasi_path_create_directory(SANDBOX, "edir");
  e = __wasi_path_unlink_file(SANDBOX, "edir");
  CHECK("unlink_dir", e == __WASI_ERRNO_ISDIR, "unlink_file on a directory", e);
  ok("unlink_dir");
  e = __wasi_path_remove_directory(SANDBOX, "data.txt");
  CHECK("rmdir_file", e == __WASI_ERRNO_NOTDIR, "remove_directory on a file", e);
  ok("rmdir_file");
  e = open_at(SANDBOX, 0, "data.txt", __WASI_OFLAGS_DIRECTORY, R, 0, &fd);
  CHECK("open_directory_on_file", e == __WASI_ERRNO_NOTDIR, "O_DIRECTORY on a file", e);
  e = open_at(SANDBOX, 0, "newdir", __WASI_OFLAGS_DIRECTORY | __WASI_OFLAGS_CREAT, R | W, 0, &fd);
  CHECK("open_directory_on_file", e == __WASI_ERRNO_INVAL, "O_DIRECTORY with O_CREAT", e);
  __wasi_filestat_t st;
  e = __wasi_path_filestat_get(SANDBOX, 0, "newdir", &st);
  CHECK("open_directory_on_file", e == __WASI_ERRNO_NOENT, "O_DIRECTORY|O_CREAT created something", e);
  ok("open_directory_on_file");
  e = open_at(SANDBOX, 0, "edir", 0, R, 0, &fd);
  CHECK("fd_read_dir", e == 0, "open dir without O_DIRECTORY", e);
  char buf[8];
  __wasi_size_t n;
  e = read_buf(fd, buf, sizeof buf, &n);
  CHECK("fd_read_dir", e == __WASI_ERRNO_BADF, "fd_read on a directory (Wasmtime: EBADF)", e);
  e = write_str(fd, "x", &n);
  CHECK("fd_read_dir", e == __WASI_ERRNO_BADF, "fd_write on a directory", e);
  __wasi_fd_close(fd);
  e = open_at(SANDBOX, 0, "edir", 0, R | W, 0, &fd);
  CHECK("fd_read_dir", e == __WASI_ERRNO_ISDIR, "open dir for writing", e);
  ok("fd_read_dir");
  e = __wasi_path_unlink_file(SANDBOX, "data.txt/");
  CHECK("unlink_trailing_slash", e == __WASI_ERRNO_NOTDIR, "unlink file/", e);
  ok("unlink_trailing_slash");
  __wasi_fd_t file;
  open_at(SANDBOX, 0, "data.txt", 0, R, 0, &file);
  e = open_at(file, 0, "x", 0, R, 0, &fd);
  CHECK("path_on_file_fd", e == __WASI_ERRNO_NOTDIR, "path_open relative to a file", e);
  e = open_at(1, 0, "x", 0, R, 0, &fd);
  CHECK("path_on_file_fd", e == __WASI_ERRNO_BADF, "path_open relative to stdout", e);
  __wasi_fd_close(file);
  ok("path_on_file_fd");
}

static void check_escapes(void) {
  __wasi_fd_t fd;
  __wasi_errno_t e;
  e = open_at(SANDBOX, 0, "../secret.txt", 0, R, 0, &fd);
  CHECK("escape_dotdot", e == __WASI_ERRNO_PERM, "..", e);
  e = open_at(SANDBOX, 0, "sub/../../secret.txt", 0, R, 0, &fd);
  CHECK("escape_dotdot", e == __WASI_ERRNO_PERM, "sub/../..", e);
  e = open_at(SANDBOX, 0, "sub/../data.txt", 0, R, 0, &fd);
  CHECK("escape_dotdot", e == 0, ".. staying inside", e);
  __wasi_fd_close(fd);
  __wasi_filestat_t st;
  e = __wasi_path_filestat_get(SANDBOX, 0, "../secret.txt", &st);
  CHECK("escape_dotdot", e == __WASI_ERRNO_PERM, "stat ..", e);
  e = __wasi_path_create_directory(SANDBOX, "../evil");
  CHECK("escape_dotdot", e == __WASI_ERRNO_PERM, "mkdir ..", e);
  e = __wasi_path_rename(SANDBOX, "data.txt", SANDBOX, "../stolen.txt");
  CHECK("escape_dotdot", e == __WASI_ERRNO_PERM, "rename out", e);
  ok("escape_dotdot");
  e = open_at(SANDBOX, 0, "/etc/passwd", 0, R, 0, &fd);
  CHECK("escape_absolute", e == __WASI_ERRNO_PERM, "absolute path", e);
  ok("escape_absolute");
  e = open_at(SANDBOX, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "abs", 0, R, 0, &fd);
  CHECK("escape_host_symlink", e == __WASI_ERRNO_PERM, "host symlink to an absolute path", e);
  e = open_at(SANDBOX, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "up", 0, R, 0, &fd);
  CHECK("escape_host_symlink", e == __WASI_ERRNO_PERM, "host symlink to ../", e);
  e = __wasi_path_filestat_get(SANDBOX, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "up", &st);
  CHECK("escape_host_symlink", e == __WASI_ERRNO_PERM, "stat through host symlink", e);
  e = __wasi_path_filestat_set_times(SANDBOX, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "up", 0, 5, __WASI_FSTFLAGS_MTIM);
  CHECK("escape_host_symlink", e == __WASI_ERRNO_PERM, "set_times through host symlink", e);
  e = open_at(SANDBOX, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "inlink", 0, R, 0, &fd);
  CHECK("escape_host_symlink", e == 0, "host symlink inside", e);
  __wasi_fd_close(fd);
  ok("escape_host_symlink");
  e = __wasi_path_symlink("../secret.txt", SANDBOX, "gl");
  CHECK("escape_guest_symlink", e == 0, "create relative symlink", e);
  e = open_at(SANDBOX, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "gl", 0, R, 0, &fd);
  CHECK("escape_guest_symlink", e == __WASI_ERRNO_PERM, "follow guest symlink out", e);
  e = __wasi_path_symlink("/etc/passwd", SANDBOX, "gabs");
  CHECK("escape_guest_symlink", e == __WASI_ERRNO_PERM, "create absolute symlink", e);
  e = __wasi_path_symlink("../..", SANDBOX, "sub/gdir");
  e = open_at(SANDBOX, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "sub/gdir/secret.txt", 0, R, 0, &fd);
  CHECK("escape_guest_symlink", e == __WASI_ERRNO_PERM, "symlinked directory out", e);
  ok("escape_guest_symlink");
  // A directory fd is its own sandbox (cap-std semantics).
  __wasi_fd_t sub;
  e = open_at(SANDBOX, 0, "sub", __WASI_OFLAGS_DIRECTORY, R, 0, &sub);
  CHECK("escape_dirfd", e == 0, "open sub", e);
  e = open_at(sub, 0, "../data.txt", 0, R, 0, &fd);
  CHECK("escape_dirfd", e == __WASI_ERRNO_PERM, "../ from a subdirectory fd", e);
  __wasi_fd_close(sub);
  ok("escape_dirfd");
}

static void check_readonly(void) {
  __wasi_fd_t fd;
  __wasi_errno_t e;
  char buf[32] = {0};
  __wasi_size_t n;
  e = open_at(RO, 0, "ro.txt", 0, R, 0, &fd);
  CHECK("readonly_preopen", e == 0, "open for reading", e);
  e = read_buf(fd, buf, sizeof buf, &n);
  CHECK("readonly_preopen", e == 0 && n == 10, "read", e);
  e = __wasi_fd_filestat_set_size(fd, 0);
  CHECK("readonly_preopen", e != 0, "truncate through read fd", e);
  __wasi_fd_close(fd);
  e = open_at(RO, 0, "ro.txt", 0, R | W, 0, &fd);
  CHECK("readonly_preopen", e == __WASI_ERRNO_PERM, "open for writing", e);
  e = open_at(RO, 0, "new.txt", __WASI_OFLAGS_CREAT, R, 0, &fd);
  CHECK("readonly_preopen", e == __WASI_ERRNO_PERM, "create", e);
  e = open_at(RO, 0, "ro.txt", __WASI_OFLAGS_TRUNC, R | W, 0, &fd);
  CHECK("readonly_preopen", e == __WASI_ERRNO_PERM, "truncate", e);
  e = __wasi_path_create_directory(RO, "d");
  CHECK("readonly_preopen", e == __WASI_ERRNO_PERM, "mkdir", e);
  e = __wasi_path_unlink_file(RO, "ro.txt");
  CHECK("readonly_preopen", e == __WASI_ERRNO_PERM, "unlink", e);
  e = __wasi_path_rename(RO, "ro.txt", SANDBOX, "moved.txt");
  CHECK("readonly_preopen", e == __WASI_ERRNO_PERM, "rename out", e);
  e = __wasi_path_symlink("ro.txt", RO, "l");
  CHECK("readonly_preopen", e == __WASI_ERRNO_PERM, "symlink", e);
  e = __wasi_path_filestat_set_times(RO, 0, "ro.txt", 0, 0, __WASI_FSTFLAGS_MTIM_NOW);
  CHECK("readonly_preopen", e == __WASI_ERRNO_PERM, "set_times", e);
  __wasi_fd_t sub;
  e = open_at(RO, 0, ".", __WASI_OFLAGS_DIRECTORY, R, 0, &sub);
  CHECK("readonly_preopen", e == 0, "open dir", e);
  e = open_at(sub, 0, "x.txt", __WASI_OFLAGS_CREAT, R | W, 0, &fd);
  CHECK("readonly_preopen", e == __WASI_ERRNO_PERM, "create through a subdirectory fd", e);
  __wasi_fd_close(sub);
  ok("readonly_preopen");
}

static void check_sockets_misc(void) {
  __wasi_errno_t e = __wasi_sock_shutdown(1, __WASI_SDFLAGS_RD);
  CHECK("sock_shutdown_notsock", e == __WASI_ERRNO_NOTSOCK, "shutdown stdout", e);
  e = __wasi_sock_shutdown(99, __WASI_SDFLAGS_RD);
  CHECK("sock_shutdown_notsock", e == __WASI_ERRNO_BADF, "shutdown closed fd", e);
  __wasi_fd_t fd;
  e = __wasi_sock_accept(SANDBOX, 0, &fd);
  CHECK("sock_shutdown_notsock", e == __WASI_ERRNO_NOTSOCK, "accept on a directory", e);
  ok("sock_shutdown_notsock");
  e = raw_proc_raise(15);
  CHECK("proc_raise", e == __WASI_ERRNO_NOTSUP, "proc_raise", e);
  e = __wasi_sched_yield();
  CHECK("proc_raise", e == 0, "sched_yield", e);
  ok("proc_raise");
  __wasi_size_t n;
  __wasi_iovec_t iov = {(uint8_t *)&n, 1};
  e = __wasi_fd_pread(0, &iov, 1, 0, &n);
  CHECK("stdio_positional", e == __WASI_ERRNO_SPIPE, "pread on stdin", e);
  __wasi_ciovec_t ciov = {(const uint8_t *)"x", 1};
  e = __wasi_fd_pwrite(1, &ciov, 1, 0, &n);
  CHECK("stdio_positional", e == __WASI_ERRNO_SPIPE, "pwrite on stdout", e);
  ok("stdio_positional");
}

static void check_poll(void) {
  __wasi_subscription_t subs[3];
  __wasi_event_t evs[3];
  __wasi_size_t n;
  memset(subs, 0, sizeof subs);
  __wasi_errno_t e = __wasi_poll_oneoff(subs, evs, 0, &n);
  CHECK("poll_clock", e == __WASI_ERRNO_INVAL, "no subscriptions", e);
  __wasi_timestamp_t t1, t2;
  __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t1);
  subs[0].userdata = 42;
  subs[0].u.tag = __WASI_EVENTTYPE_CLOCK;
  subs[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  subs[0].u.u.clock.timeout = 20000000; // 20ms
  e = __wasi_poll_oneoff(subs, evs, 1, &n);
  __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t2);
  CHECK("poll_clock", e == 0 && n == 1 && evs[0].userdata == 42 && evs[0].type == __WASI_EVENTTYPE_CLOCK && evs[0].error == 0,
        "clock event", e);
  CHECK("poll_clock", t2 - t1 >= 20000000, "slept too little", (int)((t2 - t1) / 1000000));
  ok("poll_clock");
  // stdout is always writable: its event comes before a long clock.
  subs[0].u.u.clock.timeout = 10000000000ull;
  subs[1].userdata = 7;
  subs[1].u.tag = __WASI_EVENTTYPE_FD_WRITE;
  subs[1].u.u.fd_write.file_descriptor = 1;
  e = __wasi_poll_oneoff(subs, evs, 2, &n);
  CHECK("poll_stdout", e == 0 && n == 1 && evs[0].userdata == 7 && evs[0].type == __WASI_EVENTTYPE_FD_WRITE, "stdout ready", e);
  subs[1].u.u.fd_write.file_descriptor = 77;
  e = __wasi_poll_oneoff(subs, evs, 2, &n);
  CHECK("poll_stdout", e == __WASI_ERRNO_BADF, "closed fd", e);
  ok("poll_stdout");
  // A regular file is always readable; at its end the event says HANGUP.
  __wasi_fd_t fd;
  __wasi_filesize_t pos;
  e = open_at(SANDBOX, 0, "data.txt", 0, R, 0, &fd);
  CHECK("poll_file", e == 0, "open", e);
  subs[0].userdata = 1;
  subs[0].u.u.clock.timeout = 10000000000ull;
  subs[1].userdata = 3;
  subs[1].u.tag = __WASI_EVENTTYPE_FD_READ;
  subs[1].u.u.fd_read.file_descriptor = fd;
  e = __wasi_poll_oneoff(subs, evs, 2, &n);
  CHECK("poll_file", e == 0 && n == 1 && evs[0].userdata == 3 && evs[0].type == __WASI_EVENTTYPE_FD_READ &&
                         (evs[0].fd_readwrite.flags & __WASI_EVENTRWFLAGS_FD_READWRITE_HANGUP) == 0, "file readable", e);
  __wasi_fd_seek(fd, 0, __WASI_WHENCE_END, &pos);
  e = __wasi_poll_oneoff(subs, evs, 2, &n);
  CHECK("poll_file", e == 0 && n == 1 && (evs[0].fd_readwrite.flags & __WASI_EVENTRWFLAGS_FD_READWRITE_HANGUP), "HANGUP at end", e);
  subs[1].u.u.fd_read.file_descriptor = SANDBOX;
  e = __wasi_poll_oneoff(subs, evs, 2, &n);
  CHECK("poll_file", e == __WASI_ERRNO_BADF, "directory", e);
  __wasi_fd_close(fd);
  ok("poll_file");
  // An absolute realtime deadline in the past fires at once.
  __wasi_timestamp_t now;
  __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &now);
  subs[0].u.u.clock.id = __WASI_CLOCKID_REALTIME;
  subs[0].u.u.clock.timeout = now - 1000000000ull;
  subs[0].u.u.clock.flags = __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME;
  e = __wasi_poll_oneoff(subs, evs, 1, &n);
  CHECK("poll_abstime", e == 0 && n == 1 && evs[0].type == __WASI_EVENTTYPE_CLOCK, "past realtime deadline", e);
  __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t1);
  subs[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  subs[0].u.u.clock.timeout = t1 + 30000000; // 30ms from now
  e = __wasi_poll_oneoff(subs, evs, 1, &n);
  __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t2);
  CHECK("poll_abstime", e == 0 && n == 1 && t2 >= t1 + 30000000, "monotonic deadline", (int)((t2 - t1) / 1000000));
  subs[0].u.u.clock.id = __WASI_CLOCKID_PROCESS_CPUTIME_ID;
  e = __wasi_poll_oneoff(subs, evs, 1, &n);
  CHECK("poll_abstime", e == __WASI_ERRNO_INVAL, "cputime clock", e);
  subs[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  subs[0].u.u.clock.flags = 0;
  ok("poll_abstime");
  // stdin with no data yet: the clock fires.
  subs[0].userdata = 1;
  subs[0].u.u.clock.timeout = 50000000; // 50ms
  subs[1].userdata = 2;
  subs[1].u.tag = __WASI_EVENTTYPE_FD_READ;
  subs[1].u.u.fd_read.file_descriptor = 0;
  e = __wasi_poll_oneoff(subs, evs, 2, &n);
  CHECK("poll_stdin_timeout", e == 0 && n == 1 && evs[0].userdata == 1 && evs[0].type == __WASI_EVENTTYPE_CLOCK, "clock fires first", e);
  ok("poll_stdin_timeout");
  fflush(stdout);
  // Now the test writes a line: stdin becomes ready well before 10s.
  subs[0].u.u.clock.timeout = 10000000000ull;
  e = __wasi_poll_oneoff(subs, evs, 2, &n);
  CHECK("poll_stdin_ready", e == 0 && n == 1 && evs[0].userdata == 2 && evs[0].type == __WASI_EVENTTYPE_FD_READ, "stdin ready", e);
  char buf[16] = {0};
  e = read_buf(0, buf, sizeof buf, &n);
  CHECK("poll_stdin_ready", e == 0 && n == 5 && memcmp(buf, "ping\n", 5) == 0, buf, e);
  ok("poll_stdin_ready");
}

// Renumbering and closing descriptors, preopens and stdio included; last,
// since it rearranges the table.
static void check_renumber(void) {
  __wasi_fd_t a, b;
  __wasi_errno_t e;
  char buf[32] = {0};
  __wasi_size_t n;
  put_file("ra.txt", "AAAA");
  put_file("rb.txt", "BB");
  open_at(SANDBOX, 0, "ra.txt", 0, R, 0, &a);
  open_at(SANDBOX, 0, "rb.txt", 0, R, 0, &b);
  e = __wasi_fd_renumber(a, b);
  CHECK("renumber", e == 0, "renumber", e);
  e = __wasi_fd_close(a);
  CHECK("renumber", e == __WASI_ERRNO_BADF, "from still open", e);
  e = read_buf(b, buf, sizeof buf, &n);
  CHECK("renumber", e == 0 && n == 4 && memcmp(buf, "AAAA", 4) == 0, "to reads from's file", e);
  e = __wasi_fd_renumber(99, b);
  CHECK("renumber", e == __WASI_ERRNO_BADF, "from a closed fd", e);
  // Onto a descriptor that is not open: EBADF (the specification: no
  // renumbering to an arbitrary number; Wasmtime), and from stays open.
  e = __wasi_fd_renumber(b, 40);
  CHECK("renumber", e == __WASI_ERRNO_BADF, "onto an unused number", e);
  e = __wasi_fd_renumber(b, b);
  CHECK("renumber", e == 0, "onto itself", e);
  e = __wasi_fd_close(40);
  CHECK("renumber", e == __WASI_ERRNO_BADF, "unused number opened", e);
  e = __wasi_fd_close(b);
  CHECK("renumber", e == 0, "from still open after a failed renumber", e);
  ok("renumber");

  // Onto stdout: park stdout on a placeholder (renumbering frees 1), open
  // files until one gets number 1 (freed numbers are reused highest first),
  // write through it, then renumber stdout back onto it.
  __wasi_fd_t park, f = 0, extra[64];
  int nextra = 0;
  put_file("stdout.txt", "");
  open_at(SANDBOX, 0, "ra.txt", 0, R, 0, &park);
  fflush(stdout);
  e = __wasi_fd_renumber(1, park);
  while (e == 0 && nextra < 64) {
    e = open_at(SANDBOX, 0, "stdout.txt", 0, R | W, 0, &f);
    if (e != 0 || f == 1) break;
    extra[nextra++] = f;
  }
  __wasi_errno_t we = f == 1 ? write_str(1, "to the file", &n) : __WASI_ERRNO_BADF;
  __wasi_fd_renumber(park, 1);
  for (int i = 0; i < nextra; i++) __wasi_fd_close(extra[i]);
  CHECK("renumber_stdio", e == 0 && we == 0, "renumber onto stdout", e);
  open_at(SANDBOX, 0, "stdout.txt", 0, R, 0, &a);
  memset(buf, 0, sizeof buf);
  read_buf(a, buf, sizeof buf, &n);
  __wasi_fd_close(a);
  CHECK("renumber_stdio", n == 11 && memcmp(buf, "to the file", 11) == 0, buf, n);
  ok("renumber_stdio");

  // Onto a preopen: the preopen is gone, the file took its number.
  __wasi_prestat_t ps;
  open_at(SANDBOX, 0, "ra.txt", 0, R, 0, &a);
  e = __wasi_fd_renumber(a, EXTRA);
  CHECK("renumber_preopen", e == 0, "renumber onto preopen", e);
  e = __wasi_fd_prestat_get(EXTRA, &ps);
  CHECK("renumber_preopen", e == __WASI_ERRNO_BADF, "still a preopen", e);
  memset(buf, 0, sizeof buf);
  e = read_buf(EXTRA, buf, sizeof buf, &n);
  CHECK("renumber_preopen", e == 0 && n == 4, "file at the preopen's number", e);
  ok("renumber_preopen");

  // Closing a preopen.
  e = __wasi_fd_close(EXTRA);
  CHECK("close_preopen", e == 0, "close", e);
  e = __wasi_fd_close(RO);
  CHECK("close_preopen", e == 0, "close preopen", e);
  e = __wasi_fd_prestat_get(RO, &ps);
  CHECK("close_preopen", e == __WASI_ERRNO_BADF, "prestat after close", e);
  e = open_at(RO, 0, "ro.txt", 0, R, 0, &a);
  CHECK("close_preopen", e == __WASI_ERRNO_BADF, "open through closed preopen", e);
  e = __wasi_fd_close(RO);
  CHECK("close_preopen", e == __WASI_ERRNO_BADF, "close twice", e);
  ok("close_preopen");
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "exit") == 0) {
    __wasi_proc_exit(argc > 2 ? atoi(argv[2]) : 0);
  }
  if (argc > 2 && strcmp(argv[1], "spam") == 0) {
    // Many small writes (two iovecs each, as unbuffered stdio makes): a
    // benchmark of the host functions themselves.
    int n = atoi(argv[2]);
    __wasi_ciovec_t iov[2] = {{(const uint8_t *)"line ", 5}, {(const uint8_t *)"of output\n", 10}};
    __wasi_size_t w;
    for (int i = 0; i < n; i++) {
      if (__wasi_fd_write(1, iov, 2, &w) != 0 || w != 15) return 1;
    }
    return 0;
  }
  if (argc > 3 && strcmp(argv[1], "append") == 0) {
    // A writer for the concurrent append test: count records "<tag> <i>\n"
    // padded to 64 bytes, each one fd_write of two iovecs, to
    // /sandbox/shared.log opened in append mode.
    __wasi_fd_t fd;
    if (open_at(SANDBOX, 0, "shared.log", __WASI_OFLAGS_CREAT, W, __WASI_FDFLAGS_APPEND, &fd) != 0) return 2;
    int n = atoi(argv[3]);
    for (int i = 0; i < n; i++) {
      char rec[64];
      int l = snprintf(rec, sizeof rec, "%s %d ", argv[2], i);
      memset(rec + l, '.', sizeof rec - l - 1);
      rec[sizeof rec - 1] = '\n';
      __wasi_ciovec_t iov[2] = {{(const uint8_t *)rec, 20}, {(const uint8_t *)rec + 20, sizeof rec - 20}};
      __wasi_size_t w;
      if (__wasi_fd_write(fd, iov, 2, &w) != 0 || w != sizeof rec) return 3;
    }
    return __wasi_fd_close(fd) == 0 ? 0 : 4;
  }
  if (argc > 1 && strcmp(argv[1], "echo") == 0) {
    // Answer each stdin line as soon as it arrives.
    char line[256];
    while (fgets(line, sizeof line, stdin)) {
      printf("echo: %s", line);
      fflush(stdout);
    }
    return 0;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  check_args(argc, argv);
  check_environ();
  check_clocks();
  check_random();
  check_prestat();
  check_read_file();
  check_rights();
  check_seek();
  check_filestat();
  check_append();
  check_append_toggle();
  check_sync_flags();
  check_readdir();
  check_mkdir_rename();
  check_symlinks();
  check_dir_errors();
  check_escapes();
  check_readonly();
  check_sockets_misc();
  check_poll();
  check_renumber();
  printf("done %d failures\n", failures);
  return failures ? 1 : 0;
}
