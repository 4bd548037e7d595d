// privatedir: a command that works in its private directory (preopen
// "/data") through raw wasi_snapshot_preview1 calls. The Go tests (root
// package privatedir_test.go, wasip1/privatedir_test.go and
// cmd/wasmhive/privatedir_test.go) lay out the directories and assert every
// line it prints.
//
//   escapes      tries each way out of /data and prints "<attempt> <errno>"
//                (0 for success), then "done". Needs the preopens /data
//                (private), /shared (read-write) and /ro (read-only), and in
//                /data, made by the host: inside.txt, sub/, insidelink ->
//                inside.txt, hostabs -> an absolute path outside, hostup ->
//                ../../<a file outside>, hostdir -> a directory outside
//                holding file.txt, hardlink (a hard link to a file outside);
//                /shared/shared.txt; /ro/ro.txt.
//   put NAME TEXT  writes TEXT to /data/NAME, prints "put <errno>"
//   get NAME       prints "get 0 <content>" or "get <errno>"
//   ls             prints "ls" and the names in /data, in the host's
//                order, one per line as "- NAME" (no . and ..)
//
// Run as a WAGI script (REQUEST_METHOD is set), it prints a CGI header
// first; its words come from the query string ("?get+a.txt").
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

static const __wasi_rights_t R = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_FILESTAT_GET |
                                 __WASI_RIGHTS_FD_READDIR;
static const __wasi_rights_t W = __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE;

static __wasi_fd_t DATA = (__wasi_fd_t)-1, SHARED = (__wasi_fd_t)-1, RO = (__wasi_fd_t)-1;

// find_preopens looks the preopens up by the names the guest sees.
static void find_preopens(void) {
  for (__wasi_fd_t fd = 3; fd < 64; fd++) {
    __wasi_prestat_t ps;
    if (__wasi_fd_prestat_get(fd, &ps) != 0) {
      continue;
    }
    char name[64] = {0};
    if (ps.u.dir.pr_name_len >= sizeof name || __wasi_fd_prestat_dir_name(fd, (uint8_t *)name, ps.u.dir.pr_name_len) != 0) {
      continue;
    }
    if (strcmp(name, "/data") == 0) {
      DATA = fd;
    } else if (strcmp(name, "/shared") == 0) {
      SHARED = fd;
    } else if (strcmp(name, "/ro") == 0) {
      RO = fd;
    }
  }
}

static __wasi_errno_t open_at(__wasi_fd_t dir, __wasi_lookupflags_t lf, const char *path, __wasi_oflags_t of,
                              __wasi_rights_t rights, __wasi_fd_t *fd) {
  return __wasi_path_open(dir, lf, path, of, rights, rights, 0, fd);
}

// try_open opens path and closes it again, returning the errno.
static __wasi_errno_t try_open(__wasi_fd_t dir, __wasi_lookupflags_t lf, const char *path, __wasi_oflags_t of,
                               __wasi_rights_t rights) {
  __wasi_fd_t fd;
  __wasi_errno_t e = open_at(dir, lf, path, of, rights, &fd);
  if (e == 0) {
    __wasi_fd_close(fd);
  }
  return e;
}

static __wasi_errno_t put(__wasi_fd_t dir, const char *path, const char *text) {
  __wasi_fd_t fd;
  __wasi_errno_t e = open_at(dir, 0, path, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, R | W, &fd);
  if (e != 0) {
    return e;
  }
  __wasi_ciovec_t iov = {(const uint8_t *)text, strlen(text)};
  __wasi_size_t n;
  e = __wasi_fd_write(fd, &iov, 1, &n);
  __wasi_fd_close(fd);
  return e;
}

// get reads at most len-1 bytes of path into buf (NUL-terminated).
static __wasi_errno_t get(__wasi_fd_t dir, __wasi_lookupflags_t lf, const char *path, char *buf, size_t len) {
  __wasi_fd_t fd;
  __wasi_errno_t e = open_at(dir, lf, path, 0, R, &fd);
  if (e != 0) {
    return e;
  }
  size_t got = 0;
  while (got < len - 1) {
    __wasi_iovec_t iov = {(uint8_t *)buf + got, len - 1 - got};
    __wasi_size_t n;
    e = __wasi_fd_read(fd, &iov, 1, &n);
    if (e != 0 || n == 0) {
      break;
    }
    got += n;
  }
  buf[got] = 0;
  __wasi_fd_close(fd);
  return e;
}

