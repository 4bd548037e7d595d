// types.c is the core module of types.wasm, a component exporting and
// importing the interfaces of wit/test.wit (records, variants, flags,
// enums, lists, options, results, tuples, resources). It is written against
// the Canonical ABI by hand (no bindings generator, no libc): the bodies
// only need to be valid, the tests decode and validate the component.
#include <stdint.h>

#define IMPORT(m, n) __attribute__((import_module(m), import_name(n)))
#define EXPORT(n) __attribute__((export_name(n)))
#define HOST "wasmhive:test/host@0.1.0"
#define TYPES "wasmhive:test/types@0.1.0"

IMPORT(HOST, "log") void host_log(int32_t ptr, int32_t len);
IMPORT(HOST, "get-point") void host_get_point(int32_t retptr);
IMPORT(HOST, "[constructor]blob") int32_t host_blob_new(int32_t ptr, int32_t len);
IMPORT(HOST, "[method]blob.size") int64_t host_blob_size(int32_t self);
IMPORT(HOST, "check") int32_t host_check(int32_t blob);
IMPORT(HOST, "[resource-drop]blob") void host_blob_drop(int32_t h);
IMPORT("[export]" TYPES, "[resource-new]counter") int32_t counter_new(int32_t rep);
IMPORT("[export]" TYPES, "[resource-rep]counter") int32_t counter_rep(int32_t h);
IMPORT("[export]" TYPES, "[resource-drop]counter") void counter_drop(int32_t h);

static unsigned char heap[65536];
static uint32_t top;
static uint32_t counters[64];
static uint32_t ncounters;
static int32_t ret[8];

EXPORT("cabi_realloc") int32_t cabi_realloc(int32_t old, int32_t oldlen, int32_t align, int32_t len) {
  (void)old;
  (void)oldlen;
  top = (top + (uint32_t)align - 1) & ~((uint32_t)align - 1);
  int32_t p = (int32_t)(uintptr_t)&heap[top];
  top += (uint32_t)len;
  return p;
}

EXPORT(TYPES "#[constructor]counter") int32_t counter_ctor(int32_t start) {
  counters[ncounters % 64] = (uint32_t)start;
  return counter_new((int32_t)(ncounters++ % 64));
}

EXPORT(TYPES "#[method]counter.incr") int32_t counter_incr(int32_t self, int32_t by) {
  return (int32_t)(counters[self] += (uint32_t)by);
}

EXPORT(TYPES "#[method]counter.value") int32_t counter_value(int32_t self) { return (int32_t)counters[self]; }

EXPORT(TYPES "#[static]counter.make") int32_t counter_make(void) { return counter_ctor(0); }

EXPORT(TYPES "#[dtor]counter") void counter_dtor(int32_t rep) { counters[rep] = 0; }

EXPORT(TYPES "#area") double area(int32_t disc, int64_t a, int32_t b, int32_t c, int32_t d) {
  (void)c;
  (void)d;
  if (disc == 0) {
    double r;
    __builtin_memcpy(&r, &a, 8);
    return 3.14159 * r * r;
  }
  if (disc == 1) {
    return (double)((int32_t)a * b);
  }
  return 0;
}

EXPORT(TYPES "#describe") int32_t describe(int32_t x, int32_t y, int32_t lp, int32_t ll, int32_t color, int32_t perms) {
  host_log(lp, ll);
  host_get_point((int32_t)(uintptr_t)ret);
  int32_t b = host_blob_new(lp, ll);
  int64_t n = host_blob_size(b);
  if (host_check(b)) {
    n++;
  }
  host_blob_drop(b);
  ret[0] = lp;
  ret[1] = ll + x + y + color + perms + (int32_t)n;
  counter_drop(counter_rep(0));
  return (int32_t)(uintptr_t)ret;
}

EXPORT(TYPES "#split") int32_t split(int32_t p, int32_t l) {
  ret[0] = (int32_t)(uintptr_t)&ret[2];
  ret[1] = 1;
  ret[2] = p;
  ret[3] = l;
  return (int32_t)(uintptr_t)ret;
}

EXPORT(TYPES "#maybe") int32_t maybe(int32_t some, int32_t v) {
  ret[0] = some ? 0 : 1;
  ret[1] = v;
  return (int32_t)(uintptr_t)ret;
}

EXPORT(TYPES "#pair") int32_t pair(int32_t a, int64_t b) {
  ret[0] = a;
  __builtin_memcpy(&ret[2], &b, 8);
  return (int32_t)(uintptr_t)ret;
}
