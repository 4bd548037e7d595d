// linkcaller.c is the core module of linkcaller.wasm: it imports
// wasmhive:links/greet (served by a typed link to linktarget.wasm) and
// exports hello (greet of {name, tags: ["a", "b"]}), repeat (greet n
// times), total (count) and boom (fail, then 1). Written against the Canonical ABI by hand.
#include <stdint.h>

#define EXPORT(n) __attribute__((export_name(n)))
#define IMPORT(n) __attribute__((import_module("wasmhive:links/greet@0.1.0"), import_name(n)))

IMPORT("greet") void link_greet(int32_t np, int32_t nl, int32_t tp, int32_t tl, int32_t retptr);
IMPORT("count") int32_t link_count(int32_t p, int32_t n);
IMPORT("fail") void link_fail(void);

static unsigned char heap[1 << 20];
static uint32_t top;
static int32_t ret[2];
static int32_t got[2];
static int32_t tags[4];
static const char a[] = "a", b[] = "b";

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

// hello(name) -> string: the string greet returned (in this module's
// memory, through cabi_realloc) is returned as it is.
EXPORT("hello") int32_t hello(int32_t np, int32_t nl) {
  tags[0] = (int32_t)(uintptr_t)a;
  tags[1] = 1;
  tags[2] = (int32_t)(uintptr_t)b;
  tags[3] = 1;
  link_greet(np, nl, (int32_t)(uintptr_t)tags, 2, (int32_t)(uintptr_t)got);
  ret[0] = got[0];
  ret[1] = got[1];
  return (int32_t)(uintptr_t)ret;
}
EXPORT("cabi_post_hello") void post_hello(int32_t r) { (void)r; top = 0; }

// repeat(n, p) -> u32: greet(p) n times; each answer is dropped (the heap
// is reset) and the last one's length returned.
EXPORT("repeat") int32_t repeat(int32_t n, int32_t np, int32_t nl, int32_t tp, int32_t tl) {
  uint32_t mark = top;
  for (int32_t i = 0; i < n; i++) {
    top = mark;
    link_greet(np, nl, tp, tl, (int32_t)(uintptr_t)got);
  }
  top = 0;
  return got[1];
}

EXPORT("total") int32_t total(int32_t p, int32_t n) {
  int32_t s = link_count(p, n);
  top = 0;
  return s;
}

EXPORT("boom") int32_t boom(void) {
  link_fail();
  return 1;
}
