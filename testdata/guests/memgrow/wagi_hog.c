// wagi_hog.c: a WAGI command that, for the query string "hog", allocates
// and writes 1 MiB blocks without end (when malloc fails at the memory cap
// it aborts: a trap); for any other request it answers "hello". Served with the
// default memory cap, /hog must end in an error answer while the server
// keeps serving.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// sink keeps every block reachable, so the compiler cannot drop the
// allocations.
static void *volatile sink;

int main(void) {
	const char *query = getenv("QUERY_STRING");
	if (query && !strcmp(query, "hog")) {
		for (;;) {
			char *p = malloc(1 << 20);
			if (!p) abort();
			memset(p, 1, 1 << 20);
			*(void **)p = sink;
			sink = p;
		}
	}
	printf("Content-Type: text/plain\n\nhello\n");
	return 0;
}
