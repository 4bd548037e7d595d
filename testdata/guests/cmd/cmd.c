// cmd is a WASI command used by wasmhive's `run` tests. argv[1] picks a mode;
// with no mode it prints its arguments. See run_test.go for what each mode
// is expected to do.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

extern char **environ;

// sink keeps the recursion from being turned into a loop by the optimiser.
static volatile int sink;

__attribute__((noinline)) static int recurse(int n) {
  // No address-taken locals: each frame lives on the wasm call stack only,
  // so deep recursion exhausts the engine's stack, not linear memory.
  if (n == -1) return 0;
  int r = recurse(n + 1) + 1;
  sink = r;
  return r;
}

__attribute__((noinline)) static void crash_unreachable(void) { __builtin_trap(); }

__attribute__((noinline)) static int divide(int a, int b) { return a / b; }

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "args";

  if (!strcmp(mode, "args")) {  // print argv, one per line
    for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    return 0;
  }
  if (!strcmp(mode, "env")) {  // print the environment, one entry per line
    int n = 0;
    for (char **e = environ; *e; e++, n++) printf("%s\n", *e);
    printf("env count=%d\n", n);
    return 0;
  }
  if (!strcmp(mode, "echo")) {  // answer each stdin line as soon as it arrives
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, stdin)) {
      line[strcspn(line, "\n")] = 0;
      printf("echo %d: %s\n", ++n, line);
      fflush(stdout);
    }
    printf("bye after %d lines\n", n);
    return 0;
  }
  if (!strcmp(mode, "stderr")) {  // write to both streams
    fprintf(stdout, "to stdout\n");
    fprintf(stderr, "to stderr\n");
    return 0;
  }
  if (!strcmp(mode, "exit")) {  // exit N: proc_exit(N)
    __wasi_proc_exit((__wasi_exitcode_t)strtoul(argc > 2 ? argv[2] : "0", 0, 0));
  }
  if (!strcmp(mode, "unreachable")) crash_unreachable();
  if (!strcmp(mode, "divzero")) {
    volatile int zero = 0;
    printf("%d\n", divide(argc, zero));
    return 0;
  }
  if (!strcmp(mode, "oob")) {  // load far outside linear memory
    volatile int *p = (volatile int *)(uintptr_t)0xfffffff0u;
    printf("%d\n", *p);
    return 0;
  }
  if (!strcmp(mode, "recurse")) {
    printf("%d\n", recurse(0));
    return 0;
  }
  if (!strcmp(mode, "malloc")) {  // allocate 1 MiB blocks until malloc fails
    size_t mib = 0;
    void *volatile p;
    while ((p = malloc(1 << 20)) != NULL) mib++;
    printf("allocated %zu MiB\n", mib);
    return 0;
  }
  if (!strcmp(mode, "loop")) {  // spin forever
    for (volatile unsigned i = 0;; i++) {
    }
  }
  if (!strcmp(mode, "sleep")) {  // block in poll_oneoff for an hour
    printf("sleeping\n");
    fflush(stdout);
    sleep(3600);
    printf("woke up\n");
    return 0;
  }
  if (!strcmp(mode, "read") && argc > 2) {  // read PATH: print the file
    FILE *f = fopen(argv[2], "r");
    if (!f) {
      printf("open %s: %s\n", argv[2], strerror(errno));
      return 1;
    }
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fwrite(buf, 1, n, stdout);
    fclose(f);
    return 0;
  }
  if (!strcmp(mode, "write") && argc > 3) {  // write PATH TEXT
    FILE *f = fopen(argv[2], "w");
    if (!f) {
      printf("open %s: %s\n", argv[2], strerror(errno));
      return 1;
    }
    fputs(argv[3], f);
    if (fclose(f) != 0) {
      printf("close %s: %s\n", argv[2], strerror(errno));
      return 1;
    }
    printf("wrote %s\n", argv[2]);
    return 0;
  }
  if (!strcmp(mode, "sock")) {  // no sockets exist: sock_accept on fd 3 fails
    __wasi_fd_t fd;
    __wasi_errno_t e = __wasi_sock_accept(3, 0, &fd);
    printf("sock_accept(3): errno %d (%s)\n", e, strerror(e));
    return 0;
  }
  fprintf(stderr, "cmd: unknown mode %s\n", mode);
  return 64;
}
