// wagi_memory.c: a WAGI command that checks its memory starts zeroed, then
// dirties it: static data (.bss) and 1 MiB obtained by growing memory.
// Served repeatedly, it shows whether one request's data can leak into the
// next instance's memory (the HTTP trigger recycles the memory of finished
// instances).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char bss[64 * 1024];

int main(void) {
	size_t bss_dirty = 0, heap_dirty = 0;
	for (size_t i = 0; i < sizeof bss; i++) bss_dirty += bss[i] != 0;
	memset(bss, 0xAA, sizeof bss);
	// Grow memory by 1 MiB directly (malloc would write its own bookkeeping).
	size_t n = 1 << 20;
	long old = __builtin_wasm_memory_grow(0, n / 65536);
	if (old < 0) return 1;
	volatile unsigned char *p = (volatile unsigned char *)(old * 65536);
	for (size_t i = 0; i < n; i++) heap_dirty += p[i] != 0;
	memset((void *)p, 0xBB, n);
	printf("Content-Type: text/plain\n\nbss_dirty=%zu heap_dirty=%zu\n", bss_dirty, heap_dirty);
	return 0;
}
