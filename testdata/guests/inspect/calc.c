// A C reactor: exports _initialize (added by -mexec-model=reactor) and two
// functions.
#include <stdlib.h>

static int *table;

__attribute__((export_name("init_table"))) int init_table(int n) {
  table = calloc(n, sizeof(int));
  return table != NULL;
}

__attribute__((export_name("mul"))) long long mul(long long a, double b) {
  return (long long)(a * b);
}