static void report(const char *attempt, __wasi_errno_t e) { printf("%s %d\n", attempt, (int)e); }

static void escapes(void) {
  __wasi_filestat_t st;
  char buf[64];
  __wasi_fd_t sub;

  // "..": out of the directory, by open, stat, mkdir, rename, a symlink's
  // target, and from a subdirectory's descriptor.
  report("dotdot_open", try_open(DATA, 0, "../outside.txt", 0, R));
  report("dotdot_deep", try_open(DATA, 0, "sub/../../outside.txt", 0, R));
  report("dotdot_stat", __wasi_path_filestat_get(DATA, 0, "..", &st));
  report("dotdot_mkdir", __wasi_path_create_directory(DATA, "../evil"));
  report("dotdot_rename", __wasi_path_rename(DATA, "inside.txt", DATA, "../stolen.txt"));
  report("dotdot_create", try_open(DATA, 0, "../created.txt", __WASI_OFLAGS_CREAT, R | W));
  __wasi_errno_t e = open_at(DATA, 0, "sub", __WASI_OFLAGS_DIRECTORY, R, &sub);
  report("dotdot_dirfd", e ? e : try_open(sub, 0, "../inside.txt", 0, R));
  if (e == 0) {
    __wasi_fd_close(sub);
  }
  report("dotdot_inside", try_open(DATA, 0, "sub/../inside.txt", 0, R)); // stays inside: allowed

  // Absolute paths.
  report("absolute_etc", try_open(DATA, 0, "/etc/passwd", 0, R));
  report("absolute_self", try_open(DATA, 0, "/data/inside.txt", 0, R));
  report("absolute_mkdir", __wasi_path_create_directory(DATA, "/tmp/evil"));

  // Symbolic links the host made before load.
  report("host_symlink_abs", try_open(DATA, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "hostabs", 0, R));
  report("host_symlink_up", try_open(DATA, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "hostup", 0, R));
  report("host_symlink_dir", try_open(DATA, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "hostdir/file.txt", 0, R));
  report("host_symlink_write", try_open(DATA, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "hostabs", __WASI_OFLAGS_TRUNC, R | W));
  report("host_symlink_nofollow", try_open(DATA, 0, "hostabs", 0, R));
  report("host_symlink_stat", __wasi_path_filestat_get(DATA, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "hostup", &st));
  report("host_symlink_times",
         __wasi_path_filestat_set_times(DATA, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "hostabs", 0, 5, __WASI_FSTFLAGS_MTIM));
  report("host_symlink_inside", try_open(DATA, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "insidelink", 0, R)); // allowed

  // Symbolic links the guest makes.
  report("guest_symlink_up", __wasi_path_symlink("../..", DATA, "gup"));
  report("guest_symlink_etc", __wasi_path_symlink("/etc", DATA, "getc"));
  report("guest_symlink_dotdot_inside", __wasi_path_symlink("sub/../inside.txt", DATA, "gin"));
  report("guest_symlink_from_sub", __wasi_path_symlink("../../outside.txt", DATA, "sub/gsub"));
  report("guest_symlink_down", __wasi_path_symlink("inside.txt", DATA, "gdown")); // allowed
  report("guest_symlink_down_open", try_open(DATA, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "gdown", 0, R));

  // Hard links: one the host made to a file outside, and the guest's own.
  report("hardlink_read", try_open(DATA, 0, "hardlink", 0, R));
  report("hardlink_write", try_open(DATA, 0, "hardlink", 0, R | W));
  report("hardlink_trunc", try_open(DATA, 0, "hardlink", __WASI_OFLAGS_TRUNC, R | W));
  report("hardlink_creat", try_open(DATA, 0, "hardlink", __WASI_OFLAGS_CREAT, R | W));
  report("hardlink_times", __wasi_path_filestat_set_times(DATA, 0, "hardlink", 0, 5, __WASI_FSTFLAGS_MTIM));
  report("hardlink_stat", __wasi_path_filestat_get(DATA, 0, "hardlink", &st)); // metadata only: allowed
  report("guest_link_inside", __wasi_path_link(DATA, 0, "inside.txt", DATA, "inside2.txt"));
  report("guest_link_out", __wasi_path_link(DATA, 0, "inside.txt", SHARED, "leak.txt"));
  report("guest_link_in", __wasi_path_link(SHARED, 0, "shared.txt", DATA, "in.txt"));
  report("readonly_link_out", __wasi_path_link(RO, 0, "ro.txt", SHARED, "rw.txt"));
  // Renames out of the directory: a hard link, a directory that holds one.
  report("rename_hardlink_out", __wasi_path_rename(DATA, "hardlink", SHARED, "moved_link"));
  __wasi_path_create_directory(DATA, "box"); // made by the guest, moved out in a plain preopen
  report("rename_dir_out", __wasi_path_rename(DATA, "box", SHARED, "box"));
  report("rename_file_out", __wasi_path_rename(DATA, "inside.txt", SHARED, "inside.txt"));
  report("rename_in", __wasi_path_rename(SHARED, "shared.txt", DATA, "from_shared.txt")); // into it: allowed

  // What a component does with its own directory.
  report("own_put", put(DATA, "new.txt", "fresh"));
  e = get(DATA, 0, "new.txt", buf, sizeof buf);
  report("own_get", e ? e : strcmp(buf, "fresh") ? __WASI_ERRNO_IO : 0);
  report("own_overwrite", put(DATA, "new.txt", "again"));
  e = get(DATA, 0, "new.txt", buf, sizeof buf);
  report("own_overwrite_get", e ? e : strcmp(buf, "again") ? __WASI_ERRNO_IO : 0);
  report("own_mkdir", __wasi_path_create_directory(DATA, "d"));
  report("own_rename", __wasi_path_rename(DATA, "new.txt", DATA, "d/moved.txt"));
  e = get(DATA, 0, "d/moved.txt", buf, sizeof buf);
  report("own_get_moved", e ? e : strcmp(buf, "again") ? __WASI_ERRNO_IO : 0);
  report("own_unlink", __wasi_path_unlink_file(DATA, "d/moved.txt"));
  report("own_rmdir", __wasi_path_remove_directory(DATA, "d"));
  report("own_unlink_hardlink", __wasi_path_unlink_file(DATA, "hardlink")); // the name only
  report("own_put_after_unlink", put(DATA, "hardlink", "mine now"));
  printf("done\n");
}

