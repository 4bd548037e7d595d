// linktarget.c is the core module of linktarget.wasm (and, embedded with
// wit-link-bad, of linkbad.wasm): it exports wasmhive:links/greet, whose
// greet answers "NAME [TAG,TAG...]", count sums a list and fail traps.
// Written against the Canonical ABI by hand (no bindings generator, no libc).
#include <stdint.h>

#define EXPORT(n) __attribute__((export_name(n)))
#define GREET "wasmhive:links/greet@0.1.0#"

static unsigned char heap[1 << 20];
static uint32_t top;
static int32_t ret[2];

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

static unsigned char *put(unsigned char *out, const unsigned char *s, int32_t n) {
  for (int32_t i = 0; i < n; i++) *out++ = s[i];
  return out;
}

// greet(p: person) -> string: person flattens to name (ptr, len) and tags
// (ptr, len); each tag is a (ptr, len) pair in memory.
EXPORT(GREET "greet") int32_t greet(int32_t np, int32_t nl, int32_t tp, int32_t tl) {
  const int32_t *tags = (const int32_t *)(uintptr_t)tp;
  int32_t n = nl + 3;
  for (int32_t i = 0; i < tl; i++) n += tags[2 * i + 1] + 1;
  unsigned char *out = (unsigned char *)(uintptr_t)cabi_realloc(0, 0, 1, n);
  unsigned char *p = put(out, (const unsigned char *)(uintptr_t)np, nl);
  *p++ = ' ';
  *p++ = '[';
  for (int32_t i = 0; i < tl; i++) {
    if (i > 0) *p++ = ',';
    p = put(p, (const unsigned char *)(uintptr_t)tags[2 * i], tags[2 * i + 1]);
  }
  *p++ = ']';
  ret[0] = (int32_t)(uintptr_t)out;
  ret[1] = (int32_t)(p - out);
  return (int32_t)(uintptr_t)ret;
}
EXPORT("cabi_post_" GREET "greet") void post_greet(int32_t r) { (void)r; top = 0; }

EXPORT(GREET "count") int32_t count(int32_t p, int32_t n) {
  const uint32_t *xs = (const uint32_t *)(uintptr_t)p;
  uint32_t sum = 0;
  for (int32_t i = 0; i < n; i++) sum += xs[i];
  top = 0;
  return (int32_t)sum;
}

EXPORT(GREET "fail") void fail(void) { __builtin_trap(); }
