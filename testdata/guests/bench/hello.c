// hello is the small C command of the start-up benchmarks: it prints one line
// and exits 0, so the time measured is the host's, not the guest's.
#include <stdio.h>

int main(void) {
  puts("hello from C");
  return 0;
}
