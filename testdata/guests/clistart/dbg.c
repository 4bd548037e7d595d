// dbg is a test guest of `wasmhive run` built WITH DWARF debug info (-g), so
// that trap stack traces can carry source positions, and with a busy loop
// that announces itself, for interrupting a spinning guest.
//
//   dbg trap   divides by zero in divide() (line marked TRAP below)
//   dbg spin   prints "spinning" then loops forever in wasm code
#include <stdio.h>
#include <string.h>

static volatile int zero;

__attribute__((noinline)) static int divide(int a, int b) {
  return a / b; // TRAP
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  if (!strcmp(mode, "trap")) {
    printf("%d\n", divide(argc, zero));
    return 0;
  }
  if (!strcmp(mode, "spin")) {
    printf("spinning\n");
    fflush(stdout);
    for (volatile unsigned i = 0;; i++) {
    }
  }
  fprintf(stderr, "usage: dbg trap|spin\n");
  return 2;
}
