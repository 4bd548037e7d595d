// messaging.c is the core module of messaging.wasm, a component importing
// wasmcloud:messaging/consumer 0.2.0 and exporting its handler
// (messaging.wit). Its request and publish exports have the imports' types,
// so they pass the flat arguments on as they are and return the imports'
// results where the host wrote them. Written against the Canonical ABI by
// hand (no bindings generator, no libc).
#include <stdint.h>

#define IMPORT(m, n) __attribute__((import_module(m), import_name(n)))
#define EXPORT(n) __attribute__((export_name(n)))
#define CONSUMER "wasmcloud:messaging/consumer@0.2.0"
#define HANDLER "wasmcloud:messaging/handler@0.2.0"

IMPORT(CONSUMER, "request") void msg_request(int32_t sp, int32_t sl, int32_t bp, int32_t bl, int32_t timeout, int32_t ret);
IMPORT(CONSUMER, "publish") void msg_publish(int32_t sp, int32_t sl, int32_t bp, int32_t bl, int32_t some, int32_t rp, int32_t rl, int32_t ret);

static unsigned char heap[1 << 20];
static uint32_t top;
static int32_t rb[8]; // import results: result<broker-message, string> is 32 bytes

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

EXPORT("request") int32_t request(int32_t sp, int32_t sl, int32_t bp, int32_t bl, int32_t timeout) {
  msg_request(sp, sl, bp, bl, timeout, (int32_t)(uintptr_t)rb);
  return (int32_t)(uintptr_t)rb;
}
EXPORT("cabi_post_request") void post_request(int32_t r) { (void)r; top = 0; }

EXPORT("publish") int32_t publish(int32_t sp, int32_t sl, int32_t bp, int32_t bl, int32_t some, int32_t rp, int32_t rl) {
  msg_publish(sp, sl, bp, bl, some, rp, rl, (int32_t)(uintptr_t)rb);
  return (int32_t)(uintptr_t)rb;
}
EXPORT("cabi_post_publish") void post_publish(int32_t r) { (void)r; top = 0; }

// handle-message publishes the message's body to its reply-to, without a
// reply-to, or back to its subject when it has none.
EXPORT(HANDLER "#handle-message") int32_t handle_message(int32_t sp, int32_t sl, int32_t bp, int32_t bl, int32_t some, int32_t rp, int32_t rl) {
  if (some) {
    sp = rp;
    sl = rl;
  }
  msg_publish(sp, sl, bp, bl, 0, 0, 0, (int32_t)(uintptr_t)rb);
  return (int32_t)(uintptr_t)rb;
}
EXPORT("cabi_post_" HANDLER "#handle-message") void post_handle(int32_t r) { (void)r; top = 0; }
