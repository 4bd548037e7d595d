// hello is the smallest useful WASI command: it greets, then shows what the
// host gave it (its arguments and environment). Run it with
//
//	go run ./cmd/wasmhive run examples/hello/hello.wasm
//	go run ./cmd/wasmhive run --env NAME=you examples/hello/hello.wasm a b
#include <stdio.h>
#include <stdlib.h>

extern char **environ;

int main(int argc, char **argv) {
  const char *name = getenv("NAME");
  printf("Hello, %s, from WebAssembly!\n", name ? name : "world");
  printf("args:");
  for (int i = 0; i < argc; i++) printf(" %s", argv[i]);
  printf("\nenv:");
  int n = 0;
  for (char **e = environ; *e; e++, n++) printf(" %s", *e);
  printf(n ? "\n" : " (none: pass --env NAME=VALUE)\n");
  return 0;
}
