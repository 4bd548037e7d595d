// probe.c is the core module of probe.wasm: a component importing WASI
// 0.2.4 directly (see world.wit), written against the Canonical ABI by hand
// (no bindings generator, no libc). run() calls functions whose values
// have every shape the WASI interfaces use (records with options of
// records, tuples, lists of tuples with handles and strings, variants with
// handles, flags, enums, u64 payloads) and prints what it got, one line
// each, to stdout; wasip2's tests compare the report.
#include <stdint.h>

#define IMPORT(m, n) __attribute__((import_module(m), import_name(n)))
#define FS "wasi:filesystem/types@0.2.4"
#define IO "wasi:io/streams@0.2.4"
#define POLL "wasi:io/poll@0.2.4"

IMPORT("wasi:cli/stdout@0.2.4", "get-stdout") int32_t get_stdout(void);
IMPORT(IO, "[method]output-stream.blocking-write-and-flush") void out_write(int32_t self, int32_t ptr, int32_t len, int32_t ret);
IMPORT(IO, "[method]input-stream.read") void in_read(int32_t self, int64_t len, int32_t ret);
IMPORT(IO, "[resource-drop]input-stream") void in_drop(int32_t h);
IMPORT("wasi:filesystem/preopens@0.2.4", "get-directories") void get_directories(int32_t ret);
IMPORT(FS, "[method]descriptor.open-at") void open_at(int32_t self, int32_t pf, int32_t ptr, int32_t len, int32_t of, int32_t df, int32_t ret);
IMPORT(FS, "[method]descriptor.write") void d_write(int32_t self, int32_t ptr, int32_t len, int64_t off, int32_t ret);
IMPORT(FS, "[method]descriptor.read") void d_read(int32_t self, int64_t len, int64_t off, int32_t ret);
IMPORT(FS, "[method]descriptor.stat") void d_stat(int32_t self, int32_t ret);
IMPORT(FS, "[method]descriptor.get-flags") void d_get_flags(int32_t self, int32_t ret);
IMPORT(FS, "[method]descriptor.metadata-hash") void d_hash(int32_t self, int32_t ret);
IMPORT(FS, "[method]descriptor.read-directory") void d_readdir(int32_t self, int32_t ret);
IMPORT(FS, "[method]descriptor.create-directory-at") void d_mkdir(int32_t self, int32_t ptr, int32_t len, int32_t ret);
IMPORT(FS, "[method]descriptor.read-via-stream") void d_read_stream(int32_t self, int64_t off, int32_t ret);
IMPORT(FS, "[method]directory-entry-stream.read-directory-entry") void dir_next(int32_t self, int32_t ret);
IMPORT(FS, "[resource-drop]directory-entry-stream") void dir_drop(int32_t h);
IMPORT(FS, "[resource-drop]descriptor") void d_drop(int32_t h);
IMPORT("wasi:clocks/monotonic-clock@0.2.4", "subscribe-duration") int32_t subscribe_duration(int64_t ns);
IMPORT(POLL, "poll") void poll(int32_t ptr, int32_t len, int32_t ret);
IMPORT(POLL, "[resource-drop]pollable") void pollable_drop(int32_t h);
IMPORT("wasi:clocks/wall-clock@0.2.4", "now") void wall_now(int32_t ret);
IMPORT("wasi:random/insecure-seed@0.2.4", "insecure-seed") void insecure_seed(int32_t ret);
IMPORT("wasi:sockets/tcp-create-socket@0.2.4", "create-tcp-socket") void create_tcp(int32_t family, int32_t ret);

static unsigned char heap[1 << 16];
static uint32_t top;

__attribute__((export_name("cabi_realloc"))) int32_t cabi_realloc(int32_t old, int32_t oldlen, int32_t align, int32_t len) {
  (void)old;
  (void)oldlen;
  top = (top + (uint32_t)align - 1) & ~((uint32_t)align - 1);
  if (top + (uint32_t)len > sizeof heap) top = 0;
  unsigned char *p = &heap[top];
  top += (uint32_t)len;
  return (int32_t)(uintptr_t)p;
}

static _Alignas(8) unsigned char ret[128];
static char line[256];
static uint32_t n;
static int32_t out;

#define I32(off) (*(int32_t *)(ret + (off)))
#define U8(off) (*(uint8_t *)(ret + (off)))
#define U64(off) (*(uint64_t *)(ret + (off)))

static uint32_t slen(const char *s) {
  uint32_t i = 0;
  while (s[i]) i++;
  return i;
}
static void puts_(const char *s, uint32_t len) {
  for (uint32_t i = 0; i < len && n < sizeof line; i++) line[n++] = s[i];
}
static void put(const char *s) { puts_(s, slen(s)); }
static void num(uint64_t v) {
  char b[20];
  int i = 20;
  do b[--i] = (char)('0' + v % 10), v /= 10; while (v);
  puts_(b + i, (uint32_t)(20 - i));
}
static void endl(void) {
  put("\n");
  out_write(out, (int32_t)(uintptr_t)line, (int32_t)n, (int32_t)(uintptr_t)ret);
  n = 0;
}
// result prints "ok" or "err CODE" for a result<_, error-code> whose
// payload is at off.
static int result(const char *what, uint32_t off) {
  put(what);
  if (U8(0)) {
    put(" err ");
    num(U8(off));
    endl();
    return 0;
  }
  put(" ok");
  return 1;
}