static void ls(void) {
  printf("ls\n");
  __wasi_fd_t fd;
  if (open_at(DATA, 0, ".", __WASI_OFLAGS_DIRECTORY, R, &fd) != 0) {
    return;
  }
  static uint8_t buf[8192];
  __wasi_size_t n;
  if (__wasi_fd_readdir(fd, buf, sizeof buf, 0, &n) == 0) {
    for (size_t off = 0; off + sizeof(__wasi_dirent_t) <= n;) {
      __wasi_dirent_t d;
      memcpy(&d, buf + off, sizeof d);
      off += sizeof d;
      if (off + d.d_namlen > n) {
        break;
      }
      char name[256] = {0};
      memcpy(name, buf + off, d.d_namlen < 255 ? d.d_namlen : 255);
      off += d.d_namlen;
      if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
        printf("- %s\n", name);
      }
    }
  }
  __wasi_fd_close(fd);
}

int main(int argc, char **argv) {
  if (getenv("REQUEST_METHOD")) {
    printf("Content-Type: text/plain\n\n");
  }
  find_preopens();
  if (DATA == (__wasi_fd_t)-1) {
    printf("no /data preopen\n");
    return 1;
  }
  if (argc >= 2 && strcmp(argv[1], "escapes") == 0) {
    if (SHARED == (__wasi_fd_t)-1 || RO == (__wasi_fd_t)-1) {
      printf("escapes needs /shared and /ro\n");
      return 1;
    }
    escapes();
  } else if (argc == 4 && strcmp(argv[1], "put") == 0) {
    report("put", put(DATA, argv[2], argv[3]));
  } else if (argc == 3 && strcmp(argv[1], "get") == 0) {
    char buf[256];
    __wasi_errno_t e = get(DATA, 0, argv[2], buf, sizeof buf);
    if (e == 0) {
      printf("get 0 %s\n", buf);
    } else {
      report("get", e);
    }
  } else if (argc == 2 && strcmp(argv[1], "ls") == 0) {
    ls();
  } else {
    printf("usage: escapes | put NAME TEXT | get NAME | ls\n");
    return 2;
  }
  return 0;
}
