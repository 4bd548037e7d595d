// reactor is a WASI reactor (built with -mexec-model=reactor) for `run
// --invoke` tests: _initialize runs the constructor below, which counts how
// many times it ran; the exports take and return each numeric type.
#include <stdint.h>
#include <stdio.h>

static int initialized;

__attribute__((constructor)) static void init(void) { initialized++; }

// init_count returns how many times _initialize ran (must be 1).
__attribute__((export_name("init_count"))) int init_count(void) { return initialized; }

__attribute__((export_name("add_i32"))) int32_t add_i32(int32_t a, int32_t b) { return a + b; }

__attribute__((export_name("add_i64"))) int64_t add_i64(int64_t a, int64_t b) { return a + b; }

__attribute__((export_name("mul_f32"))) float mul_f32(float a, float b) { return a * b; }

__attribute__((export_name("mul_f64"))) double mul_f64(double a, double b) { return a * b; }

// greet writes to stdout.
__attribute__((export_name("greet"))) void greet(void) {
  printf("hello from the reactor\n");
  fflush(stdout);
}

// div traps on a zero divisor.
__attribute__((export_name("div"))) int32_t div_i32(int32_t a, int32_t b) { return a / b; }
