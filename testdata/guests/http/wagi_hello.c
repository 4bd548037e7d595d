// wagi_hello.c: the smallest WAGI (CGI) command, used by the benchmarks.
#include <stdio.h>

int main(void) {
	fputs("Content-Type: text/plain\n\nhello, world\n", stdout);
	return 0;
}
