// config.c is the core module of config.wasm, a component importing
// wasi:config/store 0.2.0-draft whose exports (config.wit) describe the
// results of its functions as strings:
//
//	an error   "err:upstream:MSG" or "err:io:MSG"
//	get        "some:VALUE" or "none"
//	get-all    "K1=V1;K2=V2;..." in the order the host gives
//
// Written against the Canonical ABI by hand (no bindings generator, no
// libc).
#include <stdint.h>

#define IMPORT(m, n) __attribute__((import_module(m), import_name(n)))
#define EXPORT(n) __attribute__((export_name(n)))
#define STORE "wasi:config/store@0.2.0-draft"

IMPORT(STORE, "get") void cfg_get(int32_t p, int32_t l, int32_t ret);
IMPORT(STORE, "get-all") void cfg_get_all(int32_t ret);

static unsigned char heap[1 << 20];
static uint32_t top;
static int32_t ret[2];
static int32_t rb[8]; // import results

// cabi_realloc is a bump allocator; the exports' post-return resets it.
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

static unsigned char *out;
static uint32_t outn;

static void begin(void) {
  out = (unsigned char *)(uintptr_t)cabi_realloc(0, 0, 1, 1 << 18);
  outn = 0;
}

static void put(const void *s, uint32_t len) {
  const unsigned char *p = s;
  for (uint32_t i = 0; i < len && outn < (1 << 18); i++) {
    out[outn++] = p[i];
  }
}

static void puts_(const char *s) {
  uint32_t n = 0;
  while (s[n]) {
    n++;
  }
  put(s, n);
}

static int32_t end(void) {
  ret[0] = (int32_t)(uintptr_t)out;
  ret[1] = (int32_t)outn;
  return (int32_t)(uintptr_t)ret;
}

// error describes the error variant at rb[1]: its case, then its message.
static int32_t error(void) {
  puts_(*(unsigned char *)&rb[1] == 0 ? "err:upstream:" : "err:io:");
  put((const void *)(uintptr_t)rb[2], (uint32_t)rb[3]);
  return end();
}

// get: result<option<string>, error>: the option's case at 4, the string
// at 8 and 12.
EXPORT("get") int32_t get(int32_t p, int32_t l) {
  begin();
  cfg_get(p, l, (int32_t)(uintptr_t)rb);
  if (*(unsigned char *)rb) {
    return error();
  }
  if (!*(unsigned char *)&rb[1]) {
    puts_("none");
    return end();
  }
  puts_("some:");
  put((const void *)(uintptr_t)rb[2], (uint32_t)rb[3]);
  return end();
}
EXPORT("cabi_post_get") void post_get(int32_t r) { (void)r; top = 0; }

// get-all: result<list<tuple<string, string>>, error>: the list at 4 and
// 8, each pair 16 bytes.
EXPORT("get-all") int32_t get_all(void) {
  begin();
  cfg_get_all((int32_t)(uintptr_t)rb);
  if (*(unsigned char *)rb) {
    return error();
  }
  const int32_t *pairs = (const int32_t *)(uintptr_t)rb[1];
  for (int32_t i = 0; i < rb[2]; i++) {
    if (i) {
      puts_(";");
    }
    put((const void *)(uintptr_t)pairs[4 * i], (uint32_t)pairs[4 * i + 1]);
    puts_("=");
    put((const void *)(uintptr_t)pairs[4 * i + 2], (uint32_t)pairs[4 * i + 3]);
  }
  return end();
}
EXPORT("cabi_post_get-all") void post_get_all(int32_t r) { (void)r; top = 0; }
