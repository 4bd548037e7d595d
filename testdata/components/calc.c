// calc.c is the core module of calc.wasm, a component with no imports
// whose exports (wit-calc/calc.wit) take and return strings, lists,
// records, options and results: what `run --invoke` and the component
// benchmarks call. Written against the Canonical ABI by hand (no bindings
// generator, no libc).
#include <stdint.h>

#define EXPORT(n) __attribute__((export_name(n)))

static unsigned char heap[1 << 20];
static uint32_t top;
static int32_t ret[16];

// cabi_realloc is a bump allocator; cabi_post_* functions reset it after
// each call, so a call may use the whole heap.
EXPORT("cabi_realloc") int32_t cabi_realloc(int32_t old, int32_t oldlen, int32_t align, int32_t len) {
  top = (top + (uint32_t)align - 1) & ~((uint32_t)align - 1);
  if (top + (uint32_t)len > sizeof heap) {
    __builtin_trap();
  }
  unsigned char *p = &heap[top];
  top += (uint32_t)len;
  const unsigned char *from = (const unsigned char *)(uintptr_t)old;
  for (int32_t i = 0; old && i < oldlen && i < len; i++) {
    p[i] = from[i];
  }
  return (int32_t)(uintptr_t)p;
}

static void reset(void) { top = 0; }

EXPORT("add") int32_t add(int32_t a, int32_t b) { return a + b; }

// greet returns "hello, NAME!".
EXPORT("greet") int32_t greet(int32_t p, int32_t l) {
  static const char hello[] = "hello, ";
  unsigned char *out = (unsigned char *)(uintptr_t)cabi_realloc(0, 0, 1, l + 8);
  int32_t n = 0;
  for (int32_t i = 0; i < 7; i++) out[n++] = (unsigned char)hello[i];
  for (int32_t i = 0; i < l; i++) out[n++] = ((const unsigned char *)(uintptr_t)p)[i];
  out[n++] = '!';
  ret[0] = (int32_t)(uintptr_t)out;
  ret[1] = n;
  return (int32_t)(uintptr_t)ret;
}
EXPORT("cabi_post_greet") void post_greet(int32_t r) { (void)r; reset(); }

// summarize returns the count, sum and maximum (none for no numbers).
EXPORT("summarize") int32_t summarize(int32_t p, int32_t n) {
  const double *xs = (const double *)(uintptr_t)p;
  double sum = 0, max = 0;
  for (int32_t i = 0; i < n; i++) {
    sum += xs[i];
    if (i == 0 || xs[i] > max) max = xs[i];
  }
  // stats: count u32 @0, sum f64 @8, max option<f64> @16 (tag) / @24 (value)
  unsigned char *r = (unsigned char *)ret;
  *(uint32_t *)(r + 0) = (uint32_t)n;
  __builtin_memcpy(r + 8, &sum, 8);
  *(uint8_t *)(r + 16) = n > 0;
  __builtin_memcpy(r + 24, &max, 8);
  return (int32_t)(uintptr_t)ret;
}
EXPORT("cabi_post_summarize") void post_summarize(int32_t r) { (void)r; reset(); }

// parse-u32 parses a decimal u32: err("empty"), err("not a digit: X") or
// err("too large") on failure.
EXPORT("parse-u32") int32_t parse_u32(int32_t p, int32_t l) {
  static char msg[] = "not a digit: ?";
  const unsigned char *s = (const unsigned char *)(uintptr_t)p;
  uint64_t v = 0;
  ret[0] = 1;
  if (l == 0) {
    ret[1] = (int32_t)(uintptr_t) "empty";
    ret[2] = 5;
    return (int32_t)(uintptr_t)ret;
  }
  for (int32_t i = 0; i < l; i++) {
    if (s[i] < '0' || s[i] > '9') {
      msg[13] = (char)s[i];
      ret[1] = (int32_t)(uintptr_t)msg;
      ret[2] = 14;
      return (int32_t)(uintptr_t)ret;
    }
    v = v * 10 + (uint64_t)(s[i] - '0');
    if (v > 0xffffffffu) {
      ret[1] = (int32_t)(uintptr_t) "too large";
      ret[2] = 9;
      return (int32_t)(uintptr_t)ret;
    }
  }
  ret[0] = 0;
  ret[1] = (int32_t)v;
  return (int32_t)(uintptr_t)ret;
}
EXPORT("cabi_post_parse-u32") void post_parse(int32_t r) { (void)r; reset(); }

// echo returns its entry unchanged: the lowered strings and list are in
// this module's memory already, so it hands their pointers back.
EXPORT("echo") int32_t echo(int32_t np, int32_t nl, int32_t tp, int32_t tl, int32_t op, int32_t ol) {
  ret[0] = np;
  ret[1] = nl;
  ret[2] = tp;
  ret[3] = tl;
  ret[4] = op;
  ret[5] = ol;
  return (int32_t)(uintptr_t)ret;
}
EXPORT("cabi_post_echo") void post_echo(int32_t r) { (void)r; reset(); }

// spin never returns: for timeouts.
EXPORT("spin") void spin(void) {
  volatile uint32_t x = 0;
  for (;;) x++;
}
