// kv.c is the core module of kv.wasm, a component importing wasi:keyvalue
// 0.2.0-draft (store, atomics, batch) whose exports (kv.wit) each call one
// keyvalue function and describe its result as a string:
//
//	an error     "err:no-such-store", "err:access-denied", "err:other:MSG"
//	open, close, set, delete, set-many, delete-many    "ok"
//	get          "some:VALUE" or "none"
//	exists       "true" or "false"
//	list-keys    "K1,K2,...;cursor=N" or "K1,K2,...;cursor=none"
//	increment    the new value in decimal
//	get-many     one "K=V" or "-" (absent) per key, joined by ","
//
// Written against the Canonical ABI by hand (no bindings generator, no
// libc). A method called before open uses handle 0, which traps.
#include <stdint.h>

#define IMPORT(m, n) __attribute__((import_module(m), import_name(n)))
#define EXPORT(n) __attribute__((export_name(n)))
#define STORE "wasi:keyvalue/store@0.2.0-draft"
#define ATOMICS "wasi:keyvalue/atomics@0.2.0-draft"
#define BATCH "wasi:keyvalue/batch@0.2.0-draft"

IMPORT(STORE, "open") void kv_open(int32_t p, int32_t l, int32_t ret);
IMPORT(STORE, "[method]bucket.get") void kv_get(int32_t b, int32_t p, int32_t l, int32_t ret);
IMPORT(STORE, "[method]bucket.set") void kv_set(int32_t b, int32_t p, int32_t l, int32_t vp, int32_t vl, int32_t ret);
IMPORT(STORE, "[method]bucket.delete") void kv_delete(int32_t b, int32_t p, int32_t l, int32_t ret);
IMPORT(STORE, "[method]bucket.exists") void kv_exists(int32_t b, int32_t p, int32_t l, int32_t ret);
IMPORT(STORE, "[method]bucket.list-keys") void kv_list_keys(int32_t b, int32_t some, int64_t cursor, int32_t ret);
IMPORT(STORE, "[resource-drop]bucket") void kv_drop(int32_t b);
IMPORT(ATOMICS, "increment") void kv_increment(int32_t b, int32_t p, int32_t l, int64_t delta, int32_t ret);
IMPORT(BATCH, "get-many") void kv_get_many(int32_t b, int32_t p, int32_t n, int32_t ret);
IMPORT(BATCH, "set-many") void kv_set_many(int32_t b, int32_t p, int32_t n, int32_t ret);
IMPORT(BATCH, "delete-many") void kv_delete_many(int32_t b, int32_t p, int32_t n, int32_t ret);

static unsigned char heap[1 << 20];
static uint32_t top;
static int32_t bucket;
static int32_t ret[2];
static int64_t rb[8]; // import results (8-aligned)

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

// out is the string being built as an export's result.
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

static void putu(uint64_t u) {
  unsigned char buf[24];
  uint32_t k = 0;
  do {
    buf[k++] = (unsigned char)('0' + u % 10);
    u /= 10;
  } while (u);
  while (k) {
    put(&buf[--k], 1);
  }
}

static int32_t end(void) {
  ret[0] = (int32_t)(uintptr_t)out;
  ret[1] = (int32_t)outn;
  return (int32_t)(uintptr_t)ret;
}

static unsigned char *at(uint32_t off) { return (unsigned char *)rb + off; }
static int32_t i32at(uint32_t off) { return *(int32_t *)(void *)at(off); }

// error describes the error variant at offset off of rb.
static int32_t error(uint32_t off) {
  switch (*at(off)) {
  case 0:
    puts_("err:no-such-store");
    break;
  case 1:
    puts_("err:access-denied");
    break;
  default:
    puts_("err:other:");
    put((const void *)(uintptr_t)i32at(off + 4), (uint32_t)i32at(off + 8));
  }
  return end();
}


// result<_, error>
static int32_t unit(void) {
  if (*at(0)) {
    return error(4);
  }
  puts_("ok");
  return end();
}

EXPORT("open") int32_t open_(int32_t p, int32_t l) {
  begin();
  kv_open(p, l, (int32_t)(uintptr_t)rb);
  if (*at(0)) {
    return error(4);
  }
  if (bucket) {
    kv_drop(bucket);
  }
  bucket = i32at(4);
  puts_("ok");
  return end();
}
EXPORT("cabi_post_open") void post_open(int32_t r) { (void)r; top = 0; }

EXPORT("close") int32_t close_(void) {
  begin();
  kv_drop(bucket);
  bucket = 0;
  puts_("ok");
  return end();
}
EXPORT("cabi_post_close") void post_close(int32_t r) { (void)r; top = 0; }

