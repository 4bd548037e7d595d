// wagi_bad.c: a misbehaving WAGI command; QUERY_STRING picks how.
//   trap       traps (unreachable)
//   loop       never returns
//   malformed  prints a body without CGI headers
//   noheaders  prints a blank line then a body (no CGI field at all)
//   exit3      prints a valid response, then exits with status 3
//   sleep      sleeps 300 ms, then answers
//   stderr     writes to stderr and answers
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

int main(void) {
	const char *q = getenv("QUERY_STRING");
	if (!q) q = "";
	if (strcmp(q, "trap") == 0) __builtin_trap();
	if (strcmp(q, "loop") == 0) {
		volatile int x = 0;
		for (;;) x++;
	}
	if (strcmp(q, "malformed") == 0) {
		fputs("this is not a CGI header block\n", stdout);
		return 0;
	}
	if (strcmp(q, "noheaders") == 0) {
		fputs("\nbody without headers\n", stdout);
		return 0;
	}
	if (strcmp(q, "exit3") == 0) {
		fputs("Content-Type: text/plain\n\npartial\n", stdout);
		return 3;
	}
	if (strcmp(q, "sleep") == 0) {
		struct timespec ts = {0, 300 * 1000 * 1000};
		nanosleep(&ts, 0);
		fputs("Content-Type: text/plain\n\nslept\n", stdout);
		return 0;
	}
	if (strcmp(q, "stderr") == 0) {
		fputs("guest says hello on stderr\n", stderr);
		fputs("Content-Type: text/plain\n\nok\n", stdout);
		return 0;
	}
	fputs("Content-Type: text/plain\n\nfine\n", stdout);
	return 0;
}
