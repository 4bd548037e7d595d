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

// cabi_realloc is a bump allocator that starts again at the beginning of
// its heap when it runs out: the tests use values only until the next call.
EXPORT("cabi_realloc") int32_t cabi_realloc(int32_t old, int32_t oldlen, int32_t align, int32_t len) {
  top = (top + (uint32_t)align - 1) & ~((uint32_t)align - 1);
  if (top + (uint32_t)len > sizeof heap) {
    top = 0;
  }
  unsigned char *p = &heap[top];
  top += (uint32_t)len;
  const unsigned char *from = (const unsigned char *)(uintptr_t)old;
  for (int32_t i = 0; old && i < oldlen && i < len; i++) {
    p[i] = from[i]; // a copy forwards: the new block is never below the old one unless it restarted
  }
  return (int32_t)(uintptr_t)p;
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

// area: circle(r) -> 3.14159*r*r; rect(p) -> p.x*p.y; none -> 0.
EXPORT(TYPES "#area") double area(int32_t disc, int64_t a, int32_t b, int32_t c, int32_t d) {
  (void)c;
  (void)d;
  if (disc == 0) {
    double r;
    __builtin_memcpy(&r, &a, 8);
    return 3.14159 * r * r;
  }
  if (disc == 1) {
    return (double)((int32_t)a) * (double)b;
  }
  return 0;
}

static uint32_t put(unsigned char *out, uint32_t n, const unsigned char *s, uint32_t len) {
  for (uint32_t i = 0; i < len; i++) {
    out[n++] = s[i];
  }
  return n;
}

static uint32_t putnum(unsigned char *out, uint32_t n, char tag, int64_t v) {
  unsigned char buf[24];
  uint32_t k = 0;
  uint64_t u = (uint64_t)v;
  if (tag) {
    out[n++] = (unsigned char)tag;
  }
  if (v < 0) {
    out[n++] = '-';
    u = (uint64_t)0 - (uint64_t)v;
  }
  do {
    buf[k++] = (unsigned char)('0' + u % 10);
    u /= 10;
  } while (u);
  while (k) {
    out[n++] = buf[--k];
  }
  return n;
}

// describe returns "LABEL|X,Y|cCOLOR|fPERMS|hHX,HY,HLABEL|bSIZE,CHECK": the
// point, the enum and the flags as numbers, the host's get-point, and the
// size and check of a host blob made from the label. It logs the label
// first.
EXPORT(TYPES "#describe") int32_t describe(int32_t x, int32_t y, int32_t lp, int32_t ll, int32_t color, int32_t perms) {
  const unsigned char *label = (const unsigned char *)(uintptr_t)lp;
  host_log(lp, ll);
  int32_t hp[4]; // point: x, y, label pointer, label length
  host_get_point((int32_t)(uintptr_t)hp);
  int32_t b = host_blob_new(lp, ll);
  int64_t size = host_blob_size(b);
  int32_t ok = host_check(b);
  host_blob_drop(b);
  unsigned char *out = (unsigned char *)(uintptr_t)cabi_realloc(0, 0, 1, ll + hp[3] + 160);
  uint32_t n = put(out, 0, label, (uint32_t)ll);
  n = putnum(out, n, '|', x);
  n = putnum(out, n, ',', y);
  n = putnum(out, n, '|', 0);
  out[n - 1] = 'c';
  n = putnum(out, n, 0, color);
  n = putnum(out, n, '|', 0);
  out[n - 1] = 'f';
  n = putnum(out, n, 0, perms);
  n = putnum(out, n, '|', 0);
  out[n - 1] = 'h';
  n = putnum(out, n, 0, hp[0]);
  n = putnum(out, n, ',', hp[1]);
  out[n++] = ',';
  n = put(out, n, (const unsigned char *)(uintptr_t)hp[2], (uint32_t)hp[3]);
  n = putnum(out, n, '|', 0);
  out[n - 1] = 'b';
  n = putnum(out, n, 0, size);
  n = putnum(out, n, ',', ok);
  ret[0] = (int32_t)(uintptr_t)out;
  ret[1] = (int32_t)n;
  return (int32_t)(uintptr_t)ret;
}

// split splits s at each ',' (an empty s gives one empty string).
EXPORT(TYPES "#split") int32_t split(int32_t p, int32_t l) {
  const unsigned char *s = (const unsigned char *)(uintptr_t)p;
  uint32_t parts = 1;
  for (int32_t i = 0; i < l; i++) {
    parts += s[i] == ',';
  }
  int32_t *list = (int32_t *)(uintptr_t)cabi_realloc(0, 0, 4, (int32_t)(parts * 8));
  uint32_t k = 0;
  int32_t begin = 0;
  for (int32_t i = 0; i <= l; i++) {
    if (i == l || s[i] == ',') {
      list[2 * k] = p + begin;
      list[2 * k + 1] = i - begin;
      k++;
      begin = i + 1;
    }
  }
  ret[0] = (int32_t)(uintptr_t)list;
  ret[1] = (int32_t)parts;
  return (int32_t)(uintptr_t)ret;
}

// maybe: some(v) -> ok(v * 2); none -> err("none").
EXPORT(TYPES "#maybe") int32_t maybe(int32_t some, int32_t v) {
  static const char none[] = "none";
  if (some) {
    ret[0] = 0;
    ret[1] = v * 2;
  } else {
    ret[0] = 1;
    ret[1] = (int32_t)(uintptr_t)none;
    ret[2] = 4;
  }
  return (int32_t)(uintptr_t)ret;
}

// pair: (a, b) -> (a + 1, b * 2).
EXPORT(TYPES "#pair") int32_t pair(int32_t a, int64_t b) {
  ret[0] = (int32_t)(uint8_t)(a + 1);
  int64_t d = b * 2;
  __builtin_memcpy(&ret[2], &d, 8);
  return (int32_t)(uintptr_t)ret;
}