EXPORT("get") int32_t get(int32_t p, int32_t l) {
  begin();
  kv_get(bucket, p, l, (int32_t)(uintptr_t)rb);
  if (*at(0)) {
    return error(4);
  }
  if (!*at(4)) {
    puts_("none");
    return end();
  }
  puts_("some:");
  put((const void *)(uintptr_t)i32at(8), (uint32_t)i32at(12));
  return end();
}
EXPORT("cabi_post_get") void post_get(int32_t r) { (void)r; top = 0; }

EXPORT("set") int32_t set(int32_t p, int32_t l, int32_t vp, int32_t vl) {
  begin();
  kv_set(bucket, p, l, vp, vl, (int32_t)(uintptr_t)rb);
  return unit();
}
EXPORT("cabi_post_set") void post_set(int32_t r) { (void)r; top = 0; }

EXPORT("delete") int32_t delete_(int32_t p, int32_t l) {
  begin();
  kv_delete(bucket, p, l, (int32_t)(uintptr_t)rb);
  return unit();
}
EXPORT("cabi_post_delete") void post_delete(int32_t r) { (void)r; top = 0; }

EXPORT("exists") int32_t exists(int32_t p, int32_t l) {
  begin();
  kv_exists(bucket, p, l, (int32_t)(uintptr_t)rb);
  if (*at(0)) {
    return error(4);
  }
  puts_(*at(4) ? "true" : "false");
  return end();
}
EXPORT("cabi_post_exists") void post_exists(int32_t r) { (void)r; top = 0; }

// list-keys: result<key-response, error> has its payload at 8 (the record
// holds an option<u64>): keys at 8 and 12, the cursor's case at 16 and its
// value at 24; an error's case at 8, its message at 12 and 16.
EXPORT("list-keys") int32_t list_keys(int32_t some, int64_t cursor) {
  begin();
  kv_list_keys(bucket, some, cursor, (int32_t)(uintptr_t)rb);
  if (*at(0)) {
    return error(8);
  }
  const int32_t *keys = (const int32_t *)(uintptr_t)i32at(8);
  int32_t n = i32at(12);
  for (int32_t i = 0; i < n; i++) {
    if (i) {
      puts_(",");
    }
    put((const void *)(uintptr_t)keys[2 * i], (uint32_t)keys[2 * i + 1]);
  }
  puts_(";cursor=");
  if (*at(16)) {
    putu((uint64_t)rb[3]);
  } else {
    puts_("none");
  }
  return end();
}
EXPORT("cabi_post_list-keys") void post_list_keys(int32_t r) { (void)r; top = 0; }

// increment: result<u64, error>: the value at 8; an error's case at 8.
EXPORT("increment") int32_t increment(int32_t p, int32_t l, int64_t delta) {
  begin();
  kv_increment(bucket, p, l, delta, (int32_t)(uintptr_t)rb);
  if (*at(0)) {
    return error(8);
  }
  putu((uint64_t)rb[1]);
  return end();
}
EXPORT("cabi_post_increment") void post_increment(int32_t r) { (void)r; top = 0; }

// get-many: each option<tuple<string, list<u8>>> is 20 bytes: its case at
// 0, the key at 4 and 8, the value at 12 and 16.
EXPORT("get-many") int32_t get_many(int32_t p, int32_t n) {
  begin();
  kv_get_many(bucket, p, n, (int32_t)(uintptr_t)rb);
  if (*at(0)) {
    return error(4);
  }
  const unsigned char *list = (const unsigned char *)(uintptr_t)i32at(4);
  int32_t count = i32at(8);
  for (int32_t i = 0; i < count; i++) {
    const unsigned char *e = list + 20 * i;
    const int32_t *w = (const int32_t *)(const void *)e;
    if (i) {
      puts_(",");
    }
    if (!e[0]) {
      puts_("-");
      continue;
    }
    put((const void *)(uintptr_t)w[1], (uint32_t)w[2]);
    puts_("=");
    put((const void *)(uintptr_t)w[3], (uint32_t)w[4]);
  }
  return end();
}
EXPORT("cabi_post_get-many") void post_get_many(int32_t r) { (void)r; top = 0; }

// set-many and delete-many pass their argument lists on as they are: the
// export's parameter has the import's type, so the same layout.
EXPORT("set-many") int32_t set_many(int32_t p, int32_t n) {
  begin();
  kv_set_many(bucket, p, n, (int32_t)(uintptr_t)rb);
  return unit();
}
EXPORT("cabi_post_set-many") void post_set_many(int32_t r) { (void)r; top = 0; }

EXPORT("delete-many") int32_t delete_many(int32_t p, int32_t n) {
  begin();
  kv_delete_many(bucket, p, n, (int32_t)(uintptr_t)rb);
  return unit();
}
EXPORT("cabi_post_delete-many") void post_delete_many(int32_t r) { (void)r; top = 0; }