#define STR(s) (int32_t)(uintptr_t)(s), (int32_t)(sizeof(s) - 1)
#define RET (int32_t)(uintptr_t)ret

__attribute__((export_name("run"))) int32_t run(void) {
  out = get_stdout();

  get_directories(RET);
  uint32_t count = (uint32_t)I32(4);
  unsigned char *list = (unsigned char *)(uintptr_t)I32(0);
  put("preopens ");
  num(count);
  int32_t dir = 0;
  for (uint32_t i = 0; i < count; i++) {
    int32_t h = *(int32_t *)(list + 12 * i);
    const char *name = (const char *)(uintptr_t) * (int32_t *)(list + 12 * i + 4);
    uint32_t len = (uint32_t) * (int32_t *)(list + 12 * i + 8);
    put(" ");
    puts_(name, len);
    if (i == 0) dir = h;
  }
  endl();

  d_get_flags(dir, RET);
  if (result("get-flags", 1)) put(" "), num(U8(1)), endl();

  // open-at: create|truncate, read|write.
  open_at(dir, 0, STR("f.txt"), 1 | 8, 1 | 2, RET);
  if (!result("open-at", 4)) return 1;
  endl();
  int32_t f = I32(4);

  d_write(f, STR("hello"), 0, RET);
  if (result("write", 8)) put(" "), num(U64(8)), endl();

  d_read(f, 100, 1, RET);
  if (result("read", 4)) {
    put(" ");
    puts_((const char *)(uintptr_t)I32(4), (uint32_t)I32(8));
    put(" end=");
    num(U8(12));
    endl();
  }

  d_stat(f, RET);
  if (result("stat", 8)) {
    put(" type=");
    num(U8(8));
    put(" links=");
    num(U64(16));
    put(" size=");
    num(U64(24));
    put(" times=");
    num(U8(32));
    num(U8(56));
    num(U8(80));
    put(U64(64) > 1600000000u ? " mtime-recent" : " mtime-old");
    endl();
  }

  d_hash(f, RET);
  if (result("metadata-hash", 8)) put((U64(8) | U64(16)) ? " set" : " zero"), endl();

  d_readdir(dir, RET);
  if (result("read-directory", 4)) {
    endl();
    int32_t ds = I32(4);
    for (;;) {
      dir_next(ds, RET);
      if (!result("entry", 4)) break;
      if (!U8(4)) {
        put(" end");
        endl();
        break;
      }
      put(" type=");
      num(U8(8));
      put(" ");
      puts_((const char *)(uintptr_t)I32(12), (uint32_t)I32(16));
      endl();
    }
    dir_drop(ds);
  }

  d_mkdir(dir, STR("sub"), RET);
  if (result("create-directory-at", 1)) endl();
  d_mkdir(dir, STR("sub"), RET);
  if (result("create-directory-at again", 1)) endl();
  open_at(dir, 0, STR("../escape"), 0, 1, RET);
  if (result("open-at ..", 4)) endl();

  d_read_stream(f, 3, RET);
  if (result("read-via-stream", 4)) {
    endl();
    int32_t in = I32(4);
    for (int i = 0; i < 2; i++) {
      in_read(in, 10, RET);
      put("stream read");
      if (U8(0)) {
        put(U8(4) == 1 ? " closed" : " failed");
      } else {
        put(" ");
        puts_((const char *)(uintptr_t)I32(4), (uint32_t)I32(8));
      }
      endl();
    }
    in_drop(in);
  }

  int32_t ps[2] = {subscribe_duration(1000000000000000000ll), subscribe_duration(1000000)};
  poll((int32_t)(uintptr_t)ps, 2, RET);
  put("poll");
  for (int32_t i = 0; i < I32(4); i++) put(" "), num((uint32_t)((int32_t *)(uintptr_t)I32(0))[i]);
  endl();
  pollable_drop(ps[0]);
  pollable_drop(ps[1]);

  wall_now(RET);
  put(U64(0) > 1600000000u && *(uint32_t *)(ret + 8) < 1000000000u ? "wall-clock ok" : "wall-clock bad");
  endl();
  insecure_seed(RET);
  put((U64(0) | U64(8)) ? "seed ok" : "seed zero");
  endl();
  create_tcp(0, RET);
  put(U8(0) ? "tcp err " : "tcp ok ");
  num(U8(4));
  endl();

  d_drop(f);
  d_drop(dir);
  return 0;
}
