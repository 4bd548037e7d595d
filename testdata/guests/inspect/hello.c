// A C command (WASI preview 1) for `wasmhive inspect`.
#include <stdio.h>

int main(int argc, char **argv) {
  printf("hello from C, %d args\n", argc);
  return 0;
}
