// reactor.c: a C reactor for the pool and lifecycle tests. _initialize (run
// by the engine once per instance) runs the constructor below; the exports
// then keep state in linear memory between calls.
#include <stdint.h>

static int32_t init_runs;
static int32_t counter;

__attribute__((constructor)) static void setup(void) {
	init_runs++;
	counter = 100;
}

// init_count returns how many times this instance was initialised (always 1).
__attribute__((export_name("init_count"))) int32_t init_count(void) { return init_runs; }

// next returns the next value of a per-instance counter: 101, 102, ...
__attribute__((export_name("next"))) int32_t next(void) { return ++counter; }

// noop does nothing: the cheapest possible call.
__attribute__((export_name("noop"))) void noop(void) {}

// trap traps (unreachable).
__attribute__((export_name("trap"))) void trap(void) { __builtin_trap(); }

// spin never returns.
__attribute__((export_name("spin"))) int32_t spin(void) {
	volatile int32_t x = 0;
	for (;;) x++;
	return x;
}

// grow grows linear memory by pages; returns the old size or -1.
__attribute__((export_name("grow"))) int32_t grow(int32_t pages) {
	return (int32_t)__builtin_wasm_memory_grow(0, pages);
}
